"""Screenshots of the Sampling tab writing a typed word, under a real X server with a window manager.

Opens a letters model, types the word into the word field, presses Enter through the window system
(xdotool) and captures the screen part-way and at the end, in a 1280x720 window and in presentation
mode (F11). With a style model and --glyph, the glyph is dropped on the portrait panel first.

    DISPLAY=:1 python scripts/letters_screenshot.py OUT --model letters --word "PIXEL CNN"
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from take_screenshots import capture, key, settle  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--model", default="letters", help="a checkpoint or a bundled name")
    parser.add_argument("--word", default="PIXEL CNN")
    parser.add_argument("--glyph", help="a picture of one letter (style models)")
    parser.add_argument("--partial", type=int, default=400, help="sub-pixels sampled before the first picture")
    parser.add_argument("--f11", action="store_true", help="also a presentation-mode picture")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    os.environ.setdefault("PIXELCNN_STUDIO_SETTINGS", "test")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from pixelcnn_studio.gui.app import create_window, ensure_app
    from pixelcnn_studio.paths import resolve_checkpoint
    app = ensure_app()
    window = create_window(resolve_checkpoint(args.model))
    deadline = time.perf_counter() + 120
    while window.loaded is None and time.perf_counter() < deadline:
        settle(app, 0.05)
    window.resize(1280, 720)
    window.move(0, 0)
    window.show()
    settle(app, 1.0)
    if args.glyph:   # as if dropped on the portrait panel
        window.portraits.panel.load_portrait(args.glyph)
        deadline = time.perf_counter() + 60
        while window.portraits.panel.busy and time.perf_counter() < deadline:
            settle(app, 0.05)
        settle(app, 1.0)
    field = window.conditioning.text
    field.setFocus()
    field.setText(args.word)
    settle(app, 0.3)
    key(app, window, "Return")
    deadline = time.perf_counter() + 120
    while window.session.frame is None or window.session.frame.done_steps < args.partial:
        settle(app, 0.02)
        if time.perf_counter() > deadline:
            break
    window.session.pause()
    capture(app, out, "letters-writing")
    window.session.resume()
    while window.session.state != "done" and time.perf_counter() < deadline + 300:
        settle(app, 0.05)
    capture(app, out, "letters-word")
    if args.f11:
        key(app, window, "F11")
        settle(app, 1.5)
        capture(app, out, "letters-word-f11")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
