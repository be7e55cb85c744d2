"""`pixelcnn-studio bench --train`: images/s of a whole training step, current against previous path.

Every path of one shape runs in the same process, and their timed steps take turns (previous,
current, current + bf16, ...), so a load that comes and goes on the machine slows all of them
alike: the ratios hold even where the absolute figures do not. A step is what the trainer does
(train/step.py): gather a batch, forward, loss, backward, clipping, Adam, EMA.

On a GPU a timed turn is several steps followed by one synchronisation (the trainer, too, reads
the loss back only now and then), and the paths add bf16, torch.compile and, with `--graphs`,
torch.compile in its CUDA-graph mode ("reduce-overhead"): at the bundled widths a GPU step is
bound by launching many small kernels, which a replayed graph launches at once.

`--profile` splits one step into phases (wall clock) and the forward + backward into kinds of
operation (the profiler's self time per operator).
"""
from __future__ import annotations

import copy
import os
import platform
import statistics
import time

import torch

from ..core.config import ModelConfig
from ..core.model import build_model
from ..train.step import TrainStep, compile_model, cpu_has_native_bf16, make_optimizer, set_fast_path
from .bench_shapes import in_child

POOL = 512      # random training images the batches are drawn from (data handling is part of a step)
GPU_TURN = 10   # steps per timed turn on a GPU, then one synchronisation


def paper_shape() -> tuple[str, ModelConfig]:
    """The paper's width on a colour image: 15 layers of 128 units, 32x32 RGB, 10 classes."""
    return ("32x32 colour, paper size (128x15)",
            ModelConfig(image_size=32, channels=3, hidden=128, layers=15, kernel_size=5, output_hidden=256,
                        num_classes=10))


def train_shapes(quick: bool, paper: bool = False, only: list[str] | None = None) -> list[tuple[str, ModelConfig]]:
    """The bundled class-conditional shapes, the size of a common reference model, the small CPU shape;
    with `paper`, the paper's width on 32x32 colour too; `only`: the shapes whose name holds one of these."""
    shapes = _all_train_shapes(quick) + ([paper_shape()] if paper else [])
    if only:
        shapes = [(name, config) for name, config in shapes if any(part in name for part in only)]
    return shapes


def _all_train_shapes(quick: bool) -> list[tuple[str, ModelConfig]]:
    if quick:
        return [("tiny 8x8 grey (8x2)", ModelConfig(image_size=8, hidden=8, layers=2, kernel_size=3,
                                                    output_hidden=16, num_classes=2))]
    from ..train.presets import PRESETS
    from .bench_shapes import bench_configs
    # 851,456 parameters: the size of the PyTorch Gated PixelCNN of the UvA deep-learning
    # tutorial 12 (852,160), the reference the training speed was first compared against.
    # Smallest first, so that a long run has told the most by the time it is stopped.
    shapes = [("28x28 grey, 48x9 (peer size)",
               ModelConfig(image_size=28, hidden=48, layers=9, kernel_size=5, output_hidden=128, num_classes=10))]
    cpu = PRESETS.get("cpu-quick")
    if cpu:
        shapes.insert(0, (f"cpu-quick ({cpu['hidden']}x{cpu['layers']})",
                          ModelConfig(image_size=28, hidden=cpu["hidden"], layers=cpu["layers"],
                                      kernel_size=cpu["kernel_size"], output_hidden=cpu["output_hidden"],
                                      num_classes=10)))
    shapes += [(name, config) for name, config in bench_configs(False) if "paper" not in name]
    return shapes


def paths(compile_too: bool, device: str = "cpu", graphs: bool = False) -> list[dict]:
    """The step variants timed: the previous path, the current one, and what the device adds to it."""
    out = [{"name": "previous", "fast": False, "bf16": False, "compile": False},
           {"name": "current", "fast": True, "bf16": False, "compile": False}]
    cuda = device.startswith("cuda")
    bf16 = cuda or cpu_has_native_bf16()
    if bf16:
        out.append({"name": "current + bf16", "fast": True, "bf16": True, "compile": False})
    if compile_too:
        # The network compiled and the loss run eagerly (how compiled runs trained before), then both.
        name = "current" + (" + bf16" if bf16 else "") + " + compile"
        out.append({"name": name + " (network only)", "fast": True, "bf16": bf16, "compile": True,
                    "compile_loss": False})
        out.append({"name": name, "fast": True, "bf16": bf16, "compile": True})
    if graphs:
        out.append({"name": "current + bf16 + compile (CUDA graphs)", "fast": True, "bf16": True,
                    "compile": "reduce-overhead"})
    return out


