"""Array archives a user brings: `npz:PATH` (NumPy) and `cifar10:PATH` (the python pickle batches).

Both are read without running code from the file and checked before they allocate: npz through
its arrays' declared headers (then allow_pickle=False), CIFAR pickles by a reader of plain values
(plain_pickle.py), never by Python's unpickler.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import numpy as np

from . import guard
from .plain_pickle import read_plain
from .base import HELD_OUT_RULE, DatasetError, floats_to_uint8, held_out_indices

# --- npz ---------------------------------------------------------------------------------------

_NPZ_PAIRS = (("x_train", "x_test"), ("train", "test"))


def to_nchw_uint8(array: np.ndarray, where: str) -> np.ndarray:
    """NHW, NHWC or NCHW (1 or 3 channels; RGBA composited on white) as uint8 NCHW."""
    array = np.asarray(array)
    if array.dtype.kind == "f":
        array = floats_to_uint8(array)
    elif array.dtype.kind in "iub":
        if array.size and (array.min() < 0 or array.max() > 255):
            raise DatasetError(f"{where}: integer images must lie in 0..255")
        array = array.astype(np.uint8)
    else:
        raise DatasetError(f"{where}: images must be numbers, got dtype {array.dtype}")
    if array.ndim == 3:
        return array[:, None]
    if array.ndim != 4:
        raise DatasetError(f"{where}: images must be (N, H, W), (N, H, W, C) or (N, C, H, W), got {array.shape}")
    # Grey/RGB axes win over RGBA, and channels-last over channels-first: (N, 1, 4, 4) is grey 4x4,
    # not 4x1 RGBA, and (N, 3, 32, 3) is far likelier 3-wide RGB than 3-tall.
    first, last = array.shape[1], array.shape[3]
    if last in (1, 3) or (last == 4 and first not in (1, 3)):
        array = array.transpose(0, 3, 1, 2)
    elif first not in (1, 3, 4):
        raise DatasetError(f"{where}: cannot tell the channel axis of shape {array.shape} (need 1, 3 or 4 channels)")
    if array.shape[1] == 4:
        alpha = array[:, 3:4].astype(np.uint32)
        array = ((array[:, :3] * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
    return array


def _labels(array, count: int, where: str) -> np.ndarray:
    labels = np.asarray(array).reshape(-1)
    if labels.dtype.kind not in "iu" and not (labels.dtype.kind == "f" and np.all(labels == np.rint(labels))):
        raise DatasetError(f"{where}: labels must be integers")
    if labels.shape[0] != count:
        raise DatasetError(f"{where}: {labels.shape[0]} labels for {count} images")
    if labels.dtype.kind == "f" and not np.isfinite(labels).all():
        raise DatasetError(f"{where}: labels must be integers, found NaN or infinity")
    guard.check_labels(labels, where)
    labels = labels.astype(np.int64)
    return labels


def _text(array, where: str, limit: int = 2000) -> str:
    value = np.asarray(array)
    if value.dtype.kind != "U" or value.size != 1:
        raise DatasetError(f"{where}: must be one string")
    return str(value.reshape(-1)[0])[:limit]


def _npz_headers(handle, path: Path) -> dict[str, tuple[tuple, np.dtype]]:
    """Each array's declared shape and dtype, read from the .npy headers inside the zip without
    inflating any data; refused past the caps, the memory left or the entry's declared size."""
    import zipfile
    headers, total = {}, 0
    try:
        archive = zipfile.ZipFile(handle)
    except zipfile.BadZipFile as exc:
        raise DatasetError(f"cannot read npz file {path}: not a zip archive ({exc})") from exc
    with archive:
        for entry in archive.infolist():
            if not entry.filename.endswith(".npy"):
                continue
            key, where = entry.filename[:-4], f"{path}[{entry.filename[:-4]}]"
            with archive.open(entry) as member:
                try:
                    version = np.lib.format.read_magic(member)
                    reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                              else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = reader(member)
                except (ValueError, OSError, EOFError, SyntaxError) as exc:
                    raise DatasetError(f"{where}: not a readable .npy header ({exc})") from exc
            if dtype.hasobject:
                raise DatasetError(f"{where}: holds Python objects, which are not loaded (save plain arrays)")
            need = guard.check_array_size(shape, dtype.itemsize, where)
            if need > entry.file_size:
                raise DatasetError(f"{where}: declares {need:,} bytes of data but its entry holds {entry.file_size:,}")
            total += need
            headers[key] = (shape, dtype)
    # All arrays together against the memory left (bytes, not images: the image cap is per array).
    if not guard.fits(total):
        raise DatasetError(f"{path}: its arrays need {guard.format_bytes(total)} together; {guard.limit_text()}")
    return headers


