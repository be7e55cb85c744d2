"""`folder:PATH`: a folder of images, one sub-folder per class (sorted names are the classes).

A folder without sub-folders is read as one unlabelled set; where there are sub-folders, loose
files beside them are not read. Files Pillow cannot read (corrupt
images, notes, thumbnails databases) are skipped and counted, never fatal: real photo folders
always contain some.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from ..core.safe_text import shown
from . import guard, store
from .base import DatasetError, fit_image

DEFAULT_SIZE = 32
# Files that are never images and that file managers leave everywhere; not worth counting.
_IGNORED_NAMES = {"thumbs.db", "desktop.ini"}


def _listing(path: Path) -> tuple[list[str] | None, list[tuple[Path, int]], list[Path]]:
    """Class names (None when unlabelled), every candidate file with its class index, and the links
    that point nowhere (reported, not read)."""
    subdirs = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    dangling: list[Path] = []
    if not subdirs:
        return None, [(f, -1) for f in _files_under(path, False, dangling)], dangling
    files = []
    for index, sub in enumerate(subdirs):
        files += [(f, index) for f in _files_under(sub, True, dangling)]
    return [s.name for s in subdirs], files, dangling


def _files_under(folder: Path, recursive: bool, dangling: list[Path]) -> list[Path]:
    found = []

    def unreadable(error: OSError) -> None:
        # os.walk would skip a folder it cannot list and leave its class silently empty.
        raise DatasetError(f"cannot read the folder {shown(error.filename, 160)}: {error.strerror or error}")
    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")) if recursive else []
        for name in sorted(filenames):
            if name.startswith(".") or name.lower() in _IGNORED_NAMES:
                continue
            path = Path(dirpath) / name
            try:
                mode = path.stat().st_mode
            except FileNotFoundError:
                dangling.append(path)
                continue
            except OSError as exc:
                raise DatasetError(f"cannot read {shown(path, 160)}: {exc.strerror or exc}") from None
            special = guard.special_kind(mode)
            if special:
                raise DatasetError(f"{shown(path, 160)} is {special}, not an image file; move it out of the dataset")
            found.append(path)
    return found


def _decode(path: Path, size: tuple[int, int], channels: int) -> tuple[np.ndarray, str] | None:
    """The picture fitted to `size`, with its size as found ("WxH"); None when it cannot be read."""
    try:
        with guard.open_regular(path, "image") as handle, Image.open(handle) as image:
            found = f"{image.width}x{image.height}"
            # JPEG can decode straight to a reduced scale: big photos load many times faster.
            image.draft("RGB" if channels == 3 else "L", (size[1] * 2, size[0] * 2))
            image.load()
            return fit_image(image, size, channels), found
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError, DatasetError):
        return None


def _decode_all(files: list[tuple[Path, int]], size, channels, with_labels: bool) -> dict[str, np.ndarray]:
    with ThreadPoolExecutor() as pool:
        decoded = list(pool.map(lambda item: _decode(item[0], size, channels), files))
    keep = [i for i, array in enumerate(decoded) if array is not None]
    images = np.stack([decoded[i][0] for i in keep]) if keep else np.zeros((0, channels, *size), np.uint8)
    # The sizes found, most common first: a folder of mixed sizes is worth a note to the user.
    found, counts = np.unique(np.array([decoded[i][1] for i in keep] or [""]), return_counts=True)
    arrays = {
        "images": images,
        "files": np.array([str(files[i][0]) for i in keep] or [""]),
        "skipped_files": np.array([str(files[i][0]) for i in range(len(files)) if decoded[i] is None] or [""]),
        "source_sizes": found[np.argsort(-counts, kind="stable")],
    }
    if with_labels:
        arrays["labels"] = np.array([files[i][1] for i in keep], dtype=np.int64)
    return arrays


def load_folder(path_text: str, root, size: tuple[int, int] | None, channels: int | None):
    """Images, labels, class names, info, and the file each image came from."""
    path = Path(path_text).expanduser().resolve()
    if not path.is_dir():
        raise DatasetError(f"image folder not found: {path}")
    size = size or (DEFAULT_SIZE, DEFAULT_SIZE)
    channels = channels or 3
    try:
        class_names, files, dangling = _listing(path)
    except OSError as exc:
        raise DatasetError(f"cannot list image folder {path}: {exc}") from exc
    if not files:
        raise DatasetError(f"no files in image folder {path}"
                           + (f" ({len(dangling)} links point nowhere)" if dangling else ""))
    # "with-files", "with-sizes": caches from before the source list and the sizes found were kept are rebuilt.
    signature = store.files_signature([f for f, _ in files],
                                      extra=[size, channels, class_names, "with-files", "with-sizes"])
    key = "folder-" + hashlib.sha256(str(path).encode()).hexdigest()[:16] + f"-{size[0]}x{size[1]}-c{channels}"
    arrays, cache_info = store.cached_arrays(
        root, key, signature, lambda: _decode_all(files, size, channels, class_names is not None)
    )
    skipped_files = [s for s in arrays["skipped_files"].tolist() if s]
    images = arrays["images"]
    if len(images) == 0:
        raise DatasetError(
            f"no readable images in {path} ({len(skipped_files)} files could not be read as images)"
        )
    labels = arrays.get("labels")
    if labels is not None:
        present = set(np.unique(labels).tolist())
        empty = [name for i, name in enumerate(class_names) if i not in present]
    else:
        empty = []
    info = {
        "source": "image folder" + (" (one sub-folder per class)" if class_names else " (unlabelled)"),
        "path": str(path),
        "licence": "as given by the folder's owner",
        "skipped": len(skipped_files) + len(dangling),
        "dangling_links": [os.path.relpath(d, path) for d in dangling[:10]],
        "skipped_examples": [os.path.relpath(s, path) for s in skipped_files[:10]],
        "empty_classes": empty,
        "resize": f"scaled to cover {size[0]}x{size[1]} (LANCZOS), centre-cropped",
        "source_sizes": [s for s in arrays["source_sizes"].tolist() if s][:20],
        **cache_info,
    }
    sources = arrays["files"].tolist()[:len(images)]
    return images, labels, class_names, info, sources
