"""Qt-free core: the model, likelihood, samplers, receptive fields and checkpoint I/O."""
from .checkpoint import CheckpointError, LoadedCheckpoint, load_checkpoint, save_checkpoint
from .conditioning import ConditioningError
from .config import ModelConfig
from .likelihood import bits_per_dim, nll_per_subpixel
from .model import PixelCNN, build_model
from .receptive import effective_receptive_field, receptive_field
from .sampling import SampleStep, SampleStream, sample

__all__ = [
    "CheckpointError", "ConditioningError", "LoadedCheckpoint", "ModelConfig", "PixelCNN", "SampleStep",
    "SampleStream", "bits_per_dim", "build_model", "effective_receptive_field", "load_checkpoint",
    "nll_per_subpixel", "receptive_field", "sample", "save_checkpoint",
]
