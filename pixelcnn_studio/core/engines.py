"""The two ways to get the logits of one sub-pixel given the image sampled so far.

`NaiveEngine` recomputes the whole network for every sub-pixel: the reference.
`CachedEngine` keeps every layer's activations and computes only what the new sub-pixel can
change (Ramachandran et al., 2017): the vertical stack once per row (it only sees rows
above), the horizontal stack and the output head at one position per step. Both share the
model's weights, masks and per-run conditioning terms, so in float64 they agree to rounding.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .conditioning import stack_terms
from .layers import gate


def _flat(conv, rows: slice | None = None) -> torch.Tensor:
    """A causal convolution's weight (mask applied) as a matrix (out, in * taps) for one-position products."""
    w = conv.effective_weight().detach()
    if rows is not None:
        w = w[:, :, rows, :]
    return w.reshape(w.shape[0], -1)


def _term_at(term, row: int, col: int | None = None):
    """The conditioning term at a row (n, ch, W) or a position (n, ch); terms may broadcast."""
    t = term[:, :, min(row, term.shape[2] - 1)]
    if col is None:
        return t
    return t[:, :, min(col, t.shape[2] - 1)]


class NaiveEngine:
    def __init__(self, model, terms, n: int):
        self.model, self.terms = model, terms
        self.x = None

    def reset(self, image_scaled: torch.Tensor, step: int) -> None:
        self.x = image_scaled.clone()

    def update(self, row: int, col: int, channel: int, scaled_values: torch.Tensor) -> None:
        self.x[:, channel, row, col] = scaled_values

    def logits(self, row: int, col: int, channel: int) -> torch.Tensor:
        logits = self.model.head(self.model.run_layers(self.x, self.terms))
        return logits[:, :, channel, row, col]


