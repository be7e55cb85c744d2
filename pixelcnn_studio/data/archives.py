"""Array archives a user brings: `npz:PATH` (NumPy) and `cifar10:PATH` (the python pickle batches).

Both are read without running code from the file: npz with allow_pickle=False, CIFAR pickles
through an Unpickler that resolves only the handful of NumPy names an array needs.
"""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

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
    labels = labels.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise DatasetError(f"{where}: labels must be non-negative")
    return labels


def _text(array, where: str, limit: int = 2000) -> str:
    value = np.asarray(array)
    if value.dtype.kind != "U" or value.size != 1:
        raise DatasetError(f"{where}: must be one string")
    return str(value.reshape(-1)[0])[:limit]


def load_npz(path_text: str, split: str):
    path = Path(path_text).expanduser().resolve()
    if not path.is_file():
        raise DatasetError(f"npz file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
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
        keep = held_out_indices(len(images), split, labels)
        images = images[keep]
        labels = None if labels is None else labels[keep]
        info["split_rule"] = HELD_OUT_RULE

    # A packed copy of a named dataset (data/pack.py) names its source and licence.
    for key in ("source", "licence"):
        if key in arrays:
            info[key] = _text(arrays[key], f"{path}[{key}]")

    class_names = None
    if "class_names" in arrays:
        class_names = [str(c) for c in np.asarray(arrays["class_names"]).reshape(-1)]
    elif labels is not None and labels.size:
        class_names = [str(i) for i in range(int(labels.max()) + 1)]
    if labels is not None and class_names is not None and labels.size and labels.max() >= len(class_names):
        raise DatasetError(f"{path}: label {int(labels.max())} has no entry in class_names ({len(class_names)})")
    return images, labels, class_names, info


# --- CIFAR-10 python batches ------------------------------------------------------------------

# Everything a pickled ndarray (and the batch dicts around it) may need; nothing that can run code.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),  # arrays at pickle protocol 5
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),  # how Python 3 writes bytes at pickle protocol 2
}


class _ArrayOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused to load {module}.{name}: a CIFAR batch holds only arrays")


def safe_unpickle(data: bytes, where: str):
    try:
        # latin1 is how Python 2 strings (the original batches) map back to bytes for NumPy.
        return _ArrayOnlyUnpickler(io.BytesIO(data), encoding="latin1").load()
    except Exception as exc:  # a hostile or broken pickle can fail in many ways; all mean "not a batch"
        raise DatasetError(f"{where} is not a valid CIFAR-10 batch: {exc}") from exc


def _field(batch, key: str, where: str):
    if not isinstance(batch, dict):
        raise DatasetError(f"{where} is not a CIFAR-10 batch (not a dict)")
    for candidate in (key, key.encode()):
        if candidate in batch:
            return batch[candidate]
    raise DatasetError(f"{where} is not a CIFAR-10 batch (no {key!r})")


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
            self.members = {Path(m.name).name: m for m in self.tar.getmembers() if m.isfile()}
        else:
            nested = path / "cifar-10-batches-py"
            self.folder = nested if nested.is_dir() else path

    def has(self, name: str) -> bool:
        return name in self.members if self.tar else (self.folder / name).is_file()

    def read(self, name: str):
        where = f"{self.path}:{name}" if self.tar else str(self.folder / name)
        try:
            if self.tar:
                data = self.tar.extractfile(self.members[name]).read()
            else:
                data = (self.folder / name).read_bytes()
        except (OSError, tarfile.TarError) as exc:
            raise DatasetError(f"cannot read {where}: {exc}") from exc
        return safe_unpickle(data, where), where

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
        data = np.asarray(_field(batch, "data", where))
        batch_labels = np.asarray(_field(batch, "labels", where), dtype=np.int64).reshape(-1)
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
        class_names = [n.decode() if isinstance(n, bytes) else str(n) for n in names_field]
    info = {
        "source": "CIFAR-10 python batches",
        "path": str(path),
        "licence": "CIFAR-10 (A. Krizhevsky, 2009); no explicit licence, cite the technical report",
        "split_rule": "official",
        "batches": present,
    }
    if split == "train" and len(present) < len(names):
        info["missing_batches"] = [n for n in names if n not in present]
    return np.concatenate(images), np.concatenate(labels), class_names, info
