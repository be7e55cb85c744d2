"""Runs with a wall-clock budget (--max-minutes): when to stop, how far along the schedule is,
and the best weights scored on the whole held-out split at the end.

With `time_schedule`, the learning rate decays over the budget rather than over a step count
that a machine of unknown speed may never reach: a 10-minute run ends with a decayed learning
rate whether the machine managed 2,000 steps or 6,000. The budget covers the final
evaluations too; their length is estimated from the evaluations made during the run, or from
the training speed before the first one.
"""
from __future__ import annotations

import copy
import time

import torch

# Seconds kept free beyond the estimated final evaluation (checkpoint writing, estimate error).
FINAL_MARGIN_S = 10.0


# A held-out image costs a float32 forward pass: about a third of a float32 training step, but
# two thirds of a bf16 one; the lower figure holds until an evaluation has measured it.
EVAL_VS_TRAIN_SPEED = 1.5
# The first steps set things up and are slow: the training speed counts only after this long.
MIN_TRAIN_SECONDS_FOR_ESTIMATE = 20.0
MAX_RESERVE_SHARE = 0.25


class TimeBudget:
    def __init__(self, minutes: float | None, final_images: int = 0):
        self.seconds = None if minutes is None else minutes * 60.0
        # Scored after the training steps: the whole held-out split, whose first images give the curve's
        # last point in the same pass (0 = none).
        self.final_images = final_images
        self.started = time.monotonic()
        self.eval_images_per_s: float | None = None
        self.train_images, self.train_seconds = 0, 0.0

    def note_evaluation(self, images: int, seconds: float) -> None:
        if seconds > 0:
            self.eval_images_per_s = images / seconds

    def note_training(self, images: int, seconds: float) -> None:
        self.train_images += images
        self.train_seconds += seconds

    def reserve(self) -> float:
        """Seconds the evaluations after the last step are expected to take, at most a quarter
        of the budget: on a machine too slow (or too busy) to fit them, they run over it rather
        than leave no time to train."""
        rate = self.eval_images_per_s
        if rate is None and self.train_seconds >= MIN_TRAIN_SECONDS_FOR_ESTIMATE:
            rate = EVAL_VS_TRAIN_SPEED * self.train_images / self.train_seconds
        if not self.final_images or not rate:
            return 0.0
        wanted = self.final_images / rate * 1.15 + FINAL_MARGIN_S
        return wanted if self.seconds is None else min(wanted, MAX_RESERVE_SHARE * self.seconds)

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
