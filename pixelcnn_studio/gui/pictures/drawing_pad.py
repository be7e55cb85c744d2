"""A drawing pad at a whole multiple of the model's size: pen and eraser with a size, undo, clear,
and a line across it that can be dragged to say how many rows a completion keeps.

The pad paints in the model's own convention (light ink on black for MNIST-style models, dark on
white otherwise), so a sample or a prepared picture put on it comes back unchanged: every model
pixel is a PAD_SCALE x PAD_SCALE block, and `model_view()` averages the blocks.
"""
from __future__ import annotations

from collections import deque

import numpy as np
from PIL import Image
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..common.pictures import mime_has_picture, picture_from_drop

PAD_SCALE = 10          # pad pixels per model pixel
UNDO_DEPTH = 40
LINE_GRAB_PX = 8        # how near the line (in screen pixels) a press takes the line instead of drawing


def carried_over(picture: np.ndarray, channels: int, height: int, width: int, *, invert: bool) -> np.ndarray:
    """A uint8 (C, H, W) picture made fit for another model: its size, its channels, its paper."""
    c = picture.shape[0]
    image = Image.fromarray(picture[0] if c == 1 else picture.transpose(1, 2, 0), "L" if c == 1 else "RGB")
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    image = image.convert("L" if channels == 1 else "RGB")
    array = np.asarray(image, dtype=np.uint8)
    array = array[None] if channels == 1 else array.transpose(2, 0, 1)
    return np.ascontiguousarray(255 - array if invert else array)


