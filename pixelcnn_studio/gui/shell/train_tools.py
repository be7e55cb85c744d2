"""The Train tab in the main window: the datasets this machine has, the free cores, the loaded model to
fine-tune, Open in Sampling, presentation mode, and the run stopped resumably when the window closes."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject

from ..common import settings
from .menus import insert_after, window_action
from ..train.plan import DATASETS
from ..train.tab import TrainTab

LAST_RUN_KEY = "train/last_run"


def available_datasets() -> list[str]:
    """The tab's datasets that are on this machine, in the tab's order (looked for, nothing decoded)."""
    from ...data.registry import available_datasets as here
    found = set(here())
    return [name for name in DATASETS if name in found]


def runs_root() -> Path:
    from ...paths import user_data_dir
    return user_data_dir() / "runs"


class TrainTools(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        from ...core.devices import cpu_count, dense_threads
        self.tab = TrainTab(available_datasets(), runs_root(), threads=dense_threads(), max_threads=cpu_count())
        tabs = window.tabs
        tabs.addTab(self.tab, "Train")
        tabs.setTabToolTip(tabs.count() - 1, "Watch a model learn: curves, speed and samples from a training run "
                                             "in its own process")
        self.tab.open_requested.connect(self.open_in_sampling)
        self.tab.run_changed.connect(lambda folder: settings.put(LAST_RUN_KEY, folder))
        window.model_loaded.connect(lambda path: self.tab.set_loaded_model(path))
        window.signals.changed.connect(self._state_changed)
        action = window_action(window, "&Train", lambda: tabs.setCurrentWidget(self.tab), "F7")
        window.actions_by_name["tab_train"] = action
        anchor = next((name for name in ("tab_surprise", "tab_draw", "tab_interpolation", "tab_explorer")
                       if name in window.actions_by_name), None)
        if anchor:
            insert_after(window, action, anchor)
        self._state_changed({"presentation"})
        last = settings.get(LAST_RUN_KEY, "")
        if isinstance(last, str) and last and Path(last).is_dir():
            self.tab.show_run(last)       # reopening shows the last run's curves (and follows it if it runs)

    def _state_changed(self, names) -> None:
        state = self.window.state
        if names & {"presentation", "large_text"}:
            # One rule for every tab (Presentation.folded): folded in presentation mode and with Large text.
            self.tab.set_folded(state.presentation or state.large_text)
        if "theme" in names:
            from ..common.theme import palette
            self.tab.set_palette(palette(state.theme))

    def open_in_sampling(self, path: str) -> None:
        self.window.open_checkpoint(path)
        self.window.show_tab(0)

    def shutdown(self) -> None:
        """A run of ours is stopped resumably; the window goes first, so nobody waits looking at it."""
        run = self.tab.run
        if run is not None and run.running():
            from PySide6.QtWidgets import QApplication
            self.window.hide()
            QApplication.processEvents()
        self.tab.shutdown()
