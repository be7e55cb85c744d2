"""Dropout for training only, added from outside the model so checkpoints do not change.

Each causal layer's gated activation is dropped (independently) on its way into the layer's
residual and skip 1x1 products, as PixelCNN++ drops inside its residual blocks. Dropout has no
weights and does nothing in eval mode, so a model trained with it saves, loads and samples
exactly like one trained without; the rate is a training setting, kept in the checkpoint's
training record.
"""
from __future__ import annotations

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
