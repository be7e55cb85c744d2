"""The dataset object every provider returns, its error type, and the shared image helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch
from PIL import Image, ImageOps

from ..core.picture_limits import apply_picture_limits

apply_picture_limits()        # image folders and emoji sets: the same size limit as every picture

# One seed for every held-out split, so "test" means the same images on every machine and every run.
HELD_OUT_SEED = 20160606
HELD_OUT_EVERY = 10
HELD_OUT_RULE = (
    f"held-out: every {HELD_OUT_EVERY}th item of a permutation seeded with {HELD_OUT_SEED}, "
    "taken within each class when labelled"
)


class DatasetError(Exception):
    """A dataset could not be found or read; the message says what to do about it."""


@dataclass(repr=False)
class ImageDataset(torch.utils.data.Dataset):
    """Images as one uint8 tensor (N, C, H, W), with optional integer labels and class names."""

    images: torch.Tensor
    labels: torch.Tensor | None = None
    class_names: list[str] | None = None
    name: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    # The file each image was read from, where there is one (image folders): an embedder can then
    # look at the full-resolution photo instead of the resized pixels.
    sources: list[str] | None = None
    # Which group each image belongs to, where the set has groups (letters: its font), as int64 ids:
    # a style model is conditioned on another image of the same group.
    groups: torch.Tensor | None = None
    # Per-image conditioning vectors the data itself defines (fashion-where: the garment's box as
    # canvas fractions x0, y0, x1, y1), float32 (N, D); None for most sets.
    boxes: torch.Tensor | None = None

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.ndim != 4:
            raise ValueError(
                f"images must be a uint8 tensor (N, C, H, W), got {self.images.dtype} {tuple(self.images.shape)}"
            )
        if self.labels is not None:
            if self.labels.shape != (self.images.shape[0],):
                raise ValueError("labels must have one entry per image")
            self.labels = self.labels.to(torch.int64)
        if self.sources is not None and len(self.sources) != self.images.shape[0]:
            raise ValueError("sources must have one entry per image")
        if self.groups is not None:
            if self.groups.shape != (self.images.shape[0],):
                raise ValueError("groups must have one entry per image")
            self.groups = self.groups.to(torch.int64)
        if self.boxes is not None:
            if self.boxes.ndim != 2 or self.boxes.shape[0] != self.images.shape[0]:
                raise ValueError("boxes must be (N, D), one row per image")
            self.boxes = self.boxes.to(torch.float32)

    def keep_first(self, count: int) -> None:
        """Keep the first `count` images (with their labels and sources), e.g. for a quick run."""
        self.images = self.images[:count]
        self.labels = None if self.labels is None else self.labels[:count]
        self.sources = None if self.sources is None else self.sources[:count]
        self.groups = None if self.groups is None else self.groups[:count]
        self.boxes = None if self.boxes is None else self.boxes[:count]

    def keep_stratified(self, count: int) -> None:
        """Keep `count` images with every class in its share of the split (largest remainders get the
        rounding), each class's first ones in file order, the dataset's order kept. Deterministic, and
        fair where a split is stored class by class (a plain prefix of such a split would hold only
        the first classes). Without labels: the first `count`."""
        if self.labels is None or count >= len(self):
            self.keep_first(count)
            return
        labels = self.labels
        classes, sizes = torch.unique(labels, return_counts=True)
        exact = sizes.double() * count / len(self)
        take = exact.floor().to(torch.int64)
        # Hand the images left over to the classes with the largest remainders (ties: lower class).
        short = count - int(take.sum())
        for i in sorted(range(len(classes)), key=lambda i: (-float(exact[i] - take[i]), i))[:short]:
            take[i] += 1
        keep = torch.cat([torch.nonzero(labels == c).flatten()[:int(k)] for c, k in zip(classes, take)])
        keep = keep.sort().values
        self.images = self.images[keep]
        self.labels = self.labels[keep]
        self.sources = None if self.sources is None else [self.sources[i] for i in keep.tolist()]
        self.groups = None if self.groups is None else self.groups[keep]
        self.boxes = None if self.boxes is None else self.boxes[keep]

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        label = -1 if self.labels is None else int(self.labels[index])
        return self.images[index], label

    @property
    def channels(self) -> int:
        return int(self.images.shape[1])

    @property
    def image_size(self) -> tuple[int, int]:
        return int(self.images.shape[2]), int(self.images.shape[3])

    @property
    def num_classes(self) -> int:
        return 0 if self.class_names is None else len(self.class_names)

    def __repr__(self) -> str:
        n, c, h, w = self.images.shape
        classes = f", {self.num_classes} classes" if self.class_names else ""
        return f"ImageDataset({self.name!r}, {self.info.get('split', '?')}: {n} x {c}x{h}x{w}{classes})"


def held_out_indices(
    count: int, split: str, labels: np.ndarray | None = None, seed: int = HELD_OUT_SEED
) -> np.ndarray:
    """Indices (ascending) of the train or test part of a set that has no official test split.

    Every 10th item of a seeded permutation is held out, per class when labels are given so that
    small classes still appear in the test part. A group of one stays in train: a model should see
    every class it is asked to draw.
    """
    if split not in ("train", "test"):
        raise DatasetError(f"unknown split {split!r}: use 'train' or 'test'")
    test_mask = np.zeros(count, dtype=bool)
    if labels is None:
        groups = [np.arange(count)]
    else:
        labels = np.asarray(labels)
        groups = [np.flatnonzero(labels == value) for value in np.unique(labels)]
    rng = np.random.default_rng(seed)
    for members in groups:
        order = rng.permutation(len(members))
        if len(members) >= 2:
            test_mask[members[order[::HELD_OUT_EVERY]]] = True
    return np.flatnonzero(test_mask if split == "test" else ~test_mask)


def normalise_size(image_size: int | Sequence[int] | None) -> tuple[int, int] | None:
    if image_size is None:
        return None
    if isinstance(image_size, int):
        size = (image_size, image_size)
    else:
        size = tuple(int(s) for s in image_size)
    if len(size) != 2 or min(size) < 1:
        raise DatasetError(f"image_size must be a positive int or (height, width), got {image_size!r}")
    return size  # type: ignore[return-value]


def flatten_alpha(image: Image.Image) -> Image.Image:
    """Composite any transparency onto white: transparent pixels carry arbitrary colour values."""
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba).convert("RGB")
    return image


def fit_image(image: Image.Image, size: tuple[int, int] | None, channels: int) -> np.ndarray:
    """Alpha on white, to L or RGB, resized so the shorter side fits and centre-cropped: (C, H, W) uint8."""
    image = flatten_alpha(image)
    image = image.convert("L" if channels == 1 else "RGB")
    if size is not None and image.size != (size[1], size[0]):
        image = ImageOps.fit(image, (size[1], size[0]), method=Image.Resampling.LANCZOS)
    array = np.asarray(image, dtype=np.uint8)
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)


def resize_images(images: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """Resize a (N, C, H, W) uint8 batch with the same fit-and-crop rule as image folders."""
    if size is None or images.shape[2:] == size:
        return images
    n, c = images.shape[:2]
    out = np.empty((n, c, *size), dtype=np.uint8)
    for i in range(n):
        if c == 1:
            out[i] = fit_image(Image.fromarray(images[i, 0]), size, 1)
        else:
            out[i] = fit_image(Image.fromarray(images[i].transpose(1, 2, 0)), size, c)
    return out


def convert_channels(images: np.ndarray, channels: int | None) -> np.ndarray:
    """Grey to RGB by repetition, RGB to grey by ITU-R 601 luma (what Pillow's convert('L') does)."""
    if channels is None or images.shape[1] == channels:
        return images
    if channels not in (1, 3):
        raise DatasetError(f"channels must be 1 or 3, got {channels!r}")
    if channels == 3:
        return np.repeat(images, 3, axis=1)
    weights = np.array([299, 587, 114], dtype=np.uint32).reshape(1, 3, 1, 1)
    luma = (images.astype(np.uint32) * weights).sum(axis=1, keepdims=True)
    return ((luma + 500) // 1000).astype(np.uint8)


def floats_to_uint8(array: np.ndarray) -> np.ndarray:
    """Floats in [0, 1] become levels 0..255 (rounded, so values saved as k/255 come back exact)."""
    array = np.asarray(array, dtype=np.float64)
    if array.size and (np.nanmin(array) < 0.0 or np.nanmax(array) > 1.0 or np.isnan(array).any()):
        raise DatasetError("float images must lie in [0, 1]")
    return np.rint(array * 255.0).astype(np.uint8)


def make_dataset(
    name: str,
    split: str,
    images: np.ndarray,
    labels: np.ndarray | None,
    class_names: Sequence[str] | None,
    info: dict[str, Any],
    sources: Sequence[str] | None = None,
    groups: np.ndarray | None = None,
    boxes: np.ndarray | None = None,
) -> ImageDataset:
    info = dict(info)
    info["split"] = split
    info["count"] = int(images.shape[0])
    return ImageDataset(
        images=torch.from_numpy(np.ascontiguousarray(images, dtype=np.uint8)),
        labels=None if labels is None else torch.from_numpy(np.asarray(labels, dtype=np.int64)),
        class_names=None if class_names is None else [str(c) for c in class_names],
        name=name,
        info=info,
        sources=None if sources is None else [str(p) for p in sources],
        groups=None if groups is None else torch.from_numpy(np.asarray(groups, dtype=np.int64)),
        boxes=None if boxes is None else torch.from_numpy(np.asarray(boxes, dtype=np.float32)),
    )
