"""The parts of a training run that face whoever watches it (train/live.py): notes, the figures of a
`progress` line, the control file obeyed between steps, sample grids, and writes that survive a
full disk. Mixed into the loop's run (train/loop.py), whose state it reads."""
from __future__ import annotations

import time


class Watched:
    """Mixed into loop._Run (live, say, s, step, budget, clocks, the sampling model)."""

    def note(self, text: str, fades: bool = False) -> None:
        """A line for the terminal and for a watching app (`fades`: see LiveRun.note)."""
        self.say(text)
        self.live.note(text, fades=fades)

    def _single_class_as_unconditional(self) -> None:
        """One class has nothing to tell apart: trained without classes, said once."""
        ts = self.train_set
        if (self.s.conditioning == "auto" and not self.s.init_from and ts.class_names
                and len(ts.class_names) == 1):
            self.note(f"note: one class ({ts.class_names[0]}): training a model without classes; add a "
                      "sub-folder per class to train one that draws each on request")
            for dataset in (ts, self.test_set):
                dataset.labels, dataset.class_names = None, None
            self.full_test = (self.full_test[0], None)

    def _write(self, name: str, write) -> None:
        """Write a checkpoint; a full disk (or any write error) keeps the previous file and is said."""
        try:
            write()
        except OSError as exc:
            self.note(f"could not write {name} ({exc.strerror or exc}): the previous {name} is kept; "
                      "free some space and the next one will be written")

    # -- figures ----------------------------------------------------------------------------------
    def time_left(self) -> float | None:
        """Seconds to the end: the budget's remainder, or the steps left at the speed so far (the sooner)."""
        left = []
        if self.budget.seconds is not None:
            left.append(max(0.0, self.budget.seconds - self.budget.used()))
        done = self.step - self.first_step
        if done > 0:
            per_step = (time.monotonic() - self.started) / done
            left.append(max(0, self.total_steps - self.step) * per_step)
        return round(min(left), 1) if left else None

    def progress_fields(self) -> dict:
        return {"step": self.step, "total_steps": self.total_steps,
                "epoch": round(self.epoch + self.batch_in_epoch / self.steps_per_epoch, 3),
                "elapsed_s": round(self.elapsed(), 1), "time_left_s": self.time_left()}

    def announce_start(self) -> None:
        cfg = self.config
        self.live.emit("start", out=str(self.out), data=self.s.data, preset=self.s.preset,
                       init_from=self.s.init_from, resumed=bool(self.s.resume), step=self.step,
                       total_steps=self.total_steps, max_minutes=self.s.max_minutes,
                       threads=self.threads_in_use(), parameters=self.params, class_names=self.class_names,
                       image_size=list(cfg.image_size) if isinstance(cfg.image_size, (tuple, list))
                       else [cfg.image_size, cfg.image_size], channels=cfg.channels,
                       train_images=len(self.train_set), heldout_images=len(self.test_set))

    def threads_in_use(self) -> int:
        import torch
        return torch.get_num_threads()

    # -- between steps ----------------------------------------------------------------------------
    def evaluation_due(self) -> bool:
        """--eval-every-seconds: a held-out point every so many seconds of training, however fast the
        machine (a step count is minutes on a busy laptop and seconds on an idle one)."""
        every = self.s.eval_every_seconds
        if not every:
            return False
        mark = getattr(self, "_eval_mark", 0.0)
        if self.train_seconds_total - mark < every:
            return False
        self._eval_mark = self.train_seconds_total
        return True

    def obey_control(self, signals) -> None:
        """Pause (the clocks stop with it: a paused run spends no budget) or stop, as the control file asks."""
        word = self.live.requested()
        if word == "stop":
            signals.requested = True
            self.note(f"stop requested at step {self.step}: saving a resumable last.pt")
        elif word == "pause":
            self.say(f"paused at step {self.step} (write 'resume' into {self.out / 'control'} to go on)")
            paused, stop = self.live.wait_while_paused(lambda: signals.requested)
            self.started += paused
            self.budget.started += paused
            if stop:
                signals.requested = True
                self.note(f"stop requested at step {self.step} while paused: saving a resumable last.pt")

    def draw_grid_if_due(self, final: bool = False) -> None:
        """A grid from the EMA weights every --sample-every seconds of training (class and plain models),
        and one of the final weights when the run ends."""
        if self.kind not in ("class", "none") or not self.live.grid_due(self.train_seconds_total, final):
            return
        import torch
        model = self._sampling_model()
        with torch.no_grad():
            self.live.write_grid(model, self.class_names, self.step, self.train_seconds_total, seed=self.s.seed)
