"""`pixelcnn-studio sample`: images from a checkpoint to a PNG grid, raw NPY, or a GIF of the sampling."""
from __future__ import annotations

import math
from pathlib import Path

import torch

from ..core.checkpoint import load_checkpoint
from ..core.devices import prepare, sampling_threads, set_threads
from ..core.export import frame_schedule, make_grid, save_gif, save_npy, save_png
from ..core.sampling import SampleStream

GIF_FRAMES = 120


def resolve_class(spec: str, class_names, num_classes: int) -> int:
    """A class given by name (case-insensitive) or index, checked against the model."""
    from ..errors import UserError
    if num_classes == 0:
        raise UserError("this model is not class-conditional; drop --class")
    names = list(class_names or [str(i) for i in range(num_classes)])
    lowered = [n.lower() for n in names]
    if spec.lower() in lowered:
        return lowered.index(spec.lower())
    if spec.lstrip("-").isdigit() and 0 <= int(spec) < num_classes:
        return int(spec)
    raise UserError(f"unknown class {spec!r}; this model's classes are: " +
                    ", ".join(f"{i}={n}" for i, n in enumerate(names)))


def class_ids_for(args, loaded, n: int):
    """Per-image class ids: one class for all, 'all' for one row per class, or none."""
    from ..errors import UserError
    cfg = loaded.config
    if not cfg.num_classes:
        if args.class_:
            raise UserError("this model is not class-conditional; drop --class")
        return None, None
    if args.class_ is None or args.class_.lower() == "all":
        per_row = max(1, n // cfg.num_classes)
        return torch.arange(n) // per_row % cfg.num_classes, per_row
    return torch.full((n,), resolve_class(args.class_, loaded.class_names, cfg.num_classes)), None


def embedding_for(args, loaded, n: int):
    from ..errors import UserError
    cfg = loaded.config
    if not cfg.embedding_dim:
        if args.portrait:
            raise UserError("this model is not conditioned on portraits; drop --portrait")
        return None
    if not args.portrait:
        raise UserError(f"this model is conditioned on a {cfg.embedding_dim}-D embedding: give --portrait IMAGE")
    from ..embed import embedder_for_checkpoint
    from ..embed.images import open_image
    # The checkpoint says which embedder it was trained with (a pretrained network, or its own encoder).
    vector = embedder_for_checkpoint(loaded).embed(open_image(args.portrait))
    return torch.as_tensor(vector, dtype=torch.float32).unsqueeze(0).expand(n, -1)


def run_sample(args) -> int:
    from ..errors import UserError
    out = Path(args.out)
    kind = out.suffix.lower()
    if kind not in (".png", ".npy", ".gif"):
        raise UserError(f"--out must end in .png, .npy or .gif, got {out.name!r}")
    if args.n < 1:
        raise UserError("--n must be at least 1")
    device = prepare(args.device, args.threads)
    loaded = load_checkpoint(args.checkpoint)
    if args.threads is None:
        set_threads(sampling_threads(loaded.config, args.n))
    model = loaded.model.to(device)
    class_ids, per_row = class_ids_for(args, loaded, args.n)
    embedding = embedding_for(args, loaded, args.n)
    try:
        stream = SampleStream(model, args.n, class_ids=class_ids, embedding=embedding, seed=args.seed,
                              temperature=args.temperature, greedy=args.greedy, method=args.method)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    columns = per_row if per_row and per_row > 1 else int(math.ceil(math.sqrt(args.n)))
    frames, marks = [], set(frame_schedule(stream.total, GIF_FRAMES)) if kind == ".gif" else set()
    while (step := stream.step()) is not None:
        if step.index + 1 in marks:
            frames.append(make_grid(stream.image.cpu(), columns=columns, scale=args.scale))
    images = stream.image.cpu()
    if kind == ".npy":
        save_npy(out, images)
    elif kind == ".png":
        save_png(out, make_grid(images, columns=columns, scale=args.scale))
    else:
        save_gif(out, frames)
    print(f"wrote {out} ({args.n} image(s), seed {args.seed})")
    return 0
