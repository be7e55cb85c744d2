"""What a checkpoint file is checked for before anything in it is trusted or allocated.

Loading runs in three passes (see `checkpoint.read_checkpoint_dict`):

1. the file itself: a regular file (a FIFO would block the reader forever), and, for the zip
   archive torch.save writes, the uncompressed sizes its directory declares, read without
   inflating anything: a small file can declare gigabytes (a deflate bomb);
2. the structure: the pickle alone is read with every tensor placed on the `meta` device, which
   holds shapes and dtypes but no data. Config, state-dict keys, dtypes and shapes, metadata types
   and the embedder entry are checked on that skeleton, and the memory the model and the file's
   tensors will take is compared with what this process can still allocate;
3. the weights, once read: all finite, else the first tensor that is not is named.
"""
from __future__ import annotations

import functools
import json
import os
import stat
import zipfile
from dataclasses import dataclass
from typing import Callable

import torch

from . import memory
from .box import BOX_EMBEDDER, check_box_entry
from .config import ModelConfig, is_int

FORMAT = "pixelcnn-studio"
VERSION = 1
# Prefixes added by DistributedDataParallel and torch.compile around the real module.
WRAPPER_PREFIXES = ("module.", "_orig_mod.")
METADATA_DICTS = ("dataset", "metrics", "training", "extra")
# The pickle holds only names and small values (a few KB; tens of KB with resume settings).
MAX_PICKLE_BYTES = 64 * 2**20
# Besides the weights a file may carry an EMA copy, optimiser moments, an encoder and a gallery.
STORED_TENSORS_PER_WEIGHT = 8
STORED_ALLOWANCE_BYTES = 256 * 2**20
FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)

# Checks of embedder entries by embedder name, registered by the embed layer (core never imports
# it): each takes the entry and the model's config and returns the entry's expected weight shapes,
# or raises ValueError saying what is wrong.
EMBEDDER_ENTRY_CHECKS: dict[str, Callable[[dict, ModelConfig], dict]] = {}


def register_embedder_entry_check(name: str, check: Callable[[dict, ModelConfig], dict]) -> None:
    EMBEDDER_ENTRY_CHECKS[name] = check


class CheckpointError(Exception):
    """A file that cannot be used as a checkpoint; the message names the file and the reason."""

    def __init__(self, path, problem: str):
        from .safe_text import shown
        self.path, self.problem = str(path), problem
        super().__init__(f"{shown(path, 120)}: {problem}")


@dataclass
class Skeleton:
    """A checkpoint's structure, checked, with its config built; tensors may still be on `meta`."""
    payload: dict
    config: ModelConfig
    state_dict: dict
    model_bytes: int
    stored_bytes: int


# -- pass 1: the file ------------------------------------------------------------------------------

def check_regular_file(path) -> int:
    """The file's size; refuses anything but a regular file before it is opened."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise CheckpointError(path, "no such file") from None
    except OSError as exc:
        raise CheckpointError(path, f"cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise CheckpointError(path, "is a folder, not a checkpoint file")
    if not stat.S_ISREG(info.st_mode):
        kind = "a named pipe" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise CheckpointError(path, f"is {kind}, not a regular file")
    if info.st_size == 0:
        raise CheckpointError(path, "empty file")
    return info.st_size


def check_archive(path) -> int:
    """Bytes of tensor data the zip archive declares, checked entry by entry without inflating any."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise CheckpointError(path, "truncated or corrupt file") from exc
    if len(entries) > 1_000_000:
        raise CheckpointError(path, f"the archive lists {len(entries):,} entries; no checkpoint has that many")
    pickles = [e for e in entries if e.filename.endswith("/data.pkl") or e.filename == "data.pkl"]
    if len(pickles) != 1:
        raise CheckpointError(path, "not a PixelCNN Studio checkpoint (not a PyTorch archive)")
    if pickles[0].file_size > MAX_PICKLE_BYTES:
        raise CheckpointError(path, f"its header declares {memory.format_bytes(pickles[0].file_size)}; "
                                    f"a checkpoint's is under {memory.format_bytes(MAX_PICKLE_BYTES)}")
    data = sum(e.file_size for e in entries if "/data/" in e.filename)
    if not memory.fits(data):
        raise CheckpointError(path, f"its tensors declare {memory.format_bytes(data)} once unpacked, more than "
                                    f"the memory left ({memory.limit_text()})")
    return data


# -- pass 2: the structure -------------------------------------------------------------------------

def strip_wrapper_prefixes(state_dict: dict) -> dict:
    out = {}
    for key, value in state_dict.items():
        changed = True
        while changed:
            changed = False
            for prefix in WRAPPER_PREFIXES:
                if isinstance(key, str) and key.startswith(prefix):
                    key, changed = key[len(prefix):], True
        out[key] = value
    return out


