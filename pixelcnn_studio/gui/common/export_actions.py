"""Exports of the current run: grid PNG, sampling GIF, raw NPY (all written atomically by core.export)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QFileDialog

from ...core.box import box_pixels
from ...core.export import default_padding, frame_schedule, make_grid, save_gif, save_npy, save_png
from . import settings
from .canvas import grid_shape, image_before_step

GIF_FRAMES = 120
KINDS = {
    "png": ("Export grid as PNG", "PNG image (*.png)"),
    "gif": ("Export sampling animation as GIF", "GIF animation (*.gif)"),
    "npy": ("Export raw samples as NPY", "NumPy array (*.npy)"),
}


def png_scale(height: int, width: int) -> int:
    """Whole-number scale that makes each image about 256 px: crisp blocks, big enough for slides."""
    return max(1, 256 // max(height, width))


def gif_scale(height: int, width: int) -> int:
    return max(1, 128 // max(height, width))


def write_png(path, image: np.ndarray, columns: int | None) -> np.ndarray:
    n, _, H, W = image.shape
    grid = make_grid(image, columns=grid_shape(n, columns)[1], scale=png_scale(H, W))
    save_png(path, grid)
    return grid


def write_gif(path, image: np.ndarray, done_steps: int, columns: int | None, start: int = 0, box=None) -> int:
    """The run up to `done_steps` as an animation (about 120 frames); returns the frame count. A box
    model's `box` is outlined on every tile, so the animation shows where the garment was asked for."""
    n, _, H, W = image.shape
    cols = grid_shape(n, columns)[1]
    steps = [start + k for k in frame_schedule(max(1, done_steps - start), GIF_FRAMES)] if done_steps > start \
        else [done_steps]
    frames = [make_grid(image_before_step(image, k), columns=cols, scale=gif_scale(H, W)) for k in steps]
    if box is not None:
        for grid in frames:
            outline_box(grid, box, n, H, W, cols, gif_scale(H, W))
    save_gif(path, frames)
    return len(frames)


BOX_RGB = (255, 176, 32)


def outline_box(grid: np.ndarray, box, n: int, height: int, width: int, columns: int, scale: int) -> None:
    """Draw the box's one-pixel outline on each of the grid's n tiles (in place)."""
    padding = default_padding(n, None)
    left, top, right, bottom = (v * scale for v in box_pixels(box, height, width))
    for i in range(n):
        r, c = divmod(i, columns)
        y, x = padding + r * (height * scale + padding), padding + c * (width * scale + padding)
        y0, y1, x0, x1 = y + top, y + bottom - 1, x + left, x + right - 1
        grid[y0, x0:x1 + 1] = grid[y1, x0:x1 + 1] = BOX_RGB
        grid[y0:y1 + 1, x0] = grid[y0:y1 + 1, x1] = BOX_RGB


def write_npy(path, image: np.ndarray) -> None:
    save_npy(path, image)


def ask_path(parent, kind: str, suggested: str) -> str | None:
    """A save dialog that opens in the folder last exported to."""
    title, pattern = KINDS[kind]
    folder = settings.get("export/folder", str(Path.home()))
    path, _ = QFileDialog.getSaveFileName(parent, title, str(Path(folder) / suggested), pattern)
    if not path:
        return None
    if not path.lower().endswith("." + kind):
        path += "." + kind
    settings.put("export/folder", str(Path(path).parent))
    return path


def export_current(window, kind: str, path: str | None = None) -> str | None:
    """Export the run shown in `window` (asking where when no path is given); returns the path written."""
    frame = window.session.frame
    if frame is None or frame.done_steps <= frame.start:
        window.show_error("Nothing to export yet: start a run first.")
        return None
    stem = Path(window.loaded.path).stem if window.loaded is not None else "samples"
    path = path or ask_path(window, kind, f"{stem}-seed{frame.seed}.{kind}")
    if not path:
        return None
    columns = window.canvas.columns
    try:
        if kind == "png":
            write_png(path, frame.image, columns)
        elif kind == "gif":
            box = getattr(window.session.plan, "box", None)      # the box of the run shown
            write_gif(path, frame.image, frame.done_steps, columns, frame.start, box=box)
        else:
            write_npy(path, frame.image)
    except OSError as exc:
        window.show_error(f"Could not write {Path(path).name}: {exc.strerror or exc}")
        return None
    window.statusBar().showMessage(f"Exported {path}", 8000)
    return path
