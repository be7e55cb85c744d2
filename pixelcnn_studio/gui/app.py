"""Starting the Studio: the application object, the main window, and the event loop."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

_T0 = time.perf_counter()


def _process_age() -> float:
    """Seconds since this process started (Linux), to report launch-to-first-frame honestly."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        start = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19]) / ticks
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - start
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _T0


def ensure_app():
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance()
    if app is None:
        # Fractional scale factors (125 %, 150 %) as they are, not rounded: the canvas snaps to device pixels.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        QApplication.setApplicationName("PixelCNN Studio")
        QApplication.setOrganizationName("PixelCNN Studio")
        QApplication.setDesktopFileName("pixelcnn-studio")
        app = QApplication(sys.argv[:1])
    from .common.theme import app_icon
    app.setWindowIcon(app_icon())
    return app


def create_window(path=None, *, load_default: bool = True, device: str = "auto", threads: int | None = None,
                  replaces=None):
    """The main window, shown, with `path` (or the bundled default model) loading behind it.

    `device` and `threads` are the command line's --device and --threads; `replaces` is the
    start-up window, whose place (the same saved geometry, clamped the same way) it takes.
    """
    ensure_app()
    from .shell.main_window import MainWindow
    from ..core.devices import set_threads
    from ..paths import default_model
    # One thread until a run chooses its own: idle OpenMP threads spinning on a small machine
    # starve the GUI thread.
    set_threads(threads or 1)
    window = MainWindow()
    window.devices.threads = threads
    if replaces is not None:
        if not window.isFullScreen():
            # The very place of the start-up window (both were sized and clamped by the same rule, but
            # a window manager may have placed that one): the studio appears where it was, no jump.
            window.resize(replaces.size())
            window.move(replaces.pos())
            window._centre_when_framed = False     # where the start-up window is, not re-centred
        # Closed just before, so that the window manager puts the new window where the old one was.
        replaces.close()
    window.show()
    from .common.heap import settle_heap
    window.model_loaded.connect(lambda _path: settle_heap())
    if device != "auto":
        window.devices.choose(device)
    target = path if path is not None else (default_model() if load_default else None)
    if target is not None:
        window.open_checkpoint(str(target))
    return window


def run_app(path=None, *, device: str = "auto", threads: int | None = None) -> int:
    """The app: a window at once, PyTorch and the model loaded behind it (see startup.py)."""
    from ..errors import UserError
    from ..paths import default_model
    if path is not None and not Path(path).exists():
        raise UserError(f"{path}: no such file")
    if threads is not None and threads < 1:
        raise UserError(f"--threads must be at least 1, got {threads}")
    app = ensure_app()
    from .shell.startup import Preloader, StartupWindow
    splash = StartupWindow()
    splash.show_now()
    # PIXELCNN_STUDIO_TIMING=1 reports the start-up; =exit also quits once the model is ready
    # (scripted checks: scripts/measure_app.py, the installed-package test).
    timing = os.environ.get("PIXELCNN_STUDIO_TIMING", "")
    if timing:
        _report("window shown", now=True)
    target = str(path) if path is not None else (str(default_model()) if default_model() else None)
    preloader = Preloader(target, threads)
    windows = []

    def open_main_window(loaded, error: str) -> None:
        splash.set_status("Opening the studio…")
        app.processEvents()
        window = create_window(load_default=False, device=device, threads=threads, replaces=splash)
        windows.append(window)
        app.aboutToQuit.connect(window.shutdown)
        if timing:
            quit_after = timing == "exit"
            window.model_loaded.connect(lambda _: _report("model ready", quit_after=quit_after))
            if quit_after:
                window.load_failed.connect(lambda *_: app.exit(1))
        if target is not None:
            window.adopt_checkpoint(target, loaded, error)

    splash.follow(preloader)
    splash.ready.connect(open_main_window)
    preloader.start()
    return app.exec()


def _report(event: str, now: bool = False, quit_after: bool = False) -> None:
    """Print when the window is up and when the model is ready to sample (and quit, when asked)."""
    def say():
        print(f"startup: {event} {_process_age():.2f} s after launch", file=sys.stderr, flush=True)
        if quit_after:
            from PySide6.QtWidgets import QApplication
            QApplication.instance().quit()
    if now:
        say()
        return
    from PySide6.QtCore import QTimer
    QTimer.singleShot(0, say)        # on the next turn of the event loop, once it has been drawn
