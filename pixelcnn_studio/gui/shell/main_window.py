"""The Studio's main window: its layout, and the wiring between the app state, the panels and the run."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QMainWindow, QTabWidget, QVBoxLayout, QWidget

from ..common import jobs, settings
from .keys import FieldKeyGuard, Scenes
from .binding import StateSignals
from ..common.canvas import SampleCanvas
from ..sampling.controls import SPEEDS, RunControls, StatsPanel
from ..common.distribution import DistributionView
from ..common.elided import ElidedLabel
from .menus import build_menus
from .model_loading import ModelLoading
from ..common.panels import Banner, ConditioningPanel, ModelPanel
from .presentation import Presentation
from ..sampling.run_actions import RunActions
from ..common.session import SamplingSession
from ..sampling.stage import StageMode
from .state import TABS, AppState, Settings
from ..common.theme import THEMES, app_icon, palette
from ..sampling.timeline import Timeline

# Side panels, in units of the font's height: they grow with large type and never with a text.
LEFT_EM, RIGHT_EM = 17, 20
# In presentation mode the side panels take at most these shares of the width: the grid is the hero.
PRESENTING_LEFT_SHARE, PRESENTING_RIGHT_SHARE = 0.15, 0.2
# Presenting a portrait model: a wider left panel (its words were cut at 15%), the right one a little
# narrower, so that the grid keeps 60% of the width.
PORTRAIT_LEFT_SHARE, PORTRAIT_RIGHT_SHARE = 0.19, 0.17
CLOSE_WAIT_S = 0.8           # what closing the window may spend waiting for background jobs


def remember_class(model_path: str, class_name: str | None, per_class: bool) -> None:
    """Each model's last class, kept by name across restarts (a few models, a few words each)."""
    import json
    try:
        chosen = json.loads(settings.get("run/classes", "") or "{}")
    except (TypeError, ValueError):
        chosen = {}
    chosen = chosen if isinstance(chosen, dict) else {}
    chosen.pop(model_path, None)
    chosen[model_path] = {"class": class_name, "per_class": bool(per_class)}
    settings.put("run/classes", json.dumps(dict(list(chosen.items())[-32:])))


def remembered_class(model_path: str) -> tuple[str | None, bool]:
    import json
    try:
        entry = json.loads(settings.get("run/classes", "") or "{}").get(model_path) or {}
        name = entry.get("class")
        return (name if isinstance(name, str) else None), entry.get("per_class") is True
    except (TypeError, ValueError, AttributeError):
        return None, False


def em(widget) -> int:
    return widget.fontMetrics().height()