def load_npz(path_text: str, split: str):
    path = Path(path_text).expanduser().resolve()
    if not path.exists():
        raise DatasetError(f"npz file not found: {path}")
    try:
        with guard.open_regular(path, "npz file") as handle:
            headers = _npz_headers(handle, path)
            for key in ("images", "x", "x_train", "x_test", "train", "test"):
                if key in headers and len(headers[key][0]) >= 2:
                    guard.check_image_shape(headers[key][0], f"{path}[{key}]")
            handle.seek(0)
            with np.load(handle, allow_pickle=False) as archive:
                arrays = {key: archive[key] for key in archive.files}
    except ValueError as exc:
        raise DatasetError(f"{path}: holds Python objects, which are not loaded (save plain arrays): {exc}") from exc
    except (OSError, EOFError) as exc:
        raise DatasetError(f"cannot read npz file {path}: {exc}") from exc

    info = {"source": "npz file", "path": str(path), "licence": "as given by the file's owner"}
    pair = next((p for p in _NPZ_PAIRS if p[0] in arrays and p[1] in arrays), None)
    if pair is not None:
        key = pair[0] if split == "train" else pair[1]
        images = to_nchw_uint8(arrays[key], f"{path}[{key}]")
        label_key = f"y_{split}"
        labels = _labels(arrays[label_key], len(images), f"{path}[{label_key}]") if label_key in arrays else None
        extras = _per_image(arrays, {name: f"{name}_{split}" for name in _PER_IMAGE}, len(images), path)
        info["split_rule"] = "official"
    else:
        key = "images" if "images" in arrays else "x" if "x" in arrays else "x_train" if "x_train" in arrays else None
        if key is None:
            raise DatasetError(
                f"{path}: no images found; expected arrays x_train/x_test, train/test, or images "
                f"(found: {', '.join(sorted(arrays)) or 'nothing'})"
            )
        images = to_nchw_uint8(arrays[key], f"{path}[{key}]")
        label_key = next((k for k in ("labels", "y", "y_train") if k in arrays), None)
        labels = _labels(arrays[label_key], len(images), f"{path}[{label_key}]") if label_key else None
        extras = _per_image(arrays, {name: name for name in _PER_IMAGE}, len(images), path)
        keep = held_out_indices(len(images), split, labels)
        images = images[keep]
        labels = None if labels is None else labels[keep]
        extras = {name: value[keep] for name, value in extras.items()}
        info["split_rule"] = HELD_OUT_RULE

    # A packed copy of a named dataset (data/pack.py) names its source and licence.
    for key in ("source", "licence"):
        if key in arrays:
            info[key] = _text(arrays[key], f"{path}[{key}]")

    class_names = None
    if "class_names" in arrays:
        names = np.asarray(arrays["class_names"]).reshape(-1)
        if names.dtype.kind not in "USiuf":
            raise DatasetError(f"{path}[class_names]: class names must be text, got dtype {names.dtype}")
        class_names = guard.check_class_names([str(c) for c in names[:guard.MAX_CLASSES + 1]],
                                              f"{path}[class_names]")
    elif labels is not None and labels.size:
        class_names = [str(i) for i in range(int(labels.max()) + 1)]
    if labels is not None and class_names is not None and labels.size and labels.max() >= len(class_names):
        raise DatasetError(f"{path}: label {int(labels.max())} has no entry in class_names ({len(class_names)})")
    return images, labels, class_names, info, extras


# Per-image arrays a set may carry beside its images (data/base.py ImageDataset): the group of each
# image (letters: its font) and a conditioning vector the data defines (fashion-where: its box).
_PER_IMAGE = ("groups", "boxes")
MAX_BOX_VALUES = 64


def _per_image(arrays: dict, keys: dict[str, str], count: int, path: Path) -> dict[str, np.ndarray]:
    found = {}
    for name, key in keys.items():
        if key not in arrays:
            continue
        value, where = np.asarray(arrays[key]), f"{path}[{key}]"
        if len(value) != count:
            raise DatasetError(f"{where}: {len(value)} entries for {count} images")
        if name == "groups":
            if value.ndim != 1 or value.dtype.kind not in "iu":
                raise DatasetError(f"{where}: groups must be one integer per image")
            found[name] = value.astype(np.int64)
        else:
            if value.ndim != 2 or value.dtype.kind not in "iuf" or not 1 <= value.shape[1] <= MAX_BOX_VALUES:
                raise DatasetError(f"{where}: boxes must be (images, 1..{MAX_BOX_VALUES}) numbers")
            if not np.isfinite(value).all():
                raise DatasetError(f"{where}: boxes must be finite")
            found[name] = value.astype(np.float32)
    return found


# --- CIFAR-10 python batches ------------------------------------------------------------------

MAX_BATCH_BYTES = 2 * 2**30        # a CIFAR batch is 31 MB


def _field(batch, key: str, where: str):
    if not isinstance(batch, dict):
        raise DatasetError(f"{where} is not a CIFAR-10 batch (not a dict)")
    for candidate in (key, key.encode()):
        if candidate in batch:
            return batch[candidate]
    raise DatasetError(f"{where} is not a CIFAR-10 batch (no {key!r})")


