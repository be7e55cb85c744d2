"""One sampling run at a time: owns the worker thread and the latest frame it delivered."""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from .worker import Frame, SamplingWorker

# How long ending a run may hold the GUI thread: one sub-pixel of even a large model is far less.
END_WAIT_MS = 500


class SamplingSession(QObject):
    frame_changed = Signal(object)     # Frame
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.worker: SamplingWorker | None = None
        self.frame: Frame | None = None
        self.run_id = 0
        self.plan = None
        self.speed: float | None = None
        # One reusable timer: QTimer.singleShot with a Python callable, 60 times a second,
        # has corrupted reference counts in some PySide6 releases.
        self._shown_timer = QTimer(self)
        self._shown_timer.setSingleShot(True)
        self._shown_timer.timeout.connect(self._frame_shown)

    @property
    def state(self) -> str:
        """idle (no run), starting, running, paused, stopped or done."""
        if self.worker is None:
            return "idle"
        return self.frame.state if self.frame is not None else "starting"

    @property
    def active(self) -> bool:
        return self.state in ("starting", "running", "paused")

    def start(self, model, plan, *, paused: bool = False) -> None:
        """A new run of `plan` (a core.plan.RunPlan); the previous run ends first."""
        self.shutdown()
        self.run_id += 1
        self.plan = plan
        worker = SamplingWorker(self.run_id, model, plan.n, speed=self.speed, paused=paused,
                                **plan.sampler_arguments())
        worker.frame_ready.connect(lambda w=worker: self._take(w))
        worker.failed.connect(self.failed)
        self.worker, self.frame = worker, None
        worker.start()

    def _take(self, worker: SamplingWorker) -> None:
        if worker is not self.worker:
            return
        frame = worker.take_frame()
        if frame is not None:
            self.frame = frame
            self.frame_changed.emit(frame)
        # After the repaints this frame asked for (posted events run before a zero timer).
        self._shown_timer.start(0)

    def _frame_shown(self) -> None:
        if self.worker is not None:
            self.worker.frame_shown()

    # -- commands -------------------------------------------------------------------------------
    def pause(self) -> None:
        if self.worker is not None:
            self.worker.pause()

    def resume(self) -> None:
        if self.worker is not None:
            self.worker.resume()

    def step(self) -> None:
        if self.worker is not None:
            self.worker.step_once()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()

    def run_until(self, step: int) -> None:
        if self.worker is not None:
            self.worker.run_until(step)

    def fork(self, index: int, *, seed: int | None = None, temperature: float | None = None,
             resume: bool = True) -> None:
        if self.worker is not None:
            self.worker.fork(index, seed=seed, temperature=temperature, resume=resume)

    def set_speed(self, speed: float | None) -> None:
        self.speed = speed
        if self.worker is not None:
            self.worker.set_speed(speed)

    def set_temperature(self, temperature: float) -> None:
        """Applies from the next sub-pixel on: a fork at the current step with the new temperature."""
        if self.worker is not None and self.frame is not None and self.frame.state != "done":
            self.fork(self.frame.done_steps, temperature=temperature, resume=False)

    def shutdown(self) -> None:
        """End the current run's thread (between two steps) and forget the run."""
        worker, self.worker, self.frame = self.worker, None, None
        if worker is None:
            return
        try:
            worker.frame_ready.disconnect()
            worker.failed.disconnect()
        except (RuntimeError, TypeError):
            pass
        # A worker that has not ended in time stays in the job registry and ends on its own.
        worker.shutdown(wait_ms=END_WAIT_MS)
