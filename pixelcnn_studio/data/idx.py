"""IDX files (the MNIST family's format): Fashion-MNIST and MNIST with their official splits."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from . import guard, store
from .base import DatasetError

FASHION_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
DIGIT_CLASSES = [str(d) for d in range(10)]

_IDX_DTYPES = {
    0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
# Both spellings occur in the wild: "train-images-idx3-ubyte" and "train-images.idx3-ubyte".
_STEMS = {
    ("train", "images"): ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    ("train", "labels"): ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    ("test", "images"): ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    ("test", "labels"): ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Decode one IDX file, gzipped or plain (told apart by the gzip magic, not the name).

    The header's shape is checked against the caps and the memory left before the data is read,
    and a gzip stream is inflated only as far as that shape needs: a bomb stops at its first
    surplus byte."""
    path = Path(path)
    try:
        with guard.open_regular(path, "IDX file") as handle:
            compressed = handle.read(2) == b"\x1f\x8b"
            handle.seek(0)
            stream = gzip.GzipFile(fileobj=handle, mode="rb") if compressed else handle
            magic = stream.read(4)
            if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_DTYPES:
                raise DatasetError(f"{path} is not an IDX file (bad magic number)")
            dtype = np.dtype(_IDX_DTYPES[magic[2]])
            ndim = magic[3]
            dims = stream.read(4 * ndim)
            if len(dims) < 4 * ndim:
                raise DatasetError(f"{path} is truncated (header)")
            shape = tuple(int.from_bytes(dims[4 * i: 4 * i + 4], "big") for i in range(ndim))
            expected = guard.check_array_size(shape, dtype.itemsize, str(path))
            raw = stream.read(expected + 1)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DatasetError(f"cannot read IDX file {path}: {exc}") from exc
    if len(raw) != expected:
        raise DatasetError(
            f"{path} holds {'more than ' if len(raw) > expected else ''}{len(raw)} bytes of data, "
            f"its header promises {expected} (shape {shape})"
        )
    return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def find_idx_set(folder: Path) -> dict[tuple[str, str], Path] | None:
    """The four IDX files in `folder` (plain or .gz), or None unless all four are there."""
    found: dict[tuple[str, str], Path] = {}
    for key, stems in _STEMS.items():
        for stem in stems:
            for candidate in (folder / stem, folder / f"{stem}.gz"):
                if candidate.is_file():
                    found[key] = candidate
                    break
            if key in found:
                break
    return found if len(found) == 4 else None


def locate(name: str, root) -> tuple[Path, dict[tuple[str, str], Path]] | None:
    for folder in store.dataset_dirs(name, root):
        files = find_idx_set(folder)
        if files is not None:
            return folder, files
    return None


def decode_idx_set(files: dict[tuple[str, str], Path]) -> dict[str, np.ndarray]:
    arrays = {}
    for split in ("train", "test"):
        images = read_idx(files[(split, "images")])
        labels = read_idx(files[(split, "labels")])
        if images.ndim != 3 or images.dtype != np.uint8:
            raise DatasetError(f"{files[(split, 'images')]}: expected uint8 images (N, H, W), got {images.shape}")
        if labels.shape != images.shape[:1]:
            raise DatasetError(
                f"{files[(split, 'labels')]}: {labels.shape[0]} labels for {images.shape[0]} images"
            )
        arrays[f"x_{split}"] = images[:, None]
        arrays[f"y_{split}"] = labels.astype(np.int64)
    return arrays


def load_idx_dataset(name: str, root, folder: Path, files) -> tuple[dict[str, np.ndarray], dict]:
    signature = store.files_signature(sorted(files.values()))
    arrays, cache_info = store.cached_arrays(root, f"{name}-idx", signature, lambda: decode_idx_set(files))
    return arrays, {"path": str(folder), **cache_info}


def fashion_mnist(root, split: str):
    """Fashion-MNIST (Zalando), official 60,000/10,000 split."""
    located = locate("fashion-mnist", root)
    if located is None:
        looked = ", ".join(str(p) for p in store.dataset_dirs("fashion-mnist", root))
        raise DatasetError(
            f"Fashion-MNIST not found (looked for its four IDX files in: {looked}); "
            + store.fetch_hint(
                "fashion-mnist",
                "sudo apt-get install dataset-fashion-mnist (Debian/Ubuntu)",
                f"copy train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz "
                f"and t10k-labels-idx1-ubyte.gz into {store.data_root(root) / 'fashion-mnist'}",
            )
        )
    folder, files = located
    arrays, info = load_idx_dataset("fashion-mnist", root, folder, files)
    system = any(folder.is_relative_to(base) for base in store.SYSTEM_DATASET_DIRS)
    info.update(
        source="Fashion-MNIST IDX files"
        + (" from the Debian package dataset-fashion-mnist" if system else ""),
        licence="MIT (Zalando Research)",
        split_rule="official",
    )
    return arrays[f"x_{split}"], arrays[f"y_{split}"], FASHION_CLASSES, info


def mnist_idx(root, split: str):
    """MNIST from IDX files in <data root>/mnist, official 60,000/10,000 split; None if absent."""
    located = locate("mnist", root)
    if located is None:
        return None
    folder, files = located
    arrays, info = load_idx_dataset("mnist", root, folder, files)
    info.update(
        source="MNIST IDX files",
        licence="CC BY-SA 3.0 (Y. LeCun and C. Cortes)",
        split_rule="official",
    )
    return arrays[f"x_{split}"], arrays[f"y_{split}"], DIGIT_CLASSES, info
