"""`--init-from CHECKPOINT`: fine-tune a trained model on new pictures, and what a run says about its data.

The model keeps its architecture, size and class list; the new pictures are brought to the
model's size and channels, and their classes are matched to the model's by name (a folder named
"Sneaker" trains the model's "Sneaker"), so that the fine-tuned model still draws every class it
knew. A class the model has never had cannot be added this way: that is one clear line.
"""
from __future__ import annotations

from ..errors import UserError

# What a fine-tuning run takes from the checkpoint instead of the flags.
ARCHITECTURE = ("hidden", "layers", "kernel_size", "output_hidden", "variant")


def encoder_kind(loaded) -> str | None:
    """"style" or "autoencoder" for a model whose encoder was trained with it (the encoder's weights ride in
    the checkpoint, so both halves can go on learning), else None."""
    entry = loaded.embedder or {}
    if not isinstance(entry.get("state_dict"), dict):
        return None
    from .conditioning import SIBLING
    return "style" if entry.get("conditions_on") == SIBLING else "autoencoder"


def start_kind(loaded) -> str | None:
    """What a checkpoint's model conditions on beyond a class, when a run can go on training it: "style" or
    "autoencoder" (its encoder rides along) or "box" (boxes come with box data); None when it reads nothing
    more, or a fixed embedder's code."""
    from ..core.box import is_box_model
    if is_box_model(loaded.config, loaded.embedder):
        return "box"
    return encoder_kind(loaded)


def read_start(path: str, conditioning: str = "auto"):
    """The checkpoint to start from, checked: a class or unconditional model, one with its own trained
    encoder (a style or auto-encoder model), or a box model (its boxes come with the data). Models that read
    a fixed embedder's code cannot be fine-tuned: the run would need that code for every new picture."""
    from ..core.checkpoint import load_checkpoint
    loaded = load_checkpoint(path)
    cfg = loaded.config
    kind = start_kind(loaded)
    if (cfg.embedding_dim or cfg.location_conditioning) and kind is None:
        raise UserError(f"--init-from {path}: fine-tuning works on class-conditional, unconditional, style, "
                        "auto-encoder and box models; this one is conditioned on a code from a fixed embedder")
    wanted = kind or ("class" if cfg.num_classes else "none")
    if conditioning not in ("auto", wanted):
        raise UserError(f"--init-from {path}: the model is conditioned as '{wanted}', not '{conditioning}' "
                        f"(leave --conditioning out or set it to {wanted})")
    return loaded


def apply_architecture(settings, loaded) -> None:
    """The settings take the checkpoint's architecture and size (stored, so --resume rebuilds the same)."""
    cfg = loaded.config
    for name in ARCHITECTURE:
        setattr(settings, name, getattr(cfg, name))
    if cfg.height != cfg.width:
        raise UserError(f"--init-from: the model's pictures are {cfg.height}x{cfg.width}; only square "
                        "models can be fine-tuned")
    settings.image_size = cfg.height
    kind = start_kind(loaded)
    if kind is not None:
        settings.conditioning = kind
    if kind in ("style", "autoencoder"):
        settings.code_dim = int(loaded.embedder["dim"])


def load_encoder(model, loaded) -> None:
    """The trained encoder's weights into the run's encoder (the decoder's are loaded with the model)."""
    state = {k: v.float() if v.is_floating_point() else v for k, v in loaded.embedder["state_dict"].items()}
    try:
        model.encoder.load_state_dict(state)
    except RuntimeError as exc:
        raise UserError(f"--init-from: the model's encoder does not fit ({str(exc).splitlines()[0]})") from None


def match_classes(train_set, test_set, model_classes: list[str] | None, num_classes: int, source: str) -> None:
    """Re-index the data's labels to the model's classes by name (in place), or say in one line why not."""
    from .evaluate import class_ids_for_model
    if not num_classes:
        # An unconditional model learns the pictures whatever their folders.
        train_set.labels = test_set.labels = None
        train_set.class_names = test_set.class_names = None
        return
    if train_set.labels is None:
        raise UserError(f"{source} is class-conditional ({num_classes} classes); these pictures have no classes "
                        "(put them in one sub-folder per class, named as the model's classes)")
    names = list(model_classes or [str(i) for i in range(num_classes)])
    data_names = list(train_set.class_names or [])
    unknown = [n for n in data_names if n not in names]
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise UserError(f"these classes are not among the model's ({', '.join(names[:12])}"
                        f"{' …' if len(names) > 12 else ''}): {shown}; rename the sub-folders or train from scratch")
    for dataset in (train_set, test_set):
        if dataset.labels is not None and len(dataset):
            dataset.labels = class_ids_for_model(dataset, names, num_classes)
        dataset.class_names = names


def data_notes(train_set) -> list[str]:
    """Lines worth a user's attention about the pictures a run trains on (folders, mostly)."""
    info = train_set.info or {}
    notes = []
    skipped = info.get("skipped") or 0
    if skipped:
        examples = ", ".join(info.get("skipped_examples", [])[:3])
        notes.append(f"skipped {skipped} file(s) that are not readable pictures" + (f" (e.g. {examples})"
                                                                                    if examples else ""))
    sizes = info.get("source_sizes") or []
    if len(sizes) > 1:
        h, w = train_set.image_size
        notes.append(f"pictures of {len(sizes)} different sizes (e.g. {', '.join(sizes[:3])}) were scaled to "
                     f"cover {h}x{w} and centre-cropped")
    elif sizes and sizes[0] != "x".join(map(str, train_set.image_size)):
        notes.append(f"pictures of {sizes[0]} were scaled to cover {'x'.join(map(str, train_set.image_size))} "
                     "and centre-cropped")
    empty = info.get("empty_classes") or []
    if empty:
        notes.append(f"sub-folders without readable pictures (their classes are not learnt): {', '.join(empty[:5])}")
    return notes
