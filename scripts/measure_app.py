"""How the app feels with a checkpoint: time to the model being ready, to the first sampled
sub-pixel after Start, to a whole grid at full speed, and the longest pause of the event loop
meanwhile (a 10 ms timer that should tick on time while the worker thread samples).

    python scripts/measure_app.py fashion-mnist --batch 16 --repeats 3
    python scripts/measure_app.py --startup --repeats 5

Each app run is followed by the same grid drawn as the `pixelcnn-studio sample` command draws it (its
plan, its thread count, its sampling loop, in this process, without the process start and model load
that the command adds), so that the ratio of the two is measured in one run under the same load.

Runs offscreen; the figures in docs/benchmarks.md come from it. Each repeat is a fresh run in
the same window; the table shows the median and the worst of the repeats.

--startup instead launches the real command (`python -m pixelcnn_studio`) afresh for every repeat
and times it from process start: `--help` to its exit, then the app to its first window and to the
default model being ready (the app reports both when PIXELCNN_STUDIO_TIMING is set).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
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
    """One run at full speed, the window's own event loop running (not polled: a loop that spins
    to look would take the CPU and the interpreter from the sampler it is measuring)."""
    from PySide6.QtCore import QEventLoop, QTimer
    gaps, last = [], [time.perf_counter()]
    marks: dict[str, float] = {}

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    loop = QEventLoop()

    def on_frame(frame):
        if "first" not in marks and frame.done_steps > 0:
            marks["first"] = time.perf_counter()
        if frame.state == "done":
            marks["done"] = time.perf_counter()
            loop.quit()

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    window.session.frame_changed.connect(on_frame)
    QTimer.singleShot(int(timeout * 1000), loop.quit)
    started = time.perf_counter()
    window.controls.start.click()
    last[0] = time.perf_counter()
    timer.start()
    loop.exec()
    timer.stop()
    window.session.frame_changed.disconnect(on_frame)
    if "done" not in marks:
        raise TimeoutError("the app did not finish the grid in time")
    return {"first": marks["first"] - started, "grid": marks["done"] - started, "worst_gap": max(gaps)}


def command_run(loaded, n: int, seed: int) -> float:
    """Seconds the `sample` command's loop takes for the same grid: its plan, its threads, its stream."""
    import numpy as np
    import torch
    from pixelcnn_studio.core.devices import sampling_threads, set_threads
    from pixelcnn_studio.core.plan import plan_run
    from pixelcnn_studio.core.sampling import SampleStream
    cfg = loaded.config
    before = torch.get_num_threads()
    set_threads(sampling_threads(cfg, n))
    embedding = np.zeros(cfg.embedding_dim, np.float32) if cfg.embedding_dim else None
    plan = plan_run(n, num_classes=cfg.num_classes, class_names=loaded.class_names,
                    class_id=0 if cfg.num_classes else None, embedding=embedding, seed=seed)
    started = time.perf_counter()
    stream = SampleStream(loaded.model, plan.n, **plan.sampler_arguments())
    while stream.step() is not None:
        pass
    elapsed = time.perf_counter() - started
    set_threads(before)
    return elapsed


def launch_once(command: list[str], timeout: float) -> dict:
    """One fresh start of the app: seconds from process start to its first window and to the model."""
    env = {**os.environ, "PIXELCNN_STUDIO_TIMING": "1",
           "PIXELCNN_STUDIO_SETTINGS": os.path.join(tempfile.mkdtemp(prefix="measure-app-"), "settings.ini")}
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    found: dict[str, float] = {}
    deadline = time.perf_counter() + timeout
    try:
        for line in proc.stderr:
            match = re.match(r"startup: (window shown|model ready) ([0-9.]+) s", line)
            if match:
                found[match.group(1)] = float(match.group(2))
            if len(found) == 2 or time.perf_counter() > deadline:
                break
    finally:
        proc.kill()
        proc.wait()
    if len(found) < 2:
        raise TimeoutError(f"the app did not report its start-up in time: {found}")
    return {"window": found["window shown"], "model": found["model ready"]}


def time_help(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command + ["--help"], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def measure_startup(repeats: int, timeout: float) -> int:
    command = [sys.executable, "-m", "pixelcnn_studio"]
    helps = [time_help(command) for _ in range(repeats)]
    starts = [launch_once(command, timeout) for _ in range(repeats)]
    load = os.getloadavg()
    print(f"{repeats} fresh starts of {' '.join(command[1:])}, offscreen; load average {load[0]:.1f} "
          f"(cores: {os.cpu_count()})\n")
    print("| from process start | median | worst |")
    print("|---|---:|---:|")
    for label, values in (("`--help` printed and exited", helps),
                          ("first window shown", [s["window"] for s in starts]),
                          ("default model ready", [s["model"] for s in starts])):
        print(f"| {label} | {statistics.median(values):.2f} s | {max(values):.2f} s |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", nargs="?", default="fashion-mnist", help="a .pt file or a bundled model's name")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--startup", action="store_true", help="time start-up from process start instead")
    parser.add_argument("--fps", default=None,
                        help="frames a second shown at full speed, comma-separated to compare several in one "
                             "run (interleaved; default: the app's own)")
    args = parser.parse_args()
    if args.startup:
        return measure_startup(args.repeats, args.timeout)

    from PySide6.QtWidgets import QApplication
    app = QApplication(sys.argv[:1])
    from pixelcnn_studio.gui.common import settings
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
    load_before = os.getloadavg()[0]
    from pixelcnn_studio.gui.common import worker
    rates = [float(f) for f in args.fps.split(",")] if args.fps else [1.0 / worker.MAX_SPEED_FRAME_INTERVAL]
    by_rate: dict[float, list] = {rate: [] for rate in rates}
    for repeat in range(args.repeats):
        for rate in rates:
            worker.MAX_SPEED_FRAME_INTERVAL = 1.0 / rate
            run = one_run(app, window, args.timeout)
            # The same grid as the sample command draws it, right after, under the same load.
            run["command"] = command_run(window.loaded, window.session.frame.image.shape[0], seed=repeat)
            run["ratio"] = run["grid"] / run["command"]
            by_rate[rate].append(run)
    window.close()
    settings.settings().clear()

    print(f"{args.checkpoint}, {args.batch} images, {args.repeats} runs at full speed "
          f"(model ready {ready:.2f} s after the window was created); load average "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after (cores: {os.cpu_count()})")
    for rate, runs in by_rate.items():
        print(f"\n{rate:g} frames a second at full speed\n")
        print("| figure | median | worst |")
        print("|---|---:|---:|")
        for key, label, scale, unit in (("first", "Start to the first sub-pixel", 1000, "ms"),
                                        ("grid", "Start to the whole grid", 1, "s"),
                                        ("command", "the sample command's loop, the same grid", 1, "s"),
                                        ("ratio", "app / sample command", 1, "x"),
                                        ("worst_gap", "longest event-loop pause", 1000, "ms")):
            values = [r[key] * scale for r in runs]
            digits = 0 if unit == "ms" else 2
            print(f"| {label} | {statistics.median(values):.{digits}f} {unit} | {max(values):.{digits}f} {unit} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
