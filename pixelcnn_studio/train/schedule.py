"""What changes with the step number: the learning rate, the EMA decay, and the EMA update.

Both schedules are pure functions of the step, which is part of what makes `--resume` exact.
"""
from __future__ import annotations

import math

import torch

from .settings import TrainSettings


def lr_at(step: int, total: int, s: TrainSettings, time_fraction: float | None = None) -> float:
    """Linear warm-up, then a cosine (or, with lr_decay "linear", straight) decay to lr * min_lr_ratio
    at the last step, or, with `time_fraction` (the part of a time budget used), at the end of the
    budget if that comes first."""
    if step < s.warmup_steps:
        return s.lr * (step + 1) / s.warmup_steps
    progress = min(1.0, (step - s.warmup_steps) / max(1, total - s.warmup_steps))
    if time_fraction is not None:
        progress = max(progress, min(1.0, time_fraction))
    remaining = 1 - progress if s.lr_decay == "linear" else 0.5 * (1 + math.cos(math.pi * progress))
    return s.lr * (s.min_lr_ratio + (1 - s.min_lr_ratio) * remaining)


@torch.no_grad()
def update_ema(ema, model, decay: float) -> None:
    ema_p, p = list(ema.parameters()), list(model.parameters())
    torch._foreach_lerp_(ema_p, p, 1.0 - decay)
    for eb, b in zip(ema.buffers(), model.buffers()):
        eb.copy_(b)


def ema_decay(step: int, target: float) -> float:
    # Early on the average would be dominated by the random initial weights; ramp the decay up.
    return min(target, (1 + step) / (10 + step))
