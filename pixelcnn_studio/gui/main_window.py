"""The Studio's main window: layout, and the wiring between the panels, the run and the explorer tab."""
from __future__ import annotations

import random
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtWidgets import (QApplication, QFrame, QHBoxLayout, QLabel, QMainWindow, QTabWidget,
                               QVBoxLayout, QWidget)

from . import settings
from .canvas import SampleCanvas, image_before_step
from .controls import RunControls, StatsPanel, hover_text
from .distribution import CHANNEL_NAMES, DistributionView
from .menus import build_menus
from .model_loading import ModelLoading
from .panels import Banner, ConditioningPanel, ModelPanel
from .session import SamplingSession
from .theme import THEMES, app_icon, palette, stylesheet
from .timeline import Timeline
from .worker import LoadWorker


class MainWindow(ModelLoading, QMainWindow):
    LEFT_WIDTH = 290                     # the side panel with the models (pixels)
    model_loaded = Signal(str)           # path
    load_failed = Signal(str, str)       # path, message

    def __init__(self):
        super().__init__()
        self.setObjectName("studio")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.loaded = None
        self.model_path = ""
        self.loader: LoadWorker | None = None
        self._pending_path: str | None = None
        self._scrub: int | None = None
        self._hover = (-1, -1, -1)
        self._presentation = False
        self._normal_geometry = QByteArray()
        self._restore_timer = QTimer(self, singleShot=True)
        self._restore_timer.timeout.connect(self._leave_full_screen)
        self._shown_state = ""
        self._stats_shown = 0.0
        self._theme = settings.get("view/theme", "dark")
        self._theme = self._theme if self._theme in THEMES else "dark"
        self.session = SamplingSession(self)
        self.session.frame_changed.connect(self._on_frame)
        self.session.failed.connect(lambda msg: self.show_error(f"Sampling failed: {msg}"))
        self._build()
        self.actions_by_name = build_menus(self)
        from .portrait_wiring import PortraitTools
        self.portraits = PortraitTools(self)   # portrait panel, interpolation tab, Open portrait…
        from .field_overlay import attach_field_overlay
        self.field_overlay = attach_field_overlay(self)   # View → Receptive field overlay
        from .device_menu import attach_device_menu
        self.devices = attach_device_menu(self)           # Device → where runs sample
        self._restore_settings()
        self.apply_theme(self._theme)
        self._update_title()
        self._show_empty()

    # -- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        self.models = ModelPanel()
        self.conditioning = ConditioningPanel()
        self.canvas = SampleCanvas()
        self.controls = RunControls()
        self.distribution = DistributionView()
        self.stats = StatsPanel()
        self.timeline = Timeline()
        self.banner = Banner()
        self.headline = QLabel()
        self.headline.setObjectName("headline")
        self.headline.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.left = self._side_panel(self.models, self.conditioning, width=self.LEFT_WIDTH)
        centre = QVBoxLayout()
        centre.setContentsMargins(0, 0, 0, 0)
        centre.addWidget(self.headline)
        centre.addWidget(self.canvas, 1)
        centre.addWidget(self.timeline)
        centre.addWidget(self.controls)
        self.right = self._side_panel(self.distribution, self.stats, width=340)
        sampling = QWidget()
        sampling_layout = QHBoxLayout(sampling)
        sampling_layout.setContentsMargins(0, 6, 0, 0)
        sampling_layout.setSpacing(10)
        sampling_layout.addLayout(centre, 1)
        sampling_layout.addWidget(self.right)
        # The receptive-field explorer is built the first time its tab is opened: most sessions
        # never need its worker thread.
        self.explorer = None
        self._explorer_page = QWidget()
        QVBoxLayout(self._explorer_page).setContentsMargins(0, 6, 0, 0)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(sampling, "Sampling")
        self.tabs.addTab(self._explorer_page, "Receptive fields")
        self.tabs.setTabToolTip(1, "Why the Gated PixelCNN has two stacks: what each pixel can see, layer by layer")
        self.tabs.currentChanged.connect(self._tab_changed)
        main = QVBoxLayout()
        main.addWidget(self.banner)
        main.addWidget(self.tabs, 1)
        root = QWidget()
        layout = QHBoxLayout(root)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(10)
        layout.addWidget(self.left)
        layout.addLayout(main, 1)
        self.setCentralWidget(root)
        self.resize(1400, 860)

        self.models.open_requested.connect(self.open_checkpoint)
        self.models.browse_requested.connect(self.browse_checkpoint)
        self.conditioning.changed.connect(self._conditioning_changed)
        c = self.controls
        c.start.clicked.connect(self.start_or_pause)
        c.step.clicked.connect(self.step)
        c.stop.clicked.connect(self.stop)
        c.restart.clicked.connect(self.restart)
        c.new_seed.clicked.connect(self.new_seed)
        c.batch.valueChanged.connect(self._conditioning_changed)
        c.temperature.valueChanged.connect(self._temperature_changed)
        c.speed.valueChanged.connect(self._speed_changed)
        self.canvas.sample_clicked.connect(self._select_sample)
        self.canvas.hovered.connect(self._on_hover)
        self.timeline.scrubbed.connect(self._on_scrub)
        self.timeline.live.connect(self._on_live)
        self.timeline.resample_requested.connect(self.resample_from)

    @staticmethod
    def _side_panel(*widgets, width: int) -> QFrame:
        frame = QFrame()
        frame.setObjectName("sidePanel")
        frame.setFixedWidth(width)
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(10, 6, 10, 10)
        for i, w in enumerate(widgets):
            layout.addWidget(w, 1 if i == 0 else 0)
        return frame

    def _tab_changed(self, index: int) -> None:
        if index == 1 and self.explorer is None:
            from .explorer import ReceptiveFieldExplorer
            self.explorer = ReceptiveFieldExplorer()
            self._explorer_page.layout().addWidget(self.explorer)
            self.explorer.set_large_text(self._presentation)
            if self.loaded is not None:
                self.explorer.set_checkpoint(self.loaded)

    def show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)

    # -- runs -----------------------------------------------------------------------------------------------
    def _plan(self):
        return self.portraits.panel.plan(self.conditioning.plan(self.controls.batch.value()))

    def _prepare_canvas(self) -> None:
        """A pending grid for the next run, so the layout is visible before anything is sampled."""
        if self.loaded is None:
            return
        cfg = self.loaded.config
        n, _, _, columns, labels = self._plan()
        self.canvas.set_layout(n, cfg.channels, cfg.height, cfg.width, columns=columns, row_labels=labels,
                               levels=cfg.levels)
        self.canvas.set_hint("Press Space or Start to sample")
        self.stats.reset(n)
        self.timeline.reset()
        self.distribution.reset()
        self._scrub = None
        self._show_state("idle")
        self._update_headline()

    def new_run(self, paused: bool = False) -> None:
        if self.loaded is None:
            self.show_error("Open a model first (File → Open checkpoint…).")
            return
        self._prepare_canvas()
        self.canvas.set_hint("Preparing the run…")
        self.statusBar().clearMessage()
        n, class_ids, embedding, _, _ = self._plan()
        self.session.set_speed(self.controls.speed_value)
        self.session.start(self.devices.model_for(self.loaded, n), n, class_ids=class_ids, embedding=embedding,
                           seed=self.controls.seed.value(), temperature=self.controls.temperature.value(),
                           paused=paused)
        self._show_state("paused" if paused else "running")

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
                self.controls.seed.setValue((self.controls.seed.value() + 1) % (2**31 - 1))
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
        self.controls.seed.setValue(random.randrange(0, 1_000_000))
        self.new_run()

    def resample_from(self, index: int) -> None:
        """Keep the steps before `index`, and sample the rest again with a fresh seed."""
        if self.session.worker is None or self.session.frame is None:
            return
        seed = random.randrange(0, 1_000_000)
        self.controls.seed.setValue(seed)
        self.session.fork(index, seed=seed)
        self._scrub = None
        self.timeline.slider.setMaximum(index)
        self.statusBar().showMessage(f"Resampling from step {index:,} with seed {seed}", 5000)

    def _conditioning_changed(self, *_) -> None:
        state = self.session.state
        if state in ("running", "paused", "starting"):
            self.new_run(paused=state == "paused")
        elif self.loaded is not None:
            self.session.shutdown()
            self._prepare_canvas()
        self._update_headline()

    def select_class(self, index: int) -> None:
        self.conditioning.select_class(index)

    def _temperature_changed(self, value: float) -> None:
        settings.put("run/temperature", value)
        self.session.set_temperature(value)

    def _speed_changed(self, *_) -> None:
        speed = self.controls.speed_value
        settings.put("run/speed", "max" if speed is None else speed)
        self.session.set_speed(speed)

    def _update_headline(self) -> None:
        if self.loaded is None:
            self.headline.setText("")
            return
        name = (self.loaded.metadata.get("dataset") or {}).get("name") or Path(self.loaded.path).stem
        name += self.portraits.panel.headline_suffix()
        names = self.conditioning.class_names
        if names:
            what = "one row per class" if self.conditioning.per_row.isChecked() else \
                names[max(0, self.conditioning.combo.currentIndex())]
            self.headline.setText(f"{name}  ·  {what}")
        else:
            self.headline.setText(str(name))

    # -- frames --------------------------------------------------------------------------------------------
    def _on_frame(self, frame) -> None:
        if frame.state != self._shown_state:
            self._show_state(frame.state)
        if self.canvas.hint:
            self.canvas.set_hint("")
        self.timeline.set_progress(frame.start, frame.done_steps, frame.total)
        if self._scrub is None:
            highlight = frame.step_index if frame.step_index >= 0 else frame.done_steps - 1
            self.canvas.set_frame(frame.image, frame.done_steps, highlight if frame.state != "done" else -1)
        self._show_distribution()
        now = time.perf_counter()
        # Text and the per-sample chart change slowly to the eye: ten updates a second are plenty.
        if frame.state != "running" or now - self._stats_shown >= 0.1:
            self._stats_shown = now
            self.stats.show_frame(frame, self._position_text(frame))
        if self._hover[0] >= 0:
            self._on_hover(*self._hover)
        if frame.state == "done":
            self.statusBar().showMessage(f"Done: {frame.image.shape[0]} image(s), seed {frame.seed}, "
                                         f"mean {frame.bits_per_dim.mean():.3f} bits/dim.  Space: new images · "
                                         "R: the same again")

    def _show_state(self, state: str) -> None:
        self._shown_state = state
        self.controls.show_state(state, palette(self._theme))

    def _position_text(self, frame) -> str:
        if frame.step_index < 0:
            return frame.state
        row, col, ch = frame.step_position
        channel = f" · {CHANNEL_NAMES[ch]}" if frame.image.shape[1] == 3 else ""
        return f"pixel ({row}, {col}){channel}"

    def _show_distribution(self) -> None:
        frame = self.session.frame
        if frame is None or frame.step_probs is None:
            return
        s = min(self.canvas.selected, frame.step_probs.shape[0] - 1)
        self.distribution.show_step(s, frame.step_position, frame.image.shape[1], frame.step_probs[s],
                                    int(frame.step_values[s]))

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

    def _on_live(self) -> None:
        self._leave_scrub()

    def _leave_scrub(self) -> None:
        if self._scrub is None:
            return
        self._scrub = None
        frame = self.session.frame
        if frame is not None:
            self.canvas.set_frame(frame.image, frame.done_steps, frame.done_steps - 1)
        self.timeline.set_value(self.timeline.slider.maximum())

    def _on_hover(self, sample: int, row: int, col: int) -> None:
        self._hover = (sample, row, col)
        frame = self.session.frame
        if sample < 0 or frame is None or sample >= frame.image.shape[0]:
            self.stats.hover.setText("Hover over a sampled pixel to inspect it.")
            return
        self.stats.hover.setText(hover_text(frame, sample, row, col,
                                            frame.done_steps if self._scrub is None else self._scrub))

    # -- theme, presentation, settings ------------------------------------------------------------------
    def apply_theme(self, name: str) -> None:
        self._theme = name if name in THEMES else "dark"
        pal = palette(self._theme)
        QApplication.instance().setStyleSheet(stylesheet(self._theme, self._presentation))
        self.canvas.set_palette(pal)
        self.distribution.set_palette(pal)
        self.stats.set_palette(pal)
        self.controls.set_icons(pal)
        self._show_state(self._shown_state or "idle")
        settings.put("view/theme", self._theme)
        if "theme_dark" in getattr(self, "actions_by_name", {}):
            self.actions_by_name[f"theme_{self._theme}"].setChecked(True)

    def toggle_theme(self) -> None:
        self.apply_theme("light" if self._theme == "dark" else "dark")

    def set_presentation(self, on: bool) -> None:
        """Full screen, large type, only what an audience needs: the images, the distribution, the buttons."""
        if on == self._presentation:
            self.actions_by_name["presentation"].setChecked(on)
            return
        if on:
            self._normal_geometry = self.saveGeometry()
        self._presentation = on
        for w in (self.controls.settings_row, self.timeline, self.statusBar()):
            w.setVisible(not on)
        self.portraits.arrange_left_panel()
        # Collapsed rather than hidden: hiding the menu bar while the style sheet changes left some
        # window managers (openbox) stuck in full screen on the way out.
        self.menuBar().setMaximumHeight(0 if on else 16777215)
        self.stats.set_compact(on)
        self.distribution.set_large(on)
        if self.explorer is not None:
            self.explorer.set_large_text(on)
        self.right.setFixedWidth(480 if on else 340)
        self.actions_by_name["presentation"].setChecked(on)
        self.apply_theme(self._theme)
        if on:
            self.showFullScreen()
        else:
            # Leave full screen only once the normal type has shrunk the layout again: a minimum
            # size still wider than the screen keeps some window managers in full screen.
            self._restore_timer.start(50)

    def _leave_full_screen(self) -> None:
        self.showNormal()
        self.restoreGeometry(self._normal_geometry)

    def _restore_settings(self) -> None:
        geometry = settings.get("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        speed = settings.get("run/speed", "max")
        self.controls.set_speed_value(None if speed in (None, "max") else float(speed))
        self.controls.temperature.setValue(settings.get("run/temperature", 1.0, float) or 1.0)
        self.controls.batch.setValue(settings.get("run/batch", 16, int) or 16)
        self.controls.batch.valueChanged.connect(lambda v: settings.put("run/batch", v))

    def shutdown(self) -> None:
        """Stop every background thread; safe to call more than once."""
        self.session.shutdown()
        self.stop_card_reader()
        self.portraits.shutdown()
        self.field_overlay.shutdown()
        if self.explorer is not None:
            self.explorer.shutdown()
        if self.loader is not None:
            self.loader.wait(10000)

    def closeEvent(self, event) -> None:
        if not self._presentation:
            settings.put("window/geometry", self.saveGeometry())
        self.shutdown()
        event.accept()
