"""`emoji-groups`: emoji in classes that each look alike, drawn by three openly licensed emoji sets.

The nine Unicode categories mix things that share nothing visually ("Objects" holds both a
telephone and a lipstick), so a model conditioned on them learns little per class. Unicode's
finer subgroups (face-smiling, heart, country-flag, ...) do look alike; each class here is a
handful of them. Every emoji is drawn by each installed set:

  Noto (npm `emoji-datasource-google`, Apache-2.0)      64x64 PNG
  Twemoji (npm `emoji-datasource-twitter`, CC-BY 4.0)   64x64 PNG
  OpenMoji (npm `openmoji`, CC BY-SA 4.0)               SVG, drawn with resvg-py where installed

with the five single skin tones of every emoji that has them. Alpha goes onto white, and each
drawing is cropped to a square around its visible pixels before resizing, because the sets leave
different margins (OpenMoji's figures are a third smaller inside their canvas).

The held-out split is taken per emoji, not per image: every drawing and skin tone of a held-out
emoji is held out, so the test images are emoji the model has never seen in any style.
"""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from . import guard, store
from .base import HELD_OUT_EVERY, HELD_OUT_SEED, DatasetError, fit_image, flatten_alpha, held_out_indices

EMOJI_SIZE = 32
SOURCE_SIZE = 64

# (class name, Unicode subgroups). Subgroup names as in Unicode's emoji-test.txt, with " & "
# written "-" (emoji-datasource says "sky & weather", OpenMoji "sky-weather").
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("smiling faces", ("face-smiling", "face-affection", "face-tongue")),
    ("worried faces", ("face-concerned", "face-unwell", "face-neutral-skeptical")),
    ("hearts", ("heart",)),
    ("hands", ("hand-fingers-open", "hand-fingers-partial", "hand-single-finger",
               "hand-fingers-closed", "hands")),
    ("people", ("person",)),
    ("mammals", ("animal-mammal",)),
    ("fruit & vegetables", ("food-fruit", "food-vegetable")),
    ("flowers & plants", ("plant-flower", "plant-other")),
    ("vehicles", ("transport-ground", "transport-water", "transport-air")),
    ("sky & weather", ("sky-weather",)),
    ("clocks", ("time",)),
    ("flags", ("country-flag", "flag", "subdivision-flag")),
    ("sign tiles", ("alphanum", "keycap", "arrow", "av-symbol", "zodiac")),
    ("shapes", ("geometric",)),
)
CLASS_NAMES = [name for name, _ in GROUPS]
_CLASS_OF_SUBGROUP = {sub: i for i, (_, subs) in enumerate(GROUPS) for sub in subs}
SKIN_TONES = ("1F3FB", "1F3FC", "1F3FD", "1F3FE", "1F3FF")

# (set name, npm package, file that proves it is there, licence of the drawings)
SETS = (
    ("noto", "emoji-datasource-google", "emoji.json", "Apache-2.0 (Google Noto emoji)"),
    ("twemoji", "emoji-datasource-twitter", "emoji.json", "CC-BY 4.0 (Twitter Twemoji)"),
    ("openmoji", "openmoji", "data/openmoji.json", "CC BY-SA 4.0 (OpenMoji, HfG Schwaebisch Gmuend)"),
)
PACKAGES = [package for _, package, _, _ in SETS]


def _normalise_subgroup(name: str) -> str:
    return str(name).strip().lower().replace(" & ", "-")


def _identity(hexcode: str) -> str:
    """The emoji a drawing shows, whatever its set and skin tone: the code points without the
    variation selector and the skin-tone modifiers."""
    parts = [p for p in str(hexcode).upper().split("-") if p not in ("FE0F", *SKIN_TONES)]
    return "-".join(parts)


def _package_dir(package: str, marker: str, root) -> Path | None:
    for folder in store.npm_package_dirs(package, root):
        if (folder / marker).is_file():
            return folder
    return None