class DrawingPad(QWidget):
    changed = Signal()              # a stroke ended, or undo / clear / a new picture
    picture_dropped = Signal(object)  # a path or PIL image dropped on the pad
    drop_rejected = Signal(str)       # why a drop could not be used
    rows_changed = Signal(int)      # rows kept above the line

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 160)
        self.setMouseTracking(True)
        self.channels, self.height_px, self.width_px = 1, 28, 28
        self.paper, self.ink = QColor(0, 0, 0), QColor(255, 255, 255)
        self.pen_size = 2           # in model pixels
        self.erasing = False
        self.keep_rows = 14
        self._undo: deque[QImage] = deque(maxlen=UNDO_DEPTH)
        self._last: QPointF | None = None
        self._dragging_line = False
        self.image = QImage()
        self.configure(1, 28, 28, dark_paper=True)

    # -- set-up ---------------------------------------------------------------------------------------
    def configure(self, channels: int, height: int, width: int, *, dark_paper: bool, keep: bool = False) -> str:
        """A pad for a model of this shape; light ink on dark paper when `dark_paper`.

        With `keep`, what is drawn stays: as it is for a model of the same shape and paper (undo
        included), else carried over (rescaled, turned grey or colour, its ink kept light or dark as
        the new paper asks). Returns a note saying what was done to the drawing ("" when nothing)."""
        old_shape = (self.channels, self.height_px, self.width_px)
        same_paper = (self.paper == QColor(0, 0, 0)) == dark_paper
        drawing = None if not keep or self.image.isNull() or self.is_blank() else self.model_view()
        if drawing is not None and old_shape == (channels, height, width) and same_paper:
            return ""
        self.channels, self.height_px, self.width_px = channels, height, width
        self.paper = QColor(0, 0, 0) if dark_paper else QColor(255, 255, 255)
        self.ink = QColor(255, 255, 255) if dark_paper else QColor(0, 0, 0)
        self.image = QImage(width * PAD_SCALE, height * PAD_SCALE, QImage.Format.Format_RGB888)
        self.image.fill(self.paper)
        self._undo.clear()
        self.keep_rows = min(self.keep_rows, height) if self.keep_rows else height // 2
        note = ""
        if drawing is not None:
            self.set_model_picture(carried_over(drawing, channels, height, width, invert=not same_paper))
            self._undo.clear()
            if old_shape[1:] != (height, width):
                note = (f"The drawing was rescaled from {old_shape[2]}×{old_shape[1]} to {width}×{height} "
                        "pixels for this model.")
            elif not same_paper:
                note = "The drawing's ink was turned over for this model's paper."
        self.update()
        self.changed.emit()
        return note

    def set_model_picture(self, picture: np.ndarray) -> None:
        """Put a model-sized uint8 (C, H, W) picture on the pad (undoable)."""
        picture = np.asarray(picture, dtype=np.uint8)
        if picture.shape != (self.channels, self.height_px, self.width_px):
            raise ValueError(f"a {picture.shape} picture does not fit a {self.channels}x{self.height_px}x"
                             f"{self.width_px} pad")
        self._remember()
        rgb = np.repeat(picture, 3, axis=0) if self.channels == 1 else picture
        big = np.ascontiguousarray(rgb.transpose(1, 2, 0).repeat(PAD_SCALE, 0).repeat(PAD_SCALE, 1))
        h, w = big.shape[:2]
        self.image = QImage(big.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self.update()
        self.changed.emit()

    def set_keep_rows(self, rows: int) -> None:
        rows = int(min(max(0, rows), self.height_px))
        if rows != self.keep_rows:
            self.keep_rows = rows
            self.update()
            self.rows_changed.emit(rows)

    # -- reading --------------------------------------------------------------------------------------
    def pad_array(self) -> np.ndarray:
        """The pad as (H*k, W*k, 3) uint8."""
        image = self.image.convertToFormat(QImage.Format.Format_RGB888)
        w, h, line = image.width(), image.height(), image.bytesPerLine()
        data = np.frombuffer(image.constBits(), dtype=np.uint8, count=line * h).reshape(h, line)
        return np.array(data[:, : 3 * w].reshape(h, w, 3))

    def picture(self) -> Image.Image:
        """The pad as a PIL picture, for a model's own preparation (an auto-encoder's digit crop)."""
        rgb = self.pad_array()
        return Image.fromarray(rgb[..., 0] if self.channels == 1 else rgb, "L" if self.channels == 1 else "RGB")

    def model_view(self) -> np.ndarray:
        """The pad at the model's size, uint8 (C, H, W): each model pixel the mean of its block."""
        rgb = self.pad_array().astype(np.float64)
        blocks = rgb.reshape(self.height_px, PAD_SCALE, self.width_px, PAD_SCALE, 3).mean(axis=(1, 3))
        chw = np.rint(blocks).astype(np.uint8).transpose(2, 0, 1)
        return np.ascontiguousarray(chw[:1] if self.channels == 1 else chw)

    def is_blank(self) -> bool:
        return bool((self.pad_array() == self.pad_array()[0, 0]).all())

    # -- editing --------------------------------------------------------------------------------------
    def _remember(self) -> None:
        self._undo.append(self.image.copy())

    def undo(self) -> bool:
        if not self._undo:
            return False
        self.image = self._undo.pop()
        self.update()
        self.changed.emit()
        return True

    def clear(self) -> None:
        self._remember()
        self.image.fill(self.paper)
        self.update()
        self.changed.emit()

    def can_undo(self) -> bool:
        return bool(self._undo)

    def stroke(self, points: list[tuple[float, float]]) -> None:
        """Draw one stroke through pad-pixel points with the current tool (what the mouse does; also
        for scripts and tests)."""
        self._remember()
        for a, b in zip(points, points[1:] or points):
            self._segment(QPointF(*a), QPointF(*b))
        self.update()
        self.changed.emit()

    def _segment(self, a: QPointF, b: QPointF) -> None:
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(self.paper if self.erasing else self.ink, self.pen_size * PAD_SCALE)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.drawLine(a, b)
        painter.end()

    # -- screen geometry ------------------------------------------------------------------------------
    def _target(self) -> QRectF:
        side = min(self.width() / self.image.width(), self.height() / self.image.height())
        w, h = self.image.width() * side, self.image.height() * side
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def _to_pad(self, pos) -> QPointF:
        t = self._target()
        return QPointF((pos.x() - t.x()) * self.image.width() / t.width(),
                       (pos.y() - t.y()) * self.image.height() / t.height())

    def _line_y(self) -> float:
        t = self._target()
        return t.y() + t.height() * self.keep_rows / self.height_px

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        t = self._target()
        p.drawImage(t, self.image)
        y = self._line_y()
        # Below the line is what a completion samples again: dimmed, so the kept rows stand out.
        p.fillRect(QRectF(t.x(), y, t.width(), t.bottom() - y), QColor(70, 110, 200, 70))
        p.setPen(QPen(QColor(240, 200, 40), 2, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(t.x(), y), QPointF(t.right(), y))
        label = f"{self.keep_rows} row{'s' if self.keep_rows != 1 else ''} kept  ·  drag the line"
        # On a dark plate, so the label reads over any drawing; below the line when at the very top.
        metrics = p.fontMetrics()
        box = QRectF(0, 0, metrics.horizontalAdvance(label) + 10, metrics.height() + 4)
        box.moveTopRight(QPointF(t.right() - 2, y - box.height() - 2 if y - box.height() - 2 >= t.y() else y + 2))
        p.fillRect(box, QColor(20, 22, 28, 200))
        p.setPen(QColor(240, 200, 40))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        p.end()

    # -- mouse ----------------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if abs(event.position().y() - self._line_y()) <= LINE_GRAB_PX:
            self._dragging_line = True
            return
        self._remember()
        self._last = self._to_pad(event.position())
        self._segment(self._last, self._last)
        self.update()

    def mouseMoveEvent(self, event) -> None:
        near = abs(event.position().y() - self._line_y()) <= LINE_GRAB_PX
        self.setCursor(Qt.CursorShape.SizeVerCursor if near or self._dragging_line else Qt.CursorShape.CrossCursor)
        if self._dragging_line:
            t = self._target()
            self.set_keep_rows(round((event.position().y() - t.y()) / t.height() * self.height_px))
        elif self._last is not None:
            point = self._to_pad(event.position())
            self._segment(self._last, point)
            self._last = point
            self.update()

    def mouseReleaseEvent(self, event) -> None:
        if self._dragging_line:
            self._dragging_line = False
        elif self._last is not None:
            self._last = None
            self.changed.emit()

    # -- drops ----------------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if mime_has_picture(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        source = picture_from_drop(event, self.drop_rejected.emit)
        if source is not None:
            self.picture_dropped.emit(source)
