"""The live predictive distribution: p(level) for one sub-pixel of one sample, bars updated in place."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from .theme import Palette, palette
from .plain import plain_label

CHANNEL_NAMES = ("R", "G", "B")



def static_plot(min_height: int, x_label: str, y_label: str) -> pg.PlotWidget:
    """A read-only plot: no context menu, no mouse panning or zooming, no auto-range button."""
    plot = pg.PlotWidget()
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setMinimumHeight(min_height)
    plot.getPlotItem().setLabel("bottom", x_label)
    plot.getPlotItem().setLabel("left", y_label)
    return plot


def theme_plot(plot: pg.PlotWidget, pal: Palette) -> None:
    """Background and axis colours of a plot, from the current theme."""
    plot.setBackground(pal.plot_bg)
    for axis in ("left", "bottom"):
        ax = plot.getPlotItem().getAxis(axis)
        ax.setPen(pg.mkPen(pal.muted))
        ax.setTextPen(pg.mkPen(pal.muted))


def set_plot_type(plot: pg.PlotWidget, large: bool) -> None:
    """Axis text big enough for a projector (the style sheet does not reach into a plot)."""
    # From the application's font: the widget's own is still the large one when leaving.
    font = QFont(QApplication.instance().font())
    font.setPointSizeF(15 if large else max(8.0, font.pointSizeF() * 0.9))
    item = plot.getPlotItem()
    for axis in ("left", "bottom"):
        item.getAxis(axis).setStyle(tickFont=font)
        item.getAxis(axis).label.setFont(font)
    # Room for the widest tick label ("0.025") and half a line above the top one, so none is clipped.
    metrics = QFontMetrics(font)
    item.getAxis("left").setWidth(metrics.horizontalAdvance("0.0000") + metrics.height() + 6)
    item.setContentsMargins(2, metrics.height() // 2, metrics.horizontalAdvance("0") * 2, 2)


def value_tick_step(top: float, height_px: int, font) -> float:
    """A spacing of 1, 2 or 5 × 10^k between value ticks that leaves a line of room between labels;
    in a short chart, the top value itself (two labels: 0 and the top), in a shorter one 0 alone."""
    line = 1.3 * QFontMetrics(font).height()
    top = max(top, 1e-6)
    wanted = top * line / max(1, height_px)
    step = next(m * 10.0 ** k for k in range(-3, 6) for m in (1, 2, 5) if m * 10.0 ** k >= wanted)
    if step > top and height_px >= line:
        step = float(f"{top:.1g}")
        if step > top:
            step = float(f"{top * 0.9:.1g}")
    return step          # above the top in a chart too short for two labels: the 0 alone


class DistributionView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._pal = palette("dark")
        self._levels = 0
        self.title = plain_label("Predictive distribution")
        self.title.setObjectName("sectionTitle")
        self.title.setWordWrap(True)
        self.caption = plain_label("Start a run to see what the model predicts for each sub-pixel.")
        self.caption.setObjectName("muted")
        self.caption.setWordWrap(True)
        self.plot = static_plot(110, "level", "p")
        # "p (x0.001)" reads worse than plain small numbers. Switched off once, while the range is
        # still 0..1: pyqtgraph recomputes (and then keeps) its scale when this is called.
        self.plot.getPlotItem().getAxis("left").enableAutoSIPrefix(False)
        # One filled step curve rather than hundreds of bar rectangles: far cheaper to redraw
        # sixty times a second (measured), and it reads as the same histogram.
        self.bars = pg.PlotDataItem(stepMode="center", fillLevel=0)
        self.plot.addItem(self.bars)
        self._y_top = 1.0
        # Fixed from the start: the plot's automatic range would add room above p = 1.
        self.plot.setYRange(0, 1, padding=0)
        # The p labels spaced for the chart's own height: in a short chart "1.0 0.8 0.6" ran together.
        self.plot.getPlotItem().getViewBox().sigResized.connect(lambda *_: self._space_value_ticks())
        self.marker = pg.InfiniteLine(angle=90, movable=False)
        self.plot.addItem(self.marker)
        self.marker.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.caption)
        self.last: tuple | None = None      # what is shown, for tests and re-theming
        self.set_palette(self._pal)

    def set_palette(self, pal: Palette) -> None:
        self._pal = pal
        theme_plot(self.plot, pal)
        self.marker.setPen(pg.mkPen(pal.sampled, width=2))
        if self.last is not None:
            self.show_step(*self.last)
        else:
            self._style_bars(pal.bar)

    def set_large(self, large: bool) -> None:
        set_plot_type(self.plot, large)
        self._space_level_ticks()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._space_level_ticks()

    def _space_value_ticks(self) -> None:
        axis = self.plot.getPlotItem().getAxis("left")
        height = int(self.plot.getPlotItem().getViewBox().height() or self.plot.height())
        step = value_tick_step(self._y_top, height, axis.style.get("tickFont") or self.font())
        if step != getattr(self, "_value_step", None):
            self._value_step = step
            axis.setTickSpacing(levels=[(step, 0.0)])

    def _space_level_ticks(self) -> None:
        """Level ticks 1, 2 or 5 × 10^k apart, as many as the plot's width holds with a gap between
        labels: large type in a narrow panel would otherwise run "100" and "200" together."""
        if self._levels < 2:
            return
        axis = self.plot.getPlotItem().getAxis("bottom")
        font = axis.style.get("tickFont") or self.font()
        room = QFontMetrics(font).horizontalAdvance(str(self._levels - 1) + "00")   # a label and a gap
        width = max(1, self.plot.width() - self.plot.getPlotItem().getAxis("left").width())
        wanted = self._levels / max(1, width // room)
        step = next(m * 10 ** k for k in range(6) for m in (1, 2, 5) if m * 10 ** k >= wanted)
        if step != getattr(self, "_tick_step", None):
            self._tick_step = step
            axis.setTickSpacing(levels=[(step, 0.0)] + ([(step / 5, 0.0)] if step >= 5 else []))

    def _style_bars(self, colour: str) -> None:
        if colour == getattr(self, "_bar_colour", None):
            return
        self._bar_colour = colour
        fill = QColor(colour)
        fill.setAlpha(190)
        self.bars.setPen(pg.mkPen(colour, width=1))
        self.bars.setBrush(pg.mkBrush(fill))

    def set_levels(self, levels: int) -> None:
        self._fit_levels(levels)
        self.reset()

    def _fit_levels(self, levels: int) -> None:
        """The level axis spans `levels` bars (a model with other levels, or the first distribution)."""
        if levels != self._levels:
            self._levels = levels
            self.plot.setXRange(-0.5, levels - 0.5, padding=0.01)
            self._space_level_ticks()

    def reset(self, text: str = "") -> None:
        self.last = None
        self.bars.setData(np.arange(self._levels + 1) - 0.5, np.zeros(self._levels))
        self.marker.hide()
        self._y_top = 1.0
        self.plot.setYRange(0, 1, padding=0)
        self._space_value_ticks()
        self.title.setText("Predictive distribution")
        self.caption.setText(text or "Start a run to see what the model predicts for each sub-pixel.")

    def _edges(self, levels: int) -> np.ndarray:
        if getattr(self, "_edge_cache", np.zeros(0)).shape[0] != levels + 1:
            self._edge_cache = np.arange(levels + 1) - 0.5
        return self._edge_cache

    def show_step(self, sample: int, position: tuple, channels: int, probs: np.ndarray, value: int) -> None:
        """probs (levels,) for sample `sample` at (row, col, channel); `value` was drawn from it."""
        self.last = (sample, position, channels, probs, value)
        row, col, channel = position
        self._fit_levels(probs.shape[0])
        self._style_bars(self._pal.channel[channel] if channels == 3 else self._pal.bar)
        self.bars.setData(self._edges(self._levels), probs)
        peak = max(float(probs.max()), 1e-3)
        # Rescale only when the peak leaves the top half of the plot: a y axis that changed on
        # every frame would flicker and cost a relayout each time.
        if peak > self._y_top or peak < self._y_top * 0.5:
            # Some room above the peak, but a probability axis never runs past 1.
            self._y_top = min(1.0, peak * 1.25)
            self.plot.setYRange(0, self._y_top, padding=0)
            self._space_value_ticks()
        self.marker.setValue(value)
        self.marker.show()
        where = f"pixel ({row}, {col})" + (f" · {CHANNEL_NAMES[channel]}" if channels == 3 else "")
        self.title.setText(f"Sample {sample + 1} · {where}")
        p = float(probs[value])
        bits = max(0.0, -np.log2(p)) if p > 0 else float("inf")     # never "-0.00 bits" at p = 1
        # Non-breaking spaces: a narrow panel wraps between the facts, never inside "p = 0.729".
        self.caption.setText("  ·  ".join(part.replace(" ", "\u00a0") for part in (
            f"Sampled level {value}", f"p = {p:.3f}", f"{bits:.2f} bits")) + " (after temperature)")
