"""Persistent user settings (QSettings), read through one schema, with a throwaway INI file when testing.

PIXELCNN_STUDIO_SETTINGS=test keeps tests from reading or clobbering a developer's real
settings; any other non-empty value is taken as the path of an INI file to use.

Every value is read through its field in settings_schema.py: one that does not fit gives that
field's default and a note, never an exception, so a hand-edited or foreign file can never keep the
app from opening. The file itself is looked at before Qt reads it: a named pipe or a folder in its
place is left alone (settings then live for this session only), and a symbolic link is replaced by
a regular file holding the same settings, so that saving never writes through the link.
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings

from ...paths import settings_file
from ...core.safe_text import shown
from .settings_schema import MAX_RECENT, SETTINGS_VERSION, Invalid, field_for

MAX_SETTINGS_BYTES = 1_000_000
# Where versions before the one-INI-file layout kept their settings: Qt's native place for this
# organisation and application (~/.config/PixelCNN Studio/PixelCNN Studio.conf on Linux, the
# registry on Windows, a property list on macOS).
LEGACY_NAMES = ("PixelCNN Studio", "PixelCNN Studio")

_test_file: str | None = None
_legacy_checked = False


_notes: list[str] = []
_noted: set[str] = set()
_usable: dict[str, str] = {}          # a settings path -> the file actually used for it


def note(key: str, text: str) -> None:
    """Remember, once per key, why a setting was not used; the window shows the notes at start."""
    if key not in _noted:
        _noted.add(key)
        _notes.append(text)


def take_notes() -> list[str]:
    found = list(_notes)
    _notes.clear()
    return found


def _session_file() -> str:
    return str(Path(tempfile.mkdtemp(prefix="pixelcnn-studio-settings-")) / "settings.ini")


def usable_file(path: str) -> str:
    """`path` once it is safe for Qt to read and write, else a file for this session only.
    Looked at once per path: a FIFO would block the reader, a folder cannot be read, a link would
    be written through (it is replaced by a regular copy of what it pointed at)."""
    if path in _usable:
        return _usable[path]
    used, name = path, shown(path, 120)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        mode, used = None, _session_file()
        note("file", f"Settings: cannot read {name} ({exc.strerror}); changes last this session only.")
    if mode is not None and stat.S_ISLNK(mode):
        used = _replace_link(path, name)
    elif mode is not None and not stat.S_ISREG(mode):
        used = _session_file()
        note("file", f"Settings: {name} is not a regular file; changes last this session only.")
    elif mode is not None and os.stat(path).st_size > MAX_SETTINGS_BYTES:
        used = _session_file()
        note("file", f"Settings: {name} is larger than a settings file can be; it is not read this session.")
    _usable[path] = used
    return used


def _replace_link(path: str, name: str) -> str:
    """A regular file in place of the link at `path`, holding what the link's target held (when that
    is a regular file of settings size), written beside it and renamed over the link."""
    content = b""
    try:
        target = os.stat(path)
        if stat.S_ISREG(target.st_mode) and target.st_size <= MAX_SETTINGS_BYTES:
            with open(path, "rb") as f:
                content = f.read(MAX_SETTINGS_BYTES)
    except OSError:
        pass                                # a link to nothing, or a loop: start from empty settings
    try:
        fd, tmp = tempfile.mkstemp(prefix=".settings.", suffix=".ini", dir=os.path.dirname(path) or ".")
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
    except OSError as exc:
        note("file", f"Settings: {name} is a link that cannot be replaced ({exc.strerror}); "
                     "changes last this session only.")
        return _session_file()
    note("file", f"Settings: {name} was a link; it is now a file of its own (saving never writes through a link).")
    return path


def settings() -> QSettings:
    mode = os.environ.get("PIXELCNN_STUDIO_SETTINGS", "")
    if mode == "test":
        global _test_file
        if _test_file is None:
            _test_file = _session_file()
        return QSettings(_test_file, QSettings.Format.IniFormat)
    if mode:
        return QSettings(usable_file(mode), QSettings.Format.IniFormat)
    # One INI file where the platform keeps settings (paths.settings_file), the same on every system.
    global _legacy_checked
    path = settings_file()
    first_use = not _legacy_checked and not os.path.lexists(path)
    _legacy_checked = True
    current = QSettings(usable_file(str(path)), QSettings.Format.IniFormat)
    if first_use:
        adopt_legacy_settings(current)
    return current


def adopt_legacy_settings(target: QSettings) -> int:
    """Copy the settings an earlier version kept in Qt's native place into `target`, once.

    A user who upgrades keeps their recent models, theme, scenes and window place. The old
    settings are left where they are (an older version may still be run); returns how many keys
    were copied.
    """
    legacy = QSettings(*LEGACY_NAMES)
    keys = legacy.allKeys()
    for key in keys:
        target.setValue(key, legacy.value(key))
    if keys:
        target.sync()
    return len(keys)


def get(key: str, default=None, kind=None):
    """The saved value of `key` as its schema field reads it; its default (or `default`) and a note
    when what is saved does not fit. Keys outside the schema are read as before, converted by `kind`."""
    try:
        value = settings().value(key)
    except Exception:                      # noqa: BLE001 - a value Qt cannot even hand back
        value = None
    field = field_for(key)
    if field is None:
        if kind is None or value is None:
            return default if value is None else value
        try:
            return kind(value)
        except (TypeError, ValueError, OverflowError):
            return default
    read, fallback = field
    if value is None:
        return fallback if default is None else default
    try:
        return read(value)
    except Invalid as exc:
        note(key, f"Settings: {key} {exc}; using the default.")
        return fallback if default is None else default


def put(key: str, value) -> None:
    s = settings()
    s.setValue(key, value)
    if key != "settings/version":
        s.setValue("settings/version", SETTINGS_VERSION)
    s.sync()


def check_version() -> None:
    """A file written by a newer version: its values are still read field by field; said once."""
    saved = get("settings/version")
    if isinstance(saved, int) and saved > SETTINGS_VERSION:
        note("version", f"Settings were saved by a newer version (format {saved}); values this one does not "
                        "understand take their defaults.")


def recent_files() -> list[str]:
    return get("models/recent")


def add_recent(path: str) -> list[str]:
    path = safe_resolve(path)
    files = [path] + [f for f in recent_files() if f != path]
    put("models/recent", files[:MAX_RECENT])
    return files[:MAX_RECENT]


def remove_recent(path: str) -> list[str]:
    path = safe_resolve(path)
    files = [f for f in recent_files() if f != path]
    put("models/recent", files)
    return files


def safe_resolve(path) -> str:
    """The absolute, link-free path where it can be found; the plain absolute path for a link that
    loops or a folder that cannot be read (resolving them raises)."""
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError, ValueError):
        return os.path.abspath(str(path))
