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
    from .theme import app_icon
    app.setWindowIcon(app_icon())
    return app


def create_window(path=None, *, load_default: bool = True):
    """The main window, shown, with `path` (or the bundled default model) loading behind it."""
    import torch
    # One thread: a sub-pixel's work is too small to split, and idle OpenMP threads spinning on
    # two cores starve the GUI thread (sampling gets slower, not faster, with more).
    torch.set_num_threads(1)
    ensure_app()
    from .main_window import MainWindow
    from ..paths import default_model
    window = MainWindow()
    window.show()
    target = path if path is not None else (default_model() if load_default else None)
    if target is not None:
        window.open_checkpoint(str(target))
    return window


def run_app(path=None) -> int:
    if path is not None and not Path(path).exists():
        from ..core.checkpoint import CheckpointError
        raise CheckpointError(path, "no such file")
    app = ensure_app()
    window = create_window(path)
    if os.environ.get("PIXELCNN_STUDIO_TIMING"):
        _report_timing(window)
    app.aboutToQuit.connect(window.shutdown)
    return app.exec()


def _report_timing(window) -> None:
    """PIXELCNN_STUDIO_TIMING=1: print when the window is up and when the model is ready to sample."""
    from PySide6.QtCore import QTimer
    QTimer.singleShot(0, lambda: print(f"startup: window shown {_process_age():.2f} s after launch", file=sys.stderr))
    window.model_loaded.connect(lambda _: print(f"startup: model ready {_process_age():.2f} s after launch",
                                                file=sys.stderr))
