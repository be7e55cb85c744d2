"""The model's configuration: plain values only, so it round-trips through a checkpoint."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

VARIANTS = ("gated", "original")


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
        if isinstance(self.image_size, (list, tuple)):
            self.image_size = (int(self.image_size[0]), int(self.image_size[1]))
        else:
            self.image_size = int(self.image_size)
        problems = []
        if min(self.height, self.width) < 1:
            problems.append(f"image_size must be positive, got {self.image_size}")
        if self.channels not in (1, 3):
            problems.append(f"channels must be 1 or 3, got {self.channels}")
        if self.levels < 2:
            problems.append(f"levels must be at least 2, got {self.levels}")
        if self.hidden < self.channels:
            # Each colour channel needs its own group of hidden units for the R -> G -> B masks.
            problems.append(f"hidden ({self.hidden}) must be at least channels ({self.channels})")
        if self.layers < 1:
            problems.append(f"layers must be at least 1, got {self.layers}")
        if self.kernel_size < 2:
            problems.append(f"kernel_size must be at least 2, got {self.kernel_size}")
        if self.num_classes < 0 or self.embedding_dim < 0:
            problems.append("num_classes and embedding_dim must be >= 0")
        if self.location_conditioning and self.condition_dim == 0:
            problems.append("location_conditioning needs num_classes or embedding_dim")
        if self.variant not in VARIANTS:
            problems.append(f"variant must be one of {VARIANTS}, got {self.variant!r}")
        if problems:
            raise ValueError("invalid ModelConfig: " + "; ".join(problems))

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
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown config fields {unknown} (written by a newer version?)")
        return cls(**d)
