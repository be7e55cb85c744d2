"""Data-parallel set-up for runs started by `torchrun` (or plain single-process runs).

torchrun sets RANK, WORLD_SIZE and LOCAL_RANK; without them everything here degrades to a
single process and no process group is created, so one code path serves both cases.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    backend: str | None = None

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        # Only rank 0 prints, writes checkpoints and metrics; the others only compute.
        return self.rank == 0


def setup(device: str | None = None) -> DistContext:
    """Join the process group torchrun describes; pick this process's device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    want_cuda = torch.cuda.is_available() if device in (None, "auto") else str(device).startswith("cuda")
    if want_cuda:
        if not torch.cuda.is_available():
            from ..errors import UserError
            raise UserError("--device cuda was asked for, but this torch build sees no GPU")
        dev = torch.device("cuda", local % torch.cuda.device_count())
        torch.cuda.set_device(dev)
    else:
        dev = torch.device("cpu")
    ctx = DistContext(rank=rank, world_size=world, local_rank=local, device=dev)
    if world > 1 and not dist.is_initialized():
        # NCCL only drives GPUs; gloo is the CPU backend.
        ctx.backend = "nccl" if dev.type == "cuda" else "gloo"
        dist.init_process_group(backend=ctx.backend, rank=rank, world_size=world)
    elif world > 1:
        ctx.backend = dist.get_backend()
    return ctx


def teardown(ctx: DistContext, *, finished: bool = False) -> None:
    """Leave the process group. After a run that `finished` on every rank they leave together: a rank
    that destroys its group while another still talks to it can end that one with a C++ abort at exit
    (seen once on a loaded machine with gloo). After a failure no rank waits for the others."""
    if ctx.enabled and dist.is_initialized():
        if finished:
            dist.barrier()
        dist.destroy_process_group()


def wrap_model(model: torch.nn.Module, ctx: DistContext) -> torch.nn.Module:
    if not ctx.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel
    ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    # The last layer's residual branch feeds nothing (only its skip reaches the output head),
    # so some parameters never get a gradient; DDP must be told not to wait for them.
    return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=True)


def all_sum(values: list[float], ctx: DistContext) -> list[float]:
    """Sum a few numbers over all ranks (float64, so NLL totals keep their precision)."""
    if not ctx.enabled:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64, device=ctx.device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()


def any_rank(flag: bool, ctx: DistContext) -> bool:
    """True on every rank if it is true on any: all ranks must stop at the same step."""
    if not ctx.enabled:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=ctx.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def barrier(ctx: DistContext) -> None:
    if ctx.enabled:
        dist.barrier()


def all_gather_objects(value, ctx: DistContext) -> list:
    """Every rank's `value` (any picklable object), in rank order, on every rank."""
    if not ctx.enabled:
        return [value]
    gathered = [None] * ctx.world_size
    dist.all_gather_object(gathered, value)
    return gathered
