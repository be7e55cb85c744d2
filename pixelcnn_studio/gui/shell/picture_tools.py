"""The Draw and Surprise tabs in the main window: they follow its model and its run settings, take the
selected sample onto the pad, and report in its status bar."""
from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from ..pictures.draw_tab import EMPTY_PAD, DrawTab
from .keys import is_text_field
from .menus import insert_after, window_action
from .portrait_wiring import ask_for_picture
from ..pictures.surprise_tab import SurpriseTab

# The tabs' own keys, each live only while its tab is shown. Single keys were free among the window's
# (Space, R, N, S, F, digits); F2-F4 are the other tabs, Ctrl/Alt+digits the scenes.
DRAW_KEYS = (("draw_pen", "Pen", "P", "use_pen"), ("draw_eraser", "Eraser", "E", "use_eraser"),
             ("draw_thinner", "Thinner pen", "[", "thinner"), ("draw_thicker", "Thicker pen", "]", "thicker"),
             ("draw_undo", "Undo a stroke", "Ctrl+Z", "undo"), ("draw_clear", "Clear the pad", "Delete", "clear"),
             ("draw_complete", "Complete", "Ctrl+Return", "complete"))
SURPRISE_KEYS = (("surprise_open", "Open a picture to score", "O", "open"),
                 ("surprise_drawing", "Score the drawing", "D", "drawing"))


class PictureTools(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.draw = DrawTab()
        self.surprise = SurpriseTab()
        tabs = window.tabs
        tabs.addTab(self.draw, "Draw")
        tabs.setTabToolTip(tabs.count() - 1, "Draw or drop a picture; Complete keeps the rows above the line "
                           "and samples the rest")
        tabs.addTab(self.surprise, "Surprise")
        tabs.setTabToolTip(tabs.count() - 1, "How the model sees a picture: bits per pixel, bits/dim, "
                           "p(class | picture)")
        for tab in (self.draw, self.surprise):
            tab.message.connect(lambda text: window.statusBar().showMessage(text, 8000))
        self.draw.from_sample.clicked.connect(self.take_sample)
        self.draw.pad.picture_dropped.connect(self.draw.put_picture)
        self.draw.embedding_drawn.connect(lambda code: window.state.set_embedding(code, "drawing"))
        self.surprise.open_button.clicked.connect(self.open_for_surprise)
        self.surprise.drawing_requested.connect(self.score_drawing)
        window.model_loaded.connect(self._model_loaded)
        window.signals.changed.connect(self._follow_run_settings)
        tabs.currentChanged.connect(lambda _i: self._follow_run_settings())
        self._add_actions()
        tabs.currentChanged.connect(lambda _i: self._enable_tab_keys())
        self._enable_tab_keys()

    # -- keys -------------------------------------------------------------------------------------------
    def _add_actions(self) -> None:
        w, draw = self.window, self.draw
        slots = {"use_pen": draw.use_pen, "use_eraser": draw.use_eraser, "thinner": lambda: draw.change_size(-1),
                 "thicker": lambda: draw.change_size(1), "undo": draw.pad.undo, "clear": draw.pad.clear,
                 "complete": draw.run_completion, "open": self.open_for_surprise,
                 "drawing": self.score_drawing}
        self.tab_keys = {}
        for name, text, key, slot in DRAW_KEYS:
            self.tab_keys[name] = (self._action(name, text, key, slots[slot]), self.draw)
        for name, text, key, slot in SURPRISE_KEYS:
            self.tab_keys[name] = (self._action(name, text, key, slots[slot]), self.surprise)
        # The tabs themselves on F5 and F6, in the View menu after the other tabs.
        anchor = "tab_interpolation" if "tab_interpolation" in w.actions_by_name else "tab_explorer"
        for name, text, key, tab in (("tab_draw", "&Draw", "F5", self.draw),
                                     ("tab_surprise", "S&urprise", "F6", self.surprise)):
            action = self._action(name, text, key, lambda t=tab: w.tabs.setCurrentWidget(t), guarded=False)
            insert_after(w, action, anchor)
            anchor = name

    def _action(self, name: str, text: str, key: str, slot, *, guarded: bool = True) -> QAction:
        """A window-wide action; `guarded` ones do nothing while a text or number field has the focus
        (single keys are already the field's; Ctrl+Enter in the count box must not start a run)."""
        w = self.window

        def fire(_checked=False):
            if guarded and is_text_field(w.focusWidget()):
                return
            slot()
        action = window_action(w, text, fire, key)
        w.actions_by_name[name] = action
        return action

    def _enable_tab_keys(self) -> None:
        """A tab's keys are live only while it is shown: elsewhere P, E, O, D... stay free."""
        current = self.window.tabs.currentWidget()
        for action, tab in self.tab_keys.values():
            action.setEnabled(current is tab)

    def _model_loaded(self, *_) -> None:
        self._follow_run_settings()
        self.draw.set_checkpoint(self.window.loaded)
        self.surprise.set_checkpoint(self.window.loaded)

    def _follow_run_settings(self, *_) -> None:
        state = self.window.state
        self.draw.set_run_options(class_id=state.class_index if state.num_classes else None, seed=state.seed,
                                  temperature=state.temperature, speed=state.speed, embedding=state.embedding)

    def score_drawing(self) -> None:
        """The Draw tab's pad on the Surprise tab; an empty pad is said to be empty, not scored."""
        if self.draw.pad.is_blank():
            self.surprise.headline.setText("The pad is empty")
            self.window.statusBar().showMessage(EMPTY_PAD, 8000)
            return
        self.surprise.score(self.draw.pad.picture(), "the drawing")

    def take_sample(self) -> None:
        frame = self.window.session.frame
        if frame is None:
            self.window.statusBar().showMessage("Sample something first: the selected sample goes on the pad.", 6000)
            return
        index = min(max(0, self.window.canvas.selected), frame.image.shape[0] - 1)
        self.draw.put_sample(frame.image[index])

    def open_for_surprise(self) -> None:
        path = ask_for_picture(self.window, "Open a picture to score")
        if path:
            from pathlib import Path
            self.surprise.score(path, Path(path).name)

    def shutdown(self) -> None:
        self.draw.shutdown()
        self.surprise.shutdown()
