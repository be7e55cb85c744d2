"""The `letters` dataset: A-Z, a-z and 0-9 drawn from hundreds of openly licensed font families.

Every font is drawn the same way, so that size and place carry meaning as in handwriting: the font is
scaled so that its capital H is CAP_HEIGHT of the frame tall (less where its widest or tallest glyph
would not fit), every glyph sits on one baseline and is centred across by its ink. A small "o" is then
smaller than an "O" and a "p" hangs below the line, as on paper. Light ink on black, like MNIST.

Bad fonts and glyphs are left out and counted: a font file FreeType cannot open, a glyph drawn as the
font's .notdef box (the character is missing), a blank glyph, a glyph identical to another class's in
the same font (a caps-only font's "a" that is its "A"), and fonts left with too few good glyphs.

Fonts are held out whole: a family whose name hashes to 0 mod HELD_OUT_MODULUS is test data, so the
test split measures fonts never seen. Each image also carries its font (a group id): the style model
is conditioned on another glyph of the same font.
"""
from __future__ import annotations

import hashlib
import string
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from . import store
from .base import DatasetError
from .font_sources import FontFile, find_fonts

CHARACTERS = string.ascii_uppercase + string.ascii_lowercase + string.digits
CLASS_NAMES = list(CHARACTERS)
LETTERS_SIZE = 28
CAP_HEIGHT = 0.62          # of the frame: a 28-pixel frame has capitals 17 pixels tall
BASELINE = 0.77            # the baseline's height from the top, as a share of the frame
MARGIN = 0.04              # nothing drawn closer than this to an edge
RENDER_PT = 96             # glyphs are drawn this large, then scaled down (anti-aliased)
SUPERSAMPLE = 4            # placed on a 4x canvas, then averaged down 4x4 -> 1
MIN_GOOD_GLYPHS = 48       # a font with fewer good glyphs out of 62 is left out whole
HELD_OUT_MODULUS = 10
RENDER_VERSION = 1         # bump when the drawing changes: caches are rebuilt
# A code point no font maps: FreeType draws the font's .notdef glyph for it.
MISSING_PROBE = "\U0010FFFD"


def family_is_held_out(family_key: str) -> bool:
    digest = hashlib.sha256(family_key.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % HELD_OUT_MODULUS == 0


class _Glyph:
    """One character's ink at RENDER_PT: its mask and its box relative to the pen on the baseline."""

    def __init__(self, font: ImageFont.FreeTypeFont, char: str):
        left, top, right, bottom = font.getbbox(char, anchor="ls")
        self.box = (left, top, right, bottom)
        width, height = right - left, bottom - top
        self.mask = None
        if width > 0 and height > 0:
            canvas = Image.new("L", (width, height), 0)
            ImageDraw.Draw(canvas).text((-left, -top), char, font=font, fill=255, anchor="ls")
            array = np.asarray(canvas)
            if array.max() > 32:
                self.mask = canvas
        self.key = None if self.mask is None else (self.box, hashlib.sha1(self.mask.tobytes()).hexdigest())


def render_font(path: str, size: int = LETTERS_SIZE) -> tuple[np.ndarray, np.ndarray, dict]:
    """One font's good glyphs: images (n, 1, size, size) uint8, class ids (n,), and what was skipped.
    Raises OSError where FreeType cannot open the file."""
    font = ImageFont.truetype(path, RENDER_PT)
    notdef = _Glyph(font, MISSING_PROBE)
    glyphs, skipped = {}, {"missing": 0, "blank": 0, "duplicate": 0}
    seen = {}
    for index, char in enumerate(CHARACTERS):
        glyph = _Glyph(font, char)
        if glyph.mask is None:
            skipped["blank"] += 1
        elif notdef.key is not None and glyph.key == notdef.key:
            skipped["missing"] += 1
        elif glyph.key in seen:
            skipped["duplicate"] += 1
        else:
            seen[glyph.key] = index
            glyphs[index] = glyph
    if len(glyphs) < MIN_GOOD_GLYPHS or "H" not in [CHARACTERS[i] for i in glyphs]:
        return np.zeros((0, 1, size, size), np.uint8), np.zeros(0, np.int64), skipped
    scale = _font_scale(glyphs, size)
    ids = sorted(glyphs)
    images = np.stack([_place(glyphs[i], scale, size) for i in ids])[:, None]
    return images, np.array(ids, dtype=np.int64), skipped


def _font_scale(glyphs: dict, size: int) -> float:
    """Frame pixels per rendered pixel: capitals CAP_HEIGHT tall, unless a glyph would then not fit."""
    cap = glyphs[CHARACTERS.index("H")]
    cap_height = max(1, -cap.box[1])
    room_above = (BASELINE - MARGIN) * size
    room_below = (1 - BASELINE - MARGIN) * size
    room_across = (1 - 2 * MARGIN) * size
    ascent = max(max(1, -g.box[1]) for g in glyphs.values())
    descent = max(max(0, g.box[3]) for g in glyphs.values())
    width = max(g.box[2] - g.box[0] for g in glyphs.values())
    scale = CAP_HEIGHT * size / cap_height
    scale = min(scale, room_above / ascent, room_across / width)
    if descent > 0:
        scale = min(scale, room_below / descent)
    return scale


def _place(glyph: _Glyph, scale: float, size: int) -> np.ndarray:
    """The glyph scaled, on the baseline, centred across by its ink, drawn 4x and averaged down."""
    big = size * SUPERSAMPLE
    s = scale * SUPERSAMPLE
    left, top, right, bottom = glyph.box
    width, height = max(1, round((right - left) * s)), max(1, round((bottom - top) * s))
    scaled = glyph.mask.resize((width, height), Image.Resampling.LANCZOS)
    canvas = Image.new("L", (big, big), 0)
    x = round((big - width) / 2)
    y = round(BASELINE * big + top * s)
    canvas.paste(scaled, (x, y))
    small = canvas.reduce(SUPERSAMPLE)   # box average of each 4x4 block
    return np.asarray(small, dtype=np.uint8)


def _build(fonts: list[FontFile], size: int) -> dict[str, np.ndarray]:
    def render(font: FontFile):
        try:
            return render_font(font.path, size)
        except (OSError, ValueError):
            return None

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(render, fonts))
    images, labels, groups = [], [], []
    counts = {"unreadable_fonts": 0, "fonts_too_few_glyphs": 0, "missing": 0, "blank": 0, "duplicate": 0}
    kept = []
    for font, result in zip(fonts, results):
        if result is None:
            counts["unreadable_fonts"] += 1
            continue
        font_images, font_labels, skipped = result
        for key, value in skipped.items():
            counts[key] += value
        if len(font_images) == 0:
            counts["fonts_too_few_glyphs"] += 1
            continue
        groups.append(np.full(len(font_images), len(kept), dtype=np.int64))
        images.append(font_images)
        labels.append(font_labels)
        kept.append(font)
    if not kept:
        raise DatasetError("letters: no font could be drawn (all unreadable or lacking glyphs)")
    return {
        "images": np.concatenate(images), "labels": np.concatenate(labels), "groups": np.concatenate(groups),
        "font_names": np.array([f"{f.family} {f.style}" for f in kept]),
        "font_families": np.array([f.family_key for f in kept]),
        "font_sources": np.array([f.source for f in kept]),
        "font_licences": np.array([f.licence for f in kept]),
        "font_categories": np.array([f.category for f in kept]),
        "skip_counts": np.array([counts[k] for k in sorted(counts)]),
        "skip_names": np.array(sorted(counts)),
    }


