"""Rewind and fork: a slider over the steps sampled so far.

While the handle sits at the right end the view follows the run live; dragging it back shows
the images as they were at that step (the run pauses), and "Resample from here" forks the run
at that step with a fresh seed.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSlider, QWidget
from ..common.plain import plain_label


class Timeline(QWidget):
    scrubbed = Signal(int)              # show the images before this step
    live = Signal()                     # back at the newest step: follow the run again
    resample_requested = Signal(int)    # fork at this step with a new seed

    def __init__(self, parent=None):
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setToolTip("Drag back to see the images at an earlier step")
        self.label = plain_label("step 0 / 0")
        self.label.setObjectName("muted")
        self.label.setMinimumWidth(150)
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.resample = QPushButton("Resample from here")
        self.resample.setToolTip("Keep everything before this step and sample the rest again with a new seed")
        self.resample.setEnabled(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(plain_label("Timeline"))
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        layout.addWidget(self.resample)
        self._total = 0
        self._start = 0
        self._updating = False
        self.slider.valueChanged.connect(self._moved)
        self.resample.clicked.connect(lambda: self.resample_requested.emit(self.slider.value()))

    @property
    def following(self) -> bool:
        return self.slider.value() >= self.slider.maximum()

    @property
    def value(self) -> int:
        return self.slider.value()

    def set_progress(self, start: int, done: int, total: int) -> None:
        """The run has `done` steps; keep following it unless the user has scrubbed back."""
        follow = self.following
        self._start, self._total = start, total
        self._updating = True
        try:
            self.slider.setRange(start, max(start, done))
            if follow:
                self.slider.setValue(self.slider.maximum())
        finally:
            self._updating = False
        self._update_label()

    def reset(self) -> None:
        self.set_progress(0, 0, 0)
        self.slider.setValue(0)
        self.resample.setEnabled(False)

    def set_value(self, step: int) -> None:
        self.slider.setValue(step)

    def _moved(self, value: int) -> None:
        self._update_label()
        self.resample.setEnabled(self.slider.maximum() > self._start)
        if self._updating:
            return
        if self.following:
            self.live.emit()
        else:
            self.scrubbed.emit(value)

    def _update_label(self) -> None:
        self.label.setText(f"step {self.slider.value():,} / {self._total:,}")
