"""A picture as a model sees it: one preparation per kind of model, shared by the app and the command line.

    "digits"     MNIST's own recipe (LeCun et al.): the ink is cropped, scaled to fit a 20-pixel box with
                 its aspect ratio kept, and placed in 28x28 so that its centre of mass is the centre. A
                 digit drawn in ink on paper is inverted to MNIST's light-on-dark first.
    "faces"      a face model's picture: scaled to cover the model's size and centre-cropped (its
                 conditioning vector comes from the face network, which aligns the face itself).
    "glyphs"     a letters model's: the digits' recipe with the ink's longer side at the letters' cap
                 height and no stroke widening (a font's weight is part of its style).
    "letterbox"  any other model: the whole picture scaled to fit, the rest filled with its own background.

A picture already at the model's size is used as it is (only its colour mode is converted), so an image
taken from a dataset is scored exactly as the model was trained on it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from .images import open_image

DIGIT_BOX = 20                       # MNIST: the digit's longer side, before centring in 28x28
# Ink is what differs from the background by more than this share of the strongest ink: light
# smudges and paper texture do not stretch the crop.
INK_THRESHOLD = 0.2
# MNIST's median stroke width in pixels at 28x28 (measured by `stroke_width` at 4x on held-out digits;
# the 10th-90th percentiles are 1.4-2.8), and the scale at which thin strokes are widened to it.
MNIST_STROKE = 1.9
WORK_SCALE = 4
# The training images' background where a dataset's name says it (the rest are judged from a
# checkpoint's gallery, or left alone): MNIST-style sets are light objects on black.
DARK_BACKGROUND_DATASETS = ("mnist", "fashion-mnist", "letters")
GLYPH_BOX = 0.62                     # of the frame: the letters dataset's capital height (data/letters.py)
LIGHT_BACKGROUND_DATASETS = ("emoji",)


@dataclass(frozen=True)
class Preparation:
    """How pictures are prepared for one model: its kind, size, channels and training background."""
    kind: str                           # "digits", "glyphs", "faces" or "letterbox"
    size: tuple[int, int]               # (height, width)
    channels: int                       # 1 or 3
    dark_background: bool | None = None  # True: light on dark (MNIST); False: dark on light; None: unknown


@dataclass
class PreparedPicture:
    array: np.ndarray                   # uint8 (C, H, W): exactly what the model is given
    kind: str                           # the preparation used, or "as-is"
    inverted: bool                      # light and dark were swapped to match the training images
    note: str                           # one line for the user: what was done

    def as_input(self):
        """The picture as a model input: an integer tensor (1, C, H, W)."""
        import torch
        return torch.from_numpy(np.array(self.array, dtype=np.uint8)).unsqueeze(0)


def _pair(size) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    height, width = size
    return int(height), int(width)


def preparation_for(loaded) -> Preparation:
    """The preparation that fits a loaded checkpoint (from its config, dataset and embedder records)."""
    config = loaded.config
    size, channels = _pair(config.image_size), int(config.channels)
    metadata = getattr(loaded, "metadata", None) or {}
    dataset = metadata.get("dataset") if isinstance(metadata.get("dataset"), dict) else {}
    name = str(dataset.get("name") or dataset.get("spec") or "").lower()
    embedder = getattr(loaded, "embedder", None) or {}
    dark = True if name in DARK_BACKGROUND_DATASETS else False if name in LIGHT_BACKGROUND_DATASETS else None
    if dark is None:
        dark = _gallery_background_is_dark(metadata)
    if str(embedder.get("name", "")).startswith("face"):
        kind, dark = "faces", None        # photographs: light and dark are never swapped
    elif name == "mnist" and channels == 1 and size == (28, 28):
        kind = "digits"
    elif name == "letters" and channels == 1:
        kind = "glyphs"
    else:
        kind = "letterbox"
    return Preparation(kind, size, channels, dark)


def _gallery_background_is_dark(metadata: dict) -> bool | None:
    from .gallery import gallery_of
    gallery = gallery_of(metadata)
    if gallery is None:
        return None
    mean = gallery[0].astype(np.float32).mean(axis=(0, 1))
    return bool(border_ring(mean).mean() < 128.0)


def border_ring(array: np.ndarray) -> np.ndarray:
    """The outermost ring of pixels of an (H, W) or (H, W, C) array, flattened per channel: (N,) or (N, C)."""
    rows = [array[0], array[-1], array[1:-1, 0], array[1:-1, -1]]
    tail = array.shape[2:]
    return np.concatenate([r.reshape(-1, *tail) for r in rows])


def prepare_picture(source, preparation: Preparation) -> PreparedPicture:
    """A picture (path, bytes or PIL image; any depth or mode) prepared for a model, see the module notes."""
    picture = open_image(source)
    height, width = preparation.size
    picture = picture.convert("L" if preparation.channels == 1 else "RGB")
    if picture.size == (width, height):
        return PreparedPicture(_chw(np.asarray(picture)), "as-is", False,
                               "already at the model's size: used as it is")
    if preparation.kind in ("digits", "glyphs"):
        return _prepare_digit(np.asarray(picture.convert("L"), dtype=np.float32), preparation)
    if preparation.kind == "faces":
        return _oriented(_chw(np.asarray(_cover(picture, width, height))), preparation, "centre-cropped to the model's size")
    return _oriented(_chw(np.asarray(_letterbox(picture, width, height))), preparation,
                     "scaled to fit the model's size, the rest filled with the picture's background")


def _chw(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array, dtype=np.uint8)
    return np.ascontiguousarray(array[None] if array.ndim == 2 else array.transpose(2, 0, 1))


def _cover(picture: Image.Image, width: int, height: int) -> Image.Image:
    """Scaled to cover (width, height) and centre-cropped, in one antialiased resize."""
    scale = min(picture.width / width, picture.height / height)
    left, top = (picture.width - width * scale) / 2, (picture.height - height * scale) / 2
    return picture.resize((width, height), Image.BICUBIC, box=(left, top, left + width * scale, top + height * scale),
                          reducing_gap=3.0)


def _letterbox(picture: Image.Image, width: int, height: int) -> Image.Image:
    """Scaled to fit inside (width, height) with its aspect kept; the margins take its border colour."""
    scale = min(width / picture.width, height / picture.height)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    background = np.median(border_ring(np.asarray(picture)), axis=0)
    fill = int(round(float(background))) if picture.mode == "L" else tuple(int(round(v)) for v in background)
    canvas = Image.new(picture.mode, (width, height), fill)
    canvas.paste(picture.resize(size, Image.BICUBIC, reducing_gap=3.0),
                 ((width - size[0]) // 2, (height - size[1]) // 2))
    return canvas


def _oriented(array: np.ndarray, preparation: Preparation, note: str) -> PreparedPicture:
    """Grey pictures on the other background than the training images' are inverted (ink on paper
    for a light-on-dark model): the model has never seen that polarity and would call it noise."""
    inverted = False
    if preparation.channels == 1 and preparation.dark_background is not None:
        light = float(np.median(border_ring(array[0]))) >= 128.0
        if light == preparation.dark_background:
            array, inverted = 255 - array, True
            note += "; inverted to match the training images' background"
    return PreparedPicture(array, preparation.kind, inverted, note)


def _resize(array: np.ndarray, scale: float) -> np.ndarray:
    """A float array resized by `scale` (averaging when it shrinks, so thin strokes fade, not vanish)."""
    size = (max(1, round(array.shape[1] * scale)), max(1, round(array.shape[0] * scale)))
    method = Image.BOX if scale < 0.5 else Image.BILINEAR
    return np.asarray(Image.fromarray(array.astype(np.float32), mode="F").resize(size, method))


def stroke_width(ink: np.ndarray) -> float:
    """The mean width in pixels of the strokes in an ink picture: a stroke of length L and width w
    covers L*w pixels inside a boundary of about 2L, so w = 2 * area / boundary."""
    mask = np.pad(ink > 127.0, 1)
    boundary = (mask[1:] != mask[:-1]).sum() + (mask[:, 1:] != mask[:, :-1]).sum()
    return 2.0 * float(mask.sum()) / max(float(boundary), 1.0)


def _fit_box(ink: np.ndarray, box: int = DIGIT_BOX, widen: bool = True) -> np.ndarray:
    """Cropped ink scaled to fit DIGIT_BOX, with thin strokes widened to MNIST's.

    A pen's width is arbitrary against the sheet: a fine line on a big page shrinks to a faint
    hairline that the model has never seen (its samples then come out broken). The strokes are
    measured at WORK_SCALE times the final size and, where thinner than MNIST_STROKE, widened there
    by a maximum filter before the last reduction."""
    work = _resize(ink, WORK_SCALE * box / max(ink.shape))
    missing = MNIST_STROKE - stroke_width(work) / WORK_SCALE
    if widen and missing > 0.25:
        size = 2 * int(round(missing * WORK_SCALE / 2)) + 1
        work = np.asarray(Image.fromarray(work.astype(np.float32), mode="F").filter(ImageFilter.MaxFilter(size)))
    return _resize(work, box / max(work.shape))


def _prepare_digit(grey: np.ndarray, preparation: Preparation) -> PreparedPicture:
    """MNIST's preparation of one grey picture (H, W) float levels."""
    background = float(np.median(border_ring(grey)))
    inverted = background >= 128.0
    # Ink as a strength 0..255 above the background, whatever the paper's shade.
    ink = np.clip((background - grey) if inverted else (grey - background), 0.0, 255.0)
    height, width = preparation.size
    if ink.max() < 8.0:
        return PreparedPicture(np.zeros((1, height, width), np.uint8), preparation.kind, inverted,
                               "no ink found: the picture is blank")
    rows, cols = np.nonzero(ink >= INK_THRESHOLD * ink.max())
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    # The strongest ink becomes full white, as in MNIST: a pencil sketch reads like a pen drawing.
    crop = ink[top:bottom, left:right] * (255.0 / ink.max())
    glyphs = preparation.kind == "glyphs"
    box_side = max(1, round(GLYPH_BOX * min(height, width))) if glyphs else DIGIT_BOX
    box = np.clip(_fit_box(crop, box_side, widen=not glyphs), 0.0, 255.0)
    # Centre of mass to the centre, by whole pixels (as MNIST), kept inside the frame.
    mass = box.sum()
    cy = (box.sum(axis=1) * np.arange(box.shape[0])).sum() / mass
    cx = (box.sum(axis=0) * np.arange(box.shape[1])).sum() / mass
    top = int(np.clip(round((height - 1) / 2 - cy), 0, height - box.shape[0]))
    left = int(np.clip(round((width - 1) / 2 - cx), 0, width - box.shape[1]))
    out = np.zeros((height, width), np.float32)
    out[top:top + box.shape[0], left:left + box.shape[1]] = box
    if preparation.dark_background is False:
        out = 255.0 - out
    note = f"cropped to the ink, fitted to a {box_side}-pixel box, centred by its centre of mass"
    if inverted:
        note += "; dark ink on light paper inverted to light on dark, as the training images"
    return PreparedPicture(np.rint(out).astype(np.uint8)[None], preparation.kind, inverted, note)
