"""How the app feels with a checkpoint: time to the model being ready, to the first sampled
sub-pixel after Start, to a whole grid at full speed, and the longest pause of the event loop
meanwhile (a 10 ms timer that should tick on time while the worker thread samples).

    python scripts/measure_app.py fashion-mnist --batch 16 --repeats 3

Runs offscreen; the figures in docs/benchmarks.md come from it. Each repeat is a fresh run in
the same window; the table shows the median and the worst of the repeats.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def wait_until(app, condition, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.001)


def one_run(app, window, timeout: float) -> dict:
    from PySide6.QtCore import QTimer
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    started = time.perf_counter()
    window.controls.start.click()
    last[0] = time.perf_counter()
    timer.start()
    wait_until(app, lambda: window.session.frame is not None and window.session.frame.done_steps > 0, timeout)
    first = time.perf_counter() - started
    wait_until(app, lambda: window.session.state == "done", timeout)
    timer.stop()
    return {"first": first, "grid": time.perf_counter() - started, "worst_gap": max(gaps)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="a .pt file or a bundled model's name")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication
    app = QApplication(sys.argv[:1])
    from pixelcnn_studio.gui import settings
    from pixelcnn_studio.gui.app import create_window
    from pixelcnn_studio.paths import resolve_checkpoint
    args.checkpoint = resolve_checkpoint(args.checkpoint)
    settings.settings().clear()                  # a fresh install's settings, and none left behind
    started = time.perf_counter()
    window = create_window(args.checkpoint)
    window.show()
    wait_until(app, lambda: window.loaded is not None, args.timeout)
    ready = time.perf_counter() - started
    window.controls.set_speed_value(None)        # full speed
    window.controls.batch.setValue(args.batch)
    runs = [one_run(app, window, args.timeout) for _ in range(args.repeats)]
    window.close()
    settings.settings().clear()

    print(f"{args.checkpoint}, {args.batch} images, {args.repeats} runs at full speed "
          f"(model ready {ready:.2f} s after the window was created)\n")
    print("| figure | median | worst |")
    print("|---|---:|---:|")
    for key, label, scale, unit in (("first", "Start to the first sub-pixel", 1000, "ms"),
                                    ("grid", "Start to the whole grid", 1, "s"),
                                    ("worst_gap", "longest event-loop pause", 1000, "ms")):
        values = [r[key] * scale for r in runs]
        digits = 0 if unit == "ms" else 2
        print(f"| {label} | {statistics.median(values):.{digits}f} {unit} | {max(values):.{digits}f} {unit} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
