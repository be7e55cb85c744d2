"""What the Train tab knows about a run, free of Qt: the JSON lines of its folder folded into curves,
figures, the latest sample grid and a status.

The run folder alone tells the story (`progress.jsonl`, written by `pixelcnn-studio train
--progress-json`; `metrics.csv` for a run started without it), so a run reopened after the window
closed, or one started in a terminal, shows the same curves as one watched from the start.
"""
from __future__ import annotations

import csv
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ...run_control import METRICS_FILE, PROGRESS_FILE, SAMPLES_DIR

# A run that has said nothing for this long (no progress line, no paused heartbeat) has ended
# without its last word: killed, or the machine went down.
SILENT_AFTER_S = 90.0
NOTE_NEWS_S = 30.0               # a fading note (the step compiling, compiled) is shown this long
MAX_LINE_CHARS = 1_000_000        # a line longer than this is not one the train command wrote
HEAD_BYTES = 128                  # the log's first bytes, which tell one file from its replacement


@dataclass
class RunRecord:
    folder: Path
    train_curve: list[tuple[float, float]] = field(default_factory=list)   # (step, train bits/dim)
    test_curve: list[tuple[float, float]] = field(default_factory=list)    # (step, held-out bits/dim)
    start: dict = field(default_factory=dict)
    step: int = 0
    total_steps: int | None = None
    epoch: float = 0.0
    images_per_s: float | None = None
    time_left_s: float | None = None
    best_test_bpd: float | None = None
    whole_split_bpd: float | None = None      # the best weights on the whole held-out split, at the end
    whole_split_images: int | None = None
    grid: Path | None = None
    grid_step: int | None = None
    notes: list[str] = field(default_factory=list)
    note_fades_at: float | None = None   # when the last note stops being news (None: it holds)
    status: str = "new"        # new | starting | running | paused | scoring | finished | stopped | ended
    last_heard: float = 0.0    # wall-clock time of the last line
    launched: float = 0.0      # wall-clock time this tab started a child for the run (0: none)
    bad_lines: int = 0

    # -- folding lines in --------------------------------------------------------------------------
    def add_line(self, text: str) -> bool:
        """Fold one JSON line in; False (and counted) when it is not one of the run's lines."""
        text = text.strip()
        if not text:
            return False
        try:
            event = json.loads(text) if len(text) <= MAX_LINE_CHARS else None
        except ValueError:
            event = None
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            self.bad_lines += 1
            return False
        self.add_event(event)
        return True

    def add_event(self, e: dict) -> None:
        kind = e["event"]
        self.last_heard = _number(e.get("time"), self.last_heard)
        if kind == "start":
            self.start = e
            self.step = int(_number(e.get("step"), 0))
            self._back_to(self.step)
            self.total_steps = _int_or_none(e.get("total_steps"))
            self.status = "running"
        elif kind == "progress":
            self.step = int(_number(e.get("step"), self.step))
            self.total_steps = _int_or_none(e.get("total_steps")) or self.total_steps
            self.epoch = _number(e.get("epoch"), self.epoch)
            self.images_per_s = _number(e.get("images_per_s"), None)
            self.time_left_s = _number(e.get("time_left_s"), None)
            bpd = _number(e.get("train_bpd"), None)
            if bpd is not None:
                self.train_curve.append((self.step, bpd))
            self.status = "running"
        elif kind == "eval":
            bpd = _number(e.get("test_bpd"), None)
            if bpd is not None:
                self.test_curve.append((_number(e.get("step"), self.step), bpd))
            self.best_test_bpd = _number(e.get("best_test_bpd"), self.best_test_bpd)
        elif kind == "samples" and isinstance(e.get("path"), str):
            self.grid = self._local(e["path"])
            self.grid_step = _int_or_none(e.get("step"))
        elif kind == "note" and isinstance(e.get("text"), str):
            self.notes.append(e["text"])
            self.note_fades_at = self.last_heard + NOTE_NEWS_S if e.get("fades") is True else None
        elif kind == "scoring":
            self.status = "scoring"
            self.time_left_s = None
        elif kind == "paused":
            self.status = "paused"
        elif kind == "resumed":
            self.status = "running"
        elif kind == "end":
            self.step = int(_number(e.get("step"), self.step))
            self.best_test_bpd = _number(e.get("best_test_bpd"), self.best_test_bpd)
            self.whole_split_bpd = _number(e.get("test_bpd_full"), None)
            self.whole_split_images = _int_or_none(e.get("test_images_full"))
            # A run that used its whole time budget has finished as asked; only a stop is a stop.
            self.status = "finished" if e.get("stopped") in ("finished", "time budget") else "stopped"
            self.time_left_s = None

    def _back_to(self, step: int) -> None:
        """A session starts from a saved step: points past it came from weights it never had (a run killed
        after its last save, logged by a version that did not trim the log), and it draws them again."""
        if self.train_curve and self.train_curve[-1][0] > step:
            self.train_curve = [p for p in self.train_curve if p[0] <= step]
        if self.test_curve and self.test_curve[-1][0] > step:
            self.test_curve = [p for p in self.test_curve if p[0] <= step]
            self.best_test_bpd = min((bpd for _, bpd in self.test_curve), default=None)

    def _local(self, path: str) -> Path:
        """A grid's path; when the folder was moved since, the same file inside it."""
        found = Path(path)
        if found.is_file():
            return found
        return self.folder / SAMPLES_DIR / found.name

    # -- questions ---------------------------------------------------------------------------------
    def current_note(self) -> str:
        """The last note while it is still news: a fading one for NOTE_NEWS_S of the run's own clock
        (its lines' times), so a run minutes on no longer says that its step was compiled."""
        if not self.notes or (self.note_fades_at is not None and self.last_heard > self.note_fades_at):
            return ""
        return self.notes[-1]

    def alive(self, now: float | None = None) -> bool:
        """Running or paused, and heard from lately."""
        now = time.time() if now is None else now
        # Scoring the whole held-out split says nothing for a while: allowed a longer silence.
        silence = SILENT_AFTER_S * (10 if self.status == "scoring" else 1)
        return self.status in ("running", "paused", "scoring") and now - self.last_heard < silence

    @property
    def class_names(self) -> list[str] | None:
        names = self.start.get("class_names")
        return [str(n) for n in names] if isinstance(names, list) else None

    def best_checkpoint(self) -> Path | None:
        path = self.folder / "best.pt"
        return path if path.is_file() else None

    def resumable(self) -> bool:
        return (self.folder / "last.pt").is_file()


