"""Background threads: the sampling run and checkpoint loading.

The sampler is a plain iterator (core.SampleStream); this thread pulls steps from it and
hands the GUI at most ~60 frames a second through a one-slot mailbox: a newer frame replaces
one the GUI has not taken yet, so a busy GUI never falls behind a fast sampler. Commands from
the GUI (pause, step, fork, speed...) are flags under one lock, looked at between steps.

After posting a frame the sampler waits (without the GIL) until the GUI says it has shown it.
Without that pause the sampler, which takes the GIL back between every tiny torch call, wins
nearly every hand-over, and a GUI thread whose every Qt call releases the GIL waits for it each
time: the window would freeze for most of a fast run on a busy two-core machine.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Signal

from .jobs import BackgroundJob, FunctionJob

FRAME_INTERVAL = 1.0 / 60.0
# At full speed fewer, fuller frames: each frame waits for the GUI to draw it (see above), and on a
# busy two-core machine that wait (10-25 ms) at 60 frames a second took more time than the sampling
# (docs/benchmarks.md: 60, 30 and 12 frames a second measured; 20 is still smooth to the eye).
MAX_SPEED_FRAME_INTERVAL = 1.0 / 20.0
# ...and no more of them than keeps the drawing of frames to a small share of a full-speed run: each
# frame's hand-over (the GUI drawing it while the sampler waits) is timed, and the sampler then samples
# for at least this many times as long before the next. A desktop that draws a frame in 2-3 ms keeps
# 20 frames a second; one that needs 15 ms for a frame with new readouts waits 180 ms after it.
SAMPLING_TIME_PER_DRAWING_TIME = 12.0
# The distributions of every step are kept (float16) for hovering and scrubbing, up to this size.
HISTORY_BYTES = 96 * 2**20
# How long the sampler waits for the GUI to finish showing a frame before it goes on regardless.
ACK_TIMEOUT = 0.1


@dataclass
class Frame:
    """A snapshot of a run, safe to keep: every array is a copy."""
    run_id: int
    state: str                  # "running", "paused", "stopped" or "done"
    done_steps: int             # sub-pixels sampled so far (the next step's index)
    start: int                  # first step of the run (after any prefix)
    total: int                  # steps in a complete image
    image: np.ndarray           # (n, C, H, W) uint8
    log_probs: np.ndarray       # (done_steps, n) float32: log p (nats) the model gave each sampled value
    bits_per_dim: np.ndarray    # (n,) running bits per sampled sub-pixel
    rate: float                 # sub-pixels per second, recently
    seed: int
    temperature: float
    # The latest step, when the frame follows one: position, values (n,) and distribution (n, levels).
    step_index: int = -1
    step_position: tuple = (0, 0, 0)
    step_values: np.ndarray | None = None
    step_probs: np.ndarray | None = None


class SamplingWorker(BackgroundJob):
    frame_ready = Signal()       # take it with take_frame(); a signal per posted frame, not per step
    failed = Signal(str)

    def __init__(self, run_id: int, model, n: int, *, speed: float | None = None, paused: bool = False,
                 parent=None, **stream_args):
        """`stream_args` are core.sampling.SampleStream's (class_ids, embedding, seed, temperature, ...)."""
        super().__init__(parent)
        self.name = f"sampling run {run_id}"
        self.run_id = run_id
        seed, temperature = stream_args.setdefault("seed", 0), stream_args.setdefault("temperature", 1.0)
        self._stream_args = dict(model=model, n=n, **stream_args)
        self._cond = threading.Condition()
        self._paused, self._stopped, self._shutdown = paused, False, False
        self._step_requests = 0
        self._stop_at: int | None = None
        self._fork = None
        self._speed = speed
        self._mail_lock = threading.Lock()
        self._mail: Frame | None = None
        self._posted_state = None
        self._rate_window: deque = deque()
        self._seed = seed
        self._temperature = temperature
        self._shown = threading.Event()
        self._last_step = None
        self._history: np.ndarray | None = None     # (total, n, levels) float16: p of every step

    # -- commands (any thread) --------------------------------------------------------------
    def _command(self, **changes) -> None:
        with self._cond:
            for key, value in changes.items():
                setattr(self, key, value)
            self._cond.notify_all()

    def pause(self) -> None:
        self._command(_paused=True)

    def resume(self) -> None:
        self._command(_paused=False, _stopped=False, _due=time.perf_counter())

    def step_once(self) -> None:
        with self._cond:
            self._paused = True
            self._step_requests += 1
            self._cond.notify_all()

    def stop(self) -> None:
        self._command(_stopped=True, _step_requests=0)

    def run_until(self, step: int) -> None:
        """Sample at full speed, showing nothing, until `step` sub-pixels are done; then pause there."""
        self._command(_paused=False, _stop_at=int(step), _due=time.perf_counter())

    def set_speed(self, steps_per_second: float | None) -> None:
        self._command(_speed=steps_per_second, _due=time.perf_counter())

    def fork(self, index: int, *, seed: int | None = None, temperature: float | None = None,
             resume: bool = True) -> None:
        """Rewind to before step `index` and go on from there (with a new seed or temperature)."""
        self._command(_fork=(index, seed, temperature, resume))

    def wake(self) -> None:
        """Cancelled: end after the current step."""
        self._command(_shutdown=True)
        self._shown.set()

    def frame_shown(self) -> None:
        """The GUI has drawn the last frame: sampling may take the GIL again."""
        self._shown.set()

    def probs_at(self, index: int) -> np.ndarray | None:
        """p over the levels of every sample at step `index` (n, levels), as it was drawn; None if
        not kept. Rows are written once per step, so reading one while sampling goes on is safe."""
        history = self._history
        if history is None or not 0 <= index < history.shape[0]:
            return None
        return history[index].astype(np.float32)

    def take_frame(self) -> Frame | None:
        with self._mail_lock:
            frame, self._mail = self._mail, None
        return frame

    # -- the thread -----------------------------------------------------------------------------
    def run(self) -> None:
        from ...core.sampling import SampleStream
        try:
            args = dict(self._stream_args)
            stream = SampleStream(args.pop("model"), args.pop("n"), **args)
        except Exception as exc:  # noqa: BLE001 - reported in the window, never a crash
            self.failed.emit(str(exc))
            return
        self._due = time.perf_counter()
        last_post = hand_over = 0.0
        size = stream.total * stream.n * stream.levels * 2
        self._history = np.zeros((stream.total, stream.n, stream.levels), np.float16) \
            if size <= HISTORY_BYTES else None
        while True:
            with self._cond:
                action, arg = self._decide(stream)
                if action == "wait":
                    self._cond.wait(arg)
                    continue
            if action == "exit":
                return
            if action == "fork":
                self._do_fork(stream, *arg)
                self._post(stream, None)
                continue
            if action == "post":
                self._post(stream, None)
                continue
            step = stream.step()
            # Every step, not only the posted ones: a frame that follows a pause must show the
            # step the counter is at, not the last one that happened to be drawn.
            self._last_step = step
            if self._history is not None:
                self._history[step.index] = step.probs.numpy()
            now = time.perf_counter()
            self._rate_window.append((now, step.index))
            if self._speed:
                interval = 1.0 / self._speed
                self._due = max(self._due + interval, now - interval)
            if action == "quiet":
                continue
            if self._speed:
                interval = FRAME_INTERVAL
            else:
                interval = max(MAX_SPEED_FRAME_INTERVAL, hand_over * SAMPLING_TIME_PER_DRAWING_TIME)
            if action == "single" or now - last_post >= interval or stream.next_index >= stream.total:
                self._post(stream, step)
                # Counted from when the GUI has shown the frame, so each frame is followed by a
                # full interval of sampling however long the GUI took.
                last_post = time.perf_counter()
                hand_over = last_post - now

    def _state(self, stream) -> str:
        if stream.next_index >= stream.total:
            return "done"
        if self._stopped:
            return "stopped"
        return "paused" if self._paused else "running"

    def _decide(self, stream):
        """What to do next, under the lock: exit, fork, post, single, step, or wait (with a timeout)."""
        if self._shutdown:
            return "exit", None
        if self._fork is not None:
            fork, self._fork = self._fork, None
            return "fork", fork
        state = self._state(stream)
        if state == "done" or state == "stopped":
            self._step_requests = 0
        if self._step_requests > 0:
            self._step_requests -= 1
            return "single", None
        if self._stop_at is not None:
            if stream.next_index >= self._stop_at or state != "running":
                self._stop_at, self._paused = None, True
                return "post", None
            return "quiet", None
        if state != self._posted_state:
            return "post", None
        if state != "running":
            return "wait", None
        if self._speed:
            delay = self._due - time.perf_counter()
            if delay > 0.0005:
                return "wait", delay
        return "step", None

    def _do_fork(self, stream, index, seed, temperature, resume) -> None:
        index = max(stream.start, min(int(index), stream.next_index))
        try:
            stream.fork(index, seed=seed, temperature=temperature)
        except ValueError as exc:
            self.failed.emit(str(exc))
            return
        self._last_step = None          # its step is undone
        if seed is not None:
            self._seed = seed
        if temperature is not None:
            self._temperature = temperature
        self._rate_window.clear()
        with self._cond:
            self._stopped = False
            self._paused = self._paused and not resume
            self._due = time.perf_counter()

    def _rate(self) -> float:
        window = self._rate_window
        now = time.perf_counter()
        while window and now - window[0][0] > 1.0:
            window.popleft()
        if len(window) < 2:
            return float(len(window))
        span = window[-1][0] - window[0][0]
        return (len(window) - 1) / span if span > 0 else 0.0

    def _post(self, stream, step) -> None:
        with self._cond:
            state = self._state(stream)
            self._posted_state = state
        done = stream.next_index
        frame = Frame(run_id=self.run_id, state=state, done_steps=done, start=stream.start, total=stream.total,
                      image=stream.image.cpu().numpy().copy(),
                      log_probs=stream.log_probs[:done].numpy().astype(np.float32),
                      bits_per_dim=stream.bits_per_dim().numpy().astype(np.float32),
                      rate=self._rate() if state == "running" else 0.0,
                      seed=self._seed, temperature=self._temperature)
        # A frame that only reports a new state (paused, stopped) still shows the latest step.
        step = step if step is not None else self._last_step
        self._last_step = step
        if step is not None:
            frame.step_index = step.index
            frame.step_position = (step.row, step.col, step.channel)
            frame.step_values = step.values.numpy().copy()
            frame.step_probs = step.probs.numpy().copy()
        with self._mail_lock:
            self._mail = frame
        self._shown.clear()
        self.frame_ready.emit()
        self._shown.wait(ACK_TIMEOUT)


