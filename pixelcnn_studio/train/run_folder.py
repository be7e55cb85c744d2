"""A run's folder: a finished run is never overwritten, and what a killed run left is tidied.

`train --out DIR` into a folder that holds a run needs `--resume` (continue it) or `--overwrite`
(start again there). After a `kill -9`, the next start removes the half-written temporary
checkpoints beside last.pt/best.pt and drops the metrics rows logged after the saved position,
which the resumed run is about to log again.
"""
from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

from ..errors import UserError

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
    """The `.last.*.pt` / `.best.*.pt` files an atomic save leaves when the process is killed mid-write."""
    removed = []
    for stem in ("last", "best", "metrics"):
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
