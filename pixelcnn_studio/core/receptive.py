"""Which input sub-pixels can influence a given output: computed from the network itself.

The exact field is read off the gradient of the chosen activation with respect to the input,
in float64, through a copy of the real layers whose weights and biases are all small and
positive, fed a positive input: every pre-activation is then positive, every derivative of
tanh, sigmoid and ReLU is positive, and no two paths can cancel. A zero gradient therefore
means no path exists, and a non-zero one means a path exists.
"""
from __future__ import annotations

from dataclasses import replace

import torch

from .config import ModelConfig
from .layers import channel_groups
from .model import build_model

# The three fields of a gated layer, named once for the core, the explorer and the exports.
VERTICAL, HORIZONTAL, COMBINED = "vertical", "horizontal", "combined"
STACKS = (VERTICAL, HORIZONTAL, COMBINED)


def _probe_model(config: ModelConfig):
    # Conditioning never depends on the image and hidden width does not change the causal
    # structure, so the probe drops both to stay fast.
    probe_config = replace(config, hidden=2 * config.channels, output_hidden=0, num_classes=0,
                           embedding_dim=0, location_conditioning=False)
    model = build_model(probe_config).double().eval()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("bias"):
                param.fill_(0.01)
            else:
                fan_in = max(1, param[0].numel())
                # Small enough that tanh never saturates to exactly 1.0, even after many layers.
                param.copy_((0.5 + 0.5 * torch.rand(param.shape, generator=generator, dtype=torch.float64))
                            * 0.1 / fan_in)
    return model


def _config_of(model_or_config) -> ModelConfig:
    if isinstance(model_or_config, ModelConfig):
        return model_or_config
    config = getattr(model_or_config, "config", None)
    if not isinstance(config, ModelConfig):
        raise TypeError("receptive_field needs a ModelConfig or a model built by build_model")
    return config


def receptive_field(model_or_config, target, *, channel: int = 0, layers: int | None = None,
                    stack: str = COMBINED) -> torch.Tensor:
    """Bool (C, H, W): the input sub-pixels that can influence sub-pixel `channel` at
    `target=(row, col)` after `layers` layers (the output logits when None).

    stack: "combined" (the horizontal stack with its link, i.e. the real network), "horizontal"
    (the horizontal stack with the link from the vertical stack cut), or "vertical" (what the
    vertical stack delivers into the target's row through the link). Ignored for the original
    variant, which has one stack.
    """
    config = _config_of(model_or_config)
    row, col = target
    if not (0 <= row < config.height and 0 <= col < config.width):
        raise ValueError(f"target {target} is outside the {config.height}x{config.width} image")
    if not 0 <= channel < config.channels:
        raise ValueError(f"channel must be in 0..{config.channels - 1}, got {channel}")
    if stack not in STACKS:
        raise ValueError(f"stack must be one of {STACKS}, got {stack!r}")
    if layers is not None and not 1 <= layers <= config.layers:
        raise ValueError(f"layers must be in 1..{config.layers}, got {layers}")
    model = _probe_model(config)
    x = torch.full((1, config.channels, config.height, config.width), 0.5, dtype=torch.float64,
                   requires_grad=True)
    gated = config.variant == "gated"
    if layers is None:
        logits = model.head(model.run_layers(x, None, link=(stack != HORIZONTAL or not gated)))
        out = logits[0, :, channel, row, col].sum()
    else:
        trace = []
        model.run_layers(x, None, upto=layers, link=(stack != HORIZONTAL or not gated), trace=trace)
        last = trace[-1]
        if gated and stack == VERTICAL:
            out = last["pre_v"][0, :, row, col].sum()
        else:
            units = channel_groups(model.config.hidden, config.channels) == channel
            out = last["h"][0, units, row, col].sum()
    # The very first sub-pixel depends on no input at all: then there is no gradient, only an empty field.
    (grad,) = torch.autograd.grad(out, x, allow_unused=True)
    if grad is None:
        return torch.zeros(config.channels, config.height, config.width, dtype=torch.bool)
    return grad[0] != 0


def effective_receptive_field(model, images, target, *, channel: int = 0, class_ids=None,
                              embedding=None) -> torch.Tensor:
    """Mean |d logit / d input| (C, H, W) of a trained model over `images` (uint8 levels).

    The logit differentiated is that of the level each image actually has at the target, so
    the map shows what the model leans on when it scores real data.
    """
    images = torch.as_tensor(images)
    param = next(model.parameters())
    x = model.scale_input(images.to(param.device)).detach().requires_grad_(True)
    row, col = target
    was_training = model.training
    model.eval()
    try:
        logits = model.forward(x, class_ids=class_ids, embedding=embedding)
        chosen = images[:, channel, row, col].long().to(param.device)
        out = logits[torch.arange(len(chosen)), chosen, channel, row, col].sum()
        (grad,) = torch.autograd.grad(out, x)
    finally:
        model.train(was_training)
    return grad.abs().mean(0).detach().cpu()
