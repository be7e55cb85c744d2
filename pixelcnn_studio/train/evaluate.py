"""Held-out bits/dim: used every epoch by the training loop and by `pixelcnn-studio eval`."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

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


@torch.no_grad()
def heldout_nll(model, images, labels, ctx: DistContext | None = None, *, batch_size: int = 256,
                autocast_dtype=None, embeddings=None) -> float:
    """Mean bits/dim of `images` under `model`; under DDP each rank scores every world_size-th image."""
    ctx = ctx or DistContext()
    was_training = model.training
    model.eval()
    idx = torch.arange(ctx.rank, images.shape[0], ctx.world_size)
    total, count = 0.0, 0
    for start in range(0, len(idx), batch_size):
        chunk = idx[start:start + batch_size]
        x = images[chunk].to(ctx.device, non_blocking=True)
        y = None if labels is None else labels[chunk].to(ctx.device)
        e = None if embeddings is None else embeddings[chunk].to(ctx.device)
        with torch.autocast(ctx.device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            logits = model(x, class_ids=y, embedding=e)
        nll = F.cross_entropy(logits.float(), x.long(), reduction="sum")
        total += float(nll)
        count += x.numel()
    total, count = all_sum([total, float(count)], ctx)
    model.train(was_training)
    return total / max(count, 1.0) / math.log(2.0)


def evaluate_checkpoint(path, spec: str, split: str = "test", limit: int | None = None,
                        batch_size: int = 256, device: str | None = "cpu", threads: int | None = None) -> dict:
    """Bits/dim of a checkpoint on a dataset split, with what was measured."""
    from ..errors import UserError
    from ..core import load_checkpoint
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
        data.images = data.images[:limit]
        data.labels = None if data.labels is None else data.labels[:limit]
    if len(data) == 0:
        raise UserError(f"the {split} split of {spec!r} is empty")
    labels = class_ids_for_model(data, loaded.class_names, cfg.num_classes)
    embeddings = None
    if cfg.embedding_dim:
        from .conditioning import checkpoint_embeddings
        embeddings = checkpoint_embeddings(loaded, data.images)
    bpd = heldout_nll(loaded.model.to(where), data.images, labels, DistContext(device=where), batch_size=batch_size,
                      embeddings=embeddings)
    return {"checkpoint": str(path), "data": spec, "split": split, "images": len(data), "device": str(where),
            "bits_per_dim": bpd, "nats_per_image": bpd * math.log(2.0) * cfg.channels * cfg.height * cfg.width}


def run_eval(args) -> int:
    import json
    import time
    t0 = time.perf_counter()
    result = evaluate_checkpoint(args.checkpoint, args.data, args.split, args.limit,
                                 device=args.device, threads=args.threads)
    result["seconds"] = round(time.perf_counter() - t0, 2)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['bits_per_dim']:.4f} bits/dim on {result['images']} {args.split} images of "
              f"{args.data} ({result['nats_per_image']:.1f} nats/image, {result['seconds']:.1f} s)")
    return 0
