"""`pixelcnn-studio sample`: images from a checkpoint to a PNG grid, raw NPY, or a GIF of the sampling."""
from __future__ import annotations

from pathlib import Path

import torch

from ..core.checkpoint import load_checkpoint
from ..core.plan import plan_run
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


def class_for(args, loaded):
    """The class every image is drawn from, or None: 'all' (the default) is one row per class."""
    from ..errors import UserError
    cfg = loaded.config
    if not cfg.num_classes:
        if args.class_:
            raise UserError("this model is not class-conditional; drop --class")
        return None
    if args.class_ is None or args.class_.lower() == "all":
        return None
    return resolve_class(args.class_, loaded.class_names, cfg.num_classes)


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
    # One sub-pixel is a handful of tiny matrix products: one thread is fastest, and extra
    # threads spinning against a busy machine slow each step down by orders of magnitude.
    torch.set_num_threads(1)
    loaded = load_checkpoint(args.checkpoint)
    cfg = loaded.config
    try:
        # The same plan as the app's: "all" is the app's "one row per class".
        plan = plan_run(args.n, num_classes=cfg.num_classes, class_names=loaded.class_names,
                        class_id=class_for(args, loaded), embedding=embedding_for(args, loaded, args.n),
                        seed=args.seed, temperature=args.temperature, greedy=args.greedy, method=args.method)
        stream = SampleStream(loaded.model, plan.n, **plan.sampler_arguments())
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    columns = plan.grid_columns
    frames, marks = [], set(frame_schedule(stream.total, GIF_FRAMES)) if kind == ".gif" else set()
    while (step := stream.step()) is not None:
        if step.index + 1 in marks:
            frames.append(make_grid(stream.image, columns=columns, scale=args.scale))
    images = stream.image.cpu()
    if kind == ".npy":
        save_npy(out, images)
    elif kind == ".png":
        save_png(out, make_grid(images, columns=columns, scale=args.scale))
    else:
        save_gif(out, frames)
    print(f"wrote {out} ({args.n} image(s), seed {args.seed})")
    return 0
