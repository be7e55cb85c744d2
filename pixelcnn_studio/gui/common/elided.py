"""A one-line label that cuts its text with "…" to the room it gets, the whole text in its tooltip.

A plain QLabel asks for the width of its text: a long file or class name would set the window's
minimum width. This one asks for nothing, so the window fits a projector whatever it shows.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy

from .plain import tooltip_text


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent=None):
        super().__init__(parent)
        # It paints its text itself, as plain text; the label's own format must agree, or its size
        # hint would lay the text out as markup (and load what an <img> names).
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(tooltip_text(text))

    def minimumSizeHint(self) -> QSize:
        return QSize(1, self.fontMetrics().height() + 2 * self.margin())

    def sizeHint(self) -> QSize:
        return QSize(min(super().sizeHint().width(), 400), super().sizeHint().height())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        rect = self.contentsRect().adjusted(self.margin(), self.margin(), -self.margin(), -self.margin())
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(self.alignment()), shown)
        painter.end()


class LiveLabel(ElidedLabel):
    """An ElidedLabel for a line that changes every second or so (a running job's figures): a new text
    is only repainted. A QLabel's new text lays its window out again, and with it repaints every
    neighbour whose size moves by a pixel (a whole plot, on a busy machine, in the middle of a run)."""

    def __init__(self, text: str = "", parent=None):
        self._live = ""
        super().__init__("", parent)
        self.setText(text)

    def setText(self, text: str) -> None:
        if text == self._live:
            return
        self._live = text
        self.setToolTip(tooltip_text(text))
        self.update()

    def text(self) -> str:
        return self._live

    def sizeHint(self) -> QSize:
        # The same whatever the text: one line of the label's font.
        margins = self.contentsMargins()
        return QSize(400, self.fontMetrics().height() + 2 * self.margin() + margins.top() + margins.bottom())

    def minimumSizeHint(self) -> QSize:
        return QSize(1, self.sizeHint().height())
