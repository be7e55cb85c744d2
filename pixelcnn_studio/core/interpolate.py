"""Interpolating between two conditioning vectors, as in the paper's figure of portraits along a line.

Every point of the row is sampled with the SAME seed, so the random numbers that pick each sub-pixel
are identical from one image to the next and the differences along the row come from the conditioning
alone. Each point is its own one-image run: the row's first and last images are exactly what
`sample(model, 1, embedding=a, seed=seed)` and `sample(model, 1, embedding=b, seed=seed)` return.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from .sampling import SampleStream


def interpolate_embeddings(a, b, steps: int) -> torch.Tensor:
    """`steps` points on the straight line from `a` to `b` (both included): a float32 tensor (steps, D)."""
    a = torch.as_tensor(np.asarray(a, dtype=np.float32)).reshape(-1)
    b = torch.as_tensor(np.asarray(b, dtype=np.float32)).reshape(-1)
    if a.shape != b.shape:
        raise ValueError(f"the two embeddings differ in length: {a.numel()} and {b.numel()}")
    if steps < 2:
        raise ValueError(f"an interpolation needs at least 2 steps, got {steps}")
    t = torch.linspace(0.0, 1.0, steps, dtype=torch.float64).unsqueeze(1)
    row = (1.0 - t) * a.double() + t * b.double()
    row[0], row[-1] = a.double(), b.double()        # the endpoints exactly, whatever the rounding
    return row.float()


def _check_model(model, dim: int) -> None:
    wanted = int(getattr(model.config, "embedding_dim", 0) or 0)
    if not wanted:
        raise ValueError("the model takes no embedding: class labels are discrete, so there is nothing between "
                         "two classes to interpolate; use a portrait or auto-encoder model")
    if dim != wanted:
        raise ValueError(f"the model takes {wanted}-D embeddings, got {dim}-D ones")


def interpolation_streams(model, a, b, steps: int, *, seed: int = 0, temperature: float = 1.0,
                          class_id: int | None = None) -> Iterator[SampleStream]:
    """One single-image SampleStream per point of the line, all with the same seed; run each in turn.

    A caller that shows progress (the app) steps them itself; `interpolation_row` just runs them.
    `class_id` fixes the class of a model conditioned on both a class and an embedding.
    """
    row = interpolate_embeddings(a, b, steps)
    _check_model(model, row.shape[1])
    param = next(model.parameters())
    classes = None if class_id is None else torch.tensor([int(class_id)])
    for point in row:
        yield SampleStream(model, 1, class_ids=classes, embedding=point.to(param.dtype).unsqueeze(0), seed=seed,
                           temperature=temperature)


def interpolation_row(model, a, b, steps: int, seed: int = 0, *, temperature: float = 1.0,
                      class_id: int | None = None) -> torch.Tensor:
    """The row of `steps` images from embedding `a` to `b`, same seed for each: uint8 (steps, C, H, W)."""
    was_training = model.training
    model.eval()
    try:
        images = [stream.run()[0].cpu().clone()
                  for stream in interpolation_streams(model, a, b, steps, seed=seed, temperature=temperature,
                                                      class_id=class_id)]
    finally:
        model.train(was_training)
    return torch.stack(images)
