"""What a training run conditions the PixelCNN on, beyond the pixels themselves.

- "class": the dataset's labels (one-hot h), the default when the data has named classes;
- "none": nothing;
- "embedding": a fixed vector per image from a pretrained embedder (e.g. the dlib face network),
  computed once for the whole dataset and cached next to the run, keyed by the pixels' content;
- "autoencoder": the paper's PixelCNN auto-encoder, a convolutional encoder trained end to end
  with the PixelCNN as its decoder, which sees the code h = encoder(x) of the very image it models.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .. import paths

KINDS = ("auto", "class", "none", "embedding", "autoencoder")


def resolve_kind(requested: str, unconditional: bool, dataset) -> str:
    from ..errors import UserError
    if unconditional:
        if requested not in ("auto", "none"):
            raise UserError(f"--unconditional contradicts --conditioning {requested}")
        return "none"
    labelled = dataset.labels is not None and bool(dataset.class_names)
    if requested == "auto":
        return "class" if labelled else "none"
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


def dataset_embeddings(images: torch.Tensor, embedder_name: str, cache_dir: Path, *, show_progress=True,
                       label: str = "") -> torch.Tensor:
    """(N, D) float32 embeddings of uint8 images (N, C, H, W), cached by content and embedder.

    Pictures where the embedder finds no face are embedded from their centre crop (for tight face
    crops that is the face itself), and counted.
    """
    from PIL import Image

    from ..embed import get_embedder
    digest = hashlib.sha256(images.numpy().tobytes()).hexdigest()[:20]
    cache = Path(cache_dir) / f"embeddings-{embedder_name}-{digest}.npz"
    if cache.exists():
        with np.load(cache) as data:
            return torch.from_numpy(data["embeddings"])
    embedder = get_embedder(embedder_name)
    from tqdm import tqdm
    vectors, centre_crops = [], 0
    for img in tqdm(images, desc=f"embedding {label} images".replace("  ", " "), disable=not show_progress,
                    unit="img"):
        array = img.permute(1, 2, 0).numpy()
        picture = Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array).convert("RGB")
        analyse = getattr(embedder, "analyse", None)
        if analyse is not None:
            result = analyse(picture, allow_centre_crop=True)
            centre_crops += int(result.faces_found == 0)
            vectors.append(np.asarray(result.vector, dtype=np.float32))
        else:
            vectors.append(np.asarray(embedder.embed(picture), dtype=np.float32))
    result = np.stack(vectors)
    from ..core.export import atomic_path
    with atomic_path(cache) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, embeddings=result, centre_crops=centre_crops)
    if centre_crops and show_progress:
        tqdm.write(f"{centre_crops} of {len(images)} {label} images had no detectable face; "
                   f"their centre crop was embedded")
    return torch.from_numpy(result)


@torch.no_grad()
def checkpoint_embeddings(loaded, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """The conditioning vectors a loaded checkpoint expects for `images`: its own encoder's codes
    for an auto-encoder, the named pretrained embedder's vectors (cached per user) otherwise."""
    from ..embed import EmbedderMismatch
    entry = loaded.embedder or {}
    if entry.get("name") == "autoencoder":
        from ..embed.autoencoder import encoder_from_checkpoint_entry
        encoder = encoder_from_checkpoint_entry(entry).eval()
        return torch.cat([encoder(images[i:i + batch_size]) for i in range(0, len(images), batch_size)])
    if not entry.get("name"):
        raise EmbedderMismatch(f"{loaded.path}: the model takes an embedding but does not name its embedder")
    return dataset_embeddings(images, entry["name"], paths.embeddings_cache_dir(), label="evaluation")