class MainWindow(ModelLoading, RunActions, Presentation, StageMode, QMainWindow):
    model_loaded = Signal(str)           # path
    load_failed = Signal(str, str)       # path, message

    def __init__(self):
        super().__init__()
        self.setObjectName("studio")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        theme = settings.get("view/theme", "dark")
        self.state = AppState(Settings(theme=theme if theme in THEMES else "dark"))
        self.signals = StateSignals(self.state, self)
        self.model_path = ""
        self.loader = None
        self._scrub: int | None = None
        self._hover = (-1, -1, -1)
        self._restore_timer = QTimer(self, singleShot=True)
        self._restore_timer.timeout.connect(self._leave_full_screen)
        self._shown_state = ""
        self._stats_shown = self._readouts_shown = 0.0
        self.session = SamplingSession(self)
        self.session.frame_changed.connect(self._on_frame)
        self.session.failed.connect(lambda msg: self.show_error(f"Sampling failed: {msg}"))
        self._build()
        self._bind_state()
        self.actions_by_name = build_menus(self)
        from .portrait_wiring import PortraitTools
        self.portraits = PortraitTools(self)   # portrait panel, interpolation tab, Open portrait…
        from .picture_tools import PictureTools
        self.picture_tools = PictureTools(self)   # the Draw and Surprise tabs
        from .train_tools import TrainTools
        self.train_tools = TrainTools(self)       # the Train tab: a training run in its own process
        from ..fields.overlay import attach_field_overlay
        self.field_overlay = attach_field_overlay(self)   # View → Receptive field overlay
        from ..sampling.box_tool import attach_box_tool
        from .menus import insert_after, window_action
        # Box models: the box drawn on the canvas, its keys and the location map.
        self.box_tool = attach_box_tool(self, window_action, insert_after)
        from .device_menu import attach_device_menu
        self.devices = attach_device_menu(self)           # Device → where runs sample
        from .talk_keys import TalkKeys
        self.talk_keys = TalkKeys(self)                   # resample, temperature, next model, …
        self.scenes = Scenes(self)
        self._key_guard = FieldKeyGuard(self)
        QApplication.instance().installEventFilter(self._key_guard)
        self.restore_window()
        self._restore_run_settings()
        self._apply_type()
        self._update_title()
        self._show_empty()
        settings.check_version()
        self.show_settings_notes()

    def show_settings_notes(self) -> bool:
        """Why saved settings were not used (a bad value, a foreign file), in the status bar."""
        notes = settings.take_notes()
        if notes:
            more = f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""
            self.statusBar().showMessage(notes[0] + more, 15000)
        return bool(notes)

    @property
    def loaded(self):
        return self.state.checkpoint

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
        # A long class or file name is cut, never allowed to widen the window.
        self.headline = ElidedLabel()
        self.headline.setObjectName("headline")
        self.headline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge = ElidedLabel()           # presentation mode: model, class, seed, temperature, step
        self.badge.setObjectName("badge")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.hide()

        self.left = self._side_panel(self.models, self.conditioning)
        centre = QVBoxLayout()
        centre.setContentsMargins(0, 0, 0, 0)
        centre.addWidget(self.headline)
        hero = QHBoxLayout()
        hero.addWidget(self.canvas, 2)
        hero.addWidget(self.build_branch(), 1)
        hero.addWidget(self.build_stage(), 2)        # stage view: the distribution beside the sample
        centre.addLayout(hero, 1)
        centre.addWidget(self.timeline)
        centre.addWidget(self.controls)
        self.right = self._side_panel(self.distribution, self.stats)
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
        main.addWidget(self.badge)           # above the tabs: it names the model on every one
        main.addWidget(self.tabs, 1)
        root = QWidget()
        layout = QHBoxLayout(root)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(10)
        layout.addWidget(self.left)
        layout.addLayout(main, 1)
        self.setCentralWidget(root)
        self.arrange_side_panels()

        self.models.open_requested.connect(self.open_checkpoint)
        self.models.browse_requested.connect(self.browse_checkpoint)
        c = self.controls
        c.start.clicked.connect(self.start_or_pause)
        c.step.clicked.connect(self.step)
        c.stop.clicked.connect(self.stop)
        c.restart.clicked.connect(self.restart)
        c.new_seed.clicked.connect(self.new_seed)
        self.conditioning.text.returnPressed.connect(self.write_text)
        self.canvas.sample_clicked.connect(self._select_sample)
        self.canvas.hovered.connect(self._on_hover)
        self.timeline.scrubbed.connect(self._on_scrub)
        self.timeline.live.connect(self._leave_scrub)
        self.timeline.resample_requested.connect(self.resample_from)

    def _bind_state(self) -> None:
        """The input widgets show the state and change it; runs read the state only."""
        bind, c = self.signals.bind, self.controls
        bind("seed", c.seed)
        bind("batch", c.batch)
        bind("temperature", c.temperature)
        bind("speed", c.speed, read=lambda w: SPEEDS[w.value()], show=lambda w, v: c.set_speed_value(v))
        combo, per_class = self.conditioning.combo, self.conditioning.per_row
        bind("class_index", combo, read=lambda w: max(0, w.currentIndex()),
             show=lambda w, v: w.setCurrentIndex(v) if w.count() else None, signal=combo.currentIndexChanged)
        bind("per_class", per_class, read=lambda w: w.isChecked(), show=lambda w, v: w.setChecked(v),
             signal=per_class.toggled)
        # The typed word becomes the state's on Enter only (write_text): a run per keystroke would thrash.
        text = self.conditioning.text
        self.signals.changed.connect(lambda names: text.setText(self.state.text)
                                     if "text" in names and text.text() != self.state.text else None)
        self.signals.changed.connect(self._state_changed)

    def _state_changed(self, names) -> None:
        if names & {"class_index", "per_class", "batch"} and "checkpoint" not in names:
            self.conditioning.combo.setEnabled(bool(self.state.num_classes) and not self.state.per_class)
            self.plan_changed()
        if "temperature" in names:
            settings.put("run/temperature", self.state.temperature)
            self.session.set_temperature(self.state.temperature)
        if "speed" in names:
            settings.put("run/speed", "max" if self.state.speed is None else self.state.speed)
            self.session.set_speed(self.state.speed)
        if "batch" in names:
            settings.put("run/batch", self.state.batch)
        if "seed" in names:
            settings.put("run/seed", self.state.seed)
        if names & {"class_index", "per_class"} and "checkpoint" not in names and self.model_path:
            remember_class(self.model_path, self.state.class_name, self.state.per_class)
        if "embedding" in names and "checkpoint" not in names:
            self.update_headline()
        self.update_badge()

    def _side_panel(self, *widgets) -> QFrame:
        frame = QFrame()
        frame.setObjectName("sidePanel")
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(10, 6, 10, 10)
        for i, w in enumerate(widgets):
            layout.addWidget(w, 1 if i == 0 else 0)
        return frame

    def arrange_side_panels(self) -> None:
        """Side panel widths from the type size; in large type (presenting, or Large text in a
        window), also capped by a share of the screen, so that the images keep most of its width."""
        left, right = LEFT_EM * em(self.models) + 20, RIGHT_EM * em(self.stats) + 20
        if self.presenting or self.state.large_text:
            screen = self.screen()
            width = screen.geometry().width() if screen is not None else self.width()
            # A portrait panel (its drop zone, its words) needs a little more than a class list.
            # (full screen only: Large text in a window has the menus' and the frame's width less).
            portrait = self.portraits.panel.active and self.presenting
            share = PORTRAIT_LEFT_SHARE if portrait else PRESENTING_LEFT_SHARE
            left = min(left, int(width * share))
            right = min(int(right * 1.25), int(width * (PORTRAIT_RIGHT_SHARE if portrait else PRESENTING_RIGHT_SHARE)))
        self.left.setFixedWidth(left)
        self.right.setFixedWidth(right)

    def _tab_changed(self, index: int) -> None:
        self.state.update(tab=TABS[min(index, len(TABS) - 1)])
        self.portraits.arrange_left_panel()
        if index == 1:
            self.ensure_explorer()

    def ensure_explorer(self):
        """The receptive-field explorer, built the first time it is needed (its tab, or a scene)."""
        if self.explorer is None:
            from ..fields.explorer import ReceptiveFieldExplorer
            self.explorer = ReceptiveFieldExplorer()
            self._explorer_page.layout().addWidget(self.explorer)
            self.explorer.set_large_text(self.presenting or self.state.large_text)
            self.explorer.set_panel_shown(not self.folded)
            self.explorer.set_palette(palette(self.state.theme))
            # One "Large text" for the whole window: the tab's own box follows and sets it.
            self.explorer.panel.large_text.toggled.connect(self.set_large_text)
            if self.loaded is not None:
                self.explorer.set_checkpoint(self.loaded)
        return self.explorer

    def escape(self) -> None:
        """Esc: leave presentation mode, else stop a load under way, else give the keys back to the view."""
        if self.presenting:
            self.set_presentation(False)
        elif not self.cancel_loading():
            self.focus_view()

    def focus_view(self) -> None:
        # A later tab that names a focus proxy (the Draw tab's pad) takes the keys itself.
        proxy = self.tabs.currentWidget().focusProxy() if self.tabs.currentIndex() > 1 else None
        if proxy is not None:
            proxy.setFocus()
            return
        (self.explorer.canvas if self.tabs.currentIndex() == 1 and self.explorer else self.canvas).setFocus()

    def show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)

    def _restore_run_settings(self) -> None:
        speed = settings.get("run/speed", "max")
        self.state.update(speed=None if speed in (None, "max") else float(speed),
                          temperature=settings.get("run/temperature", 1.0, float) or 1.0,
                          batch=settings.get("run/batch", 16, int) or 16,
                          seed=settings.get("run/seed", 0, int) or 0)

    def restore_class(self) -> None:
        """The class (or one row per class) last chosen with the model just loaded, by its name."""
        name, per_class = remembered_class(self.model_path)
        names = self.state.class_names
        if per_class and names:
            self.state.update(per_class=True)
        elif name in names:
            self.state.update(class_index=names.index(name), per_class=False)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            from .presentation import keep_frame_on_screen
            keep_frame_on_screen(self)     # once the window manager has put its frame around it

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.arrange_stage()           # the stage's shares follow the window's height

    # -- closing --------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """End every background job, waiting at most CLOSE_WAIT_S in all; safe to call more than once.
        A job still inside a long call (reading a large file) is left to end on its own."""
        self.session.shutdown()
        self.stop_card_reader()
        self.portraits.shutdown()
        self.picture_tools.shutdown()
        self.train_tools.shutdown()
        self.field_overlay.shutdown()
        if self.explorer is not None:
            self.explorer.shutdown()
        self.loader = None
        jobs.cancel_all(CLOSE_WAIT_S)

    def closeEvent(self, event) -> None:
        self.save_window()
        QApplication.instance().removeEventFilter(self._key_guard)
        self.shutdown()
        event.accept()
