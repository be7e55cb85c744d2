"""The Train tab's curves: training and held-out bits/dim against the step, drawn as cheaply as a busy
machine needs. The GUI thread shares the cores with the run it shows, so each update must be short:

- the points are appended to arrays that grow (a point a second for hours), never rebuilt from the
  record's lists, and pyqtgraph draws at most a point per pixel of a long curve;
- the axes are painted once into a cache and reused while the ranges stay: re-rendering the tick
  labels and the grid was most of each redraw's time;
- so the ranges move rarely: the step axis grows by round steps ahead of the curve, the bits/dim
  axis widens in round steps when a point leaves it and narrows only when the curve fills half of it.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem

from ..common.distribution import static_plot

STEP_HEADROOM = 1.25     # the step axis reaches this far past the last point when it grows


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


class RunCurves:
    """The plot with its two lines; `show(record)` after the record has new points."""

    def __init__(self):
        self.plot = static_plot(120, "step", "bits/dim")
        item = self.plot.getPlotItem()
        item.addLegend(offset=(-10, 10))
        item.showGrid(x=False, y=True, alpha=0.25)
        item.enableAutoRange(False)
        for name in ("left", "bottom"):
            item.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        # Grid lines at the labelled values and halfway between, not the faint third level: four
        # lines in five of a redraw's grid went to lines too faint to see.
        item.getAxis("left").setStyle(maxTickLevel=1)
        self.train_line = self.plot.plot([], [], name="training (last second)")
        self.train_line.setDownsampling(auto=True, method="peak")
        self.test_line = self.plot.plot([], [], name="held-out (EMA)", symbol="o", symbolSize=7)
        self.train = GrowingCurve(self.train_line)
        self.test = GrowingCurve(self.test_line)
        self._x_top = 1.0
        self._y_range: tuple[float, float] | None = None     # none yet: the first points set it

    def show(self, record) -> None:
        changed = self.train.sync(record.train_curve)
        changed = self.test.sync(record.test_curve) or changed
        if changed:
            self._fit(record.total_steps)

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
        self._set_range(x_top, y_range)

    def _set_range(self, x_top: float, y_range: tuple[float, float]) -> None:
        if x_top == self._x_top and y_range == self._y_range:
            return
        self._x_top, self._y_range = x_top, y_range
        # A little room at the edges: the held-out point of a run's last step is a whole circle.
        self.plot.getPlotItem().getViewBox().setRange(xRange=(0.0, x_top), yRange=y_range, padding=0.02)


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
