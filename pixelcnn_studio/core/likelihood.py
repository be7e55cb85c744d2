"""Exact likelihood of images under a PixelCNN: per sub-pixel and in bits per dimension."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def nll_from_logits(logits: torch.Tensor, x: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy of integer levels x (B, C, H, W) under logits (B, levels, C, H, W).

    The same numbers as `F.cross_entropy(logits, x)`; from a channels-last model, whose logits
    keep each sub-pixel's levels side by side in memory, it reads them as rows of one matrix,
    which makes the softmax and its gradient several times cheaper than the strided layout.
    """
    b, levels, c, h, w = logits.shape
    rows = logits.permute(0, 3, 4, 2, 1)
    if not rows.is_contiguous():
        return F.cross_entropy(logits, x.long(), reduction=reduction)
    targets = x.permute(0, 2, 3, 1).reshape(-1).long()
    nll = F.cross_entropy(rows.reshape(-1, levels), targets, reduction=reduction)
    return nll.view(b, h, w, c).permute(0, 3, 1, 2) if reduction == "none" else nll


def nll_per_subpixel(model, x, class_ids=None, embedding=None) -> torch.Tensor:
    """-log p(x_{i,c} | x_{<(i,c)}) in nats, shaped like x: (B, C, H, W), on the model's device.

    The inputs may live anywhere: they are moved to the model's device. Sum the result in float64
    after `.cpu()` (Apple's MPS has no float64).
    """
    x = torch.as_tensor(x)
    if x.is_floating_point():
        raise TypeError("nll_per_subpixel needs integer levels (the targets of the softmax)")
    device = next(model.parameters()).device
    x = x.to(device)
    class_ids = None if class_ids is None else torch.as_tensor(class_ids).to(device)
    embedding = None if embedding is None else torch.as_tensor(embedding).to(device)
    logits = model(x, class_ids=class_ids, embedding=embedding)
    # bf16/fp16 logits (autocast) are widened; float64 stays float64 for exact comparisons.
    logits = logits.to(torch.promote_types(logits.dtype, torch.float32))
    return nll_from_logits(logits, x, reduction="none")


def bits_per_dim(model, x, class_ids=None, embedding=None, batch_size: int = 256) -> float:
    """Mean negative log2-likelihood per sub-pixel over all of x (evaluated in batches)."""
    x = torch.as_tensor(x)
    total, count = 0.0, 0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            stop = start + batch_size
            ids = None if class_ids is None else torch.as_tensor(class_ids).reshape(-1)[start:stop]
            emb = embedding
            if embedding is not None:
                emb = torch.as_tensor(embedding)
                if emb.dim() == 2 and emb.shape[0] == x.shape[0]:
                    emb = emb[start:stop]
            nll = nll_per_subpixel(model, x[start:stop], ids, emb)
            total += float(nll.cpu().double().sum())
            count += nll.numel()
    model.train(was_training)
    return total / count / math.log(2.0)
