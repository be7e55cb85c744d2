"""Boxes as conditioning: where on the canvas a model is asked to draw (the paper's section 2.3).

A box model is a class-conditional model whose 4-D embedding is a box (x0, y0, x1, y1), fractions of
the canvas, top-left then bottom-right, fed through the location network m(h) into a spatial map.
Its checkpoint's embedder entry says so: {"name": "box", "dim": 4}. This module is the one place
that reads, checks and converts boxes, for the command line, the app and the training data alike.
"""
from __future__ import annotations

import math

BOX_EMBEDDER = "box"
BOX_DIM = 4
MIN_BOX_PIXELS = 2      # a box thinner than two pixels cannot hold a garment
DEFAULT_BOX = (0.2, 0.2, 0.8, 0.8)   # where a box model draws when no box is given: the middle


def is_box_model(config, embedder) -> bool:
    """Whether a model (its config and checkpoint embedder entry) takes a box."""
    return (bool(getattr(config, "location_conditioning", False)) and getattr(config, "embedding_dim", 0) == BOX_DIM
            and (embedder or {}).get("name") == BOX_EMBEDDER)


def check_box(box, height: int, width: int) -> tuple[float, float, float, float]:
    """The box as four floats, or ValueError saying in one line what is wrong with it."""
    try:
        values = tuple(float(v) for v in box)
    except (TypeError, ValueError):
        raise ValueError(f"a box is four numbers x0,y0,x1,y1, got {box!r:.60}") from None
    if len(values) != BOX_DIM:
        raise ValueError(f"a box is four numbers x0,y0,x1,y1 (top-left then bottom-right), got {len(values)}")
    if not all(math.isfinite(v) for v in values):
        raise ValueError("the box's numbers must be finite fractions of the canvas")
    x0, y0, x1, y1 = values
    if min(values) < 0.0 or max(values) > 1.0:
        raise ValueError(f"the box {format_box(values)} lies outside the canvas: each number is a fraction in 0..1")
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"the box {format_box(values)} is inverted: give the top-left corner, then the bottom-right")
    if (x1 - x0) * width < MIN_BOX_PIXELS or (y1 - y0) * height < MIN_BOX_PIXELS:
        raise ValueError(f"the box {format_box(values)} is thinner than {MIN_BOX_PIXELS} pixels of the "
                         f"{width}x{height} canvas")
    return values


def parse_box(text: str, height: int, width: int) -> tuple[float, float, float, float]:
    """'0.1,0.5,0.6,0.95' (spaces allowed) as a checked box."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != BOX_DIM or not all(parts):
        raise ValueError(f"--box takes four fractions x0,y0,x1,y1 (top-left then bottom-right), got {str(text)[:60]!r}")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"--box takes four numbers x0,y0,x1,y1, got {str(text)[:60]!r}") from None
    return check_box(numbers, height, width)


def format_box(box) -> str:
    return ",".join(f"{v:.3g}" for v in box)


def box_pixels(box, height: int, width: int) -> tuple[int, int, int, int]:
    """The box's pixel rectangle (left, top, right, bottom), right and bottom exclusive."""
    x0, y0, x1, y1 = box
    return (int(round(x0 * width)), int(round(y0 * height)), int(round(x1 * width)), int(round(y1 * height)))


def ink_inside_share(image, box, *, ink_level: int = 16) -> float:
    """The share of an image's ink (levels above `ink_level`) that lies inside the box; 1.0 for no ink.
    `image` is (H, W) or (1, H, W), numpy or torch, in levels 0..255."""
    import numpy as np
    array = np.asarray(image)
    array = array.reshape(array.shape[-2:])
    ink = array > ink_level
    total = int(ink.sum())
    if total == 0:
        return 1.0
    left, top, right, bottom = box_pixels(box, *array.shape)
    return float(ink[top:bottom, left:right].sum()) / total


def check_box_entry(entry: dict, config) -> dict:
    """A checkpoint's box embedder entry against its config: no weights, a 4-D embedding, location on."""
    if config.embedding_dim != BOX_DIM or not config.location_conditioning:
        raise ValueError(f"a box model takes a {BOX_DIM}-D embedding through location conditioning; this config "
                         f"has embedding_dim {config.embedding_dim}, location_conditioning "
                         f"{config.location_conditioning}")
    if entry.get("state_dict") is not None:
        raise ValueError("a box embedder entry holds no weights")
    return {}


