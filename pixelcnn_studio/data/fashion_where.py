"""`fashion-where`: Fashion-MNIST garments placed on a larger canvas, each stretched to fill a box.

The paper's location-dependent conditioning (its section 2.3) needs pictures where *where* varies and
is known. Each picture here is one Fashion-MNIST garment, cropped to its own ink and stretched to fill a
box of random place, size (a third of the canvas side to the whole of it) and aspect, on a black canvas
like Fashion-MNIST's own. The box, as fractions of the canvas (x0, y0, x1, y1: top-left then
bottom-right, edges on pixel boundaries), is the conditioning vector beside the class.

Everything is a pure function of (split, index, seed): picture i of a split is always garment i of that
Fashion-MNIST split in the same box, so a held-out figure is comparable between runs and machines. The
held-out split is made from Fashion-MNIST's test images only.

A second garment (`second_share`) is an option: a different garment in its own box, not described by
the conditioning vector, so that a model learns the box says where *its* garment goes, not that nothing
else may be drawn. The bundled model is trained without it.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

from .base import DatasetError

NAME = "fashion-where"
CANVAS = 48                 # pixels a side
MIN_SIDE_FRACTION = 1 / 3   # the smallest box side, as a fraction of the canvas side
MAX_ASPECT = 2.0            # the longest box is at most twice as long as it is wide (before clipping)
SEED = 20161205             # the default seed of the boxes (the paper's NIPS year and month, no more)
INK_LEVEL = 16              # a pixel brighter than this counts as ink (Fashion-MNIST's background is 0)
_SPLIT_CODES = {"train": 0, "test": 1}


def garment_crop(image: np.ndarray) -> np.ndarray:
    """The garment cropped to its own ink (a 28x28 Fashion-MNIST picture has a margin round it)."""
    rows = np.flatnonzero((image > INK_LEVEL).any(axis=1))
    cols = np.flatnonzero((image > INK_LEVEL).any(axis=0))
    if len(rows) == 0 or len(cols) == 0:
        return image
    return image[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]


def random_box(rng: np.random.Generator, canvas: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) in pixels, x1 and y1 exclusive: a side of a third of the canvas to the whole,
    an aspect of up to MAX_ASPECT either way, anywhere it fits."""
    smallest = max(2, int(np.ceil(canvas * MIN_SIDE_FRACTION)))
    size = rng.uniform(smallest, canvas)
    aspect = np.exp(rng.uniform(-np.log(MAX_ASPECT), np.log(MAX_ASPECT)))
    width = int(np.clip(round(size * np.sqrt(aspect)), smallest, canvas))
    height = int(np.clip(round(size / np.sqrt(aspect)), smallest, canvas))
    x0 = int(rng.integers(0, canvas - width + 1))
    y0 = int(rng.integers(0, canvas - height + 1))
    return x0, y0, x0 + width, y0 + height


def paste(canvas: np.ndarray, garment: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """Stretch `garment` to fill `box` of `canvas` (in place); overlapping ink keeps the brighter."""
    x0, y0, x1, y1 = box
    stretched = Image.fromarray(garment_crop(garment)).resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR)
    region = canvas[y0:y1, x0:x1]
    np.maximum(region, np.asarray(stretched, dtype=np.uint8), out=region)


def box_fractions(box: tuple[int, int, int, int], canvas: int) -> tuple[float, float, float, float]:
    return tuple(float(v) / canvas for v in box)  # type: ignore[return-value]


def place_garments(garments: np.ndarray, split: str, *, canvas: int = CANVAS, seed: int = SEED,
                   second_share: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(images (N, 1, canvas, canvas) uint8, boxes (N, 4) float32 fractions) for garments (N, 28, 28).

    Picture i draws its box from a generator seeded by (seed, split, i) alone: the same picture
    whatever else is in the set or in which order it is made.
    """
    if split not in _SPLIT_CODES:
        raise DatasetError(f"unknown split {split!r}: use 'train' or 'test'")
    if canvas < 6:
        raise DatasetError(f"a fashion-where canvas needs at least 6 pixels a side, got {canvas}")
    garments = np.asarray(garments)
    if garments.ndim == 4:      # (N, 1, 28, 28) as the IDX reader gives them
        garments = garments[:, 0]
    count = len(garments)
    images = np.zeros((count, 1, canvas, canvas), dtype=np.uint8)
    boxes = np.zeros((count, 4), dtype=np.float32)
    for i in range(count):
        rng = np.random.default_rng([seed, _SPLIT_CODES[split], i])
        box = random_box(rng, canvas)
        paste(images[i, 0], garments[i], box)
        boxes[i] = box_fractions(box, canvas)
        if second_share and rng.random() < second_share and count > 1:
            other = int(rng.integers(0, count - 1))
            paste(images[i, 0], garments[other + (other >= i)], random_box(rng, canvas))
    return images, boxes


def fashion_where(root, split: str, *, canvas: int = CANVAS, seed: int = SEED, second_share: float = 0.0):
    """The split as (images, labels, class names, info, boxes), made from the Fashion-MNIST split of
    the same name."""
    from .idx import fashion_mnist
    garments, labels, class_names, info = fashion_mnist(root, split)
    images, boxes = place_garments(garments, split, canvas=canvas, seed=seed, second_share=second_share)
    info = dict(info)
    info.update(source=f"{info.get('source', 'Fashion-MNIST')}, each garment stretched into a random box "
                       f"on a {canvas}x{canvas} canvas (seed {seed})",
                split_rule="official (held-out pictures are made from Fashion-MNIST's test images)",
                box_seed=seed, canvas=canvas, second_share=second_share)
    return images, labels, class_names, info, boxes
