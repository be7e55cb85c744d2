"""The Train tab: watch a model learn. Curves of the training and held-out bits/dim, the speed and the
time left, and a grid of samples from the EMA weights that turns from noise into garments.

Two strips of controls: what to train (locked while a run goes) and the run's own (Start, Pause, Stop,
Open in Sampling, Open run…), with its figures on a line of their own. Below them the curves and the
grid share the room, both large. Folded (presentation mode, Large text: one rule for every tab) the
curves and the grid are the picture: what to train folds away, the run's buttons keep their icons and
share one strip with the figures, and the status line shows only what the speaker must read (an error).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QHBoxLayout, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from ..common.elided import LiveLabel
from ..common.heap import freeze_heap
from ..common.plain import plain_label, tooltip_text
from ..common.theme import action_icon, palette
from .plan import RECIPES, SIZES, TrainPlan, resume_arguments, run_folder
from .process import TrainRun, describe
from .timing import timed
from .views import Curves, GridPicture

FOLDER_ITEM = "Folder of pictures…"
CLOSE_NOTE = ("Closing the window stops the run after its current step and keeps it resumable: "
              "open it again here (Open run…) and press Resume.")
FOLDED_ICON_PX = 24     # icons alone on the folded buttons: large enough to read across a room
STATUS_WORDS = {"new": "", "starting": "starting…", "running": "training", "paused": "paused",
                "scoring": "final score", "finished": "finished",
                "stopped": "stopped (resumable)", "ended": "ended without a last word"}


class TrainTab(QWidget):
    open_requested = Signal(str)        # a checkpoint to open in the Sampling tab
    run_changed = Signal(str)           # the folder shown ('' for none)

    def __init__(self, datasets: list[str], runs_root: Path, threads: int, max_threads: int, parent=None):
        super().__init__(parent)
        self.runs_root = Path(runs_root)
        self.run: TrainRun | None = None
        self.loaded_path: str | None = None
        self._folder_spec: str | None = None
        self._grid_asked: Path | None = None
        self._grid_pending = ("", "")     # the title of the grid being read
        self._grid_title = ("", "")        # (whole, short): the short one while folded
        self.folded = False
        self._labelled: tuple[bool, bool] | None = None     # (paused, folded) the buttons show
        self._notice = False               # the status line holds an error or a request's answer
        self.setAcceptDrops(True)
        self._build_setup(datasets, threads, max_threads)
        self._build_run_strip()
        self._build_views()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        self._layout = layout
        layout.addWidget(self.setup)
        layout.addLayout(self.strip)
        layout.addWidget(self.figures)
        views = QHBoxLayout()
        views.addWidget(self.plot, 3)
        views.addLayout(self.grid_box, 2)
        layout.addLayout(views, 1)
        layout.addWidget(self.status)
        self._refresh()

    # -- building ------------------------------------------------------------------------------------
    def _build_setup(self, datasets, threads, max_threads) -> None:
        self.setup = QWidget()
        rows = QVBoxLayout(self.setup)
        rows.setContentsMargins(0, 0, 0, 0)
        self.dataset = QComboBox()
        self.dataset.addItems(datasets)
        self.dataset.addItem(FOLDER_ITEM)
        self.dataset.setToolTip("The pictures to learn: a dataset on this machine, or a folder with one "
                                "sub-folder of pictures per class (drop it on the tab)")
        self.dataset.activated.connect(self._dataset_chosen)
        self.recipe = QComboBox()
        for name, text in RECIPES:
            self.recipe.addItem(name, name)
            self.recipe.setItemData(self.recipe.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        self.recipe.setToolTip("The training recipe (a preset of the train command)")
        self.size = QComboBox()
        for text, size in SIZES:
            self.size.addItem(text.split(":")[0], size)
            self.size.setItemData(self.size.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        self.size.setToolTip("The model's size: hidden units and layers")
        self.minutes = QDoubleSpinBox()
        self.minutes.setRange(0.5, 24 * 60)
        self.minutes.setDecimals(1)
        self.minutes.setValue(10.0)
        self.minutes.setSuffix(" min")
        self.minutes.setToolTip("Time budget: the run ends (resumable) after this long; the learning rate "
                                "decays over it")
        self.start_from = QComboBox()
        self.start_from.addItems(["From scratch", "Fine-tune the loaded model"])
        self.start_from.setToolTip("Fine-tuning keeps the loaded model's size and classes; the pictures' "
                                   "classes are matched to them by name")
        self.threads = QSpinBox()
        self.threads.setRange(1, max(1, max_threads))
        self.threads.setValue(threads)
        self.threads.setPrefix("threads ")
        self.threads.setToolTip("CPU threads of the training process (default: the cores free now)")
        for combo in (self.dataset, self.recipe, self.size, self.start_from):
            # A combo asks for the width of a few letters, never of its longest item (a folder's name).
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
        # Two short rows rather than one long one: the tab fits 1280 pixels in large type too.
        for pairs in ((("Data", self.dataset, 3), ("Recipe", self.recipe, 2)),
                      (("Size", self.size, 2), ("Budget", self.minutes, 1), ("Start", self.start_from, 2),
                       (None, self.threads, 1))):
            row = QHBoxLayout()
            for label, widget, stretch in pairs:
                if label:
                    row.addWidget(plain_label(label))
                row.addWidget(widget, stretch)
            rows.addLayout(row)

    def _build_run_strip(self) -> None:
        self.strip = QHBoxLayout()
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("primary")
        self.start_button.clicked.connect(self.start_or_resume)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.open_button = QPushButton("Open in Sampling")
        self.open_button.clicked.connect(self.open_best)
        self.open_run_button = QPushButton("Open run…")
        self.open_run_button.clicked.connect(self.ask_for_run)
        # What each button does, beyond its word (folded, the word is in the tooltip too).
        self._tips = {self.pause_button: "",
                      self.stop_button: "Stop after the current step, keeping a resumable last.pt",
                      self.open_button: "Open the run's best weights (best.pt) in the Sampling tab",
                      self.open_run_button: "Show a run folder's curves and samples; resume it"}
        self.figures = LiveLabel()
        self.figures.setObjectName("callout")
        for w in (self.start_button, self.pause_button, self.stop_button, self.open_button, self.open_run_button):
            self.strip.addWidget(w)
        self.strip.addStretch(1)

    def _build_views(self) -> None:
        self.curves = Curves()
        self.plot, self.train_line, self.test_line = self.curves.plot, self.curves.train_line, self.curves.test_line
        self.grid_title = LiveLabel("Samples from the EMA weights appear here as the run goes.")
        self.grid_title.setObjectName("muted")
        self.grid = GridPicture()
        self.grid.shown.connect(self._grid_shown)
        self.grid.missed.connect(self._grid_missed)
        self.grid_box = QVBoxLayout()
        self.grid_box.addWidget(self.grid_title)
        self.grid_box.addWidget(self.grid, 1)
        self.status = LiveLabel()
        self.status.setObjectName("muted")
        self.set_palette(palette("dark"))

    # -- looks ---------------------------------------------------------------------------------------
    def set_palette(self, pal) -> None:
        self._pal = pal
        self.curves.set_palette(pal)
        self.start_button.setIcon(action_icon("mdi6.play", palette("dark")))  # white on the accent colour
        for button, name in ((self.stop_button, "mdi6.stop"), (self.open_button, "mdi6.open-in-app"),
                             (self.open_run_button, "mdi6.folder-open-outline")):
            button.setIcon(action_icon(name, pal))
        self._labelled = None
        self._label_buttons()

    def _label_buttons(self, paused: bool | None = None) -> None:
        """Words (and Pause's icon) from the run's state; folded, the icons alone but for Start's word.
        Only when that changed: a new icon lays the window out again, and the tab asks every second."""
        if paused is None:
            paused = self.run is not None and self.run.record.status == "paused"
        if self._labelled == (paused, self.folded):
            return
        self._labelled = (paused, self.folded)
        words = {self.pause_button: "Resume" if paused else "Pause", self.stop_button: "Stop",
                 self.open_button: "Open in Sampling", self.open_run_button: "Open run…"}
        self.pause_button.setIcon(action_icon("mdi6.play" if paused else "mdi6.pause", self._pal))
        for button, word in words.items():
            # Without an icon (no icon font), a button keeps its word.
            icon_only = self.folded and not button.icon().isNull()
            button.setText("" if icon_only else word)
            button.setAccessibleName(word)
            tip = self._tips[button]
            button.setToolTip(f"{word}: {tip}" if icon_only and tip else (word if icon_only else tip))

    def set_folded(self, folded: bool) -> None:
        """Presentation mode and Large text (always in large type): the curves and the grid are the picture.
        What to train folds away (Esc or Ctrl+L brings it back); Start keeps its word, the other buttons
        their icons, and the figures share their strip; the status line shows only an error or the
        answer to a request."""
        self.folded = folded
        self.setup.setVisible(not folded)
        self.curves.set_large(folded)
        self._label_buttons()
        for button in (self.start_button, *self._tips):
            button.setIconSize(QSize(FOLDED_ICON_PX, FOLDED_ICON_PX) if folded else QSize(16, 16))
        # The figures beside the buttons (in the stretch's place), or on their own line under them.
        if folded:
            self.strip.insertWidget(self.strip.count() - 1, self.figures, 1)
        else:
            self._layout.insertWidget(self._layout.indexOf(self.setup) + 2, self.figures)
        self.strip.setStretch(self.strip.count() - 1, 0 if folded else 1)
        self._show_grid_title()
        self._refresh(keep_status=True)       # the figures in their short form, or whole again
        self._arrange_status()

    def _say(self, text: str, notice: bool = False, tip: str = "") -> None:
        """The status line; a notice (an error, the answer to a request) shows folded too."""
        self.status.setText(text)                # (its tooltip: the whole text, however it is cut)
        if tip:
            self.status.setToolTip(tooltip_text(f"{text}\n{tip}"))
        self._notice = notice
        self._arrange_status()

    def _arrange_status(self) -> None:
        self.status.setVisible(not self.folded or (self._notice and bool(self.status.text())))

    def set_loaded_model(self, path: str | None) -> None:
        self.loaded_path = path or None
        self._refresh()

    # -- choosing ------------------------------------------------------------------------------------
    def _dataset_chosen(self, index: int) -> None:
        if self.dataset.itemText(index) == FOLDER_ITEM:
            folder = QFileDialog.getExistingDirectory(self, "A folder with one sub-folder of pictures per class")
            if folder:
                self.use_folder(folder)
            else:
                self.dataset.setCurrentIndex(0)

    def use_folder(self, folder: str) -> None:
        """Train on a folder of class sub-folders (chosen or dropped); checked by the command itself."""
        spec = f"folder:{Path(folder).resolve()}"
        text = f"Folder: {Path(folder).name}"
        found = self.dataset.findData(spec)
        if found < 0:
            self.dataset.insertItem(self.dataset.count() - 1, text, spec)
            found = self.dataset.count() - 2
        self.dataset.setCurrentIndex(found)

    def plan(self) -> TrainPlan:
        data = self.dataset.currentData() or self.dataset.currentText()
        fine_tune = self.start_from.currentIndex() == 1 and self.loaded_path
        return TrainPlan(data=data, out=run_folder(self.runs_root, data), recipe=self.recipe.currentData(),
                         size=self.size.currentData(), minutes=self.minutes.value(), threads=self.threads.value(),
                         init_from=self.loaded_path if fine_tune else None)

    def dragEnterEvent(self, event) -> None:
        if any(url.isLocalFile() and Path(url.toLocalFile()).is_dir() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        folders = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()
                   and Path(u.toLocalFile()).is_dir()]
        if folders and not self._busy():
            self.use_folder(folders[0])
            event.acceptProposedAction()

    # -- running -------------------------------------------------------------------------------------
    def _busy(self) -> bool:
        return self.run is not None and self.run.steerable()

    def start_or_resume(self) -> None:
        if self._busy():
            return
        if self.run is not None and self.run.record.status in ("stopped", "ended") and self.run.record.resumable():
            self.run.start(resume_arguments(self.run.folder, self.threads.value()))
        else:
            if self.dataset.currentText() == FOLDER_ITEM:
                self._say("Choose the pictures first: a dataset, or a folder with a sub-folder per class.", True)
                return
            plan = self.plan()
            self.show_run(plan.out)
            self.run.start(plan.arguments())
        freeze_heap()
        self._refresh()

    def toggle_pause(self) -> None:
        if self.run is None or not self.run.steerable():
            return
        paused = self.run.record.status == "paused"
        self.run.control("resume" if paused else "pause")
        self._label_buttons(paused=not paused)

    def stop(self) -> None:
        if self.run is not None and self.run.steerable():
            self.run.control("stop")
            self._say("Stopping after this step; last.pt stays resumable…", True)

    def open_best(self) -> None:
        best = self.run.record.best_checkpoint() if self.run else None
        if best is not None:
            self.open_requested.emit(str(best))

    def ask_for_run(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A training run's folder", str(self.runs_root))
        if folder:
            self.show_run(folder)

    def show_run(self, folder) -> None:
        """Follow a run folder: its curves and grid as they are, and as they grow."""
        if self._busy():
            return
        if self.run is not None:
            self.run.shutdown()
            self.run.deleteLater()
        self.run = TrainRun(folder, self)
        self.run.changed.connect(self._refresh)
        self.run.ended.connect(self._ended)
        self._grid_asked = None
        self.run_changed.emit(str(self.run.folder))
        self._refresh()

    def _ended(self, code: int, error: str) -> None:
        if error:
            self._say(error, True)
        self._refresh(keep_status=bool(error))

    # -- showing -------------------------------------------------------------------------------------
    def _refresh(self, keep_status: bool = False) -> None:
        with timed("refresh"):
            self._show(keep_status)

    def _show(self, keep_status: bool) -> None:
        run = self.run
        record = run.record if run else None
        busy = self._busy()
        self.setup.setEnabled(not busy)
        self.start_from.model().item(1).setEnabled(bool(self.loaded_path))
        resumable = record is not None and record.status in ("stopped", "ended") and record.resumable()
        self.start_button.setText("Resume" if resumable else "Start")
        self.start_button.setEnabled(not busy)
        self.pause_button.setEnabled(busy)
        self._label_buttons()
        self.stop_button.setEnabled(busy)
        self.open_button.setEnabled(record is not None and record.best_checkpoint() is not None)
        if record is None:
            self.figures.setText("")
            if not keep_status:
                self._say("Choose pictures, a recipe and a time budget, then Start. " + CLOSE_NOTE)
            return
        word = STATUS_WORDS.get(record.status, record.status)
        with timed("figures"):
            shown, whole = describe(record, short=self.folded), describe(record)
            self.figures.setText(f"{word}  ·  {shown}" if word else shown)
            self.figures.setToolTip(tooltip_text(f"{word}  ·  {whole}\nepoch {record.epoch:.2f}; best: the "
                                                 "lowest held-out bits/dim of the EMA weights so far (best.pt)"))
        with timed("curves"):
            self.curves.show(record.train_curve, record.test_curve, record.total_steps)
        if not keep_status:
            with timed("status"):
                note = record.current_note()
                # The run's name, not its path (a projector shows a stranger's home folder); the path
                # is the tooltip.
                said = note or (CLOSE_NOTE if busy else "")
                self._say(f"{Path(run.folder).name}  ·  {said}" if said else Path(run.folder).name,
                          tip=f"The run's folder: {run.folder}")
        self._show_grid(record)

    def _show_grid(self, record) -> None:
        """A new grid is read in the background; its title changes when it is up."""
        if record.grid is None or record.grid == self._grid_asked:
            return
        self._grid_asked = record.grid
        title = f"Samples at step {record.grid_step:,}" if record.grid_step is not None else "Samples"
        names = record.class_names
        self._grid_pending = (title + (": one per class, " + ", ".join(names) if names else ""), title)
        self.grid.show_file(record.grid)

    def _grid_shown(self, path) -> None:
        if path == self._grid_asked:
            self._grid_title = self._grid_pending
            self._show_grid_title()

    def _grid_missed(self, path) -> None:
        if path == self._grid_asked:
            self._grid_asked = None        # being replaced this instant: the next refresh asks again

    def _show_grid_title(self) -> None:
        """The grid's title; folded, its step alone (the classes in the tooltip): large type would cut it."""
        whole, short = self._grid_title
        if whole:
            self.grid_title.setText(short if self.folded else whole)
            self.grid_title.setToolTip(tooltip_text(whole))

    def shutdown(self) -> None:
        self.grid.shutdown()
        if self.run is not None:
            self.run.shutdown()

