"""Presenter keys that never trap a speaker: fields keep their keys, and scenes to come back to.

Window shortcuts are single keys (Space, →, R, digits) so that a talk can be driven from a
clicker or a keyboard. While a text or number field has focus those keys belong to the field:
typing 8 in the Images box must not pick class 8. Enter and Escape in a field hand the keys back
to the view. Scenes (Ctrl+1…9 store, Alt+1…9 recall) keep what a speaker wants to show again:
the model, class, seed, temperature, step, tab and view, the fields tab's layer, target and mode,
and the drawing and the picture scored, across restarts.
"""
from __future__ import annotations

import base64
import io
import json

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit

from ..common import settings
from .state import TABS, VIEWS

SCENE_FIELDS = ("class_index", "per_class", "seed", "temperature", "tab", "view", "box")
FIELD_MODES, FIELD_VARIANTS = ("exact", "effective"), ("gated", "original")
# A scene's pictures are stored at the model's size (a 64x64 colour picture is a few kB of PNG);
# anything larger in a settings file is not one of ours.
MAX_PICTURE_SIDE = 256
MAX_PICTURE_TEXT = 400_000
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


def picture_text(picture) -> str:
    """A uint8 (C, H, W) picture as base64 PNG text (small: it is at the model's size)."""
    from PIL import Image
    array = np.asarray(picture, dtype=np.uint8)
    image = Image.fromarray(array[0] if array.shape[0] == 1 else array.transpose(1, 2, 0),
                            "L" if array.shape[0] == 1 else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def picture_from_text(text) -> np.ndarray | None:
    """The uint8 (C, H, W) picture of `picture_text`, or None for anything else."""
    if not isinstance(text, str) or len(text) > MAX_PICTURE_TEXT:
        return None
    from PIL import Image
    try:
        image = Image.open(io.BytesIO(base64.b64decode(text, validate=True)))
        if image.format != "PNG" or max(image.size) > MAX_PICTURE_SIDE:
            return None
        image = image.convert("L" if image.mode in ("1", "L", "LA", "I", "I;16") else "RGB")
        array = np.asarray(image, dtype=np.uint8)
    except (ValueError, OSError):
        return None
    return np.ascontiguousarray(array[None] if array.ndim == 2 else array.transpose(2, 0, 1))


def _int(value, low: int, high: int):
    return int(value) if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high else None


def read_scene(raw) -> dict | None:
    """A stored scene through one schema: each value of the right type and range, or left out (the
    window then keeps what it has). None when it is no scene at all."""
    if not isinstance(raw, dict):
        return None
    scene = {}
    if isinstance(raw.get("model"), str):
        scene["model"] = raw["model"]
    for name in ("class_index", "step"):
        value = _int(raw.get(name), 0, 2**40)
        if value is not None:
            scene[name] = value
    seed = _int(raw.get("seed"), 0, 2**31)
    if seed is not None:
        scene["seed"] = seed
    if isinstance(raw.get("temperature"), (int, float)) and not isinstance(raw.get("temperature"), bool) \
            and 0.0 < raw["temperature"] <= 10.0:
        scene["temperature"] = float(raw["temperature"])
    if isinstance(raw.get("per_class"), bool):
        scene["per_class"] = raw["per_class"]
    box = raw.get("box")
    if isinstance(box, (list, tuple)) and len(box) == 4 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and 0.0 <= v <= 1.0 for v in box):
        scene["box"] = tuple(float(v) for v in box)
    if raw.get("tab") in TABS:
        scene["tab"] = raw["tab"]
    if raw.get("view") in VIEWS:
        scene["view"] = raw["view"]
    fields = raw.get("fields")
    if isinstance(fields, dict):
        kept = {}
        layer = _int(fields.get("layer"), 0, 10_000)
        if layer is not None:
            kept["layer"] = layer
        target = fields.get("target")
        if isinstance(target, list) and len(target) == 2 and all(_int(v, 0, 100_000) is not None for v in target):
            kept["target"] = (target[0], target[1])
        channel = _int(fields.get("channel"), 0, 2)
        if channel is not None:
            kept["channel"] = channel
        if fields.get("mode") in FIELD_MODES:
            kept["mode"] = fields["mode"]
        if fields.get("variant") in FIELD_VARIANTS:
            kept["variant"] = fields["variant"]
        scene["fields"] = kept
    drawing = raw.get("drawing")
    if isinstance(drawing, dict) and picture_from_text(drawing.get("png")) is not None:
        scene["drawing"] = {"png": drawing["png"], "keep_rows": _int(drawing.get("keep_rows"), 0, MAX_PICTURE_SIDE)}
    picture = raw.get("picture")
    if isinstance(picture, dict) and picture_from_text(picture.get("png")) is not None:
        name = picture.get("name") if isinstance(picture.get("name"), str) else "the stored picture"
        scene["picture"] = {"png": picture["png"], "name": name[:200]}
    return scene


