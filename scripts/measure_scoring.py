"""How fast a checkpoint's held-out score is computed on this CPU, by batch size (the same figure each time).

    python scripts/measure_scoring.py fashion-mnist --data fashion-mnist --images 1000 --threads 2 --batches 8,16,32,256

Each batch size scores the same images twice (the first pass warms the caches and is not counted); the
rows take turns over `--repeats` rounds so a load that comes and goes slows all of them alike, and the
table gives each row's median images/s and its ratio to the last batch size listed (the reference).
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from pixelcnn_studio.core import load_checkpoint
from pixelcnn_studio.data import load_dataset
from pixelcnn_studio.paths import resolve_checkpoint
from pixelcnn_studio.train.evaluate import class_ids_for_model, heldout_nll


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="a .pt file or a bundled model's name")
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batches", default="16,32,64,256", help="comma-separated; the last is the reference")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    loaded = load_checkpoint(resolve_checkpoint(args.checkpoint))
    cfg = loaded.config
    data = load_dataset(args.data, "test", image_size=(cfg.height, cfg.width), channels=cfg.channels)
    data.keep_stratified(args.images)
    labels = class_ids_for_model(data, loaded.class_names, cfg.num_classes)
    embeddings = data.boxes if cfg.embedding_dim else None
    model = loaded.model.float().eval()
    batches = [int(b) for b in args.batches.split(",")]
    rates: dict[int, list[float]] = {b: [] for b in batches}
    figures: dict[int, float] = {}
    for _ in range(args.repeats):
        for batch in batches:
            heldout_nll(model, data.images, labels, batch_size=batch, embeddings=embeddings)
            started = time.perf_counter()
            figures[batch] = heldout_nll(model, data.images, labels, batch_size=batch, embeddings=embeddings)
            rates[batch].append(len(data) / (time.perf_counter() - started))
    reference = statistics.median(rates[batches[-1]])
    print(f"{args.checkpoint} on {len(data)} held-out {args.data} images, {args.threads} thread(s), "
          f"median of {args.repeats}\n")
    print("| batch | images/s | against batches of %d | bits/dim |" % batches[-1])
    print("|---:|---:|---:|---:|")
    for batch in batches:
        rate = statistics.median(rates[batch])
        print(f"| {batch} | {rate:.0f} | {rate / reference:.2f}x | {figures[batch]:.5f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
