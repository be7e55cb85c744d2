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

from .config import ModelConfig
from .export import atomic_path
from .model import build_model

FORMAT = "pixelcnn-studio"
VERSION = 1
# Prefixes added by DistributedDataParallel and torch.compile around the real module.
WRAPPER_PREFIXES = ("module.", "_orig_mod.")
KNOWN_KEYS = ("class_names", "embedder", "dataset", "metrics", "training")


class CheckpointError(Exception):
    """A file that cannot be used as a checkpoint; the message names the file and the reason."""

    def __init__(self, path, problem: str):
        self.path, self.problem = str(path), problem
        super().__init__(f"{path}: {problem}")


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


def strip_wrapper_prefixes(state_dict: dict) -> dict:
    out = {}
    for key, value in state_dict.items():
        changed = True
        while changed:
            changed = False
            for prefix in WRAPPER_PREFIXES:
                if key.startswith(prefix):
                    key, changed = key[len(prefix):], True
        out[key] = value
    return out


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


def read_checkpoint_dict(path, map_location="cpu") -> dict:
    """The raw checkpoint dict, validated for format and version (weights not yet checked)."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(path, "no such file")
    if path.is_dir():
        raise CheckpointError(path, "is a folder, not a checkpoint file")
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise CheckpointError(path, f"cannot be read ({exc.strerror or exc})") from exc
    # torch.save writes a zip archive; very old files are a bare pickle (protocol byte 0x80).
    if not (head.startswith(b"PK\x03\x04") or head.startswith(b"\x80")):
        raise CheckpointError(path, "not a PixelCNN Studio checkpoint (not a PyTorch file at all)")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(path, "refused: the file holds objects other than plain values and tensors "
                                    "(it may try to run code), so it was not loaded") from exc
    except PermissionError as exc:
        raise CheckpointError(path, "permission denied") from exc
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        # A zip archive cut short fails inside the reader with EOF or an invalid-seek OSError.
        raise CheckpointError(path, "truncated or corrupt file") from exc
    except RuntimeError as exc:
        text = str(exc)
        reason = "truncated or corrupt file" if ("zip" in text or "archive" in text or "failed finding" in text) \
            else f"cannot be read ({text.splitlines()[0] if text else type(exc).__name__})"
        raise CheckpointError(path, reason) from exc
    except Exception as exc:  # noqa: BLE001 - any other reader failure is a bad file, not a crash
        raise CheckpointError(path, f"not a readable checkpoint ({type(exc).__name__}: {exc})") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(path, "not a PixelCNN Studio checkpoint (no 'format: pixelcnn-studio' header)")
    version = payload.get("version")
    if not isinstance(version, int) or version < 1:
        raise CheckpointError(path, f"unknown format version {version!r}")
    if version > VERSION:
        raise CheckpointError(path, f"written by a newer version of PixelCNN Studio (format version {version}; "
                                    f"this one reads up to {VERSION}): please upgrade")
    return payload


def load_checkpoint(path, map_location="cpu") -> LoadedCheckpoint:
    payload = read_checkpoint_dict(path, map_location)
    try:
        config = ModelConfig.from_dict(dict(payload["config"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(path, f"bad model config: {exc}") from exc
    state = strip_wrapper_prefixes(payload.get("state_dict") or {})
    model = build_model(config)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}" for k, v in expected.items()
             if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} weights (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected weights (e.g. {unexpected[0]})")
        if wrong:
            parts.append(f"wrong shapes: {wrong[0]}" + (f" and {len(wrong) - 1} more" if len(wrong) > 1 else ""))
        raise CheckpointError(path, "weights do not match the config: " + "; ".join(parts))
    # load_state_dict copies into the float32 parameters, restoring half-precision files.
    model.load_state_dict(state)
    model.to(map_location).eval()
    metadata = {k: payload.get(k) for k in ("dataset", "metrics", "training")}
    metadata.update(payload.get("extra") or {})
    class_names = payload.get("class_names")
    if class_names is not None and config.num_classes and len(class_names) != config.num_classes:
        raise CheckpointError(path, f"{len(class_names)} class names for {config.num_classes} classes")
    return LoadedCheckpoint(model=model, config=config, class_names=class_names,
                            embedder=payload.get("embedder"), metadata=metadata, path=str(path))