class _Trainer:
    """One path's model, optimiser and EMA on one shape, from the same initial weights as the others."""

    def __init__(self, config: ModelConfig, path: dict, state: dict, batch: int, device: str = "cpu"):
        self.device = torch.device(device)
        model = build_model(config)
        model.load_state_dict(state)
        model.to(self.device)
        set_fast_path(model, path["fast"])
        ema = copy.deepcopy(model).eval().requires_grad_(False)
        opt = make_optimizer(model, 1e-4, 0.0, fast=path["fast"])
        mode = path["compile"] if isinstance(path["compile"], str) else None
        net = compile_model(model, mode=mode) if path["compile"] else model
        # Replayed CUDA graphs reuse their output buffers: each step must say that a new one begins.
        self.mark_step = torch.compiler.cudagraph_mark_step_begin if mode == "reduce-overhead" else None
        self.step_fn = TrainStep(net, model, opt, ema, grad_clip=1.0, fast=path["fast"],
                                 autocast_dtype=torch.bfloat16 if path["bf16"] else None,
                                 device_type=self.device.type,
                                 compile_loss=bool(path["compile"]) and path.get("compile_loss", True))
        generator = torch.Generator().manual_seed(0)
        self.images = torch.randint(0, config.levels, (POOL, config.channels, config.height, config.width),
                                    generator=generator, dtype=torch.uint8).to(self.device)
        self.labels = torch.randint(0, max(1, config.num_classes), (POOL,), generator=generator).to(self.device)
        self.conditional = bool(config.num_classes)
        self.batch, self.generator = batch, generator
        self.turn = GPU_TURN if self.device.type == "cuda" else 1
        t0 = time.perf_counter()
        self._steps(1)                      # first-call set-up (and compilation) is not the steady state
        self.first_step_s = time.perf_counter() - t0

    def _steps(self, count: int) -> None:
        for _ in range(count):
            idx = torch.randint(0, POOL, (self.batch,), generator=self.generator).to(self.device)
            if self.mark_step:
                self.mark_step()
            x, y = self.images[idx], (self.labels[idx] if self.conditional else None)
            loss = self.step_fn(x, y, lr=1e-4, ema_decay=0.999)
        float(loss)                          # waits for the queued work (a GPU's too)

    def step(self) -> float:
        """Seconds per step, over one turn of steps ended by one read-back."""
        t0 = time.perf_counter()
        self._steps(self.turn)
        return (time.perf_counter() - t0) / self.turn


