"""Screenshots of the Studio as a user sees it, under a real X server with a window manager.

Opens a model, samples part of a run, and captures the whole screen in normal mode, presentation
mode (F11), the stage view, and the Receptive fields tab; with --surprise, the Surprise tab scoring
each picture given. The keys go through the window system (xdotool), so F11 and focus behave as on a
desktop. Needs X tools: xdotool and ImageMagick's `import`. Writes PNGs named <size>-<scene>.png
(and <size>-surprise-<picture>.png) into OUT.

    DISPLAY=:1 python scripts/take_screenshots.py OUT [--model fashion-mnist] [--steps 300]
    DISPLAY=:1 python scripts/take_screenshots.py OUT --scenes none --surprise digit-7.png,garment-pullover.png
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path


def settle(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.01)


def key(app, window, name: str) -> None:
    """A key press delivered by the X server to the focused window."""
    window.activateWindow()
    settle(app, 0.2)
    subprocess.run(["xdotool", "key", name], check=True, timeout=10)
    settle(app, 0.5)


def capture(app, out: Path, name: str) -> None:
    settle(app, 0.8)
    subprocess.run(["import", "-window", "root", str(out / f"{name}.png")], check=True, timeout=30)
    print(out / f"{name}.png", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--model", default="fashion-mnist")
    parser.add_argument("--steps", type=int, default=400, help="sub-pixels sampled before the pictures")
    parser.add_argument("--layer", type=int, default=3, help="the Receptive fields tab's layer")
    parser.add_argument("--scenes", default="normal,f11,stage,stage-f11,fields,fields-f11")
    parser.add_argument("--surprise", default="", help="pictures to score on the Surprise tab, comma-separated")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    os.environ.setdefault("PIXELCNN_STUDIO_SETTINGS", "test")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from pixelcnn_studio.gui.app import create_window, ensure_app
    from pixelcnn_studio.paths import bundled_models
    app = ensure_app()
    path = next(p for p in bundled_models() if Path(p).stem == args.model)
    window = create_window(path)
    deadline = time.perf_counter() + 60
    while window.loaded is None and time.perf_counter() < deadline:
        settle(app, 0.05)
    screen = app.primaryScreen().geometry()
    size = f"{screen.width()}x{screen.height()}"
    window.showMaximized()
    settle(app, 1.0)
    window.state.update(seed=7, batch=16)
    window.start_or_pause()
    while window.session.frame is None or window.session.frame.done_steps < args.steps:
        settle(app, 0.05)
    window.start_or_pause()                       # pause: a run caught mid-way tells the story
    settle(app, 0.5)
    window.canvas.setFocus()
    scenes = args.scenes.split(",")

    def shoot(plain: str, presented: str) -> None:
        """The view as it is (scene `plain`), then in presentation mode (scene `presented`), as asked."""
        if plain in scenes:
            capture(app, out, f"{size}-{plain}")
        if presented in scenes:
            key(app, window, "F11")
            settle(app, 1.0)
            capture(app, out, f"{size}-{presented}")
            key(app, window, "Escape")
            settle(app, 1.0)

    shoot("normal", "f11")
    if "stage" in scenes or "stage-f11" in scenes:
        window.canvas.setFocus()
        key(app, window, "s")
        shoot("stage", "stage-f11")
        key(app, window, "s")
    if "fields" in scenes or "fields-f11" in scenes:
        key(app, window, "F3")
        for _ in range(args.layer - 1):
            key(app, window, "Right")             # on this tab → steps the layer
        deadline = time.perf_counter() + 60       # the fields are computed in the background
        while not window.explorer.is_idle() and time.perf_counter() < deadline:
            settle(app, 0.1)
        settle(app, 1.0)
        shoot("fields", "fields-f11")
    for picture in filter(None, args.surprise.split(",")):
        surprise = window.picture_tools.surprise
        window.tabs.setCurrentWidget(surprise)
        surprise.result = None
        surprise.score(picture, Path(picture).name)
        deadline = time.perf_counter() + 120          # scored in the background
        while surprise.result is None and time.perf_counter() < deadline:
            settle(app, 0.1)
        capture(app, out, f"{size}-surprise-{Path(picture).stem}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
