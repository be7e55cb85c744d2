"""The Train tab's picture: the curves of training and held-out bits/dim, and the latest sample grid.

Folded (presentation mode, Large text) the curves keep a compact legend: short names on one row, in
type a projector shows, so that it neither hides the curves nor needs the speaker to explain it.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy

from ..common.distribution import set_plot_type, static_plot, theme_plot

# The legend's words: in full at a desk, short on stage (the tooltip of the tab says the rest).
LEGEND_NAMES = {False: ("training (last second)", "held-out (EMA)"), True: ("training", "held-out (EMA)")}
LEGEND_TYPE = {False: "9pt", True: "13pt"}


class Curves:
    """The bits/dim plot: training (about one point a second) and held-out (one per evaluation)."""

    def __init__(self):
        self.plot = static_plot(120, "step", "bits/dim")
        item = self.plot.getPlotItem()
        self.legend = item.addLegend(offset=(-10, 10))
        item.showGrid(x=False, y=True, alpha=0.25)
        self.train_line = self.plot.plot([], [], name=LEGEND_NAMES[False][0])
        self.test_line = self.plot.plot([], [], name=LEGEND_NAMES[False][1], symbol="o", symbolSize=7)

    def show(self, train_points, test_points) -> None:
        self.train_line.setData(*_xy(train_points))
        self.test_line.setData(*_xy(test_points))

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


def _xy(points) -> tuple[np.ndarray, np.ndarray]:
    if not points:
        return np.zeros(0), np.zeros(0)
    arr = np.asarray(points, dtype=np.float64)
    return arr[:, 0], arr[:, 1]


class GridPicture(QLabel):
    """The latest sample grid, as large as its room allows (the room never grows to fit the grid)."""

    def __init__(self):
        super().__init__()
        self._pixmap = QPixmap()
        # Under its title (the step it shows), not adrift in the middle of a tall room.
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(120, 120)
        self.setObjectName("dropArea")

    def set_picture(self, pixmap: QPixmap) -> None:
        self._pixmap = pixmap
        self._fit()

    def _fit(self) -> None:
        if self._pixmap.isNull():
            return
        room = self.contentsRect().size()
        # Pixels drawn as crisp blocks when enlarged; smoothed only when the grid must shrink.
        shrink = self._pixmap.width() > room.width() or self._pixmap.height() > room.height()
        mode = Qt.TransformationMode.SmoothTransformation if shrink else Qt.TransformationMode.FastTransformation
        self.setPixmap(self._pixmap.scaled(room, Qt.AspectRatioMode.KeepAspectRatio, mode))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()
