"""One optimisation step: forward, loss, backward, clipping, Adam and the EMA of the weights.

The training loop and `pixelcnn-studio bench --train` share it, so the benchmark times the
step that trains. `fast=False` is the previous path (plain NCHW model, the loss over the
strided logits, a per-parameter Adam loop), kept selectable so that the benchmark can compare
the two in one process under the same load.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..core.likelihood import nll_from_logits
from ..core.model import PixelCNN
from .schedule import update_ema


def set_fast_path(module: torch.nn.Module, on: bool) -> None:
    """Switch every PixelCNN inside `module` (wrappers included) to the fast or the plain path."""
    for inner in module.modules():
        if isinstance(inner, PixelCNN):
            inner.fast_path = on


def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bf16 in hardware (AVX-512 BF16 or AMX); emulated bf16 is slower."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def make_optimizer(model: torch.nn.Module, lr: float, weight_decay: float, fast: bool = True,
                   beta2: float = 0.999):
    # foreach: one multi-tensor kernel per Adam operation instead of one per parameter.
    return torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, beta2), weight_decay=weight_decay,
                            foreach=True if fast else None)


def compile_model(net: torch.nn.Module, say=None, mode: str | None = None):
    """torch.compile `net`, or return it unchanged where compiling is not possible here.

    Compilation itself happens on the first call, which is why the benchmark reports first steps.
    `mode="reduce-overhead"` also records CUDA graphs (the benchmark's graphs path).
    """
    try:
        return torch.compile(net, dynamic=False, mode=mode)
    except Exception as exc:          # no compiler tool chain, unsupported platform, ...
        if say:
            say(f"note: torch.compile unavailable ({type(exc).__name__}: {exc}); running eagerly")
        return net


class TrainStep:
    """The work of one step on a batch; returns the loss as a 0-d tensor (not read back)."""

    def __init__(self, net, model, opt, ema, *, grad_clip: float, autocast_dtype=None,
                 device_type: str = "cpu", fast: bool = True, eager=None, say=None, compile_loss: bool = False):
        """`eager`: the uncompiled network to fall back to when the compiled `net` fails on its
        first step (compilation happens there: a missing tool chain or an unsupported operation).
        `compile_loss`: compile the loss too (with a compiled `net`; the fast path only)."""
        self.net, self.model, self.opt, self.ema = net, model, opt, ema
        self.grad_clip, self.autocast_dtype, self.device_type = grad_clip, autocast_dtype, device_type
        self.fast = fast
        self.params = [p for p in model.parameters()]
        self.eager, self.say = eager, say
        self.loss_of = widened_nll if fast else widened_cross_entropy
        if fast and compile_loss:
            # Compiled with the network: the widening to float32, the softmax and its gradient become
            # one pass over the logits each way (eagerly they are three): 1.02x per cpu-quick step.
            self.loss_of = compile_model(widened_nll)

    def __call__(self, x, class_ids=None, embedding=None, *, lr: float, ema_decay: float,
                 lap=None) -> torch.Tensor:
        """`lap(phase)`, if given, is called as each phase ends (the profiler times them)."""
        if self.eager is None or self.eager is self.net:
            return self._step(x, class_ids, embedding, lr=lr, ema_decay=ema_decay, lap=lap)
        try:
            loss = self._step(x, class_ids, embedding, lr=lr, ema_decay=ema_decay, lap=lap)
        except Exception as exc:
            # Only the forward or backward can fail here, before the optimiser touched the weights.
            if self.say:
                first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
                self.say(f"note: torch.compile failed on the first step ({type(exc).__name__}: {first}); "
                         "training eagerly")
            self.net = self.eager
            self.loss_of = widened_nll if self.fast else widened_cross_entropy
            loss = self._step(x, class_ids, embedding, lr=lr, ema_decay=ema_decay, lap=lap)
        self.eager = None               # compiled and ran: no fallback needed any more
        return loss

    def _step(self, x, class_ids, embedding, *, lr: float, ema_decay: float, lap) -> torch.Tensor:
        lap = lap or _no_lap
        for group in self.opt.param_groups:
            group["lr"] = lr
        with torch.autocast(self.device_type, dtype=self.autocast_dtype, enabled=self.autocast_dtype is not None):
            logits = self.net(x, class_ids=class_ids, embedding=embedding)
        lap("forward")
        loss = self.loss_of(logits, x)
        lap("loss")
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        lap("backward")
        if self.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.params, self.grad_clip, foreach=True if self.fast else None)
        lap("clipping")
        self.opt.step()
        lap("optimiser")
        if self.ema is not None:
            update_ema(self.ema, self.model, ema_decay)
        lap("EMA")
        return loss.detach()


def widened_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The mean cross-entropy in float32 whatever the logits' precision (bf16 under autocast)."""
    return nll_from_logits(logits.float(), x)


def widened_cross_entropy(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The previous path's loss: the same figure over the strided logits."""
    return F.cross_entropy(logits.float(), x.long())


def _no_lap(phase: str) -> None:
    pass
