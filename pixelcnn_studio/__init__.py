"""PixelCNN Studio: Gated PixelCNN models, exact likelihoods, fast sampling, and a desktop app.

The public API (stable):
    ModelConfig, build_model, save_checkpoint, load_checkpoint, sample, bits_per_dim,
    receptive_field, get_embedder, available_embedders

The names are loaded on first use (PEP 562), so that `import pixelcnn_studio.cli` — and with it
`pixelcnn-studio --help` — does not pay for importing torch.
"""
from .core.lazy import lazy_names

__version__ = "0.1.0"

# Public name -> the module that defines it.
_EXPORTS = {
    **dict.fromkeys(["CheckpointError", "ConditioningError", "ModelConfig", "SampleStream", "bits_per_dim",
                     "build_model", "effective_receptive_field", "load_checkpoint", "nll_per_subpixel",
                     "receptive_field", "sample", "save_checkpoint"], ".core"),
    **dict.fromkeys(["EmbedderUnavailable", "available_embedders", "get_embedder"], ".embed"),
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_names(__name__, _EXPORTS, globals())
