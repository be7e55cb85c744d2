"""The fashion-where card's figure: does the garment land in the box, and is it the garment asked for?

Over random boxes (drawn as the training pictures' boxes are, from their own seed) and every class in
turn, the box model draws one picture per (class, box). Two figures come out:

- ink inside: the share of each sample's ink (levels above 16, as the data's own rule) inside the box
  asked for (1.0 for every held-out picture, by construction);
- read as asked: the share of box crops, resized to 28x28, that a Fashion-MNIST classifier reads as
  the class asked. The judge is a small classifier (784-256-10, three epochs, seeded) trained here on the
  box crops of the fashion-where training pictures, so it knows garments stretched to any aspect; its own
  accuracy on the crops of held-out pictures (real garments in their boxes) is measured beside it: the
  ceiling the samples can be held to. `--bayes N` adds a second judge on the first N samples: the bundled
  class-conditional `fashion-mnist` model as a Bayes classifier (argmax over c of log p(crop | c)), with
  its accuracy on N held-out crops beside it (slow on a CPU: ten forward passes a crop).

    python scripts/where_figure.py fashion-where --per-class 20 --out figure.png --json figure.json

The PNG shows the first samples with their boxes (green: read as asked; red: not) and the figures.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np
import torch
from PIL import Image, ImageDraw

from pixelcnn_studio.core import load_checkpoint, sample
from pixelcnn_studio.core.box import box_pixels, ink_inside_share, is_box_model
from pixelcnn_studio.data import fashion_where as fw
from pixelcnn_studio.paths import resolve_checkpoint
from pixelcnn_studio.train.evaluate import class_log_likelihoods

FIGURE_SEED = 7      # the boxes' seed: not the training data's (20161205)
JUDGE_SIDE = 28


def random_boxes(count: int, canvas: int, seed: int = FIGURE_SEED) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.array([fw.box_fractions(fw.random_box(rng, canvas), canvas) for _ in range(count)], dtype=np.float32)


def box_crops(images: np.ndarray, boxes: np.ndarray) -> torch.Tensor:
    """Each image's box cut out and resized to 28x28 (uint8, (N, 1, 28, 28)), as the judge reads it."""
    crops = []
    for image, box in zip(images, boxes):
        left, top, right, bottom = box_pixels(box, *image.shape[-2:])
        crop = Image.fromarray(np.ascontiguousarray(image[0, top:bottom, left:right]))
        crops.append(np.asarray(crop.resize((JUDGE_SIDE, JUDGE_SIDE), Image.Resampling.BILINEAR)))
    return torch.from_numpy(np.stack(crops)[:, None])


def judge_reads(judge, crops: torch.Tensor) -> np.ndarray:
    scores = class_log_likelihoods(judge.model, crops, judge.config.num_classes)
    return scores.argmax(dim=1).numpy()


