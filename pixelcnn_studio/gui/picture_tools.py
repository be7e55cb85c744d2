"""The Draw and Surprise tabs in the main window: they follow its model and its run settings, take the
selected sample onto the pad, and report in its status bar."""
from __future__ import annotations

from PySide6.QtCore import QObject

from .draw_tab import DrawTab
from .portrait_wiring import ask_for_picture
from .surprise_tab import SurpriseTab


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
        self.surprise.drawing_requested.connect(
            lambda: self.surprise.score(self.draw.pad.picture(), "the drawing"))
        window.model_loaded.connect(self._model_loaded)
        window.signals.changed.connect(self._follow_run_settings)
        tabs.currentChanged.connect(lambda _i: self._follow_run_settings())

    def _model_loaded(self, *_) -> None:
        self._follow_run_settings()
        self.draw.set_checkpoint(self.window.loaded)
        self.surprise.set_checkpoint(self.window.loaded)

    def _follow_run_settings(self, *_) -> None:
        state = self.window.state
        self.draw.set_run_options(class_id=state.class_index if state.num_classes else None, seed=state.seed,
                                  temperature=state.temperature, speed=state.speed, embedding=state.embedding)

    def take_sample(self) -> None:
        frame = self.window.session.frame
        if frame is None:
            self.window.statusBar().showMessage("Sample something first: the selected sample goes on the pad.", 6000)
            return
        index = min(max(0, self.window.canvas.selected), frame.image.shape[0] - 1)
        self.draw.put_sample(frame.image[index])

    def open_for_surprise(self) -> None:
        path = ask_for_picture(self.window)
        if path:
            from pathlib import Path
            self.surprise.score(path, Path(path).name)

    def shutdown(self) -> None:
        self.draw.shutdown()
        self.surprise.shutdown()
