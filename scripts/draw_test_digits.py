"""Draw the test digits: one digit per large sheet, as a user would draw it with a mouse or a pen.

Each digit is a few strokes through hand-placed points, smoothed into curves and drawn as a hand draws
them: the line wanders (a slow seeded wobble of a few per cent of the digit's height, and a fine
tremor), and the pen's pressure rises at the start of a stroke, varies along it and lifts at the end,
so the width changes along every stroke. Sheets, ink, pen width, size, slant and placement vary too (a
small digit in a corner, a big one across the middle, blue ink on a colour scan, grey pencil on
off-white, black ink on a transparent canvas), because those are what a digit model's preparation has
to undo. The output is committed as test data (tests/data/drawn/), so this script only documents how it
was made:

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


WOBBLE = 0.03          # the line's slow wander, as a share of the digit's height
TREMOR = 0.004         # its fine shake


def resample(points: list[tuple[float, float]], step: float) -> np.ndarray:
    """Points every `step` pixels along a polyline (N, 2)."""
    xy = np.asarray(points, dtype=float)
    lengths = np.r_[0.0, np.cumsum(np.hypot(*np.diff(xy, axis=0).T))]
    at = np.linspace(0.0, lengths[-1], max(2, int(lengths[-1] / step) + 1))
    return np.stack([np.interp(at, lengths, xy[:, 0]), np.interp(at, lengths, xy[:, 1])], axis=1)


def hand_stroke(xy: np.ndarray, height: float, pen: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """A stroke as a hand draws it: the points moved by a smooth wobble and a tremor, and a pen radius
    per point from the pressure (rising at the start, varying along the stroke, lifting at the end)."""
    n = len(xy)
    t = np.linspace(0.0, 1.0, n)
    wander = np.zeros_like(xy)
    for axis in range(2):
        for wave in (1.0, 2.0, 3.5):
            wander[:, axis] += np.sin(2 * np.pi * (wave * t + rng.random())) / wave
    wander *= WOBBLE * height / 1.8
    tremor = rng.normal(0.0, TREMOR * height, xy.shape)
    tremor = np.apply_along_axis(lambda v: np.convolve(v, np.ones(5) / 5, mode="same"), 0, tremor)
    ramp = np.clip(np.minimum(t / 0.08, (1.0 - t) / 0.12), 0.35, 1.0)
    pressure = ramp * (0.8 + 0.35 * np.sin(2 * np.pi * (1.3 * t + rng.random())))
    return xy + wander + tremor, np.maximum(1.0, pen / 2 * pressure)


def draw_digit(sheet: Image.Image, digit: int, height: int, origin, slant: float, pen: int, ink,
               seed: int = 0) -> None:
    draw = ImageDraw.Draw(sheet)
    rng = np.random.default_rng(seed)
    width = 0.62 * height
    for stroke in STROKES[digit]:
        smooth = catmull_rom(stroke) if digit not in (4, 7, 1) else stroke
        xy = [(origin[0] + x * width + (1.0 - y) * slant * height, origin[1] + y * height) for x, y in smooth]
        # Stamps of the round pen every few pixels, each as wide as the pressure there.
        points, radii = hand_stroke(resample(xy, max(1.0, pen / 6)), height, pen, rng)
        for (x, y), r in zip(points, radii):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=ink)


def make_sheet(digit, size, height, origin, slant, pen, ink, paper, kind) -> Image.Image:
    if kind == "RGBA":
        sheet = Image.new("RGBA", size, (255, 255, 255, 0))
        draw_digit(sheet, digit, height, origin, slant, pen, (ink, ink, ink, 255), seed=digit)
        return sheet
    sheet = Image.new(kind, size, paper)
    draw_digit(sheet, digit, height, origin, slant, pen, ink, seed=digit)
    return sheet


def main(folder: str) -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for digit, *spec in SHEETS:
        make_sheet(digit, *spec).save(out / f"digit-{digit}.png", optimize=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/drawn")
