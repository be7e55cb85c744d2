"""Dropout for training only, added from outside the model so checkpoints do not change.

Each causal layer's gated activation is dropped (independently) on its way into the layer's
residual and skip 1x1 products, as PixelCNN++ drops inside its residual blocks. Dropout has no
weights and does nothing in eval mode, so a model trained with it saves, loads and samples
exactly like one trained without; the rate is a training setting, kept in the checkpoint's
training record.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from ..core.model import CausalLayer


def add_dropout(model: nn.Module, rate: float) -> list:
    """Register the dropout on every causal layer inside `model` (wrappers included); returns the
    hook handles (`handle.remove()` takes it off again)."""
    if rate <= 0.0:
        return []

    def drop(module, args):
        return (F.dropout(args[0], rate, module.training),) + tuple(args[1:])

    handles = []
    for layer in model.modules():
        if isinstance(layer, CausalLayer):
            for product in (layer.residual, layer.skip):
                handles.append(product.register_forward_pre_hook(drop))
    return handles
