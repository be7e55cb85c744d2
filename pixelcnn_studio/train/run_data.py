"""A run's data: the training and held-out splits as the settings cut them, and their record."""
from __future__ import annotations

from .settings import TrainSettings


def load_data(s: TrainSettings, channels: int | None = None, adapt=None):
    """The training split, the held-out split (cut to --eval-limit) and the whole held-out split.
    `adapt(train_set, test_set)` may re-label both before anything is cut (fine-tuning)."""
    from ..data import load_dataset
    train_set = load_dataset(s.data, "train", image_size=s.image_size, channels=channels)
    test_set = load_dataset(s.data, "test", image_size=train_set.image_size, channels=train_set.channels)
    if adapt is not None:
        adapt(train_set, test_set)
    if s.limit_train:
        train_set.keep_first(s.limit_train)
    test_set.info = {**(test_set.info or {}), "full_size": len(test_set)}
    # Kept whole for the final score of the best weights (train/budget.py) when --eval-limit cuts it.
    full_test = (test_set.images, test_set.labels)
    if s.eval_limit:
        test_set.keep_first(s.eval_limit)
    return train_set, test_set, full_test


def dataset_metadata(s, train_set, test_set) -> dict:
    info = train_set.info or {}
    meta = {"spec": s.data, "name": train_set.name, "train_size": len(train_set),
            "test_size": test_set.info.get("full_size", len(test_set)), "eval_images": len(test_set),
            "image_size": list(train_set.image_size), "channels": train_set.channels}
    for key in ("source", "licence", "split_rule"):
        if key in info:
            meta[key] = info[key]
    return meta
