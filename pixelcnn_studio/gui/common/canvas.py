"""The sampling canvas: a grid of images drawn large, with crisp (nearest-neighbour) pixels.

Every image pixel is an integer number of device pixels when there is room, so a 28x28
sample projected on a wall has square, equal pixels. Pending pixels show a dim checker,
a pixel whose colour is half sampled shows the channels it has so far (R, then G, then B),
and the sub-pixel just sampled is outlined in its channel's colour.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...core.safe_text import shown
from .theme import Palette, palette

# Characters of a row label (a class name) drawn beside the grid before it is elided.
ROW_LABEL_CHARS = 24
# One row per class keeps its rows only while a tile is at least this tall (logical pixels); thinner
# rows (ten classes in a 720-line window) read as thumbnails, so the grid turns to a column per class.
READABLE_TILE_PX = 56


def image_before_step(image: np.ndarray, index: int) -> np.ndarray:
    """The images as they were before step `index` (raster order, channels within a pixel)."""
    n, C, H, W = image.shape
    flat = image.transpose(0, 2, 3, 1).reshape(n, -1).copy()
    flat[:, max(0, index):] = 0
    return flat.reshape(n, H, W, C).transpose(0, 3, 1, 2)


def grid_shape(n: int, columns: int | None = None) -> tuple[int, int]:
    columns = max(1, min(n, columns or int(math.ceil(math.sqrt(n)))))
    return int(math.ceil(n / columns)), columns


class SampleCanvas(QWidget):
    sample_clicked = Signal(int)
    hovered = Signal(int, int, int)          # sample, row, col; (-1, -1, -1) when off the images

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 240)
        # It fills all of itself: nothing behind it needs drawing first, frame after frame.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._pal: Palette = palette("dark")
        self._image: np.ndarray | None = None        # (n, C, H, W) uint8
        self._levels = 256
        self._done = 0
        self._highlight = -1
        self._columns: int | None = None
        self._slots: list[int] | None = None
        self._row_labels: list[str] | None = None
        self._selected = 0
        self._hover = (-1, -1, -1)
        self._message = ""
        self._hint = ""
        self._qimage: QImage | None = None
        self._rgb: np.ndarray | None = None
        self._checker: np.ndarray | None = None
        self._overlay: QImage | None = None
        self._overlay_data: np.ndarray | None = None   # keeps the overlay QImage's pixels alive
        self._stage: int | None = None                 # stage view: this one sample, large
        # Tools that draw over the tiles (the box of a box model): painter(QPainter, tile rects, scale).
        self._painters: list = []
        self._transposed = False                       # one column per class (see _geometry)

    # -- state -----------------------------------------------------------------------------
    def set_palette(self, pal: Palette) -> None:
        self._pal, self._checker = pal, None
        self._compose()

    def set_layout(self, n: int, channels: int, height: int, width: int, *, columns: int | None = None,
                   row_labels: list[str] | None = None, levels: int = 256, slots: list[int] | None = None) -> None:
        """A fresh, all-pending grid of n images whose values run over 0..levels-1. `slots`: the grid
        cell of each image, where some cells stay empty (the spaces of a typed word)."""
        self._levels = levels
        self._slots = list(slots) if slots and len(slots) == n else None
        self._image = np.zeros((n, channels, height, width), dtype=np.uint8)
        # Class names come from the checkpoint: escaped, and short enough never to set the grid's width.
        self._columns = columns
        self._row_labels = [shown(label, ROW_LABEL_CHARS) for label in row_labels] if row_labels else None
        self._done, self._highlight, self._checker = 0, -1, None
        self._selected = min(self._selected, n - 1)
        self._message = ""
        self._compose()

    def clear(self, message: str) -> None:
        """No images at all: only a message (the empty state)."""
        self._image, self._qimage, self._message = None, None, message
        self.update()

    @property
    def hint(self) -> str:
        return self._hint

    def set_hint(self, text: str) -> None:
        self._hint = text
        self.update()

    def set_frame(self, image: np.ndarray, done_steps: int, highlight: int = -1) -> None:
        if self._image is None or image.shape != self._image.shape:
            self._checker = None
        self._image, self._done, self._highlight = image, done_steps, highlight
        self._compose()

    def set_field_overlay(self, mask) -> None:
        """Tint the pixels of an (H, W) bool mask on every tile (the current sub-pixel's receptive
        field), or clear the tint with None."""
        if mask is None:
            self._overlay = None
        else:
            rgba = np.zeros(mask.shape + (4,), dtype=np.uint8)
            rgba[mask] = (64, 200, 160, 90)            # translucent teal: the field, read over any image
            self._overlay_data = np.ascontiguousarray(rgba)
            h, w = mask.shape
            self._overlay = QImage(self._overlay_data.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
        self.update()

    @property
    def field_overlay_shown(self) -> bool:
        return self._overlay is not None

    def add_painter(self, painter) -> None:
        """`painter(QPainter, [QRectF of each tile shown], image pixels per logical pixel)`, called after
        the tiles and their overlays are drawn."""
        self._painters.append(painter)

    def image_point(self, pos) -> tuple[int, float, float] | None:
        """(sample, x, y) under a widget position, x and y as fractions of the image; None off the images."""
        if self._image is None:
            return None
        geo = self._geometry()
        for i in self._shown():
            rect = self._tile_rect(i, geo)
            if rect.contains(pos):
                return i, (pos.x() - rect.left()) / rect.width(), (pos.y() - rect.top()) / rect.height()
        return None

    def fraction_at(self, sample: int, pos) -> tuple[float, float]:
        """A widget position as (x, y) fractions of sample's tile, clamped to 0..1 (a drag may leave it)."""
        rect = self._tile_rect(sample, self._geometry())
        return (min(1.0, max(0.0, (pos.x() - rect.left()) / rect.width())),
                min(1.0, max(0.0, (pos.y() - rect.top()) / rect.height())))

    def select_sample(self, index: int) -> None:
        """What a click on a sample does: select it and say so."""
        self._selected = index
        self.sample_clicked.emit(index)
        self.update()

    def set_selected(self, index: int) -> None:
        self._selected = index
        if self._stage is not None:
            self._stage = index
        self.update()

    def set_stage(self, on: bool) -> None:
        """Stage view: only the selected sample, as large as the canvas allows."""
        self._stage = self._selected if on else None
        self.update()

    @property
    def staged(self) -> bool:
        return self._stage is not None

    def _shown(self) -> list[int]:
        """The samples drawn, in the order of the grid's slots."""
        n = self.image_count
        if self._stage is not None and n:
            return [min(self._stage, n - 1)]
        return list(range(n))

    @property
    def selected(self) -> int:
        return self._selected

    @property
    def columns(self) -> int | None:
        return self._columns

    @property
    def image_count(self) -> int:
        return 0 if self._image is None else self._image.shape[0]

    # -- composing the pixels ------------------------------------------------------------------
    def _pending_checker(self, H: int, W: int) -> np.ndarray:
        if self._checker is None or self._checker.shape[:2] != (H, W):
            a = np.array(QColor(self._pal.pending_a).getRgb()[:3], dtype=np.uint8)
            b = np.array(QColor(self._pal.pending_b).getRgb()[:3], dtype=np.uint8)
            odd = (np.add.outer(np.arange(H), np.arange(W)) % 2).astype(bool)
            self._checker = np.where(odd[..., None], b, a)
        return self._checker

    def _compose(self) -> None:
        if self._image is None:
            self._qimage = None
            self.update()
            return
        n, C, H, W = self._image.shape
        rgb = self._image.transpose(0, 2, 3, 1)
        rgb = np.repeat(rgb, 3, axis=3) if C == 1 else rgb.copy()
        if self._levels != 256:
            # A model with fewer levels (say 4) would otherwise look almost black.
            rgb = (rgb.astype(np.uint16) * 255 // max(1, self._levels - 1)).astype(np.uint8)
        # A pixel is pending until its first channel is sampled; after that it shows what it has.
        started = np.arange(H * W).reshape(H, W) * C < self._done
        rgb = np.where(started[None, :, :, None], rgb, self._pending_checker(H, W)[None])
        self._rgb = np.ascontiguousarray(rgb.reshape(n * H, W, 3))
        self._qimage = QImage(self._rgb.data, W, n * H, 3 * W, QImage.Format.Format_RGB888)
        self.update()

    # -- geometry -------------------------------------------------------------------------------
    def _geometry(self):
        """(rows, columns, tile size in logical px, gap, origin) for the current widget size.

        One row per class whose rows would be too thin to read (ten classes in a 720-line window)
        turns a quarter: one column per class, its name above it (`self._transposed`)."""
        n, C, H, W = self._image.shape
        staged = self._stage is not None
        cells = self._slots[-1] + 1 if self._slots else n
        rows, cols = grid_shape(1, 1) if staged else grid_shape(cells, self._columns)
        self._transposed = False
        label_w = label_h = 0.0
        if self._row_labels and not staged:
            metrics = self.fontMetrics()
            # A long class name takes at most a fifth of the width; it is elided, not the images shrunk.
            label_w = min(max(metrics.horizontalAdvance(t) for t in self._row_labels), self.width() / 5) + 14
            if rows > 1 and self._fit(rows, cols, H, W, label_w, 0.0, staged)[0] * H < READABLE_TILE_PX:
                turned = self._fit(cols, rows, H, W, 0.0, metrics.height() + 6.0, staged)
                if turned[0] > self._fit(rows, cols, H, W, label_w, 0.0, staged)[0]:
                    self._transposed = True
                    rows, cols, label_w, label_h = cols, rows, 0.0, metrics.height() + 6.0
        scale, gap = self._fit(rows, cols, H, W, label_w, label_h, staged)
        tile_w, tile_h = W * scale, H * scale
        grid_w = cols * tile_w + (cols - 1) * gap + label_w
        grid_h = rows * tile_h + (rows - 1) * gap + label_h
        origin = QPointF(round((self.width() - grid_w) / 2 + label_w), round((self.height() - grid_h) / 2 + label_h))
        return rows, cols, scale, gap, origin

    def _fit(self, rows: int, cols: int, H: int, W: int, label_w: float, label_h: float,
             staged: bool) -> tuple[float, float]:
        """(scale, gap): image pixels to logical pixels, and the gap between tiles, for a grid of
        rows x cols tiles beside labels label_w wide (left) and label_h high (top)."""
        margin = 4.0 if staged else 12.0
        avail_w = max(1.0, self.width() - 2 * margin - label_w)
        avail_h = max(1.0, self.height() - 2 * margin - label_h)
        gap = max(3.0, min(12.0, min(avail_w / cols, avail_h / rows) * 0.05))
        scale = min((avail_w - gap * (cols - 1)) / (cols * W), (avail_h - gap * (rows - 1)) / (rows * H))
        dpr = self.devicePixelRatioF()
        whole = math.floor(scale * dpr) / dpr
        # Whole device pixels per image pixel keep every pixel the same size; but where that would
        # waste more than a sixth of the room (small tiles: many images), size beats evenness.
        # On stage one sample is shown as large as it fits: at 15 device pixels or more a cell, one
        # pixel of unevenness does not show, and snapping would give up to a sixteenth of the height.
        if whole >= 1 and whole >= scale * (5 / 6) and not (staged and whole >= 15):
            scale = whole
        return max(scale, 0.25), gap

    def _tile_rect(self, i: int, geo) -> QRectF:
        """Where sample i is drawn (in stage view, the one sample fills the only slot)."""
        rows, cols, scale, gap, origin = geo
        _, _, H, W = self._image.shape
        if self._stage is not None:
            r, c = 0, 0
        elif getattr(self, "_transposed", False):
            c, r = divmod(i, rows)          # sample i of class c is the r-th of its column
        else:
            r, c = divmod(self._slots[i] if self._slots else i, cols)
        return QRectF(origin.x() + c * (W * scale + gap), origin.y() + r * (H * scale + gap), W * scale, H * scale)

    def hit(self, pos) -> tuple[int, int, int]:
        """(sample, row, col) under a widget position, or (-1, -1, -1)."""
        if self._image is None:
            return -1, -1, -1
        geo = self._geometry()
        n, _, H, W = self._image.shape
        scale = geo[2]
        for i in self._shown():
            rect = self._tile_rect(i, geo)
            if rect.contains(pos):
                row = min(H - 1, int((pos.y() - rect.top()) / scale))
                col = min(W - 1, int((pos.x() - rect.left()) / scale))
                return i, row, col
        return -1, -1, -1

    # -- painting -------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(self._pal.canvas))
        if self._qimage is None:
            self._paint_message(p, self._message)
            return
        n, C, H, W = self._image.shape
        geo = self._geometry()
        scale = geo[2]
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        shown = self._shown()
        for i in shown:
            p.drawImage(self._tile_rect(i, geo), self._qimage, QRectF(0, i * H, W, H))
        if self._overlay is not None:
            for i in shown:
                p.drawImage(self._tile_rect(i, geo), self._overlay)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for i in shown:
            rect = self._tile_rect(i, geo).adjusted(-1.5, -1.5, 1.5, 1.5)
            chosen = i == self._selected and len(shown) > 1
            p.setPen(QPen(QColor(self._pal.selected if chosen else self._pal.frame), 2.5 if chosen else 1.0))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(rect, 2, 2)
        if self._painters:
            tiles = [self._tile_rect(i, geo) for i in shown]
            for painter in self._painters:
                p.save()
                painter(p, tiles, scale)
                p.restore()
        if self._row_labels and self._stage is None:
            self._paint_row_labels(p, geo)
        if 0 <= self._highlight:
            pixel, channel = divmod(self._highlight, C)
            row, col = divmod(pixel, W)
            colour = QColor(self._pal.channel[channel] if C == 3 else self._pal.current)
            width = max(1.5, min(4.0, scale * 0.18))
            p.setPen(QPen(colour, width))
            for i in shown:
                t = self._tile_rect(i, geo)
                p.drawRect(QRectF(t.left() + col * scale, t.top() + row * scale, scale, scale))
        sample, row, col = self._hover
        if sample in shown:
            t = self._tile_rect(sample, geo)
            p.setPen(QPen(QColor(self._pal.text), 1.2, Qt.PenStyle.DashLine))
            p.drawRect(QRectF(t.left() + col * scale, t.top() + row * scale, scale, scale))
        if self._hint:
            self._paint_hint(p)

    def _paint_row_labels(self, p: QPainter, geo) -> None:
        rows, cols, scale, gap, origin = geo
        H, W = self._image.shape[2], self._image.shape[3]
        p.setPen(QColor(self._pal.muted))
        metrics = p.fontMetrics()
        if self._transposed:
            # One column per class: its name above it, elided to the column's width.
            for c, text in enumerate(self._row_labels[:cols]):
                x = origin.x() + c * (W * scale + gap)
                room = int(W * scale + gap)
                box = QRectF(x - gap / 2, origin.y() - metrics.height() - 6, room, metrics.height() + 4)
                p.drawText(box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                           metrics.elidedText(text, Qt.TextElideMode.ElideRight, room))
            return
        room = max(0, int(origin.x() - 10))
        for r, text in enumerate(self._row_labels[:rows]):
            y = origin.y() + r * (H * scale + gap)
            p.drawText(QRectF(0, y, room, H * scale), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       metrics.elidedText(text, Qt.TextElideMode.ElideRight, room))

    def _paint_message(self, p: QPainter, text: str) -> None:
        if not text:
            return
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        p.setFont(font)
        p.setPen(QColor(self._pal.muted))
        p.drawText(self.rect().adjusted(30, 30, -30, -30), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                   text)

    def _paint_hint(self, p: QPainter) -> None:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        p.setFont(font)
        metrics = p.fontMetrics()
        # Wrapped to the canvas's width (large type on a narrow canvas), never cut at its sides.
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        room = max(40, min(metrics.horizontalAdvance(self._hint) + 1, self.width() - 84))
        text = metrics.boundingRect(QRect(0, 0, room, 10 * metrics.height()), int(flags), self._hint)
        w, h = text.width() + 36, text.height() + 18
        box = QRectF((self.width() - w) / 2, self.height() - h - 24, w, h)
        bg = QColor(self._pal.canvas)
        bg.setAlpha(225)
        p.setPen(QPen(QColor(self._pal.frame), 1))
        p.setBrush(bg)
        radius = (metrics.height() + 18) / 2
        p.drawRoundedRect(box, radius, radius)
        p.setPen(QColor(self._pal.text))
        p.drawText(box, flags, self._hint)

    # -- mouse ------------------------------------------------------------------------------------
    def mouseMoveEvent(self, event) -> None:
        hit = self.hit(event.position())
        if hit != self._hover:
            self._hover = hit
            self.hovered.emit(*hit)
            self.update()

    def leaveEvent(self, event) -> None:
        if self._hover != (-1, -1, -1):
            self._hover = (-1, -1, -1)
            self.hovered.emit(-1, -1, -1)
            self.update()

    def mousePressEvent(self, event) -> None:
        sample = self.hit(event.position())[0]
        if sample >= 0 and event.button() == Qt.MouseButton.LeftButton:
            self.select_sample(sample)
