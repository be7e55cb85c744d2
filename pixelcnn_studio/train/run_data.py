"""A run's data: the training and held-out splits as the settings cut them, and their record."""
from __future__ import annotations

from .settings import TrainSettings


def load_data(s: TrainSettings, channels: int | None = None, adapt=None):
    """The training split, the held-out split (cut to --eval-limit) and the whole held-out split.
    `adapt(train_set, test_set)` may re-label both before anything is cut (fine-tuning)."""
    from ..data import load_dataset
    train_set = load_dataset(s.data, "train", image_size=s.image_size, channels=channels)
    test_set = load_dataset(s.data, "test", image_size=train_set.image_size, channels=train_set.channels)
    check_splits(s.data, train_set, test_set)
    if adapt is not None:
        adapt(train_set, test_set)
    if s.limit_train:
        train_set.keep_first(s.limit_train)
    test_set.info = {**(test_set.info or {}), "full_size": len(test_set)}
    # Kept whole for the final score of the best weights (train/budget.py) when --eval-limit cuts it.
    full_test = (test_set.images, test_set.labels, test_set.boxes)
    if s.eval_limit:
        test_set.keep_first(s.eval_limit)
    return train_set, test_set, full_test


def check_splits(spec: str, train_set, test_set) -> None:
    """Before any training: a held-out split to score on, and held-out labels the model will know
    (found at the first evaluation, the run's time would be lost)."""
    from ..core.safe_text import shown
    from ..errors import UserError
    name = shown(spec, 100)
    if len(test_set) == 0:
        raise UserError(f"{name}: the held-out split is empty ({len(train_set)} training images), so bits/dim "
                        "cannot be measured; add images (every 10th of each class with two or more is held out)")
    classes = train_set.class_names
    if classes and test_set.labels is not None and len(test_set.labels):
        top = int(test_set.labels.max())
        if top >= len(classes) or int(test_set.labels.min()) < 0:
            raise UserError(f"{name}: held-out label {top:,} has no class among the {len(classes):,} of the "
                            "training split")


def dataset_metadata(s, train_set, test_set) -> dict:
    info = train_set.info or {}
    meta = {"spec": s.data, "name": train_set.name, "train_size": len(train_set),
            "test_size": test_set.info.get("full_size", len(test_set)), "eval_images": len(test_set),
            "image_size": list(train_set.image_size), "channels": train_set.channels}
    for key in ("source", "licence", "split_rule"):
        if key in info:
            meta[key] = info[key]
    return meta
