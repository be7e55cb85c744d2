"""`pixelcnn-studio bench`: sampler and likelihood throughput, printed as a table.

Every row runs in a fresh child process so that its peak memory can be read from the
kernel (`ru_maxrss`) without the other rows' allocations mixed in. Figures are the median of
`--repeats` runs; the naive sampler is timed over a fixed number of steps (a whole naive
grid takes minutes) and its full-grid time is extrapolated, which the table marks with "~".
"""
from __future__ import annotations

import multiprocessing
import os
import platform
import resource
import statistics
import time
from pathlib import Path

import torch

from ..core.config import ModelConfig
from ..core.likelihood import bits_per_dim
from ..core.model import build_model
from ..core.sampling import SampleStream
from ..safe_text import json_text

NAIVE_STEPS = 6


def bench_configs(quick: bool) -> list[tuple[str, ModelConfig]]:
    """The shapes of the bundled models (their presets), plus one of the paper's size for scale."""
    if quick:
        return [("tiny 8x8 grey", ModelConfig(image_size=8, hidden=8, layers=2, num_classes=2))]
    from ..train.presets import PRESETS
    configs = []
    for name, shape in (("fashion-mnist", dict(image_size=28, channels=1, num_classes=10)),
                        ("emoji", dict(image_size=32, channels=3, num_classes=9))):
        p = PRESETS[name]
        configs.append((f"{name} ({p['hidden']}x{p['layers']})",
                        ModelConfig(hidden=p["hidden"], layers=p["layers"], kernel_size=p["kernel_size"],
                                    output_hidden=p["output_hidden"], **shape)))
    configs.append(("28x28 grey, paper size (128x15)",
                    ModelConfig(image_size=28, hidden=128, layers=15, kernel_size=5, output_hidden=256,
                                num_classes=10)))
    return configs


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _measure(config: ModelConfig, method: str, batch: int, threads: int, queue) -> None:
    """Child process: time one sampler on one model and report throughput and memory."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build_model(config).eval()
    ids = torch.arange(batch) % config.num_classes if config.num_classes else None
    start_rss = _rss_mb()
    stream = SampleStream(model, batch, class_ids=ids, seed=0, method=method)
    t0 = time.perf_counter()
    if method == "naive":
        stream.step()                     # warm-up: first-call allocations are not the steady state
        t0 = time.perf_counter()
        for _ in range(NAIVE_STEPS):
            stream.step()
        per_step = (time.perf_counter() - t0) / NAIVE_STEPS
        grid_s = per_step * stream.total
    else:
        stream.run()
        grid_s = time.perf_counter() - t0
        per_step = grid_s / stream.total
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"subpixels_per_s": batch / per_step, "grid_s": grid_s,
               "peak_mb": max(0.0, peak_mb - start_rss)})


def _measure_likelihood(config: ModelConfig, threads: int, queue) -> None:
    torch.set_num_threads(threads)
    model = build_model(config).eval()
    x = torch.randint(0, config.levels, (64, config.channels, config.height, config.width))
    ids = torch.arange(64) % config.num_classes if config.num_classes else None
    bits_per_dim(model, x[:8], class_ids=ids[:8] if ids is not None else None)
    t0 = time.perf_counter()
    bits_per_dim(model, x, class_ids=ids, batch_size=64)
    queue.put({"images_per_s": 64 / (time.perf_counter() - t0)})


def _in_child(target, *args) -> dict:
    # spawn, not fork: a forked child inherits a broken OpenMP pool and runs many times slower.
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get(timeout=1800)
    proc.join()
    return result


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def run_benchmarks(quick: bool = False, repeats: int = 3, threads: int = 1) -> dict:
    rows, likelihood = [], []
    for name, config in bench_configs(quick):
        for batch in (1, 16):
            row = {"model": name, "batch": batch}
            for method in ("naive", "cached"):
                runs = [_in_child(_measure, config, method, batch, threads) for _ in range(repeats)]
                row[method] = {k: _median(runs, k) for k in runs[0]}
            row["speed-up"] = row["cached"]["subpixels_per_s"] / row["naive"]["subpixels_per_s"]
            rows.append(row)
        runs = [_in_child(_measure_likelihood, config, threads) for _ in range(repeats)]
        likelihood.append({"model": name, "images_per_s": _median(runs, "images_per_s")})
    return {
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "threads": threads, "torch": torch.__version__, "python": platform.python_version()},
        "repeats": repeats, "sampling": rows, "likelihood": likelihood,
    }


def format_table(result: dict) -> str:
    m = result["machine"]
    lines = [f"machine: {m['cores']} cores ({m['cpu']}), {m['threads']} torch threads, torch {m['torch']}; "
             f"median of {result['repeats']} runs",
             "",
             "| model | batch | naive sub-px/s | cached sub-px/s | speed-up | cached grid | naive grid | "
             "cached peak MB | naive peak MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["sampling"]:
        n, c = r["naive"], r["cached"]
        lines.append(f"| {r['model']} | {r['batch']} | {n['subpixels_per_s']:,.0f} | {c['subpixels_per_s']:,.0f} | "
                     f"{r['speed-up']:.0f}x | {c['grid_s']:.2f} s | ~{n['grid_s']:.0f} s | "
                     f"{c['peak_mb']:.0f} | {n['peak_mb']:.0f} |")
    lines += ["", "| model | likelihood (bits/dim) images/s, batch 64 |", "|---|---:|"]
    for r in result["likelihood"]:
        lines.append(f"| {r['model']} | {r['images_per_s']:,.0f} |")
    return "\n".join(lines)


def run_bench(args) -> int:
    if getattr(args, "train", False) or getattr(args, "profile", False):
        from .bench_train import format_train_table, run_profiles, run_train_benchmarks
        threads = args.threads
        if args.profile:
            print(run_profiles(args.quick, args.batch, threads))
            return 0
        result = run_train_benchmarks(quick=args.quick, batch=args.batch, steps=max(1, args.repeats),
                                      threads=threads, compile_too=args.compile)
        print(json_text(result) if args.json else format_train_table(result))
        return 0
    result = run_benchmarks(quick=args.quick, repeats=max(1, args.repeats), threads=max(1, args.threads or 1))
    print(json_text(result) if args.json else format_table(result))
    return 0