def letters_available(root=None) -> bool:
    fonts, _ = find_fonts(root)
    return bool(fonts)


def letters(root, split: str, size: tuple[int, int] | None = None, *, fonts: list[FontFile] | None = None,
            cache_key: str = "letters"):
    """The split's glyphs: images, labels, class names, info, and the font (group) of each image."""
    size = size or (LETTERS_SIZE, LETTERS_SIZE)
    if size[0] != size[1]:
        raise DatasetError(f"letters are drawn in square frames; {size[0]}x{size[1]} is not square")
    report = {}
    if fonts is None:
        fonts, report = find_fonts(root)
    if not fonts:
        raise DatasetError("letters: none of its font packages is installed; "
                           + store.fetch_hint("letters", "bash scripts/fetch_datasets.sh letters"))
    signature = store.files_signature([__import__("pathlib").Path(f.path) for f in fonts],
                                      extra=[RENDER_VERSION, size[0], [(f.family, f.style) for f in fonts]])
    arrays, cache_info = store.cached_arrays(root, f"{cache_key}-{size[0]}", signature,
                                             lambda: _build(fonts, size[0]))
    held_out = np.array([family_is_held_out(str(k)) for k in arrays["font_families"]])
    keep_fonts = held_out if split == "test" else ~held_out
    keep = keep_fonts[arrays["groups"]]
    # Groups renumbered within the split: 0..(fonts in it - 1).
    old_ids = np.flatnonzero(keep_fonts)
    renumber = np.full(len(keep_fonts), -1, dtype=np.int64)
    renumber[old_ids] = np.arange(len(old_ids))
    skipped = {str(k): int(v) for k, v in zip(arrays["skip_names"], arrays["skip_counts"])}
    licences = {}
    for source, licence in zip(arrays["font_sources"], arrays["font_licences"]):
        licences.setdefault(str(licence), set()).add(str(source))
    info = {
        "source": "font families from npm @fontsource/* packages and Debian fonts-* packages "
                  "(pixelcnn_studio/data/letters_sources.txt)",
        "licence": "; ".join(f"{name}: {len(sources)} source(s)" for name, sources in sorted(licences.items())),
        "split_rule": f"fonts held out whole: a family whose name's SHA-256 is 0 mod {HELD_OUT_MODULUS}",
        "fonts": int(keep_fonts.sum()), "families": len({str(k) for k in arrays["font_families"][keep_fonts]}),
        "fonts_all_splits": len(keep_fonts), "skipped": skipped,
        "font_names": [str(n) for n in arrays["font_names"][keep_fonts]],
        "sources_missing": len(report.get("missing", [])), "sources_refused": report.get("refused", {}),
        **cache_info,
    }
    return (arrays["images"][keep], arrays["labels"][keep], list(CLASS_NAMES), info,
            renumber[arrays["groups"][keep]])
