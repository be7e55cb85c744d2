"""PixelCNN Studio: Gated PixelCNN models, exact likelihoods, fast sampling, and a desktop app.

The public API (stable):
    ModelConfig, build_model, save_checkpoint, load_checkpoint, sample, bits_per_dim,
    receptive_field, get_embedder, available_embedders

The names are loaded on first use (PEP 562), so that `import pixelcnn_studio.cli` — and with it
`pixelcnn-studio --help` — does not pay for importing torch.
"""
from importlib import import_module

__version__ = "0.1.0"

# Public name -> the module that defines it.
_EXPORTS = {
    **dict.fromkeys(["CheckpointError", "ConditioningError", "ModelConfig", "SampleStream", "bits_per_dim",
                     "build_model", "effective_receptive_field", "load_checkpoint", "nll_per_subpixel",
                     "receptive_field", "sample", "save_checkpoint"], ".core"),
    **dict.fromkeys(["EmbedderUnavailable", "available_embedders", "get_embedder"], ".embed"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pixelcnn_studio' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value          # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
