"""Runs with a wall-clock budget (--max-minutes): when to stop, how far along the schedule is,
and the best weights scored on the whole held-out split at the end.

With `time_schedule`, the learning rate decays over the budget rather than over a step count
that a machine of unknown speed may never reach: a 10-minute run ends with a decayed learning
rate whether the machine managed 2,000 steps or 6,000. The budget covers the final full
evaluation too; its length is estimated from the evaluations made during the run.
"""
from __future__ import annotations

import copy
import time

import torch

# Seconds kept free beyond the estimated final evaluation (checkpoint writing, estimate error).
FINAL_MARGIN_S = 10.0


class TimeBudget:
    def __init__(self, minutes: float | None, final_images: int = 0):
        self.seconds = None if minutes is None else minutes * 60.0
        self.final_images = final_images          # held-out images scored after training; 0 = none
        self.started = time.monotonic()
        self.eval_images_per_s: float | None = None

    def note_evaluation(self, images: int, seconds: float) -> None:
        if seconds > 0:
            self.eval_images_per_s = images / seconds

    def reserve(self) -> float:
        """Seconds the final evaluation is expected to take."""
        if not self.final_images or not self.eval_images_per_s:
            return 0.0
        return self.final_images / self.eval_images_per_s * 1.15 + FINAL_MARGIN_S

    def used(self) -> float:
        return time.monotonic() - self.started

    def out_of_time(self) -> bool:
        return self.seconds is not None and self.used() > self.seconds - self.reserve()

    def fraction(self) -> float | None:
        """The part of the training time used so far (None without a budget)."""
        if self.seconds is None:
            return None
        return self.used() / max(1.0, self.seconds - self.reserve())


class BestWeights:
    """An in-memory copy of the weights that scored best so far, to be scored again at the end."""

    def __init__(self):
        self.state: dict | None = None

    def keep(self, module: torch.nn.Module) -> None:
        self.state = {k: v.detach().clone() for k, v in module.state_dict().items()}

    def model_like(self, module: torch.nn.Module) -> torch.nn.Module | None:
        """A copy of `module` holding the kept weights (None when nothing was kept)."""
        if self.state is None:
            return None
        best = copy.deepcopy(module)
        best.load_state_dict(self.state)
        return best.eval()
