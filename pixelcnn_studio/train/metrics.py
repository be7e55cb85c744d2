"""What a run shows and records: the tqdm bar, metrics.csv, and the stop-on-signal switch."""
from __future__ import annotations

import csv
import signal
import sys
import threading
from pathlib import Path

COLUMNS = ("epoch", "step", "train_bpd", "test_bpd", "images_per_s", "seconds")


class MetricsLog:
    """metrics.csv, one row per held-out evaluation; appended to when a run is resumed."""

    def __init__(self, path: Path, append: bool):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not (append and self.path.exists()):
            with open(self.path, "w", newline="") as f:
                csv.writer(f).writerow(COLUMNS)

    def write(self, row: dict) -> None:
        with open(self.path, "a", newline="") as f:
            csv.writer(f).writerow([row[c] for c in COLUMNS])


def read_metrics(path) -> list[dict]:
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def progress_bar(total: int, initial: int, desc: str, disable: bool):
    from tqdm import tqdm
    # In a log file (no terminal) a bar redrawn ten times a second would flood it.
    interactive = sys.stderr.isatty()
    return tqdm(total=total, initial=initial, desc=desc, disable=disable, unit="batch", dynamic_ncols=True,
                mininterval=0.5 if interactive else 60.0, file=sys.stderr, leave=interactive)


class StopSignals:
    """Turn the first Ctrl-C / SIGTERM into a request to stop after the current step.

    The loop then saves a resumable last.pt; a second Ctrl-C interrupts at once.
    """

    def __init__(self, say):
        self.say, self.requested, self._old = say, False, {}

    def _handle(self, signum, frame):
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
        self.say(f"{signal.Signals(signum).name}: stopping after this step and saving last.pt "
                 "(Ctrl-C again to abort without saving)")

    def __enter__(self):
        # Signal handlers can only be installed from the main thread (e.g. not from a GUI worker).
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)
        return False
