"""What every embedder module shares: the interface and the two errors (a leaf, imported by all)."""
from __future__ import annotations

from typing import Protocol

import numpy as np

AUTOENCODER = "autoencoder"            # trained with its model; its encoder lives in the checkpoint


class EmbedderUnavailable(RuntimeError):
    """The embedder is unknown or its packages are not installed; the message says what to do."""


class EmbedderMismatch(EmbedderUnavailable):
    """The checkpoint's embedder entry does not fit the model or the installed embedder."""


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, image) -> np.ndarray: ...