def load_job(path: str) -> FunctionJob:
    """Loads one checkpoint off the GUI thread: `done(loaded)` or `failed(one-line reason)`.
    Cancelling it drops the result; the file is read to the end (a C call cannot be interrupted)."""
    path = str(path)

    def load(job):
        from ...core.checkpoint import CheckpointError, load_checkpoint
        try:
            return load_checkpoint(path)
        except CheckpointError:
            raise
        except Exception as exc:  # noqa: BLE001 - any unreadable file is a message, not a crash
            raise RuntimeError(f"{path}: {type(exc).__name__}: {exc}") from exc

    job = FunctionJob(load, name=f"loading {path}")
    job.path = path
    return job


class CardReader(BackgroundJob):
    """Reads the headers of the listed checkpoints for the model list, off the GUI thread."""
    card_ready = Signal(str, str)       # path, one-line summary
    name = "reading model cards"

    def __init__(self, paths: list[str], parent=None):
        super().__init__(parent)
        self.paths = list(paths)

    def run(self) -> None:
        from ...core.card import summary_line
        from ...core.checkpoint import inspect_checkpoint
        for path in self.paths:
            if self.cancelled:
                return
            # Only the file's structure is read (no weights); a file that no longer loads is marked
            # with the reason instead, and nothing in a file can end this thread.
            try:
                skeleton = inspect_checkpoint(path)
                text = summary_line(skeleton.config, skeleton.payload)
            except Exception as exc:  # noqa: BLE001 - every failure is a reason shown under the entry
                text = unusable_line(exc)
            if not self.cancelled:
                self.card_ready.emit(path, text)


UNUSABLE_MARK = "⚠"


def unusable_line(exc: Exception) -> str:
    """The second line of a listed model that cannot be opened, e.g. "⚠ cannot be opened: no such file"."""
    from ...core.safe_text import shown
    reason = getattr(exc, "problem", None) or f"{type(exc).__name__}: {exc}"
    return f"{UNUSABLE_MARK} cannot be opened: {shown(reason, 70)}"
