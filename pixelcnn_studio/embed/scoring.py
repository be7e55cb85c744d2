"""A picture scored by a model exactly as the command line and the app's Surprise tab do it: prepared for
the model's kind, conditioned on its own code where the model takes one, then core.surprise."""
from __future__ import annotations

import torch

from ..core.surprise import Surprise, surprise
from .prepare import PreparedPicture, prepare_picture, preparation_for


def picture_embedding(loaded, prepared: PreparedPicture, source):
    """The conditioning vector of an embedding model for this picture: an auto-encoder's code of the
    prepared picture, or the face network's vector of the original; None for other models."""
    if not loaded.config.embedding_dim:
        return None
    from ..core.box import ink_box, is_box_model
    if is_box_model(loaded.config, loaded.embedder):
        # A box model is scored with the box round the picture's ink, as its training data boxed each garment.
        return torch.tensor([ink_box(prepared.as_input())], dtype=torch.float32)
    from . import embedder_for_checkpoint
    embedder = embedder_for_checkpoint(loaded)
    if hasattr(embedder, "input_of"):
        vector = embedder.encode(embedder.input_of(prepared))
    else:
        vector = embedder.embed(source)
    return torch.as_tensor(vector, dtype=torch.float32).unsqueeze(0)


def score_picture(loaded, source, class_id: int | None = None) -> tuple[PreparedPicture, Surprise]:
    """(the picture as the model saw it, its Surprise) for a loaded checkpoint; `class_id` None: the most
    probable class of a class-conditional model."""
    prepared = prepare_picture(source, preparation_for(loaded))
    embedding = picture_embedding(loaded, prepared, source)
    return prepared, surprise(loaded.model, prepared.as_input(), class_id=class_id, embedding=embedding)


def class_label(loaded, class_id: int | None) -> str | None:
    if class_id is None:
        return None
    names = loaded.class_names or [str(i) for i in range(loaded.config.num_classes)]
    return str(names[class_id])
