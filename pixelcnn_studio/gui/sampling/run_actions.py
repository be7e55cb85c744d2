"""Runs in the main window: start, pause, step, fork, and showing the frames that come back.

Every run starts from `state.plan()`: the app state, never a widget, says what is drawn.
"""
from __future__ import annotations

import random
import time

from ..common.canvas import image_before_step
from .controls import hover_text
from ..common.distribution import CHANNEL_NAMES
from ..common.theme import palette
from ..common.plain import tooltip_text


class RunActions:
    """Mixed into MainWindow (which owns state, session, canvas, controls, stats, timeline)."""

    # -- runs -------------------------------------------------------------------------------------
    def prepare_canvas(self) -> None:
        """A pending grid for the next run, so the layout is visible before anything is sampled."""
        plan = self.state.plan()
        if plan is None:
            return
        cfg = self.loaded.config
        self.canvas.set_layout(plan.n, cfg.channels, cfg.height, cfg.width, columns=plan.columns,
                               row_labels=list(plan.row_labels) if plan.row_labels else None, levels=cfg.levels,
                               slots=None if plan.cells is None else [k for k, c in enumerate(plan.cells) if c is not None])
        self.canvas.set_hint("Drag a box on the canvas, then press Space" if self.state.box_model
                             else "Press Space or Start to sample")
        self.dismiss_branch()                  # a new run has another past
        self.stats.reset(plan.n)
        self.stats.set_channels(cfg.channels)
        self.stats.show_idle(self.loaded.config.channels * cfg.height * cfg.width)
        self.timeline.reset()
        # Both charts: the stage's too, or a new model's empty picture stands beside an old distribution.
        self.distribution.reset()
        self.stage_distribution.reset()
        self._scrub = None
        self.show_state("idle")
        self.update_headline()

    def new_run(self, paused: bool = False) -> None:
        if self.loaded is None:
            self.show_error("Open a model first (File → Open checkpoint…).")
            return
        self.prepare_canvas()
        self.canvas.set_hint("Preparing the run…")
        self.statusBar().clearMessage()
        plan = self.state.plan()
        self.session.set_speed(self.state.speed)
        self.session.start(self.devices.model_for(self.loaded, plan.n), plan, paused=paused)
        self.show_state("paused" if paused else "running")

    def start_or_pause(self) -> None:
        state = self.session.state
        if state in ("running", "starting"):
            self.session.pause()
        elif state == "paused":
            self._leave_scrub()
            self.session.resume()
        else:
            if state == "done":
                # Start after a finished run means "more images": the same seed would only repeat
                # them (Restart does that on purpose).
                self.state.update(seed=self.state.seed + 1)
            self.new_run()

    def step(self) -> None:
        if self.session.state in ("idle", "stopped", "done"):
            self.new_run(paused=True)
        self._leave_scrub()
        self.session.step()

    def stop(self) -> None:
        self.session.stop()

    def restart(self) -> None:
        self.new_run()

    def new_seed(self) -> None:
        self.state.update(seed=random.randrange(0, 1_000_000))
        self.new_run()

    def resample_from(self, index: int) -> None:
        """Keep the steps before `index`, and sample the rest again with a fresh seed."""
        if self.session.worker is None or self.session.frame is None:
            return
        seed = random.randrange(0, 1_000_000)
        # The old branch stays beside the new one: the same past, another future.
        self.show_branch(self.session.frame, index)
        self.state.update(seed=seed)
        self.session.fork(index, seed=seed)
        self._scrub = None
        self.timeline.slider.setMaximum(index)
        self.statusBar().showMessage(f"Resampling from step {index:,} with seed {seed}", 5000)

    def plan_changed(self) -> None:
        """The plan changed: a run under way starts again on the new plan, an idle grid is redrawn."""
        state = self.session.state
        if state in ("running", "paused", "starting"):
            self.new_run(paused=state == "paused")
        elif self.loaded is not None:
            self.session.shutdown()
            self.prepare_canvas()
        self.update_headline()

    def write_text(self) -> None:
        """Enter in the word field: every character of the word sampled at once, side by side (an empty
        field goes back to the class settings); a character the model cannot draw is named instead."""
        self.state.update(text=self.conditioning.text.text())
        error = self.state.text_error()
        if error:
            self.show_error(error)
            return
        if self.loaded is not None:
            self.new_run()

    def select_class(self, index: int) -> None:
        if self.state.num_classes and 0 <= index < self.state.num_classes:
            self.state.update(class_index=index, per_class=False)

    def update_headline(self) -> None:
        self.headline.setText(self.state.describe())
        self.headline.setToolTip(tooltip_text(self.state.describe()))
        self.stage_heading.setText(self.state.describe())

    # -- frames -----------------------------------------------------------------------------------
    def _on_frame(self, frame) -> None:
        if frame.state != self._shown_state:
            self.show_state(frame.state)
        if self.canvas.hint:
            self.canvas.set_hint("")
        if self._scrub is None:
            highlight = frame.step_index if frame.step_index >= 0 else frame.done_steps - 1
            self.canvas.set_frame(frame.image, frame.done_steps, highlight if frame.state != "done" else -1)
        now = time.perf_counter()
        # The picture follows every frame. At a set speed the readouts beside it follow every frame too
        # (the distribution is the lesson there), their text and per-sample chart ten times a second.
        # At full speed the readouts change too fast to read and their redrawing (charts, wrapped
        # labels that lay the panel out again) took the sampler's time: four times a second.
        live = self.state.speed is not None
        if frame.state != "running" or live or now - self._readouts_shown >= 0.25:
            self._readouts_shown = now
            self.timeline.set_progress(frame.start, frame.done_steps, frame.total)
            self._show_distribution()
        if frame.state != "running" or now - self._stats_shown >= (0.1 if live else 0.25):
            self._stats_shown = now
            self.stats.show_frame(frame, self._position_text(frame))
            self.update_badge()
        if self._hover[0] >= 0:
            self._on_hover(*self._hover)
        if frame.state == "done":
            self.statusBar().showMessage(f"Done: {frame.image.shape[0]} image(s), seed {frame.seed}, "
                                         f"mean {frame.bits_per_dim.mean():.3f} bits/dim.  Space: new images · "
                                         "R: the same again")

    def show_state(self, state: str) -> None:
        self._shown_state = state
        self.controls.show_state(state, palette(self.state.theme))

    def _position_text(self, frame) -> str:
        if frame.step_index < 0:
            return frame.state
        row, col, ch = frame.step_position
        channel = f" · {CHANNEL_NAMES[ch]}" if frame.image.shape[1] == 3 else ""
        return f"pixel ({row}, {col}){channel}"

    def _show_distribution(self) -> None:
        frame = self.session.frame
        if frame is None or frame.step_probs is None or self.field_overlay.pinned is not None:
            return                      # (a hovered pixel or a scrubbed step is on show instead)
        s = min(self.canvas.selected, frame.step_probs.shape[0] - 1)
        shown = (s, frame.step_position, frame.image.shape[1], frame.step_probs[s], int(frame.step_values[s]))
        self.distribution.show_step(*shown)
        self.show_stage_distribution(*shown)

    def _select_sample(self, index: int) -> None:
        self.stats.set_selected(index)
        self._show_distribution()
        if self.session.frame is not None:
            self.stats.show_frame(self.session.frame, self._position_text(self.session.frame))

    def _on_scrub(self, index: int) -> None:
        frame = self.session.frame
        if frame is None:
            return
        if self.session.state in ("running", "starting"):
            self.session.pause()
        self._scrub = index
        self.canvas.set_frame(image_before_step(frame.image, index), index, index - 1)
        self.show_step_at(index - 1)

    def show_step_at(self, index: int, sample: int | None = None) -> bool:
        """The distribution step `index` was drawn from, and that sub-pixel's receptive field tinted
        (linked views: a hovered pixel, a scrubbed timeline); False if that step is not known."""
        frame, worker = self.session.frame, self.session.worker
        if frame is None or worker is None or not frame.start <= index < frame.done_steps:
            return False
        probs = worker.probs_at(index)
        if probs is None:
            return False
        _, C, H, W = frame.image.shape
        pixel, channel = divmod(index, C)
        row, col = divmod(pixel, W)
        s = min(self.canvas.selected if sample is None else sample, probs.shape[0] - 1)
        shown = (s, (row, col, channel), C, probs[s], int(frame.image[s, channel, row, col]))
        self.distribution.show_step(*shown)
        self.show_stage_distribution(*shown)
        self.field_overlay.pin((row, col, channel))
        return True

    def _leave_linked(self) -> None:
        """Back to the live step in the distribution and the overlay."""
        self.field_overlay.pin(None)
        self._show_distribution()

    def _leave_scrub(self) -> None:
        if self._scrub is None:
            return
        self._scrub = None
        self._leave_linked()
        frame = self.session.frame
        if frame is not None:
            self.canvas.set_frame(frame.image, frame.done_steps, frame.done_steps - 1)
        self.timeline.set_value(self.timeline.slider.maximum())

    def _on_hover(self, sample: int, row: int, col: int) -> None:
        moved = (sample, row, col) != self._hover
        self._hover = (sample, row, col)
        frame = self.session.frame
        if sample < 0 or frame is None or sample >= frame.image.shape[0]:
            self.stats.hover.setText("Hover over a sampled pixel to inspect it.")
            if moved:
                self._leave_linked() if self._scrub is None else self.show_step_at(self._scrub - 1)
            return
        shown = frame.done_steps if self._scrub is None else self._scrub
        self.stats.hover.setText(hover_text(frame, sample, row, col, shown))
        if moved:
            # The last sub-pixel of that pixel already drawn: its distribution and its field.
            C, W = frame.image.shape[1], frame.image.shape[3]
            first = (row * W + col) * C
            last = min(first + C, shown) - 1
            if last < first or not self.show_step_at(last, sample):
                self._leave_linked()