class ProgressTail:
    """Reads a run folder's progress.jsonl from where it last stopped; only whole lines are folded.
    A log replaced meanwhile (trimmed by a resumed run, or begun afresh) is read again from its start."""

    def __init__(self, record: RunRecord):
        self.record = record
        self.offset = 0
        self._partial = b""
        self._file_id: tuple[int, int] | None = None
        self._head = b""
        self.behind = False          # the last poll stopped at max_bytes: more is there to read
        self._reading_again = False

    def poll(self, max_bytes: int = 4 << 20) -> int:
        """Fold in what was appended since the last call (at most `max_bytes`, -1: all); returns lines read."""
        path = self.record.folder / PROGRESS_FILE
        try:
            with open(path, "rb") as f:
                stat = os.fstat(f.fileno())
                file_id = (stat.st_dev, stat.st_ino)
                # A new file may reuse the old one's inode: its first bytes (a line with its time) tell.
                head = f.read(HEAD_BYTES)
                again = self._file_id is not None and (file_id != self._file_id or stat.st_size < self.offset
                                                       or not head.startswith(self._head))
                if again:
                    self._forget()
                    self._reading_again = True
                self._file_id, self._head = file_id, head
                f.seek(self.offset)
                chunk = f.read(max_bytes)
        except OSError:
            self.behind = False
            return 0
        self.offset += len(chunk)
        self.behind = 0 < max_bytes <= len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()       # a line still being written
        if len(self._partial) > MAX_LINE_CHARS:
            self._partial = b""
        count = 0
        for line in lines:
            count += self.record.add_line(line.decode("utf-8", errors="replace"))
        if self._reading_again and not self.behind:
            self._reading_again = False
            settle_status(self.record)
        return count

    def _forget(self) -> None:
        """What the old file said goes (the record stays the same object: the tab holds it)."""
        record = self.record
        record.__dict__.update(RunRecord(record.folder, launched=record.launched).__dict__)
        self.offset, self._partial = 0, b""


def settle_status(record: RunRecord) -> None:
    """The status of a log read whole: a child this tab launched that has not said its `start` yet is
    starting, whatever the sessions before it said; a run silent for long has ended."""
    if record.launched and _number(record.start.get("time"), 0.0) < record.launched:
        record.status = "starting"
    elif record.status in ("running", "paused", "scoring") and not record.alive():
        record.status = "ended"


def open_run(folder) -> tuple[RunRecord, ProgressTail]:
    """A run folder read as it is now (progress.jsonl, else metrics.csv), with a tail to follow it."""
    record = RunRecord(Path(folder))
    tail = ProgressTail(record)
    tail.poll(max_bytes=-1)
    if record.status == "new":
        _fold_metrics(record)
        if record.test_curve or record.resumable():
            record.status = "stopped"
    else:
        settle_status(record)
    if record.grid is None:
        grids = sorted((record.folder / SAMPLES_DIR).glob("step-*.png"))
        record.grid = grids[-1] if grids else None
    return record, tail


def _fold_metrics(record: RunRecord) -> None:
    """Curves of a run started without --progress-json: one row per held-out evaluation."""
    try:
        with open(record.folder / METRICS_FILE, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (OSError, csv.Error, UnicodeDecodeError):
        return
    for row in rows:
        step, train, test = (_number(_float(row.get(k)), None) for k in ("step", "train_bpd", "test_bpd"))
        if step is None:
            continue
        if train is not None:
            record.train_curve.append((step, train))
        if test is not None:
            record.test_curve.append((step, test))
            record.best_test_bpd = test if record.best_test_bpd is None else min(record.best_test_bpd, test)
        record.step = int(step)


def _float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _number(value, default):
    """A finite number from a line, else `default` (lines are read, never trusted)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return float(value) if value == value and abs(value) != float("inf") else default


def _int_or_none(value):
    number = _number(value, None)
    return None if number is None else int(number)
