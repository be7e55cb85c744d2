"""The portrait panel's parts: the drop zone that shows a picture and takes drops, and the strip
that says what went wrong (with the centre-crop fallback). The Interpolation tab's ends use the drop
zone too.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QFrame, QProgressBar, QPushButton, QSizePolicy, QVBoxLayout

from ..common.panels import message_label
from ..common.pictures import KEEP_ASPECT, SMOOTH, mime_has_picture, picture_from_drop
from ..common.plain import plain_label

BOX_COLOUR = "#ffd54a"


class DropZone(QFrame):
    """A framed area that shows a picture and takes drops of files or image data."""
    dropped = Signal(object)        # a path or a PIL image
    rejected = Signal(str)          # why a drop could not be used

    def __init__(self, hint: str, height: int = 130, parent=None):
        super().__init__(parent)
        self._pixmap = self._box = None
        self.setObjectName("dropZone")
        self.setAcceptDrops(True)
        self.setMinimumHeight(height)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(height)
        self._style(False)
        self.picture = plain_label(hint)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setWordWrap(True)
        self.picture.setStyleSheet("background: transparent; color: #8f99ad;")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)                # indeterminate: dlib gives no progress
        self.busy.setTextVisible(False)
        self.busy.setFixedHeight(6)
        self.busy.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.busy)
        self._hint = hint
        self._height = height
        self._pixmap = self._box = None

    def _style(self, hovering: bool) -> None:
        colour = "rgba(95, 150, 240, 0.95)" if hovering else "rgba(140, 150, 170, 0.55)"
        self.setStyleSheet(f"QFrame#dropZone {{ border: 2px dashed {colour}; border-radius: 8px; "
                           "background: rgba(128, 128, 128, 0.06); }")

    def show_pixmap(self, pixmap, box=None) -> None:
        """Show a picture, with `box` (left, top, right, bottom in its pixels) framed at screen resolution."""
        self._pixmap, self._box = pixmap, box
        self.setFixedHeight(self._height)
        self._fit()

    def clear(self, hint: str | None = None) -> None:
        self._pixmap, self._box = None, None
        self.picture.clear()
        self.picture.setText(hint or self._hint)
        self.setFixedHeight(self._height)
        self._fit_text()

    def _fit_text(self) -> None:
        """Tall enough for the hint in the type and width it has (large type wraps it to more lines)."""
        picture = getattr(self, "picture", None)         # (a style change comes during construction)
        if picture is not None and self._pixmap is None and picture.width() > 0:
            need = picture.heightForWidth(picture.width()) + 12
            if max(self._height, need) != self.height():
                self.setFixedHeight(max(self._height, need))

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange):
            self._fit_text()

    def _fit(self) -> None:
        if self._pixmap is None:
            self._fit_text()
            return
        size = self.picture.size() - QSize(2, 2)
        shown = self._pixmap.scaled(size.expandedTo(QSize(16, 16)), KEEP_ASPECT, SMOOTH)
        if self._box is not None:
            scale = shown.width() / max(1, self._pixmap.width())
            left, top, right, bottom = (round(v * scale) for v in self._box)
            painter = QPainter(shown)
            painter.setPen(QPen(QColor(BOX_COLOUR), 2))
            painter.drawRect(left, top, right - left, bottom - top)
            painter.end()
        self.picture.setPixmap(shown)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def dragEnterEvent(self, event) -> None:
        if mime_has_picture(event.mimeData()):
            self._style(True)
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if mime_has_picture(event.mimeData()):
            event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:
        self._style(False)

    def dropEvent(self, event) -> None:
        self._style(False)
        source = picture_from_drop(event, self.rejected.emit)
        if source is not None:
            self.dropped.emit(source)


def distance_text(distance: float) -> str:
    """Two decimals, or two significant digits for the tiny distances of a collapsed code."""
    return f"{distance:.2f}" if distance >= 0.01 or distance == 0 else f"{distance:.1e}"


class ErrorStrip(QFrame):
    """A message in the panel (styled like the window's banner), with the centre-crop fallback when it applies."""
    centre_crop = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.text = message_label()
        self.centre_button = QPushButton("Use the centre crop anyway")
        self.centre_button.setToolTip("Embed the middle of the picture, unaligned: the face network may still "
                                      "make something of it")
        self.centre_button.clicked.connect(self.centre_crop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.text)
        layout.addWidget(self.centre_button)
        self.hide()

    def show_message(self, text: str, kind: str = "error", centre_crop: bool = False) -> None:
        self.setProperty("kind", "info" if kind == "info" else "error")
        self.style().unpolish(self)
        self.style().polish(self)
        self.text.setText(text)
        self.centre_button.setVisible(centre_crop)
        self.show()
