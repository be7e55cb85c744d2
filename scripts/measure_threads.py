"""Where more torch threads pay off: the cached sampler and the likelihood, per model and batch.

    python scripts/measure_threads.py [--repeats 3] [--steps 150] [--threads 1,2]

For each model shape and batch it times the same work with each thread count, interleaved in
one process so that the machine's load hits every column alike, and prints the median time and
its ratio to one thread. The rule in core/devices.py (and its figures in docs/benchmarks.md)
comes from this table.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from pixelcnn_studio.core.config import ModelConfig
from pixelcnn_studio.core.likelihood import bits_per_dim
from pixelcnn_studio.core.model import build_model
from pixelcnn_studio.core.sampling import SampleStream

SHAPES = {
    "bundled 28x28 grey (64x12)": ModelConfig(image_size=28, hidden=64, layers=12, kernel_size=5,
                                              output_hidden=128, num_classes=10),
    "bundled 32x32 RGB (64x10)": ModelConfig(image_size=32, channels=3, hidden=64, layers=10, kernel_size=5,
                                             output_hidden=128, num_classes=9),
    "paper 32x32 RGB (128x15)": ModelConfig(image_size=32, channels=3, hidden=128, layers=15, kernel_size=5,
                                            output_hidden=256, num_classes=10),
}


def time_sampling(model, batch: int, steps: int) -> float:
    """Seconds per sub-pixel step of the cached sampler, after a warm-up."""
    ids = torch.arange(batch) % model.config.num_classes
    stream = SampleStream(model, batch, class_ids=ids, seed=0)
    for _ in range(10):
        stream.step()
    t0 = time.perf_counter()
    for _ in range(steps):
        stream.step()
    return (time.perf_counter() - t0) / steps


def time_likelihood(model, batch: int) -> float:
    cfg = model.config
    x = torch.randint(0, cfg.levels, (batch, cfg.channels, cfg.height, cfg.width))
    ids = torch.arange(batch) % cfg.num_classes
    bits_per_dim(model, x[:2], class_ids=ids[:2])
    t0 = time.perf_counter()
    bits_per_dim(model, x, class_ids=ids, batch_size=batch)
    return (time.perf_counter() - t0) / batch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--threads", default="1,2", help="thread counts to compare (default 1,2)")
    parser.add_argument("--batches", default="1,16,64")
    args = parser.parse_args()
    counts = [int(t) for t in args.threads.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads by default; median of {args.repeats}\n")
    head = " | ".join(f"{t} thr" for t in counts)
    print(f"| work | model | batch | {head} | best vs 1 thread |")
    print("|---|---|---:|" + "---:|" * len(counts) + "---:|")
    for name, config in SHAPES.items():
        torch.manual_seed(0)
        model = build_model(config).eval()
        for work, batch_list in (("sample", batches), ("likelihood", [64])):
            for batch in batch_list:
                times = {t: [] for t in counts}
                for _ in range(args.repeats):
                    for t in counts:           # interleaved: load changes hit every column alike
                        torch.set_num_threads(t)
                        times[t].append(time_sampling(model, batch, args.steps) if work == "sample"
                                        else time_likelihood(model, batch))
                med = {t: statistics.median(v) for t, v in times.items()}
                unit = 1e3 if work == "sample" else 1e3
                cells = " | ".join(f"{med[t] * unit:.2f} ms" for t in counts)
                best = min(counts, key=lambda t: med[t])
                print(f"| {work} {'per step' if work == 'sample' else 'per image'} | {name} | {batch} | {cells} | "
                      f"{best} thr: {med[counts[0]] / med[best]:.2f}x |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
