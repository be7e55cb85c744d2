"""The explorer's background thread: exact receptive fields and effective (gradient) fields.

An exact field takes milliseconds for a small model but a large colour image at full depth
takes a tenth of a second, and the explorer wants a dozen at once (every layer, every stack),
so none of them runs on the GUI thread. The GUI hands the thread a queue of jobs, newest
first; a new queue replaces the old one, so a burst of clicks costs one computation, not
fifty. Sampling the images for the effective field is the one long job: it is stepped one
sub-pixel at a time and looks at the cancel flag between steps.

The thread starts on the first job and ends after a few idle seconds, so a view that is
dropped without being closed (a tab removed, a window torn down) leaves no thread behind.
"""
from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass

import numpy as np
import torch
from PySide6.QtCore import Signal

from ...core import SampleStream, effective_receptive_field, receptive_field
from ..common.jobs import BackgroundJob

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
    images: object = None          # uint8 (N, C, H, W); else `dataset` test images, else samples
    labels: object = None          # class ids of `images`, for a class-conditional model
    dataset: str | None = None     # a dataset spec (core's load_dataset) to take `count` test images from
    class_names: tuple | None = None
    count: int = 8
    seed: int = 0


def conditioning_for(config, n: int, labels=None):
    """Class ids and embedding for n images: their own labels where known, else a cycle
    through the classes; the zero (average) embedding for an embedding-conditioned model."""
    class_ids = None
    if config.num_classes:
        class_ids = torch.arange(n) % config.num_classes if labels is None else torch.as_tensor(labels).long()
    embedding = torch.zeros(n, config.embedding_dim) if config.embedding_dim else None
    return class_ids, embedding


def test_images(spec: str, config, class_names, count: int):
    """`count` test images spread evenly over the set, with labels in the model's class order
    (matched by name: a dataset on this machine may order its classes differently)."""
    from ...data import load_dataset
    data = load_dataset(spec, "test", image_size=(config.height, config.width), channels=config.channels)
    picks = np.linspace(0, len(data.images) - 1, min(count, len(data.images))).round().astype(int)
    images = torch.as_tensor(np.asarray(data.images)[picks])
    labels = None
    if config.num_classes and data.labels is not None:
        raw = np.asarray(data.labels)[picks]
        if class_names and data.class_names:
            index = {name: i for i, name in enumerate(class_names)}
            raw = np.array([index.get(data.class_names[r], 0) for r in raw])
        labels = torch.as_tensor(raw % config.num_classes)
    return images, labels


class FieldWorker(BackgroundJob):
    field_ready = Signal(object, object)        # key, bool tensor (C, H, W)
    effective_ready = Signal(object, object, object)   # key, float tensor (C, H, W), images used (uint8)
    progress = Signal(str, int, int)            # what is being done, steps done, steps in all
    busy_changed = Signal(bool)
    failed = Signal(str)
    effective_failed = Signal(object, str)      # key, message: the explorer falls back to samples

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
            self._queue = list(jobs)
            if self._queue and not self._alive:
                self.wait()        # a thread that has just decided to end finishes at once
                # A view closed (and so shut down) and then shown again computes again.
                self._shutdown = False
                self._alive = True
                self.start()
            self._cond.notify_all()

    def cancel_queued(self) -> None:
        """Drop the queue and stop a running sampling between two sub-pixels (the thread lives on)."""
        with self._cond:
            self._queue = []
            self._cancelled = True
            self._cond.notify_all()

    def forget_model(self) -> None:
        with self._cond:
            self._images.clear()
            self._copies.clear()

    def wake(self) -> None:
        """Cancelled: the thread ends after the current step."""
        with self._cond:
            self._shutdown = True
            self._queue = []
            self._cond.notify_all()

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
                    try:
                        self._run_effective(job)
                    except Exception as exc:      # noqa: BLE001 - a missing dataset, an odd model
                        self.effective_failed.emit(job.key, f"{type(exc).__name__}: {exc}")
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
        """(images, labels), or None when cancelled."""
        if job.images is not None:
            return torch.as_tensor(job.images), job.labels
        key = (id(job.model), job.dataset, job.count, job.seed)
        if key in self._images:
            return self._images[key]
        if job.dataset:
            self.progress.emit(f"Loading {job.dataset} test images", 0, 1)
            self._images[key] = test_images(job.dataset, model.config, job.class_names, job.count)
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
        self._images[key] = stream.image.cpu().clone(), class_ids
        return self._images[key]

    def _run_effective(self, job: EffectiveJob) -> None:
        model = self._private_model(job.model)
        found = self._images_for(job, model)
        if found is None:
            return
        images, labels = found
        self.progress.emit("Computing gradients", 0, 1)
        class_ids, embedding = conditioning_for(model.config, len(images), labels)
        heat = effective_receptive_field(model, images, job.target, channel=job.channel,
                                         class_ids=class_ids, embedding=embedding)
        self.progress.emit("Computing gradients", 1, 1)
        self.effective_ready.emit(job.key, heat, images)
