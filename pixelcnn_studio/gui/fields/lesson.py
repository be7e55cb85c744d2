"""The blind-spot lesson: the gated network and the original PixelCNN side by side, same target,
same layer, each under one sentence in large type. The long explanation folds under "Details".
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from ...core.field_analysis import field_stats, pixel_field
from ...core.receptive import COMBINED
from .canvas import FieldCanvas
from ..common.plain import plain_label

NAMES = {"gated": "Gated PixelCNN", "original": "Original PixelCNN"}


def how_to_get(message: str) -> str:
    """The ways to get a missing dataset from its error, for a user: no source-tree scripts, and
    the home folder written as ~."""
    ways = [line.split(":", 1)[1].strip() for line in message.splitlines()
            if line.strip().startswith(("Get it with:", "or:")) and ":" in line]
    ways = [w.replace(str(Path.home()), "~") for w in ways if "scripts/" not in w and "source tree" not in w]
    return (" To get them: " + "; or ".join(ways) + ".") if ways else ""


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
    label = plain_label()
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
        grid.setHorizontalSpacing(max(12, self.fontMetrics().height()))   # two grids, read as two
        for column, half in enumerate((self.main, self.other)):
            grid.addWidget(half.caption, 0, column)
            grid.addWidget(half.canvas, 1, column)
            grid.setColumnStretch(column, 1)
        grid.setRowStretch(1, 1)

    def set_comparing(self, on: bool) -> None:
        self.other.setVisible(on)


class LessonViews:
    """Mixed into ReceptiveFieldExplorer: the pair of grids, the layer keys, the folding panel."""

    def set_panel_shown(self, shown: bool) -> None:
        """Presentation mode folds the control panel away: the fields are the hero, and ←/→, clicks
        and the captions carry the lesson."""
        self._scroll.setVisible(shown)

    @property
    def comparing(self) -> bool:
        return self.panel.compare_toggle.isChecked() and self._mode == "exact"

    def _on_compare(self, on: bool) -> None:
        self._update_enabled()
        self._redraw()

    def step_layer(self, delta: int) -> None:
        """←/→ on the tab: one layer down or up (the output comes after the last layer)."""
        slider = self.layer_slider
        slider.setValue(min(slider.maximum(), max(slider.minimum(), slider.value() + delta)))

    def _redraw_lesson(self, fields) -> None:
        """The other network beside this one, and one sentence under each (exact fields only)."""
        comparing = self.comparing
        self.lesson.set_comparing(comparing)
        main, other = self.lesson.main, self.lesson.other
        main.caption.setVisible(self._mode == "exact")
        if self._mode != "exact":
            return
        layers = self._config.layers
        if fields is not None:
            stats = field_stats(pixel_field(fields[COMBINED]), self._target)
            main.caption.setText(lesson_sentence(self._variant, stats, self._layer, layers))
        if not comparing:
            return
        variant = "original" if self._variant == "gated" else "gated"
        other_fields = self.fields_at(self._layer, variant)
        if other_fields is not None:
            other.canvas.set_picture(self.picture(variant=variant, exact=True))
            stats = field_stats(pixel_field(other_fields[COMBINED]), self._target)
            other.caption.setText(lesson_sentence(variant, stats, self._layer, layers))
        other.canvas.set_busy(other_fields is None)
