"""Draw the test digits: one digit per large sheet, as a user would draw it with a mouse or a pen.

Each digit is a few strokes through hand-placed points, smoothed into curves, drawn with a round pen.
Sheets, ink, pen width, size, slant and placement vary (a small digit in a corner, a big one across
the middle, blue ink on a colour scan, grey pencil on off-white, black ink on a transparent canvas),
because those are what a digit model's preparation has to undo. The output is committed as test data
(tests/data/drawn/), so this script only documents how it was made:

    python scripts/draw_test_digits.py tests/data/drawn
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

# Strokes per digit, points in a unit box (x right, y down); drawn through with Catmull-Rom curves.
STROKES = {
    0: [[(0.5, 0.0), (0.15, 0.2), (0.05, 0.55), (0.25, 0.92), (0.55, 1.0), (0.88, 0.75), (0.92, 0.35),
         (0.7, 0.05), (0.45, 0.02)]],
    1: [[(0.25, 0.18), (0.55, 0.0), (0.55, 1.0)]],
    2: [[(0.1, 0.25), (0.4, 0.0), (0.8, 0.08), (0.85, 0.35), (0.5, 0.68), (0.08, 1.0), (0.95, 0.98)]],
    3: [[(0.12, 0.15), (0.5, 0.0), (0.85, 0.15), (0.82, 0.38), (0.42, 0.5), (0.85, 0.64), (0.9, 0.86),
         (0.5, 1.0), (0.08, 0.86)]],
    4: [[(0.65, 1.0), (0.65, 0.0), (0.05, 0.66), (0.95, 0.66)]],
    5: [[(0.88, 0.0), (0.22, 0.02), (0.15, 0.45)], [(0.15, 0.45), (0.6, 0.36), (0.9, 0.6), (0.78, 0.93),
                                                     (0.4, 1.0), (0.08, 0.88)]],
    6: [[(0.75, 0.03), (0.4, 0.18), (0.15, 0.55), (0.25, 0.9), (0.55, 1.0), (0.85, 0.8), (0.72, 0.55),
         (0.4, 0.52), (0.18, 0.7)]],
    7: [[(0.05, 0.02), (0.95, 0.0), (0.55, 0.5), (0.35, 1.0)]],
    8: [[(0.5, 0.5), (0.18, 0.27), (0.5, 0.0), (0.82, 0.27), (0.5, 0.5), (0.14, 0.76), (0.5, 1.0),
         (0.86, 0.76), (0.5, 0.5)]],
    9: [[(0.82, 0.3), (0.5, 0.5), (0.18, 0.3), (0.5, 0.0), (0.82, 0.22), (0.8, 0.6), (0.68, 1.0)]],
}

# (digit, sheet (w, h), digit height, top-left of the digit box, slant, pen width, ink, paper, kind)
SHEETS = [
    (0, (320, 400), 220, (60, 90), 0.10, 22, 20, 250, "L"),
    (1, (800, 600), 120, (40, 30), 0.15, 10, 0, 255, "L"),          # small, top-left corner
    (2, (640, 480), 400, (150, 40), 0.0, 34, 30, 240, "L"),
    (3, (320, 400), 260, (40, 70), 0.05, 26, 15, 255, "L"),          # the thick 3 on 320x400
    (4, (1000, 700), 180, (760, 480), 0.12, 14, (20, 40, 160), (245, 245, 238), "RGB"),  # blue, bottom right
    (5, (500, 500), 300, (120, 100), 0.2, 18, 90, 230, "L"),         # grey pencil on off-white
    (6, (700, 900), 500, (150, 200), 0.0, 40, 10, 255, "L"),
    (7, (600, 400), 200, (350, 60), 0.18, 16, 0, 0, "RGBA"),         # black ink on a transparent canvas
    (8, (400, 400), 250, (100, 70), 0.05, 20, (10, 10, 10), (255, 255, 255), "RGB"),
    (9, (900, 600), 150, (60, 420), 0.1, 12, 25, 250, "L"),          # small, bottom-left corner
]


def catmull_rom(points: list[tuple[float, float]], per_segment: int = 16) -> list[tuple[float, float]]:
    """A smooth curve through the points (uniform Catmull-Rom), as a denser polyline."""
    if len(points) < 3:
        return points
    padded = [points[0], *points, points[-1]]
    curve = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = (np.asarray(padded[j], dtype=float) for j in (i - 1, i, i + 1, i + 2))
        for t in np.linspace(0.0, 1.0, per_segment, endpoint=False):
            curve.append(tuple(0.5 * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                                      + (-p0 + 3 * p1 - 3 * p2 + p3) * t ** 3)))
    curve.append(points[-1])
    return curve


def draw_digit(sheet: Image.Image, digit: int, height: int, origin, slant: float, pen: int, ink) -> None:
    draw = ImageDraw.Draw(sheet)
    width = 0.62 * height
    for stroke in STROKES[digit]:
        smooth = catmull_rom(stroke) if digit not in (4, 7, 1) else stroke
        xy = [(origin[0] + x * width + (1.0 - y) * slant * height, origin[1] + y * height) for x, y in smooth]
        draw.line(xy, fill=ink, width=pen, joint="curve")
        for x, y in (xy[0], xy[-1]):                     # round pen ends
            draw.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=ink)


def make_sheet(digit, size, height, origin, slant, pen, ink, paper, kind) -> Image.Image:
    if kind == "RGBA":
        sheet = Image.new("RGBA", size, (255, 255, 255, 0))
        draw_digit(sheet, digit, height, origin, slant, pen, (ink, ink, ink, 255))
        return sheet
    sheet = Image.new(kind, size, paper)
    draw_digit(sheet, digit, height, origin, slant, pen, ink)
    return sheet


def main(folder: str) -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for digit, *spec in SHEETS:
        make_sheet(digit, *spec).save(out / f"digit-{digit}.png", optimize=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/drawn")