def _flat_labels(value, where: str) -> np.ndarray:
    """A batch's labels: a flat list of integers or a 1-D integer array; nothing nested is looked into."""
    if isinstance(value, np.ndarray):
        if value.ndim != 1 or value.dtype.kind not in "iu":
            raise DatasetError(f"{where}: labels must be a flat list of integers, got {value.dtype} {value.shape}")
        labels = value.astype(np.int64)
    elif isinstance(value, list) and all(type(v) is int for v in value):
        if any(v < 0 or v >= guard.MAX_CLASSES for v in value):
            raise DatasetError(f"{where}: labels must lie in 0..{guard.MAX_CLASSES - 1:,}")
        labels = np.array(value, dtype=np.int64)
    else:
        raise DatasetError(f"{where}: labels must be a flat list of integers")
    guard.check_labels(labels, where)
    return labels


class _BatchReader:
    """Reads batch files from the extracted folder or straight from cifar-10-python.tar.gz."""

    def __init__(self, path: Path):
        self.path = path
        self.tar = None
        self.folder = None
        if path.is_file():
            try:
                self.tar = tarfile.open(path, "r:*")
            except (tarfile.TarError, OSError) as exc:
                raise DatasetError(f"{path} is neither a CIFAR-10 folder nor a readable tar archive: {exc}") from exc
            # A gzip bomb inflates as tarfile walks it: the archive's members are listed only up
            # to a bound on their count, and each is checked by its declared size before it is read.
            self.members = {}
            for count, member in enumerate(self.tar):
                if count > 10_000:
                    raise DatasetError(f"{path}: more than 10,000 entries; not a CIFAR-10 archive")
                if member.isfile():
                    self.members[Path(member.name).name] = member
        else:
            nested = path / "cifar-10-batches-py"
            self.folder = nested if nested.is_dir() else path

    def has(self, name: str) -> bool:
        # lexists: a batch that is a pipe or a dangling link is refused by name when read, not passed over.
        return name in self.members if self.tar else os.path.lexists(self.folder / name)

    def read(self, name: str):
        where = f"{self.path}:{name}" if self.tar else str(self.folder / name)
        try:
            if self.tar:
                member = self.members[name]
                self._check_size(member.size, where)
                data = self.tar.extractfile(member).read(member.size)
            else:
                with guard.open_regular(self.folder / name, "CIFAR-10 batch") as handle:
                    self._check_size(os.fstat(handle.fileno()).st_size, where)
                    data = handle.read(MAX_BATCH_BYTES + 1)
        except (OSError, tarfile.TarError, EOFError) as exc:
            raise DatasetError(f"cannot read {where}: {exc}") from exc
        return read_plain(data, where), where

    @staticmethod
    def _check_size(size: int, where: str) -> None:
        if size > MAX_BATCH_BYTES:
            raise DatasetError(f"{where}: {size:,} bytes; a CIFAR-10 batch is about 31 MB")
        guard.check_array_size((size,), 1, where)

    def close(self) -> None:
        if self.tar is not None:
            self.tar.close()


def load_cifar10(path_text: str, split: str):
    path = Path(path_text).expanduser().resolve()
    if not path.exists():
        raise DatasetError(
            f"CIFAR-10 not found at {path}: give the folder holding data_batch_1..5 and test_batch "
            "(cifar-10-batches-py) or the cifar-10-python.tar.gz archive itself"
        )
    reader = _BatchReader(path)
    try:
        return _read_batches(reader, path, split)
    finally:
        reader.close()


def _read_batches(reader: _BatchReader, path: Path, split: str):
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    present = [n for n in names if reader.has(n)]
    if not present:
        raise DatasetError(f"no CIFAR-10 {split} batches ({', '.join(names)}) in {path}")
    images, labels = [], []
    for name in present:
        batch, where = reader.read(name)
        data = _field(batch, "data", where)
        if not isinstance(data, np.ndarray):
            raise DatasetError(f"{where}: data must be an array, found a {type(data).__name__}")
        batch_labels = _flat_labels(_field(batch, "labels", where), where)
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
            raise DatasetError(f"{where}: data must be uint8 (N, 3072), got {data.dtype} {data.shape}")
        if batch_labels.shape[0] != data.shape[0]:
            raise DatasetError(f"{where}: {batch_labels.shape[0]} labels for {data.shape[0]} images")
        images.append(data.reshape(-1, 3, 32, 32))
        labels.append(batch_labels)
    class_names = [str(i) for i in range(10)]
    if reader.has("batches.meta"):
        meta, where = reader.read("batches.meta")
        names_field = _field(meta, "label_names", where)
        class_names = guard.check_class_names(names_field, f"{where} label_names")
    labels_all = np.concatenate(labels)
    guard.check_labels(labels_all, str(path), len(class_names))
    info = {
        "source": "CIFAR-10 python batches",
        "path": str(path),
        "licence": "CIFAR-10 (A. Krizhevsky, 2009); no explicit licence, cite the technical report",
        "split_rule": "official",
        "batches": present,
    }
    if split == "train" and len(present) < len(names):
        info["missing_batches"] = [n for n in names if n not in present]
    return np.concatenate(images), labels_all, class_names, info
