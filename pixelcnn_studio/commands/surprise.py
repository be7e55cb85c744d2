"""`pixelcnn-studio surprise`: how a model sees a picture (bits per sub-pixel, bits/dim, class posterior)."""
from __future__ import annotations

import torch

from ..core.checkpoint import load_checkpoint
from ..core.devices import dense_threads, prepare, set_threads
from ..core.export import check_output_path, save_png
from ..core.surprise import surprise
from ..embed.prepare import PreparedPicture, prepare_picture, preparation_for
from ..render.surprise_map import map_picture
from ..safe_text import json_text, shown


def picture_embedding(loaded, prepared: PreparedPicture, source):
    """The conditioning vector of an embedding model for this picture: an auto-encoder's code of the
    prepared picture, or the face network's vector of the original; None for other models."""
    if not loaded.config.embedding_dim:
        return None
    from ..embed import embedder_for_checkpoint
    embedder = embedder_for_checkpoint(loaded)
    if hasattr(embedder, "input_of"):
        vector = embedder.encode(embedder.input_of(prepared))
    else:
        vector = embedder.embed(source)
    return torch.as_tensor(vector, dtype=torch.float32).unsqueeze(0)


def score_picture(loaded, source, class_name: str | None = None):
    """(prepared picture, Surprise) for a picture and a loaded checkpoint; the class by name or index."""
    from ..errors import UserError
    from .sample import resolve_class
    config = loaded.config
    class_id = None
    if class_name is not None:
        if not config.num_classes:
            raise UserError("this model is not class-conditional; drop --class")
        class_id = resolve_class(class_name, loaded.class_names, config.num_classes)
    prepared = prepare_picture(source, preparation_for(loaded))
    embedding = picture_embedding(loaded, prepared, source)
    return prepared, surprise(loaded.model, prepared.as_input(), class_id=class_id, embedding=embedding)


def class_label(loaded, class_id: int | None) -> str | None:
    if class_id is None:
        return None
    names = loaded.class_names or [str(i) for i in range(loaded.config.num_classes)]
    return str(names[class_id])


def report(loaded, result) -> dict:
    """The `--json` report (DESIGN.md section 4)."""
    posterior = None
    if result.class_posterior is not None:
        posterior = {class_label(loaded, k): float(p) for k, p in enumerate(result.class_posterior.tolist())}
    bits = result.bits[0] if result.bits.shape[0] == 1 else result.bits
    return {"bits_per_dim": result.bits_per_dim, "class": class_label(loaded, result.class_id),
            "class_posterior": posterior, "bits": bits.tolist()}


def format_report(loaded, prepared, result) -> str:
    lines = [f"bits/dim: {result.bits_per_dim:.3f}", f"picture: {prepared.note}"]
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
    prepared, result = score_picture(loaded, picture, args.class_)
    if out is not None:
        try:
            save_png(out, map_picture(prepared.array, result))
        except OSError as exc:
            raise UserError(f"cannot write {out}: {exc.strerror or exc}") from exc
    if args.json:
        print(json_text(report(loaded, result), indent=None))
    else:
        print(format_report(loaded, prepared, result))
        if out is not None:
            print(f"wrote {out}")
    return 0
