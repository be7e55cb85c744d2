"""The model shapes the benchmarks time (the bundled models' presets and one of the paper's size),
and the fresh process each measurement runs in.

Its own module so that the sampler benchmark and the training benchmark share it without
importing each other.
"""
from __future__ import annotations

import multiprocessing
import queue as _queue
import time

from ..core.config import ModelConfig


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


def in_child(target, *args) -> dict:
    # spawn, not fork: a forked child inherits a broken OpenMP pool and runs many times slower.
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    # Waiting on the queue alone would wait half an hour for a worker that already died (a crash,
    # the memory killer): the worker is watched while its answer is awaited.
    deadline = time.monotonic() + 1800
    while True:
        try:
            result = queue.get(timeout=0.5)
            break
        except _queue.Empty:
            if not proc.is_alive() and queue.empty():
                proc.join()
                from ..errors import UserError
                raise UserError(f"a benchmark worker ended without a result (exit status {proc.exitcode})") from None
            if time.monotonic() > deadline:
                proc.kill()
                from ..errors import UserError
                raise UserError("a benchmark worker gave no result within 30 minutes") from None
    proc.join()
    return result
