"""Portrait embedders: a name, a dimension, and `embed(PIL.Image) -> float32 vector`.

Embedders register a factory here; a factory raises EmbedderUnavailable (with the install
command) when the packages it needs are missing, so `available_embedders()` lists only those
that work on this machine.
"""
from __future__ import annotations

from typing import Callable, Protocol

import numpy as np


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
