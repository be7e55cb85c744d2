"""Names from files, datasets, settings and file names are shown as plain text in every view.

An `<img src=PATH>` shown as Qt rich text makes the GUI thread open PATH: a named pipe freezes the
app for good, /dev/zero kills it. Here the path is a named pipe watched from another thread: if
anything opens it for reading, the watcher notices (and lets it go, so the test never hangs).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QTabWidget, QWidget

from pixelcnn_studio import ModelConfig, build_model, save_checkpoint


WATCHER = """
import os, sys, time
path, log = sys.argv[1], sys.argv[2]
while not os.path.exists(log + ".stop"):
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        time.sleep(0.01)
        continue
    with open(log, "a") as f:
        f.write("read\\n")
    os.close(fd)
    time.sleep(0.01)
"""


class PipeWatch:
    """Notices any reader of a named pipe: opening it for writing without blocking succeeds only
    while a reader holds it open; the watcher then closes it, which hands that reader an end of
    file. It runs in its own process: a GUI thread blocked in open() may hold Python's lock."""

    def __init__(self, path):
        self.log = Path(str(path) + ".log")
        self.process = subprocess.Popen([sys.executable, "-c", WATCHER, str(path), str(self.log)])

    @property
    def readers(self) -> int:
        return self.log.read_text().count("read") if self.log.exists() else 0

    def close(self):
        Path(str(self.log) + ".stop").touch()
        self.process.wait(timeout=10)


@pytest.fixture
def pipe(tmp_path, monkeypatch):
    path = tmp_path / "pipe.png"
    os.mkfifo(path)
    monkeypatch.chdir(tmp_path)          # `src=pipe.png` in a file name is relative to here
    watch = PipeWatch(path)
    yield path, watch
    watch.close()


def rich_labels_showing(root: QWidget, needle: str) -> list[str]:
    """Every label that Qt may render as rich text while its text holds `needle` unescaped, and
    every tooltip that does (a tooltip is rich text whenever it looks like it)."""
    found = []
    for widget in [root, *root.findChildren(QWidget)]:
        if isinstance(widget, QLabel) and needle in widget.text() and \
                widget.textFormat() != Qt.TextFormat.PlainText:
            found.append(f"{type(widget).__name__} {widget.objectName()!r}: {widget.text()[:80]!r}")
        if needle in widget.toolTip():
            found.append(f"tooltip of {type(widget).__name__} {widget.objectName()!r}: {widget.toolTip()[:80]!r}")
        if isinstance(widget, QListWidget):
            for i in range(widget.count()):
                if needle in widget.item(i).toolTip():
                    found.append(f"list entry tooltip {widget.item(i).toolTip()[:80]!r}")
        if isinstance(widget, QTabWidget):
            for i in range(widget.count()):
                if needle in widget.tabToolTip(i):
                    found.append(f"tab tooltip {i}: {widget.tabToolTip(i)[:80]!r}")
    return found


def visit_every_tab(window, qtbot) -> None:
    tab_widgets = [window.tabs, *window.findChildren(QTabWidget)]
    for tabs in tab_widgets:
        for i in range(tabs.count()):
            tabs.setCurrentIndex(i)
            qtbot.wait(50)
    window.tabs.setCurrentIndex(0)
    qtbot.wait(50)


def test_every_widget_shows_names_as_plain_text(open_window, qtbot, tmp_path, pipe):
    fifo, watch = pipe
    img = f"<img src={fifo}>"
    config = ModelConfig(image_size=4, channels=1, hidden=4, layers=2, kernel_size=3, num_classes=2)
    model = tmp_path / "<img src=pipe.png>.pt"
    save_checkpoint(model, build_model(config), class_names=[img, "b" + img],
                    dataset={"name": img, "spec": img, "source": img, "train_size": 10},
                    metrics={"test_bpd": 3.0, img: 1.0}, training={"torch": img, "preset": img, "command": img})
    window = open_window(str(model))
    assert window.loaded is not None
    window.show()
    visit_every_tab(window, qtbot)
    # The banner, with the name of a file that does not load.
    bad = tmp_path / "<img src=pipe.png>bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with qtbot.waitSignal(window.load_failed, timeout=20000):
        window.open_checkpoint(str(bad))
    assert window.banner.isVisible()
    # A picture scored in the Surprise tab, named like a tag too.
    picture = tmp_path / "<img src=pipe.png>.png"
    Image.new("L", (4, 4), 90).save(picture)
    surprise = window.picture_tools.surprise
    surprise.score(str(picture), picture.name)
    qtbot.waitUntil(lambda: "Scoring" not in surprise.headline.text(), timeout=20000)
    # The Recent list, with an entry that no longer loads.
    from pixelcnn_studio.gui.common import settings
    settings.add_recent(str(bad))
    window.refresh_model_list()
    visit_every_tab(window, qtbot)
    qtbot.wait(200)
    leaks = rich_labels_showing(window, "<img")
    assert not leaks, "\n".join(leaks)
    assert watch.readers == 0, "the GUI opened the named pipe an <img> tag pointed at"


def test_the_start_up_window_shows_its_status_as_plain_text(qtbot, pipe):
    from pixelcnn_studio.gui.shell.startup import StartupWindow
    fifo, watch = pipe
    window = StartupWindow()
    qtbot.addWidget(window)
    window.set_status(f"Loading <img src={fifo}>.pt…")
    window.show()
    qtbot.wait(100)
    assert not rich_labels_showing(window, "<img")
    assert watch.readers == 0


def test_the_portrait_note_names_the_picture_as_plain_text(open_window, qtbot, tmp_path, pipe):
    from test_gui_portrait import write_autoencoder_model
    fifo, watch = pipe
    window = open_window(str(write_autoencoder_model(tmp_path / "ae.pt")))
    panel = window.portraits.panel
    picture = tmp_path / "<img src=pipe.png>.png"
    Image.new("L", (10, 10), 120).save(picture)
    panel.load_portrait(str(picture))
    qtbot.waitUntil(lambda: "<img" in panel.note.text(), timeout=20000)
    window.show()
    visit_every_tab(window, qtbot)
    assert not rich_labels_showing(window, "<img")
    assert watch.readers == 0
