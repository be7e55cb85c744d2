"""What a run tells whoever watches it, and how it is steered while it runs.

Watching: with `--progress-json` every event is one JSON object per line, printed on stdout and
appended to `progress.jsonl` in the run folder, so that a window which closed and came back (or
another program) can read the whole story of the run from the folder alone. Every line has
`event` and `time`; the events are `start`, `progress` (about once a second), `eval`, `samples`,
`note`, `paused`, `resumed`, `scoring` (the best weights on the whole held-out split, at the end)
and `end`.

Steering: a file named `control` in the run folder holding one word, `pause`, `resume` or `stop`.
A file works the same on Linux, macOS and Windows (signals do not), needs no pipe to stay open
between the run and its watcher, and lets a user steer a run started in a terminal too:
`echo pause > RUN/control`. The run reads the file at most every CONTROL_POLL_S
seconds, so steering costs nothing measurable per step.

Sample grids: at the first step, then every `sample_every` seconds of training, and at the end,
the EMA weights draw one image per class
(eight for a model without classes) into `samples/step-NNNNNNN.png`, written atomically.

A resumed run first trims the log and the grids to the step it continues from (a run killed with
`kill -9` logged past its last save); a fresh run starts both afresh (train/run_folder.py).
"""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

from ..run_control import CONTROL_FILE, PROGRESS_FILE, SAMPLES_DIR, read_control
from .run_folder import tidy_live_log

CONTROL_POLL_S = 0.25
PROGRESS_EVERY_S = 1.0
PAUSED_HEARTBEAT_S = 5.0
UNCONDITIONAL_GRID = 8
MAX_GRID_CLASSES = 36     # one image per class, up to a grid that still reads on a projector
GRID_SCALE = 4
GRID_GAP = 72             # grey between the images: dark images on black would run into each other


class LiveRun:
    """JSON lines, sample grids and the control file for one training run (only rank 0 has one)."""

    def __init__(self, out, *, json_lines: bool, sample_every: float | None, resumed_step: int | None,
                 active: bool = True):
        self.out = Path(out).absolute()
        self.active = active
        self.json_lines = json_lines and active
        self.sample_every = sample_every if active and sample_every and sample_every > 0 else None
        self._control_checked = 0.0
        self._last_progress = 0.0
        self._last_grid: float | None = None
        self._window = {"nll": 0.0, "images": 0, "seconds": 0.0}
        if active:
            # A word left from an earlier session would stop or pause this one at its first step.
            try:
                (self.out / CONTROL_FILE).unlink()
            except OSError:
                pass
            # Before this session's first line: a torn line left by a kill would swallow it, and events
            # past the saved step would make the curve go back over steps the run is about to redo.
            tidy_live_log(self.out, resumed_step)

    # -- JSON lines -------------------------------------------------------------------------------
    def emit(self, event: str, **fields) -> None:
        if not self.json_lines:
            return
        line = json.dumps({"event": event, "time": round(time.time(), 3), **_finite(fields)})
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        try:
            with open(self.out / PROGRESS_FILE, "a", encoding="utf-8") as f:
                f.write(line + "\n")
        except OSError:
            pass          # a full disk: the line still went to stdout; checkpoints say the rest

    def note(self, text: str, fades: bool = False) -> None:
        """`fades`: news of the moment (the step compiling), which a watching window may stop showing
        after a while; other notes (about the data, a stop, a file not written) hold until the next."""
        if fades:
            self.emit("note", text=text, fades=True)
        else:
            self.emit("note", text=text)

    def step_done(self, *, loss_nats: float | None, images: int, seconds: float, fields) -> None:
        """Count one step; about once a second, a `progress` line with the figures of that second.
        `fields` is called only then (it reads the clocks and the budget)."""
        if not self.json_lines:
            return
        w = self._window
        w["images"] += images
        w["seconds"] += seconds
        if loss_nats is not None:
            w["nll"] += loss_nats * images
            w["counted"] = w.get("counted", 0) + images
        now = time.monotonic()
        if now - self._last_progress < PROGRESS_EVERY_S:
            return
        self._last_progress = now
        counted = w.get("counted", 0)
        self.emit("progress", **fields(), images_per_s=round(w["images"] / max(w["seconds"], 1e-9), 2),
                  train_bpd=round(w["nll"] / counted / math.log(2.0), 5) if counted else None)
        self._window = {"nll": 0.0, "images": 0, "seconds": 0.0}

    # -- control ----------------------------------------------------------------------------------
    def requested(self) -> str:
        """'pause', 'stop' or '' -- what the control file asks now (checked at most every CONTROL_POLL_S)."""
        if not self.active:
            return ""
        now = time.monotonic()
        if now - self._control_checked < CONTROL_POLL_S:
            return ""
        self._control_checked = now
        word = read_control(self.out)
        return word if word in ("pause", "stop") else ""

    def wait_while_paused(self, stop_signalled) -> tuple[float, bool]:
        """Sleep until the control file says resume or stop (or a signal comes).
        Returns (seconds paused, whether to stop)."""
        started = time.monotonic()
        self.emit("paused")
        heartbeat = started
        while True:
            time.sleep(CONTROL_POLL_S)
            word = read_control(self.out)
            if word == "stop" or stop_signalled():
                return time.monotonic() - started, True
            if word != "pause":
                paused = time.monotonic() - started
                self.emit("resumed", paused_s=round(paused, 1))
                return paused, False
            if time.monotonic() - heartbeat > PAUSED_HEARTBEAT_S:
                heartbeat = time.monotonic()
                self.emit("paused")

    # -- sample grids -----------------------------------------------------------------------------
    def grid_due(self, train_seconds: float, final: bool = False) -> bool:
        if self.sample_every is None:
            return False
        if final:
            return self._last_grid != train_seconds
        if self._last_grid is None:
            return True           # the first grid at the first step: the noise it all starts from
        return train_seconds - self._last_grid >= self.sample_every

    def write_grid(self, model, class_names, step: int, train_seconds: float, seed: int = 0) -> Path | None:
        """One image per class (or UNCONDITIONAL_GRID) from `model`, as a PNG; None when it could not be
        written (the run goes on: a grid is a view, not a result)."""
        import torch
        from ..core.export import make_grid, save_png
        from ..core.sampling import sample
        self._last_grid = train_seconds
        if class_names:
            n = min(len(class_names), MAX_GRID_CLASSES)
            class_ids = torch.arange(n)
        else:
            n, class_ids = UNCONDITIONAL_GRID, None
        started = time.monotonic()
        images = sample(model, n, class_ids=class_ids, seed=seed)
        # As square as the images allow: the grid shares the screen with the curves, beside them.
        columns = math.isqrt(n - 1) + 1 if n > 1 else 1
        path = self.out / SAMPLES_DIR / f"step-{step:07d}.png"
        try:
            save_png(path, make_grid(images, columns=columns, scale=GRID_SCALE, padding=2, background=GRID_GAP))
        except OSError as exc:
            self.note(f"could not write a sample grid ({exc.strerror or exc}); training goes on")
            return None
        self.emit("samples", path=str(path), step=step, columns=columns,
                  classes=list(class_names[:n]) if class_names else None,
                  seconds=round(time.monotonic() - started, 2))
        return path


def _finite(fields: dict) -> dict:
    """JSON has no NaN or infinity: they become null."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in fields.items()}
