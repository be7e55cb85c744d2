"""The Interpolation tab's background job, and the picture of its rows: each row one seed, each image
one step along the line from A's embedding to B's (core.interpolate), sent to the tab as it grows.
"""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Signal

from ...core.export import make_grid, save_png
from ...core.interpolate import interpolation_streams
from ..common.export_actions import png_scale
from ..common.jobs import BackgroundJob

FRAME_INTERVAL = 1.0 / 30.0


def rows_grid(rows: np.ndarray, scale: int, padding: int = 2, background: int = 255) -> np.ndarray:
    """Rows (R, steps, C, H, W) of images tiled as one RGB picture, one line per row."""
    r, steps = rows.shape[:2]
    return make_grid(rows.reshape(r * steps, *rows.shape[2:]), columns=steps, scale=scale, padding=padding,
                     background=background)


def write_rows_png(path, rows: np.ndarray) -> np.ndarray:
    """The rows as one PNG, each image scaled up crisply (written atomically); returns the picture."""
    grid = rows_grid(rows, png_scale(*rows.shape[-2:]))
    save_png(path, grid)
    return grid


class InterpolationWorker(BackgroundJob):
    progress = Signal(object, int)           # rows so far (R, steps, C, H, W) uint8, percent
    row_ready = Signal(object)               # the finished rows
    failed = Signal(str)

    def __init__(self, model, a, b, steps: int, *, seeds, temperature: float = 1.0, class_id=None, parent=None):
        super().__init__(parent)
        self.args = dict(model=model, a=a, b=b, steps=steps, seeds=list(seeds), temperature=temperature,
                         class_id=class_id)

    def run(self) -> None:
        args = dict(self.args)
        model, steps, seeds = args["model"], args["steps"], args["seeds"]
        cfg = model.config
        rows = np.zeros((len(seeds), steps, cfg.channels, cfg.height, cfg.width), dtype=np.uint8)
        per_image = cfg.channels * cfg.height * cfg.width
        total = rows.shape[0] * steps * per_image
        last = 0.0
        try:
            for r, seed in enumerate(seeds):
                streams = interpolation_streams(model, args["a"], args["b"], steps, seed=seed,
                                                temperature=args["temperature"], class_id=args["class_id"])
                for i, stream in enumerate(streams):
                    while stream.step() is not None:
                        if self.cancelled:
                            return
                        now = time.perf_counter()
                        if now - last >= FRAME_INTERVAL:
                            rows[r, i] = stream.image[0].cpu().numpy()
                            done = (r * steps + i) * per_image + stream.next_index
                            self.progress.emit(rows.copy(), int(100 * done / total))
                            time.sleep(0.002)          # let the GUI thread take the interpreter and draw it
                            last = time.perf_counter()
                    rows[r, i] = stream.image[0].cpu().numpy()
        except Exception as exc:  # noqa: BLE001 - reported in the tab, never a crash
            self.failed.emit(str(exc))
            return
        self.row_ready.emit(rows)
