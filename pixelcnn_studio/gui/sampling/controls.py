"""Run controls (start, pause, step, stop, restart; seed, batch, temperature, speed) and run statistics."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (QDoubleSpinBox, QFormLayout, QGridLayout, QHBoxLayout, QLabel, QProgressBar,
                               QPushButton, QSlider, QSpinBox, QVBoxLayout, QWidget)

from ..common.elided import ElidedLabel
from ..common.distribution import CHANNEL_NAMES, set_plot_type, static_plot, theme_plot, value_tick_step
from ..common.panels import section_title
from ..common.theme import Palette, action_icon, palette
from ..common.plain import plain_label

LN2 = math.log(2.0)

# Sub-pixels per second offered by the speed slider; None is "as fast as the machine goes".
SPEEDS = (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000, 5000, None)


def speed_text(speed) -> str:
    return "max" if speed is None else f"{speed:,}/s"


class RunControls(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.start = QPushButton("Start")
        self.start.setObjectName("primary")
        self.start.setToolTip("Start, pause or resume sampling (Space); after a finished run, "
                              "start new images with the next seed")
        self.step = QPushButton("Step")
        self.step.setToolTip("Sample one sub-pixel (→)")
        self.stop = QPushButton("Stop")
        self.stop.setToolTip("End this run; the images stay as they are")
        self.restart = QPushButton("Restart")
        self.restart.setToolTip("Start again from a blank image with the same seed (R)")
        self.new_seed = QPushButton("New seed")
        self.new_seed.setToolTip("Pick a random seed and start again (N)")
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        for b in (self.start, self.step, self.stop, self.restart, self.new_seed):
            # The text may be cut on a narrow window (the tooltip says it); never its height, which
            # large type needs whole (a minimum height of its own let the layout halve the words).
            b.setMinimumWidth(1)
            buttons.addWidget(b)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("The seed fixes every random draw: the same seed gives the same images")
        self.batch = QSpinBox()
        self.batch.setRange(1, 64)
        self.batch.setValue(16)
        self.batch.setToolTip("How many images to sample at once (1 to 64)")
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.05, 3.0)
        self.temperature.setSingleStep(0.05)
        self.temperature.setDecimals(2)
        self.temperature.setValue(1.0)
        self.temperature.setToolTip("Below 1: safer, smoother samples; above 1: wilder ones. "
                                    "Changing it mid-run applies from the next sub-pixel.")
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(0, len(SPEEDS) - 1)
        self.speed.setValue(len(SPEEDS) - 1)
        self.speed.setToolTip("Sub-pixels per second, from 1 to as fast as possible")
        self.speed_label = plain_label("max")
        self.speed_label.setMinimumWidth(self.speed_label.fontMetrics().horizontalAdvance("5,000/s "))
        self.speed.valueChanged.connect(lambda i: self.speed_label.setText(speed_text(SPEEDS[i])))
        self.settings_grid = QGridLayout()
        grid = self.settings_grid
        # Two rows: one row of eight fields was what kept the window wider than a projector.
        grid.addWidget(plain_label("Seed"), 0, 0)
        grid.addWidget(self.seed, 0, 1)
        grid.addWidget(plain_label("Images"), 0, 2)
        grid.addWidget(self.batch, 0, 3)
        grid.addWidget(plain_label("Temperature"), 1, 0)
        grid.addWidget(self.temperature, 1, 1)
        speed_row = QHBoxLayout()
        speed_row.addWidget(self.speed, 1)
        speed_row.addWidget(self.speed_label)
        grid.addWidget(plain_label("Speed"), 1, 2)
        grid.addLayout(speed_row, 1, 3)
        grid.setColumnStretch(3, 1)
        self.settings_row = QWidget()
        self.settings_row.setLayout(grid)
        grid.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.settings_row)

    @property
    def speed_value(self):
        return SPEEDS[self.speed.value()]

    def set_speed_value(self, speed) -> None:
        if speed is None:
            self.speed.setValue(len(SPEEDS) - 1)
            return
        finite = [i for i, s in enumerate(SPEEDS) if s is not None]
        self.speed.setValue(min(finite, key=lambda i: abs(math.log(SPEEDS[i]) - math.log(max(speed, 1e-3)))))

    def set_compact(self, on: bool) -> None:
        """Folded (presentation, Large text): Start keeps its word, the other buttons their icons only
        (their words in the tooltip, their keys unchanged), so large type never cuts a word in half."""
        words = getattr(self, "_words", None)
        if words is None:
            words = self._words = {b: b.text() for b in (self.step, self.stop, self.restart, self.new_seed)}
        for button, word in words.items():
            button.setText("" if on else word)
            button.setAccessibleName(word)

    def set_icons(self, pal: Palette) -> None:
        for button, name in ((self.step, "mdi6.step-forward"), (self.stop, "mdi6.stop"),
                             (self.restart, "mdi6.restart"), (self.new_seed, "mdi6.dice-5-outline")):
            button.setIcon(action_icon(name, pal))

    def show_state(self, state: str, pal: Palette) -> None:
        """Label and enable the buttons for a run state: idle, running, paused, stopped, done."""
        labels = {"running": ("Pause", "mdi6.pause"), "paused": ("Resume", "mdi6.play")}
        text, icon = labels.get(state, ("Start", "mdi6.play"))
        self.start.setText(text)
        self.start.setIcon(action_icon(icon, palette("dark")))   # white on the accent colour in both themes
        active = state in ("running", "paused")
        self.stop.setEnabled(active)
        self.step.setEnabled(state in ("idle", "running", "paused", "stopped", "done"))


class LinesLabel(QLabel):
    """A label that always has room for `lines` lines of its own type (the Inspect text: a title and
    up to three channels), measured with the font the style sheet gave it, not the one it started with."""

    def __init__(self, text: str, lines: int, parent=None):
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)       # it may name a class from the model's file
        self.setText(text)
        self.lines = lines
        self._fit_lines()

    def _needed(self) -> int:
        margins = self.contentsMargins()
        return self.lines * self.fontMetrics().lineSpacing() + margins.top() + margins.bottom() + 2 * self.margin()

    def _fit_lines(self) -> None:
        self.setMinimumHeight(self._needed())

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit_lines()

    def heightForWidth(self, width: int) -> int:
        return max(super().heightForWidth(width), self._needed())


class StatsPanel(QWidget):
    """Progress, speed, running bits/dim of each sample, and what the mouse is over."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._pal = palette("dark")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p%")
        # The panel's width is set by the type size; a value never widens it, and never runs past
        # its edge: the short ones are cut with "…" (the whole in the tooltip).
        self.rate = ElidedLabel("–")
        self.position = ElidedLabel("–")
        self.mean_bpd = plain_label("–")
        form = self.form = QFormLayout()
        form.addRow("Progress", self.progress)
        form.addRow("Speed", self.rate)
        form.addRow("Now at", self.position)
        form.addRow("Bits/dim", self.mean_bpd)
        # Short: in a 720-line window the panel also holds the Inspect text of a colour model.
        self.plot = static_plot(48, "sample", "bits/dim")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        # The labels are spaced for the chart's own height, whatever resized it.
        self.plot.getPlotItem().getViewBox().sigResized.connect(lambda *_: self._space_value_ticks())
        self.plot.addItem(self.bars)
        # A title line and a line per channel (R, G, B): set_channels.
        self.hover = LinesLabel("Hover over a sampled pixel to inspect it.", 2)
        self.hover.setObjectName("hoverInfo")
        self.hover.setWordWrap(True)
        self.hover.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bits_title, inspect_title = section_title("Bits/dim per sample"), \
            section_title("Inspect")
        bits_title.setWordWrap(True)
        # One line (a colour model's Inspect text needs the height): what it means in the tooltip.
        bits_title.setToolTip("Bits per dimension of each sample so far: lower is more likely under the model")
        layout.addWidget(section_title("Run"))
        layout.addLayout(form)
        layout.addWidget(bits_title)
        layout.addWidget(self.plot, 1)
        layout.addWidget(inspect_title)
        layout.addWidget(self.hover)
        self._details = (bits_title, self.plot, inspect_title, self.hover)
        self._compact = False
        self._n = 0
        self._selected = 0

    def set_compact(self, on: bool) -> None:
        """Presentation mode: progress and speed only, in large type."""
        self._compact = on
        for w in self._details:
            w.setVisible(not on)
        # Large type in a narrow panel: each value under its label rather than cut off beside it.
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows if on else
                                   QFormLayout.RowWrapPolicy.DontWrapRows)
        # The distribution's title above already names the pixel: two lines of height saved.
        self.form.setRowVisible(self.position, not on)

    def set_palette(self, pal: Palette) -> None:
        self._pal = pal
        theme_plot(self.plot, pal)

    def set_large(self, large: bool) -> None:
        """Axis text of the bits chart in the type size of the rest (the style sheet cannot reach it)."""
        set_plot_type(self.plot, large)
        self._tick_step = None
        self._space_value_ticks()

    def show_idle(self, total: int) -> None:
        """No run yet: the progress reads 0 of this plan's sub-pixels, never an earlier run's count."""
        self.progress.setValue(0)
        self.progress.setFormat("%p%" if self._compact else f"0 / {total:,} sub-pixels  (%p%)")

    def set_channels(self, channels: int) -> None:
        """Room in the Inspect text for a title and one line per channel of the model's pictures."""
        self.hover.lines = 1 + max(1, channels)
        self.hover._fit_lines()

    def reset(self, n: int) -> None:
        self._n = n
        self.progress.setValue(0)
        self.rate.setText("–")
        self.position.setText("–")
        self.mean_bpd.setText("–")
        self.bars.setOpts(x=np.arange(1, n + 1), height=np.zeros(n), brushes=self._brushes(n))
        self.plot.setXRange(0.4, n + 0.6, padding=0)
        self._set_top(8.0)

    def _set_top(self, top: float) -> None:
        """The bits axis from 0 to `top`, its labels as far apart as the chart's height allows: in a
        short chart "8 6 4 2 0" printed over one another."""
        self._top = top
        self.plot.setYRange(0, top, padding=0)
        self._space_value_ticks()

    def _space_value_ticks(self) -> None:
        axis = self.plot.getPlotItem().getAxis("left")
        height = self.plot.getPlotItem().getViewBox().height() or self.plot.height()
        step = value_tick_step(getattr(self, "_top", 8.0), int(height), axis.style.get("tickFont") or self.font())
        if step != getattr(self, "_tick_step", None):
            self._tick_step = step
            axis.setTickSpacing(levels=[(step, 0.0)])

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._space_value_ticks()

    def _brushes(self, n: int):
        return [pg.mkBrush(self._pal.selected if i == self._selected else self._pal.bar) for i in range(n)]

    def set_selected(self, index: int) -> None:
        self._selected = index
        if self._n:
            self.bars.setOpts(brushes=self._brushes(self._n))

    def show_frame(self, frame, position_text: str) -> None:
        if frame.bits_per_dim.size != self._n:
            self.reset(frame.bits_per_dim.size)
        done = frame.done_steps - frame.start
        span = max(1, frame.total - frame.start)
        self.progress.setValue(int(1000 * done / span))
        self.progress.setFormat("%p%" if self._compact else f"{frame.done_steps:,} / {frame.total:,} sub-pixels  (%p%)")
        self.rate.setText(f"{frame.rate:,.0f} sub-pixels/s" if frame.state == "running" else frame.state)
        self.position.setText(position_text)
        bpd = frame.bits_per_dim
        if done > 0 and bpd.size:
            s = min(self._selected, bpd.size - 1)
            # Presenting, the per-sample chart is hidden and the panel is narrow: the mean alone.
            self.mean_bpd.setText(f"mean {bpd.mean():.3f}" if self._compact else
                                  f"mean {bpd.mean():.3f} · sample {s + 1}: {bpd[s]:.3f}")
            self.bars.setOpts(height=bpd)
            self._set_top(max(1.0, float(bpd.max()) * 1.1))
        else:
            self.mean_bpd.setText("–")


def hover_text(frame, sample: int, row: int, col: int, shown_steps: int) -> str:
    """Value, model probability and bits of each channel of one pixel, where it has been sampled."""
    _, C, H, W = frame.image.shape
    lines = [f"Sample {sample + 1} · pixel ({row}, {col})"]
    for ch in range(C):
        index = (row * W + col) * C + ch
        name = CHANNEL_NAMES[ch] if C == 3 else "value"
        if index < frame.start:
            lines.append(f"{name:>5}  {int(frame.image[sample, ch, row, col]):3d}   given (prefix)")
        elif index < min(shown_steps, frame.log_probs.shape[0]):
            lp = float(frame.log_probs[index, sample])
            lines.append(f"{name:>5}  {int(frame.image[sample, ch, row, col]):3d}   p = {math.exp(lp):.3f}"
                         f"   {max(0.0, -lp / LN2):.2f} bits")
        else:
            lines.append(f"{name:>5}  not sampled yet")
    return "\n".join(lines)
