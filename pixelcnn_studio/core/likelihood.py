"""Exact likelihood of images under a PixelCNN: per sub-pixel and in bits per dimension."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def nll_per_subpixel(model, x, class_ids=None, embedding=None) -> torch.Tensor:
    """-log p(x_{i,c} | x_{<(i,c)}) in nats, shaped like x: (B, C, H, W)."""
    x = torch.as_tensor(x)
    if x.is_floating_point():
        raise TypeError("nll_per_subpixel needs integer levels (the targets of the softmax)")
    logits = model(x, class_ids=class_ids, embedding=embedding)
    # bf16/fp16 logits (autocast) are widened; float64 stays float64 for exact comparisons.
    logits = logits.to(torch.promote_types(logits.dtype, torch.float32))
    return F.cross_entropy(logits, x.long(), reduction="none")


def bits_per_dim(model, x, class_ids=None, embedding=None, batch_size: int = 256) -> float:
    """Mean negative log2-likelihood per sub-pixel over all of x (evaluated in batches).

    The inputs may live anywhere: each batch is moved to the model's device, and summed in float64
    on the CPU (Apple's MPS has no float64).
    """
    x = torch.as_tensor(x)
    device = next(model.parameters()).device
    total, count = 0.0, 0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            stop = start + batch_size
            ids = None if class_ids is None else torch.as_tensor(class_ids).reshape(-1)[start:stop].to(device)
            emb = embedding
            if embedding is not None:
                emb = torch.as_tensor(embedding)
                if emb.dim() == 2 and emb.shape[0] == x.shape[0]:
                    emb = emb[start:stop]
                emb = emb.to(device)
            nll = nll_per_subpixel(model, x[start:stop].to(device), ids, emb)
            total += float(nll.cpu().double().sum())
            count += nll.numel()
    model.train(was_training)
    return total / count / math.log(2.0)
