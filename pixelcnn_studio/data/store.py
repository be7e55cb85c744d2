"""Where datasets live on disk, and the decoded-array cache that makes second loads fast."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .. import paths

ENV_VAR = paths.DATA_ENV

# Where Debian's dataset-* packages put their files; searched after the user's data root.
SYSTEM_DATASET_DIRS: tuple[Path, ...] = (
    Path("/usr/share/datasets"),
    Path("/usr/local/share/datasets"),
)
# Global npm installs (`npm install -g`), searched after <data root>/npm/node_modules.
SYSTEM_NODE_MODULES: tuple[Path, ...] = (
    Path("/usr/local/lib/node_modules"),
    Path("/usr/lib/node_modules"),
)

# Bump when the meaning of a cached array changes, so old caches are rebuilt rather than trusted.
CACHE_VERSION = 1
FETCH_SCRIPT = "scripts/fetch_datasets.sh"


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Explicit root, else $PIXELCNN_STUDIO_DATA, else the user's cache (~/.cache/pixelcnn-studio/data)."""
    return Path(root).expanduser() if root is not None else paths.datasets_dir()


def dataset_dirs(name: str, root: str | os.PathLike | None = None) -> list[Path]:
    """Candidate folders for a named dataset, most specific first."""
    return [data_root(root) / name] + [base / name for base in SYSTEM_DATASET_DIRS]


def npm_package_dirs(package: str, root: str | os.PathLike | None = None) -> list[Path]:
    return [data_root(root) / "npm" / "node_modules" / package] + [
        base / package for base in SYSTEM_NODE_MODULES
    ]


def fetch_hint(dataset: str, *alternatives: str) -> str:
    """How to get a missing dataset, as the end of a one-line error: the most direct way first."""
    ways = [*alternatives, f"bash {FETCH_SCRIPT} {dataset} (from the PixelCNN Studio source tree)"]
    return "get it with: " + "; or: ".join(ways)


def files_signature(paths: Iterable[Path], extra: object = None) -> str:
    """A fingerprint of source files (path, size, mtime) plus options; changes when any of them does."""
    entries = []
    for path in paths:
        stat = path.stat()
        entries.append([str(path), stat.st_size, stat.st_mtime_ns])
    blob = json.dumps([CACHE_VERSION, entries, extra], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def cache_path(root: str | os.PathLike | None, key: str) -> Path:
    return data_root(root) / "cache" / f"{key}.npz"


def load_cached(path: Path, signature: str) -> dict[str, np.ndarray] | None:
    """The cached arrays if the cache was built from the same sources, else None (a stale or
    broken cache is simply rebuilt: it is ours, never the user's only copy)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if str(archive["__signature__"]) != signature:
                return None
            return {k: archive[k] for k in archive.files if k != "__signature__"}
    except (OSError, KeyError, ValueError, EOFError):
        return None


def save_cached(path: Path, signature: str, arrays: dict[str, np.ndarray]) -> bool:
    """Write the cache atomically so a crash or a concurrent loader never sees half a file.
    Returns False where the data root is not writable: caching is an optimisation, never an error."""
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=path.stem + ".", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            # Uncompressed: the point is load speed, and these arrays are small.
            np.savez(handle, __signature__=np.array(signature), **arrays)
        os.replace(tmp_name, path)
        return True
    except OSError:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
        return False


def cached_arrays(
    root: str | os.PathLike | None,
    key: str,
    signature: str,
    build: Callable[[], dict[str, np.ndarray]],
) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """Arrays from the cache when it matches `signature`, else from `build()` (then cached).
    The second value says which happened, for the dataset's info."""
    path = cache_path(root, key)
    arrays = load_cached(path, signature)
    if arrays is not None:
        return arrays, {"from_cache": True, "cache_path": str(path)}
    arrays = build()
    written = save_cached(path, signature, arrays)
    return arrays, {"from_cache": False, "cache_path": str(path) if written else None}
