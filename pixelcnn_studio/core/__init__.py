"""Qt-free core: the model, likelihood, samplers, receptive fields and checkpoint I/O.

The names below are loaded on first use (PEP 562): the command line's error handler reads
`core.safe_text` and must not pay for importing torch on the way.
"""
from .lazy import lazy_names

# Public name -> the module of the core that defines it.
_EXPORTS = {
    "CheckpointError": ".checkpoint", "LoadedCheckpoint": ".checkpoint", "load_checkpoint": ".checkpoint",
    "save_checkpoint": ".checkpoint", "ConditioningError": ".conditioning", "ModelConfig": ".config",
    "bits_per_dim": ".likelihood", "nll_per_subpixel": ".likelihood", "PixelCNN": ".model",
    "build_model": ".model", "effective_receptive_field": ".receptive", "receptive_field": ".receptive",
    "SampleStep": ".sampling", "SampleStream": ".sampling", "sample": ".sampling",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_names(__name__, _EXPORTS, globals())
