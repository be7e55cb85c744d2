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


def make_grid(images, *, columns: int | None = None, scale: int = 1, padding: int | None = None,
              background: int = 255) -> np.ndarray:
    """Tile n images into one RGB array, each pixel scaled up as a crisp `scale` x `scale` block.

    The images are separated by `padding` pixels of `background` (by default 1 between several
    images, none around a single one: one image is written as it is, without a frame that would
    become part of the picture when it is read back)."""
    arr = to_numpy_images(images)
    n, h, w, _ = arr.shape
    padding = default_padding(n, padding)
    columns = columns or int(math.ceil(math.sqrt(n)))
    if scale > 1:
        arr = arr.repeat(scale, axis=1).repeat(scale, axis=2)
        h, w = h * scale, w * scale
    grid = np.full((*grid_shape(n, h, w, columns=columns, padding=padding), 3), background, dtype=np.uint8)
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


def _probe_writable(folder: Path) -> str | None:
    """Why no file can be created in `folder`, or None when one can (tried, not guessed from mode bits)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    os.unlink(probe)
    return None


def check_output_path(path, suffixes: tuple[str, ...]) -> Path:
    """Refuse, before any work, an output that could not be written: a folder, an unknown kind, or a
    place where no file can be created. Returns the path."""
    from ..errors import UserError
    from .safe_text import shown
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{shown(path, 100)} is a folder; give a file name inside it")
    if path.suffix.lower() not in suffixes:
        kinds = ", ".join(suffixes[:-1]) + f" or {suffixes[-1]}" if len(suffixes) > 1 else suffixes[0]
        raise UserError(f"the output must end in {kinds}, got {shown(path.name, 60)!r}")
    if path.exists() and not path.is_file():
        raise UserError(f"{shown(path, 100)} exists and is not a regular file")
    # The nearest folder that exists must let us create what is missing below it, and the file.
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise UserError(f"cannot write {shown(path, 100)}: {shown(folder, 100)} is a file, not a folder")
    problem = _probe_writable(folder)
    if problem:
        raise UserError(f"cannot write {shown(path, 100)}: the folder {shown(folder, 100)} is not writable ({problem})")
    return path


def default_padding(n: int, padding: int | None) -> int:
    return padding if padding is not None else (0 if n == 1 else 1)


def grid_shape(n: int, height: int, width: int, *, columns: int | None = None, scale: int = 1,
               padding: int | None = None) -> tuple[int, int]:
    """(rows, cols) in pixels of the grid `make_grid` draws, computed without drawing it."""
    padding = default_padding(n, padding)
    columns = columns or int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / columns))
    return rows * height * scale + (rows + 1) * padding, columns * width * scale + (columns + 1) * padding
