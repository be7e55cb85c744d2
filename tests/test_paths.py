"""Where the package finds its own files and the user's folders, and bundled models by name."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pixelcnn_studio import paths
from pixelcnn_studio.cli import main
from pixelcnn_studio.errors import UserError


def test_package_data_is_found_inside_the_package_or_at_the_top_of_its_source_tree():
    package = paths.package_folder(".").resolve()
    # Installed, resources/ and models/ are inside the package; run from the source tree, beside it.
    home = package if (package / "resources").is_dir() else package.parent
    assert paths.resources_dir().resolve() == home / "resources"
    assert paths.package_folder("models").resolve() == home / "models"
    for name in ("style-dark.qss", "style-light.qss", "icon.svg", "icon.png", "portraits/astronaut.jpg"):
        found = paths.resource(name)
        assert found.is_file(), name
        assert home / "resources" in found.resolve().parents
    names = paths.bundled_model_names()
    assert {"fashion-mnist", "mnist", "emoji"} <= set(names)
    assert paths.default_model().stem == "fashion-mnist"


def test_a_models_folder_can_be_swapped_in(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.MODELS_ENV, str(tmp_path))
    assert paths.bundled_models() == [] and paths.default_model() is None
    (tmp_path / "b.pt").write_bytes(b"")
    (tmp_path / "a.pt").write_bytes(b"")
    assert paths.bundled_model_names() == ["a", "b"]
    assert paths.default_model() == tmp_path / "a.pt"          # no preferred name: the first
    assert paths.bundled_model("b.pt") == tmp_path / "b.pt"


def test_a_checkpoint_argument_is_a_file_first_then_a_bundled_name(tmp_path, monkeypatch):
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    (bundled / "emoji.pt").write_bytes(b"")
    monkeypatch.setenv(paths.MODELS_ENV, str(bundled))
    monkeypatch.chdir(tmp_path)
    assert paths.resolve_checkpoint("emoji") == str(bundled / "emoji.pt")
    (tmp_path / "emoji").write_bytes(b"")                      # a file of that name in this folder wins
    assert paths.resolve_checkpoint("emoji") == "emoji"
    assert paths.resolve_checkpoint("gone/model.pt") == "gone/model.pt"   # a path: the loader names it
    with pytest.raises(UserError, match="no bundled model.*emoji"):
        paths.resolve_checkpoint("emojii")


def test_user_folders_follow_xdg(tmp_path, monkeypatch):
    if paths.sys.platform in ("darwin", "win32"):
        pytest.skip("XDG rules are for Linux and other Unix systems")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for variable in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", paths.DATA_ENV):
        monkeypatch.delenv(variable, raising=False)
    home = tmp_path / "home"
    assert paths.datasets_dir() == home / ".cache" / "pixelcnn-studio" / "data"
    assert paths.embeddings_cache_dir() == home / ".cache" / "pixelcnn-studio" / "embeddings"
    assert paths.settings_file() == home / ".config" / "pixelcnn-studio" / "settings.ini"
    assert paths.user_data_dir() == home / ".local" / "share" / "pixelcnn-studio"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")     # the spec: relative values are ignored
    assert paths.datasets_dir() == tmp_path / "cache" / "pixelcnn-studio" / "data"
    assert paths.settings_file() == home / ".config" / "pixelcnn-studio" / "settings.ini"
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path / "datasets"))
    assert paths.datasets_dir() == tmp_path / "datasets"


def test_commands_take_a_bundled_name_from_any_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "m.npy"
    assert main(["sample", "mnist", "--n", "1", "--class", "3", "--out", str(out)]) == 0
    assert np.load(out).shape == (1, 1, 28, 28)
    capsys.readouterr()
    assert main(["info", "emoji"]) == 0
    assert "emoji.pt" in capsys.readouterr().out
    assert main(["info", "no-such-model"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no bundled model" in err and "fashion-mnist" in err


def test_models_lists_every_bundled_model_with_its_card(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "fashion-mnist (default)" in out and "Noto emoji, 9 categories, 32x32 RGB" in out
    assert main(["models", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == set(paths.bundled_model_names())
    for row in rows.values():
        assert row["description"] and row["size_mb"] > 0 and 0 < row["test_bits_per_dim"] < 8


QUICK_PATHS = [["--help"], ["--version"], ["sample", "--help"], ["sample"], ["sample", "x", "--n", "many"],
               ["no-such-command"], ["info", "no-such-model"]]


@pytest.mark.parametrize("argv", QUICK_PATHS, ids=" ".join)
def test_help_version_and_mistakes_never_import_torch(argv):
    code = ("import sys\nfrom pixelcnn_studio.cli import main\n"
            f"try:\n    status = main({argv!r})\nexcept SystemExit as exit:\n    status = exit.code\n"
            "print('torch' in sys.modules, status)")
    env = {**os.environ, "PYTHONPATH": str(Path(paths.__file__).parents[1])}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    imported, status = result.stdout.split()[-2:]
    assert imported == "False", result.stderr
    assert status == ("0" if argv[-1] in ("--help", "--version") else "2"), result.stderr


def test_settings_of_an_earlier_version_are_adopted_once(tmp_path, monkeypatch, qapp):
    """An upgrade keeps the user's settings: those in Qt's native place are copied into the new file."""
    from PySide6.QtCore import QSettings
    from pixelcnn_studio.gui.common import settings as gui_settings
    native = tmp_path / "native"
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(native))
    try:
        old = QSettings(*gui_settings.LEGACY_NAMES)
        old.setValue("view/theme", "light")
        old.setValue("models/recent", ["/models/a.pt", "/models/b.pt"])
        old.sync()
        assert (native / "PixelCNN Studio" / "PixelCNN Studio.conf").is_file()
        monkeypatch.delenv("PIXELCNN_STUDIO_SETTINGS", raising=False)
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
        monkeypatch.setattr(gui_settings, "_legacy_checked", False)
        assert gui_settings.get("view/theme") == "light"
        assert gui_settings.recent_files() == ["/models/a.pt", "/models/b.pt"]
        new_file = tmp_path / "config" / "pixelcnn-studio" / "settings.ini"
        assert new_file.is_file()
        # Once the new file exists, later changes to the old place are not copied again.
        old.setValue("view/theme", "dark")
        old.sync()
        monkeypatch.setattr(gui_settings, "_legacy_checked", False)
        assert gui_settings.get("view/theme") == "light"
    finally:
        QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope,
                          str(Path.home() / ".config"))


def test_the_whole_held_out_split_is_the_figure_shown_when_a_run_scored_it():
    from pixelcnn_studio.core.card import metric_bits_per_dim
    # The curve's part of the split says 0.70; all of it 0.73: the whole split is the honest figure.
    assert metric_bits_per_dim({"test_bpd": 0.70, "best_test_bpd": 0.70, "test_bpd_full": 0.73}) == \
        ("test_bpd_full", 0.73)
    assert metric_bits_per_dim({"test_bpd": 0.70, "train_bpd": 0.8}) == ("test_bpd", 0.70)
    assert metric_bits_per_dim({"test_bpd": 0.70, "test_bpd_full": True}) == ("test_bpd", 0.70)
