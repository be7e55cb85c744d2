"""Exact resume: everything of a run that changes (weights, EMA, Adam moments, RNG, position) out of
and back into `last.pt`. Mixed into loop._Run, whose state it reads and restores."""
from __future__ import annotations

import torch

from .optim_state import load_optimizer_state, optimizer_state_by_name


class Resumable:
    """Mixed into loop._Run (model, ema, opt, ctx, s and the position counters)."""

    def _restore(self, st: dict, ema_state: dict) -> None:
        self.model.load_state_dict(st["model"])
        ema_state = {k: v.float() for k, v in ema_state.items()}
        if self.kind in ("autoencoder", "style"):   # the encoder trained with the model
            # The checkpoint holds the EMA decoder as its weights and the EMA encoder in its embedder entry.
            self.ema.decoder.load_state_dict(ema_state)
            self.ema.encoder.load_state_dict({k: v.float() for k, v in self.ema_embedder["state_dict"].items()})
        else:
            self.ema.load_state_dict(ema_state)
        load_optimizer_state(self.opt, self.model, st["optimizer"], list(st["model"]))
        pos = st["position"]
        self.epoch, self.batch_in_epoch, self.step = pos["epoch"], pos["batch_in_epoch"], pos["step"]
        self.last_eval_step, self.best_bpd = pos["last_eval_step"], pos["best_bpd"]
        self.elapsed_before = pos["elapsed"]
        self.interval = dict(st["interval"])
        self.images_total, self.train_seconds_total = pos["images_total"], pos["train_seconds"]
        self.last_metrics = dict(st.get("last_metrics") or {})
        if pos.get("world_size", 1) != self.ctx.world_size:
            self.say(f"warning: the run used {pos.get('world_size')} processes, now {self.ctx.world_size}: "
                     "training continues, but the data order differs from an uninterrupted run")
        rng = st["rng"]
        torch.set_rng_state(rng["cpu"])
        if self.ctx.device.type == "cuda" and rng.get("cuda") is not None:
            torch.cuda.set_rng_state(rng["cuda"], self.ctx.device)
        self.say(f"resumed from epoch {self.epoch}, batch {self.batch_in_epoch}, step {self.step}")

    def _resume_state(self) -> dict:
        cuda = self.ctx.device.type == "cuda"
        return {
            "settings": self.s.to_dict(),
            "model": {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()},
            "optimizer": optimizer_state_by_name(self.opt, self.model),
            "rng": {"cpu": torch.get_rng_state(), "cuda": torch.cuda.get_rng_state(self.ctx.device) if cuda else None},
            "position": {"epoch": self.epoch, "batch_in_epoch": self.batch_in_epoch, "step": self.step,
                         "last_eval_step": self.last_eval_step, "best_bpd": self.best_bpd,
                         "elapsed": self.elapsed(), "images_total": self.images_total,
                         "train_seconds": self.train_seconds_total, "world_size": self.ctx.world_size},
            "interval": dict(self.flush_pending_loss()),
            "schedule": {"kind": f"linear warm-up + {self.s.lr_decay}", "total_steps": self.total_steps,
                         "steps_per_epoch": self.steps_per_epoch},
            "last_metrics": dict(self.last_metrics),
        }
