"""`pixelcnn-studio surprise`: how a model sees a picture (bits per sub-pixel, bits/dim, class posterior)."""
from __future__ import annotations

import torch

from ..core.checkpoint import load_checkpoint
from ..core.devices import dense_threads, prepare, set_threads
from ..core.export import check_output_path, save_png
from ..embed.scoring import class_label, score_picture
from ..render.surprise_map import map_picture
from ..core.safe_text import json_text, shown


def score_named_class(loaded, source, class_name: str | None = None):
    """(prepared picture, Surprise), the class given by name or index as on the command line."""
    from ..errors import UserError
    from .sample import resolve_class
    config = loaded.config
    class_id = None
    if class_name is not None:
        if not config.num_classes:
            raise UserError("this model is not class-conditional; drop --class")
        class_id = resolve_class(class_name, loaded.class_names, config.num_classes)
    return score_picture(loaded, source, class_id)


def report(loaded, result) -> dict:
    """The `--json` report (DESIGN.md section 4)."""
    posterior = None
    if result.class_posterior is not None:
        posterior = {class_label(loaded, k): float(p) for k, p in enumerate(result.class_posterior.tolist())}
    bits = result.bits[0] if result.bits.shape[0] == 1 else result.bits
    return {"bits_per_dim": result.bits_per_dim, "class": class_label(loaded, result.class_id),
            "class_posterior": posterior, "bits": bits.tolist()}


def format_report(loaded, prepared, result) -> str:
    lines = [f"bits/dim: {result.bits_per_dim:.3f}", f"picture: {shown(prepared.note, 300)}"]
    if result.class_posterior is not None:
        lines.append(f"class: {shown(class_label(loaded, result.class_id), 40)}")
        order = torch.argsort(result.class_posterior, descending=True)[:3].tolist()
        lines.append("p(class | picture): " + ", ".join(
            f"{shown(class_label(loaded, k), 40)} {float(result.class_posterior[k]):.3f}" for k in order))
    per_pixel = result.bits_per_pixel
    row, col = divmod(int(per_pixel.argmax()), per_pixel.shape[1])
    lines.append(f"most surprising pixel: row {row}, column {col} ({float(per_pixel.max()):.1f} bits)")
    return "\n".join(lines)


def run_surprise(args) -> int:
    from ..errors import UserError
    out = check_output_path(args.out, (".png",)) if args.out else None
    from ..embed.images import open_image
    picture = open_image(args.image)      # a bad picture fails before the model is loaded
    device = prepare(args.device, args.threads)
    loaded = load_checkpoint(args.checkpoint)
    if args.threads is None:
        set_threads(dense_threads())      # one pass over whole pictures: big convolutions
    loaded.model.to(device)               # in place: the scoring below runs where the model is
    prepared, result = score_named_class(loaded, picture, args.class_)
    if out is not None:
        try:
            save_png(out, map_picture(prepared.array, result))
        except OSError as exc:
            raise UserError(f"cannot write {shown(out, 200)}: {exc.strerror or exc}") from exc
    if args.json:
        print(json_text(report(loaded, result), indent=None))
    else:
        print(format_report(loaded, prepared, result))
        if out is not None:
            print(f"wrote {shown(out, 200)}")
    return 0
