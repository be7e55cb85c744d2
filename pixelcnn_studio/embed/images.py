"""Opening user-supplied pictures safely: one clear error for anything that is not a usable image."""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

# Larger pictures are refused before decoding rather than exhausting memory (8000 x 8000 passes).
MAX_PIXELS = 80_000_000
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
            image = Image.open(path)
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ImageInputError(f"{name}: {width}x{height} is too large (limit {MAX_PIXELS // 1_000_000} megapixels)")
        image.load()
        # Phone cameras store the sensor's orientation as an EXIF tag; a sideways face is not detected.
        if image.getexif().get(ORIENTATION_TAG, 1) != 1:
            image = ImageOps.exif_transpose(image)
    except ImageInputError:
        raise
    except UnidentifiedImageError as exc:
        raise ImageInputError(f"{name}: not an image Pillow can read") from exc
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageInputError(f"{name}: damaged or truncated image ({exc})") from exc
    return image.convert("RGB")
