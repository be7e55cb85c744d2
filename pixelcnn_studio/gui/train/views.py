"""The Train tab's picture: the curves of training and held-out bits/dim, and the latest sample grid.

Folded (presentation mode, Large text) the curves keep a compact legend: short names on one row, in
type a projector shows, so that it neither hides the curves nor needs the speaker to explain it.

Both are drawn as cheaply as a busy machine needs: the GUI thread shares the cores with the run it
shows, so each update must be short.
- The points are appended to arrays that grow (a point a second, for hours), never rebuilt from the
  record's lists, and pyqtgraph draws at most a point per pixel of a long curve.
- The axes are painted once into a cache and reused while the ranges stay (re-rendering the tick
  labels and the grid was most of each redraw's time); so the ranges move rarely: the step axis grows
  by round steps ahead of the curve, the bits/dim axis widens in round steps when a point leaves it
  and narrows only when the curve fills less than half of it.
- A new grid (a PNG the run writes every few seconds of training) is decoded and scaled to its room on
  a background job (QImage is safe off the GUI thread, QPixmap is not); only a resize, which the user
  makes, scales on the GUI thread.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QLabel, QSizePolicy

from ..common.distribution import set_plot_type, static_plot, theme_plot
from ..common.jobs import FunctionJob
from .timing import timed

# The legend's words: in full at a desk, short on stage (the tooltip of the tab says the rest).
LEGEND_NAMES = {False: ("training (last second)", "held-out (EMA)"), True: ("training", "held-out (EMA)")}
LEGEND_TYPE = {False: "9pt", True: "13pt"}
STEP_HEADROOM = 1.25     # the step axis reaches this far past the last point when it grows


class Curves:
    """The bits/dim plot: training (about one point a second) and held-out (one per evaluation)."""

    def __init__(self):
        self.plot = static_plot(120, "step", "bits/dim")
        item = self.plot.getPlotItem()
        self.legend = item.addLegend(offset=(-10, 10))
        item.showGrid(x=False, y=True, alpha=0.25)
        item.enableAutoRange(False)
        for name in ("left", "bottom"):
            item.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        # Grid lines at the labelled values and halfway between, not the faint third level: four
        # lines in five of a redraw's grid went to lines too faint to see.
        item.getAxis("left").setStyle(maxTickLevel=1)
        self.train_line = self.plot.plot([], [], name=LEGEND_NAMES[False][0])
        self.train_line.setDownsampling(auto=True, method="peak")
        self.test_line = self.plot.plot([], [], name=LEGEND_NAMES[False][1], symbol="o", symbolSize=7)
        self.train = GrowingCurve(self.train_line)
        self.test = GrowingCurve(self.test_line)
        self._x_top = 1.0
        self._y_range: tuple[float, float] | None = None     # none yet: the first points set it

    def show(self, train_points: list, test_points: list, total_steps: int | None = None) -> None:
        """The record's lists of (step, bits/dim); only what is new since the last call is drawn."""
        changed = self.train.sync(train_points)
        changed = self.test.sync(test_points) or changed
        if changed:
            self._fit(total_steps)

    def set_palette(self, pal) -> None:
        theme_plot(self.plot, pal)
        self.train_line.setPen(pg.mkPen(pal.bar, width=2))
        self.test_line.setPen(pg.mkPen(pal.sampled, width=3))
        self.test_line.setSymbolBrush(pal.sampled)
        self.test_line.setSymbolPen(pal.sampled)
        self.legend.setLabelTextColor(pal.text)

    def set_large(self, large: bool) -> None:
        """Axis text and legend in large type (the style sheet does not reach into a plot); the legend on
        one row of short names, so that it stays a corner of the curves."""
        set_plot_type(self.plot, large)
        self.test_line.setSymbolSize(12 if large else 7)
        self.legend.setColumnCount(2 if large else 1)
        self.legend.setLabelTextSize(LEGEND_TYPE[large])
        for line, name in zip((self.train_line, self.test_line), LEGEND_NAMES[large]):
            label = self.legend.getLabel(line)
            if label is not None:
                label.setText(name)
        self.legend.updateSize()

    def _fit(self, total_steps: int | None) -> None:
        found = [b for b in (self.train.bounds(), self.test.bounds()) if b is not None]
        if not found:
            return
        last = max(b[0] for b in found)
        low, high = min(b[1] for b in found), max(b[2] for b in found)
        x_top = self._x_top
        if last > x_top or last < x_top / (2 * STEP_HEADROOM):
            x_top = round_up(max(last, 1.0) * STEP_HEADROOM)
            if total_steps and last <= total_steps < x_top:
                x_top = float(total_steps)         # a run that ends at a known step ends at the edge
        y_range = self._y_range
        if y_range is None or low < y_range[0] or high > y_range[1] or (high - low) < 0.5 * (y_range[1] - y_range[0]):
            y_range = round_out(low, high)
        if (x_top, y_range) != (self._x_top, self._y_range):
            self._x_top, self._y_range = x_top, y_range
            # A little room at the edges: the held-out point of a run's last step is a whole circle.
            self.plot.getPlotItem().getViewBox().setRange(xRange=(0.0, x_top), yRange=y_range, padding=0.02)


