"""A typed word against a Fashion-MNIST grid: seconds to sample a 9-character word with the letters model
and a 16-image grid with the bundled fashion-mnist model, alternately in one process, one torch thread,
the cached sampler (what the app runs at maximum speed).

    python scripts/letters_speed.py [letters] [--repeats 3]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default="letters")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from pixelcnn_studio import load_checkpoint, sample
    from pixelcnn_studio.core.plan import plan_text
    from pixelcnn_studio.paths import resolve_checkpoint
    torch.set_num_threads(1)
    letters = load_checkpoint(resolve_checkpoint(args.model))
    fashion = load_checkpoint(resolve_checkpoint("fashion-mnist")).model
    plan = plan_text("PIXELCNNS", letters.class_names)
    ids = torch.tensor(plan.class_ids)
    code = None
    if letters.config.embedding_dim:
        code = torch.zeros(len(ids), letters.config.embedding_dim)
    word, grid = [], []
    for r in range(args.repeats):
        t = time.perf_counter()
        sample(letters.model, len(ids), class_ids=ids, embedding=code, seed=r)
        word.append(time.perf_counter() - t)
        t = time.perf_counter()
        sample(fashion, 16, class_ids=torch.arange(16) % 10, seed=r)
        grid.append(time.perf_counter() - t)
    w, g = statistics.median(word), statistics.median(grid)
    print(f"9-character word ({args.model}): {w:.2f} s; 16-image fashion-mnist grid: {g:.2f} s; ratio {w / g:.2f} "
          f"(medians of {args.repeats})")


if __name__ == "__main__":
    main()
