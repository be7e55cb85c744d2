"""Persistent user settings (QSettings), with a throwaway INI file when testing.

PIXELCNN_STUDIO_SETTINGS=test keeps tests from reading or clobbering a developer's real
settings; any other non-empty value is taken as the path of an INI file to use.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings

from ...paths import settings_file

MAX_RECENT = 8
# Where versions before the one-INI-file layout kept their settings: Qt's native place for this
# organisation and application (~/.config/PixelCNN Studio/PixelCNN Studio.conf on Linux, the
# registry on Windows, a property list on macOS).
LEGACY_NAMES = ("PixelCNN Studio", "PixelCNN Studio")

_test_file: str | None = None
_legacy_checked = False


def settings() -> QSettings:
    mode = os.environ.get("PIXELCNN_STUDIO_SETTINGS", "")
    if mode == "test":
        global _test_file
        if _test_file is None:
            _test_file = str(Path(tempfile.mkdtemp(prefix="pixelcnn-studio-settings-")) / "settings.ini")
        return QSettings(_test_file, QSettings.Format.IniFormat)
    if mode:
        return QSettings(mode, QSettings.Format.IniFormat)
    # One INI file where the platform keeps settings (paths.settings_file), the same on every system.
    global _legacy_checked
    path = settings_file()
    first_use = not _legacy_checked and not path.exists()
    _legacy_checked = True
    current = QSettings(str(path), QSettings.Format.IniFormat)
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


def _as_list(value) -> list[str]:
    # INI files hand back a single-item list as a plain string, and an empty one as None.
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def get(key: str, default=None, kind=None):
    value = settings().value(key, default)
    if kind is None or value is None:
        return value
    try:
        if kind is bool:
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
        return kind(value)
    except (TypeError, ValueError):
        return default


def put(key: str, value) -> None:
    s = settings()
    s.setValue(key, value)
    s.sync()


def recent_files() -> list[str]:
    return _as_list(settings().value("models/recent"))


def add_recent(path: str) -> list[str]:
    path = str(Path(path).resolve())
    files = [path] + [f for f in recent_files() if f != path]
    put("models/recent", files[:MAX_RECENT])
    return files[:MAX_RECENT]


def remove_recent(path: str) -> list[str]:
    path = str(Path(path).resolve())
    files = [f for f in recent_files() if f != path]
    put("models/recent", files)
    return files
