"""Images out: grids of samples, PNG / GIF / NPY files, always written atomically.

A file is first written next to its destination and then renamed over it, so a crash or a
full disk never leaves a half-written file where a user's previous export used to be.
"""
from __future__ import annotations

import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; on success it replaces `path`, on error it vanishes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp makes the file private (0600); give it the permissions a plain open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def to_numpy_images(images) -> np.ndarray:
    """(n, C, H, W) uint8 tensor or array -> (n, H, W, 3) uint8 array."""
    arr = images.detach().cpu().numpy() if hasattr(images, "detach") else np.asarray(images)
    arr = np.ascontiguousarray(arr.transpose(0, 2, 3, 1)).astype(np.uint8)
    if arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)
    return arr


def make_grid(images, *, columns: int | None = None, scale: int = 1, padding: int = 1,
              background: int = 255) -> np.ndarray:
    """Tile n images into one RGB array, each pixel scaled up as a crisp `scale` x `scale` block."""
    arr = to_numpy_images(images)
    n, h, w, _ = arr.shape
    columns = columns or int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / columns))
    if scale > 1:
        arr = arr.repeat(scale, axis=1).repeat(scale, axis=2)
        h, w = h * scale, w * scale
    grid = np.full((rows * h + (rows + 1) * padding, columns * w + (columns + 1) * padding, 3),
                   background, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        top, left = padding + r * (h + padding), padding + c * (w + padding)
        grid[top:top + h, left:left + w] = arr[i]
    return grid


def save_png(path, rgb: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        Image.fromarray(rgb).save(tmp, format="PNG")


def save_npy(path, array) -> None:
    arr = array.detach().cpu().numpy() if hasattr(array, "detach") else np.asarray(array)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, arr)


def save_gif(path, frames: list[np.ndarray], *, frame_ms: int = 40, hold_last_ms: int = 1500) -> None:
    """An animated GIF that loops, holding the finished picture a moment before it restarts."""
    if not frames:
        raise ValueError("no frames to write")
    pictures = [Image.fromarray(f) for f in frames]
    durations = [frame_ms] * (len(pictures) - 1) + [hold_last_ms]
    with atomic_path(path) as tmp:
        pictures[0].save(tmp, format="GIF", save_all=True, append_images=pictures[1:],
                         duration=durations, loop=0, optimize=False, disposal=1)


def frame_schedule(total_steps: int, frames: int) -> list[int]:
    """Step counts (1..total) at which to take an animation frame: about `frames` of them."""
    frames = max(1, min(frames, total_steps))
    return sorted({max(1, round(total_steps * (i + 1) / frames)) for i in range(frames)})
