"""Receptive-field pictures as plain RGB arrays: what the explorer shows, exports and tests.

Qt-free on purpose, so that the PNG and GIF exports (and the tests, and a script on a server)
draw exactly the picture the app draws, without a screen. The blind spot is hatched as well as
coloured, so it reads even where its colour does not.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from ..core.export import save_gif, save_png
from ..core.field_analysis import blind_spot, earlier_pixels, field_stats, pixel_field, visible_channels
from ..core.receptive import COMBINED, STACKS
from .colours import (BLIND_SPOT, CHANNEL_COLOURS, CHANNEL_NAMES, EARLIER, GRID, LATER, PAINT_ORDER, STACK_COLOURS,
                      TARGET, TEXT, VIRIDIS, heat_colours)
from .text import caption_font, caption_size, wrap


@dataclass
class FieldPicture:
    """Everything one picture shows; arrays are per pixel, (H, W)."""
    height: int
    width: int
    target: tuple[int, int]
    fields: dict = field(default_factory=dict)        # stack name -> bool (H, W), painted in PAINT_ORDER
    blind: np.ndarray | None = None                   # bool (H, W): outlined and hatched
    heat: np.ndarray | None = None                    # float (H, W) >= 0: replaces the stack colours
    log_heat: bool = False
    target_channels: tuple | None = None              # colour models: (visible R, G, B) of the target pixel
    channel: int = 0                                  # the sub-pixel whose field this is
    caption: list = field(default_factory=list)       # lines of text under the grid in exports
    legend: list = field(default_factory=list)        # (rgb, label) swatches under the caption


def _outline(mask: np.ndarray, cell: int, thickness: int) -> np.ndarray:
    """Bool (H*cell, W*cell): the border of the region `mask`, drawn inside its edge cells."""
    big = mask.repeat(cell, 0).repeat(cell, 1)
    padded = np.pad(big, thickness, constant_values=False)
    inner = big.copy()
    size = big.shape
    for dy in range(-thickness, thickness + 1):
        for dx in range(-thickness, thickness + 1):
            inner &= padded[thickness + dy:thickness + dy + size[0], thickness + dx:thickness + dx + size[1]]
    return big & ~inner


def render_grid(picture: FieldPicture, cell: int = 16) -> np.ndarray:
    """The grid alone: (H*cell, W*cell, 3) uint8, every image pixel a crisp cell x cell block."""
    H, W = picture.height, picture.width
    row, col = picture.target
    earlier = earlier_pixels(H, W, picture.target)
    base = np.empty((H, W, 3), dtype=np.uint8)
    base[:] = LATER
    base[earlier] = EARLIER
    if picture.heat is not None:
        colours, live = heat_colours(picture.heat, picture.log_heat)
        base[live] = colours[live]
    else:
        for stack in PAINT_ORDER:
            mask = picture.fields.get(stack)
            if mask is not None:
                base[np.asarray(mask, dtype=bool)] = STACK_COLOURS[stack]
    rgb = base.repeat(cell, 0).repeat(cell, 1)
    if cell >= 6:
        # One-pixel gutters keep neighbouring cells of the same colour countable.
        rgb[cell - 1::cell, :] = GRID
        rgb[:, cell - 1::cell] = GRID
    combined = picture.fields.get(COMBINED)
    if picture.heat is None and combined is not None and len(picture.fields) > 1:
        # Under the stacks' own colours the union would vanish; its border keeps it visible.
        rgb[_outline(np.asarray(combined, dtype=bool), cell, max(1, cell // 7))] = STACK_COLOURS[COMBINED]
    if picture.blind is not None and picture.blind.any():
        blind = np.asarray(picture.blind, dtype=bool)
        big = blind.repeat(cell, 0).repeat(cell, 1)
        yy, xx = np.mgrid[0:H * cell, 0:W * cell]
        hatch = big & (((xx + yy) % max(4, cell // 3)) == 0)
        rgb[hatch] = BLIND_SPOT
        rgb[_outline(blind, cell, max(1, cell // 8))] = BLIND_SPOT
    _draw_target(rgb, picture, cell)
    return rgb


def _draw_target(rgb: np.ndarray, picture: FieldPicture, cell: int) -> None:
    row, col = picture.target
    top, left = row * cell, col * cell
    block = rgb[top:top + cell, left:left + cell]
    block[:] = TARGET
    ring = max(1, cell // 10)
    if cell >= 8:
        block[ring:cell - ring, ring:cell - ring] = GRID
        block[2 * ring:cell - 2 * ring, 2 * ring:cell - 2 * ring] = TARGET
    if picture.target_channels is not None and cell >= 9:
        # Three strips along the bottom of the target cell: the target pixel's own channels, lit
        # where the field sees them, outlined (dark) where it does not.
        strip_top = cell - 2 * ring - max(2, cell // 3)
        bounds = np.linspace(2 * ring, cell - 2 * ring, len(picture.target_channels) + 1).round().astype(int)
        for c, seen in enumerate(picture.target_channels):
            a, b = bounds[c], bounds[c + 1]
            block[strip_top:cell - 2 * ring, a:b] = CHANNEL_COLOURS[c] if seen else GRID


def render_field(picture: FieldPicture, cell: int = 16, *, caption: bool = True) -> np.ndarray:
    """The grid, with the caption and legend below it when `caption` (as exported)."""
    grid = render_grid(picture, cell)
    if not caption or (not picture.caption and not picture.legend):
        return grid
    width = grid.shape[1]
    size = caption_size(width)
    font = caption_font(size)
    step, margin = int(size * 1.5), size // 2
    lines = [part for line in picture.caption for part in wrap(line, font, width - 2 * margin)]
    # The legend flows like words: a swatch and its label never split across lines.
    entries, rows, x = [], 0, margin
    for colour, label in picture.legend:
        span = size + 4 + int(font.getlength(label))
        if x > margin and x + span > width - margin:
            rows, x = rows + 1, margin
        entries.append((x, rows, colour, label))
        x += span + size
    band = (len(lines) + (rows + 1 if entries else 0)) * step + size
    canvas = Image.new("RGB", (width, grid.shape[0] + band), GRID)
    canvas.paste(Image.fromarray(grid), (0, 0))
    draw = ImageDraw.Draw(canvas)
    y = grid.shape[0] + margin
    for line in lines:
        draw.text((margin, y), line, fill=TEXT, font=font)
        y += step
    for x, row, colour, label in entries:
        top = y + row * step
        draw.rectangle((x, top + 2, x + size - 2, top + size), fill=colour)
        draw.text((x + size + 4, top), label, fill=TEXT, font=font)
    return np.asarray(canvas)


def export_cell(width: int, height: int, minimum_side: int = 560) -> int:
    """A cell size for exports: large enough to read on a slide, and always a whole number."""
    return max(4, -(-minimum_side // max(width, height)))


def save_field_png(path, picture: FieldPicture, cell: int | None = None) -> np.ndarray:
    rgb = render_field(picture, cell or export_cell(picture.width, picture.height))
    save_png(path, rgb)
    return rgb


def save_growth_gif(path, pictures: list, cell: int | None = None, frame_ms: int = 700) -> list:
    """One frame per picture (one per layer), each held long enough to read the caption."""
    if not pictures:
        raise ValueError("no layers to animate")
    cell = cell or export_cell(pictures[0].width, pictures[0].height)
    frames = [render_field(p, cell) for p in pictures]
    # Captions wrap to different lengths; every frame of a GIF must share one size.
    tallest = max(f.shape[0] for f in frames)
    frames = [np.concatenate([f, np.full((tallest - f.shape[0], f.shape[1], 3), GRID, np.uint8)])
              if f.shape[0] < tallest else f for f in frames]
    save_gif(path, frames, frame_ms=frame_ms, hold_last_ms=max(frame_ms, 2000))
    return frames


def hover_text(picture: FieldPicture, row: int, col: int) -> str:
    """What the picture says about one pixel, in words (the explorer's status line)."""
    if (row, col) == tuple(picture.target):
        return "the target"
    if not earlier_pixels(picture.height, picture.width, picture.target)[row, col]:
        return "after the target: never visible"
    if picture.heat is not None:
        top = picture.heat.max() or 1.0
        return f"mean |gradient| {picture.heat[row, col]:.3g} ({100 * picture.heat[row, col] / top:.1f}% of the largest)"
    if picture.blind is not None and picture.blind[row, col]:
        return "in the blind spot: in reach, yet never seen"
    inside = [name for name, mask in picture.fields.items() if mask[row, col]]
    if not inside:
        return "earlier, but not reached yet"
    return "seen by the " + " and ".join("field" if n == COMBINED else f"{n} stack" for n in inside)


def describe_layer(layer: int | None, layers: int) -> str:
    return "output" if layer is None else f"layer {layer} of {layers}"


def compose_picture(config, target, *, channel: int = 0, layer: int | None = None,
                    fields: dict | None = None, show=STACKS,
                    heat=None, log_heat: bool = False, images: int = 0) -> FieldPicture:
    """A picture from the exact fields (stack -> bool (C, H, W)) of `config`, or from an
    effective-field heat map (float (C, H, W)); captions say what it is, for exports."""
    H, W, C = config.height, config.width, config.channels
    gated = config.variant == "gated"
    name = "Gated PixelCNN" if gated else "Original PixelCNN"
    chan = f", channel {CHANNEL_NAMES[channel]}" if C == 3 else ""
    picture = FieldPicture(H, W, tuple(target), channel=channel)
    head = f"{name} · {config.layers} layers · {config.kernel_size}x{config.kernel_size} kernel"
    combined = (fields or {}).get(COMBINED)
    if heat is not None:
        heat = heat.detach().cpu().numpy() if hasattr(heat, "detach") else np.asarray(heat)
        picture.heat, picture.log_heat = heat.sum(axis=0), log_heat
        scale = "log scale" if log_heat else "linear scale"
        picture.caption = [f"Effective field of the trained {name} · output",
                           f"target ({target[0]}, {target[1]}){chan} · mean |gradient| over "
                           f"{images} image{'s' if images != 1 else ''} · {scale}"]
        picture.legend = [(tuple(VIRIDIS[1].astype(int)), "weak"), (tuple(VIRIDIS[-1].astype(int)), "strong"),
                          (TARGET, "target")]
        if combined is not None and C == 3:
            picture.target_channels = visible_channels(combined, target)
        return picture
    if combined is None:
        return picture
    combined_hw = pixel_field(combined)
    stacks = [s for s in PAINT_ORDER if s in show] if gated else [COMBINED]
    picture.fields = {s: pixel_field(fields[s]) for s in stacks if fields.get(s) is not None}
    stats = field_stats(combined_hw, target)
    text = f"target ({target[0]}, {target[1]}){chan} · sees {stats.seen} of {stats.earlier} earlier pixels"
    picture.legend = [(STACK_COLOURS[s], s if gated else "field") for s in picture.fields]
    if not gated:
        picture.blind = blind_spot(combined_hw, target)
        text += f" · blind spot: misses {stats.blind} of {stats.in_reach} in reach"
        picture.legend.append((BLIND_SPOT, "blind spot"))
    picture.legend.append((TARGET, "target"))
    if C == 3:
        picture.target_channels = visible_channels(combined, target)
        own = "".join(n for n, seen in zip(CHANNEL_NAMES, picture.target_channels) if seen)
        text += f" · of its own pixel: {own or 'nothing'}"
    picture.caption = [f"{head} · {describe_layer(layer, config.layers)}", text]
    return picture
