"""The training loop: Adam with warm-up + cosine decay, EMA weights, gradient clipping,
held-out bits/dim, `last.pt`/`best.pt`, exact resume, clean stops on a time budget or signal.

Exact resume rests on three facts: the data order of an epoch is a pure function of
(seed, epoch) (DistributedSampler), the learning rate is a pure function of the step, and
everything else that changes (weights, EMA, Adam moments, RNG, position) is saved in `last.pt`.
"""
from __future__ import annotations

import copy
import math
import os
import sys
import time
from pathlib import Path

import torch
from torch.utils.data.distributed import DistributedSampler

from ..core import ModelConfig, build_model
from ..core.box import BOX_DIM
from ..core.checkpoint import read_checkpoint_dict
from . import distributed as D
from ..embed.autoencoder import ConvEncoder
from .conditioning import AutoencoderPixelCNN, SiblingStylePixelCNN, fixed_siblings, resolve_kind, sibling_indices
from .embeddings import dataset_embeddings
from .evaluate import heldout_nll, heldout_nll_and_prefix
from .regularise import add_dropout, augment
from .metrics import MetricsLog, StopSignals, progress_bar
from .schedule import ema_decay, lr_at
from .budget import BestWeights, TimeBudget
from .finetune import apply_architecture, data_notes, load_encoder, match_classes, read_start
from .live import LiveRun
from .checkpoints import Checkpoints
from .resumable import Resumable
from .watched import Watched
from .run_data import load_data
from .run_folder import TrainingDiverged, tidy_after_kill
from .step import TrainStep, compile_model, cpu_has_native_bf16, make_optimizer
from .settings import RESUME_OVERRIDABLE, TrainSettings, resume_settings

LN2 = math.log(2.0)
SYNC_EVERY = 25      # steps between read-backs of the training loss on a GPU
DEBUG_INDICES_ENV = "PIXELCNN_STUDIO_DEBUG_INDICES"   # a folder: each rank logs the indices it trains on
DEBUG_STOP_ENV = "PIXELCNN_STUDIO_DEBUG_STOP_AT_STEP"  # act as if Ctrl-C came after this step (tests)


def train(settings: TrainSettings | dict, explicit: dict | None = None) -> dict:
    """Run (or resume) training as the settings say; returns the final metrics on every rank.

    When resuming, `explicit` holds the values the user gave this time (None = not given); by
    default the run-length fields of `settings` that differ from the defaults count as given.
    """
    if isinstance(settings, dict):
        from .settings import resolve
        settings = resolve(settings)
    if settings.resume and explicit is None:
        blank = TrainSettings()
        explicit = {k: getattr(settings, k) for k in RESUME_OVERRIDABLE
                    if getattr(settings, k) != getattr(blank, k)}
        explicit.update(out=settings.out, resume=settings.resume)
    ctx = D.setup(settings.device if not settings.resume else (explicit or {}).get("device"))
    finished = False
    try:
        result = _Run(settings, ctx, explicit or {}).run()
        finished = True
        return result
    finally:
        D.teardown(ctx, finished=finished)


