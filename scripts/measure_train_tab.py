"""Training speed in the app against the `train` command at the same threads, measured in one run.

Runs the same training (the command line the Train tab builds) alternately as a plain command and
from the app's Train tab (offscreen window, a model loaded, curves and grids drawn as they come),
`--pairs` times, each for `--seconds` of training from its first step done (a compiled step takes a
minute or more before it). Speed is the median of the run's once-a-second images/s figures after a
warm-up. The app's event loop runs as in the app (asleep between events).
A last app run, not in the ratio, measures the event loop's pauses as a 10 ms timer's lateness
(median, 99th percentile, longest); the same timer first runs `--idle` seconds with no run at all,
for the machine's share. Prints a table and the ratio app / command. `--pairs 0` measures only the
pauses; `--trace` also says, for each pause over 20 ms, how the GUI thread spent it (on a CPU, waiting
for one, asleep) and which event deliveries and Train tab handlers (gui/train/timing.py) ran in it.

    python scripts/measure_train_tab.py --data fashion-mnist --recipe cpu-quick --threads 1 --seconds 60 --pairs 3

The training children, the tab's and the command's alike, run as much nicer than this process as the
app makes its own (gui/train/process.py CHILD_NICENESS).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PIXELCNN_STUDIO_SETTINGS", "test")
# The command's child as nice as the app makes its own, so that each pair compares like with like.
from pixelcnn_studio.gui.train.process import CHILD_NICENESS, lower_priority  # noqa: E402

WARM_UP_S = 10.0


def speeds(folder: Path) -> list[float]:
    """images/s of every progress line after the warm-up, from the run folder's JSON lines."""
    events = [json.loads(line) for line in (folder / "progress.jsonl").read_text().splitlines() if line.strip()]
    start = [e["time"] for e in events if e["event"] == "start"][-1]      # this session's start
    trained = [e for e in events if e["event"] == "progress" and e["time"] >= start]
    # The warm-up counts from the first step done: a compiled step takes long before it.
    return [e["images_per_s"] for e in trained if e["time"] - trained[0]["time"] > WARM_UP_S]


def trained_from(folder: Path) -> float | None:
    """Now, once the run has said its first `progress` (a compiled step takes a minute or more before
    that, at a low priority on a loaded machine); None before."""
    try:
        with open(folder / "progress.jsonl") as f:
            for line in f:
                if '"event": "progress"' in line:
                    return time.monotonic()
    except OSError:
        return None
    return None


def command_run(plan, seconds: float) -> list[float]:
    from pixelcnn_studio.gui.train.plan import program
    from pixelcnn_studio.run_control import write_control
    exe, prefix = program()
    plan.out.mkdir(parents=True)
    with open(plan.out / "train.log", "w") as log:
        child = subprocess.Popen([exe, *prefix, *plan.arguments()], stdout=subprocess.DEVNULL, stderr=log)
        lower_priority(child.pid)
        began = None
        while began is None and child.poll() is None:
            time.sleep(0.2)
            began = trained_from(plan.out)
        time.sleep(max(0.0, seconds - (time.monotonic() - began)) if began else 0)
        write_control(plan.out, "stop")
        child.wait(120)
    return speeds(plan.out)


TICKS: list[tuple] = []        # (when, lateness, s on a CPU, s waiting for one) of the last loop's ticks
PROBE_TICKS: list[tuple] = []  # those of the probed run, for --trace