class Scenes:
    """Ctrl+digit stores the window's scene in slot digit; Alt+digit recalls it."""

    def __init__(self, window):
        self.window = window

    @staticmethod
    def _key(slot: int) -> str:
        return f"scenes/{int(slot)}"

    def capture(self) -> dict:
        """What the window shows now, as plain values (the scene a Ctrl+digit stores)."""
        w = self.window
        state = w.state
        scene = {name: getattr(state, name) for name in SCENE_FIELDS}
        frame = w.session.frame
        scene["step"] = int(frame.done_steps) if frame is not None else 0
        scene["model"] = w.model_path
        explorer = w.explorer
        if explorer is not None and explorer.layer is not None:
            scene["fields"] = {"layer": int(explorer.layer), "target": [int(v) for v in explorer.target],
                               "channel": int(explorer.channel), "mode": explorer.mode, "variant": explorer.variant}
        tools = w.picture_tools
        pad = tools.draw.pad
        if not pad.is_blank():
            scene["drawing"] = {"png": picture_text(pad.model_view()), "keep_rows": int(pad.keep_rows)}
        if tools.surprise.prepared is not None:
            scene["picture"] = {"png": picture_text(tools.surprise.prepared.array),
                                "name": tools.surprise.picture_name}
        return scene

    def store(self, slot: int) -> dict:
        scene = self.capture()
        settings.put(self._key(slot), json.dumps(scene))
        self.window.statusBar().showMessage(f"Scene {slot} stored (Alt+{slot} brings it back).", 5000)
        return scene

    def get(self, slot: int) -> dict | None:
        return read_scene(settings.get(self._key(slot)))   # JSON checked in settings_schema, fields here

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
        changes = {k: scene[k] for k in SCENE_FIELDS if k in scene and k not in ("tab", "view")}
        try:
            w.state.update(**changes)
        except (ValueError, AttributeError, TypeError, OverflowError):
            return
        if scene.get("view") in VIEWS:
            w.set_view(scene["view"])
        fields = scene.get("fields")
        if fields:
            self._apply_fields(fields)
        tools = w.picture_tools
        if "drawing" in scene:
            picture = picture_from_text(scene["drawing"]["png"])
            tools.draw.put_stored(picture)
            if scene["drawing"].get("keep_rows") is not None:
                tools.draw.pad.set_keep_rows(scene["drawing"]["keep_rows"])
        if "picture" in scene:
            from PIL import Image
            picture = picture_from_text(scene["picture"]["png"])
            image = Image.fromarray(picture[0] if picture.shape[0] == 1 else picture.transpose(1, 2, 0))
            tools.surprise.score(image, scene["picture"]["name"])
        if scene.get("tab") in TABS:
            w.show_tab(TABS.index(scene["tab"]))
        step = int(scene.get("step") or 0)
        w.new_run(paused=True)
        if step > 0:
            w.session.run_until(step)

    def _apply_fields(self, fields: dict) -> None:
        explorer = self.window.ensure_explorer()
        if "variant" in fields:
            explorer.set_variant(fields["variant"])
        cfg = self.window.loaded.config if self.window.loaded is not None else None
        if "target" in fields and cfg is not None:
            row, col = fields["target"]
            explorer.set_target(min(row, cfg.height - 1), min(col, cfg.width - 1))
        if "channel" in fields:
            explorer.set_channel(fields["channel"])
        if "layer" in fields:
            explorer.set_layer(fields["layer"])
        if "mode" in fields:
            explorer.set_mode(fields["mode"])
