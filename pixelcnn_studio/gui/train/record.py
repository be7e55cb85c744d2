"""What the Train tab knows about a run, free of Qt: the JSON lines of its folder folded into curves,
figures, the latest sample grid and a status.

The run folder alone tells the story (`progress.jsonl`, written by `pixelcnn-studio train
--progress-json`; `metrics.csv` for a run started without it), so a run reopened after the window
closed, or one started in a terminal, shows the same curves as one watched from the start.
"""
from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from ...run_control import METRICS_FILE, PROGRESS_FILE, SAMPLES_DIR

# A run that has said nothing for this long (no progress line, no paused heartbeat) has ended
# without its last word: killed, or the machine went down.
SILENT_AFTER_S = 90.0
MAX_LINE_CHARS = 1_000_000        # a line longer than this is not one the train command wrote


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
    grid: Path | None = None
    grid_step: int | None = None
    notes: list[str] = field(default_factory=list)
    status: str = "new"        # new | starting | running | paused | scoring | finished | stopped | ended
    last_heard: float = 0.0    # wall-clock time of the last line
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
            self.step = int(_number(e.get("step"), self.step))
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
            self.status = "finished" if e.get("stopped") == "finished" else "stopped"
            self.time_left_s = None

    def _local(self, path: str) -> Path:
        """A grid's path; when the folder was moved since, the same file inside it."""
        found = Path(path)
        if found.is_file():
            return found
        return self.folder / SAMPLES_DIR / found.name

    # -- questions ---------------------------------------------------------------------------------
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
    """Reads a run folder's progress.jsonl from where it last stopped; only whole lines are folded."""

    def __init__(self, record: RunRecord):
        self.record = record
        self.offset = 0
        self._partial = b""

    def poll(self, max_bytes: int = 4 << 20) -> int:
        """Fold in what was appended since the last call (at most `max_bytes`, -1: all); returns lines read."""
        path = self.record.folder / PROGRESS_FILE
        try:
            with open(path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read(max_bytes)
        except OSError:
            return 0
        self.offset += len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()       # a line still being written
        if len(self._partial) > MAX_LINE_CHARS:
            self._partial = b""
        count = 0
        for line in lines:
            count += self.record.add_line(line.decode("utf-8", errors="replace"))
        return count


def open_run(folder) -> tuple[RunRecord, ProgressTail]:
    """A run folder read as it is now (progress.jsonl, else metrics.csv), with a tail to follow it."""
    record = RunRecord(Path(folder))
    tail = ProgressTail(record)
    tail.poll(max_bytes=-1)
    if record.status == "new":
        _fold_metrics(record)
        if record.test_curve or record.resumable():
            record.status = "stopped"
    elif record.status in ("running", "paused", "scoring") and not record.alive():
        record.status = "ended"
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