def clamp_box(box, height: int | None = None, width: int | None = None) -> tuple[float, float, float, float]:
    """Any four numbers made into a usable box: corners in order, inside the canvas, at least
    MIN_BOX_PIXELS a side where the canvas is known (else a twentieth of it). For values a person
    drags or nudges, where an error message would only get in the way."""
    x0, y0, x1, y1 = (min(1.0, max(0.0, float(v))) for v in box)
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    min_w = MIN_BOX_PIXELS / width if width else 0.05
    min_h = MIN_BOX_PIXELS / height if height else 0.05

    def widen(low, high, least):
        if high - low >= least:
            return low, high
        centre = min(1.0 - least / 2, max(least / 2, (low + high) / 2))
        return centre - least / 2, centre + least / 2
    x0, x1 = widen(x0, x1, min_w)
    y0, y1 = widen(y0, y1, min_h)
    return (round(x0, 6), round(y0, 6), round(x1, 6), round(y1, 6))


def nudge_box(box, dx: float, dy: float, height: int, width: int) -> tuple[float, float, float, float]:
    """The box moved by (dx, dy) canvas pixels, kept whole and inside the canvas."""
    x0, y0, x1, y1 = box
    shift_x = min(1.0 - x1, max(-x0, dx / width))
    shift_y = min(1.0 - y1, max(-y0, dy / height))
    return clamp_box((x0 + shift_x, y0 + shift_y, x1 + shift_x, y1 + shift_y), height, width)


def resize_box(box, dw: float, dh: float, height: int, width: int) -> tuple[float, float, float, float]:
    """The box grown (or shrunk, for negative values) by (dw, dh) canvas pixels at its bottom-right
    corner, kept inside the canvas and at least MIN_BOX_PIXELS a side."""
    x0, y0, x1, y1 = box
    x1 = min(1.0, max(x0 + MIN_BOX_PIXELS / width, x1 + dw / width))
    y1 = min(1.0, max(y0 + MIN_BOX_PIXELS / height, y1 + dh / height))
    return clamp_box((x0, y0, x1, y1), height, width)


def location_map(model, class_id: int, box):
    """What the network is told about *where*: the location map s = m(h) for this class and box, one
    number per position. s has a few channels; its first principal component over the canvas (by far
    the largest in the bundled model) is shown, signed so that the box reads bright, scaled to 0..1.
    The bright region need not sit exactly on the box: the vertical stack carries what s says at a
    position to the rows below, so a model may learn to announce a garment above where it starts.
    A numpy (H, W) float32 array; None for a model without location conditioning."""
    import numpy as np
    import torch
    location = getattr(getattr(model, "conditioning", None), "location", None)
    if location is None:
        return None
    param = next(model.parameters())
    with torch.no_grad():
        h = model.conditioning.condition_vector(torch.tensor([int(class_id)]), torch.tensor([list(box)]),
                                                1, param.device, param.dtype)
        s = location(h)[0].double().cpu()                # (channels, H, W)
    channels, height, width = s.shape
    positions = s.reshape(channels, -1).T
    positions = positions - positions.mean(dim=0)
    _, _, directions = torch.linalg.svd(positions, full_matrices=False)
    values = (positions @ directions[0]).reshape(height, width).numpy()
    left, top, right, bottom = box_pixels(box, height, width)
    if values[top:bottom, left:right].mean() < values.mean():
        values = -values
    low, high = float(values.min()), float(values.max())
    return ((values - low) / (high - low) if high > low else np.zeros_like(values)).astype(np.float32)


def ink_box(image, *, ink_level: int = 16) -> tuple[float, float, float, float]:
    """The box round a picture's ink (levels above `ink_level`), as fractions: the box the fashion-where
    data would give that picture; the whole canvas when there is no ink."""
    import numpy as np
    array = np.asarray(image)
    array = array.reshape(-1, *array.shape[-2:]).max(axis=0)
    height, width = array.shape
    rows, cols = np.flatnonzero((array > ink_level).any(axis=1)), np.flatnonzero((array > ink_level).any(axis=0))
    if len(rows) == 0:
        return (0.0, 0.0, 1.0, 1.0)
    return clamp_box((cols[0] / width, rows[0] / height, (cols[-1] + 1) / width, (rows[-1] + 1) / height),
                     height, width)
