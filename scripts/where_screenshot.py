"""Screenshots of a box drawn and filled: the fashion-where model, a box dragged with the mouse through
the X server (xdotool), Space to sample the class into it, the whole screen captured when it is done;
then the same in presentation mode (F11) and on stage with the location map shown (L).

    DISPLAY=:1 python scripts/where_screenshot.py OUT [--model fashion-where] [--class Sneaker]
        [--box 0.1,0.5,0.6,0.95]

Needs an X server with a window manager, xdotool and ImageMagick's `import`.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from take_screenshots import capture, settle  # noqa: E402


def xdotool(app, *args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=10)
    settle(app, 0.3)


def drag_box(app, window, box) -> None:
    """Press, move and release the real mouse over the first tile, from the box's top-left to its bottom-right."""
    canvas = window.canvas
    rect = canvas._tile_rect(0, canvas._geometry())
    x0, y0, x1, y1 = box
    points = [canvas.mapToGlobal(rect.topLeft().toPoint()) for _ in range(1)]
    origin = points[0]

    def screen(x, y):
        return str(int(origin.x() + x * rect.width())), str(int(origin.y() + y * rect.height()))
    xdotool(app, "mousemove", *screen(x0, y0))
    xdotool(app, "mousedown", "1")
    for k in range(1, 6):
        xdotool(app, "mousemove", *screen(x0 + (x1 - x0) * k / 5, y0 + (y1 - y0) * k / 5))
    xdotool(app, "mouseup", "1")
    xdotool(app, "mousemove", "5", "5")        # out of the way: no hover outline in the picture


def sample_to_end(app, window, timeout: float = 600) -> None:
    window.activateWindow()
    settle(app, 0.2)
    xdotool(app, "key", "space")
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        settle(app, 0.2)
        frame = window.session.frame
        if frame is not None and frame.state == "done":
            return


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--model", default="fashion-where")
    parser.add_argument("--class", dest="class_", default="Sneaker")
    parser.add_argument("--box", default="0.1,0.5,0.6,0.95")
    parser.add_argument("--images", type=int, default=4)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    os.environ.setdefault("PIXELCNN_STUDIO_SETTINGS", "test")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from pixelcnn_studio.gui.common import settings
    from pixelcnn_studio.gui.app import create_window, ensure_app
    from pixelcnn_studio.paths import resolve_checkpoint
    app = ensure_app()
    settings.settings().clear()
    window = create_window(resolve_checkpoint(args.model))
    window.showMaximized()
    end = time.monotonic() + 60
    while window.loaded is None and time.monotonic() < end:
        settle(app, 0.1)
    if window.loaded is None or not window.state.box_model:
        print(f"{args.model}: not a box model (or it did not load)", file=sys.stderr)
        return 2
    names = [n.lower() for n in window.state.class_names]
    window.state.update(class_index=names.index(args.class_.lower()), batch=args.images)
    window.prepare_canvas()
    settle(app, 1.0)
    box = tuple(float(v) for v in args.box.split(","))
    drag_box(app, window, box)
    print("box in the state:", window.state.box, flush=True)
    sample_to_end(app, window)
    capture(app, out, "where-normal")
    xdotool(app, "key", "F11")
    settle(app, 1.5)
    capture(app, out, "where-f11")
    xdotool(app, "key", "s")
    xdotool(app, "key", "l")
    capture(app, out, "where-stage-map-f11")
    xdotool(app, "key", "l")
    xdotool(app, "key", "F11")
    xdotool(app, "key", "s")
    settle(app, 1.0)
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