class CachedEngine:
    def __init__(self, model, terms, n: int):
        cfg = model.config
        self.model, self.n = model, n
        self.k, self.C, self.H, self.W = cfg.kernel_size, cfg.channels, cfg.height, cfg.width
        self.p, self.levels = cfg.hidden, cfg.levels
        self.gated = model.gated
        param = next(model.parameters())
        self.dtype, self.device = param.dtype, param.device
        self.terms = None if terms is None else [t.detach() for t in terms]
        self._prepare_weights()

    # -- weights, flattened once per run -------------------------------------------------
    def _prepare_weights(self) -> None:
        k = self.k
        self.layer_weights = []
        for layer in self.model.layers:
            w = {"res": _flat(layer.residual), "res_b": layer.residual.bias.detach(),
                 "skip": _flat(layer.skip), "skip_b": layer.skip.bias.detach()}
            if self.gated:
                w["v"] = layer.vertical.effective_weight().detach()
                w["v_b"] = layer.vertical.bias.detach()
                w["h"], w["h_b"] = _flat(layer.horizontal), layer.horizontal.bias.detach()
                w["link"], w["link_b"] = layer.link.weight.detach(), layer.link.bias.detach()
            else:
                # Rows below the centre are masked out: only the top k//2 + 1 rows can matter.
                w["h"], w["h_b"] = _flat(layer.conv, slice(0, k // 2 + 1)), layer.conv.bias.detach()
            self.layer_weights.append(w)
        head = self.model.head
        self.head_w = (_flat(head.hidden), head.hidden.bias.detach(), _flat(head.out), head.out.bias.detach())

    # -- state ------------------------------------------------------------------------------
    def reset(self, image_scaled: torch.Tensor, step: int) -> None:
        """Fill every cache from a full pass over the image whose first `step` sub-pixels are set."""
        n, C, H, W, k, p = self.n, self.C, self.H, self.W, self.k, self.p
        r = k // 2
        opts = dict(dtype=self.dtype, device=self.device)
        layers = range(len(self.layer_weights))
        # At step 0 nothing is known yet: every activation the steps read is computed by an earlier
        # step first, so the full pass (seconds for a large batch) is only needed to resume mid-image;
        # without it the trace stays empty and the caches start as zeros.
        trace = []
        if step > 0:
            with torch.no_grad():
                self.model.run_layers(image_scaled, self.terms, trace=trace)
        # Input, padded for both stacks: data row i sits at padded row i + r + 1, column j at j + r.
        self.x = torch.zeros(n, C, H + r + 1, W + 2 * r, **opts)
        self.x[:, :, r + 1:, r:r + W] = image_scaled
        row = min(step // C // W, H - 1)
        if self.gated:
            self.v = [torch.zeros(n, p, H + r, W + 2 * r, **opts) for _ in layers]
            self.h = [torch.zeros(n, p, W + r, **opts) for _ in layers]
            for buf_v, buf_h, t in zip(self.v, self.h, trace):
                buf_v[:, :, r:, r:r + W] = t["v"]
                buf_h[:, :, r:] = t["h"][:, :, row]
            self.row_terms = [None] * len(layers)
            self._start_row(row)
        else:
            self.h = [torch.zeros(n, p, H + r, W + 2 * r, **opts) for _ in layers]
            for buf, t in zip(self.h, trace):
                buf[:, :, r:, r:r + W] = t["h"]
            self.row = row

    def update(self, row: int, col: int, channel: int, scaled_values: torch.Tensor) -> None:
        r = self.k // 2
        self.x[:, channel, row + r + 1, col + r] = scaled_values

    # -- the gated variant ----------------------------------------------------------------------
    def _start_row(self, i: int) -> None:
        """Vertical stack for row i (it depends only on rows above, all known by now)."""
        r, W = self.k // 2, self.W
        below = self.x[:, :, i:i + r + 1, :]                    # rows i-r-1 .. i-1 of the input
        for l, w in enumerate(self.layer_weights):
            pre_v = F.conv2d(below, w["v"], w["v_b"])[:, :, 0]  # (n, 2p, W)
            th = None
            if self.terms is not None:
                tv, th = stack_terms(self.terms[l])
                pre_v = pre_v + _term_at(tv, i)
            link = F.conv1d(pre_v, w["link"][:, :, 0], w["link_b"])
            # Stored as the part of the horizontal pre-activation that does not depend on row i.
            self.row_terms[l] = (link, None if th is None else _term_at(th, i))
            self.v[l][:, :, i + r, r:r + W] = gate(pre_v)
            below = self.v[l][:, :, i:i + r + 1, :]
        self.row = i

    def _gated_position(self, i: int, j: int) -> torch.Tensor:
        r = self.k // 2
        skip = 0
        window = self.x[:, :, i + r + 1, j:j + r + 1]           # columns j-r .. j of row i
        h_in = None
        for l, w in enumerate(self.layer_weights):
            pre_h = F.linear(window.reshape(self.n, -1), w["h"], w["h_b"])
            link, th = self.row_terms[l]
            if th is not None:
                pre_h = pre_h + th[:, :, min(j, th.shape[2] - 1)]
            pre_h = pre_h + link[:, :, j]
            gated = gate(pre_h)
            h = F.linear(gated, w["res"], w["res_b"])
            if h_in is not None:
                h = h_in + h
            skip = skip + F.linear(gated, w["skip"], w["skip_b"])
            self.h[l][:, :, j + r] = h
            window, h_in = self.h[l][:, :, j:j + r + 1], h
        return skip

    # -- the original masked variant --------------------------------------------------------------
    def _original_position(self, i: int, j: int) -> torch.Tensor:
        k, r = self.k, self.k // 2
        skip, h_in = 0, None
        window = self.x[:, :, i + 1:i + r + 2, j:j + k]          # rows i-r .. i, columns j-r .. j+r
        for l, w in enumerate(self.layer_weights):
            pre = F.linear(window.reshape(self.n, -1), w["h"], w["h_b"])
            if self.terms is not None:
                pre = pre + _term_at(self.terms[l], i, j)
            gated = gate(pre)
            h = F.linear(gated, w["res"], w["res_b"])
            if h_in is not None:
                h = h_in + h
            skip = skip + F.linear(gated, w["skip"], w["skip_b"])
            self.h[l][:, :, i + r, j + r] = h
            window, h_in = self.h[l][:, :, i:i + r + 1, j:j + k], h
        return skip

    def logits(self, row: int, col: int, channel: int) -> torch.Tensor:
        if self.gated:
            if row != self.row:
                self._start_row(row)
            skip = self._gated_position(row, col)
        else:
            skip = self._original_position(row, col)
        w1, b1, w2, b2 = self.head_w
        out = F.linear(F.relu(F.linear(F.relu(skip), w1, b1)), w2, b2)
        return out.view(self.n, self.C, self.levels)[:, channel]


ENGINES = {"naive": NaiveEngine, "cached": CachedEngine}
