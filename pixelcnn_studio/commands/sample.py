"""`pixelcnn-studio sample`: images from a checkpoint to a PNG grid, raw NPY, or a GIF of the sampling."""
from __future__ import annotations

import math
from pathlib import Path

import torch

from ..core.box import DEFAULT_BOX, is_box_model, parse_box
from ..core.checkpoint import load_checkpoint
from ..core.config import MAX_IMAGE_SIDE as LARGEST_CANVAS
from ..core.devices import prepare, sampling_threads, set_threads
from ..core.export import check_output_path, frame_schedule, grid_shape, make_grid, save_gif, save_npy, save_png
from ..core.memory import fits, format_bytes, limit_text
from ..core.plan import characters_are_classes, plan_run, plan_text
from ..core.sampling import SampleStream, run_bytes
from ..core.safe_text import shown

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
    raise UserError(f"unknown class '{shown(spec, 40)}'; this model's classes are: " +
                    ", ".join(f"{i}={shown(n, 30)}" for i, n in enumerate(names[:30]))
                    + (f" and {len(names) - 30} more" if len(names) > 30 else ""))


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


def box_for(args, loaded):
    """The box every image is drawn in (a box model), or None; other models refuse --box."""
    from ..errors import UserError
    cfg = loaded.config
    if not is_box_model(cfg, loaded.embedder):
        if args.box is not None:
            raise UserError("this model has no location conditioning; drop --box")
        return None
    if args.portrait:
        raise UserError("this model is conditioned on a box, not a portrait: give --box X0,Y0,X1,Y1, drop --portrait")
    try:
        return DEFAULT_BOX if args.box is None else parse_box(args.box, cfg.height, cfg.width)
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def embedding_for(args, loaded, n: int):
    from ..errors import UserError
    cfg = loaded.config
    if is_box_model(cfg, loaded.embedder):
        return None         # the box is the embedding: see box_for
    if not cfg.embedding_dim:
        if args.portrait:
            raise UserError("this model is not conditioned on portraits; drop --portrait")
        return None
    if not args.portrait:
        raise UserError(f"this model is conditioned on a {cfg.embedding_dim}-D embedding: give --portrait IMAGE")
    from ..embed import embedder_for_checkpoint
    from ..embed.images import open_image
    # The checkpoint says which embedder it was trained with (a pretrained network, or its own encoder).
    # For a letters style model the "portrait" is one glyph: its style code conditions every character.
    vector = embedder_for_checkpoint(loaded).embed(open_image(args.portrait))
    return torch.as_tensor(vector, dtype=torch.float32).unsqueeze(0).expand(n, -1)


# torch.Generator.manual_seed takes any 64-bit pattern, signed or not.
SEED_RANGE = (-(2 ** 63), 2 ** 64 - 1)
# The GIF format stores each side in 16 bits.
GIF_MAX_SIDE = 65_535


def check_arguments(args) -> tuple[Path, str]:
    """Every argument that can be judged without the model, before anything is loaded."""
    from ..errors import UserError
    out = check_output_path(args.out, (".png", ".npy", ".gif"))
    if args.n < 1:
        raise UserError("--n must be at least 1")
    if args.scale < 1:
        raise UserError(f"--scale must be at least 1 (1 = one screen pixel per image pixel), got {args.scale}")
    if not SEED_RANGE[0] <= args.seed <= SEED_RANGE[1]:
        raise UserError(f"--seed must lie between -2**63 and 2**64 - 1, got {args.seed}")
    if not args.greedy and not (math.isfinite(args.temperature) and args.temperature > 0):
        raise UserError(f"--temperature must be a number above 0 (or use --greedy), got {args.temperature}")
    if getattr(args, "text", None) is not None:
        if args.class_ is not None:
            raise UserError("--text gives each image its class (its character): drop --class")
        if not args.text.strip(" "):
            raise UserError("--text has no character to draw")
    if args.box is not None:
        # Form, range and order now; thinness once the model's canvas is known (box_for).
        try:
            parse_box(args.box, LARGEST_CANVAS, LARGEST_CANVAS)
        except ValueError as exc:
            raise UserError(str(exc)) from exc
    return out, out.suffix.lower()