def thread_sched() -> tuple[float, float] | None:
    """The calling thread's seconds on a CPU and seconds runnable but waiting for one, from the
    kernel's schedstat (None where there is none)."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            ran, waited, _ = f.read().split()
        return int(ran) / 1e9, int(waited) / 1e9
    except (OSError, ValueError):
        return None


def run_loop(app, seconds: float, tick_ms: int | None = 10) -> list[float]:
    """Run the event loop as the app does (asleep between events) for `seconds`; the lateness of a
    `tick_ms` timer's ticks is the event loop's pause (no timer when None: the app as it is)."""
    from PySide6.QtCore import QEventLoop, QTimer
    gaps, last = [], [time.perf_counter()]
    sched_last = [thread_sched()]
    TICKS.clear()

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0] - tick_ms / 1000)
        sched = thread_sched()
        # How the GUI thread spent the gap: on a CPU, and runnable but waiting for one (Linux only).
        ran, waited = ((sched[0] - sched_last[0][0], sched[1] - sched_last[0][1])
                       if sched and sched_last[0] else (None, None))
        TICKS.append((now, gaps[-1], ran, waited))
        last[0], sched_last[0] = now, sched
    timer = QTimer()
    timer.setInterval(tick_ms or 10)
    timer.timeout.connect(tick)
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    last[0] = time.perf_counter()
    if tick_ms:
        timer.start()
    loop.exec()
    timer.stop()
    return gaps


def wait_for(app, condition, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        run_loop(app, 0.1)


app_cpu: list[float] = []     # the app process's own CPU time per wall second while its run trains


def app_run(app, tab, plan, seconds: float, probe: bool = False) -> tuple[list[float], list[float]]:
    """One run from the Train tab; with `probe`, a 10 ms timer measures the event loop meanwhile (its
    hundred wake-ups a second would each pre-empt a nicer training child: speed runs go without)."""
    tab.recipe.setCurrentIndex(tab.recipe.findData(plan.recipe))
    tab.dataset.setCurrentIndex(tab.dataset.findText(plan.data))
    tab.minutes.setValue(plan.minutes)
    tab.threads.setValue(plan.threads)
    tab.runs_root = plan.out.parent
    if tab.run is not None:           # a new run each time, not Resume of the one before
        tab.run.shutdown()
        tab.run = None
    tab.start_or_resume()
    folder = tab.run.folder
    # Measured while it trains: after the first progress line, not while the step compiles.
    wait_for(app, lambda: bool(tab.run.record.train_curve) or not tab.run.running(), timeout=900)
    cpu_before, wall_before = time.process_time(), time.monotonic()
    pauses = run_loop(app, seconds, 10 if probe else None)
    PROBE_TICKS[:] = TICKS
    app_cpu.append((time.process_time() - cpu_before) / (time.monotonic() - wall_before))
    tab.stop()
    wait_for(app, lambda: not tab.run.running())
    return speeds(folder), pauses


def pause_text(pauses: list[float]) -> str:
    p = sorted(pauses)
    over = sum(x > 0.033 for x in p) / len(p)
    p99 = p[int(0.99 * (len(p) - 1))]
    return (f"median {1000 * statistics.median(p):.1f} ms, 99th percentile {1000 * p99:.0f} ms, "
            f"longest {1000 * p[-1]:.0f} ms, share over 33 ms {over:.2%} of {len(p)} ticks")


# -- --trace: what the GUI thread did in the long pauses ------------------------------------------------
deliveries: list[tuple[str, float, float, float]] = []     # (what, start, wall s, CPU s), top-level only


def traced_app():
    """The app as ensure_app() makes it, but every event's delivery longer than a millisecond is timed
    (wall clock and the GUI thread's CPU): paints and layouts too, which no handler of the tab owns."""
    import sys
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    class TracedApp(QApplication):
        depth = 0

        def notify(self, receiver, event):
            if TracedApp.depth:
                return super().notify(receiver, event)
            TracedApp.depth = 1
            started, cpu = time.perf_counter(), time.thread_time()
            kind = event.type()
            try:
                return super().notify(receiver, event)
            finally:
                TracedApp.depth = 0
                wall = time.perf_counter() - started
                if wall > 0.001:
                    deliveries.append((f"{kind.name} to {type(receiver).__name__}", started, wall,
                                       time.thread_time() - cpu))

    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    QApplication.setApplicationName("PixelCNN Studio")
    return TracedApp(sys.argv[:1])


def explain_pauses(ticks: list[tuple], over_s: float = 0.020, summary: bool = True) -> None:
    """For every tick later than `over_s`: the tab's timed sections and the event deliveries in its gap,
    and a summary of each section over the whole run."""
    from pixelcnn_studio.gui.train import timing
    if not ticks:
        return
    first, last = ticks[0][0] - ticks[0][1] - 0.010, ticks[-1][0]
    work = [w for w in [("tab: " + name, start, wall, cpu) for name, start, wall, cpu in timing.sections]
            + deliveries if first <= w[1] <= last]
    late = [t for t in ticks if t[1] > over_s]
    print(f"\n{len(late)} tick(s) later than {over_s * 1000:.0f} ms (how the GUI thread spent the gap; what "
          "ran in it | in the 50 ms before it):")
    for at, gap, ran, waited in late:
        begun = at - gap - 0.010

        def listed(since, until):
            found = sorted((w for w in work if w[1] < until and w[1] + w[2] > since), key=lambda w: w[1])
            return "; ".join(f"{what} {wall * 1000:.1f} ms wall / {cpu * 1000:.1f} ms CPU"
                             for what, _, wall, cpu in found) or "-"
        # The tick's own 10 ms of sleep are not the pause: what is left beyond ran and waited, is.
        spent = (f"ran {ran * 1000:.0f} ms, waited for a CPU {waited * 1000:.0f} ms, asleep or blocked "
                 f"{max(0.0, gap - ran - waited) * 1000:.0f} ms" if ran is not None else "")
        print(f"  {gap * 1000:5.0f} ms late ({spent}): {listed(begun, at)} | {listed(begun - 0.050, begun)}")
    if not summary:
        return
    print("\nwhere the GUI thread's time went while probed (ms: count, median, longest wall, longest CPU):")
    by_name: dict[str, list] = {}
    for what, _, wall, cpu in work:
        by_name.setdefault(what, []).append((wall, cpu))
    for what, rows in sorted(by_name.items(), key=lambda kv: -max(r[0] for r in kv[1]))[:25]:
        walls = sorted(r[0] for r in rows)
        print(f"  {what:45s} {len(rows):5d}  {1000 * statistics.median(walls):6.1f}  {1000 * walls[-1]:6.1f}  "
              f"{1000 * max(r[1] for r in rows):6.1f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--recipe", default="cpu-quick")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=90.0, help="training seconds of each run")
    parser.add_argument("--pairs", type=int, default=2, help="speed pairs (0: only the event-loop run)")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of the idle event-loop baseline")
    parser.add_argument("--model", default="fashion-mnist", help="the model the app has loaded meanwhile")
    parser.add_argument("--trace", action="store_true",
                        help="time the tab's handlers and every event delivery, and say what filled each long pause")
    args = parser.parse_args(argv)
    if args.trace:
        os.environ["PIXELCNN_STUDIO_TRAIN_TIMING"] = "1"
        traced_app()
    from pixelcnn_studio.gui.app import create_window, ensure_app
    from pixelcnn_studio.gui.train.plan import TrainPlan
    from pixelcnn_studio.paths import bundled_models
    root = Path(tempfile.mkdtemp(prefix="train-tab-speed-"))
    app = ensure_app()
    window = create_window(next(p for p in bundled_models() if Path(p).stem == args.model))
    window.resize(1280, 720)
    window.show()
    wait_for(app, lambda: window.loaded is not None)
    window.tabs.setCurrentWidget(window.train_tools.tab)
    load_before = os.getloadavg()
    idle = run_loop(app, args.idle)
    idle_ticks = list(TICKS)
    rows = []
    for pair in range(args.pairs):
        for where in ("command", "app"):
            plan = TrainPlan(data=args.data, out=root / f"{where}-{pair}", recipe=args.recipe, minutes=60,
                             threads=args.threads)
            if where == "command":
                found = command_run(plan, args.seconds)
            else:
                found, _ = app_run(app, window.train_tools.tab, plan, args.seconds)
            rows.append((pair, where, statistics.median(found), len(found)))
            print(f"pair {pair + 1} {where:8s} {rows[-1][2]:8.1f} images/s (median of {len(found)} progress lines)",
                  flush=True)
    probe_plan = TrainPlan(data=args.data, out=root / "app-probe", recipe=args.recipe, minutes=60,
                           threads=args.threads)
    probed, all_pauses = app_run(app, window.train_tools.tab, probe_plan, args.seconds, probe=True)
    print(f"event-loop run  {statistics.median(probed):8.1f} images/s (not in the ratio)", flush=True)
    load_after = os.getloadavg()
    window.close()
    print(f"\nevent loop while the app trains: {pause_text(all_pauses)}; load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after; app CPU {app_cpu[-1]:.1%} of one core")
    print(f"event loop with no run (baseline, {args.idle:.0f} s): {pause_text(idle)}")
    if args.trace:
        print("\nwith no run:", end="")
        explain_pauses(idle_ticks, summary=False)
        print("\nwhile the app trains:", end="")
        explain_pauses(PROBE_TICKS)
    if not rows:
        return 0
    command = statistics.median(r[2] for r in rows if r[1] == "command")
    in_app = statistics.median(r[2] for r in rows if r[1] == "app")
    print(f"\n{args.data}, {args.recipe}, {args.threads} thread(s), {args.seconds:.0f} s per run, {os.cpu_count()} "
          f"cores, load average {load_before[0]:.1f} before, {load_after[0]:.1f} after; "
          f"this process at nice {os.getpriority(os.PRIO_PROCESS, 0)}, the training children {CHILD_NICENESS} nicer")
    print("| pair | where | images/s (median of the seconds after a 10 s warm-up) |")
    print("|---|---|---|")
    for pair, where, speed, _n in rows:
        print(f"| {pair + 1} | {where} | {speed:.1f} |")
    print(f"\napp / command: {in_app / command:.3f} (medians {in_app:.1f} / {command:.1f})")
    per_pair = [next(r[2] for r in rows if r[0] == p and r[1] == "app")
                / next(r[2] for r in rows if r[0] == p and r[1] == "command") for p in range(args.pairs)]
    print("per pair: " + ", ".join(f"{r:.3f}" for r in per_pair))
    print(f"event loop while the app trains: {pause_text(all_pauses)}")
    print("the app's own CPU use while its run trains (the last with the probe): "
          + ", ".join(f"{c:.1%}" for c in app_cpu) + " of one core")
    print(f"event loop with no run (baseline, {args.idle:.0f} s): {pause_text(idle)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