class GrowingCurve:
    """One line fed from a record's list of (step, value) points: only the new points are copied."""

    def __init__(self, line: pg.PlotDataItem):
        self.line = line
        self._x = np.empty(256)
        self._y = np.empty(256)
        self.count = 0
        self._source: list | None = None

    def sync(self, points: list) -> bool:
        """Show `points`; True when the line changed. The record appends to its lists in place and
        replaces a list when it drops points (a resumed session, a log read again): then it starts over."""
        if points is not self._source or len(points) < self.count:
            self._source, self.count = points, 0
            if not points:
                self.line.setData([], [])
                return True
        new = points[self.count:]
        if not new:
            return False
        end = self.count + len(new)
        if end > len(self._x):
            size = max(end, 2 * len(self._x))
            self._x = np.resize(self._x, size)
            self._y = np.resize(self._y, size)
        block = np.asarray(new, dtype=np.float64)
        self._x[self.count:end], self._y[self.count:end] = block[:, 0], block[:, 1]
        self.count = end
        # Views of the filled part: the values in them never change, later points go past them.
        self.line.setData(self._x[:end], self._y[:end])
        return True

    def bounds(self) -> tuple[float, float, float] | None:
        """(last step, lowest value, highest value), or None without points."""
        if not self.count:
            return None
        y = self._y[:self.count]
        return float(self._x[self.count - 1]), float(y.min()), float(y.max())


def round_up(value: float) -> float:
    """The next 1, 2 or 5 × 10^k at or above `value`."""
    scale = 10.0 ** math.floor(math.log10(value))
    return next(m * scale for m in (1, 2, 5, 10) if m * scale >= value * (1 - 1e-9))


def round_out(low: float, high: float) -> tuple[float, float]:
    """[low, high] widened to round numbers (tenths of the span, rounded), 5 % of the span at least beyond
    the data each way: a falling curve crosses the bottom again only after falling that much more."""
    span = max(high - low, 1e-3 * max(abs(high), 1.0), 1e-6)
    step = round_up(span / 10)
    return (math.floor((low - 0.05 * span) / step) * step, math.ceil((high + 0.05 * span) / step) * step)


def read_grid(path: Path, room: QSize) -> tuple:
    """(path, room, the grid, the grid scaled to `room`); both None when it cannot be read (being
    replaced this instant)."""
    image = QImageReader(str(path)).read()
    if image.isNull():
        return path, room, None, None
    return path, room, image, scaled_to(image, room)


def scaled_to(image: QImage, room: QSize) -> QImage:
    if room.width() < 1 or room.height() < 1:
        return image
    # Pixels drawn as crisp blocks when enlarged; smoothed only when the grid must shrink.
    shrink = image.width() > room.width() or image.height() > room.height()
    mode = Qt.TransformationMode.SmoothTransformation if shrink else Qt.TransformationMode.FastTransformation
    return image.scaled(room, Qt.AspectRatioMode.KeepAspectRatio, mode)


class GridPicture(QLabel):
    """The latest sample grid, as large as its room allows (the room never grows to fit the grid).
    `show_file(path)` reads it off the GUI thread; `shown` says when it is up."""

    shown = Signal(object)          # the path now shown
    missed = Signal(object)         # a path that could not be read (being replaced): ask again later

    def __init__(self):
        super().__init__()
        self._image = QImage()
        self._job: FunctionJob | None = None
        self._asked: Path | None = None
        # Under its title (the step it shows), not adrift in the middle of a tall room.
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(120, 120)
        self.setObjectName("dropArea")

    def show_file(self, path: Path) -> None:
        """Read `path` in the background; a newer grid asked for meanwhile replaces it."""
        if self._job is not None:
            self._job.cancel()
        room = self.contentsRect().size()
        # No parent: a job must outlive this widget while its thread runs (jobs.py keeps it till then).
        # The last one stays referenced here until the next, so none is freed inside its own signal.
        job = FunctionJob(lambda _job: read_grid(path, room), "reading a sample grid")
        job.done.connect(self._arrived)
        job.failed.connect(self._failed)
        self._asked, self._job = path, job
        job.start()

    def _arrived(self, found: tuple) -> None:
        path, room, image, scaled = found
        if path != self._asked:
            return
        if image is None:
            self.missed.emit(path)
            return
        self._image = image
        if room != self.contentsRect().size():
            self._fit()       # resized meanwhile
        else:
            with timed("grid show"):
                self.setPixmap(QPixmap.fromImage(scaled))
        self.shown.emit(path)

    def _failed(self, _message: str) -> None:
        self.missed.emit(self._asked)

    def shutdown(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _fit(self) -> None:
        if self._image.isNull():
            return
        with timed("grid scale"):
            self.setPixmap(QPixmap.fromImage(scaled_to(self._image, self.contentsRect().size())))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()
