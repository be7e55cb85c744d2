"""The explorer's background thread: exact receptive fields and effective (gradient) fields.

An exact field takes milliseconds for a small model but a large colour image at full depth
takes a tenth of a second, and the explorer wants a dozen at once (every layer, every stack),
so none of them runs on the GUI thread. The GUI hands the thread a queue of jobs, newest
first; a new queue replaces the old one, so a burst of clicks costs one computation, not
fifty. Sampling the images for the effective field is the one long job: it is stepped one
sub-pixel at a time and looks at the cancel flag between steps.

The thread starts on the first job and ends after a few idle seconds, so a view that is
dropped without being closed (a tab removed, a window torn down) does not leave a running
QThread to be destroyed under it.
"""
from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass

import torch
from PySide6.QtCore import QThread, Signal

from ..core import SampleStream, effective_receptive_field, receptive_field

IDLE_EXIT_S = 3.0


@dataclass(frozen=True)
class ExactJob:
    """One exact field; `key` is what the GUI caches it under."""
    key: tuple
    config: object
    target: tuple
    channel: int
    layers: int | None
    stack: str


@dataclass(frozen=True)
class EffectiveJob:
    key: tuple
    model: object
    target: tuple
    channel: int
    images: object = None          # uint8 (N, C, H, W); None: sample `count` from the model
    count: int = 8
    seed: int = 0


def conditioning_for(config, n: int):
    """Class ids and embedding that let an unconditioned call run on a conditional model:
    cycle through the classes, and use the zero (average) embedding."""
    class_ids = torch.arange(n) % config.num_classes if config.num_classes else None
    embedding = torch.zeros(n, config.embedding_dim) if config.embedding_dim else None
    return class_ids, embedding


class FieldWorker(QThread):
    field_ready = Signal(object, object)        # key, bool tensor (C, H, W)
    effective_ready = Signal(object, object, object)   # key, float tensor (C, H, W), images used (uint8)
    progress = Signal(str, int, int)            # what is being done, steps done, steps in all
    busy_changed = Signal(bool)
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cond = threading.Condition()
        self._queue: list = []
        self._cancelled = False
        self._shutdown = False
        self._alive = False
        # Samples and private model copies outlive single jobs: sampling is the slow part, and
        # a copy keeps this thread's autograd away from a model the sampler may be using.
        self._images: dict = {}
        self._copies: dict = {}

    # -- commands (GUI thread) -----------------------------------------------------------------
    def submit(self, jobs) -> None:
        """Replace the queue; the job already running finishes (or is cancelled separately)."""
        with self._cond:
            if self._shutdown:
                return
            self._queue = list(jobs)
            if self._queue and not self._alive:
                self.wait()        # a thread that has just decided to end finishes at once
                self._alive = True
                self.start()
            self._cond.notify_all()

    def cancel(self) -> None:
        """Drop the queue and stop a running sampling between two sub-pixels."""
        with self._cond:
            self._queue = []
            self._cancelled = True
            self._cond.notify_all()

    def forget_model(self) -> None:
        with self._cond:
            self._images.clear()
            self._copies.clear()

    def shutdown(self, wait_ms: int = 5000) -> None:
        with self._cond:
            self._shutdown = True
            self._queue = []
            self._cond.notify_all()
        self.wait(wait_ms)

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    # -- the thread -----------------------------------------------------------------------------
    def run(self) -> None:
        busy = False
        while True:
            with self._cond:
                while not self._queue and not self._shutdown:
                    if busy:
                        busy = False
                        self.busy_changed.emit(False)
                    if not self._cond.wait(IDLE_EXIT_S) and not self._queue:
                        self._alive = False
                        return
                if self._shutdown:
                    self._alive = False
                    return
                job = self._queue.pop(0)
                self._cancelled = False
            if not busy:
                busy = True
                self.busy_changed.emit(True)
            try:
                if isinstance(job, ExactJob):
                    field = receptive_field(job.config, job.target, channel=job.channel,
                                            layers=job.layers, stack=job.stack)
                    self.field_ready.emit(job.key, field)
                else:
                    self._run_effective(job)
            except Exception as exc:      # noqa: BLE001 - any failure is reported, the thread lives on
                self.failed.emit(f"{type(exc).__name__}: {exc}")

    def _should_stop(self) -> bool:
        with self._cond:
            return self._cancelled or self._shutdown

    def _private_model(self, model):
        key = id(model)
        if key not in self._copies:
            self._copies[key] = copy.deepcopy(model).eval()
        return self._copies[key]

    def _images_for(self, job: EffectiveJob, model):
        if job.images is not None:
            return torch.as_tensor(job.images)
        key = (id(job.model), job.count, job.seed)
        if key in self._images:
            return self._images[key]
        class_ids, embedding = conditioning_for(model.config, job.count)
        stream = SampleStream(model, job.count, class_ids=class_ids, embedding=embedding, seed=job.seed)
        last = 0.0
        while stream.step() is not None:
            if self._should_stop():
                return None
            now = time.perf_counter()
            if now - last > 0.1:
                last = now
                self.progress.emit("Sampling images", stream.next_index, stream.total)
        images = stream.image.cpu().clone()
        self._images[key] = images
        return images

    def _run_effective(self, job: EffectiveJob) -> None:
        model = self._private_model(job.model)
        images = self._images_for(job, model)
        if images is None:
            return
        self.progress.emit("Computing gradients", 0, 1)
        class_ids, embedding = conditioning_for(model.config, len(images))
        heat = effective_receptive_field(model, images, job.target, channel=job.channel,
                                         class_ids=class_ids, embedding=embedding)
        self.progress.emit("Computing gradients", 1, 1)
        self.effective_ready.emit(job.key, heat, images)
