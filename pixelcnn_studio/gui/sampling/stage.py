"""The stage: one sample shown large with its receptive field and distribution, the presenter's
badge, and the digit keys. Mixed into MainWindow.
"""
from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

from ..common.canvas import SampleCanvas
from ..common.distribution import CHANNEL_NAMES, DistributionView
from ..common.elided import ElidedLabel
from ..common.theme import palette
from ..common.plain import plain_label


def badge_text(state, frame) -> str:
    """Model, class, seed, temperature and step, for the audience (presentation mode)."""
    parts = [state.describe().replace("  ·  ", " · ")] if state.checkpoint is not None else []
    parts += [f"seed {state.seed}", f"T {state.temperature:.2f}"]
    if frame is not None:
        step = f"step {frame.done_steps:,} / {frame.total:,}"
        if frame.step_index >= 0 and frame.image.shape[1] == 3:
            step += f" ({CHANNEL_NAMES[frame.step_position[2]]})"
        parts.append(step)
    return "  ·  ".join(parts)


class StageMode:
    """Mixed into MainWindow (state, canvas, distribution, actions_by_name, session)."""

    def build_stage(self) -> QWidget:
        """The stage's panel, beside the one sample: what is shown (the headline's words), and the
        distribution the current sub-pixel was drawn from, large, with the drawn value called out.
        Hidden in the grid view."""
        self.stage_panel = QWidget()
        self.stage_heading = ElidedLabel()
        self.stage_heading.setObjectName("headline")
        self.stage_distribution = DistributionView()
        self.stage_distribution.set_large(True)
        self.stage_distribution.caption.setObjectName("callout")
        self.stage_distribution.plot.setMinimumHeight(60)
        layout = QVBoxLayout(self.stage_panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stage_heading)
        layout.addWidget(self.stage_distribution, 1)
        self.stage_panel.hide()
        self._overlay_before_stage = False
        return self.stage_panel

    def build_branch(self) -> QWidget:
        """Where the branch a "Resample from here" left behind is kept, beside the new one."""
        self.branch = QWidget()
        self.branch_title = plain_label()
        self.branch_title.setObjectName("muted")
        self.branch_title.setWordWrap(True)
        self.branch_canvas = SampleCanvas()
        self.branch_canvas.setMinimumSize(120, 120)
        dismiss = QPushButton("Dismiss")
        dismiss.setToolTip("Forget the old branch")
        dismiss.clicked.connect(self.dismiss_branch)
        layout = QVBoxLayout(self.branch)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.branch_title)
        layout.addWidget(self.branch_canvas, 1)
        layout.addWidget(dismiss)
        self.branch.hide()
        return self.branch

    def show_branch(self, frame, index: int) -> None:
        cfg = self.loaded.config
        self.branch_canvas.set_palette(palette(self.state.theme))
        self.branch_canvas.set_layout(frame.image.shape[0], cfg.channels, cfg.height, cfg.width,
                                      columns=self.canvas.columns, levels=cfg.levels)
        self.branch_canvas.set_frame(frame.image.copy(), frame.done_steps)
        self.branch_title.setText(f"Before resampling (seed {frame.seed}): the same first {index:,} steps, "
                                  "another future")
        self.branch.show()

    def dismiss_branch(self) -> None:
        self.branch.hide()

    @property
    def stage_view(self) -> bool:
        return self.state.view == "stage"

    def toggle_stage_view(self) -> None:
        self.set_view("grid" if self.stage_view else "stage")

    def set_view(self, view: str) -> None:
        """"grid" (every sample) or "stage" (the selected sample large, its field tinted, its
        distribution large beneath it)."""
        entering = view == "stage" and not self.stage_view
        leaving = view == "grid" and self.stage_view
        self.state.update(view=view)
        self.canvas.set_stage(view == "stage")
        self.arrange_stage()
        overlay = self.actions_by_name.get("field_overlay")
        if overlay is not None:
            if entering:
                self._overlay_before_stage = overlay.isChecked()
                overlay.setChecked(True)
            elif leaving:
                overlay.setChecked(self._overlay_before_stage)
        self.actions_by_name["stage_view"].setChecked(view == "stage")
        self._show_distribution()

    def arrange_stage(self) -> None:
        """On stage the sample is the hero (at least 60% of the window's height): the distribution
        stands beside it, in the room of the right-hand panel, which folds away with the headline
        (the stage panel repeats the headline's words). In presentation mode the badge says them,
        on every view."""
        on = self.stage_view
        self.stage_panel.setVisible(on)
        self.stage_heading.setVisible(on and not self.folded)
        self.right.setVisible(not on)
        self.headline.setVisible(not on and not self.folded)   # folded, the badge says it
        self.tabs.tabBar().setVisible(not (on and self.presenting))   # F3 and friends still switch tabs

    def show_stage_distribution(self, sample, position, channels, probs, value) -> None:
        if self.stage_view:
            self.stage_distribution.show_step(sample, position, channels, probs, value)

    def pick_class_key(self, digit: int) -> None:
        """A digit key: the class named by the digit, or at that position (see the shortcuts sheet)."""
        index = self.state.class_for_key(digit)
        if index is not None:
            self.select_class(index)
        elif self.state.num_classes:
            self.statusBar().showMessage(f"No class for key {digit} in this model.", 3000)

    def update_badge(self) -> None:
        if self.folded:
            self.badge.setText(badge_text(self.state, self.session.frame))
