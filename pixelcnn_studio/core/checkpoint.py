"""The one checkpoint format: a torch.save'd dict of plain values and tensors.

It is always read with `torch.load(weights_only=True)`, which refuses any pickle that would
construct arbitrary objects or call functions, so opening a file never runs code from it.
"""
from __future__ import annotations

import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import memory
from .checkpoint_checks import (FORMAT, VERSION, CheckpointError, Skeleton, check_archive, check_finite,
                                check_regular_file, check_sizes, check_skeleton, strip_wrapper_prefixes)
from .config import ModelConfig
from .export import atomic_path
from .model import build_model

__all__ = ["CheckpointError", "LoadedCheckpoint", "inspect_checkpoint", "load_checkpoint", "read_checkpoint_dict",
           "save_checkpoint", "strip_wrapper_prefixes"]

KNOWN_KEYS = ("class_names", "embedder", "dataset", "metrics", "training")


@dataclass
class LoadedCheckpoint:
    model: torch.nn.Module
    config: ModelConfig
    class_names: list | None
    embedder: dict | None
    metadata: dict = field(default_factory=dict)
    path: str = ""


def _plain(value):
    """Convert metadata to the plain types weights_only loading accepts."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool, torch.Tensor)):
        return value
    raise TypeError(f"checkpoint metadata must be plain values, got {type(value).__name__}")


def save_checkpoint(path, model, *, half: bool = False, **metadata) -> None:
    """Write `model` and its metadata atomically (a half-precision copy of the weights if `half`)."""
    model = getattr(model, "module", model)          # DistributedDataParallel
    model = getattr(model, "_orig_mod", model)       # torch.compile
    state = {}
    for key, tensor in strip_wrapper_prefixes(model.state_dict()).items():
        tensor = tensor.detach().to("cpu")
        if half and tensor.is_floating_point():
            tensor = tensor.to(torch.float16)
        state[key] = tensor.clone()
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "config": model.config.to_dict(),
        "state_dict": state,
        "class_names": None, "embedder": None, "dataset": {}, "metrics": {}, "training": {},
    }
    extra = {}
    for key, value in metadata.items():
        (payload if key in KNOWN_KEYS else extra)[key] = _plain(value)
    if payload["class_names"] is not None:
        payload["class_names"] = [str(n) for n in payload["class_names"]]
    if extra:
        payload["extra"] = extra
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def _torch_load(path, map_location):
    """torch.load restricted to plain values and tensors, every failure turned into one CheckpointError."""
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(path, "refused: the file holds objects other than plain values and tensors "
                                    "(it may try to run code), so it was not loaded") from exc
    except PermissionError as exc:
        raise CheckpointError(path, "permission denied") from exc
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        # A zip archive cut short fails inside the reader with EOF or an invalid-seek OSError.
        raise CheckpointError(path, "truncated or corrupt file") from exc
    except MemoryError as exc:
        raise CheckpointError(path, "does not fit in memory") from exc
    except RuntimeError as exc:
        text = str(exc)
        reason = "truncated or corrupt file" if ("zip" in text or "archive" in text or "failed finding" in text) \
            else f"cannot be read ({text.splitlines()[0] if text else type(exc).__name__})"
        raise CheckpointError(path, reason) from exc
    except Exception as exc:  # noqa: BLE001 - any other reader failure is a bad file, not a crash
        raise CheckpointError(path, f"not a readable checkpoint ({type(exc).__name__}: {exc})") from exc


def _read_file_kind(path) -> bool:
    """True for the zip archive torch.save writes, False for a legacy bare pickle; refuses the rest."""
    size = check_regular_file(path)
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise CheckpointError(path, f"cannot be read ({exc.strerror or exc})") from exc
    # torch.save writes a zip archive; very old files are a bare pickle (protocol byte 0x80).
    if head.startswith(b"PK\x03\x04"):
        return True
    if head.startswith(b"\x80"):
        # A legacy file has no directory of sizes; its tensors are stored as they are, so at most its size.
        if not memory.fits(2 * size):
            raise CheckpointError(path, f"{memory.format_bytes(size)} file does not fit in memory "
                                        f"({memory.limit_text()})")
        return False
    raise CheckpointError(path, "not a PixelCNN Studio checkpoint (not a PyTorch file at all)")


def inspect_checkpoint(path) -> Skeleton:
    """A checkpoint's structure, fully checked, without reading its tensors (they lie on `meta`).

    Cheap enough for listing models: only the archive's directory and its pickle are read.
    """
    path = Path(path)
    if not _read_file_kind(path):
        skeleton = check_skeleton(path, _torch_load(path, "cpu"))
        check_sizes(path, skeleton, None)
        return skeleton
    declared = check_archive(path)
    skeleton = check_skeleton(path, _torch_load(path, "meta"))
    check_sizes(path, skeleton, declared)
    return skeleton


def _read_checked(path, map_location) -> Skeleton:
    """The checkpoint read in full once its skeleton has passed every check; weights finite."""
    inspect_checkpoint(path)
    skeleton = check_skeleton(path, _torch_load(path, map_location))
    check_finite(path, skeleton, skeleton.state_dict)
    return skeleton


def read_checkpoint_dict(path, map_location="cpu") -> dict:
    """The raw checkpoint dict, every part checked (structure, sizes, finite weights)."""
    return _read_checked(Path(path), map_location).payload


def load_checkpoint(path, map_location="cpu") -> LoadedCheckpoint:
    skeleton = _read_checked(Path(path), map_location)
    payload, config = skeleton.payload, skeleton.config
    try:
        model = build_model(config)
    except MemoryError as exc:
        raise CheckpointError(path, "the model does not fit in memory") from exc
    # load_state_dict copies into the float32 parameters, restoring half-precision files.
    model.load_state_dict(skeleton.state_dict)
    model.to(map_location).eval()
    metadata = {k: payload.get(k) for k in ("dataset", "metrics", "training")}
    metadata.update(payload.get("extra") or {})
    return LoadedCheckpoint(model=model, config=config, class_names=payload.get("class_names"),
                            embedder=payload.get("embedder"), metadata=metadata, path=str(path))
