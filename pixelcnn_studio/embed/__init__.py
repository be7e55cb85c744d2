"""Portrait embedders: a name, a dimension, and `embed(PIL.Image) -> float32 vector`.

Embedders register a factory here; a factory raises EmbedderUnavailable (with the install
command) when the packages it needs are missing, so `available_embedders()` lists only those
that work on this machine.
"""
from __future__ import annotations

from typing import Callable

from .base import AUTOENCODER, Embedder, EmbedderMismatch, EmbedderUnavailable

from ..core.checkpoint_checks import register_embedder_entry_check

__all__ = ["Embedder", "EmbedderMismatch", "EmbedderUnavailable", "available_embedders", "embedder_for_checkpoint",
           "get_embedder", "register_embedder"]

# Pretrained embedders that are optional extras, and the command that installs each.
INSTALL_HINTS = {"face-dlib-128": "pip install 'pixelcnn-studio[faces]'"}

_FACTORIES: dict[str, Callable[[], Embedder]] = {}
_INSTANCES: dict[str, Embedder] = {}


def register_embedder(name: str, factory: Callable[[], Embedder]) -> None:
    _FACTORIES[name] = factory


def get_embedder(name: str) -> Embedder:
    if name in _INSTANCES:
        return _INSTANCES[name]
    if name not in _FACTORIES:
        if name == AUTOENCODER:
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


def _face_dlib_factory() -> Embedder:
    # Imported on first use, so `import pixelcnn_studio` never needs dlib.
    from .face_dlib import create
    return create()


register_embedder("face-dlib-128", _face_dlib_factory)


def _check_autoencoder_entry(entry: dict, config) -> dict:
    from .autoencoder import entry_weight_shapes
    return entry_weight_shapes(entry, config)


# Loading a checkpoint checks its auto-encoder entry without the core importing this layer.
register_embedder_entry_check(AUTOENCODER, _check_autoencoder_entry)


def embedder_for_checkpoint(loaded) -> Embedder | None:
    """The embedder a loaded checkpoint expects (None when its model takes no embedding):
    the checkpoint's own encoder for an auto-encoder, otherwise the named pretrained embedder."""
    config, entry = loaded.config, loaded.embedder
    wanted = int(getattr(config, "embedding_dim", 0) or 0)
    where = f"{loaded.path}: " if getattr(loaded, "path", "") else ""
    if not wanted:
        return None
    if not entry or not entry.get("name"):
        raise EmbedderUnavailable(f"{where}the model takes a {wanted}-D embedding but the checkpoint does not "
                                  "name its embedder")
    name = str(entry["name"])
    stored = entry.get("dim")
    if stored is not None and int(stored) != wanted:
        raise EmbedderMismatch(f"{where}the checkpoint's embedder {name!r} is {stored}-D but the model takes "
                               f"{wanted}-D embeddings")
    if name == AUTOENCODER:
        from .autoencoder import embedder_from_checkpoint     # torch: only for the models that need it
        embedder = embedder_from_checkpoint(loaded, where)
    else:
        try:
            embedder = get_embedder(name)
        except EmbedderMismatch:
            raise
        except EmbedderUnavailable as exc:
            hint = INSTALL_HINTS.get(name)
            how = f"install it with: {hint}" if hint else str(exc)
            raise EmbedderUnavailable(f"{where}this model is conditioned on the {name!r} embedder, which is not "
                                      f"available here; {how}") from exc
    if embedder.dim != wanted:
        raise EmbedderMismatch(f"{where}the {name!r} embedder makes {embedder.dim}-D vectors but the model takes "
                               f"{wanted}-D embeddings")
    return embedder
