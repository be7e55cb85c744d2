"""A training run as the Train tab holds it: the `pixelcnn-studio train` command in a child process
(QProcess), its folder followed by a timer, and the control file that steers it.

The child's stdout is not read (its JSON lines also go to the folder, where a reopened tab finds
them); its stderr goes to `train.log` in the folder, where the one-line error of a bad request is
found when it exits. Nothing here blocks the event loop: the folder is read in small increments.

Closing the window stops the run resumably: the child is asked to stop (it saves `last.pt` after
its current step) and given STOP_WAIT_MS to do so; `--resume` continues it, from the tab too.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from ...run_control import LOG_FILE, write_control
from .plan import program
from .record import RunRecord, open_run
from .timing import timed

POLL_MS = 500
# The log is read in pieces this large, one per turn of the event loop, so that a long one (read
# again after the run trimmed it on resume) never holds the window; the tab is told at most every
# CATCH_UP_REDRAW_S meanwhile, and once it has caught up.
CHUNK_BYTES = 32 << 10
CATCH_UP_REDRAW_S = 0.25
STOP_WAIT_MS = 20000
ERROR_PREFIX = "pixelcnn-studio: error: "
# The child runs this many steps nicer than the window. Training takes every core it is given; the
# window needs a few milliseconds at a time, and on a busy machine the pauses over 20 ms were the GUI
# thread waiting for a CPU behind the training threads (docs/benchmarks.md). A nicer child yields the
# CPU to the window as soon as it wakes and loses nothing while the window is idle.
CHILD_NICENESS = 10


class TrainRun(QObject):
    """One run folder, followed; with a child process when this tab started (or resumed) the run."""

    changed = Signal()           # the record has new lines
    ended = Signal(int, str)     # exit code, the error line ('' for none); only for a child of ours

    def __init__(self, folder, parent=None):
        super().__init__(parent)
        self.folder = Path(folder)
        self.record, self._tail = open_run(self.folder)
        self.process: QProcess | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        self._timer.start()
        self._catch_up = QTimer(self)
        self._catch_up.setSingleShot(True)
        self._catch_up.setInterval(0)
        self._catch_up.timeout.connect(self.poll)
        self._unshown = 0
        self._told = 0.0

    # -- the child ---------------------------------------------------------------------------------
    def start(self, arguments: list[str]) -> None:
        """Run the train command with `arguments` (see plan.py), its folder being this run's."""
        self.folder.mkdir(parents=True, exist_ok=True)
        exe, prefix = program()
        process = QProcess(self)
        process.setProgram(exe)
        process.setArguments([*prefix, *arguments])
        process.setWorkingDirectory(str(self.folder))
        process.setStandardOutputFile(QProcess.nullDevice())
        process.setStandardErrorFile(str(self.folder / LOG_FILE), QProcess.OpenModeFlag.Append)
        env = QProcessEnvironment.systemEnvironment()
        # The child imports the same package as the app, wherever it was imported from.
        package_root = str(Path(__file__).resolve().parents[3])
        env.insert("PYTHONPATH", os.pathsep.join(p for p in (package_root, env.value("PYTHONPATH")) if p))
        env.insert("PYTHONUNBUFFERED", "1")
        process.setProcessEnvironment(env)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._failed_to_start)
        self.process = process
        self.record.status = "starting"
        self.record.launched = time.time()
        process.start()
        lower_priority(process.processId())

    def running(self) -> bool:
        return self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning

    def steerable(self) -> bool:
        """Our child, or a run another process is training (reopened, or started in a terminal)."""
        return self.running() or self.record.alive()

    def control(self, word: str) -> None:
        try:
            write_control(self.folder, word)
        except OSError:
            pass        # a folder gone or read-only: the run cannot be steered; the status says so

    def poll(self) -> None:
        with timed("read lines"):
            self._unshown += self._tail.poll(CHUNK_BYTES)
        behind = self._tail.behind
        if behind:
            self._catch_up.start()
        now = time.monotonic()
        if self._unshown and (not behind or now - self._told >= CATCH_UP_REDRAW_S):
            self._unshown, self._told = 0, now
            self.changed.emit()

    def _finished(self, code: int, _status) -> None:
        self.poll()
        # 130: stopped on request (resumable), not an error.
        self.ended.emit(code, self.error_line() if code not in (0, 130) else "")

    def _failed_to_start(self, error) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.ended.emit(-1, f"the train command could not be started ({self.process.errorString()})")

    def error_line(self) -> str:
        """The command's one-line error, from the end of train.log ('' when there is none)."""
        try:
            with open(self.folder / LOG_FILE, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 8192))
                tail = f.read().decode("utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        for line in reversed(tail):
            if line.startswith(ERROR_PREFIX):
                return line[len(ERROR_PREFIX):]
        return tail[-1].strip() if tail else ""

    # -- the end -----------------------------------------------------------------------------------
    def shutdown(self, wait_ms: int = STOP_WAIT_MS) -> None:
        """Stop following; a child of ours is asked to stop resumably and given `wait_ms` to save."""
        self._timer.stop()
        self._catch_up.stop()
        if not self.running():
            return
        self.control("stop")
        if not self.process.waitForFinished(wait_ms):
            # Still inside a long evaluation: last.pt from its previous save is what resumes.
            self.process.kill()
            self.process.waitForFinished(2000)


def lower_priority(pid: int) -> None:
    """Make the process `pid` CHILD_NICENESS steps nicer than this one (Unix; elsewhere it keeps the
    window's priority). Called right after the fork: threads the child starts later inherit it."""
    if not pid or not hasattr(os, "setpriority"):
        return
    try:
        os.setpriority(os.PRIO_PROCESS, pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + CHILD_NICENESS))
    except OSError:
        pass                # already gone (it failed to start), or not ours to change


def describe(record: RunRecord, short: bool = False) -> str:
    """One line of figures for the strip: step, speed, time left, best held-out bits/dim (the epoch is in
    the tooltip: the line must fit a projector in large type). Short (beside the buttons, folded): no speed."""
    from .plan import format_seconds
    parts = [f"step {record.step:,}"]
    if record.images_per_s is not None and record.status == "running" and not short:
        parts.append(f"{record.images_per_s:,.0f} images/s")
    if record.time_left_s is not None and record.status in ("running", "paused"):
        parts.append(f"{format_seconds(record.time_left_s)} left")
    if record.whole_split_bpd is not None:
        # The figure a run is judged by: the curve's points are a few hundred held-out images.
        images = f" on all {record.whole_split_images:,} held-out" if record.whole_split_images and not short else ""
        parts.append(f"best {record.whole_split_bpd:.3f} bits/dim{images}")
    elif record.best_test_bpd is not None:
        parts.append(f"best {record.best_test_bpd:.3f} bits/dim")
    return "  ·  ".join(parts)
