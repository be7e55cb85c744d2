"""PixelCNN Studio: Gated PixelCNN models, exact likelihoods, fast sampling, and a desktop app.

The public API (stable):
    ModelConfig, build_model, save_checkpoint, load_checkpoint, sample, bits_per_dim,
    receptive_field, get_embedder, available_embedders
"""
from .core import (CheckpointError, ConditioningError, ModelConfig, SampleStream, bits_per_dim, build_model,
                   effective_receptive_field, load_checkpoint, nll_per_subpixel, receptive_field, sample,
                   save_checkpoint)
from .embed import EmbedderUnavailable, available_embedders, get_embedder

__version__ = "0.1.0"

__all__ = [
    "CheckpointError", "ConditioningError", "EmbedderUnavailable", "ModelConfig", "SampleStream",
    "available_embedders", "bits_per_dim", "build_model", "effective_receptive_field", "get_embedder",
    "load_checkpoint", "nll_per_subpixel", "receptive_field", "sample", "save_checkpoint",
]
