"""The range of every numeric flag, in one table: checked before any work and shown in --help.

argparse checks a number's syntax only; `--threads 10000`, `--kernel-size 4`, `--lr nan` or
`--min-lr-ratio -5` parse and then hang, crash deep in the network or train to nonsense. The
caps follow the model config's own (core/config.py) where a flag is a config field. No torch
here: `--help` must stay instant.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    integer: bool = True
    low_open: bool = False      # the low end itself is excluded
    high_open: bool = False
    odd: bool = False

    def text(self) -> str:
        def number(v):
            return f"{v:,}" if self.integer else f"{v:g}"
        if self.integer:
            return ("odd, " if self.odd else "") + f"{number(self.low)}..{number(self.high)}"
        return f"{'(' if self.low_open else '['}{number(self.low)}, {number(self.high)}{')' if self.high_open else ']'}"

    def problem(self, flag: str, value) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{flag} must be a number in {self.text()}, got {value!r:.40}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"{flag} must be a finite number in {self.text()}, got {value}"
        if self.integer and not float(value).is_integer():
            return f"{flag} must be a whole number in {self.text()}, got {value}"
        below = value <= self.low if self.low_open else value < self.low
        above = value >= self.high if self.high_open else value > self.high
        if below or above:
            return f"{flag} must lie in {self.text()}, got {value:,}" if self.integer else \
                f"{flag} must lie in {self.text()}, got {value:g}"
        if self.odd and int(value) % 2 == 0:
            return f"{flag} must be odd (a kernel has a centre), got {value}"
        return None


BILLION = 10**9
TRAIN = {
    "image_size": Range(1, 512), "code_dim": Range(1, 65_536), "shift": Range(0, 256),
    "limit_train": Range(1, BILLION), "eval_limit": Range(1, BILLION),
    "hidden": Range(1, 4_096), "layers": Range(1, 256), "kernel_size": Range(3, 15, odd=True),
    "output_hidden": Range(0, 4_096), "epochs": Range(1, 1_000_000), "steps": Range(1, BILLION),
    "batch_size": Range(1, 65_536), "lr": Range(0, 10, integer=False, low_open=True),
    "weight_decay": Range(0, 10, integer=False), "dropout": Range(0, 1, integer=False, high_open=True),
    "warmup_steps": Range(0, BILLION), "min_lr_ratio": Range(0, 1, integer=False),
    "grad_clip": Range(0, 1e6, integer=False), "ema": Range(0, 1, integer=False, high_open=True),
    "adam_beta2": Range(0, 1, integer=False, high_open=True),
    "eval_every": Range(1, BILLION), "seed": Range(0, 2**32 - 1),
    "max_minutes": Range(0, 1e7, integer=False, low_open=True), "threads": Range(1, 1_000_000),
    "sample_every": Range(0, 1e7, integer=False, low_open=True),
    "eval_every_seconds": Range(0, 1e7, integer=False, low_open=True),
}
BENCH = {"repeats": Range(1, 1_000), "batch": Range(1, 65_536), "threads": Range(1, 1_000_000)}
EVAL = {"limit": Range(1, BILLION), "threads": Range(1, 1_000_000)}
SAMPLE = {"n": Range(1, BILLION), "scale": Range(1, 100_000), "seed": Range(-2**63, 2**64 - 1),
          "temperature": Range(0, 100, integer=False, low_open=True),
          "threads": Range(1, 1_000_000)}
COMMON = {"threads": Range(1, 1_000_000)}
# Where the command checks a flag itself (with a message tests and users already know), the range is
# only shown in --help.
SHOWN_ONLY = {"sample": ("n", "scale", "seed", "temperature")}
BY_COMMAND = {"train": TRAIN, "bench": BENCH, "eval": EVAL, "sample": SAMPLE}


def problems(values: dict, table: dict[str, Range], skip=()) -> list[str]:
    """One message per value outside its range (None = not given)."""
    found = []
    for key, rule in table.items():
        value = values.get(key)
        if value is None or key in skip:
            continue
        message = rule.problem("--" + key.replace("_", "-"), value)
        if message:
            found.append(message)
    return found


def annotate(parser, table: dict[str, Range]) -> None:
    """Append each flag's range to its --help text."""
    for action in parser._actions:             # argparse keeps no public list of a parser's actions
        rule = table.get(action.dest)
        if rule is not None:
            extra = "; above the cores here, the core count" if action.dest == "threads" else ""
            action.help = f"{action.help or ''} (allowed: {rule.text()}{extra})".strip()


def cores() -> int:
    """CPUs this process may run on (without importing torch, unlike core.devices.cpu_count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def capped_threads(threads: int | None) -> tuple[int | None, str | None]:
    """`--threads` held to the cores here: more threads than cores only make them wait on each other."""
    if threads is None or threads <= cores():
        return threads, None
    return cores(), f"note: --threads {threads:,} is more than the {cores()} core(s) here; using {cores()}"