def bench_shape(config: ModelConfig, batch: int, steps: int, compile_too: bool, device: str = "cpu",
                graphs: bool = False) -> dict:
    torch.manual_seed(0)
    state = build_model(config).state_dict()
    trainers, failed = {}, {}
    for p in paths(compile_too, device, graphs):
        try:
            trainers[p["name"]] = _Trainer(config, p, state, batch, device)
        except Exception as exc:        # a path this machine cannot run (compiler, graphs): say why, time the rest
            failed[p["name"]] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
    for t in trainers.values():
        t.step()
    times = {name: [] for name in trainers}
    for _ in range(steps):
        for name, t in list(trainers.items()):
            try:
                times[name].append(t.step())
            except Exception as exc:
                failed[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
                del trainers[name], times[name]
    previous = statistics.median(times["previous"]) if times.get("previous") else None
    result = {"parameters": sum(p.numel() for p in build_model(config).parameters()), "paths": {}}
    for name, ts in times.items():
        med = statistics.median(ts)
        result["paths"][name] = {"images_per_s": batch / med, "step_s": med,
                                 "speed_up": previous / med if previous else None,
                                 "first_step_s": trainers[name].first_step_s}
    for name, why in failed.items():
        result["paths"][name] = {"failed": why}
    return result


def _shape_in_child(config: ModelConfig, batch: int, steps: int, compile_too: bool, threads: int, device: str,
                    graphs: bool, queue) -> None:
    torch.set_num_threads(threads)
    queue.put(bench_shape(config, batch, steps, compile_too, device, graphs))


def run_train_benchmarks(quick: bool = False, batch: int = 64, steps: int = 5, threads: int | None = None,
                         compile_too: bool = False, on_row=None, device: str = "cpu", graphs: bool = False,
                         paper: bool = False, only: list[str] | None = None) -> dict:
    """Every shape in turn; `on_row(row)` is called as each one is done."""
    threads = threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    rows = []
    for name, config in train_shapes(quick, paper, only):
        # Each shape in a fresh process: one shape's allocations and caches left in the process
        # slowed the next one's channels-last path by half in a shared run.
        rows.append({"model": name, **in_child(_shape_in_child, config, batch, steps, compile_too, threads,
                                               device, graphs)})
        if on_row:
            on_row(rows[-1])
    return {"machine": machine(threads, device), "batch": batch, "steps": steps, "training": rows}


def machine(threads: int, device: str = "cpu") -> dict:
    from ..core.devices import describe_device
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "threads": threads,
            "torch": torch.__version__, "native_bf16": cpu_has_native_bf16(), "device": describe_device(device),
            "load_average": [round(v, 2) for v in load] if load else None}


def train_table_head(m: dict, batch: int, steps: int) -> list[str]:
    turn = f" (each a turn of {GPU_TURN} steps and one read-back)" if m.get("device", "cpu").startswith("cuda") else ""
    return [f"training step, batch {batch}, on {m.get('device', 'cpu')}; CPU {m['cores']} cores ({m['cpu']}), "
            f"{m['threads']} torch thread(s), torch {m['torch']}; median of {steps} interleaved timings per "
            f"path{turn}; load average (1, 5, 15 min) before: {m['load_average']}",
            "",
            "| model | parameters | path | images/s | step | vs previous | first step |",
            "|---|---:|---|---:|---:|---:|---:|"]


def train_table_rows(r: dict) -> list[str]:
    rows = []
    for name, p in r["paths"].items():
        if "failed" in p:
            rows.append(f"| {r['model']} | {r['parameters']:,} | {name} | failed: {p['failed']} | | | |")
            continue
        ratio = f"{p['speed_up']:.2f}x" if p["speed_up"] is not None else "-"
        rows.append(f"| {r['model']} | {r['parameters']:,} | {name} | {p['images_per_s']:,.1f} | "
                    f"{p['step_s'] * 1000:,.1f} ms | {ratio} | {p['first_step_s']:.1f} s |")
    return rows


def print_train_benchmarks(quick: bool, batch: int, steps: int, threads: int | None, compile_too: bool,
                           device: str = "cpu", graphs: bool = False, paper: bool = False,
                           only: list[str] | None = None) -> None:
    """The table, a shape at a time (a long run can be read, or stopped, half-way)."""
    threads = threads or os.cpu_count() or 1
    print("\n".join(train_table_head(machine(threads, device), batch, steps)), flush=True)
    run_train_benchmarks(quick, batch, steps, threads, compile_too,
                         on_row=lambda row: print("\n".join(train_table_rows(row)), flush=True),
                         device=device, graphs=graphs, paper=paper, only=only)
    print(f"\nload average after: {machine(threads)['load_average']}", flush=True)


# -- where a step's time goes -------------------------------------------------------------------

