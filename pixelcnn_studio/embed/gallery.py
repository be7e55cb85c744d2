"""The training images a checkpoint carries with their embeddings (`metadata["gallery"]`), and which of them
lie closest to a new embedding: what the model has seen nearest to a dropped portrait."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Neighbour:
    index: int              # position in the gallery
    distance: float         # Euclidean, in the embedder's space
    image: np.ndarray       # uint8 (C, H, W)


def _array(value) -> np.ndarray:
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def gallery_of(metadata: dict | None) -> tuple[np.ndarray, np.ndarray] | None:
    """(images uint8 (N, C, H, W), embeddings float32 (N, D)) from a checkpoint's metadata, or None."""
    gallery = (metadata or {}).get("gallery")
    if not isinstance(gallery, dict) or gallery.get("images") is None or gallery.get("embeddings") is None:
        return None
    images = _array(gallery["images"])
    vectors = _array(gallery["embeddings"]).astype(np.float32)
    if images.ndim != 4 or vectors.ndim != 2 or len(images) != len(vectors) or not len(images):
        return None
    return images.astype(np.uint8), vectors


def nearest(gallery: tuple[np.ndarray, np.ndarray] | None, vector, k: int = 6) -> list[Neighbour]:
    """The k gallery images whose embeddings are nearest to `vector`, nearest first."""
    if gallery is None:
        return []
    images, vectors = gallery
    vector = np.asarray(vector, dtype=np.float32).reshape(-1)
    if vectors.shape[1] != vector.size:
        return []
    distances = np.linalg.norm(vectors - vector, axis=1)
    order = np.argsort(distances, kind="stable")[:k]
    return [Neighbour(int(i), float(distances[i]), images[i]) for i in order]


def mean_embedding(gallery: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray | None:
    """The average training embedding: a neutral starting point before any portrait is given."""
    return None if gallery is None else gallery[1].mean(axis=0).astype(np.float32)


def stratified_indices(labels, count: int, seed: int = 0) -> list[int]:
    """About `count` indices with every label equally represented (as far as each has images), in
    round-robin order of label, so any prefix of the gallery (the first two are the Interpolation
    tab's defaults) already spans different classes. Without labels: the first `count`."""
    if labels is None:
        return list(range(count))
    labels = np.asarray(_array(labels)).reshape(-1)
    classes = np.unique(labels)
    rng = np.random.default_rng(seed)
    per_class = {c: rng.permutation(np.flatnonzero(labels == c)).tolist() for c in classes}
    order: list[int] = []
    for rank in range(max((len(v) for v in per_class.values()), default=0)):
        order.extend(per_class[c][rank] for c in classes if rank < len(per_class[c]))
        if len(order) >= count:
            break
    return order[:count]
