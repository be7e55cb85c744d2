"""Pillow's size limit, set once for every picture the package opens (photos, icons, image folders).

Pillow checks a picture's declared size against `Image.MAX_IMAGE_PIXELS` as it opens it, and also
each picture inside a container (the PNG inside an ICO, whose own header claims at most 256x256).
It warns between one and two times that limit and refuses beyond. With the limit at half of
MAX_PIXELS, Pillow itself refuses anything past MAX_PIXELS before decoding a byte of it, and the
warning below that is noise (the size is one the package accepts), so it is silenced.
"""
from __future__ import annotations

import re
import warnings

# Larger pictures are refused before decoding rather than exhausting memory (8000 x 8000 passes).
MAX_PIXELS = 80_000_000


def apply_picture_limits() -> None:
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def too_large(name: str, width: int | None = None, height: int | None = None, error: Exception | None = None) -> str:
    """The one line for a picture past the limit, by its sides or by the size Pillow's refusal names."""
    size = f"{width}x{height} " if width and height else ""
    found = re.search(r"\((\d+) pixels\)", str(error or ""))
    if not size and found:
        size = f"{int(found.group(1)) / 1e6:.1f} megapixels "
    return f"{name}: {size}is too large (limit {MAX_PIXELS // 1_000_000} megapixels)"

