"""Which device a model runs on, and how many CPU threads torch uses for it.

`resolve_device("auto")` picks CUDA, then Apple's MPS, then the CPU. Everything that runs a
model takes the device as a value: the samplers and the likelihood create their tensors on the
model's device (the sampler draws its random numbers on the CPU, so a seed gives the same numbers
on every device), so a model moved with `.to(device)` is all a caller has to do.

Threads (measured with scripts/measure_threads.py; figures in docs/benchmarks.md). torch's
default is one thread per core, which is wrong twice over for this program:
- a sampling step is a handful of small matrix products, too little work to split: a second
  thread only adds hand-over cost, so steps run on one thread unless a step is big (a paper-size
  model over a big batch);
- a thread that finds its core taken by another process stalls every step it shares: on a busy
  machine two threads ran 2-20x slower than one. So the count never exceeds the cores that are
  free now (the cores this process may use, less the one-minute load average).
Whole-image passes (likelihood, evaluation) are large convolutions and take every free core.
"""
from __future__ import annotations

import os

import torch

from ..errors import UserError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
# Multiply-adds per sampling step (batch x layers x hidden^2) above which a step is big enough
# to split over threads; below it one thread is fastest (see the module note).
SPLIT_STEP_WORK = 64 * 15 * 128 * 128


def cuda_available() -> bool:
    return torch.cuda.is_available()


def mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def available_devices() -> list[str]:
    """The devices a model can run on here, the CPU always first; CUDA GPUs by index past the first."""
    found = ["cpu"]
    if cuda_available():
        count = torch.cuda.device_count()
        found += ["cuda"] + [f"cuda:{i}" for i in range(1, count)]
    if mps_available():
        found.append("mps")
    return found


def describe_device(name: str) -> str:
    """A label for menus and messages, e.g. "cuda: NVIDIA H200"."""
    if name.startswith("cuda") and cuda_available():
        index = int(name.split(":")[1]) if ":" in name else 0
        return f"{name}: {torch.cuda.get_device_name(index)}"
    if name == "mps":
        return "mps: Apple GPU"
    return f"cpu: {cpu_count()} cores"


def resolve_device(spec: str | None = "auto") -> torch.device:
    """The torch.device for auto|cpu|cuda[:N]|mps, or a UserError that says why it cannot be used."""
    spec = (spec or "auto").strip().lower()
    if spec == "auto":
        if cuda_available():
            return torch.device("cuda")
        return torch.device("mps") if mps_available() else torch.device("cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if spec == "cuda" or spec.startswith("cuda:"):
        if not cuda_available():
            build = "a CPU-only build of torch" if torch.version.cuda is None else "no CUDA GPU visible"
            raise UserError(f"--device {spec}: CUDA is not available here ({build}); use --device cpu or auto")
        index = spec.partition(":")[2]
        if index and (not index.isdigit() or int(index) >= torch.cuda.device_count()):
            raise UserError(f"--device {spec}: there are {torch.cuda.device_count()} CUDA device(s) here")
        return torch.device(spec)
    if spec == "mps":
        if not mps_available():
            raise UserError("--device mps: Apple's Metal backend is not available here; use --device cpu or auto")
        return torch.device("mps")
    raise UserError(f"--device {spec!r}: choose one of {', '.join(DEVICE_CHOICES)}")


def cpu_count() -> int:
    """CPUs this process may run on (a container's or taskset's limit, not the machine's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def free_cores(*, cores: int | None = None, load: float | None = None) -> int:
    """Cores not busy with other work right now: this process's CPUs less the one-minute load."""
    cores = cpu_count() if cores is None else max(1, cores)
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):      # no load average (Windows): trust the core count
            load = 0.0
    return max(1, min(cores, int(cores - load + 0.5)))


def sampling_threads(config, batch: int, *, cores: int | None = None, load: float | None = None,
                     keep_one_free: bool = False) -> int:
    """Torch threads for sampling `batch` images of a model of `config` (see the module note).

    `keep_one_free` leaves a core to a GUI thread that must keep drawing while the sampler runs.
    """
    step_work = batch * config.layers * config.hidden ** 2
    if step_work < SPLIT_STEP_WORK:
        return 1
    usable = free_cores(cores=cores, load=load) - (1 if keep_one_free else 0)
    return max(1, min(usable, step_work // SPLIT_STEP_WORK + 1))


def dense_threads(*, cores: int | None = None, load: float | None = None) -> int:
    """Torch threads for whole-image passes (likelihood, evaluation): every free core."""
    return free_cores(cores=cores, load=load)


def set_threads(count: int | None) -> int:
    """Set torch's CPU thread count (None leaves it); returns the count in force."""
    if count is not None:
        if count < 1:
            raise UserError(f"--threads must be at least 1, got {count}")
        torch.set_num_threads(int(count))
    return torch.get_num_threads()


def prepare(device_spec: str | None, threads: int | None) -> torch.device:
    """Check a command's --device and --threads before any long work, and apply an explicit count.

    Without --threads the caller sets the count its work calls for once it knows the model
    (`sampling_threads`, `dense_threads`).
    """
    device = resolve_device(device_spec)
    set_threads(threads)
    return device


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so a timer read afterwards measures it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
