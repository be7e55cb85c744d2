"""Screenshots of the Train tab during a real run, under an X server with a window manager.

Opens the app on a bundled model, starts a run from the Train tab (F7) and captures the whole screen at
the given moments of the run, in a window and in presentation mode (F11). Also records the event
loop's longest pause while the run goes (a 5 ms timer's late arrivals). Needs xdotool and ImageMagick's
`import`. Writes <moment>-window.png and <moment>-f11.png into OUT; the run goes into OUT/runs.

    DISPLAY=:1 python scripts/train_tab_screenshots.py OUT [--data fashion-mnist] [--at 30,120]
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
    parser.add_argument("--model", default="fashion-mnist")
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--recipe", default="cpu-quick")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=None, help="default: the tab's (the free cores)")
    parser.add_argument("--at", default="30,120", help="seconds into the run to capture, comma-separated")
    parser.add_argument("--wait-end", type=float, default=180.0,
                        help="seconds to wait after the last capture for the run to end (default 180)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    os.environ.setdefault("PIXELCNN_STUDIO_SETTINGS", "test")
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    import pixelcnn_studio.gui.shell.train_tools as train_tab
    train_tab.runs_root = lambda: out / "runs"
    from PySide6.QtCore import QTimer
    from pixelcnn_studio.gui.app import create_window, ensure_app
    from pixelcnn_studio.paths import bundled_models
    app = ensure_app()
    window = create_window(next(p for p in bundled_models() if Path(p).stem == args.model))
    deadline = time.perf_counter() + 60
    while window.loaded is None and time.perf_counter() < deadline:
        settle(app, 0.05)
    key(app, window, "F7")
    tab = window.train_tools.tab
    index = tab.dataset.findText(args.data)
    if index < 0:
        print(f"{args.data} is not among the tab's datasets here", file=sys.stderr)
        return 2
    tab.dataset.setCurrentIndex(index)
    tab.recipe.setCurrentIndex(tab.recipe.findData(args.recipe))
    tab.minutes.setValue(args.minutes)
    if args.threads:
        tab.threads.setValue(args.threads)

    gaps, last = [], [time.perf_counter()]
    ticked_at: list[float] = []      # seconds into the run of each tick, to say when the long pauses came

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        ticked_at.append(now - started)
        last[0] = now
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    tab.start_or_resume()
    started = time.perf_counter()
    timer.start()
    for moment in (float(s) for s in args.at.split(",")):
        while time.perf_counter() - started < moment:
            settle(app, 0.1)
        timer.stop()
        capture(app, out, f"{int(moment)}s-window")
        key(app, window, "F11")
        settle(app, 1.5)
        capture(app, out, f"{int(moment)}s-f11")
        key(app, window, "F11")
        settle(app, 1.5)
        last[0] = time.perf_counter()
        timer.start()
    timer.stop()
    record = tab.run.record
    # Let the run end on its own (its budget, then the best weights scored on the whole held-out split):
    # closing the window first would stop it before that score.
    deadline = time.perf_counter() + args.wait_end
    while record.status not in ("finished", "stopped", "ended") and time.perf_counter() < deadline:
        settle(app, 0.5)
    full = _full_split_score(tab.run.folder)
    # The first second holds the window's own start; captures and F11 are not counted (timer stopped).
    pauses = sorted(g - 0.005 for g in gaps[200:])
    longest = sorted(zip(gaps[200:], ticked_at[200:]), reverse=True)[:5]
    print(f"run folder {tab.run.folder}: step {record.step}, {record.images_per_s} images/s, "
          f"best held-out {record.best_test_bpd}, status {record.status}"
          + (f"; best weights on the whole held-out split: {full:.4f} bits/dim" if full is not None else ""))
    if pauses:
        print(f"event loop: longest pause {1000 * pauses[-1]:.1f} ms, 99th percentile "
              f"{1000 * pauses[int(0.99 * (len(pauses) - 1))]:.1f} ms over {len(pauses)} ticks; the longest five "
              "ended at " + ", ".join(f"{at:.1f} s ({1000 * (gap - 0.005):.0f} ms)" for gap, at in longest)
              + " into the run")
    window.close()
    return 0


def _full_split_score(folder) -> float | None:
    """The run's best weights scored on the whole held-out split, from best.pt's metrics."""
    from pixelcnn_studio.core import load_checkpoint
    try:
        return load_checkpoint(Path(folder) / "best.pt").metadata.get("metrics", {}).get("test_bpd_full")
    except Exception:          # no best.pt (stopped early): the caller prints the curve's figure only
        return None


if __name__ == "__main__":
    raise SystemExit(main())
