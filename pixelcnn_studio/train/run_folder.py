"""A run's folder: a finished run is never overwritten, and what a killed run left is tidied.

`train --out DIR` into a folder that holds a run needs `--resume` (continue it) or `--overwrite`
(start again there). After a `kill -9`, the next start removes the half-written temporary
checkpoints beside last.pt/best.pt and drops what was logged after the saved position, which the
resumed run is about to log again: metrics rows, live-log events (and the torn line the kill left)
and sample grids. A run that starts afresh starts its live log afresh.
"""
from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from pathlib import Path

from ..errors import UserError
from ..run_control import PROGRESS_FILE, SAMPLES_DIR

RUN_FILES = ("last.pt", "best.pt", "metrics.csv")


class TrainingDiverged(UserError):
    """The loss or the held-out score stopped being a number; the run stops without saving over
    the last good checkpoints."""

    def __init__(self, out, step: int, what: str):
        kept = [name for name in ("last.pt", "best.pt") if (Path(out) / name).is_file()]
        saved = (f"{' and '.join(kept)} in {out} keep the last good weights" if kept else
                 "nothing was saved (no evaluation had passed)")
        super().__init__(f"training diverged at step {step}: {what}; stopped, {saved}; "
                         "lower --lr, raise --warmup-steps or set --grad-clip")


def existing_run_files(out) -> list[str]:
    out = Path(out)
    return [name for name in RUN_FILES if os.path.lexists(out / name)]


def check_fresh_out(out, overwrite: bool) -> None:
    """Refuse to start a new run over a folder that holds one, unless told to overwrite it (then its
    files go first, so nothing of the old run is mistaken for the new one's)."""
    from ..core.safe_text import shown
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {shown(out, 120)} is a file, not a folder")
    found = existing_run_files(out)
    if not found:
        return
    if not overwrite:
        raise UserError(f"{shown(out, 120)} already holds a run ({', '.join(found)}): continue it with --resume, "
                        "start again there with --overwrite, or give another --out folder")
    if os.environ.get("RANK", "0") == "0":        # under torchrun, one process clears the folder
        for name in found:
            Path(out / name).unlink(missing_ok=True)


def tidy_after_kill(out, resumed_step: int | None) -> None:
    """What a run killed mid-write left: temporary files, and metrics rows past the saved position."""
    remove_stale_temporaries(out)
    if resumed_step is not None:
        trim_metrics(Path(out) / "metrics.csv", resumed_step)


def remove_stale_temporaries(out) -> list[str]:
    """The `.last.*.pt` / `.best.*.pt` (and trimmed logs') files an atomic save leaves when the process is
    killed mid-write."""
    removed = []
    for stem in ("last", "best", "metrics", "progress"):
        for path in Path(out).glob(f".{stem}.*"):
            if path.is_file() and not path.is_symlink():
                try:
                    path.unlink()
                    removed.append(path.name)
                except OSError:
                    pass
    return removed


def trim_metrics(path, last_step: int) -> int:
    """Drop the rows logged after `last_step` (the saved position a resumed run continues from);
    the file is replaced atomically. Returns how many rows went."""
    path = Path(path)
    if not path.is_file():
        return 0
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return 0
    header, body = rows[0], rows[1:]
    try:
        step_column = header.index("step")
    except ValueError:
        return 0

    def step_of(row):
        try:
            return float(row[step_column])
        except (IndexError, ValueError):
            return float("inf")          # a row cut short by the kill
    kept = [row for row in body if step_of(row) <= last_step]
    if len(kept) == len(body):
        return 0
    fd, tmp = tempfile.mkstemp(prefix=".metrics.", suffix=".csv", dir=path.parent)
    with os.fdopen(fd, "w", newline="") as f:
        csv.writer(f).writerows([header, *kept])
    os.replace(tmp, path)
    return len(body) - len(kept)


def tidy_live_log(out, resumed_step: int | None) -> int:
    """The live log (progress.jsonl) and sample grids as a session starting now needs them: trimmed to
    the saved step a resumed run continues from, so that its curve never repeats a step; gone for a
    run that starts afresh, whose story is its own. Returns how many lines went."""
    out = Path(out)
    path = out / PROGRESS_FILE
    if resumed_step is None:
        gone = _line_count(path)
        path.unlink(missing_ok=True)
    else:
        gone = trim_progress(path, resumed_step)
    drop_grids_after(out, resumed_step if resumed_step is not None else -1)
    return gone


def trim_progress(path, last_step: int) -> int:
    """Drop the live-log events past `last_step`, and any line that is not a whole event (the torn last
    line of a killed run); replaced atomically. An event without a step of its own (a note, a pause)
    stands where the events before it stood; a `start` stands at the step its session began from, so
    a session begun past the saved step goes whole. Returns how many lines went."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError:
        return 0
    lines = data.split(b"\n")
    torn_tail = lines.pop() != b""          # the file should end with a newline
    kept, current = [], None
    for line in lines:
        event = _event(line)
        if event is None:
            continue
        step = _step(event)
        if step is not None:
            current = step
        if current is None or current <= last_step:
            kept.append(line)
    gone = len(lines) - len(kept) + torn_tail
    if gone == 0:
        return 0
    fd, tmp = tempfile.mkstemp(prefix=".progress.", suffix=".jsonl", dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(b"".join(line + b"\n" for line in kept))
    os.replace(tmp, path)
    return gone


def drop_grids_after(out, last_step: int) -> list[str]:
    """Sample grids drawn past `last_step` (from weights a kill lost); the resumed run draws its own."""
    removed = []
    for grid in (Path(out) / SAMPLES_DIR).glob("step-*.png"):
        found = re.fullmatch(r"step-(\d+)\.png", grid.name)
        if found and int(found.group(1)) > last_step and grid.is_file() and not grid.is_symlink():
            try:
                grid.unlink()
                removed.append(grid.name)
            except OSError:
                pass
    return removed


def _event(line: bytes) -> dict | None:
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) and isinstance(event.get("event"), str) else None


def _step(event: dict) -> float | None:
    step = event.get("step")
    return float(step) if isinstance(step, (int, float)) and not isinstance(step, bool) else None


def _line_count(path: Path) -> int:
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0
