"""Opening user-supplied pictures safely: one clear error for anything that is not a usable image.

Every picture comes out as 8-bit RGB. Deeper pictures are scaled, never clipped: Pillow's own
conversion clips a 16-bit grey PNG to white and a float TIFF in [0, 1] to black.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..core.picture_limits import MAX_PIXELS, apply_picture_limits, too_large

apply_picture_limits()
ORIENTATION_TAG = 0x0112


class ImageInputError(ValueError):
    """The file or data is not an image that can be used; the message says why."""


def open_image(source) -> Image.Image:
    """A decoded RGB PIL image from a path, bytes, or a PIL image."""
    name = "image data"
    try:
        if isinstance(source, Image.Image):
            image = source
        elif isinstance(source, (bytes, bytearray)):
            image = Image.open(io.BytesIO(source))
        else:
            path = Path(source)
            name = path.name
            if not path.exists():
                raise ImageInputError(f"{path}: no such file")
            if path.is_dir():
                raise ImageInputError(f"{path}: is a folder, not an image")
            if not path.is_file():
                # A named pipe or a device would block the reader, or never end.
                raise ImageInputError(f"{path}: not a regular file")
            image = Image.open(path)
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ImageInputError(too_large(name, width, height))
        image.load()
        # Phone cameras store the sensor's orientation as an EXIF tag; a sideways face is not detected.
        if image.getexif().get(ORIENTATION_TAG, 1) != 1:
            image = ImageOps.exif_transpose(image)
    except ImageInputError:
        raise
    except Image.DecompressionBombError as exc:
        # A picture inside a container (an ICO's PNG) declaring more than the limit: refused undecoded.
        raise ImageInputError(too_large(name, error=exc)) from exc
    except UnidentifiedImageError as exc:
        raise ImageInputError(f"{name}: not an image Pillow can read") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageInputError(f"{name}: damaged or truncated image ({exc})") from exc
    return to_eight_bit(image).convert("RGB")


def to_eight_bit(image: Image.Image) -> Image.Image:
    """Any Pillow mode as an 8-bit picture without transparency: integer and float grey scaled to
    0-255, transparent parts composited on white (a drawing on a transparent canvas is ink on paper)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return Image.fromarray(_grey_levels(np.asarray(image), image.mode), mode="L")
    from ..data.base import flatten_alpha
    return flatten_alpha(image)


def _grey_levels(values: np.ndarray, mode: str) -> np.ndarray:
    """Integer or float grey values as uint8 levels, by the range their mode and values say they use."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros(values.shape, np.uint8)
    values = np.where(finite, values, 0.0)
    low, high = float(values[finite].min()), float(values[finite].max())
    if mode.startswith("I;16"):
        top = 65535.0                        # a 16-bit file: its full range, however dark the picture
    elif mode == "F" and low >= 0.0 and high <= 1.0:
        top = 1.0                            # floats in [0, 1]
    elif low >= 0.0 and high <= 255.0:
        top = 255.0                          # 8-bit values held in a wider type
    elif low >= 0.0 and high <= 65535.0:
        top = 65535.0                        # 16-bit values read as 32-bit integers
    else:                                    # anything else: its own range
        values, top = values - low, max(high - low, 1e-12)
    return np.rint(np.clip(values / top, 0.0, 1.0) * 255.0).astype(np.uint8)
