"""What each saved setting and scene may hold: one schema, so that no value can lock the app out.

A settings file is text anyone can edit, and an old or newer version writes its own values: a word
where a number belongs (`speed=fast`), a list or a `@Rect(...)` that Qt's INI reader turns into
other types, Infinity, a path that loops. Every value is read through its field here: one that does
not fit gives that field's default and a note (shown once in the status bar), never an exception.
"""
from __future__ import annotations

import json
import math
import re

from PySide6.QtCore import QByteArray

from ...core.plan import MAX_IMAGES

SETTINGS_VERSION = 1
MAX_RECENT = 8
MAX_PATH_CHARS = 4_096
MAX_SCENE_CHARS = 8_000_000        # a scene may hold a drawing and a picture (PNG as text)
SCENE_KEY = re.compile(r"^scenes/[1-9]$")


class Invalid(ValueError):
    """A saved value that does not fit its field; the message says how, for the note."""


def _describe(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _number(value, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise Invalid(f"{_describe(value)} is not a number")
    try:
        number = float(value)
    except ValueError:
        raise Invalid(f"{_describe(value)} is not a number") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise Invalid(f"{_describe(value)} is outside {low:g}..{high:g}")
    return number


def _integer(value, low: int, high: int) -> int:
    number = _number(value, low, high)
    if not number.is_integer():
        raise Invalid(f"{_describe(value)} is not a whole number")
    return int(number)


def _path_text(value) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_PATH_CHARS or "\0" in value:
        raise Invalid(f"{_describe(value)} is not a file path")
    return value


def _choice(options):
    def read(value):
        if value not in options:
            raise Invalid(f"{_describe(value)} is not one of {', '.join(options)}")
        return value
    return read


def _speed(value):
    if value in ("max", None):
        return "max"
    return _number(value, 0.01, 1e6)


def _geometry(value):
    if not isinstance(value, QByteArray) or value.isEmpty() or value.size() > 4_096:
        raise Invalid(f"{_describe(value)} is not a saved window place")
    return value


def _recent(value) -> list[str]:
    """A list of paths, cut to the newest MAX_RECENT (a file with thousands would slow every start)."""
    if value is None or value == "":
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise Invalid(f"{_describe(value)} is not a list of files")
    paths = []
    for item in items[:MAX_RECENT * 4]:
        try:
            path = _path_text(item)
        except Invalid:
            continue                      # one bad entry costs that entry, not the list
        if path not in paths:
            paths.append(path)
        if len(paths) == MAX_RECENT:
            break
    return paths


def read_scene(value) -> dict | None:
    """A stored scene's JSON as a dict, its fields checked by the window (gui/shell/keys.py read_scene);
    None when there is none. Text that is no JSON object, holds NaN or Infinity, or is too long to
    be a scene does not fit."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_SCENE_CHARS:
        raise Invalid(f"{_describe(value)} is not a stored scene")
    try:
        scene = json.loads(value, parse_constant=lambda word: _raise(Invalid(f"{word} in a scene")))
    except (ValueError, RecursionError) as exc:
        raise Invalid(f"is not a stored scene ({str(exc)[:60]})") from None
    if not isinstance(scene, dict):
        raise Invalid("is not a stored scene (not a set of named values)")
    return scene


def _raise(error):
    raise error


# key -> (reader, default). Folders are remembered for file dialogs: a bad one gives the caller's default.
FIELDS = {
    "view/theme": (_choice(("dark", "light")), "dark"),
    "run/speed": (_speed, "max"),
    "run/temperature": (lambda v: _number(v, 0.05, 3.0), 1.0),
    "run/batch": (lambda v: _integer(v, 1, MAX_IMAGES), 16),
    "window/geometry": (_geometry, None),
    "models/recent": (_recent, []),
    "models/last": (_path_text, None),
    "models/folder": (_path_text, None),
    "export/folder": (_path_text, None),
    "portraits/folder": (_path_text, None),
    "settings/version": (lambda v: _integer(v, 0, 10**6), SETTINGS_VERSION),
}


def field_for(key: str):
    if SCENE_KEY.match(key):
        return read_scene, None
    return FIELDS.get(key)
