"""A training run's folder as the train command and its watchers share it: the file names, and the
control file that steers a run (`pause`, `resume` or `stop`, one word).

Torch-free and Qt-free, so that the command (train/live.py) and the app's Train tab, which never
imports train/, speak through one definition.
"""
from __future__ import annotations

import os
from pathlib import Path

PROGRESS_FILE = "progress.jsonl"    # one JSON object per line (train/live.py lists the events)
CONTROL_FILE = "control"
SAMPLES_DIR = "samples"             # step-NNNNNNN.png grids from the EMA weights
METRICS_FILE = "metrics.csv"
LOG_FILE = "train.log"              # the command's own lines, when the app started it
CONTROL_WORDS = ("pause", "resume", "stop")


def read_control(folder) -> str:
    """The word in the control file ('' when there is none or it cannot be read)."""
    try:
        return (Path(folder) / CONTROL_FILE).read_text(encoding="utf-8", errors="replace").strip().lower()
    except OSError:
        return ""


def write_control(folder, word: str) -> None:
    """Ask a run to pause, resume or stop (written whole, then renamed, so it is never read half-made)."""
    if word not in CONTROL_WORDS:
        raise ValueError(f"unknown control word {word!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{CONTROL_FILE}.{os.getpid()}"
    tmp.write_text(word + "\n", encoding="utf-8")
    os.replace(tmp, folder / CONTROL_FILE)
