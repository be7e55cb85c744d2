"""The model's configuration: plain values only, so it round-trips through a checkpoint."""
from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass, fields

VARIANTS = ("gated", "original")

# Inclusive (lowest, highest) of every integer field. The caps lie far beyond any model this
# project trains, and keep a hostile or mistyped file from asking for terabytes before any
# other check has run.
MAX_IMAGE_SIDE = 512
INT_LIMITS = {
    "channels": (1, 3),
    "levels": (2, 65_536),
    "hidden": (1, 4_096),
    "layers": (1, 256),
    "kernel_size": (2, 15),
    "num_classes": (0, 100_000),
    "embedding_dim": (0, 65_536),
    "output_hidden": (0, 4_096),
    "location_channels": (1, 4_096),
}


def is_int(value) -> bool:
    """An integer in the strict sense: 2 but not 2.0, True or "2"."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _field_problems(config) -> list[str]:
    """Every field checked by type and range, without building or allocating anything."""
    problems = []
    size = config.image_size
    sides = list(size) if isinstance(size, (list, tuple)) else [size]
    if len(sides) not in (1, 2) or not all(is_int(side) for side in sides):
        problems.append(f"image_size must be an integer or two integers, got {size!r:.60}")
    elif not all(1 <= side <= MAX_IMAGE_SIDE for side in sides):
        problems.append(f"image_size sides must lie in 1..{MAX_IMAGE_SIDE}, got {size!r:.60}")
    for name, (low, high) in INT_LIMITS.items():
        value = getattr(config, name)
        if not is_int(value):
            problems.append(f"{name} must be an integer, got {type(value).__name__} {value!r:.40}")
        elif not low <= value <= high:
            problems.append(f"{name} must lie in {low}..{high:,}, got {value:,}")
    if problems:
        return problems
    if config.channels not in (1, 3):
        problems.append(f"channels must be 1 or 3, got {config.channels}")
    if config.hidden < config.channels:
        # Each colour channel needs its own group of hidden units for the R -> G -> B masks.
        problems.append(f"hidden ({config.hidden}) must be at least channels ({config.channels})")
    if 0 < config.output_hidden < config.channels:
        problems.append(f"output_hidden ({config.output_hidden}) must be 0 or at least channels ({config.channels})")
    if not isinstance(config.location_conditioning, bool):
        problems.append(f"location_conditioning must be true or false, got {config.location_conditioning!r:.40}")
    elif config.location_conditioning and config.num_classes + config.embedding_dim == 0:
        problems.append("location_conditioning needs num_classes or embedding_dim")
    if not isinstance(config.variant, str) or config.variant not in VARIANTS:
        problems.append(f"variant must be one of {VARIANTS}, got {config.variant!r:.40}")
    return problems


@dataclass
class ModelConfig:
    image_size: int | tuple[int, int] = 28
    channels: int = 1
    levels: int = 256
    hidden: int = 64
    layers: int = 8
    kernel_size: int = 5
    num_classes: int = 0
    embedding_dim: int = 0
    location_conditioning: bool = False
    variant: str = "gated"
    # Width of the 1x1 layers between the skip sum and the softmax; 0 means `hidden`.
    output_hidden: int = 0
    # Channels of the location map s = m(h) in the location-dependent conditioning.
    location_channels: int = 8

    def __post_init__(self) -> None:
        problems = _field_problems(self)
        if problems:
            raise ValueError("invalid ModelConfig: " + "; ".join(problems))
        size = self.image_size
        self.image_size = (int(size[0]), int(size[1])) if isinstance(size, (list, tuple)) else int(size)
        for name in INT_LIMITS:
            setattr(self, name, int(getattr(self, name)))

    @property
    def height(self) -> int:
        return self.image_size[0] if isinstance(self.image_size, tuple) else self.image_size

    @property
    def width(self) -> int:
        return self.image_size[1] if isinstance(self.image_size, tuple) else self.image_size

    @property
    def condition_dim(self) -> int:
        """Length of the conditioning vector h: class one-hot followed by the embedding."""
        return self.num_classes + self.embedding_dim

    @property
    def head_hidden(self) -> int:
        return self.output_hidden or self.hidden

    def to_dict(self) -> dict:
        d = asdict(self)
        if isinstance(self.image_size, tuple):
            d["image_size"] = list(self.image_size)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        if not isinstance(d, dict):
            raise ValueError(f"the config must be a dict of fields, got {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k)[:40] for k in set(d) - known)
        if unknown:
            raise ValueError(f"unknown config fields {unknown[:5]} (written by a newer version?)")
        return cls(**d)
