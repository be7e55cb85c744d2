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


def _model(source, where: torch.device):
    """A model of random weights for a ModelConfig, or a checkpoint's own (a bundled model's path)."""
    if isinstance(source, ModelConfig):
        torch.manual_seed(0)
        return build_model(source).eval().to(where)
    from ..core.checkpoint import load_checkpoint
    return load_checkpoint(source).model.eval().to(where)


def _conditioning(config: ModelConfig, batch: int, where: torch.device) -> dict:
    """Class ids or an embedding for `batch` images, as the model asks (values do not change the timing)."""
    out = {}
    if config.num_classes:
        out["class_ids"] = (torch.arange(batch) % config.num_classes).to(where)
    if config.embedding_dim:
        out["embedding"] = torch.zeros(batch, config.embedding_dim, device=where)
    return out


def _measure(source, method: str, batch: int, threads: int | None, device: str, queue) -> None:
    """Child process: time one sampler on one model and report throughput and memory."""
    where = torch.device(device)
    model = _model(source, where)
    config = model.config
    set_threads(threads if threads is not None else sampling_threads(config, batch))
    start_rss = _rss_mb()
    if where.type == "cuda":
        torch.cuda.reset_peak_memory_stats(where)
    stream = SampleStream(model, batch, seed=0, method=method, **_conditioning(config, batch, where))
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


def _measure_likelihood(source, threads: int | None, device: str, queue) -> None:
    where = torch.device(device)
    set_threads(threads if threads is not None else dense_threads())
    model = _model(source, where)
    config = model.config
    x = torch.randint(0, config.levels, (64, config.channels, config.height, config.width), device=where)
    cond = _conditioning(config, 64, where)
    bits_per_dim(model, x[:8], **{k: v[:8] for k, v in cond.items()})
    synchronize(where)
    t0 = time.perf_counter()
    bits_per_dim(model, x, batch_size=64, **cond)
    synchronize(where)
    queue.put({"images_per_s": 64 / (time.perf_counter() - t0), "threads": torch.get_num_threads()})


class _Results(list):
    put = list.append


def _in_process(target, *args) -> dict:
    """On a GPU: peak memory is the allocator's own count, reset per row, so rows need no process of
    their own (starting one, with its CUDA context, costs seconds each)."""
    found = _Results()
    target(*args, found)
    return found[0]


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def run_benchmarks(quick: bool = False, repeats: int = 3, threads: int | None = None, device: str = "cpu",
                   bundled: bool = False, paper: bool = False, batches: tuple[int, ...] = (1, 16)) -> dict:
    """`threads` None: each row uses the count the commands would choose (core/devices.py).
    `bundled`: the bundled models themselves (their weights and conditioning) instead of preset shapes;
    `paper`: the paper's width on 32x32 colour as well."""
    rows, likelihood = [], []
    models: list = bundled_sources() if bundled else list(bench_configs(quick))
    if paper:
        from .bench_train import paper_shape
        models.append(paper_shape())
    run = _in_process if device.startswith("cuda") else in_child
    for name, config in models:
        for batch in batches:
            row = {"model": name, "batch": batch}
            for method in ("naive", "cached"):
                runs = [run(_measure, config, method, batch, threads, device) for _ in range(repeats)]
                row[method] = {k: _median(runs, k) for k in runs[0]}
            row["speed-up"] = row["cached"]["subpixels_per_s"] / row["naive"]["subpixels_per_s"]
            rows.append(row)
        runs = [run(_measure_likelihood, config, threads, device) for _ in range(repeats)]
        likelihood.append({"model": name, "images_per_s": _median(runs, "images_per_s"),
                           "threads": _median(runs, "threads")})
    return {
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "threads": "per row" if threads is None else threads, "device": describe_device(device),
                    "torch": torch.__version__, "python": platform.python_version()},
        "repeats": repeats, "sampling": rows, "likelihood": likelihood,
    }


def bundled_sources() -> list[tuple[str, str]]:
    """(name, checkpoint path) of every bundled model."""
    from ..paths import bundled_models
    return [(path.stem, str(path)) for path in bundled_models()]


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
    from ..errors import UserError
    train = getattr(args, "train", False)
    graphs, only = getattr(args, "graphs", False), getattr(args, "only", None)
    if graphs and (not train or device.type != "cuda"):
        raise UserError("--graphs times the training step under CUDA graphs: it needs --train and --device cuda")
    if getattr(args, "compile", False) and not train:
        raise UserError("--compile times the training step compiled: it needs --train")
    if only and not train:
        raise UserError("--only picks training shapes: it needs --train")
    if getattr(args, "bundled", False) and train:
        raise UserError("--bundled times the bundled models' samplers; --train times training shapes: choose one")
    if train or getattr(args, "profile", False):
        if getattr(args, "profile", False) and device.type != "cpu":
            raise UserError("--profile splits a training step on the CPU; drop --device")
        from .bench_train import print_train_benchmarks, run_profiles, run_train_benchmarks, train_shapes
        if only and not train_shapes(args.quick, args.paper, only):
            names = ", ".join(name for name, _ in train_shapes(args.quick, args.paper))
            raise UserError(f"--only {' '.join(only)}: no training shape matches; the shapes: {names}")
        threads = args.threads
        if args.profile:
            run_profiles(args.quick, args.batch, threads)
        elif args.json:
            print(json_text(run_train_benchmarks(quick=args.quick, batch=args.batch, steps=max(1, args.repeats),
                                                threads=threads, compile_too=args.compile, device=str(device),
                                                graphs=graphs, paper=args.paper, only=only)))
        else:
            print_train_benchmarks(args.quick, args.batch, max(1, args.repeats), threads, args.compile,
                                   device=str(device), graphs=graphs, paper=args.paper, only=only)
        return 0
    if getattr(args, "bundled", False) and not bundled_sources():
        raise UserError("--bundled: no bundled models found")
    result = run_benchmarks(quick=args.quick, repeats=max(1, args.repeats), threads=args.threads, device=str(device),
                            bundled=getattr(args, "bundled", False), paper=getattr(args, "paper", False),
                            batches=(16,) if getattr(args, "grid_only", False) else (1, 16))
    print(json_text(result) if args.json else format_table(result))
    return 0
