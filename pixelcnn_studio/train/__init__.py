"""Training, evaluation and distributed launch (torch only, never Qt).

    from pixelcnn_studio.train import TrainSettings, train
    train(TrainSettings(data="fashion-mnist", out="runs/fmnist", preset="fashion-mnist"))

The same code runs on one CPU, one GPU, or N processes started by `torchrun`.
"""
from .presets import PRESETS, get_preset

__all__ = ["PRESETS", "get_preset", "TrainSettings", "train", "evaluate_checkpoint"]


def __getattr__(name):
    # Lazy so `import pixelcnn_studio.train` (e.g. for presets) does not pay for torch set-up.
    if name in ("TrainSettings", "train"):
        from . import loop
        return getattr(loop, name)
    if name == "evaluate_checkpoint":
        from .evaluate import evaluate_checkpoint
        return evaluate_checkpoint
    raise AttributeError(name)
