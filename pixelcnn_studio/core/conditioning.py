"""Conditioning of the Gated PixelCNN on a vector h (paper, section 2.3).

h is the class one-hot followed by the continuous embedding. Each layer adds V^T h to the
pre-activations of both stacks (location-independent), and, when location conditioning is on,
V * s with s = m(h) a spatial map produced once by a small deconvolution network.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelConfig


def stack_terms(term: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a gated layer's conditioning term into its (vertical, horizontal) parts.

    The term's 4 x hidden channels are laid out [vertical filter, vertical gate, horizontal
    filter, horizontal gate]; each returned part keeps its (filter, gate) halves in the order
    the gated activation splits them.
    """
    vertical, horizontal = term.chunk(2, dim=1)
    return vertical, horizontal


class ConditioningError(ValueError):
    """A class id or embedding that does not fit the model."""


class LocationNetwork(nn.Module):
    """m(h): a vector to an H x W map, by a linear layer and two stride-2 transposed convolutions."""

    def __init__(self, cond_dim: int, channels: int, height: int, width: int):
        super().__init__()
        self.height, self.width = height, width
        self.base = (max(1, math.ceil(height / 4)), max(1, math.ceil(width / 4)))
        self.channels = channels
        self.linear = nn.Linear(cond_dim, channels * self.base[0] * self.base[1])
        self.up1 = nn.ConvTranspose2d(channels, channels, 4, stride=2, padding=1)
        self.up2 = nn.ConvTranspose2d(channels, channels, 4, stride=2, padding=1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        s = self.linear(h).view(h.shape[0], self.channels, *self.base)
        s = self.up2(F.relu(self.up1(F.relu(s))))
        return s[:, :, : self.height, : self.width]


class Conditioning(nn.Module):
    """Turns (class_ids, embedding) into one additive term per layer and stack."""

    def __init__(self, config: ModelConfig, stacks: int):
        super().__init__()
        self.config = config
        self.stacks = stacks  # 2 for the gated variant (vertical, horizontal), 1 for the original
        width = 2 * config.hidden * stacks   # (filter, gate) for each stack: see `stack_terms`
        dim = config.condition_dim
        self.global_terms = nn.ModuleList(nn.Linear(dim, width) for _ in range(config.layers)) if dim else None
        if config.location_conditioning:
            q = config.location_channels
            self.location = LocationNetwork(dim, q, config.height, config.width)
            self.location_terms = nn.ModuleList(nn.Conv2d(q, width, 1, bias=False) for _ in range(config.layers))
        else:
            self.location = None

    def condition_vector(self, class_ids, embedding, batch: int, device, dtype):
        """Validate the inputs and build h of shape (B, condition_dim), or None."""
        cfg = self.config
        parts = []
        if cfg.num_classes:
            if class_ids is None:
                raise ConditioningError(f"this model is class-conditional ({cfg.num_classes} classes): give class_ids")
            ids = torch.as_tensor(class_ids, device=device).long().reshape(-1)
            if ids.numel() == 1 and batch > 1:
                ids = ids.expand(batch)
            if ids.numel() != batch:
                raise ConditioningError(f"got {ids.numel()} class ids for a batch of {batch}")
            bad = ids[(ids < 0) | (ids >= cfg.num_classes)]
            if bad.numel():
                raise ConditioningError(f"class id {int(bad[0])} is out of range 0..{cfg.num_classes - 1}")
            parts.append(F.one_hot(ids, cfg.num_classes).to(dtype))
        elif class_ids is not None:
            raise ConditioningError("this model has no classes; class_ids must be None")
        if cfg.embedding_dim:
            if embedding is None:
                raise ConditioningError(f"this model is conditioned on a {cfg.embedding_dim}-D embedding: give one")
            e = torch.as_tensor(embedding, device=device).to(dtype)
            if e.dim() == 1:
                e = e.unsqueeze(0)
            if e.shape[-1] != cfg.embedding_dim or e.dim() != 2:
                raise ConditioningError(f"embedding must have size {cfg.embedding_dim}, got shape {tuple(e.shape)}")
            if e.shape[0] == 1 and batch > 1:
                e = e.expand(batch, -1)
            if e.shape[0] != batch:
                raise ConditioningError(f"got {e.shape[0]} embeddings for a batch of {batch}")
            parts.append(e)
        elif embedding is not None:
            raise ConditioningError("this model takes no embedding; embedding must be None")
        return torch.cat(parts, dim=1) if parts else None

    def layer_terms(self, class_ids, embedding, batch: int, device, dtype):
        """One tensor per layer, (B, 2*hidden*stacks, 1 or H, 1 or W), or None when unconditional."""
        h = self.condition_vector(class_ids, embedding, batch, device, dtype)
        if h is None:
            return None
        terms = [lin(h)[:, :, None, None] for lin in self.global_terms]
        if self.location is not None:
            s = self.location(h)
            terms = [t + conv(s) for t, conv in zip(terms, self.location_terms)]
        return terms
