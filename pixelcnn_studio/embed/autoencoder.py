"""The paper's PixelCNN auto-encoder (section 2.4): a convolutional encoder maps an image x to a code h,
and the conditional PixelCNN decoder models p(x | h). The two are trained together end to end, so the
encoder's weights are saved in the decoder's checkpoint, under its `embedder` entry:

    {"name": "autoencoder", "dim": D, "config": {channels, image_size, dim, width, downsamples, levels},
     "state_dict": {parameter name: tensor}}

Plain values and tensors only, so `torch.load(weights_only=True)` reads it like the rest of the file.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import AUTOENCODER, EmbedderMismatch
from .prepare import Preparation, PreparedPicture, prepare_picture, preparation_for

NAME = AUTOENCODER
CONFIG_KEYS = ("channels", "image_size", "dim", "width", "downsamples", "levels")


def _pair(size) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    height, width = size
    return int(height), int(width)


class ConvEncoder(nn.Module):
    """Image -> code h of `dim` values: a 3x3 conv, then stride-2 3x3 convs halving the picture until
    its longer side is 8 or less (28 -> 14 -> 7; 32 -> 16 -> 8), then one linear layer.

    Args:
        channels: 1 (grey) or 3 (RGB), as the decoder's `ModelConfig.channels`.
        image_size: int or (H, W), as the decoder's `ModelConfig.image_size`.
        dim: length of the code, the decoder's `ModelConfig.embedding_dim`.
        width: channels of the first conv; they double with each halving, up to 4 * width.
        downsamples: number of halvings; None chooses as above.
        levels: intensity levels of integer input (the decoder's `ModelConfig.levels`).

    `forward(x)` takes x of shape (B, channels, H, W): integer levels in [0, levels) or floats already
    scaled to [-1, 1] (the PixelCNN's own scaling), and returns h of shape (B, dim) with norm sqrt(dim). No batch norm, so
    training and evaluation compute the same function and data-parallel training needs no sync.
    """

    def __init__(self, channels: int, image_size, dim: int, *, width: int = 32, downsamples: int | None = None,
                 levels: int = 256):
        super().__init__()
        height, wide = _pair(image_size)
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {channels}")
        if dim < 1 or width < 1 or levels < 2:
            raise ValueError(f"dim, width must be positive and levels at least 2 (dim={dim}, width={width}, "
                             f"levels={levels})")
        if downsamples is None:
            downsamples, side = 0, max(height, wide)
            while side > 8:
                side, downsamples = (side + 1) // 2, downsamples + 1
        self.channels, self.image_size, self.dim = channels, (height, wide), dim
        self.width, self.downsamples, self.levels = width, downsamples, levels
        convs, c_in, c_out = [nn.Conv2d(channels, width, 3, padding=1)], width, width
        for _ in range(downsamples):
            c_out = min(c_in * 2, 4 * width)
            convs.append(nn.Conv2d(c_in, c_out, 3, stride=2, padding=1))
            height, wide, c_in = (height + 1) // 2, (wide + 1) // 2, c_out
        self.convs = nn.ModuleList(convs)
        self.to_code = nn.Linear(c_out * height * wide, dim)

    def config(self) -> dict:
        height, width = self.image_size
        size = height if height == width else [height, width]
        return {"channels": self.channels, "image_size": size, "dim": self.dim, "width": self.width,
                "downsamples": self.downsamples, "levels": self.levels}

    @classmethod
    def from_config(cls, config: dict) -> "ConvEncoder":
        size = config["image_size"]
        return cls(int(config["channels"]), size if isinstance(size, int) else tuple(size), int(config["dim"]),
                   width=int(config.get("width", 32)), downsamples=config.get("downsamples"),
                   levels=int(config.get("levels", 256)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not x.is_floating_point():
            x = x.to(self.to_code.weight.dtype) * (2.0 / (self.levels - 1)) - 1.0
        for conv in self.convs:
            x = F.elu(conv(x))
        # The code lies on the sphere of radius sqrt(dim) (entries of size ~1). Left free, it can grow
        # until it saturates the decoder's gates; squashed by tanh, it sticks at +-1. Either way no
        # gradient reaches the encoder any more and every picture gets the same code.
        z = self.to_code(x.flatten(1))
        return z * (self.dim ** 0.5) / z.norm(dim=1, keepdim=True).clamp_min(1e-6)


def checkpoint_entry(encoder: ConvEncoder) -> dict:
    """The encoder as the checkpoint's `embedder` entry: pass it as `save_checkpoint(..., embedder=entry)`."""
    from ..core.checkpoint import strip_wrapper_prefixes
    encoder = getattr(encoder, "module", encoder)        # DistributedDataParallel
    encoder = getattr(encoder, "_orig_mod", encoder)     # torch.compile
    state = {k: v.detach().to("cpu", torch.float32).clone() if v.is_floating_point() else v.detach().cpu().clone()
             for k, v in strip_wrapper_prefixes(encoder.state_dict()).items()}
    return {"name": NAME, "dim": encoder.dim, "config": encoder.config(), "state_dict": state}


# Inclusive ranges of the encoder's integer settings in a checkpoint entry: caps far past any trained one.
ENCODER_LIMITS = {"channels": (1, 3), "dim": (1, 65_536), "width": (1, 1_024), "downsamples": (0, 9),
                  "levels": (2, 65_536)}


def check_encoder_config(config) -> None:
    """The entry's encoder config by type and range, before anything is built from it (ValueError if not)."""
    from ..core.config import MAX_IMAGE_SIDE, is_int
    if not isinstance(config, dict):
        raise ValueError(f"the autoencoder config is a {type(config).__name__}, not a dict")
    missing = [k for k in ("channels", "image_size", "dim") if k not in config]
    if missing:
        raise ValueError(f"the autoencoder config lacks {', '.join(missing)}")
    unknown = sorted(str(k)[:30] for k in set(config) - set(CONFIG_KEYS))
    if unknown:
        raise ValueError(f"the autoencoder config has unknown fields {unknown[:3]}")
    for key, (low, high) in ENCODER_LIMITS.items():
        value = config.get(key)
        if value is None and key in ("width", "downsamples", "levels"):
            continue
        if not is_int(value) or not low <= value <= high:
            raise ValueError(f"the autoencoder's {key} must be an integer in {low}..{high:,}, got {value!r:.30}")
    size = config["image_size"]
    sides = list(size) if isinstance(size, (list, tuple)) else [size]
    if len(sides) not in (1, 2) or not all(is_int(v) and 1 <= v <= MAX_IMAGE_SIDE for v in sides):
        raise ValueError(f"the autoencoder's image_size must be one or two integers in 1..{MAX_IMAGE_SIDE}, "
                         f"got {size!r:.40}")


def entry_weight_shapes(entry: dict, model_config) -> dict[str, tuple]:
    """The weight shapes an auto-encoder entry must hold for this model, its config checked first
    and the encoder built on the `meta` device (nothing allocated). ValueError says what is wrong."""
    config = entry.get("config")
    check_encoder_config(config)
    if not isinstance(entry.get("state_dict"), dict):
        raise ValueError("the checkpoint's autoencoder entry lacks its weights")
    if config["dim"] != model_config.embedding_dim:
        raise ValueError(f"the autoencoder makes {config['dim']}-D codes but the model takes "
                         f"{model_config.embedding_dim}-D embeddings")
    if config["channels"] != model_config.channels or _pair(config["image_size"]) != _pair(model_config.image_size):
        raise ValueError(f"the autoencoder takes {config['channels']}-channel {_pair(config['image_size'])} pictures "
                         f"but the model makes {model_config.channels}-channel {_pair(model_config.image_size)} ones")
    with torch.device("meta"):
        encoder = ConvEncoder.from_config(config)
    return {k: tuple(v.shape) for k, v in encoder.state_dict().items()}


def encoder_from_checkpoint_entry(entry: dict) -> ConvEncoder:
    """The trained encoder from a checkpoint's `embedder` entry (in eval mode, on the CPU)."""
    from ..core.checkpoint import strip_wrapper_prefixes
    if not isinstance(entry, dict) or entry.get("name") != NAME:
        name = entry.get("name") if isinstance(entry, dict) else None
        raise EmbedderMismatch(f"the checkpoint's embedder is {name!r}, not the autoencoder")
    config, state = entry.get("config"), entry.get("state_dict")
    if not isinstance(config, dict) or not isinstance(state, dict):
        raise EmbedderMismatch("the checkpoint's autoencoder entry lacks its config or its weights")
    try:
        check_encoder_config(config)
    except ValueError as exc:
        raise EmbedderMismatch(f"bad autoencoder config in the checkpoint: {exc}") from exc
    if entry.get("dim") is not None and int(entry["dim"]) != int(config["dim"]):
        raise EmbedderMismatch(f"the checkpoint's autoencoder entry says {entry['dim']}-D but its encoder "
                               f"produces {config['dim']}-D codes")
    try:
        encoder = ConvEncoder.from_config(config)
    except (TypeError, ValueError) as exc:
        raise EmbedderMismatch(f"bad autoencoder config in the checkpoint: {exc}") from exc
    state = strip_wrapper_prefixes(state)
    expected = encoder.state_dict()
    wrong = [f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}" for k, v in expected.items()
             if k in state and tuple(state[k].shape) != tuple(v.shape)]
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if wrong or missing or unexpected:
        detail = wrong[0] if wrong else (f"missing {missing[0]}" if missing else f"unexpected {unexpected[0]}")
        raise EmbedderMismatch(f"the checkpoint's autoencoder weights do not match its config ({detail})")
    encoder.load_state_dict(state)
    return encoder.eval()


class AutoencoderEmbedder:
    """A trained ConvEncoder behind the embedder interface: `embed(picture) -> float32 code`.

    Pictures are prepared as the model's kind asks (embed.prepare): a digit drawn in ink on a big
    sheet is cropped, centred and inverted like an MNIST digit, since the encoder maps anything far
    from its training pictures to a code far from every training digit (the samples are then noise).
    `preparation` defaults to letterboxing with no known background."""

    name = NAME

    def __init__(self, encoder: ConvEncoder, preparation: Preparation | None = None):
        self.encoder = encoder.eval()
        self.preparation = preparation or Preparation("letterbox", encoder.image_size, encoder.channels)
        if self.preparation.channels != encoder.channels or self.preparation.size != encoder.image_size:
            raise EmbedderMismatch(f"the encoder takes {encoder.channels}-channel {encoder.image_size} pictures, "
                                   f"not {self.preparation.channels}-channel {self.preparation.size}")
        self.dim = encoder.dim

    def prepared(self, image) -> PreparedPicture:
        """The picture as the model sees it (uint8 levels at its size), with a note on what was done."""
        return prepare_picture(image, self.preparation)

    def input_of(self, prepared: PreparedPicture) -> torch.Tensor:
        """The encoder's input (1, C, H, W), levels scaled to [-1, 1], from a prepared picture."""
        array = prepared.array.astype(np.float32)
        levels = self.encoder.levels
        if levels != 256:                 # the decoder saw quantised pictures; so did the encoder
            array = np.floor(array * (levels / 256.0))
        return torch.from_numpy(array).unsqueeze(0) * (2.0 / (levels - 1)) - 1.0

    def prepare(self, image) -> torch.Tensor:
        """The encoder's input for any picture: see `prepared` and `input_of`."""
        return self.input_of(self.prepared(image))

    def embed(self, image) -> np.ndarray:
        return self.encode(self.prepare(image))

    def encode(self, x: torch.Tensor) -> np.ndarray:
        """The code of one prepared picture (1, C, H, W), as float32."""
        x = x.to(self.encoder.to_code.weight.dtype)
        with torch.no_grad():
            return self.encoder(x)[0].float().cpu().numpy().astype(np.float32)


def embedder_from_checkpoint(loaded, where: str = "") -> AutoencoderEmbedder:
    """The encoder an auto-encoder checkpoint carries, checked against the model's picture size."""
    config = loaded.config
    encoder = encoder_from_checkpoint_entry(loaded.embedder)
    if config.channels != encoder.channels or _pair(config.image_size) != encoder.image_size:
        raise EmbedderMismatch(f"{where}the checkpoint's encoder takes {encoder.channels}-channel "
                               f"{encoder.image_size} pictures but the model makes {config.channels}-channel "
                               f"{_pair(config.image_size)} ones")
    return AutoencoderEmbedder(encoder, preparation_for(loaded))
