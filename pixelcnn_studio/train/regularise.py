"""Regularisers for training only, added from outside the model so checkpoints do not change:
dropout on the gated activations, and random flips and shifts of the training images.

Dropout: each causal layer's gated activation is dropped (independently) on its way into the layer's
residual and skip 1x1 products, as PixelCNN++ drops inside its residual blocks. Dropout has no
weights and does nothing in eval mode, so a model trained with it saves, loads and samples
exactly like one trained without; the rate is a training setting, kept in the checkpoint's
training record.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core.model import CausalLayer


class _DropoutHandle:
    """Takes a layer's dropout off again (the interface of a hook handle)."""

    def __init__(self, layer: CausalLayer):
        self.layer = layer

    def remove(self) -> None:
        self.layer.product_dropout = 0.0


def add_dropout(model: nn.Module, rate: float) -> list:
    """Turn the dropout on in every causal layer inside `model` (wrappers included); returns one
    handle per layer (`handle.remove()` takes it off again)."""
    if rate <= 0.0:
        return []
    handles = []
    for layer in model.modules():
        if isinstance(layer, CausalLayer):
            layer.product_dropout = float(rate)
            handles.append(_DropoutHandle(layer))
    return handles


def augment(x: torch.Tensor, *, flip: bool, shift: int, seed: int, step: int) -> torch.Tensor:
    """A batch (B, C, H, W) of levels, each image mirrored left-right with probability 1/2 and/or
    moved by up to `shift` pixels in x and y, its edge rows and columns repeated into the gap
    (the background of digits, emoji and face crops alike).

    The random draws depend only on (seed, step), so a resumed run augments exactly as an
    unbroken one would.
    """
    if not flip and shift <= 0:
        return x
    rng = torch.Generator().manual_seed(seed * 1_000_003 + step)
    count, height, width = x.shape[0], x.shape[2], x.shape[3]
    mirror = torch.rand(count, generator=rng) < 0.5 if flip else torch.zeros(count, dtype=torch.bool)
    moves = torch.randint(-shift, shift + 1, (count, 2), generator=rng) if shift > 0 else None
    if mirror.any():
        x = torch.where(mirror.to(x.device).view(-1, 1, 1, 1), x.flip(-1), x)
    if moves is None:
        return x
    # Replicate padding needs floats; levels up to 255 survive the round trip exactly.
    padded = F.pad(x.float(), (shift, shift, shift, shift), mode="replicate").to(x.dtype)
    out = torch.empty_like(x)
    for i, (dy, dx) in enumerate(moves.tolist()):
        top, left = shift - dy, shift - dx
        out[i] = padded[i, :, top:top + height, left:left + width]
    return out
