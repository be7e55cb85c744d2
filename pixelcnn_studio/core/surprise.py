"""How a model sees one picture: the bits it pays for every sub-pixel, and, for a class-conditional
model, which class explains the picture best.

The generator doubles as a classifier by Bayes' rule: with a uniform prior over classes,
p(c | x) = p(x | c) / sum_k p(x | k), and log p(x | c) is the sum of the per-sub-pixel log-likelihoods
the PixelCNN gives under class c, all computed in one forward pass per class.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .likelihood import nll_per_subpixel

LN2 = math.log(2.0)


@dataclass
class Surprise:
    bits: torch.Tensor                      # float64 (C, H, W): -log2 p of every sub-pixel, under `class_id`
    bits_per_dim: float                     # the mean of `bits`
    class_id: int | None                    # the class scored (given, or the most probable)
    class_posterior: torch.Tensor | None    # float64 (K,): p(c | x) under a uniform prior

    @property
    def bits_per_pixel(self) -> torch.Tensor:
        """(H, W): the bits of a pixel's sub-pixels together (what a heat map of a colour picture shows)."""
        return self.bits.sum(dim=0)


def _device_of(model) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def class_log_likelihoods(model, x, *, batch_size: int = 64, embedding=None) -> torch.Tensor:
    """log p(x_i | c) in nats for every image and class of a class-conditional model: float64 (B, K).

    x: integer levels (B, C, H, W). `embedding` (B, D): each image's own code, for a model conditioned
    on a class and a code (a style model scores a glyph under every character with its font's code)."""
    classes = int(model.config.num_classes)
    if not classes:
        raise ValueError("the model is not class-conditional")
    x = torch.as_tensor(x)
    out = torch.empty(x.shape[0], classes, dtype=torch.float64)
    pairs = [(i, c) for i in range(x.shape[0]) for c in range(classes)]
    device = _device_of(model)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(pairs), batch_size):
                chunk = pairs[start:start + batch_size]
                images = x[[i for i, _ in chunk]].to(device)
                ids = torch.tensor([c for _, c in chunk], device=device)
                codes = None if embedding is None else torch.as_tensor(embedding)[[i for i, _ in chunk]]
                nll = nll_per_subpixel(model, images, ids, codes).cpu().double().flatten(1).sum(1)
                for (i, c), value in zip(chunk, nll.tolist()):
                    out[i, c] = -value
    finally:
        model.train(was_training)
    return out


def surprise(model, x, *, class_id: int | None = None, embedding=None) -> Surprise:
    """The per-sub-pixel bits of one picture x (1, C, H, W) or (C, H, W) of integer levels.

    A class-conditional model scores the picture under every class (for the posterior) and reports
    the map under `class_id`, or under the most probable class when none is given."""
    x = torch.as_tensor(x)
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.shape[0] != 1:
        raise ValueError(f"surprise scores one picture, got a batch of {x.shape[0]}")
    # Scored where the model is (a GPU with --device); the results come back to the CPU.
    device = _device_of(model)
    x = x.to(device)
    if embedding is not None:
        embedding = torch.as_tensor(embedding).to(device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            classes = int(model.config.num_classes)
            if classes:
                if class_id is not None and not 0 <= class_id < classes:
                    raise ValueError(f"class id {class_id} is out of range 0..{classes - 1}")
                # A model conditioned on a class and a vector (a box model) keeps the vector for every class.
                vector = None if embedding is None else embedding.reshape(1, -1).expand(classes, -1)
                every_class = nll_per_subpixel(model, x.expand(classes, *x.shape[1:]), torch.arange(classes), vector)
                nll = every_class.cpu().double()
                log_likelihood = -nll.flatten(1).sum(1)
                posterior = torch.softmax(log_likelihood, dim=0)
                chosen = int(posterior.argmax()) if class_id is None else int(class_id)
                bits = nll[chosen] / LN2
            else:
                posterior, chosen = None, None
                bits = nll_per_subpixel(model, x, None, embedding)[0].cpu().double() / LN2
    finally:
        model.train(was_training)
    return Surprise(bits=bits, bits_per_dim=float(bits.mean()), class_id=chosen, class_posterior=posterior)
