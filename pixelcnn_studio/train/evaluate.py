"""Held-out bits/dim: used every epoch by the training loop and by `pixelcnn-studio eval`."""
from __future__ import annotations

import math

import torch
from ..core.likelihood import nll_from_logits
from ..core.safe_text import json_text, shown
from ..core.surprise import class_log_likelihoods as nats_per_class
from .distributed import DistContext, all_sum


def class_ids_for_model(dataset, class_names, num_classes: int):
    """Dataset labels re-indexed to the model's own class order (matched by name).

    A checkpoint carries its class-name -> index map, so the dataset's order on this machine
    must not matter; a dataset lacking one of the model's classes is a user error.
    """
    if not num_classes:
        return None
    from ..errors import UserError
    if dataset.labels is None:
        raise UserError(f"the model is class-conditional ({num_classes} classes) but {dataset.name!r} has no labels")
    data_names = list(dataset.class_names or [str(i) for i in range(int(dataset.labels.max()) + 1)])
    model_names = list(class_names or [str(i) for i in range(num_classes)])
    if data_names == model_names:
        return dataset.labels
    index = {n: i for i, n in enumerate(model_names)}
    missing = sorted(set(data_names) - set(index))
    if missing:
        raise UserError(f"dataset classes {missing} are not among the model's classes {model_names}")
    remap = torch.tensor([index[n] for n in data_names], dtype=torch.int64)
    return remap[dataset.labels]


# Images per scoring pass: small batches on a CPU, whose caches hold a small batch's activations from one
# layer to the next (1.66x as fast as 256 on two threads, the same figure to the last digit;
# docs/benchmarks.md, scripts/measure_scoring.py), large ones on a GPU.
CPU_SCORING_BATCH, GPU_SCORING_BATCH = 32, 256


def heldout_nll(model, images, labels, ctx: DistContext | None = None, *, batch_size: int | None = None,
                autocast_dtype=None, embeddings=None) -> float:
    """Mean bits/dim of `images` under `model`; under DDP each rank scores every world_size-th image."""
    return heldout_nll_and_prefix(model, images, labels, ctx, batch_size=batch_size, autocast_dtype=autocast_dtype,
                                  embeddings=embeddings)[0]


