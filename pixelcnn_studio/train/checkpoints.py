"""What a run writes: last.pt (resumable) and best.pt (half precision), each with its metadata, and
the gallery of training images an embedding-conditioned model carries. Mixed into loop._Run."""
from __future__ import annotations

import time

import torch

from ..core import save_checkpoint
from ..core.box import BOX_DIM, BOX_EMBEDDER
from ..embed.autoencoder import checkpoint_entry
from ..embed.gallery import stratified_indices
from .conditioning import SIBLING
from .evaluate import heldout_nll
from .run_data import dataset_metadata

GALLERY_SIZE = 256   # training images (with embeddings) kept in checkpoints of embedding-conditioned models


class Checkpoints:
    """Mixed into loop._Run (s, ctx, out, ema, the position counters, the data and the clocks)."""

    def elapsed(self) -> float:
        return self.elapsed_before + (time.monotonic() - self.started)

    def _metadata(self, metrics: dict) -> dict:
        s = self.s
        training = {
            "preset": s.preset, "command": s.command, "epochs": self.epoch + self.batch_in_epoch / self.steps_per_epoch,
            "steps": self.step, "total_steps": self.total_steps, "wall_seconds": round(self.elapsed(), 1),
            "device": str(self.ctx.device), "processes": self.ctx.world_size, "threads": torch.get_num_threads(),
            "torch": str(torch.__version__), "parameters": self.params,
            "images_per_s": round(self.images_total / max(self.train_seconds_total, 1e-9), 2),
            "global_batch": s.batch_size * self.ctx.world_size, "ema": s.ema, "settings": s.to_dict(),
        }
        embedder = None
        if self.kind == "embedding":
            embedder = {"name": s.embedder, "dim": self.config.embedding_dim}
        elif self.with_encoder:
            embedder = checkpoint_entry(self.ema.encoder)
            if self.kind == "style":
                embedder["conditions_on"] = SIBLING
        elif self.kind == "box":
            embedder = {"name": BOX_EMBEDDER, "dim": BOX_DIM}
        meta = {"class_names": self.class_names, "embedder": embedder, "metrics": metrics, "training": training,
                "dataset": dataset_metadata(s, self.train_set, self.test_set)}
        if embedder is not None and self.kind != "box":
            meta["gallery"] = self._gallery()
        return meta

    @torch.no_grad()
    def _gallery(self, count: int = GALLERY_SIZE) -> dict:
        """A few training images with their embeddings, so the app can show which images the model saw
        closest to a dropped portrait without needing the dataset."""
        # Stratified over the classes where the data has labels: a class-ordered dataset's first images
        # would all be one class, and "nearest training images" would always be that class.
        chosen = stratified_indices(self.train_set.labels, min(count, len(self.train_set.images)))
        images = self.train_set.images[chosen]
        if self.with_encoder:
            vectors = self.ema.encoder(images.to(self.ctx.device)).float().cpu()
        else:
            vectors = self.embeddings[chosen].float().cpu()
        gallery = {"images": images.clone(), "embeddings": vectors}
        if self.train_set.labels is not None:
            gallery["labels"] = self.train_set.labels[chosen].clone()
        return gallery

    def _sampling_model(self):
        """The module whose weights the app samples from: the EMA PixelCNN (the decoder, for an auto-encoder)."""
        return self.ema.decoder if self.with_encoder else self.ema

    def save_last(self, resumable: bool = True) -> None:
        if not self.ctx.is_main:
            return
        meta = self._metadata(dict(self.last_metrics))
        if resumable:
            meta["training"]["resume"] = self._resume_state()
        # last.pt keeps full-precision EMA weights: resume must continue from them exactly.
        self._write("last.pt", lambda: save_checkpoint(self.out / "last.pt", self._sampling_model(), **meta))

    def save_best(self, metrics: dict, model=None) -> None:
        if self.ctx.is_main:
            self._write("best.pt", lambda: save_checkpoint(self.out / "best.pt", model or self._sampling_model(),
                                                           half=True, **self._metadata(metrics)))

    def score_best_on_full_split(self) -> None:
        """The best weights on every held-out image; the figure goes into best.pt's metrics."""
        best = self.best.model_like(self.ema)
        if best is None:
            return
        images, labels, boxes = self.full_test
        started = time.monotonic()
        bpd = heldout_nll(best, images, labels, self.ctx, embeddings=boxes)
        self.say(f"best weights (step {self.best_metrics.get('step')}) on all {len(images)} held-out images: "
                 f"{bpd:.4f} bits/dim ({time.monotonic() - started:.0f} s)")
        self.best_metrics.update(test_bpd_full=round(bpd, 5), test_images_full=len(images))
        self.last_metrics.update(test_bpd_full=round(bpd, 5), test_images_full=len(images))
        self.save_best(self.best_metrics, best)
