"""Causal building blocks of the PixelCNN family, named after what each one can see.

The gated network is built from two convolutions (the names of openai/pixel-cnn's nn.py):

- a *down-shifted* convolution: output (i, j) reads rows i-kh+1 .. i and columns j +- kw//2,
  never a row below. Fed a down-shifted image (`down_shift`), it is the vertical stack, which
  then sees only rows strictly above the target;
- a *down-right-shifted* convolution: output (i, j) reads rows i-kh+1 .. i and columns
  j-kw+1 .. j. With kh = 1 it is the horizontal stack: the pixels left of the target in its
  row, and the target itself only through the colour mask of its last tap.

The original PixelCNN's k x k convolution is a real masked convolution (taps after the centre
are zeroed); it is kept for teaching, blind spot included.

Each convolution pads its own input in `forward`. `window` applies the same weights to an input
the caller has already cut out and padded, which is how the cached sampler computes one row or
one position with the very weights the whole-image pass uses.

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


class CausalConv2d(nn.Conv2d):
    """A convolution with a fixed zero padding (left, right, top, bottom) and an optional weight mask.

    A mask of all ones (every grey 1x1, every later grey horizontal layer) is dropped: it would
    only cost a multiplication per step.
    """

    def __init__(self, in_channels, out_channels, kernel, padding: tuple[int, int, int, int],
                 mask: torch.Tensor | None = None):
        super().__init__(in_channels, out_channels, kernel, padding=0)
        self.causal_padding = tuple(padding)
        # (A model built on the `meta` device to check a checkpoint's shapes keeps its masks.)
        if mask is not None and not mask.is_meta and bool(mask.all()):
            mask = None
        # Not saved: the mask follows from the config, so checkpoints hold weights and biases only.
        self.register_buffer("mask", mask, persistent=False)

    def effective_weight(self) -> torch.Tensor:
        return self.weight if self.mask is None else self.weight * self.mask

    def window(self, x: torch.Tensor) -> torch.Tensor:
        """The convolution of an input that is already padded (or cut out) by the caller."""
        return F.conv2d(x, self.effective_weight(), self.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.window(pad(x, self.causal_padding))


class DownShiftedConv2d(CausalConv2d):
    """Output (i, j) sees rows i-kh+1 .. i, columns j - kw//2 .. j + kw//2: nothing below its row."""

    def __init__(self, in_channels, out_channels, kernel: tuple[int, int]):
        kh, kw = kernel
        super().__init__(in_channels, out_channels, kernel, (kw // 2, kw // 2, kh - 1, 0))


class DownRightShiftedConv2d(CausalConv2d):
    """Output (i, j) sees rows i-kh+1 .. i, columns j-kw+1 .. j; its last tap (the target itself)
    passes only the colour channels `mask` allows there."""

    def __init__(self, in_channels, out_channels, kernel: tuple[int, int], mask: torch.Tensor):
        kh, kw = kernel
        super().__init__(in_channels, out_channels, kernel, (kw - 1, 0, kh - 1, 0), mask)


class MaskedConv2d(CausalConv2d):
    """The original PixelCNN's k x k convolution centred on the target, taps after it masked out."""

    def __init__(self, in_channels, out_channels, k: int, mask: torch.Tensor):
        super().__init__(in_channels, out_channels, (k, k), (k // 2,) * 4, mask)


def colour_masked_1x1(in_groups, out_groups) -> CausalConv2d:
    """A 1x1 convolution that keeps colour causality (mask B at the pixel itself)."""
    mask = causal_mask(out_groups, in_groups, (1, 1), (0, 0), "B")
    return CausalConv2d(len(in_groups), len(out_groups), (1, 1), (0, 0, 0, 0), mask)


def to_channels_last(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) stored as (B, H, W, C) in memory.

    Unlike `.contiguous(memory_format=torch.channels_last)`, this also re-lays a one-channel
    image, whose plain strides PyTorch would otherwise read as NCHW all the way down the network.
    """
    b, c, h, w = x.shape
    return x.new_empty(b, h, w, c).copy_(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def is_channels_last(x: torch.Tensor) -> bool:
    return x.dim() == 4 and x.stride(1) == 1 and x.is_contiguous(memory_format=torch.channels_last)


def pad(x: torch.Tensor, padding: tuple[int, int, int, int]) -> torch.Tensor:
    """Zero-pad (left, right, top, bottom), keeping a channels-last input channels-last."""
    if not any(padding):
        return x
    if is_channels_last(x):
        left, right, top, bottom = padding
        return F.pad(x.permute(0, 2, 3, 1), (0, 0, left, right, top, bottom)).permute(0, 3, 1, 2)
    return F.pad(x, padding)


def down_shift(x: torch.Tensor) -> torch.Tensor:
    """Move every row one down (zeros enter at the top): row i then holds row i - 1."""
    return pad(x, (0, 0, 1, 0))[:, :, :-1, :]


def gate(x: torch.Tensor) -> torch.Tensor:
    """The gated activation tanh(W_f * x) * sigmoid(W_g * x) on stacked (f, g) channels."""
    f, g = x.chunk(2, dim=1)
    return torch.tanh(f) * torch.sigmoid(g)
