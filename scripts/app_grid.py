"""The app, with no screen, samples a grid and saves it: proof that its sampling path runs on a device.

Opens the main window offscreen (Qt's offscreen platform: no display needed) on a model, picks the
device as `--device` does on the command line, samples one row per class at full speed through the
window's own worker, and writes the finished grid as a PNG. Prints one JSON line with the device
the window sampled on and the timings. Exit status 0 only when the whole grid was sampled.

    python scripts/app_grid.py MODEL --device cuda --out grid.png [--rows-of 8] [--seed 0] [--timeout 300]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a .pt checkpoint or a bundled model's name")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", required=True, help="the grid, as a PNG")
    parser.add_argument("--rows-of", type=int, default=8, help="images per class row (default 8)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=300, help="seconds before giving up")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("PIXELCNN_STUDIO_SETTINGS", "test")      # never the user's saved settings

    from pixelcnn_studio.core.export import make_grid, save_png
    from pixelcnn_studio.gui.app import create_window, ensure_app
    from pixelcnn_studio.paths import resolve_checkpoint

    app = ensure_app()
    started = time.perf_counter()
    deadline = started + args.timeout

    def wait(until, what: str) -> None:
        while not until():
            if time.perf_counter() > deadline:
                raise SystemExit(f"app_grid: timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.005)

    window = create_window(str(resolve_checkpoint(args.model)), device=args.device)
    wait(lambda: window.loaded is not None or window.banner.isVisible(), "the model to load")
    if window.loaded is None:
        raise SystemExit(f"app_grid: the model did not load: {window.banner.text()}")
    loaded_s = time.perf_counter() - started
    classes = window.state.num_classes
    batch = args.rows_of * classes if classes else args.rows_of
    window.state.update(per_class=bool(classes), batch=batch, seed=args.seed, speed=None)
    t0 = time.perf_counter()
    window.start_or_pause()
    wait(lambda: window.session.frame is not None and window.session.frame.done_steps >= window.session.frame.total,
         "the grid to finish")
    sampled_s = time.perf_counter() - t0
    frame = window.session.frame
    device = str(window.devices.device)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    columns = args.rows_of if classes else None
    save_png(out, make_grid(frame.image, columns=columns, scale=2))
    print(json.dumps({"model": Path(window.loaded.path).stem, "device": device, "images": int(frame.image.shape[0]),
                      "classes": classes, "sub_pixels": int(frame.total), "load_s": round(loaded_s, 2),
                      "grid_s": round(sampled_s, 2), "steps_per_s": round(frame.total / max(sampled_s, 1e-9), 1),
                      "out": str(out)}), flush=True)
    window.close()
    app.processEvents()
    wanted = args.device.split(":")[0]
    if wanted != "auto" and not device.startswith(wanted):
        print(f"app_grid: asked for {args.device}, the window sampled on {device}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
