"""One way to run work off the GUI thread: a BackgroundJob, and one registry of jobs still finishing.

A job is a QObject that lives in the GUI thread and runs its `run()` on a plain daemon thread.
Signals a subclass emits from `run()` reach GUI-thread receivers queued, exactly as from a
QThread, so the workers read the same. What differs is the end: a QThread that is still running
when Python lets go of it aborts the process ("QThread: Destroyed while thread is still running"),
and one blocked in a long C call (reading a large checkpoint) cannot be interrupted. A daemon
thread never holds the process: closing the window cancels every job, waits a moment, and leaves
any that is still inside such a call in the registry, where nothing it reports is delivered.

Cancellation is cooperative: `cancel()` sets a flag that `run()` looks at between steps
(`self.cancelled`); a subclass with its own wake-up (a condition, a queue) extends `cancel()`.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

from PySide6.QtCore import QObject, Signal

# Every job whose thread has started and not ended. Holding them here keeps each QObject alive
# for as long as its thread may still emit on it, whoever started it has moved on.
_running: set = set()
_running_lock = threading.Lock()


class BackgroundJob(QObject):
    """Subclass and override `run()`; `start()`, `cancel()`, `wait(ms)`, `isRunning()`.
    `finished` is emitted (queued, in the GUI thread) once the thread has ended."""

    finished = Signal()
    name = "background job"

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self.finished.connect(self._forget)      # queued: the job lives in the GUI thread

    def run(self) -> None:          # pragma: no cover - every job overrides it
        raise NotImplementedError

    # -- control (GUI thread) -------------------------------------------------------------------
    def start(self) -> None:
        """Run `run()` on a new thread; a job whose thread has ended may be started again."""
        if self.isRunning():
            raise RuntimeError(f"{self.name} is running already")
        self._cancel.clear()
        self._thread = threading.Thread(target=self._main, name=self.name, daemon=True)
        with _running_lock:
            _running.add(self)
        self._thread.start()

    def cancel(self) -> None:
        """Ask `run()` to end at its next look at `cancelled`."""
        self._cancel.set()
        self.wake()

    def wake(self) -> None:
        """Called on cancel: a job that sleeps on its own condition or event wakes it here."""

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def isRunning(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def isFinished(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    def wait(self, ms: int | None = None) -> bool:
        """Block until the thread has ended, at most `ms` milliseconds; True if it has."""
        if self._thread is None:
            return True
        self._thread.join(None if ms is None else max(0.0, ms / 1000.0))
        return not self._thread.is_alive()

    def shutdown(self, wait_ms: int = 1000) -> bool:
        """Cancel and wait a little; True if the thread has ended."""
        self.cancel()
        return self.wait(wait_ms)

    # -- the thread -----------------------------------------------------------------------------
    def _main(self) -> None:
        try:
            self.run()
        finally:
            try:
                self.finished.emit()
            except RuntimeError:     # the application is gone: nobody is left to tell
                pass

    def _forget(self) -> None:
        """In the GUI thread, once the thread has ended: only now may the registry let go. Were the
        last reference dropped on the job's own thread, the QObject would be destroyed there, away
        from the thread it lives in, with events for it perhaps still queued."""
        thread = self._thread
        if thread is not None:
            # It has emitted `finished` and is returning: a moment at most. Still alive after that,
            # it is a new run of a job started again (which keeps its place in the registry).
            thread.join(0.05)
            if thread.is_alive():
                return
        with _running_lock:
            _running.discard(self)


class FunctionJob(BackgroundJob):
    """A plain function as a job: `done(result)` or `failed(message)`, never both, neither once
    cancelled. The function gets the job, to look at `job.cancelled` or `job.report(...)`."""

    done = Signal(object)
    failed = Signal(str)
    progress = Signal(object)
    # From the thread to the GUI thread, where `cancelled` is looked at once more before the
    # public signals go out: a job cancelled while its result was on the way delivers nothing.
    _outcome = Signal(str, object)

    def __init__(self, work: Callable, name: str = "background job", parent=None):
        super().__init__(parent)
        self._work, self.name = work, name
        self._outcome.connect(self._deliver)

    def report(self, value) -> None:
        if not self.cancelled:
            self._outcome.emit("progress", value)

    def run(self) -> None:
        try:
            result = self._work(self)
        except Exception as exc:  # noqa: BLE001 - a job's failure is a message in the window
            self._outcome.emit("failed", str(exc) or type(exc).__name__)
        else:
            self._outcome.emit("done", result)

    def _deliver(self, kind: str, value) -> None:
        if not self.cancelled:
            getattr(self, kind).emit(value)


def running_jobs() -> list[BackgroundJob]:
    """Jobs whose thread is running (the registry may hold some a moment longer, until the GUI
    thread has seen them end)."""
    with _running_lock:
        return [job for job in _running if job.isRunning()]


def finishing_jobs() -> list[BackgroundJob]:
    """Jobs that were cancelled but whose thread has not ended yet."""
    return [job for job in running_jobs() if job.cancelled]


def cancel_all(timeout_s: float = 0.8) -> list[BackgroundJob]:
    """Cancel every running job and wait for them together, at most `timeout_s` in all;
    returns those still running (they stay registered and report nothing)."""
    jobs = running_jobs()
    for job in jobs:
        job.cancel()
    deadline = time.perf_counter() + timeout_s
    for job in jobs:
        job.wait(int(max(0.0, deadline - time.perf_counter()) * 1000))
    return [job for job in jobs if job.isRunning()]
