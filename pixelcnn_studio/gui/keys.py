"""Presenter keys that never trap a speaker: fields keep their keys, and scenes to come back to.

Window shortcuts are single keys (Space, →, R, digits) so that a talk can be driven from a
clicker or a keyboard. While a text or number field has focus those keys belong to the field:
typing 8 in the Images box must not pick class 8. Enter and Escape in a field hand the keys back
to the view. Scenes (Ctrl+1…9 store, Alt+1…9 recall) keep what a speaker wants to show again:
the model, class, seed, temperature, step, tab and view, across restarts.
"""
from __future__ import annotations

import json

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit

from . import settings

SCENE_FIELDS = ("class_index", "per_class", "seed", "temperature", "tab", "view", "box")
EDIT_KEYS = {Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape}


def is_text_field(widget) -> bool:
    if isinstance(widget, (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)):
        return not getattr(widget, "isReadOnly", lambda: False)()
    return isinstance(widget, QComboBox) and widget.isEditable()


class FieldKeyGuard(QObject):
    """Installed on the application: keys without Ctrl or Alt go to a focused field, not to shortcuts."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        focus = self.window.focusWidget()
        if focus is None or not is_text_field(focus) or not self.window.isAncestorOf(focus):
            return False
        modifiers = event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier |
                                         Qt.KeyboardModifier.MetaModifier)
        key = Qt.Key(event.key())
        function_key = Qt.Key.Key_F1 <= key <= Qt.Key.Key_F35
        if kind == QEvent.Type.ShortcutOverride:
            if not modifiers and not function_key:
                event.accept()          # the field takes the key; no window shortcut fires
            return False
        if key in EDIT_KEYS and obj is focus:
            # After the field has taken Enter (its value is committed), the keys go back to the view.
            if key == Qt.Key.Key_Escape and isinstance(focus, QAbstractSpinBox):
                focus.interpretText()
            self.window.focus_view()
            return key == Qt.Key.Key_Escape
        return False


class Scenes:
    """Ctrl+digit stores the window's scene in slot digit; Alt+digit recalls it."""

    def __init__(self, window):
        self.window = window

    @staticmethod
    def _key(slot: int) -> str:
        return f"scenes/{int(slot)}"

    def store(self, slot: int) -> dict:
        w = self.window
        state = w.state
        scene = {name: getattr(state, name) for name in SCENE_FIELDS}
        frame = w.session.frame
        scene["step"] = int(frame.done_steps) if frame is not None else 0
        scene["model"] = w.model_path
        settings.put(self._key(slot), json.dumps(scene))
        w.statusBar().showMessage(f"Scene {slot} stored (Alt+{slot} brings it back).", 5000)
        return scene

    def get(self, slot: int) -> dict | None:
        return settings.get(self._key(slot))          # checked field by field (settings_schema.read_scene)

    def recall(self, slot: int) -> bool:
        scene = self.get(slot)
        w = self.window
        if scene is None:
            if not w.show_settings_notes():          # a stored scene that could not be read says why
                w.statusBar().showMessage(f"No scene {slot} yet: Ctrl+{slot} stores one.", 5000)
            return False
        model = scene.get("model") or ""
        if model and model != w.model_path:
            # The scene's model first; the rest once it has loaded (a failed load leaves all as it was).
            def apply(_path, scene=scene):
                w.model_loaded.disconnect(apply)
                self._apply(scene)
            w.model_loaded.connect(apply)
            w.open_checkpoint(model)
            return True
        self._apply(scene)
        return True

    def _apply(self, scene: dict) -> None:
        w = self.window
        changes = {k: scene[k] for k in SCENE_FIELDS if k in scene}
        try:
            w.state.update(**{k: v for k, v in changes.items() if k not in ("tab", "view")})
        except (ValueError, AttributeError, TypeError, OverflowError):
            return
        if "tab" in changes and changes["tab"] in ("sampling", "fields", "interpolation"):
            w.show_tab(("sampling", "fields", "interpolation").index(changes["tab"]))
        if changes.get("view") in ("grid", "stage"):
            w.set_view(changes["view"])
        step = int(scene.get("step") or 0)
        w.new_run(paused=True)
        if step > 0:
            w.session.run_until(step)
