"""Saved settings and scenes never lock the app out; writes replace links instead of following them."""
import json
import os
import time

import pytest
from PySide6.QtCore import QByteArray, QRect

from pixelcnn_studio.gui.common import settings
from pixelcnn_studio.gui.common.settings_schema import MAX_RECENT, read_scene
from test_gui_plain_text import PipeWatch

BAD_INI = """[run]
speed=fast
temperature=1,2
batch=@Rect(0 0 10 10)
[view]
theme=purple
[window]
geometry=hello
[settings]
version=99
"""


@pytest.fixture
def settings_at(tmp_path, monkeypatch):
    """Point the app at a settings file of the test's making (and forget what was seen before)."""
    def use(path):
        monkeypatch.setenv("PIXELCNN_STUDIO_SETTINGS", str(path))
        monkeypatch.setattr(settings, "_usable", {})
        monkeypatch.setattr(settings, "_notes", [])
        monkeypatch.setattr(settings, "_noted", set())
        return path
    return use


@pytest.mark.parametrize("key, value", [
    ("run/speed", "fast"), ("run/temperature", ["1", "2"]), ("run/batch", QRect(0, 0, 10, 10)),
    ("run/temperature", "inf"), ("run/temperature", "nan"), ("run/batch", "1e400"), ("run/batch", 2.5),
    ("view/theme", "purple"), ("window/geometry", "hello"), ("models/recent", QRect(1, 2, 3, 4)),
    ("scenes/1", "{not json"), ("scenes/2", json.dumps([1, 2])), ("scenes/3", "x" * 100_000),
])
def test_a_value_that_does_not_fit_gives_its_default_and_a_note(key, value, settings_at, tmp_path):
    settings_at(tmp_path / "settings.ini")
    settings.put(key, value)
    default = {"run/speed": "max", "run/temperature": 1.0, "run/batch": 16, "view/theme": "dark",
               "models/recent": []}.get(key)
    assert settings.get(key) == default
    notes = settings.take_notes()
    assert len(notes) == 1 and key in notes[0] and "default" in notes[0]


def test_scenes_keep_the_fields_that_fit():
    from pixelcnn_studio.gui.shell.keys import read_scene as scene_fields
    scene = scene_fields(read_scene('{"temperature": 0.7, "seed": "text", "tab": "nowhere", "step": 1e999}'))
    assert scene == {"temperature": 0.7}
    for text in ('{"temperature": Infinity}', '{"seed": NaN}', "[" * 100_000, "x" * 9_000_000):
        with pytest.raises(ValueError):
            read_scene(text)


def test_the_app_opens_on_a_file_full_of_bad_values(open_window, settings_at, tmp_path):
    path = settings_at(tmp_path / "settings.ini")
    path.write_text(BAD_INI)
    window = open_window(None)
    assert window.state.speed is None and window.state.temperature == 1.0 and window.state.batch == 16
    assert "Settings:" in window.statusBar().currentMessage()


def test_five_thousand_recent_entries_are_capped_and_fast(open_window, settings_at, tmp_path):
    path = settings_at(tmp_path / "settings.ini")
    entries = ", ".join(f"/nowhere/model-{i}.pt" for i in range(5000))
    loop = tmp_path / "loop.pt"
    os.symlink(tmp_path / "loop2.pt", loop)
    os.symlink(loop, tmp_path / "loop2.pt")
    path.write_text(f"[models]\nrecent={loop}, {entries}\n")
    started = time.perf_counter()
    window = open_window(None)
    window.refresh_model_list()
    assert time.perf_counter() - started < 10
    assert len(settings.recent_files()) == MAX_RECENT and settings.recent_files()[0] == str(loop)
    settings.add_recent(str(loop))          # a link that loops is kept as written, not resolved