def _resvg():
    try:
        import resvg_py
    except ImportError:
        return None
    return resvg_py


def installed_sets(root) -> list[str]:
    return [name for name, package, marker, _ in SETS if _package_dir(package, marker, root) is not None]


def available(root) -> bool:
    return _package_dir(SETS[0][1], SETS[0][2], root) is not None


# --- what each set holds: (identity, class index, source file) per drawing ---------------------

def _datasource_items(folder: Path, vendor: str) -> list[tuple[str, int, Path]]:
    """emoji-datasource packages: emoji.json entries, each with its skin_variations."""
    try:
        entries = json.loads(guard.read_text(folder / "emoji.json", "JSON file"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot read emoji metadata {folder / 'emoji.json'}: {exc}") from exc
    image_dir = folder / "img" / vendor / "64"
    flag = f"has_img_{vendor}"
    items = []
    for entry in sorted(entries, key=lambda e: e.get("sort_order", 0)):
        label = _CLASS_OF_SUBGROUP.get(_normalise_subgroup(entry.get("subcategory", "")))
        if label is None or not entry.get("image"):
            continue
        identity = _identity(entry.get("unified", entry["image"]))
        drawings = [entry] + [
            variant for tone, variant in sorted((entry.get("skin_variations") or {}).items())
            if tone in SKIN_TONES  # single tones only; couples in two tones are left out
        ]
        for drawing in drawings:
            path = image_dir / str(drawing.get("image", ""))
            if drawing.get(flag) and path.is_file():
                items.append((identity, label, path))
    return items


def _openmoji_items(folder: Path) -> list[tuple[str, int, Path]]:
    try:
        entries = json.loads(guard.read_text(folder / "data" / "openmoji.json", "JSON file"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot read OpenMoji metadata {folder / 'data/openmoji.json'}: {exc}") from exc
    items = []
    for entry in sorted(entries, key=lambda e: e.get("order") or 0):
        # The 'extras-*' groups are OpenMoji's own pictures, not Unicode emoji.
        if str(entry.get("group", "")).startswith("extras") or entry.get("skintone_combination") == "multiple":
            continue
        label = _CLASS_OF_SUBGROUP.get(_normalise_subgroup(entry.get("subgroups", "")))
        path = folder / "color" / "svg" / f"{entry.get('hexcode', '')}.svg"
        if label is not None and path.is_file():
            items.append((_identity(entry["hexcode"]), label, path))
    return items


# --- drawing -------------------------------------------------------------------------------

def _open_drawing(path: Path) -> Image.Image:
    if path.suffix.lower() == ".svg":
        png = _resvg().svg_to_bytes(
            svg_path=str(path), width=SOURCE_SIZE, height=SOURCE_SIZE, skip_system_fonts=True
        )
        return Image.open(io.BytesIO(bytes(png))).convert("RGBA")
    with guard.open_regular(path, "image") as handle, Image.open(handle) as image:
        image.load()
        return image.convert("RGBA")


def crop_to_content(image: Image.Image, margin: float = 0.04) -> Image.Image:
    """A square around the visible pixels (alpha > 0) with a small margin, padded with
    transparency where the square reaches past the canvas."""
    box = image.getchannel("A").getbbox()
    if box is None:
        return image
    left, top, right, bottom = box
    side = int(round(max(right - left, bottom - top) * (1.0 + 2 * margin)))
    cx, cy = (left + right) / 2.0, (top + bottom) / 2.0
    x0, y0 = int(round(cx - side / 2.0)), int(round(cy - side / 2.0))
    square = Image.new("RGBA", (side, side), (255, 255, 255, 0))
    square.paste(image, (-x0, -y0))
    return square


def _draw(path: Path, size: tuple[int, int], channels: int) -> np.ndarray | None:
    try:
        image = crop_to_content(_open_drawing(path))
        return fit_image(flatten_alpha(image), size, channels)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, DatasetError):
        return None


def _decode(items, set_ids, size, channels) -> dict[str, np.ndarray]:
    # Pillow and resvg release the GIL while decoding and drawing, so threads run in parallel.
    with ThreadPoolExecutor() as pool:
        drawn = list(pool.map(lambda item: _draw(item[2], size, channels), items))
    keep = [i for i, array in enumerate(drawn) if array is not None]
    empty = np.zeros((0, channels, *size), np.uint8)
    return {
        "images": np.stack([drawn[i] for i in keep]) if keep else empty,
        "labels": np.array([items[i][1] for i in keep], dtype=np.int64),
        "sets": np.array([set_ids[i] for i in keep], dtype=np.int64),
        "identities": np.array([items[i][0] for i in keep]),
        "skipped": np.array(len(items) - len(keep)),
    }


def split_by_identity(identities: np.ndarray, labels: np.ndarray, split: str) -> np.ndarray:
    """Indices of the split, holding out whole emoji: the held-out rule applied to the distinct
    emoji of each class, then every drawing of a chosen emoji goes with it."""
    names, first = np.unique(identities, return_index=True)
    chosen = held_out_indices(len(names), split, labels[first])
    return np.flatnonzero(np.isin(identities, names[chosen]))


def emoji_groups(root, split: str, size: tuple[int, int] | None, channels: int | None):
    """Images (N, C, H, W), labels, class names and info for one split of `emoji-groups`."""
    size = size or (EMOJI_SIZE, EMOJI_SIZE)
    channels = channels or 3
    items, set_ids, sources, notes, metadata = [], [], [], {}, []
    for set_id, (name, package, marker, licence) in enumerate(SETS):
        folder = _package_dir(package, marker, root)
        if folder is None:
            notes[name] = f"not installed (npm package {package!r})"
            continue
        if name == "openmoji" and _resvg() is None:
            notes[name] = "left out: drawing its SVG files needs the Python package resvg-py"
            continue
        found = _openmoji_items(folder) if name == "openmoji" else _datasource_items(
            folder, "google" if name == "noto" else "twitter")
        items += found
        metadata.append(folder / marker)
        set_ids += [set_id] * len(found)
        sources.append({"set": name, "package": package, "path": str(folder),
                        "licence": licence, "drawings": len(found)})
    if not sources:
        looked = ", ".join(str(p) for p in store.npm_package_dirs(SETS[0][1], root))
        raise DatasetError(
            f"emoji images not found (looked for the npm package {SETS[0][1]!r} in: {looked}).\n"
            + store.fetch_hint("emoji-groups", f"npm install --prefix {store.data_root(root) / 'npm'} "
                               + " ".join(PACKAGES))
        )
    signature = store.files_signature(metadata, extra=[size, channels, GROUPS, len(items)])
    key = f"emoji-groups-{size[0]}x{size[1]}-c{channels}"
    arrays, cache_info = store.cached_arrays(
        root, key, signature, lambda: _decode(items, set_ids, size, channels))
    keep = split_by_identity(arrays["identities"], arrays["labels"], split)
    info = {
        "source": "Unicode emoji subgroups drawn by " + ", ".join(s["set"] for s in sources)
                  + ", alpha composited on white, cropped to the drawing",
        "sets": sources,
        "sets_left_out": notes,
        "licence": "; ".join(s["licence"] for s in sources) + "; metadata MIT (emoji-data)",
        "groups": {name: list(subs) for name, subs in GROUPS},
        "skin_tone_variants": "the five single skin tones included",
        "skipped": int(arrays["skipped"]),
        "split_rule": f"held-out: whole emoji (every drawing and skin tone), every {HELD_OUT_EVERY}th "
                      f"distinct emoji of each class in a permutation seeded with {HELD_OUT_SEED}",
        **cache_info,
    }
    return arrays["images"][keep], arrays["labels"][keep], list(CLASS_NAMES), info
