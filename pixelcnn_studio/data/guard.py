"""Training data checked before it allocates, as checkpoints are: files, declared sizes, labels.

A dataset file is as untrusted as a checkpoint. A 15 KB npz may declare a label of 10^9 (and so a
billion class names), a gzip stream may inflate a thousandfold, a named pipe blocks the reader for
good. Everything here looks at what a file *declares* and refuses it, in one line, before the
arrays it describes are made.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from ..core.memory import fits, format_bytes, limit_text
from ..core.safe_text import shown
from .base import DatasetError

# Caps no real dataset reaches; the memory left is checked as well.
MAX_CLASSES = 100_000              # the model config's own cap on classes
MAX_IMAGE_SIDE = 8_192             # native sides before resizing (photos, scans)
MAX_IMAGES = 50_000_000
MAX_CLASS_NAME = 1_000             # characters of one class name (shown elided)
# Kinds of file that are not data: opening some of them blocks (a FIFO) or never ends (/dev/zero).
_SPECIAL = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def special_kind(mode: int) -> str | None:
    """'a named pipe' etc. for a file mode that is not a regular file or folder, else None."""
    return next((name for test, name in _SPECIAL if test(mode)), None)


def regular_file(path, what: str = "file") -> Path:
    """`path` when it is a regular file (following links); one clear DatasetError otherwise.
    Looked at with stat, never opened, so a named pipe cannot block."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        kind = "a link to nothing" if os.path.islink(path) else None
        raise DatasetError(f"{what} not found: {shown(path, 160)}" + (f" ({kind})" if kind else "")) from None
    except OSError as exc:
        raise DatasetError(f"cannot read {what} {shown(path, 160)}: {exc.strerror or exc}") from None
    special = special_kind(mode)
    if special:
        raise DatasetError(f"{shown(path, 160)} is {special}, not a regular {what}")
    if stat.S_ISDIR(mode):
        raise DatasetError(f"{shown(path, 160)} is a folder, not a {what}")
    return path


def open_regular(path, what: str = "file"):
    """A binary file object for a regular file; a FIFO or device is refused without blocking
    (opened non-blocking, checked on the open descriptor, so a swap after the check cannot slip by)."""
    regular_file(path, what)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise DatasetError(f"cannot read {what} {shown(path, 160)}: {exc.strerror or exc}") from None
    special = special_kind(os.fstat(fd).st_mode)
    if special:
        os.close(fd)
        raise DatasetError(f"{shown(path, 160)} is {special}, not a regular {what}")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_text(path, what: str = "file", limit: int = 512 * 2**20) -> str:
    """A regular file's text, refused past `limit` bytes (package metadata, JSON digit files). A
    missing file raises FileNotFoundError, as reading it would: callers treat optional files so."""
    if not os.path.lexists(path):
        raise FileNotFoundError(2, "No such file or directory", str(path))
    with open_regular(path, what) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise DatasetError(f"{shown(path, 160)}: {size:,} bytes; a {what} is at most {limit:,}")
        return handle.read(limit + 1).decode("utf-8", "replace")


def check_array_size(shape, itemsize: int, where: str) -> int:
    """The bytes an array of `shape` takes, refused past the caps or the memory left."""
    if any(int(side) < 0 for side in shape):
        raise DatasetError(f"{where}: negative size in shape {tuple(shape)}")
    count = 1
    for side in shape:
        count *= int(side)
    need = count * int(itemsize)
    if shape and int(shape[0]) > MAX_IMAGES:
        raise DatasetError(f"{where}: {int(shape[0]):,} items; at most {MAX_IMAGES:,} are read")
    if not fits(need):
        raise DatasetError(f"{where}: shape {tuple(int(s) for s in shape)} needs {format_bytes(need)}; "
                           f"{limit_text()}")
    return need


def check_image_shape(shape, where: str) -> None:
    """Images declared (N, H, W) or with a channel axis: sides within the cap."""
    sides = [int(s) for s in shape[1:]]
    big = [s for s in sides if s > MAX_IMAGE_SIDE]
    if big and max(big) > 4:            # channel axes are 1, 3 or 4; sides are what is capped
        raise DatasetError(f"{where}: images of shape {tuple(sides)}; sides above {MAX_IMAGE_SIDE:,} are not read")


def check_labels(labels, where: str, class_count: int | None = None) -> None:
    """Labels are non-negative integers under the class cap (and under `class_count` when known)."""
    import numpy as np
    labels = np.asarray(labels)
    if labels.size == 0:
        return
    low, high = int(labels.min()), int(labels.max())
    if low < 0:
        raise DatasetError(f"{where}: labels must be non-negative, found {low:,}")
    if high >= MAX_CLASSES:
        raise DatasetError(f"{where}: label {high:,} is beyond the {MAX_CLASSES:,} classes a model can have")
    if class_count is not None and high >= class_count:
        raise DatasetError(f"{where}: label {high:,} has no class ({class_count:,} class names)")


def check_class_names(names, where: str) -> list[str]:
    """A flat list of at most MAX_CLASSES short names, as text; anything else is refused."""
    if not isinstance(names, (list, tuple)):
        raise DatasetError(f"{where}: class names must be a list, found {type(names).__name__}")
    if len(names) > MAX_CLASSES:
        raise DatasetError(f"{where}: {len(names):,} class names; at most {MAX_CLASSES:,}")
    out = []
    for name in names:
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        if not isinstance(name, str):
            raise DatasetError(f"{where}: class names must be text, found a {type(name).__name__}")
        if len(name) > MAX_CLASS_NAME:
            raise DatasetError(f"{where}: a class name of {len(name):,} characters; at most {MAX_CLASS_NAME}")
        out.append(name)
    return out
