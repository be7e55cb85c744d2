"""The blind-spot lesson: the gated network and the original PixelCNN side by side, same target,
same layer, each under one sentence in large type. The long explanation folds under "Details".
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from .explorer_canvas import FieldCanvas

NAMES = {"gated": "Gated PixelCNN", "original": "Original PixelCNN"}


def lesson_sentence(variant: str, stats, layer: int | None, layers: int) -> str:
    """One short sentence an audience reads from the back of the room, from the field's statistics."""
    where = "output" if layer is None else f"layer {layer}"
    if variant == "gated":
        return (f"<b>{NAMES[variant]}</b>, {where}: two stacks, vertical and horizontal, see all "
                f"{stats.seen} earlier pixels in reach. No gap.")
    if stats.blind:
        return (f"<b>{NAMES[variant]}</b>, {where}: one masked stack misses {stats.blind} pixels up and "
                "to the right: the <b>blind spot</b>.")
    return (f"<b>{NAMES[variant]}</b>, {where}: sees {stats.seen} earlier pixels. Press → and watch a gap "
            "open up and to the right.")


def caption_label() -> QLabel:
    label = QLabel()
    label.setObjectName("lesson")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
    return label


class Column:
    """One network's half of the lesson: its caption and its grid."""

    def __init__(self, canvas: FieldCanvas):
        self.canvas, self.caption = canvas, caption_label()

    def setVisible(self, on: bool) -> None:
        self.canvas.setVisible(on)
        self.caption.setVisible(on)


class LessonPair(QWidget):
    """The explorer's canvas and, beside it, the other variant's at the same target and layer.
    Captions share a row above the grids, so the two grids line up whatever the sentences' lengths."""

    def __init__(self, canvas: FieldCanvas, parent=None):
        super().__init__(parent)
        other_canvas = FieldCanvas()
        other_canvas.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.main, self.other = Column(canvas), Column(other_canvas)
        self.other_canvas = other_canvas
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for column, half in enumerate((self.main, self.other)):
            grid.addWidget(half.caption, 0, column)
            grid.addWidget(half.canvas, 1, column)
            grid.setColumnStretch(column, 1)
        grid.setRowStretch(1, 1)

    def set_comparing(self, on: bool) -> None:
        self.other.setVisible(on)
