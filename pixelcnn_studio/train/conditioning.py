"""What a training run conditions the PixelCNN on, beyond the pixels themselves.

- "class": the dataset's labels (one-hot h), the default when the data has named classes;
- "none": nothing;
- "embedding": a fixed vector per image from a pretrained embedder (e.g. the dlib face network),
  computed once per picture and cached in the user's cache folder (train/embeddings.py);
- "box": the class and, per image, the box the data placed it in (fashion-where), as a 4-D embedding
  that the location network m(h) turns into a spatial map: the paper's location-dependent conditioning;
- "autoencoder": the paper's PixelCNN auto-encoder, a convolutional encoder trained end to end
  with the PixelCNN as its decoder, which sees the code h = encoder(x) of the very image it models.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core.box import BOX_EMBEDDER
from .embeddings import dataset_embeddings

KINDS = ("auto", "class", "none", "embedding", "autoencoder", "box")


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
    if requested == "class" and not labelled:
        raise UserError(f"--conditioning class needs labelled data; {dataset.name!r} has no classes")
    return requested


class AutoencoderPixelCNN(nn.Module):
    """Encoder and PixelCNN decoder as one module, so the optimiser, EMA and DDP treat them as one."""

    def __init__(self, decoder, encoder):
        super().__init__()
        self.decoder, self.encoder = decoder, encoder
        self.config = decoder.config

    def forward(self, x, class_ids=None, embedding=None):
        return self.decoder(x, class_ids=class_ids, embedding=self.encoder(x))


@torch.no_grad()
def checkpoint_embeddings(loaded, images: torch.Tensor, batch_size: int = 256, sources=None) -> torch.Tensor:
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
        return torch.cat([encoder(images[i:i + batch_size]) for i in range(0, len(images), batch_size)])
    if not entry.get("name"):
        raise EmbedderMismatch(f"{loaded.path}: the model takes an embedding but does not name its embedder")
    return dataset_embeddings(images, entry["name"], sources=sources, label="evaluation")
