"""Where things live: the package's own files (style sheets, icons, bundled models) and the
user's data, caches and settings.

Package files are found with importlib.resources, so a plain `pip install .` or a wheel works from
any folder: the wheel carries the repository's top-level resources/ and models/ inside the package.
Run from the source tree (PYTHONPATH, an editable install), they are found at the repository's top.
User folders follow the platform's rules: the XDG base directories on Linux and other Unix systems,
~/Library on macOS, %APPDATA% and %LOCALAPPDATA% on Windows. This module imports neither torch nor
Qt: the command line uses it before deciding whether to load either.
"""
from __future__ import annotations

import os
import stat
import sys
from importlib import resources
from pathlib import Path

from .errors import UserError

APP_DIR = "pixelcnn-studio"
MODELS_ENV = "PIXELCNN_STUDIO_MODELS"     # another folder of bundled models (tests, a shared drive)
DATA_ENV = "PIXELCNN_STUDIO_DATA"         # another datasets folder
# The model the app opens when given none; the first bundled model when it is missing.
DEFAULT_MODELS = ("fashion-mnist", "mnist")
CHECKPOINT_SUFFIX = ".pt"


# -- the package's own files ---------------------------------------------------------------

def package_folder(name: str) -> Path:
    """A folder of package data as a real path: Qt style sheets, icons and torch.load need one."""
    found = resources.files("pixelcnn_studio") / name
    try:
        path = Path(os.fspath(found))
    except TypeError:
        # Only a zipped install lands here (pip never makes one): extract once for the session.
        return _extracted(name)
    if not path.exists():
        # Not installed: in the source tree the folder sits at the repository's top, beside the package.
        repository = Path(os.fspath(resources.files("pixelcnn_studio"))).parent
        if (repository / "pyproject.toml").is_file() and (repository / name).exists():
            return repository / name
    return path


_extractions: dict[str, Path] = {}


def _extracted(name: str) -> Path:
    if name not in _extractions:
        import atexit
        import contextlib
        stack = contextlib.ExitStack()
        atexit.register(stack.close)
        _extractions[name] = Path(stack.enter_context(resources.as_file(resources.files("pixelcnn_studio") / name)))
    return _extractions[name]


def resources_dir() -> Path:
    """Style sheets, icons and the sample portraits."""
    return package_folder("resources")


def resource(name: str) -> Path:
    return resources_dir() / name


def bundled_models_dir() -> Path:
    override = os.environ.get(MODELS_ENV)
    return Path(override) if override else package_folder("models")


def bundled_model_entries() -> list[Path]:
    """Every `*.pt` name in the models folder, readable or not (a link to nothing, a pipe)."""
    folder = bundled_models_dir()
    try:
        return sorted(folder.glob(f"*{CHECKPOINT_SUFFIX}")) if folder.is_dir() else []
    except OSError:                      # a folder that vanished or loops while being listed
        return []


def bundled_models() -> list[Path]:
    """The models folder's checkpoints that are regular files: one dangling link never hides the rest."""
    found = []
    for path in bundled_model_entries():
        try:
            if stat.S_ISREG(path.stat().st_mode):
                found.append(path)
        except OSError:
            continue
    return found


def bundled_model_names() -> list[str]:
    return [path.stem for path in bundled_models()]


def bundled_model(name: str) -> Path | None:
    """The bundled checkpoint called `name` (with or without .pt), or None."""
    stem = name[: -len(CHECKPOINT_SUFFIX)] if name.endswith(CHECKPOINT_SUFFIX) else name
    for path in bundled_models():
        if path.stem == stem:
            return path
    return None


def default_model() -> Path | None:
    for name in DEFAULT_MODELS:
        path = bundled_model(name)
        if path is not None:
            return path
    models = bundled_models()
    return models[0] if models else None


def resolve_checkpoint(text: str) -> str:
    """A checkpoint argument as a path: an existing file wins, then a bundled model's name.

    Anything that looks like a path is handed on unchanged, so the loader names the file and its
    problem; a bare word that is neither a file nor a bundled model gets the list of names.
    """
    if not text or Path(text).expanduser().exists():
        return text
    path = bundled_model(text)
    if path is not None:
        return str(path)
    looks_like_path = os.sep in text or "/" in text or text.endswith(CHECKPOINT_SUFFIX)
    if looks_like_path:
        return text
    names = ", ".join(bundled_model_names()) or "none installed"
    raise UserError(f"{text}: no such file, and no bundled model of that name (bundled: {names})")


# -- the user's folders --------------------------------------------------------------------

# kind -> (folder under ~/Library on macOS, Windows variable and its usual folder, XDG variable and its default)
_HOMES = {
    "data": ("Application Support", "APPDATA", "AppData/Roaming", "XDG_DATA_HOME", ".local/share"),
    "cache": ("Caches", "LOCALAPPDATA", "AppData/Local", "XDG_CACHE_HOME", ".cache"),
    "config": ("Preferences", "APPDATA", "AppData/Roaming", "XDG_CONFIG_HOME", ".config"),
}


def _platform_home(kind: str) -> Path:
    mac, win_variable, win_default, xdg_variable, xdg_default = _HOMES[kind]
    if sys.platform == "darwin":
        return Path.home() / "Library" / mac
    if sys.platform == "win32":
        return Path(os.environ.get(win_variable) or Path.home() / win_default)
    value = os.environ.get(xdg_variable, "")
    # The XDG spec says a relative or empty value is to be ignored.
    return Path(value) if value and os.path.isabs(value) else Path.home() / xdg_default


def data_home() -> Path:
    """The platform's folder for user data (launcher entries live under it on Linux)."""
    return _platform_home("data")


def cache_home() -> Path:
    return _platform_home("cache")


def config_home() -> Path:
    return _platform_home("config")


def user_data_dir() -> Path:
    return data_home() / APP_DIR


def cache_dir() -> Path:
    return cache_home() / APP_DIR


def datasets_dir() -> Path:
    """Downloaded and decoded datasets: $PIXELCNN_STUDIO_DATA, else the cache's data folder."""
    override = os.environ.get(DATA_ENV)
    return Path(override).expanduser() if override else cache_dir() / "data"


def embeddings_cache_dir() -> Path:
    """Face-network embeddings of training sets, computed once per user."""
    return cache_dir() / "embeddings"


def settings_file() -> Path:
    return config_home() / APP_DIR / "settings.ini"