def test_scenes_with_bad_fields_are_recalled_without_an_error(open_window, settings_at, tmp_path):
    settings_at(tmp_path / "settings.ini")
    loop = tmp_path / "a.pt"
    os.symlink(tmp_path / "b.pt", loop)
    os.symlink(loop, tmp_path / "b.pt")
    window = open_window(None)
    settings.put("scenes/1", '{"temperature": Infinity, "seed": 3}')
    settings.put("scenes/2", '{"seed": "text", "temperature": "hot", "class_index": 1e999}')
    settings.put("scenes/3", json.dumps({"model": str(loop), "seed": 5}))
    for slot in (1, 2, 3):
        window.scenes.recall(slot)
    assert window.loaded is None or window.banner.isVisible()
    assert window.state.temperature == 1.0


def test_a_named_pipe_as_the_settings_file_is_left_alone(open_window, settings_at, tmp_path):
    fifo = settings_at(tmp_path / "settings.ini")
    os.mkfifo(fifo)
    watch = PipeWatch(fifo)
    try:
        window = open_window(None)
        settings.put("view/theme", "light")
        assert settings.get("view/theme") == "light"          # kept for this session
        assert "not a regular file" in window.statusBar().currentMessage()
        assert watch.readers == 0
    finally:
        watch.close()


def test_a_linked_settings_file_is_replaced_not_written_through(settings_at, tmp_path):
    victim = tmp_path / "victim.ini"
    victim.write_text("[view]\ntheme=light\n")
    link = settings_at(tmp_path / "settings.ini")
    link.symlink_to(victim)
    assert settings.get("view/theme") == "light"              # what it pointed at is kept
    settings.put("run/batch", 4)
    assert victim.read_text() == "[view]\ntheme=light\n"
    assert not link.is_symlink() and "batch=4" in link.read_text()
    assert any("was a link" in n for n in settings.take_notes())


def test_install_desktop_replaces_links_instead_of_writing_through_them(tmp_path, monkeypatch):
    from pixelcnn_studio.gui.shell import desktop
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    icon = tmp_path / "share" / "icons" / "hicolor" / "256x256" / "apps" / f"{desktop.APP_ID}.png"
    entry = tmp_path / "share" / "applications" / f"{desktop.APP_ID}.desktop"
    for place in (icon, entry):
        place.parent.mkdir(parents=True, exist_ok=True)
        place.symlink_to(victim)
    desktop.install_desktop(["pixelcnn-studio"])
    assert victim.read_text() == "keep me"
    assert not icon.is_symlink() and not entry.is_symlink() and "Exec=" in entry.read_text()


def test_geometry_round_trips():
    value = QByteArray(b"\x01\x02")
    from pixelcnn_studio.gui.common.settings_schema import FIELDS
    assert FIELDS["window/geometry"][0](value) == value


def test_exports_and_checkpoints_replace_links_instead_of_writing_through_them(tmp_path):
    import numpy as np

    from pixelcnn_studio import ModelConfig, build_model, save_checkpoint
    from pixelcnn_studio.core.export import save_npy, save_png
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    writes = {"a.png": lambda p: save_png(p, np.zeros((2, 2, 3), np.uint8)),
              "a.npy": lambda p: save_npy(p, np.zeros(3)),
              "a.pt": lambda p: save_checkpoint(p, build_model(ModelConfig(image_size=4, channels=1, hidden=4,
                                                                          layers=1, kernel_size=3)))}
    for name, write in writes.items():
        link = tmp_path / name
        link.symlink_to(victim)
        write(link)
        assert not link.is_symlink() and link.stat().st_size > 0, name
    assert victim.read_text() == "keep me"


def test_a_models_folder_that_loops_lists_nothing_and_the_app_opens(open_window, tmp_path, monkeypatch):
    from pixelcnn_studio.cli import main
    loop = tmp_path / "models"
    loop.symlink_to(tmp_path / "models2")
    (tmp_path / "models2").symlink_to(loop)
    monkeypatch.setenv("PIXELCNN_STUDIO_MODELS", str(loop))
    assert main(["models"]) == 0
    window = open_window(None)
    window.refresh_model_list()
    assert window.loaded is None
