"""Gated PixelCNN (van den Oord et al., 2016) and the original masked PixelCNN it improves on.

Gated layer, for the vertical stack v and the horizontal stack h (paper, figure 2):

    pre_v = W_v * v                      (down-shifted convolution: rows strictly above the current row)
    pre_h = W_h * h + link(pre_v)        (down-right-shifted, one row high: pixels left of it in the
                                          row; the 1x1 link from v)
    v'    = tanh(pre_v_f + V_f h) * sigmoid(pre_v_g + V_g h)
    h'    = h + residual(tanh(pre_h_f + ...) * sigmoid(pre_h_g + ...))
    skip += skip_1x1(gated h)

The vertical stack is fed a down-shifted image, so at row i it only ever sees rows < i and
can be linked into the horizontal stack of row i without any further shift.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .conditioning import Conditioning, stack_terms
from .config import ModelConfig
from .layers import (DownRightShiftedConv2d, DownShiftedConv2d, MaskedConv2d, causal_mask, channel_groups,
                     colour_masked_1x1, down_shift, gate, gate_groups, to_channels_last)


class CausalLayer(nn.Module):
    """What every layer shares: its input width and colour groups, and the residual and skip 1x1s.

    The first layer reads the image (one group per colour channel, mask A); later layers read
    hidden units (mask B).
    """

    def __init__(self, config: ModelConfig, first: bool):
        super().__init__()
        p, C = config.hidden, config.channels
        self.first, self.k = first, config.kernel_size
        self.in_channels = C if first else p
        self.in_groups = torch.arange(C) if first else channel_groups(p, C)
        self.mask_type = "A" if first else "B"
        hidden_groups = channel_groups(p, C)
        self.residual = colour_masked_1x1(hidden_groups, hidden_groups)
        self.skip = colour_masked_1x1(hidden_groups, hidden_groups)
        # Training-only dropout on the gated activation (train/regularise.py); 0 = none.
        self.product_dropout = 0.0
        # False = the plain path: each 1x1 product on its own (the reference for benchmarks).
        self.fused_products = True

    def residual_and_skip(self, gated: torch.Tensor, h_in: torch.Tensor | None):
        """(h_in + residual(gated), skip(gated)); h_in is None in the first layer."""
        rate = self.product_dropout if self.training else 0.0
        if rate or not self.fused_products:
            # Dropout draws an independent mask for each product, so each runs on its own input.
            residual = self.residual(F.dropout(gated, rate, True) if rate else gated)
            skip = self.skip(F.dropout(gated, rate, True) if rate else gated)
        else:
            # Both products read the same activation: one convolution with the two weights
            # stacked does one pass over it instead of two.
            weight = torch.cat([self.residual.effective_weight(), self.skip.effective_weight()])
            bias = torch.cat([self.residual.bias, self.skip.bias])
            residual, skip = F.conv2d(gated, weight, bias).chunk(2, dim=1)
        return (residual if h_in is None else h_in + residual), skip


class GatedLayer(CausalLayer):
    def __init__(self, config: ModelConfig, first: bool):
        super().__init__(config, first)
        p, k, C = config.hidden, config.kernel_size, config.channels
        in_ch, in_groups = self.in_channels, self.in_groups
        # Vertical inputs all lie in rows above the target, so no channel mask is needed there.
        self.vertical = DownShiftedConv2d(in_ch, 2 * p, (k // 2 + 1, k))
        h_mask = causal_mask(gate_groups(p, C), in_groups, (1, k // 2 + 1), (0, k // 2), self.mask_type)
        self.horizontal = DownRightShiftedConv2d(in_ch, 2 * p, (1, k // 2 + 1), h_mask)
        self.link = nn.Conv2d(2 * p, 2 * p, 1)

    def forward(self, v, h, term=None, link=True):
        """One layer on whole images; returns (v', h', skip, pre_v)."""
        pre_v = self.vertical(v)
        pre_h = self.horizontal(h)
        if term is not None:
            term_v, term_h = stack_terms(term)
            pre_v, pre_h = pre_v + term_v, pre_h + term_h
        if link:
            pre_h = pre_h + self.link(pre_v)
        h_out, skip = self.residual_and_skip(gate(pre_h), None if self.first else h)
        return gate(pre_v), h_out, skip, pre_v


class MaskedLayer(CausalLayer):
    """The original PixelCNN layer: one k x k masked convolution, which leaves a blind spot."""

    def __init__(self, config: ModelConfig, first: bool):
        super().__init__(config, first)
        p, k, C = config.hidden, config.kernel_size, config.channels
        mask = causal_mask(gate_groups(p, C), self.in_groups, (k, k), (k // 2, k // 2), self.mask_type)
        self.conv = MaskedConv2d(self.in_channels, 2 * p, k, mask)

    def forward(self, h, term=None):
        pre = self.conv(h)
        if term is not None:
            pre = pre + term
        return self.residual_and_skip(gate(pre), None if self.first else h)


class OutputHead(nn.Module):
    """ReLU, 1x1, ReLU, 1x1 to `levels` logits per colour channel, keeping colour causality."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        p, q, C, L = config.hidden, config.head_hidden, config.channels, config.levels
        self.channels, self.levels = C, L
        self.hidden = colour_masked_1x1(channel_groups(p, C), channel_groups(q, C))
        self.out = colour_masked_1x1(channel_groups(q, C), torch.arange(C * L) // L)

    def forward(self, skip):
        y = self.out(F.relu(self.hidden(F.relu(skip))))
        b, _, hgt, wid = y.shape
        # A view either way: from channels-last memory (B, H, W, C, levels) as well, which keeps
        # each softmax's levels side by side for the loss (likelihood.nll_from_logits).
        return y.view(b, self.channels, self.levels, hgt, wid).transpose(1, 2)


class PixelCNN(nn.Module):
    """Both variants: `config.variant` is "gated" (two stacks) or "original" (masked stack)."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        gated = config.variant == "gated"
        Layer = GatedLayer if gated else MaskedLayer
        self.layers = nn.ModuleList(Layer(config, first=(i == 0)) for i in range(config.layers))
        self.conditioning = Conditioning(config, stacks=2 if gated else 1)
        self.head = OutputHead(config)
        self.fast_path = True

    @property
    def fast_path(self) -> bool:
        """Channels-last activations and one product for each layer's residual and skip 1x1s.

        Off, the model runs the plain NCHW path with every product on its own: the same
        arithmetic, kept as the reference the training benchmark compares against.
        """
        return self._fast_path

    @fast_path.setter
    def fast_path(self, on: bool) -> None:
        self._fast_path = bool(on)
        for layer in self.layers:
            layer.fused_products = self._fast_path

    @property
    def gated(self) -> bool:
        return self.config.variant == "gated"

    def scale_input(self, x: torch.Tensor) -> torch.Tensor:
        """Integer levels -> floats in [-1, 1]; float input is taken as already scaled."""
        cfg = self.config
        if x.dim() != 4 or x.shape[1] != cfg.channels or tuple(x.shape[2:]) != (cfg.height, cfg.width):
            raise ValueError(f"expected input of shape (B, {cfg.channels}, {cfg.height}, {cfg.width}), "
                             f"got {tuple(x.shape)}")
        dtype = next(self.parameters()).dtype
        if x.is_floating_point():
            return x.to(dtype)
        return x.to(dtype) * (2.0 / (cfg.levels - 1)) - 1.0

    def layer_terms(self, class_ids=None, embedding=None, *, batch: int, device=None, dtype=None):
        param = next(self.parameters())
        return self.conditioning.layer_terms(class_ids, embedding, batch,
                                             device or param.device, dtype or param.dtype)

    def run_layers(self, x, terms, upto: int | None = None, link: bool = True, trace: list | None = None):
        """Run the first `upto` layers on scaled input x; return the skip sum.

        `trace`, if given, receives one dict per layer with that layer's activations; the
        receptive-field analysis and the cached sampler's priming read them.
        """
        n = len(self.layers) if upto is None else upto
        skip = 0
        if self.gated:
            v, h = down_shift(x), x
            for i, layer in enumerate(self.layers[:n]):
                v, h, s, pre_v = layer(v, h, None if terms is None else terms[i], link)
                skip = skip + s
                if trace is not None:
                    trace.append({"v": v, "h": h, "pre_v": pre_v})
        else:
            h = x
            for i, layer in enumerate(self.layers[:n]):
                h, s = layer(h, None if terms is None else terms[i])
                skip = skip + s
                if trace is not None:
                    trace.append({"h": h})
        return skip

    def forward(self, x, class_ids=None, embedding=None):
        x = self.scale_input(x)
        if self._fast_path and x.dtype != torch.float64:
            # The CPU convolution library works in channels-last natively (about twice as fast
            # backward); float64 (the exactness tests, the samplers' reference) stays as it is.
            x = to_channels_last(x)
        terms = self.layer_terms(class_ids, embedding, batch=x.shape[0])
        return self.head(self.run_layers(x, terms))


def build_model(config: ModelConfig | dict) -> PixelCNN:
    if isinstance(config, dict):
        config = ModelConfig.from_dict(config)
    return PixelCNN(config)
