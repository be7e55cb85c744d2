"""Portrait conditioning in the main window: the Portrait panel on the left, the Interpolation tab, the
File → Open portrait… action, pictures dropped anywhere on the window, and runs conditioned on the portrait."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtWidgets import QFrame, QScrollArea

from ..portrait.interpolation import InterpolationPanel
from .menus import insert_after, window_action
from ..common.panels import MODEL_LIST_HEIGHT
from ..common.pictures import ask_for_picture, mime_has_picture, picture_from_mime
from ..portrait.panel import PortraitPanel

INTERPOLATION_TAB = "Interpolation"
SHORT_MODEL_LIST = 90     # the model list's least height beside a portrait panel


class PanelScroll(QScrollArea):
    """Scrolls the portrait panel where the window is short, but never through its picture: the area is
    at least as tall as the panel's head (title, picture box, what the model sees), and the model list
    above it gives up the height."""

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        panel = self.widget()
        if panel is None:
            return hint
        return QSize(hint.width(), max(hint.height(), panel.head_height() + 2 * self.frameWidth()))

    def eventFilter(self, watched, event) -> bool:
        # A picture in, a hint wrapped to more lines in large type: the panel's layout asks again.
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()
        return super().eventFilter(watched, event)


class PortraitTools(QObject):
    """Owns the portrait panel and the interpolation tab of one window and keeps them on its model."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.panel = PortraitPanel()
        self.interpolation = InterpolationPanel(self.panel)
        # In a scroll area: on a small screen the panel scrolls rather than pushing the window taller.
        self.scroll = PanelScroll()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.panel)
        window.left.layout().addWidget(self.scroll, 3)
        self.scroll.hide()
        # In a scroll area: in large type its endpoints, settings and rows would otherwise set the
        # height every tab needs (a tab widget is as tall as its tallest page).
        page = QScrollArea()
        page.setWidgetResizable(True)
        page.setFrameShape(QFrame.Shape.NoFrame)
        page.setWidget(self.interpolation)
        self.interpolation_page = page
        window.tabs.addTab(page, INTERPOLATION_TAB)
        window.tabs.setTabToolTip(window.tabs.count() - 1, "Samples along the line between two portraits' "
                                  "embeddings, with one seed for all (portrait and auto-encoder models)")
        self._add_actions()
        window.actions_by_name["open_portrait"].setEnabled(False)     # until a model that takes pictures
        window.model_loaded.connect(self._model_loaded)
        self.panel.embedding_changed.connect(self._embedding_changed)
        self.panel.message.connect(self._message)
        self.panel.open_button.clicked.connect(self.open_portrait)
        self.panel.checkpoint_dropped.connect(window.open_checkpoint)
        self.interpolation.message.connect(lambda text, kind: window.statusBar().showMessage(text, 8000))
        self.interpolation.run_options = self._run_options
        window.installEventFilter(self)

    def _add_actions(self) -> None:
        w = self.window
        actions = w.actions_by_name
        open_portrait = window_action(w, "Open &portrait…", self.open_portrait, "Ctrl+Shift+O")
        open_portrait.setToolTip("A picture to condition a portrait or auto-encoder model on")
        show_tab = window_action(w, "&Interpolation", self.show_interpolation, "F4")
        for action, after, name in ((open_portrait, "open", "open_portrait"),
                                    (show_tab, "tab_explorer", "tab_interpolation")):
            insert_after(w, action, after)
            actions[name] = action

    # -- following the window -----------------------------------------------------------------------------
    def arrange_left_panel(self) -> None:
        """What the left panel shows. In presentation mode it is hidden, except that a portrait model
        keeps its Portrait panel (alone): the speaker drops photos there and the audience sees the crop."""
        window, active = self.window, self.panel.active
        # Presentation mode and Large text alike (one rule, see Presentation.folded).
        presenting = window.folded
        loaded = window.loaded
        # Presenting, only the sampling tab keeps the portrait: the other tabs give it to their hero.
        # The Receptive fields tab needs neither the model list nor a class: its grids get the room.
        tab = window.state.tab
        window.left.setVisible(tab != "fields" and (not presenting or (active and tab == "sampling")))
        window.arrange_side_panels()
        # Large text in a window folds the model list and card away too (File → Open checkpoint and
        # Open recent still switch models): in large type they would push the window past a projector.
        window.models.setVisible(not presenting)
        self.panel.set_folded(presenting)
        self.scroll.setVisible(active)
        # The model list gives up height to the portrait: a few lines of it are enough while one is shown,
        # and fewer still on a short screen, where the portrait's picture box must show whole.
        window.models.list.setMaximumHeight(170 if active else 16777215)
        window.models.list.setMinimumHeight(SHORT_MODEL_LIST if active else MODEL_LIST_HEIGHT)
        # A model conditioned on a portrait alone has nothing to pick in the class section.
        classes = loaded is not None and loaded.config.num_classes > 0
        window.conditioning.setVisible(not presenting and (classes or not active))

    def _model_loaded(self, *_) -> None:
        loaded = self.window.loaded
        self.panel.set_checkpoint(loaded)
        self.arrange_left_panel()
        self._publish_embedding()
        self.interpolation.set_checkpoint(loaded)
        self.interpolation.seed.setValue(self.window.state.seed)
        action = self.window.actions_by_name["open_portrait"]
        action.setEnabled(self.panel.active)
        action.setText(f"Open &{self.panel.word}…")

    def _run_options(self) -> dict:
        state = self.window.state
        options = {"temperature": state.temperature}
        if state.num_classes:
            options["class_id"] = state.class_index
        return options

    def _publish_embedding(self) -> None:
        """The app state samples from what this panel shows: the portrait, or the average embedding."""
        label = self.panel.headline_suffix().lstrip(" ·")
        self.window.state.set_embedding(self.panel.sampling_vector(), label)

    def _embedding_changed(self) -> None:
        """A new portrait: sample from it now (a run under way starts again on it)."""
        w = self.window
        self._publish_embedding()
        if w.session.active:
            w.plan_changed()
        else:
            w.new_run()

    def _message(self, text: str, kind: str) -> None:
        self.window.statusBar().showMessage(text, 10000)
        if self.panel.error_kind == "unavailable":
            self.window.banner.show_message(text, "error")

    def open_portrait(self) -> None:
        if not self.panel.active:
            self.window.show_error("Open a portrait or auto-encoder model first: this model is not conditioned "
                                   "on a picture.")
            return
        path = ask_for_picture(self.window)
        if path:
            self.panel.load_portrait(path)

    def show_interpolation(self) -> None:
        self.window.tabs.setCurrentWidget(self.interpolation_page)

    # -- pictures dropped anywhere on the window ----------------------------------------------------------
    def _is_picture_drag(self, mime) -> bool:
        if not self.panel.active or not mime_has_picture(mime):
            return False
        files = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        return not files or Path(files[0]).suffix.lower() != ".pt"     # checkpoints still open as models

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if obj is self.window and kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            if self._is_picture_drag(event.mimeData()):
                event.acceptProposedAction()
                if kind == QEvent.Type.Drop:
                    try:
                        source = picture_from_mime(event.mimeData())
                    except ValueError as exc:
                        self.panel.show_error("image", str(exc))
                    else:
                        self.panel.load_portrait(source)
                return True
        return super().eventFilter(obj, event)

    def shutdown(self) -> None:
        self.interpolation.shutdown()
        self.panel.shutdown()
