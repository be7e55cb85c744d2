"""A picture beside the map of the bits a model pays for each of its pixels (`surprise --out`)."""
from __future__ import annotations

import numpy as np

from .colours import viridis


def heat_rgb(values, top: float) -> np.ndarray:
    """(H, W) non-negative values as viridis colours, 0 -> dark purple, `top` and above -> yellow."""
    return viridis(np.asarray(values, dtype=np.float64) / max(top, 1e-12))


def map_picture(picture, result, *, scale: int = 8, top: float | None = None) -> np.ndarray:
    """The picture (uint8 (C, H, W)) and its bits-per-pixel heat map side by side, as one RGB array.

    `result` is a core.surprise.Surprise. `top` fixes the bits that map to the brightest colour, so
    maps of different pictures compare; by default it is this picture's largest value."""
    picture = np.asarray(picture, dtype=np.uint8)
    rgb = np.repeat(picture, 3, axis=0) if picture.shape[0] == 1 else picture
    rgb = rgb.transpose(1, 2, 0)
    per_pixel = result.bits_per_pixel.numpy()
    heat = heat_rgb(per_pixel, float(per_pixel.max()) if top is None else top)
    gap = np.full((rgb.shape[0], 1, 3), 255, np.uint8)
    both = np.concatenate([rgb, gap, heat], axis=1)
    return both.repeat(scale, axis=0).repeat(scale, axis=1)
