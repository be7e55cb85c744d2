"""What a training run conditions the PixelCNN on, beyond the pixels themselves.

- "class": the dataset's labels (one-hot h), the default when the data has named classes;
- "none": nothing;
- "embedding": a fixed vector per image from a pretrained embedder (e.g. the dlib face network),
  computed once per picture and cached in the user's cache folder (train/embeddings.py);
- "box": the class and, per image, the box the data placed it in (fashion-where), as a 4-D embedding
  that the location network m(h) turns into a spatial map: the paper's location-dependent conditioning;
- "autoencoder": the paper's PixelCNN auto-encoder, a convolutional encoder trained end to end
  with the PixelCNN as its decoder, which sees the code h = encoder(x) of the very image it models;
- "style": the class, and the code h = encoder(x') of a *sibling* x' of x: another image of the same
  group (letters: another glyph of the same font). The encoder, trained jointly, can only pass on what
  the sibling shares with x (the font's style), never x itself: the paper's portrait experiment, with a
  learned style code in place of the face network.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core.box import BOX_EMBEDDER
from .embeddings import dataset_embeddings

KINDS = ("auto", "class", "none", "embedding", "autoencoder", "box", "style")
# Marks a checkpoint's auto-encoder entry whose code comes from a sibling image, not the image itself.
SIBLING = "sibling"


def resolve_kind(requested: str, unconditional: bool, dataset) -> str:
    from ..errors import UserError
    if unconditional:
        if requested not in ("auto", "none"):
            raise UserError(f"--unconditional contradicts --conditioning {requested}")
        return "none"
    labelled = dataset.labels is not None and bool(dataset.class_names)
    boxed = getattr(dataset, "boxes", None) is not None
    if requested == "auto":
        return ("box" if boxed else "class") if labelled else "none"
    if requested == "box" and not (labelled and boxed):
        raise UserError(f"--conditioning box needs data with classes and a box per image (fashion-where); "
                        f"{dataset.name!r} has none")
    if requested in ("class", "style") and not labelled:
        raise UserError(f"--conditioning {requested} needs labelled data; {dataset.name!r} has no classes")
    if requested == "style" and getattr(dataset, "groups", None) is None:
        raise UserError(f"--conditioning style needs data grouped by style (e.g. letters, by font); "
                        f"{dataset.name!r} has no groups")
    return requested


class AutoencoderPixelCNN(nn.Module):
    """Encoder and PixelCNN decoder as one module, so the optimiser, EMA and DDP treat them as one."""

    def __init__(self, decoder, encoder):
        super().__init__()
        self.decoder, self.encoder = decoder, encoder
        self.config = decoder.config

    def forward(self, x, class_ids=None, embedding=None):
        return self.decoder(x, class_ids=class_ids, embedding=self.encoder(x))


class SiblingStylePixelCNN(nn.Module):
    """Encoder and class-conditional PixelCNN as one module. `embedding` here is the batch of sibling
    images (B, C, H, W), one per image of x, which the encoder turns into style codes."""

    def __init__(self, decoder, encoder):
        super().__init__()
        self.decoder, self.encoder = decoder, encoder
        self.config = decoder.config

    def forward(self, x, class_ids=None, embedding=None):
        return self.decoder(x, class_ids=class_ids, embedding=self.encoder(embedding))


def sibling_indices(groups: torch.Tensor, index: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """For each entry of `index`, a random other image of the same group (itself where it is alone)."""
    order = torch.argsort(groups, stable=True)
    counts = torch.bincount(groups)
    starts = torch.cumsum(counts, 0) - counts
    position = torch.empty_like(order)
    position[order] = torch.arange(len(order))
    g = groups[index]
    own = position[index] - starts[g]
    size = counts[g]
    # Draw among the others: 0..size-2, then step over the image's own place.
    draw = (torch.rand(len(index), generator=generator) * (size - 1).clamp_min(1)).long()
    pick = torch.where(size > 1, draw + (draw >= own).long(), own)
    return order[starts[g] + pick]


def fixed_siblings(groups: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """One sibling per image, the same on every call: held-out scores must not move between evaluations."""
    generator = torch.Generator().manual_seed(seed)
    return sibling_indices(groups, torch.arange(len(groups)), generator)


@torch.no_grad()
def checkpoint_embeddings(loaded, images: torch.Tensor, batch_size: int = 256, sources=None,
                          groups: torch.Tensor | None = None) -> torch.Tensor:
    """The conditioning vectors a loaded checkpoint expects for `images`: its own encoder's codes
    for an auto-encoder, the named pretrained embedder's vectors (cached per user) otherwise."""
    from ..embed import EmbedderMismatch
    entry = loaded.embedder or {}
    if entry.get("name") == BOX_EMBEDDER:
        from ..errors import UserError
        raise UserError(f"{loaded.path}: a box model's boxes come with its data (fashion-where), not from pictures")
    if entry.get("name") == "autoencoder":
        from ..embed.autoencoder import encoder_from_checkpoint_entry
        encoder = encoder_from_checkpoint_entry(entry).eval()
        if entry.get("conditions_on") == SIBLING:
            # A style model is scored on each image with the code of a fixed sibling from its group.
            from ..errors import UserError
            if groups is None:
                raise UserError("this model takes the style of a sibling image; the data has no groups "
                                "(use a grouped set such as letters)")
            images = images[fixed_siblings(groups)]
        return torch.cat([encoder(images[i:i + batch_size]) for i in range(0, len(images), batch_size)])
    if not entry.get("name"):
        raise EmbedderMismatch(f"{loaded.path}: the model takes an embedding but does not name its embedder")
    return dataset_embeddings(images, entry["name"], sources=sources, label="evaluation")
