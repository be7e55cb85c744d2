"""Embeddings of a whole dataset for `--conditioning embedding`: batched, with a progress bar, and
cached per picture in the user's cache folder, so a second run, a resumed run, an evaluation or a
folder with a few new photos only embeds what it has not seen.

What is embedded matters: where the dataset knows the files its images came from (image
folders), the embedder sees the full-resolution photo, as it will when a user drops a portrait
into the app; a 32x32 thumbnail carries too little of a face for the face network. Otherwise
(sets that come as arrays) it sees the dataset's own pixels.
"""
from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

BATCH = 32                 # pictures per call of the embedder's batch method
SAVE_EVERY_SECONDS = 60.0  # an interrupted run keeps what was embedded up to the last save


def default_cache_dir() -> Path:
    from .. import paths
    return paths.embeddings_cache_dir()


def picture_keys(images: torch.Tensor, sources=None) -> list[str]:
    """One cache key per picture: the file's path, size and time for a file; the pixels' hash otherwise."""
    if sources is not None:
        keys = []
        for path in sources:
            stat = os.stat(path)
            keys.append(f"file:{os.path.abspath(path)}:{stat.st_size}:{stat.st_mtime_ns}")
        return keys
    flat = images.reshape(images.shape[0], -1).numpy()
    shape = "x".join(str(n) for n in images.shape[1:])
    return [f"pixels:{shape}:" + hashlib.sha256(row.tobytes()).hexdigest()[:32] for row in flat]


class EmbeddingCache:
    """key -> vector for one embedder, in one .npz file, written atomically."""

    def __init__(self, folder: Path, embedder_name: str):
        self.path = Path(folder) / f"{embedder_name}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        self.centre_crops: set[str] = set()
        try:
            with np.load(self.path, allow_pickle=False) as data:
                for key, vector, centre in zip(data["keys"].tolist(), data["vectors"], data["centre_crop"]):
                    self.vectors[key] = vector
                    if centre:
                        self.centre_crops.add(key)
        except (OSError, KeyError, ValueError, EOFError):
            pass  # no cache yet, or a damaged one: it is ours and is simply rebuilt

    def save(self) -> None:
        if not self.vectors:
            return
        from ..core.export import atomic_path
        keys = list(self.vectors)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.path) as tmp:
                with open(tmp, "wb") as handle:
                    np.savez(handle, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]),
                             centre_crop=np.array([k in self.centre_crops for k in keys]))
        except OSError:
            pass  # caching is an optimisation: an unwritable cache folder only costs time


def _pictures(images: torch.Tensor, sources, indices):
    from PIL import Image
    if sources is not None:
        return [sources[i] for i in indices]
    pictures = []
    for i in indices:
        array = images[i].permute(1, 2, 0).numpy()
        pictures.append(Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array).convert("RGB"))
    return pictures


def _embed_batch(embedder, pictures) -> list[tuple[np.ndarray, bool]]:
    """(vector, embedded from the centre crop) per picture; one call where the embedder batches."""
    if hasattr(embedder, "analyse_batch"):
        return [(r.vector, bool(r.centre_crop)) for r in embedder.analyse_batch(pictures, allow_centre_crop=True)]
    if hasattr(embedder, "analyse"):
        results = [embedder.analyse(p, allow_centre_crop=True) for p in pictures]
        return [(r.vector, bool(r.centre_crop)) for r in results]
    return [(np.asarray(embedder.embed(p), dtype=np.float32), False) for p in pictures]


def dataset_embeddings(images: torch.Tensor, embedder_name: str, *, sources=None, cache_dir=None,
                       show_progress: bool = True, label: str = "", batch: int = BATCH,
                       share: tuple[int, int] = (0, 1), exchange=None) -> torch.Tensor:
    """(N, D) float32 embeddings of the dataset's pictures: `sources` (file paths, one per image) when
    given, else the uint8 images (N, C, H, W) themselves.

    Pictures in which no face is found are embedded from their centre crop (for tight face crops
    that is the face itself) and counted. Under data-parallel training `share` is (rank, world
    size): each process embeds every world-size-th missing picture, and `exchange` (an all-gather
    of Python objects) hands every process the others' vectors; the first process saves the cache.
    """
    from tqdm import tqdm

    from ..embed import get_embedder
    rank, world = share
    cache = EmbeddingCache(Path(cache_dir) if cache_dir else default_cache_dir(), embedder_name)
    keys = picture_keys(images, sources)
    todo = [i for i, key in enumerate(keys) if key not in cache.vectors]
    mine = todo[rank::world]
    found: dict[str, tuple[np.ndarray, bool]] = {}
    if mine:
        embedder = get_embedder(embedder_name)
        last_save = time.monotonic()
        what = f"embedding {label} pictures".replace("  ", " ")
        with tqdm(total=len(keys), initial=len(keys) - len(todo), desc=what, unit="img",
                  disable=not show_progress) as bar:
            for start in range(0, len(mine), batch):
                chunk = mine[start:start + batch]
                for i, (vector, centre) in zip(chunk, _embed_batch(embedder, _pictures(images, sources, chunk))):
                    found[keys[i]] = (np.asarray(vector, dtype=np.float32), centre)
                bar.update(len(chunk) * world)
                if world == 1 and time.monotonic() - last_save > SAVE_EVERY_SECONDS:
                    _remember(cache, [found])
                    cache.save()
                    last_save = time.monotonic()
    if todo:
        _remember(cache, exchange(found) if world > 1 else [found])
        if rank == 0:
            cache.save()
    centre_crops = sum(key in cache.centre_crops for key in keys)
    if centre_crops and show_progress:
        tqdm.write(f"{centre_crops} of {len(keys)} {label} pictures had no detectable face; "
                   "their centre crop was embedded", file=sys.stderr)
    return torch.from_numpy(np.stack([cache.vectors[key] for key in keys]))


def _remember(cache: EmbeddingCache, parts) -> None:
    for part in parts:
        for key, (vector, centre) in part.items():
            cache.vectors[key] = vector
            if centre:
                cache.centre_crops.add(key)