OP_KINDS = {
    "convolutions, forward": ("aten::mkldnn_convolution", "aten::_slow_conv2d_forward", "aten::thnn_conv2d"),
    "convolutions, backward": ("aten::convolution_backward", "aten::_slow_conv2d_backward"),
    "gates (tanh, sigmoid), fwd + bwd": ("aten::tanh", "aten::sigmoid", "aten::tanh_backward",
                                         "aten::sigmoid_backward"),
    "softmax + cross-entropy, fwd + bwd": ("aten::_log_softmax", "aten::_log_softmax_backward_data",
                                           "aten::nll_loss_forward", "aten::nll_loss_backward",
                                           "aten::nll_loss2d_forward", "aten::nll_loss2d_backward"),
}


def profile_step(config: ModelConfig, batch: int, fast: bool, bf16: bool = False, steps: int = 2) -> dict:
    """Milliseconds per step by phase (wall clock) and by kind of operator (profiler self time)."""
    torch.manual_seed(0)
    t = _Trainer(config, {"name": "", "fast": fast, "bf16": bf16, "compile": False},
                 build_model(config).state_dict(), batch)
    phases: dict[str, list] = {}
    clock = [0.0]

    def lap(name: str) -> None:
        now = time.perf_counter()
        phases.setdefault(name, []).append((now - clock[0]) * 1000)
        clock[0] = now

    def one_step():
        clock[0] = time.perf_counter()
        idx = torch.randint(0, POOL, (batch,), generator=t.generator)
        x, y = t.images[idx], (t.labels[idx] if t.conditional else None)
        lap("data")
        t.step_fn(x, y, lr=1e-4, ema_decay=0.999, lap=lap)

    for _ in range(steps):
        one_step()
    wall = {k: statistics.median(v) for k, v in phases.items()}
    from torch.profiler import profile
    with profile() as prof:
        for _ in range(steps):
            one_step()
    self_ms = {e.key: e.self_cpu_time_total / 1000 / steps for e in prof.key_averages()}
    kinds = {kind: sum(self_ms.get(op, 0.0) for op in ops) for kind, ops in OP_KINDS.items()}
    named = {op for ops in OP_KINDS.values() for op in ops}
    kinds["everything else (adds, copies, pads, ...)"] = sum(v for k, v in self_ms.items() if k not in named
                                                            and k.startswith("aten::"))
    return {"phases_ms": wall, "operators_ms": kinds}


def format_profile(config_name: str, batch: int, profiles: dict) -> str:
    names = list(profiles)
    head = "| " + " | ".join(["part of the step"] + [f"{n} ms" for n in names]) + " |"
    lines = [f"{config_name}, batch {batch}", "", head, "|---|" + "---:|" * len(names)]
    for key in profiles[names[0]]["phases_ms"]:
        lines.append(f"| {key} | " + " | ".join(f"{profiles[n]['phases_ms'][key]:,.1f}" for n in names) + " |")
    total = {n: sum(profiles[n]["phases_ms"].values()) for n in names}
    lines.append("| **whole step** | " + " | ".join(f"**{total[n]:,.0f}**" for n in names) + " |")
    lines += ["", "| operators (profiler self time) | " + " | ".join(f"{n} ms" for n in names) + " |",
              "|---|" + "---:|" * len(names)]
    for key in profiles[names[0]]["operators_ms"]:
        lines.append(f"| {key} | " + " | ".join(f"{profiles[n]['operators_ms'][key]:,.1f}" for n in names) + " |")
    return "\n".join(lines)


def run_profiles(quick: bool, batch: int, threads: int | None) -> None:
    """Print the profile of the small and the bundled Fashion-MNIST shape (then the others), a shape at a time."""
    threads = threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    print(f"{threads} torch thread(s); load average before: {machine(threads)['load_average']}", flush=True)
    shapes = sorted(train_shapes(quick), key=lambda shape: "peer" in shape[0])
    for name, config in shapes:
        if "emoji" in name:
            continue            # the same kinds of work as fashion-mnist, only more of it
        profiles = {"previous": profile_step(config, batch, fast=False),
                    "current": profile_step(config, batch, fast=True)}
        if cpu_has_native_bf16():
            profiles["current + bf16"] = profile_step(config, batch, fast=True, bf16=True)
        print("\n" + format_profile(name, batch, profiles), flush=True)
    print(f"\nload average after: {machine(threads)['load_average']}", flush=True)