class _Run(Checkpoints, Resumable, Watched):
    def __init__(self, s: TrainSettings, ctx: D.DistContext, explicit: dict):
        self.ctx, self.out = ctx, Path(s.out)
        resume_state, ema_state, payload = None, None, None
        if s.resume:
            path = self.out / "last.pt" if s.resume in ("last", "auto", "true") else Path(s.resume)
            payload = read_checkpoint_dict(path)
            training = payload.get("training") or {}
            if "resume" not in training:
                from ..errors import UserError
                raise UserError(f"{path}: holds no resume state (only last.pt files written by `train` do)")
            resume_state, ema_state = training["resume"], payload["state_dict"]
            self.ema_embedder = payload.get("embedder")
            s = resume_settings(resume_state["settings"], {**explicit, "out": s.out, "resume": str(path)})
        self.s = s
        self.live = LiveRun(self.out, json_lines=s.progress_json, sample_every=s.sample_every, active=ctx.is_main,
                            resumed_step=resume_state["position"]["step"] if resume_state is not None else None)
        if s.threads:
            torch.set_num_threads(min(s.threads, os.cpu_count() or 1))
        start, adapt, channels = None, None, None
        if s.init_from:
            # Fine-tuning: the model's size, channels and classes rule the data (on resume, last.pt's do).
            if payload is None:
                start = read_start(s.init_from, s.conditioning)
                apply_architecture(s, start)
            cfg = start.config if start else ModelConfig.from_dict(payload["config"])
            names = start.class_names if start else payload.get("class_names")
            channels = cfg.channels
            adapt = lambda tr, te: match_classes(tr, te, names, cfg.num_classes, s.init_from)  # noqa: E731
        # Data first: a missing dataset should be the only line the user sees.
        self.train_set, self.test_set, self.full_test = load_data(s, channels, adapt)
        self._single_class_as_unconditional()
        # Data that cannot carry the conditioning asked for is the one line a user sees.
        self.kind = resolve_kind(s.conditioning, s.unconditional, self.train_set)
        for line in data_notes(self.train_set):
            self.note("note: " + line)
        self.say(f"device: {ctx.device}" + (f", {ctx.world_size} processes ({ctx.backend})" if ctx.enabled else "")
                 + f", {torch.get_num_threads()} thread(s) per process")
        cuda = ctx.device.type == "cuda"
        cpu_bf16 = not cuda and s.cpu_bf16 and ctx.device.type == "cpu" and cpu_has_native_bf16()
        if not cuda and s.bf16 and not cpu_bf16:
            self.say(f"note: --bf16 (CUDA; --cpu-bf16 on a CPU with native bf16) left off on {ctx.device.type}; "
                     "training in float32")
        if s.cpu_bf16 and not cpu_bf16 and not cuda:
            self.say("note: this CPU has no native bf16 arithmetic: training in float32")
        self.autocast = torch.bfloat16 if ((s.bf16 and cuda) or cpu_bf16) else None

        torch.manual_seed(s.seed)
        conditional = self.kind in ("class", "box", "style")
        # Models whose encoder trains with them: the checkpoint holds the decoder, the encoder rides along.
        self.with_encoder = self.kind in ("autoencoder", "style")
        if self.kind == "box" and (s.flip or s.shift):
            from ..errors import UserError
            raise UserError("--flip and --shift would move pictures off their boxes: leave them off for box data")
        self.class_names = list(self.train_set.class_names) if conditional else None
        self.embeddings = self.test_embeddings = None
        embedding_dim = s.code_dim if self.with_encoder else 0
        if self.kind == "embedding":
            # Each process embeds its share of what the per-user cache lacks; they swap the vectors.
            shared = {"show_progress": ctx.is_main, "share": (ctx.rank, ctx.world_size),
                      "exchange": lambda part: D.all_gather_objects(part, ctx)}
            self.embeddings = dataset_embeddings(self.train_set.images, s.embedder, sources=self.train_set.sources,
                                                 label="training", **shared).to(ctx.device)
            self.test_embeddings = dataset_embeddings(self.test_set.images, s.embedder, sources=self.test_set.sources,
                                                      label="held-out", **shared)
            embedding_dim = self.embeddings.shape[1]
        elif self.kind == "box":
            # The data made each picture in its box: the box is the embedding, read, not computed.
            self.embeddings = self.train_set.boxes.to(ctx.device)
            self.test_embeddings = self.test_set.boxes
            embedding_dim = BOX_DIM
        self.config = ModelConfig(image_size=self.train_set.image_size, channels=self.train_set.channels,
                                  hidden=s.hidden, layers=s.layers, kernel_size=s.kernel_size,
                                  output_hidden=s.output_hidden, variant=s.variant,
                                  num_classes=len(self.class_names) if conditional else 0,
                                  embedding_dim=embedding_dim,
                                  # A code that says *where* things are is only usable through a spatial
                                  # map s = m(h): a per-layer bias cannot tell one pixel from another.
                                  location_conditioning=self.kind in ("autoencoder", "box"))
        model = build_model(self.config)
        if start is not None:
            try:
                model.load_state_dict(start.model.state_dict())
            except RuntimeError as exc:
                from ..errors import UserError
                raise UserError(f"--init-from {s.init_from}: its weights do not fit the model built for "
                                f"these pictures ({str(exc).splitlines()[0]})") from None
            self.say(f"fine-tuning {s.init_from} ({self.config.num_classes or 'no'} classes)")
        if self.with_encoder:
            wrapper = AutoencoderPixelCNN if self.kind == "autoencoder" else SiblingStylePixelCNN
            model = wrapper(model, ConvEncoder(self.config.channels, self.config.image_size,
                                               s.code_dim, levels=self.config.levels))
            if start is not None:
                load_encoder(model, start)
        self.model = model.to(ctx.device)
        self.ema = copy.deepcopy(self.model).eval().requires_grad_(False)
        add_dropout(self.model, s.dropout)       # after the copy: the EMA model never drops
        self.opt = make_optimizer(self.model, s.lr, s.weight_decay, beta2=s.adam_beta2)
        self.images = self.train_set.images.to(ctx.device)
        self.labels = self.train_set.labels.to(ctx.device) if conditional else None
        self.test_labels = self.test_set.labels if conditional else None
        self.groups = None
        if self.kind == "style":   # the held-out images are scored with the code of a fixed sibling each
            self.groups = self.train_set.groups.to(ctx.device)
            self.test_embeddings = self.test_set.images[fixed_siblings(self.test_set.groups, s.seed)]

        self.sampler = DistributedSampler(self.train_set, num_replicas=ctx.world_size, rank=ctx.rank,
                                          shuffle=True, seed=s.seed, drop_last=True)
        self.steps_per_epoch = len(self.sampler) // s.batch_size
        if self.steps_per_epoch < 1:
            from ..errors import UserError
            raise UserError(f"{len(self.train_set)} training images are fewer than one batch of {s.batch_size} "
                            f"per process; lower --batch-size")
        self.total_steps = min(s.steps or sys.maxsize, s.epochs * self.steps_per_epoch)

        # Position and bookkeeping; restored on resume.
        self.epoch = self.batch_in_epoch = self.step = self.last_eval_step = 0
        self.best_bpd, self.elapsed_before = float("inf"), 0.0
        self.best, self.best_metrics = BestWeights(), {}
        # The best weights are scored again on the whole held-out split at the end when the
        # curve was drawn on a part of it (class-conditional and unconditional models).
        self.final_images = len(self.full_test[0]) if (s.final_full_eval and self.kind in ("class", "none", "box")
                                                       and len(self.full_test[0]) > len(self.test_set)) else 0
        self.budget = TimeBudget(s.max_minutes, self.final_images)
        self.interval = {"nll": 0.0, "count": 0, "images": 0, "seconds": 0.0}
        # Summed batch losses not yet read back from the device (see `run`).
        self.pending_nll: torch.Tensor | float = 0.0
        self.images_total, self.train_seconds_total = 0, 0.0
        self.last_metrics: dict = {}
        if resume_state is not None:
            self._restore(resume_state, ema_state)

        self.net = eager = D.wrap_model(self.model, ctx)
        if s.compile:
            self.net = compile_model(self.net, self.say)
        self.step_fn = TrainStep(self.net, self.model, self.opt, self.ema, grad_clip=s.grad_clip,
                                 autocast_dtype=self.autocast, device_type=ctx.device.type,
                                 eager=eager, say=self.say, compile_loss=s.compile and self.net is not eager)
        self.params = sum(p.numel() for p in self.model.parameters())
        if ctx.is_main:
            tidy_after_kill(self.out, self.step if resume_state is not None else None)
        self.metrics = MetricsLog(self.out / "metrics.csv", append=resume_state is not None) if ctx.is_main else None
        self.debug_dir = os.environ.get(DEBUG_INDICES_ENV)
        self.debug_stop = int(os.environ.get(DEBUG_STOP_ENV, "0")) or None

    # -- output ------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        if self.ctx.is_main:
            from tqdm import tqdm

            from ..core.safe_text import one_line
            # Lines may name files and classes from the data: escaped, so none can drive the terminal.
            tqdm.write(one_line(text, 2000), file=sys.stderr)

    # -- evaluation --------------------------------------------------------------------------
    def flush_pending_loss(self) -> dict:
        """Move the device-side loss sum into the interval's plain numbers (one sync)."""
        self.interval["nll"] += float(self.pending_nll)
        self.pending_nll = 0.0
        return self.interval

    def evaluate_and_record(self, whole_split: bool = False) -> dict:
        """A point of the curve (the EMA weights on the held-out part); with `whole_split`, the run's
        last: the same pass scores the whole held-out split, which the part begins (run_data.py)."""
        self.flush_pending_loss()
        nll, count, images, secs = D.all_sum([self.interval["nll"], float(self.interval["count"]),
                                              float(self.interval["images"]), 0.0], self.ctx)
        secs = self.interval["seconds"]
        started = time.monotonic()
        # CPU evaluations stay in float32 even when training in bf16: the curve is exact.
        autocast = self.autocast if self.ctx.device.type == "cuda" else None
        whole_bpd = None
        if whole_split:
            self.live.emit("scoring", images=self.final_images)
            images_all, labels_all, boxes_all = self.full_test
            labels_all = None if self.test_labels is None else labels_all
            whole_bpd, test_bpd = heldout_nll_and_prefix(self.ema, images_all, labels_all, self.ctx,
                                                         prefix=len(self.test_set), autocast_dtype=autocast,
                                                         embeddings=boxes_all)
        else:
            test_bpd = heldout_nll(self.ema, self.test_set.images, self.test_labels, self.ctx,
                                   autocast_dtype=autocast, embeddings=self.test_embeddings)
        self.budget.note_evaluation(len(self.full_test[0]) if whole_split else len(self.test_set),
                                    time.monotonic() - started)
        if not math.isfinite(test_bpd):
            raise TrainingDiverged(self.out, self.step, f"the held-out bits/dim became {test_bpd}")
        row = {"epoch": round(self.epoch + self.batch_in_epoch / self.steps_per_epoch, 3), "step": self.step,
               "train_bpd": round(nll / max(count, 1) / LN2, 5), "test_bpd": round(test_bpd, 5),
               "images_per_s": round(images / max(secs, 1e-9), 2), "seconds": round(self.elapsed(), 3)}
        self.interval = {"nll": 0.0, "count": 0, "images": 0, "seconds": 0.0}
        self.last_eval_step = self.step
        self.last_metrics = {"test_bpd": row["test_bpd"], "train_bpd": row["train_bpd"],
                             "best_test_bpd": min(self.best_bpd, test_bpd), "epoch": row["epoch"], "step": self.step}
        if self.metrics:
            self._write("metrics.csv", lambda: self.metrics.write(row))
        improved = test_bpd < self.best_bpd
        self.best_bpd = min(self.best_bpd, test_bpd)
        self.say(f"epoch {row['epoch']:.2f} step {self.step}: train {row['train_bpd']:.4f}  held-out "
                 f"{row['test_bpd']:.4f} bits/dim (EMA){'  * best' if improved else ''}  "
                 f"{row['images_per_s']:.1f} img/s")
        self.live.emit("eval", **row, best=improved, best_test_bpd=round(self.best_bpd, 5))
        if whole_bpd is not None:
            self.say(f"{'these' if improved else 'the last'} weights on all {len(self.full_test[0])} held-out "
                     f"images: {whole_bpd:.4f} bits/dim ({time.monotonic() - started:.0f} s)")
        if improved:
            self.best_metrics = dict(self.last_metrics)
            if whole_bpd is not None:       # the best weights are these, and their whole-split figure known
                self.best_metrics.update(test_bpd_full=round(whole_bpd, 5), test_images_full=len(self.full_test[0]))
                self.last_metrics.update(test_bpd_full=round(whole_bpd, 5), test_images_full=len(self.full_test[0]))
                self.best = BestWeights()
            elif self.final_images:
                self.best.keep(self.ema)
            self.save_best(self.best_metrics)
        self.save_last()
        return row

    # -- the loop ----------------------------------------------------------------------------
    def train_step(self, idx: torch.Tensor) -> torch.Tensor:
        x = augment(self.images[idx], flip=self.s.flip, shift=self.s.shift, seed=self.s.seed, step=self.step)
        y = None if self.labels is None else self.labels[idx]
        e = None if self.embeddings is None else self.embeddings[idx]
        if self.groups is not None:   # a fresh sibling each step, a pure function of (seed, step) for resume
            generator = torch.Generator().manual_seed(self.s.seed * 1_000_003 + self.step)
            e = self.images[sibling_indices(self.groups.cpu(), idx.cpu(), generator).to(self.images.device)]
        # Ranks would read their clocks apart and step with different rates: steps only under DDP.
        fraction = self.budget.fraction() if self.s.time_schedule and not self.ctx.enabled else None
        return self.step_fn(x, y, e, lr=lr_at(self.step, self.total_steps, self.s, time_fraction=fraction),
                            ema_decay=ema_decay(self.step, self.s.ema))

    def run(self) -> dict:
        s, ctx = self.s, self.ctx
        self.started = time.monotonic()
        self.budget = TimeBudget(s.max_minutes, self.final_images)
        first_step = self.first_step = self.step
        self.announce_start()
        self.say(f"{self.params:,} parameters; {len(self.train_set)} train / {len(self.test_set)} held-out images; "
                 f"{self.steps_per_epoch} steps per epoch of {s.batch_size}x{ctx.world_size}; "
                 f"stopping at step {self.total_steps}")
        stop = None
        on_gpu = ctx.device.type == "cuda"
        if s.compile:
            self.note("compiling the training step (about a minute the first time on a CPU; later runs on "
                      "this machine reuse it)", fades=True)
        with StopSignals(self.say) as signals:
            while stop is None and self.epoch < s.epochs and self.step < self.total_steps:
                self.sampler.set_epoch(self.epoch)
                order = torch.tensor(list(self.sampler), dtype=torch.int64)
                batches = order[: self.steps_per_epoch * s.batch_size].view(self.steps_per_epoch, s.batch_size)
                bar = progress_bar(self.steps_per_epoch, self.batch_in_epoch, f"epoch {self.epoch + 1}",
                                   disable=not ctx.is_main)
                for b in range(self.batch_in_epoch, self.steps_per_epoch):
                    if self.step >= self.total_steps:
                        break
                    if self.debug_dir:
                        with open(Path(self.debug_dir) / f"rank{ctx.rank}.txt", "a") as f:
                            f.write(" ".join(map(str, batches[b].tolist())) + "\n")
                    # On a GPU, reading the loss back waits for the queued kernels; doing it only every
                    # SYNC_EVERY steps lets the CPU queue the next steps meanwhile. The step that reads
                    # it back absorbs the wait, so the summed step times still add up to the wall time.
                    read_back = not on_gpu or (self.step + 1) % SYNC_EVERY == 0
                    t0 = time.perf_counter()
                    loss_t = self.train_step(batches[b].to(ctx.device))
                    loss = float(loss_t) if read_back else None
                    dt = time.perf_counter() - t0
                    self.step, self.batch_in_epoch = self.step + 1, b + 1
                    n = s.batch_size * ctx.world_size
                    # In float64, in step order: the same sum the plain numbers would give.
                    self.pending_nll = self.pending_nll + loss_t.double() * s.batch_size
                    self.interval["count"] += s.batch_size
                    self.interval["images"] += s.batch_size
                    self.interval["seconds"] += dt
                    if not (s.compile and self.step == first_step + 1):
                        # The compiling first step says nothing of the speed the budget plans with.
                        self.budget.note_training(s.batch_size, dt)
                    self.images_total, self.train_seconds_total = self.images_total + n, self.train_seconds_total + dt
                    bar.update(1)
                    self.live.step_done(loss_nats=loss, images=n, seconds=dt, fields=self.progress_fields)
                    self.obey_control(signals)
                    self.draw_grid_if_due()
                    if loss is not None:
                        bar.set_postfix(loss=f"{loss:.3f}", bpd=f"{loss / LN2:.3f}",
                                        img_s=f"{n * (b + 1 - bar.initial) / max(bar.format_dict['elapsed'], 1e-9):.1f}"
                                        if bar.format_dict.get("elapsed") else "", refresh=False)
                    # Skip a step-count evaluation that would nearly repeat the one at the epoch's end.
                    near_end = b + 1 + s.eval_every // 2 > self.steps_per_epoch if s.eval_every else True
                    if (s.eval_every and self.step % s.eval_every == 0 and not near_end) or self.evaluation_due():
                        self.evaluate_and_record()
                    if self.debug_stop == self.step:
                        signals.requested = True
                    if s.compile and self.step == first_step + 1:
                        # A note, so that a watching window replaces its "compiling" line.
                        self.note(f"training step compiled ({dt:.0f} s for the first step)", fades=True)
                    out_of_time = self.budget.out_of_time()
                    bad_loss = loss is not None and not math.isfinite(loss)
                    if D.any_rank(signals.requested or out_of_time or bad_loss, ctx):
                        if D.any_rank(bad_loss, ctx):
                            # Nothing is saved from here: last.pt and best.pt keep the last good weights.
                            bar.close()
                            raise TrainingDiverged(self.out, self.step, f"the training loss became {loss}")
                        stop = "signal" if D.any_rank(signals.requested, ctx) else "time budget"
                        break
                bar.close()
                if self.batch_in_epoch >= self.steps_per_epoch:
                    self.epoch, self.batch_in_epoch = self.epoch + 1, 0
                if stop != "signal" and self.last_eval_step != self.step:
                    run_ends = stop is not None or self.step >= self.total_steps or self.epoch >= s.epochs
                    self.evaluate_and_record(whole_split=bool(self.final_images) and run_ends)
        if stop != "signal" and self.final_images and "test_bpd_full" not in self.best_metrics:
            # The best weights were an earlier point's: they are scored on the whole split now.
            self.live.emit("scoring", images=self.final_images)
            self.score_best_on_full_split()
        if stop == "signal":
            self.save_last()
            self.say(f"interrupted at step {self.step}: saved a resumable {self.out / 'last.pt'} "
                     f"(continue with --resume)")
        elif stop == "time budget":
            self.say(f"time budget of {s.max_minutes} min reached at step {self.step}; "
                     f"{self.out / 'last.pt'} is resumable (--resume)")
        else:
            self.say(f"done: {self.step} steps, best held-out {self.best_bpd:.4f} bits/dim, "
                     f"{self.elapsed() / 60:.1f} min; {self.out / 'best.pt'}" if self.best_metrics else
                     f"done: {self.step} steps, {self.elapsed() / 60:.1f} min; no evaluation, so no best.pt")
        self.draw_grid_if_due(final=True)
        # The best weights' score on the whole held-out split, where the run made one (--final-full-eval).
        whole = {k: self.best_metrics[k] for k in ("test_bpd_full", "test_images_full") if k in self.best_metrics}
        self.live.emit("end", stopped=stop or "finished", step=self.step, best_test_bpd=self.best_bpd, **whole,
                       best=str(self.live.out / "best.pt"), last=str(self.live.out / "last.pt"))
        D.barrier(ctx)
        return {**self.last_metrics, "stopped": stop or "finished", "best_test_bpd": self.best_bpd}
