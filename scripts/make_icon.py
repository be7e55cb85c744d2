"""Draw the application icon: a PixelCNN grid being filled in raster order.

Regenerates resources/icon.svg and icon.png (run from anywhere);
the PNG is what launchers use, the SVG what Qt scales for the window at any DPI.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parents[1] / "resources"
GRID = 6
DONE = 15          # cells already sampled, in raster order
SIZE = 256
MARGIN = 28
GAP = 6
BACKGROUND = "#1c2230"
PENDING = "#2e3748"
CURRENT = "#ffd54a"
# Sampled cells: a small warm-to-cool ramp, so the filled part reads as "an image appearing".
RAMP = ["#ff6b6b", "#ff8e5e", "#ffb35c", "#f7d26a", "#b8e07a", "#6fd3a0",
        "#4cc3c9", "#4aa8e8", "#5b8cf0", "#7a74e8", "#9b63d9", "#c05bc4",
        "#e05a9c", "#ff6b8a", "#ff8577"]


def cells():
    cell = (SIZE - 2 * MARGIN - (GRID - 1) * GAP) / GRID
    for index in range(GRID * GRID):
        row, col = divmod(index, GRID)
        x = MARGIN + col * (cell + GAP)
        y = MARGIN + row * (cell + GAP)
        yield index, x, y, cell


def fill_of(index: int) -> str:
    return RAMP[index % len(RAMP)] if index < DONE else PENDING


def write_svg(path: Path) -> None:
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
             f'viewBox="0 0 {SIZE} {SIZE}">',
             f'<rect x="4" y="4" width="{SIZE - 8}" height="{SIZE - 8}" rx="44" fill="{BACKGROUND}"/>']
    for index, x, y, cell in cells():
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell:.1f}" height="{cell:.1f}" rx="5" '
                     f'fill="{fill_of(index)}"/>')
        if index == DONE:
            parts.append(f'<rect x="{x + 2:.1f}" y="{y + 2:.1f}" width="{cell - 4:.1f}" height="{cell - 4:.1f}" '
                         f'rx="4" fill="none" stroke="{CURRENT}" stroke-width="5"/>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")


def write_png(path: Path) -> None:
    k = 4  # drawn 4x larger and reduced, for smooth edges without an SVG renderer
    img = Image.new("RGBA", (SIZE * k, SIZE * k), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle([4 * k, 4 * k, (SIZE - 4) * k, (SIZE - 4) * k], radius=44 * k, fill=BACKGROUND)
    for index, x, y, cell in cells():
        box = [x * k, y * k, (x + cell) * k, (y + cell) * k]
        draw.rounded_rectangle(box, radius=5 * k, fill=fill_of(index))
        if index == DONE:
            inner = [(x + 2) * k, (y + 2) * k, (x + cell - 2) * k, (y + cell - 2) * k]
            draw.rounded_rectangle(inner, radius=4 * k, outline=CURRENT, width=5 * k)
    img.resize((SIZE, SIZE), Image.LANCZOS).save(path)


if __name__ == "__main__":
    write_svg(HERE / "icon.svg")
    write_png(HERE / "icon.png")
    print("wrote", HERE / "icon.svg", "and", HERE / "icon.png")
