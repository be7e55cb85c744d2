"""What a receptive field covers, in pixels: the earlier pixels, the field's reach, the blind spot.

Plain numpy on the boolean fields that `receptive_field` returns; the explorer, the exports and
the tests count with these, and render/ draws what they find.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def pixel_field(field_chw) -> np.ndarray:
    """Bool (C, H, W) -> bool (H, W): a pixel is in the field if any of its channels is."""
    arr = field_chw.detach().cpu().numpy() if hasattr(field_chw, "detach") else np.asarray(field_chw)
    return arr.astype(bool).any(axis=0)


def earlier_pixels(height: int, width: int, target) -> np.ndarray:
    """Bool (H, W): the pixels strictly before `target` in raster order."""
    row, col = target
    order = np.arange(height * width).reshape(height, width)
    return order < row * width + col


def reach(field_hw: np.ndarray, target) -> np.ndarray:
    """Earlier pixels inside the bounding box of what the field sees: what a field of this
    extent would cover if it had no holes."""
    earlier = earlier_pixels(*field_hw.shape, target)
    seen = field_hw & earlier
    box = np.zeros_like(earlier)
    if seen.any():
        rows = np.flatnonzero(seen.any(axis=1))
        cols = np.flatnonzero(seen.any(axis=0))
        box[rows.min():, cols.min():cols.max() + 1] = True
    return earlier & box


def blind_spot(field_hw: np.ndarray, target) -> np.ndarray:
    """Earlier pixels inside the field's own reach that it misses.

    A pixel outside the reach is merely too far for this depth, while one inside it that is
    still unseen is a hole the architecture can never fill - the original PixelCNN's wedge up
    and to the right of the target.
    """
    return reach(field_hw, target) & ~field_hw


def visible_channels(field_chw, target) -> tuple:
    """Which channels of the target pixel itself the field sees (mask A / mask B at work)."""
    arr = field_chw.detach().cpu().numpy() if hasattr(field_chw, "detach") else np.asarray(field_chw)
    row, col = target
    return tuple(bool(v) for v in arr[:, row, col])


@dataclass
class FieldStats:
    earlier: int          # pixels before the target in raster order
    seen: int             # of those, how many the field reaches
    in_reach: int         # earlier pixels inside the bounding box of the field
    blind: int            # of those, how many it misses (the blind spot)


def field_stats(field_hw: np.ndarray, target) -> FieldStats:
    earlier = earlier_pixels(*field_hw.shape, target)
    return FieldStats(int(earlier.sum()), int((field_hw & earlier).sum()),
                      int(reach(field_hw, target).sum()), int(blind_spot(field_hw, target).sum()))
