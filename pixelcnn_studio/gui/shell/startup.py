"""Starting up without a blank wait: a window at once, PyTorch and the model loaded behind it.

Importing torch takes a second or more, longer than everything else together. So the app first
shows a light window (Qt, the style sheet and the settings only: no torch, no numpy), and a
background thread imports torch and reads the checkpoint. When it is done the main window takes
the light window's place, already holding the model.

The background thread touches no Qt module: Qt's graphics classes (fonts, pixmaps) may only be
made on the GUI thread, and some modules (pyqtgraph) make them as they are imported.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMainWindow, QVBoxLayout, QWidget

from ..common import settings
from .presentation import keep_frame_on_screen, place_saved_or_first
from ..common.theme import THEMES, app_icon, stylesheet
from ..common.plain import plain_label


class StartupWindow(QMainWindow):
    """The app's window while PyTorch loads: title, icon, theme, what is happening."""
    # The preloader's result, re-emitted on the GUI thread: its own signals come from another thread,
    # and a plain function connected to them could be called there.
    ready = Signal(object, str)

    def __init__(self):
        super().__init__()
        self.setObjectName("studio")
        self.setWindowTitle("PixelCNN Studio")
        self.setWindowIcon(app_icon())
        theme = settings.get("view/theme", "dark")
        self.setStyleSheet(stylesheet(theme if theme in THEMES else "dark"))
        self.title = plain_label("PixelCNN Studio")
        self.title.setObjectName("headline")
        self.status = plain_label("Loading PyTorch…")
        self.status.setObjectName("muted")
        # Seconds since launch, once a second: it shows the app is alive. Not an animated busy bar:
        # each frame of one needs Python's lock, which the import behind it then keeps handing over,
        # and on a busy machine that doubled the time to the model being ready.
        self.elapsed = plain_label()
        self.elapsed.setObjectName("muted")
        self._started = time.monotonic()
        self._clock = QTimer(self, interval=1000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addStretch(1)
        for widget in (self.title, self.status, self.elapsed):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        self.setCentralWidget(body)
        # Where the main window will be (its saved place on this screen, or the first size centred,
        # placed by the frame), so it can take this one's place.
        place_saved_or_first(self)

    def show_now(self, wait: float = 0.5) -> None:
        """Show the window and return once it is on screen and drawn (or after `wait` seconds).

        The background import holds Python's lock for long stretches, and every widget made from
        Python needs that lock to paint: so the window is drawn before the import starts.
        """
        self.show()
        keep_frame_on_screen(self)
        deadline = time.monotonic() + wait
        app = QApplication.instance()
        handle = self.windowHandle()
        while handle is not None and not handle.isExposed() and time.monotonic() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        app.processEvents()                    # the paint that follows the expose

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def _tick(self) -> None:
        self.elapsed.setText(f"{time.monotonic() - self._started:.0f} s")

    def preloaded(self, loaded, error: str) -> None:
        self.ready.emit(loaded, error)

    def follow(self, preloader: "Preloader") -> None:
        """Show the preloader's progress, and pass its result on as `ready` (on the GUI thread)."""
        # Methods of this window as receivers: Qt then queues the calls to the thread it lives in.
        preloader.progress.connect(self.set_status)
        preloader.finished.connect(self.preloaded)


class Preloader(QObject):
    """Imports torch, then reads the checkpoint, on a plain Python thread."""
    progress = Signal(str)
    finished = Signal(object, str)          # LoadedCheckpoint or None, error message ("" when none)

    def __init__(self, path: str | None, threads: int | None = None):
        super().__init__()
        self.path, self.threads = path, threads
        self.thread = threading.Thread(target=self._run, name="preload", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        import torch  # noqa: F401 - the import is the point: it is what takes the time
        from ...core.devices import set_threads
        # One thread until a run says otherwise: loading and the GUI should not fight over cores.
        set_threads(self.threads or 1)
        loaded, error = None, ""
        if self.path is not None:
            self.progress.emit(f"Loading {Path(self.path).name}…")
            from ...core.checkpoint import load_checkpoint
            try:
                loaded = load_checkpoint(self.path)
            except Exception as exc:  # noqa: BLE001 - the main window shows it as it does for any file
                error = str(exc)
        self.finished.emit(loaded, error)
