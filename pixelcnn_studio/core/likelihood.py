"""Exact likelihood of images under a PixelCNN: per sub-pixel and in bits per dimension."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


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
    return F.cross_entropy(logits, x.long(), reduction="none")


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
