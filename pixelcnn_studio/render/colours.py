"""The colours of the receptive-field pictures, shared by the explorer's widgets and the exports.

The stack colours are the Okabe-Ito set, chosen to stay distinct under the common colour-vision
deficiencies; heat maps use viridis, perceptually uniform and colour-blind safe.
"""
from __future__ import annotations

import numpy as np

from ..core.receptive import COMBINED, HORIZONTAL, VERTICAL

# Okabe & Ito (2008), "Color Universal Design".
STACK_COLOURS = {
    COMBINED: (0, 158, 115),        # bluish green
    VERTICAL: (86, 180, 233),       # sky blue
    HORIZONTAL: (230, 159, 0),      # orange
}
STACK_LABELS = {VERTICAL: "vertical stack", HORIZONTAL: "horizontal stack alone (no link from the vertical)",
                COMBINED: "combined (what the output sees)"}
BLIND_SPOT = (204, 121, 167)        # reddish purple
TARGET = (240, 228, 66)             # yellow
EARLIER = (64, 70, 84)              # an earlier pixel the field does not reach
LATER = (28, 31, 38)                # at or after the target: no PixelCNN may look there
GRID = (16, 18, 23)
TEXT = (232, 235, 242)
CHANNEL_COLOURS = ((230, 75, 75), (70, 190, 95), (80, 140, 255))
CHANNEL_NAMES = "RGB"
# Stacks painted later win where two overlap: the stacks' own colours on top of the union.
PAINT_ORDER = (COMBINED, VERTICAL, HORIZONTAL)
# Viridis at nine evenly spaced stops; perceptually uniform and colour-blind safe.
VIRIDIS = np.array([(68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
                     (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37)], dtype=np.float64)
LOG_DECADES = 4.0


def heat_colours(heat: np.ndarray, log: bool) -> tuple[np.ndarray, np.ndarray]:
    """(H, W, 3) uint8 viridis colours and the bool mask of pixels with any influence at all."""
    heat = np.asarray(heat, dtype=np.float64)
    live = heat > 0
    top = heat.max() if live.any() else 1.0
    if log:
        # Gradients span many orders of magnitude; the last LOG_DECADES of them carry the shape.
        with np.errstate(divide="ignore"):
            level = (np.log10(np.where(live, heat, 1e-300) / top) + LOG_DECADES) / LOG_DECADES
    else:
        level = heat / top
    return viridis(level), live


def viridis(level) -> np.ndarray:
    """Values in [0, 1] (clipped) as viridis colours, uint8 (..., 3): 0 dark purple, 1 yellow."""
    level = np.clip(np.asarray(level, dtype=np.float64), 0.0, 1.0) * (len(VIRIDIS) - 1)
    low = np.floor(level).astype(int).clip(0, len(VIRIDIS) - 2)
    frac = (level - low)[..., None]
    return (VIRIDIS[low] * (1 - frac) + VIRIDIS[low + 1] * frac).round().astype(np.uint8)