def train_judge(crops: torch.Tensor, labels: torch.Tensor, epochs: int = 3, seed: int = 0) -> torch.nn.Module:
    """A 784-256-10 classifier of 28x28 crops, trained with Adam on the given crops."""
    torch.manual_seed(seed)
    judge = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(JUDGE_SIDE * JUDGE_SIDE, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 10))
    optimiser = torch.optim.Adam(judge.parameters(), lr=1e-3)
    x = crops.float() / 255.0
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for batch in torch.randperm(len(x), generator=generator).split(256):
            loss = torch.nn.functional.cross_entropy(judge(x[batch]), labels[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return judge.eval()


@torch.no_grad()
def classifier_reads(judge, crops: torch.Tensor) -> np.ndarray:
    return judge(crops.float() / 255.0).argmax(dim=1).numpy()


def draw_figure(images, boxes, asked, hit, names, lines, columns=10, rows=4, scale=3) -> Image.Image:
    side = images.shape[-1] * scale
    text_height = 16 * (len(lines) + 1)
    sheet = Image.new("RGB", (columns * (side + 4) + 4, rows * (side + 18) + text_height), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    for k in range(min(len(images), columns * rows)):
        x, y = 4 + (k % columns) * (side + 4), text_height + (k // columns) * (side + 18)
        tile = Image.fromarray(images[k, 0]).resize((side, side), Image.Resampling.NEAREST).convert("RGB")
        sheet.paste(tile, (x, y))
        left, top, right, bottom = (v * scale for v in box_pixels(boxes[k], *images.shape[-2:]))
        colour = (80, 220, 120) if hit[k] else (240, 80, 80)
        draw.rectangle([x + left, y + top, x + right - 1, y + bottom - 1], outline=colour)
        draw.text((x, y + side + 2), names[asked[k]][:14], fill=(220, 220, 220))
    for i, line in enumerate(lines):
        draw.text((6, 4 + 16 * i), line, fill=(235, 235, 235))
    return sheet


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="a box model (.pt or a bundled name)")
    parser.add_argument("--per-class", type=int, default=20, help="samples per class (default 20)")
    parser.add_argument("--bayes", type=int, default=0,
                        help="also judge the first N samples with the bundled fashion-mnist model (default 0)")
    parser.add_argument("--bayes-judge", default="fashion-mnist", help="the class-conditional model --bayes uses")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", default="fashion-where-figure.png")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    loaded = load_checkpoint(resolve_checkpoint(args.checkpoint))
    if not is_box_model(loaded.config, loaded.embedder):
        print(f"{args.checkpoint}: not a box model", file=sys.stderr)
        return 2
    from pixelcnn_studio.data import load_dataset
    names, canvas = list(loaded.class_names), loaded.config.width
    count = args.per_class * len(names)
    asked = np.arange(count) % len(names)
    boxes = random_boxes(count, canvas)
    started = time.monotonic()
    images = sample(loaded.model, count, class_ids=torch.from_numpy(asked), embedding=torch.from_numpy(boxes),
                    seed=args.seed).numpy()
    sampling_seconds = time.monotonic() - started
    inside = np.array([ink_inside_share(image, box, ink_level=fw.INK_LEVEL) for image, box in zip(images, boxes)])
    crops = box_crops(images, boxes)

    # The judge learns from the training pictures' crops and is scored on the held-out pictures' crops.
    data = {split: load_dataset("fashion-where", split, image_size=canvas) for split in ("train", "test")}
    for split in data.values():
        if list(split.class_names) != names:
            print("the box model's classes are not fashion-where's", file=sys.stderr)
            return 2
    real = {k: box_crops(d.images.numpy(), d.boxes.numpy()) for k, d in data.items()}
    judge = train_judge(real["train"], data["train"].labels)
    judge_accuracy = float((classifier_reads(judge, real["test"]) == data["test"].labels.numpy()).mean())
    read = classifier_reads(judge, crops)
    result = {
        "checkpoint": str(args.checkpoint), "samples": count, "seed": args.seed, "box_seed": FIGURE_SEED,
        "sampling_seconds": round(sampling_seconds, 1),
        "ink_inside_mean": float(inside.mean()), "ink_inside_median": float(np.median(inside)),
        "ink_inside_at_least_90": float((inside >= 0.9).mean()),
        # What the ink-inside share would be for ink spread evenly over the canvas: the box's area.
        "box_area_mean": float(((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).mean()),
        "judge": "784-256-10 classifier trained on the fashion-where training crops",
        "read_as_asked": float((read == asked).mean()),
        "read_as_asked_per_class": {n: float((read[asked == c] == c).mean()) for c, n in enumerate(names)},
        "judge_accuracy_on_held_out_crops": judge_accuracy, "held_out_pictures": len(data["test"]),
        "chance": 1.0 / len(names),
    }
    if args.bayes:
        bayes = load_checkpoint(resolve_checkpoint(args.bayes_judge))
        to_bayes = np.array([list(bayes.class_names).index(n) for n in names])   # class orders matched by name
        test = data["test"]
        test.keep_stratified(args.bayes)
        real_read = judge_reads(bayes, box_crops(test.images.numpy(), test.boxes.numpy()))
        sample_read = judge_reads(bayes, crops[:args.bayes])
        result["bayes_judge"] = {
            "model": args.bayes_judge, "samples": min(args.bayes, count),
            "read_as_asked": float((sample_read == to_bayes[asked[:args.bayes]]).mean()),
            "accuracy_on_held_out_crops": float((real_read == to_bayes[test.labels.numpy()]).mean()),
            "held_out_pictures": len(test)}
    lines = [f"{count} samples in random boxes: ink inside the box asked for {result['ink_inside_mean']:.1%} "
             f"(mean; the boxes cover {result['box_area_mean']:.0%} of the canvas), "
             f"{result['ink_inside_at_least_90']:.0%} of samples with at least 90%",
             f"box crops read as the class asked: {result['read_as_asked']:.1%} (the judge on crops of "
             f"{result['held_out_pictures']:,} held-out real garments: {judge_accuracy:.1%}; chance 10%)"]
    draw_figure(images, boxes, asked, read == asked, names, lines).save(args.out)
    text = json.dumps(result, indent=2)
    if args.json:
        with open(args.json, "w") as handle:
            handle.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
