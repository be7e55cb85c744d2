"""The explorer's grid: the core's field picture, scaled by a whole number, and clickable.

The picture is rendered by render.field_picture at exactly the cell size that fits, so what is on
screen is pixel for pixel what an export contains, and every image pixel is a square of equal
device pixels, crisp when projected.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...render.colours import EARLIER, GRID, LATER
from ...render.field_picture import FieldPicture, render_grid

# The field grid's neutral cells in the light theme (the stacks' colours stay as they are).
LIGHT_NEUTRALS = {LATER: (236, 238, 242), EARLIER: (196, 201, 211), GRID: (255, 255, 255)}


def themed(rgb: np.ndarray, light: bool) -> np.ndarray:
    """The rendered grid with its dark neutral cells swapped for light ones in the light theme."""
    if not light:
        return rgb
    out = rgb.copy()
    for dark, bright in LIGHT_NEUTRALS.items():
        out[np.all(rgb == np.array(dark, dtype=np.uint8), axis=-1)] = bright
    return out


class FieldCanvas(QWidget):
    pixel_clicked = Signal(int, int)           # row, col
    pixel_hovered = Signal(int, int)           # (-1, -1) off the grid
    nudged = Signal(int, int)                  # arrow keys: rows, columns to move the target by

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 160)
        self.setCursor(Qt.CursorShape.CrossCursor)
        # Arrow keys move the target: a presenter can walk it across the image from the keyboard.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._picture: FieldPicture | None = None
        self._rendered: tuple | None = None      # (cell, QImage, the array it borrows)
        self._message = ""
        self._busy = False
        self._theme = None

    # -- state ---------------------------------------------------------------------------------
    def set_picture(self, picture: FieldPicture | None) -> None:
        self._picture, self._rendered = picture, None
        self.update()

    def picture(self) -> FieldPicture | None:
        return self._picture

    def set_message(self, text: str) -> None:
        self._message = text
        self.update()

    def set_theme(self, pal) -> None:
        self._theme = pal
        self._rendered = None
        self.update()

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.update()

    # -- geometry ------------------------------------------------------------------------------
    def cell_size(self) -> int:
        if self._picture is None:
            return 0
        return max(1, min(self.width() // self._picture.width, self.height() // self._picture.height))

    def grid_rect(self) -> QRect:
        if self._picture is None:
            return QRect()
        cell = self.cell_size()
        w, h = cell * self._picture.width, cell * self._picture.height
        # At the top: the grid sits under its caption (side by side, both grids start level).
        return QRect((self.width() - w) // 2, 0, w, h)

    def cell_center(self, row: int, col: int) -> QPoint:
        """Where pixel (row, col) is on screen: for tests, and for anything that points at it."""
        rect, cell = self.grid_rect(), self.cell_size()
        return QPoint(rect.left() + col * cell + cell // 2, rect.top() + row * cell + cell // 2)

    def pixel_at(self, pos) -> tuple[int, int] | None:
        if self._picture is None:
            return None
        rect, cell = self.grid_rect(), self.cell_size()
        x, y = int(pos.x()) - rect.left(), int(pos.y()) - rect.top()
        if not (0 <= x < rect.width() and 0 <= y < rect.height()):
            return None
        return y // cell, x // cell

    # -- events --------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            hit = self.pixel_at(event.position())
            if hit is not None:
                self.pixel_clicked.emit(*hit)
                return
        super().mousePressEvent(event)

    def keyPressEvent(self, event) -> None:
        steps = {Qt.Key.Key_Left: (0, -1), Qt.Key.Key_Right: (0, 1), Qt.Key.Key_Up: (-1, 0), Qt.Key.Key_Down: (1, 0)}
        step = steps.get(Qt.Key(event.key()))
        if step is None:
            super().keyPressEvent(event)
        else:
            self.nudged.emit(*step)

    def mouseMoveEvent(self, event) -> None:
        hit = self.pixel_at(event.position())
        if event.buttons() & Qt.MouseButton.LeftButton and hit is not None:
            self.pixel_clicked.emit(*hit)       # dragging sweeps the target across the image
        self.pixel_hovered.emit(*(hit or (-1, -1)))
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:
        self.pixel_hovered.emit(-1, -1)
        super().leaveEvent(event)

    def resizeEvent(self, event) -> None:
        self._rendered = None
        super().resizeEvent(event)

    def _image(self) -> QImage | None:
        cell = self.cell_size()
        if self._picture is None or cell < 1:
            return None
        if self._rendered is None or self._rendered[0] != cell:
            light = self._theme is not None and self._theme.name == "light"
            rgb = np.ascontiguousarray(themed(render_grid(self._picture, cell), light))
            image = QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0], QImage.Format.Format_RGB888)
            self._rendered = (cell, image, rgb)
        return self._rendered[1]

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        image = self._image()
        if image is not None:
            painter.drawImage(self.grid_rect().topLeft(), image)
            # A rim: the dark "not yet" cells would otherwise melt into a dark window.
            painter.setPen(QColor(110, 116, 130))
            painter.drawRect(self.grid_rect().adjusted(-1, -1, 0, 0))
        text = self._message or ("computing…" if self._busy else "")
        if text:
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 1.1)
            painter.setFont(font)
            metrics = painter.fontMetrics()
            box = metrics.boundingRect(text).adjusted(-10, -6, 10, 6)
            box.moveTopLeft(QPoint(self.grid_rect().left() + 8, self.grid_rect().top() + 8))
            painter.fillRect(box, QColor(0, 0, 0, 170))
            painter.setPen(QColor(240, 240, 240))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