def least_model_bytes(config: ModelConfig) -> int:
    """A lower bound of the model's size from its largest weights in either variant (float32): every
    layer after the first holds at least a (2p, p, k//2 + 1, k) convolution, every layer its (p, p)
    residual and skip matrices and a (2p, h) conditioning matrix, the head a (C * levels, q) matrix,
    the location network a linear layer to its map. Computed without building anything."""
    k, p, h = config.kernel_size, config.hidden, config.condition_dim
    least = 4 * ((config.layers - 1) * 2 * p * p * (k // 2 + 1) * k + config.layers * h * 2 * p
                 + config.layers * 2 * p * p + config.channels * config.levels * config.head_hidden)
    if config.location_conditioning:
        least += 4 * h * config.location_channels * -(-config.height // 4) * -(-config.width // 4)
    return least


# Below this lower bound on a model's weights (the bundled ones need about 8 MB) the shapes come from a
# real build on the CPU rather than a meta-device one.
SMALL_CPU_BUILD_BYTES = 64 * 2**20


def expected_weights(config: ModelConfig) -> tuple[dict[str, tuple], int]:
    """Shapes of the model's saved weights and the bytes the built model takes, from a build on the
    `meta` device (shapes only, nothing allocated); remembered per config, as a load asks twice."""
    return _expected_weights(json.dumps(config.to_dict(), sort_keys=True))


@functools.lru_cache(maxsize=16)
def _expected_weights(config_json: str) -> tuple[dict[str, tuple], int]:
    from .model import build_model
    config = ModelConfig.from_dict(json.loads(config_json))
    # When even the lower bound cannot fit, the shapes-only build (seconds for the largest configs) is skipped.
    least = least_model_bytes(config)
    if not memory.fits(least):
        raise ValueError(f"the model this config describes needs more than {memory.format_bytes(least)}; "
                         f"{memory.limit_text()}")
    # A model that small is built on the CPU (milliseconds): on the meta device torch runs its Python
    # decompositions, and their first use imports torch._dynamo, seconds at every start of the app.
    small = least < SMALL_CPU_BUILD_BYTES and memory.fits(8 * least)
    with torch.device("cpu" if small else "meta"):
        model = build_model(config)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    tensors = list(model.parameters()) + list(model.buffers())
    return shapes, sum(t.numel() * t.element_size() for t in tensors)


def _tensor_bytes(value) -> int:
    return value.numel() * value.element_size()


def check_weights(state, expected: dict[str, tuple], what: str) -> tuple[dict, int]:
    """A state dict whose keys are strings and whose values are dense floating tensors of the expected
    shapes; returns it without wrapper prefixes, and the bytes its tensors hold."""
    if not isinstance(state, dict):
        raise ValueError(f"the {what} is a {type(state).__name__}, not a dict of tensors")
    bad_keys = [k for k in state if not isinstance(k, str)]
    if bad_keys:
        raise ValueError(f"the {what} holds a key that is not a name ({type(bad_keys[0]).__name__} {bad_keys[0]!r:.40})")
    state = strip_wrapper_prefixes(state)
    from .safe_text import shown
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"{what} entry {shown(key, 60)} is a {type(value).__name__}, not a tensor")
        if value.layout != torch.strided:
            raise ValueError(f"{what} entry {shown(key, 60)} is a sparse tensor; weights are dense")
        if value.dtype not in FLOAT_DTYPES:
            raise ValueError(f"{what} entry {shown(key, 60)} holds {str(value.dtype).replace('torch.', '')}, "
                             "not floating-point weights")
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [f"{k} {tuple(state[k].shape)} != {v}" for k, v in expected.items()
             if k in state and tuple(state[k].shape) != v]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} weights (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected weights (e.g. {shown(unexpected[0], 60)})")
        if wrong:
            parts.append(f"wrong shapes: {wrong[0]}" + (f" and {len(wrong) - 1} more" if len(wrong) > 1 else ""))
        raise ValueError(f"the {what} does not match the config: " + "; ".join(parts))
    return state, sum(_tensor_bytes(v) for v in state.values())


def check_class_names(names, config: ModelConfig):
    if names is None:
        return
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        kind = type(names).__name__ if not isinstance(names, list) else \
            next(type(n).__name__ for n in names if not isinstance(n, str))
        raise ValueError(f"class names must be a list of text, found a {kind}")
    if config.num_classes and len(names) != config.num_classes:
        raise ValueError(f"{len(names)} class names for {config.num_classes} classes")


def check_embedder(entry, config: ModelConfig) -> int:
    """The embedder entry by type, and by its own check where one is registered; returns its tensor bytes."""
    if entry is None:
        return 0
    if not isinstance(entry, dict):
        raise ValueError(f"the embedder entry is a {type(entry).__name__}, not a dict")
    name, dim = entry.get("name"), entry.get("dim")
    if not isinstance(name, str) or not name:
        raise ValueError("the embedder entry has no name")
    if dim is not None and (not is_int(dim) or dim != config.embedding_dim):
        raise ValueError(f"the embedder entry says {dim!r:.20}-D but the model takes "
                         f"{config.embedding_dim}-D embeddings")
    if name == BOX_EMBEDDER:        # a box is given by the user, not computed: no weights to check
        check_box_entry(entry, config)
        return 0
    check = EMBEDDER_ENTRY_CHECKS.get(name)
    if check is None:
        return 0
    _, stored = check_weights(entry.get("state_dict"), check(entry, config), "embedder's state dict")
    return stored


def check_metadata(payload: dict) -> None:
    for key in METADATA_DICTS:
        value = payload.get(key)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise ValueError(f"'{key}' must be a dict of named values, found a {type(value).__name__}")


def check_gallery(gallery, config: ModelConfig) -> None:
    """The training images and codes a portrait model carries (`extra.gallery`)."""
    if gallery is None:
        return
    images = gallery.get("images") if isinstance(gallery, dict) else None
    codes = gallery.get("embeddings") if isinstance(gallery, dict) else None
    if not isinstance(images, torch.Tensor) or not isinstance(codes, torch.Tensor):
        raise ValueError("the gallery must hold 'images' and 'embeddings' tensors")
    if (images.dim() != 4 or tuple(images.shape[1:]) != (config.channels, config.height, config.width)
            or images.dtype != torch.uint8 or images.layout != torch.strided):
        raise ValueError(f"gallery images of shape {tuple(images.shape)} do not fit the model")
    if (codes.dim() != 2 or codes.shape[0] != images.shape[0] or codes.dtype not in FLOAT_DTYPES
            or codes.layout != torch.strided):
        raise ValueError(f"gallery embeddings of shape {tuple(codes.shape)} do not fit its images")


def check_header(path, payload) -> None:
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(path, "not a PixelCNN Studio checkpoint (no 'format: pixelcnn-studio' header)")
    version = payload.get("version")
    if not is_int(version) or version < 1:
        raise CheckpointError(path, f"unknown format version {version!r:.20}")
    if version > VERSION:
        raise CheckpointError(path, f"written by a newer version of PixelCNN Studio (format version {version}; "
                                    f"this one reads up to {VERSION}): please upgrade")


def check_skeleton(path, payload) -> Skeleton:
    """Every check that needs no tensor data, in the order that keeps each one cheap."""
    check_header(path, payload)
    try:
        config = ModelConfig.from_dict(payload.get("config"))
    except (TypeError, ValueError) as exc:
        raise CheckpointError(path, f"bad model config: {str(exc).replace('invalid ModelConfig: ', '')}") from exc
    try:
        expected, model_bytes = expected_weights(config)
        if not memory.fits(model_bytes):
            raise ValueError(f"the model this config describes needs about {memory.format_bytes(model_bytes)}; "
                             f"{memory.limit_text()}")
        state, stored = check_weights(payload.get("state_dict"), expected, "state dict")
        check_class_names(payload.get("class_names"), config)
        stored += check_embedder(payload.get("embedder"), config)
        check_metadata(payload)
        check_gallery((payload.get("extra") or {}).get("gallery"), config)
    except ValueError as exc:
        raise CheckpointError(path, str(exc)) from exc
    return Skeleton(payload, config, state, model_bytes, stored)


def check_sizes(path, skeleton: Skeleton, declared_bytes: int | None) -> None:
    """The archive's tensor data against what the config implies, and the load against memory."""
    weights = skeleton.model_bytes
    if declared_bytes is not None:
        allowed = STORED_TENSORS_PER_WEIGHT * weights + STORED_ALLOWANCE_BYTES
        if declared_bytes > allowed:
            raise CheckpointError(path, f"its tensors declare {memory.format_bytes(declared_bytes)}, far more than "
                                        f"a model of this config needs ({memory.format_bytes(weights)})")
    # Reading holds the file's tensors and the built model at once.
    need = weights + max(skeleton.stored_bytes, declared_bytes or 0)
    if not memory.fits(need):
        raise CheckpointError(path, f"the model needs about {memory.format_bytes(need)} to load; "
                                    f"{memory.limit_text()}")


# -- pass 3: the weights ---------------------------------------------------------------------------

def first_non_finite(tensors: dict) -> tuple[str, str] | None:
    """(name, "NaN" or "Inf") of the first floating tensor holding a value that is not finite."""
    for name, value in tensors.items():
        if isinstance(value, torch.Tensor) and value.is_floating_point() and value.numel():
            # A NaN or infinity makes the sum non-finite, and finite float32 values cannot overflow a
            # float64 sum; one reduction is a thousand times faster than isfinite on half precision.
            if not bool(torch.isfinite(value.sum(dtype=torch.float64))) and not bool(torch.isfinite(value).all()):
                return name, "NaN" if bool(torch.isnan(value).any()) else "Inf"
    return None


def check_finite(path, skeleton: Skeleton, state: dict) -> None:
    from .safe_text import shown
    groups = [("weight", state)]
    entry = skeleton.payload.get("embedder")
    if isinstance(entry, dict) and isinstance(entry.get("state_dict"), dict):
        groups.append(("embedder weight", entry["state_dict"]))
    for what, tensors in groups:
        found = first_non_finite(tensors)
        if found:
            raise CheckpointError(path, f"{what} {shown(found[0], 60)} holds {found[1]} values; "
                                        "the model cannot be used (was training diverging?)")