@torch.no_grad()
def heldout_nll_and_prefix(model, images, labels, ctx: DistContext | None = None, *, prefix: int = 0,
                           batch_size: int | None = None, autocast_dtype=None, embeddings=None) -> tuple[float, float]:
    """Mean bits/dim of all `images` and of their first `prefix`, in one pass (a run's curve is drawn on
    a prefix of the held-out split, and its end is scored on the whole split: one pass gives both)."""
    ctx = ctx or DistContext()
    if batch_size is None:
        batch_size = CPU_SCORING_BATCH if ctx.device.type == "cpu" else GPU_SCORING_BATCH
    was_training = model.training
    model.eval()
    idx = torch.arange(ctx.rank, images.shape[0], ctx.world_size)
    total, count, first_total, first_count = 0.0, 0, 0.0, 0
    for start in range(0, len(idx), batch_size):
        chunk = idx[start:start + batch_size]
        x = images[chunk].to(ctx.device, non_blocking=True)
        y = None if labels is None else labels[chunk].to(ctx.device)
        e = None if embeddings is None else embeddings[chunk].to(ctx.device)
        with torch.autocast(ctx.device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            logits = model(x, class_ids=y, embedding=e)
        per_image = nll_from_logits(logits.float(), x, reduction="none").flatten(1).double().sum(1).cpu()
        total += float(per_image.sum())
        count += x.numel()
        in_prefix = chunk < prefix
        if bool(in_prefix.any()):
            first_total += float(per_image[in_prefix].sum())
            first_count += int(in_prefix.sum()) * x[0].numel()
    total, count, first_total, first_count = all_sum([total, float(count), first_total, float(first_count)], ctx)
    model.train(was_training)
    return total / max(count, 1.0) / math.log(2.0), first_total / max(first_count, 1.0) / math.log(2.0)


def class_log_likelihoods(model, images, num_classes: int, *, batch_size: int = 64,
                          embeddings=None) -> torch.Tensor:
    """log2 p(x | c) of every image under every class, (N, num_classes) (core.surprise computes it in nats)."""
    if num_classes != model.config.num_classes:
        raise ValueError(f"the model has {model.config.num_classes} classes, not {num_classes}")
    return nats_per_class(model, images, batch_size=batch_size, embedding=embeddings) / math.log(2.0)


def bayes_classification(scores: torch.Tensor, labels: torch.Tensor, class_names) -> dict:
    """The model as a classifier with a uniform prior: argmax over c of log p(x | c)."""
    predicted = scores.argmax(dim=1)
    n = scores.shape[1]
    confusion = torch.zeros(n, n, dtype=torch.int64)
    confusion.index_put_((labels, predicted), torch.ones_like(labels), accumulate=True)
    per_class = {}
    for c, name in enumerate(class_names):
        total = int(confusion[c].sum())
        per_class[name] = None if total == 0 else int(confusion[c, c]) / total
    return {"accuracy": float((predicted == labels).double().mean()), "chance": 1.0 / n,
            "per_class_accuracy": per_class, "confusion": confusion.tolist()}


def evaluate_checkpoint(path, spec: str, split: str = "test", limit: int | None = None,
                        batch_size: int | None = None, classify: bool = False, device: str | None = "cpu",
                        threads: int | None = None) -> dict:
    """Bits/dim of a checkpoint on a dataset split, with what was measured."""
    from ..errors import UserError
    from ..core import load_checkpoint
    from ..core.box import is_box_model
    from ..core.devices import dense_threads, prepare, set_threads
    from ..data import load_dataset
    where = prepare(device, threads)
    if threads is None:
        set_threads(dense_threads())
    loaded = load_checkpoint(path)
    cfg = loaded.config
    data = load_dataset(spec, split, image_size=(cfg.height, cfg.width), channels=cfg.channels)
    if limit is not None:
        if limit < 1:
            raise UserError("--limit must be at least 1")
        data.keep_stratified(limit)
    if len(data) == 0:
        raise UserError(f"the {split} split of {spec!r} is empty")
    labels = class_ids_for_model(data, loaded.class_names, cfg.num_classes)
    embeddings = None
    if cfg.embedding_dim and is_box_model(cfg, loaded.embedder):
        if data.boxes is None:
            raise UserError(f"a box model is scored on data with a box per image (fashion-where), not {spec!r}")
        embeddings = data.boxes
    elif cfg.embedding_dim:
        from .conditioning import checkpoint_embeddings
        embeddings = checkpoint_embeddings(loaded, data.images, sources=data.sources, groups=data.groups)
    if classify and not cfg.num_classes:
        raise UserError("--classify needs a class-conditional model; this one has no classes")
    model = loaded.model.to(where)
    bpd = heldout_nll(model, data.images, labels, DistContext(device=where), batch_size=batch_size,
                      embeddings=embeddings)
    result = {"checkpoint": str(path), "data": spec, "split": split, "images": len(data), "device": str(where),
              "bits_per_dim": bpd, "nats_per_image": bpd * math.log(2.0) * cfg.channels * cfg.height * cfg.width}
    if classify:
        names = list(loaded.class_names or [str(i) for i in range(cfg.num_classes)])
        # Each picture keeps its own code (a style model's sibling glyph, a box) under every class.
        scores = class_log_likelihoods(model, data.images, cfg.num_classes, embeddings=embeddings)
        result["classification"] = {"class_names": names, **bayes_classification(scores, labels, names)}
    return result


def run_eval(args) -> int:
    import time

    t0 = time.perf_counter()
    result = evaluate_checkpoint(args.checkpoint, args.data, args.split, args.limit,
                                 classify=getattr(args, "classify", False), device=args.device, threads=args.threads)
    result["seconds"] = round(time.perf_counter() - t0, 2)
    if args.json:
        print(json_text(result))
    else:
        print(f"{result['bits_per_dim']:.4f} bits/dim on {result['images']} {args.split} images of "
              f"{shown(args.data, 200)} ({result['nats_per_image']:.1f} nats/image, {result['seconds']:.1f} s)")
        if "classification" in result:
            print(format_classification(result["classification"]))
    return 0


def format_classification(found: dict) -> str:
    lines = [f"as a Bayes classifier (argmax_c log p(x|c), uniform prior): accuracy "
             f"{found['accuracy']:.1%} (chance {found['chance']:.1%})"]
    # Class names come from the checkpoint: escaped, so none can drive the terminal.
    names = [shown(n, 40) for n in found["class_names"]]
    width = max(len(n) for n in names)
    for raw, name in zip(found["class_names"], names):
        share = found["per_class_accuracy"][raw]
        lines.append(f"  {name:<{width}}  " + ("no images" if share is None else f"{share:.0%}"))
    return "\n".join(lines)
