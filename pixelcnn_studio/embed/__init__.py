"""Portrait embedders: a name, a dimension, and `embed(PIL.Image) -> float32 vector`.

Embedders register a factory here; a factory raises EmbedderUnavailable (with the install
command) when the packages it needs are missing, so `available_embedders()` lists only those
that work on this machine.
"""
from __future__ import annotations

from typing import Callable, Protocol

import numpy as np

from ..core.checkpoint_checks import register_embedder_entry_check


class EmbedderUnavailable(RuntimeError):
    """The embedder is unknown or its packages are not installed; the message says what to do."""


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, image) -> np.ndarray: ...


_FACTORIES: dict[str, Callable[[], Embedder]] = {}
_INSTANCES: dict[str, Embedder] = {}


def register_embedder(name: str, factory: Callable[[], Embedder]) -> None:
    _FACTORIES[name] = factory


def get_embedder(name: str) -> Embedder:
    if name in _INSTANCES:
        return _INSTANCES[name]
    if name not in _FACTORIES:
        if name == "autoencoder":
            raise EmbedderUnavailable("the autoencoder embedder is trained with its model and stored in the "
                                      "checkpoint: use embedder_for_checkpoint(load_checkpoint(path))")
        known = ", ".join(sorted(_FACTORIES)) or "none"
        raise EmbedderUnavailable(f"unknown embedder {name!r} (known: {known})")
    embedder = _FACTORIES[name]()
    _INSTANCES[name] = embedder
    return embedder


def available_embedders() -> list[str]:
    names = []
    for name in sorted(_FACTORIES):
        try:
            get_embedder(name)
        except EmbedderUnavailable:
            continue
        names.append(name)
    return names


class EmbedderMismatch(EmbedderUnavailable):
    """The checkpoint's embedder entry does not fit the model or the installed embedder."""


def _face_dlib_factory() -> Embedder:
    # Imported on first use, so `import pixelcnn_studio` never needs dlib.
    from .face_dlib import create
    return create()


register_embedder("face-dlib-128", _face_dlib_factory)


def _check_autoencoder_entry(entry: dict, config) -> dict:
    from .autoencoder import entry_weight_shapes
    return entry_weight_shapes(entry, config)


# Loading a checkpoint checks its auto-encoder entry without the core importing this layer.
register_embedder_entry_check("autoencoder", _check_autoencoder_entry)


def embedder_for_checkpoint(loaded) -> Embedder | None:
    """The embedder a loaded checkpoint was trained with (None when the model takes no embedding)."""
    from .autoencoder import embedder_for_checkpoint as find
    return find(loaded)
