"""Causal building blocks of the PixelCNN family.

Every convolution here is applied to an input that the caller has already padded, so the
same layer computes a whole image (training, the naive sampler) or a single window (the
cached sampler) with the same weights and masks.

Colour causality follows the paper: hidden units are split into C contiguous groups, one per
colour channel. A unit of group c may see, at the pixel it sits on, input channels < c (mask A,
first layer) or hidden groups <= c (mask B, every later layer). Grayscale is the C = 1 case.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def channel_groups(count: int, groups: int) -> torch.Tensor:
    """Group index of each of `count` units when split into `groups` contiguous groups."""
    return torch.arange(count) * groups // count


def gate_groups(hidden: int, groups: int) -> torch.Tensor:
    """Groups of the 2*hidden units that feed tanh(f) * sigmoid(g): f[k] and g[k] share a group."""
    g = channel_groups(hidden, groups)
    return torch.cat([g, g])


def causal_mask(out_groups, in_groups, kernel: tuple[int, int], centre: tuple[int, int],
                mask_type: str) -> torch.Tensor:
    """Weight mask (out, in, kh, kw): taps before `centre` in raster order see everything,
    the centre tap follows the channel rule ('A': in < out, 'B': in <= out), later taps nothing."""
    kh, kw = kernel
    cr, cc = centre
    mask = torch.zeros(len(out_groups), len(in_groups), kh, kw)
    for r in range(kh):
        for c in range(kw):
            if (r, c) < (cr, cc):
                mask[:, :, r, c] = 1.0
    o = torch.as_tensor(out_groups).view(-1, 1)
    i = torch.as_tensor(in_groups).view(1, -1)
    allowed = (i < o) if mask_type == "A" else (i <= o)
    mask[:, :, cr, cc] = allowed.float()
    return mask


class MaskedConv2d(nn.Conv2d):
    """A convolution whose weight is multiplied by a fixed causal mask (no padding of its own)."""

    def __init__(self, in_channels, out_channels, kernel, mask: torch.Tensor | None):
        super().__init__(in_channels, out_channels, kernel, padding=0)
        if mask is None:
            mask = torch.ones_like(self.weight)
        self.register_buffer("mask", mask, persistent=False)

    def masked_weight(self) -> torch.Tensor:
        return self.weight * self.mask

    def forward(self, x):
        return F.conv2d(x, self.masked_weight(), self.bias)


def down_shift(x: torch.Tensor) -> torch.Tensor:
    """Move every row one down (zeros enter at the top): row i then holds row i - 1."""
    return F.pad(x, (0, 0, 1, 0))[:, :, :-1, :]


def pad_for_vertical(x: torch.Tensor, k: int) -> torch.Tensor:
    """Pad so a (k//2 + 1, k) kernel at row i covers rows i - k//2 .. i and columns j +- k//2."""
    return F.pad(x, (k // 2, k // 2, k // 2, 0))


def pad_for_horizontal(x: torch.Tensor, k: int) -> torch.Tensor:
    """Pad so a (1, k//2 + 1) kernel at column j covers columns j - k//2 .. j of the same row."""
    return F.pad(x, (k // 2, 0, 0, 0))


def pad_for_square(x: torch.Tensor, k: int) -> torch.Tensor:
    """Pad so a masked (k, k) kernel is centred on each pixel (the original PixelCNN)."""
    return F.pad(x, (k // 2, k // 2, k // 2, k // 2))


def gate(x: torch.Tensor) -> torch.Tensor:
    """The gated activation tanh(W_f * x) * sigmoid(W_g * x) on stacked (f, g) channels."""
    f, g = x.chunk(2, dim=1)
    return torch.tanh(f) * torch.sigmoid(g)
