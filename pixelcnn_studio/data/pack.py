"""A dataset's two splits as one compact `.npz` that `npz:PATH` reads back to the same images.

For a machine that holds none of a dataset's sources (a lent GPU with no network): the splits are
taken as this machine's loader cuts them (official test split, or the seeded held-out rule, or
emoji-groups' split by emoji), so a run on the copy trains and scores on the very same images.
The source and licence go along in the file, so checkpoints trained on the copy still name them.
"""
from __future__ import annotations

import io
import os
import tempfile
import zipfile
from dataclasses import fields
from pathlib import Path

import numpy as np

from .base import DatasetError, ImageDataset

# What an ImageDataset may carry for its images to be fully described by images + labels + names.
_PACKABLE_FIELDS = {"images", "labels", "class_names", "name", "info", "groups", "boxes"}
# Carried but not needed by class-conditional or unconditional training: left out of the copy.
_DROPPED_FIELDS = {"sources"}


def pack_dataset(spec: str, out: str | os.PathLike, *, image_size=None, channels: int | None = None,
                 root=None) -> dict:
    """Write `spec`'s train and test splits to `out` (compressed npz); returns what was written."""
    from .registry import load_dataset
    train = load_dataset(spec, "train", image_size=image_size, channels=channels, root=root)
    test = load_dataset(spec, "test", image_size=train.image_size, channels=train.channels, root=root)
    for split in (train, test):
        _check_packable(spec, split)
    if (train.labels is None) != (test.labels is None):
        raise DatasetError(f"{spec}: one split has labels and the other none; cannot pack it")
    arrays = {"x_train": train.images.numpy(), "x_test": test.images.numpy()}
    if train.labels is not None:
        arrays["y_train"] = train.labels.numpy().astype(np.int16 if _fits_int16(train, test) else np.int64)
        arrays["y_test"] = test.labels.numpy().astype(arrays["y_train"].dtype)
    for name in ("groups", "boxes"):
        values = [getattr(split, name) for split in (train, test)]
        if (values[0] is None) != (values[1] is None):
            raise DatasetError(f"{spec}: one split has {name} and the other none; cannot pack it")
        if values[0] is not None:
            arrays[f"{name}_train"], arrays[f"{name}_test"] = (v.numpy() for v in values)
    if train.class_names is not None:
        arrays["class_names"] = np.array(train.class_names, dtype=np.str_)
    info = train.info or {}
    arrays["source"] = np.array(f"{spec}: {info.get('source', 'unnamed source')} "
                                f"(packed copy of both splits; split rule: {info.get('split_rule', 'official')})")
    arrays["licence"] = np.array(str(info.get("licence", "as given by the source")))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed: an interrupted pack never leaves a half file in place.
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=out.name + ".", suffix=".tmp.npz")
    os.close(fd)
    try:
        _write_npz_lzma(tmp, arrays)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return {"spec": spec, "path": str(out), "bytes": out.stat().st_size, "train": len(train), "test": len(test),
            "image_size": list(train.image_size), "channels": train.channels,
            "classes": len(train.class_names or []),
            "dropped": sorted(f for f in _DROPPED_FIELDS if getattr(train, f, None) is not None)}


def _fits_int16(*splits: ImageDataset) -> bool:
    return all(int(s.labels.max()) < 2**15 for s in splits if s.labels is not None and len(s.labels))


def _check_packable(spec: str, data: ImageDataset) -> None:
    """Refuse a dataset that carries more than images and labels (per-image files, extra fields):
    an npz of its images alone would train a different model."""
    known = _PACKABLE_FIELDS | _DROPPED_FIELDS
    extra = [f.name for f in fields(data) if f.name not in known and getattr(data, f.name) is not None]
    extra += [k for k in vars(data) if k not in {f.name for f in fields(data)} and getattr(data, k) is not None]
    if extra:
        raise DatasetError(f"{spec}: carries {', '.join(sorted(set(extra)))} beside its images and labels; "
                           "an npz copy cannot hold that, so it is not packed")


def _write_npz_lzma(path, arrays: dict) -> None:
    """An .npz whose members are LZMA-compressed: what np.load and `npz:PATH` read like any npz
    (zip members name their own compression), about a fifth smaller than np.savez_compressed's
    deflate on glyphs and drawings, which matters where a copy must fit a 64 MiB transfer."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_LZMA) as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(value), allow_pickle=False)
            archive.writestr(f"{key}.npy", buffer.getvalue())
