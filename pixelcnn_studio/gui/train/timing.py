"""Where the Train tab's time on the GUI thread goes, when asked.

With PIXELCNN_STUDIO_TRAIN_TIMING=1 in the environment, each of the tab's handlers (reading the run's
new lines, the curves, the figures, the grid) is timed, wall clock and the thread's CPU, and kept for
a measuring script (scripts/measure_train_tab.py); one longer than SLOW_MS is also said on stderr.
Off (the default), a section costs one flag test.
"""
from __future__ import annotations

import os
import sys
import time
from collections import deque
from contextlib import contextmanager

TIMING_ENV = "PIXELCNN_STUDIO_TRAIN_TIMING"
SLOW_MS = 16.0
ENABLED = os.environ.get(TIMING_ENV, "") not in ("", "0")
# (name, start on the perf_counter clock, wall seconds, CPU seconds of the GUI thread)
sections: deque[tuple[str, float, float, float]] = deque(maxlen=200_000)


@contextmanager
def timed(name: str):
    if not ENABLED:
        yield
        return
    started, cpu = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        wall = time.perf_counter() - started
        sections.append((name, started, wall, time.thread_time() - cpu))
        if wall * 1000 > SLOW_MS:
            print(f"train tab: {name} took {wall * 1000:.1f} ms ({(time.thread_time() - cpu) * 1000:.1f} ms CPU)",
                  file=sys.stderr)
