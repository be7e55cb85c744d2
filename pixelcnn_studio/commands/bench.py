"""`pixelcnn-studio bench`: sampler and likelihood throughput, printed as a table.

Every row runs in a fresh child process so that its peak memory can be read from the
kernel (`ru_maxrss`) without the other rows' allocations mixed in. Figures are the median of
`--repeats` runs; the naive sampler is timed over a fixed number of steps (a whole naive
grid takes minutes) and its full-grid time is extrapolated, which the table marks with "~".
"""
from __future__ import annotations

import os
import platform
import resource
import statistics
import time

import torch

from ..core.config import ModelConfig
from ..core.devices import dense_threads, describe_device, prepare, sampling_threads, set_threads, synchronize
from ..core.likelihood import bits_per_dim
from ..core.model import build_model
from ..core.sampling import SampleStream
from ..core.safe_text import json_text
from .bench_shapes import bench_configs, in_child

NAIVE_STEPS = 6


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb(device: torch.device, start_rss: float) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return max(0.0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - start_rss)


def _measure(config: ModelConfig, method: str, batch: int, threads: int | None, device: str, queue) -> None:
    """Child process: time one sampler on one model and report throughput and memory."""
    where = torch.device(device)
    set_threads(threads if threads is not None else sampling_threads(config, batch))
    torch.manual_seed(0)
    model = build_model(config).eval().to(where)
    ids = torch.arange(batch) % config.num_classes if config.num_classes else None
    start_rss = _rss_mb()
    stream = SampleStream(model, batch, class_ids=ids, seed=0, method=method)
    t0 = time.perf_counter()
    if method == "naive":
        stream.step()                     # warm-up: first-call allocations are not the steady state
        synchronize(where)
        t0 = time.perf_counter()
        for _ in range(NAIVE_STEPS):
            stream.step()
        synchronize(where)
        per_step = (time.perf_counter() - t0) / NAIVE_STEPS
        grid_s = per_step * stream.total
    else:
        stream.run()
        synchronize(where)
        grid_s = time.perf_counter() - t0
        per_step = grid_s / stream.total
    queue.put({"subpixels_per_s": batch / per_step, "grid_s": grid_s, "peak_mb": _peak_mb(where, start_rss),
               "threads": torch.get_num_threads()})


def _measure_likelihood(config: ModelConfig, threads: int | None, device: str, queue) -> None:
    where = torch.device(device)
    set_threads(threads if threads is not None else dense_threads())
    model = build_model(config).eval().to(where)
    x = torch.randint(0, config.levels, (64, config.channels, config.height, config.width), device=where)
    ids = torch.arange(64, device=where) % config.num_classes if config.num_classes else None
    bits_per_dim(model, x[:8], class_ids=ids[:8] if ids is not None else None)
    synchronize(where)
    t0 = time.perf_counter()
    bits_per_dim(model, x, class_ids=ids, batch_size=64)
    synchronize(where)
    queue.put({"images_per_s": 64 / (time.perf_counter() - t0), "threads": torch.get_num_threads()})


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def run_benchmarks(quick: bool = False, repeats: int = 3, threads: int | None = None, device: str = "cpu") -> dict:
    """`threads` None: each row uses the count the commands would choose (core/devices.py)."""
    rows, likelihood = [], []
    for name, config in bench_configs(quick):
        for batch in (1, 16):
            row = {"model": name, "batch": batch}
            for method in ("naive", "cached"):
                runs = [in_child(_measure, config, method, batch, threads, device) for _ in range(repeats)]
                row[method] = {k: _median(runs, k) for k in runs[0]}
            row["speed-up"] = row["cached"]["subpixels_per_s"] / row["naive"]["subpixels_per_s"]
            rows.append(row)
        runs = [in_child(_measure_likelihood, config, threads, device) for _ in range(repeats)]
        likelihood.append({"model": name, "images_per_s": _median(runs, "images_per_s"),
                           "threads": _median(runs, "threads")})
    return {
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "threads": "per row" if threads is None else threads, "device": describe_device(device),
                    "torch": torch.__version__, "python": platform.python_version()},
        "repeats": repeats, "sampling": rows, "likelihood": likelihood,
    }


def format_table(result: dict) -> str:
    m = result["machine"]
    lines = [f"machine: {m['cores']} cores ({m['cpu']}), device {m['device']}, torch threads {m['threads']}, "
             f"torch {m['torch']}; median of {result['repeats']} runs",
             "",
             "| model | batch | threads | naive sub-px/s | cached sub-px/s | speed-up | cached grid | naive grid | "
             "cached peak MB | naive peak MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["sampling"]:
        n, c = r["naive"], r["cached"]
        lines.append(f"| {r['model']} | {r['batch']} | {c['threads']:.0f} | {n['subpixels_per_s']:,.0f} | "
                     f"{c['subpixels_per_s']:,.0f} | {r['speed-up']:.0f}x | {c['grid_s']:.2f} s | "
                     f"~{n['grid_s']:.0f} s | "
                     f"{c['peak_mb']:.0f} | {n['peak_mb']:.0f} |")
    lines += ["", "| model | threads | likelihood (bits/dim) images/s, batch 64 |", "|---|---:|---:|"]
    for r in result["likelihood"]:
        lines.append(f"| {r['model']} | {r['threads']:.0f} | {r['images_per_s']:,.0f} |")
    return "\n".join(lines)


def run_bench(args) -> int:
    device = prepare(args.device, args.threads)     # a bad --device or --threads fails before any run
    if getattr(args, "train", False) or getattr(args, "profile", False):
        if args.device not in ("auto", "cpu"):
            from ..errors import UserError
            raise UserError("--train and --profile time the training step on the CPU; drop --device")
        from .bench_train import print_train_benchmarks, run_profiles, run_train_benchmarks
        threads = args.threads
        if args.profile:
            run_profiles(args.quick, args.batch, threads)
        elif args.json:
            print(json_text(run_train_benchmarks(quick=args.quick, batch=args.batch, steps=max(1, args.repeats),
                                                threads=threads, compile_too=args.compile)))
        else:
            print_train_benchmarks(args.quick, args.batch, max(1, args.repeats), threads, args.compile)
        return 0
    result = run_benchmarks(quick=args.quick, repeats=max(1, args.repeats), threads=args.threads, device=str(device))
    print(json_text(result) if args.json else format_table(result))
    return 0