def check_sizes(args, config, kind: str, columns: int) -> None:
    """The run and the file it writes against the memory left, before the first step."""
    from ..errors import UserError
    need = run_bytes(config, args.n, args.method)
    if kind in (".png", ".gif"):
        rows, cols = grid_shape(args.n, config.height, config.width, columns=columns, scale=args.scale)
        if kind == ".gif" and max(rows, cols) > GIF_MAX_SIDE:
            raise UserError(f"a GIF of {args.n} images at --scale {args.scale} would be {cols}x{rows} pixels; "
                            f"GIF allows at most {GIF_MAX_SIDE} a side: lower --n or --scale")
        # The grid, its scaled-up copy of the images, and Pillow's copy while writing; every frame for a GIF.
        frames = min(GIF_FRAMES, config.channels * config.height * config.width) if kind == ".gif" else 1
        need += 3 * rows * cols * 3 * (frames + 2)
    if not fits(need):
        raise UserError(f"{args.n} image(s) of {config.height}x{config.width}"
                        + (f" at --scale {args.scale} as {kind[1:].upper()}" if kind != ".npy" else "")
                        + f" would need about {format_bytes(need)}; {limit_text()}: lower --n"
                        + (" or --scale" if kind != ".npy" else ""))


def run_sample(args) -> int:
    from ..errors import UserError
    out, kind = check_arguments(args)
    device = prepare(args.device, args.threads)
    loaded = load_checkpoint(args.checkpoint)
    cfg = loaded.config
    box = box_for(args, loaded)
    if args.threads is None:
        set_threads(sampling_threads(cfg, args.n))
    text = getattr(args, "text", None)
    if text is not None:
        if not characters_are_classes(loaded.class_names):
            raise UserError("--text needs a model whose classes are characters (e.g. letters); "
                            "this one's are not: use --class")
        args.n = len(text)   # the sizes below count every cell, spaces included
    # Checked on a square grid before the plan lists every image, then on the plan's own grid.
    check_sizes(args, cfg, kind, int(math.ceil(math.sqrt(args.n))))
    try:
        if text is not None:   # one image per character, in order; spaces are blank cells
            plan = plan_text(text, loaded.class_names, embedding=embedding_for(args, loaded, 1),
                             seed=args.seed, temperature=args.temperature, greedy=args.greedy, method=args.method)
        else:
            # The same plan as the app's: "all" is the app's "one row per class".
            plan = plan_run(args.n, num_classes=cfg.num_classes, class_names=loaded.class_names,
                            class_id=class_for(args, loaded), embedding=embedding_for(args, loaded, args.n), box=box,
                            seed=args.seed, temperature=args.temperature, greedy=args.greedy, method=args.method)
        columns = plan.grid_columns
        check_sizes(args, cfg, kind, columns)
        stream = SampleStream(loaded.model.to(device), plan.n, **plan.sampler_arguments())
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    frames, marks = [], set(frame_schedule(stream.total, GIF_FRAMES)) if kind == ".gif" else set()
    while (step := stream.step()) is not None:
        if step.index + 1 in marks:
            frames.append(make_grid(plan.laid_out(stream.image.cpu()), columns=columns, scale=args.scale))
    images = stream.image.cpu()
    if kind == ".npy":
        save_npy(out, images)          # the drawn characters only: a text's spaces hold no image
    elif kind == ".png":
        save_png(out, make_grid(plan.laid_out(images), columns=columns, scale=args.scale))
    else:
        save_gif(out, frames)
    print(f"wrote {shown(out, 100)} ({plan.n} image(s), seed {args.seed})")
    return 0
