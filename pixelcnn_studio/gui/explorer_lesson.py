"""The blind-spot lesson: the gated network and the original PixelCNN side by side, same target,
same layer, each under one sentence in large type. The long explanation folds under "Details".
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .explorer_canvas import FieldCanvas

NAMES = {"gated": "Gated PixelCNN", "original": "Original PixelCNN"}


def lesson_sentence(variant: str, stats, layer: int | None, layers: int) -> str:
    """One sentence an audience reads from the back of the room, from the field's statistics."""
    where = "at the output" if layer is None else f"after layer {layer}"
    if variant == "gated":
        return (f"<b>{NAMES[variant]}</b> {where}: a vertical stack (rows above) feeds a horizontal stack "
                f"(this row, to the left): it sees {stats.seen} of {stats.earlier} earlier pixels, "
                "with no gap.")
    if stats.blind:
        return (f"<b>{NAMES[variant]}</b> {where}: one masked stack misses {stats.blind} earlier pixels "
                "above and to the right, the <b>blind spot</b>, and no depth fixes that.")
    return (f"<b>{NAMES[variant]}</b> {where}: one masked stack sees {stats.seen} of {stats.earlier} earlier "
            "pixels; step on a layer (→) and watch a gap open above and to the right.")


class FieldColumn(QWidget):
    """A field grid under its one-sentence caption."""

    def __init__(self, canvas: FieldCanvas, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        self.caption = QLabel()
        self.caption.setObjectName("lesson")
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(canvas, 1)


class LessonPair(QWidget):
    """The explorer's canvas and, beside it, the other variant's at the same target and layer."""

    def __init__(self, canvas: FieldCanvas, parent=None):
        super().__init__(parent)
        self.main = FieldColumn(canvas)
        self.other_canvas = FieldCanvas()
        self.other_canvas.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.other = FieldColumn(self.other_canvas)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.main, 1)
        layout.addWidget(self.other, 1)

    def set_comparing(self, on: bool) -> None:
        self.other.setVisible(on)
