"""The receptive-field explorer: why the Gated PixelCNN has a vertical and a horizontal stack.

Click a pixel to make it the target; the grid shows which input pixels can influence its
prediction after each layer (exact, from core.receptive_field), per stack, and - against the
original PixelCNN of the same depth and kernel - the blind spot it leaves. For a trained model
it also shows the effective field: how strongly each input pixel actually moves the logit.

Every field is computed on the explorer's worker thread and cached per (variant, target,
channel, layer, stack); the view only ever draws what is in the cache, so moving the slider,
playing the growth or toggling overlays never waits on a computation.
"""
from __future__ import annotations

from functools import partial

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from ...core import ModelConfig
from ...core.field_analysis import field_stats, pixel_field, visible_channels
from ...core.receptive import COMBINED, STACKS
from ...render.field_picture import compose_picture, describe_layer, hover_text
from .canvas import FieldCanvas
from .export import FieldExports
from .store import FieldStore
from .lesson import LessonPair, LessonViews
from .results import FieldResults
from .panel import EXPLANATION, ControlPanel, legend_label
from .worker import FieldWorker

PLAY_INTERVAL_MS = 800
DEFAULT_CONFIG = ModelConfig(image_size=28, channels=1, hidden=32, layers=6, kernel_size=5)


def _stop_worker(worker) -> None:
    try:
        worker.shutdown()
    except RuntimeError:        # at interpreter exit Qt may have deleted the thread object first
        pass


class ReceptiveFieldExplorer(FieldResults, FieldExports, LessonViews, QWidget):
    """`ReceptiveFieldExplorer(checkpoint)` or `(config=..., model=...)`; `set_model` to switch."""

    def __init__(self, checkpoint=None, *, config=None, model=None, class_names=None, parent=None):
        super().__init__(parent)
        self._config = None
        self._store = FieldStore()
        self._model = None
        self._images = None
        self._effective: dict = {}
        self._target, self._channel, self._layer = (0, 0), 0, None
        self._variant, self._mode = "gated", "exact"
        self._pending_gif = None
        # No parent: a QWidget deletes its children before anyone hears of it, and a running
        # QThread deleted that way takes the app down. The worker is stopped when the view goes.
        self._worker = FieldWorker()
        self.destroyed.connect(partial(_stop_worker, self._worker))
        self._worker.field_ready.connect(self._on_field)
        self._worker.effective_ready.connect(self._on_effective)
        self._worker.progress.connect(self._on_progress)
        self._worker.busy_changed.connect(self._on_busy)
        self._worker.effective_failed.connect(self._on_effective_failed)
        self._worker.failed.connect(lambda message: self._status.setText(f"Could not compute: {message}"))
        self._play_timer = QTimer(self, interval=PLAY_INTERVAL_MS, timeout=self._play_tick)
        self._build()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        if checkpoint is not None:
            self.set_checkpoint(checkpoint)
        elif config is not None or model is not None:
            self.set_model(config if config is not None else model.config, model, class_names)
        else:
            # The architecture needs no weights: until a model is loaded, teach on the shape of
            # the bundled default (exact fields only; the effective field waits for a model).
            self.set_model(DEFAULT_CONFIG)

    # -- layout ----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.canvas = FieldCanvas()
        self.canvas.pixel_clicked.connect(self.set_target)
        self.canvas.pixel_hovered.connect(self._on_hover)
        self.canvas.nudged.connect(self._nudge)
        self._explanation = legend_label(EXPLANATION)
        self._explanation.setTextFormat(Qt.TextFormat.RichText)
        # The paragraph scrolls within at most a third of the height, so that large type on a
        # projector never squeezes the grid, which is what the audience has come to see.
        self._explanation_area = QScrollArea()
        self._explanation_area.setWidget(self._explanation)
        self._explanation_area.setWidgetResizable(True)
        self._explanation_area.setFrameShape(QFrame.Shape.NoFrame)
        self._explanation_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # The lesson: this view's field and, beside it, the other network's at the same target and layer.
        self.lesson = LessonPair(self.canvas)
        self.lesson.other_canvas.pixel_clicked.connect(self.set_target)
        self.lesson.other_canvas.pixel_hovered.connect(self._on_hover)
        left = QVBoxLayout()
        left.addWidget(self.lesson, 1)
        left.addWidget(self._explanation_area)
        panel = self.panel = ControlPanel()
        # The tests and the main window reach the controls through these names.
        self.layer_slider, self.play_button = panel.layer_slider, panel.play_button
        self.original_toggle, self.log_toggle = panel.original_toggle, panel.log_toggle
        self.exact_button, self.effective_button = panel.exact_button, panel.effective_button
        self.stack_boxes, self.chips = panel.stack_boxes, panel.chips
        self._status, self._stats, self._progress = panel.status, panel.stats, panel.progress
        panel.exact_button.toggled.connect(lambda on: self.set_mode("exact" if on else "effective"))
        panel.original_toggle.toggled.connect(lambda on: self.set_variant("original" if on else "gated"))
        panel.log_toggle.toggled.connect(lambda _: self._redraw())
        panel.source_combo.currentIndexChanged.connect(lambda _: self._refresh())
        panel.layer_slider.valueChanged.connect(self._on_slider)
        panel.play_button.toggled.connect(self._on_play)
        panel.channel_group.idClicked.connect(self.set_channel)
        for box in panel.stack_boxes.values():
            box.toggled.connect(lambda _: self._redraw())
        panel.cancel_button.clicked.connect(self._cancel_effective)
        panel.png_button.clicked.connect(lambda: self._ask_and_export("png"))
        panel.gif_button.clicked.connect(lambda: self._ask_and_export("gif"))
        panel.large_text.toggled.connect(self.set_large_text)
        panel.explain_toggle.toggled.connect(self._explanation_area.setVisible)
        panel.compare_toggle.toggled.connect(self._on_compare)
        self._explanation_area.setVisible(panel.explain_toggle.isChecked())
        self._scroll = QScrollArea()
        self._scroll.setWidget(panel)
        self._scroll.setWidgetResizable(True)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QHBoxLayout(self)
        outer.addLayout(left, 1)
        outer.addWidget(self._scroll)
        self._update_enabled()

    # -- public state --------------------------------------------------------------------------
    def set_checkpoint(self, checkpoint) -> None:
        """A loaded checkpoint; its training set's test images become a choice for the effective field."""
        dataset = (getattr(checkpoint, "metadata", None) or {}).get("dataset") or {}
        self.set_model(checkpoint.config, checkpoint.model, checkpoint.class_names, dataset=dataset.get("spec"))

    def set_model(self, config, model=None, class_names=None, *, dataset: str | None = None) -> None:
        """Show fields for `config`; with a trained `model`, the effective field as well,
        averaged over samples or over test images of `dataset` (a data spec such as "mnist")."""
        self._worker.cancel_queued()
        self._worker.forget_model()
        self.play_button.setChecked(False)
        self._config, self._model, self._images, self._labels = config, model, None, None
        self._class_names, self._dataset = class_names, dataset
        self._store.reset(config)
        self._effective.clear()
        self._target = (config.height // 2, config.width // 2)
        self._channel, self._layer = 0, None
        self._variant = config.variant
        self._mode = "exact"
        self.panel.reset(config, dataset)
        # The lesson starts at layer 1, where both networks still agree; → shows them part.
        self._layer = 1
        self.layer_slider.blockSignals(True)
        self.layer_slider.setValue(1)
        self.layer_slider.blockSignals(False)
        self._update_enabled()
        self._refresh()

    def set_images(self, images, labels=None) -> None:
        """Images (uint8 (N, C, H, W), with class ids for a conditional model) for the
        effective field, instead of samples; None goes back to the chosen source."""
        self._images = None if images is None else np.asarray(images, dtype=np.uint8)
        self._labels = None if labels is None else np.asarray(labels)
        self._effective.clear()
        self._refresh()

    @property
    def target(self) -> tuple[int, int]:
        return self._target

    @property
    def channel(self) -> int:
        return self._channel

    @property
    def layer(self) -> int | None:
        """1..layers, or None for the output logits."""
        return self._layer

    @property
    def variant(self) -> str:
        return self._variant

    @property
    def mode(self) -> str:
        return self._mode

    def set_target(self, row: int, col: int) -> None:
        if self._config is None or (row, col) == self._target:
            return
        self._target = (int(row), int(col))
        self._refresh()

    def _nudge(self, rows: int, cols: int) -> None:
        if self._config is not None:
            self.set_target(min(max(self._target[0] + rows, 0), self._config.height - 1),
                            min(max(self._target[1] + cols, 0), self._config.width - 1))

    def set_channel(self, channel: int) -> None:
        if self._config is None or not 0 <= channel < self._config.channels:
            return
        self._channel = channel
        self.panel.channel_group.button(channel).setChecked(True)
        self._refresh()

    def set_layer(self, layer: int | None) -> None:
        if self._config is not None:
            self.layer_slider.setValue(self._config.layers + 1 if layer is None else layer)

    def set_variant(self, variant: str) -> None:
        if self._config is None or variant == self._variant:
            return
        self._variant = variant
        self.original_toggle.setChecked(variant == "original")
        self._update_enabled()
        self._refresh()

    def set_mode(self, mode: str) -> None:
        if mode == "effective" and self._model is None:
            mode = "exact"
        if mode == self._mode:
            return
        self._mode = mode
        (self.exact_button if mode == "exact" else self.effective_button).setChecked(True)
        self._update_enabled()
        self._refresh()

    def set_palette(self, pal) -> None:
        """The grids' backgrounds follow the window's theme."""
        self.canvas.set_theme(pal)
        self.lesson.other_canvas.set_theme(pal)

    def set_large_text(self, large: bool) -> None:
        # An empty QFont sets nothing, so the view goes back to following the app's font; the
        # large one sets only the size, so the family still follows the app.
        font = QFont()
        if large:
            base = (self.parentWidget() or QApplication.instance()).font()
            font.setPointSizeF(base.pointSizeF() * 1.5)
        self.setFont(font)
        self.panel.large_text.blockSignals(True)
        self.panel.large_text.setChecked(large)
        self.panel.large_text.blockSignals(False)
        self._update_enabled()
        # Once the new type has been applied everywhere, the panel's width is measured again.
        QTimer.singleShot(0, self._update_enabled)

    # -- drawing -------------------------------------------------------------------------------
    def picture(self, layer="current", *, variant=None, exact: bool = False):
        """The FieldPicture of the view as it stands (or the exact field at another layer)."""
        if self._config is None:
            return None
        layer = self._layer if layer == "current" else layer
        variant = variant or self._variant
        config = self._store.configs[variant]
        fields = self.fields_at(layer, variant)
        show = [s for s in STACKS if self.stack_boxes[s].isChecked()]
        if self._mode == "effective" and not exact and layer == self._layer and variant == self._variant:
            found = self._effective.get(self._effective_key())
            model_fields = self.fields_at(None, self._config.variant) or {}
            if found is not None:
                return compose_picture(self._config, self._target, channel=self._channel, fields=model_fields,
                                       heat=found[0], log_heat=self.log_toggle.isChecked(), images=found[1])
        return compose_picture(config, self._target, channel=self._channel, layer=layer, fields=fields, show=show)

    def _redraw(self) -> None:
        if self._config is None:
            self.canvas.set_picture(None)
            return
        picture = self.picture()
        fields = self.fields_at(self._layer)
        waiting = fields is None or (self._mode == "effective" and picture.heat is None)
        if not waiting or self.canvas.picture() is None:
            self.canvas.set_picture(picture)
        self.canvas.set_busy(waiting)
        self._redraw_lesson(fields)
        self.panel.layer_label.setText(describe_layer(self._layer, self._config.layers).capitalize())
        if fields is not None:
            stats = field_stats(pixel_field(fields[COMBINED]), self._target)
            text = f"Target ({self._target[0]}, {self._target[1]}) sees {stats.seen} of {stats.earlier} earlier pixels."
            if self._variant == "original":
                text += (f" <b>Blind spot: misses {stats.blind} of the {stats.in_reach} earlier pixels inside "
                         "its reach</b> (hatched); no depth fixes that.")
            self._stats.setText(text)
            if self._config.channels == 3:
                self.chips.set_state(self._channel, visible_channels(fields[COMBINED], self._target))
        if self._mode == "effective" and picture.heat is not None:
            count = self._effective[self._effective_key()][1]
            source = self._source()
            # A portrait model is run on the zero embedding: the images carry no face vectors here.
            note = " Conditioned on the zero embedding." if self._config.embedding_dim else ""
            self._stats.setText(f"Mean |gradient| of the target's logit over {count} {source} images. "
                                f"Brighter pixels move the prediction more.{note}")

    def _on_hover(self, row, col) -> None:
        picture = self.canvas.picture()
        if row < 0 or picture is None:
            return
        self._status.setText(f"Pixel ({row}, {col}): {hover_text(picture, row, col)}. Click to make it the target.")

    def _update_enabled(self) -> None:
        self.panel.show_mode(self._mode == "effective", self._variant == "original", self._model is not None)
        # The panel never scrolls sideways: it is as wide as its widest row in the current font.
        self._scroll.setMinimumWidth(self.panel.sizeHint().width() + self._scroll.verticalScrollBar().sizeHint().width() + 4)

    # -- layer slider and playback ------------------------------------------------------------
    def _on_slider(self, value: int) -> None:
        self._layer = None if value > self._config.layers else value
        self._refresh()

    def _on_play(self, playing: bool) -> None:
        self.play_button.setText("Stop" if playing else "Play")
        if playing:
            if self._layer is None:
                self.set_layer(1)
            self._play_timer.start()
        else:
            self._play_timer.stop()

    def _play_tick(self) -> None:
        if self._layer is None:
            self.play_button.setChecked(False)
            return
        following = None if self._layer >= self._config.layers else self._layer + 1
        if self.fields_at(following) is not None:       # wait for a layer rather than skip it
            self.set_layer(following)

    # -- lifetime --------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop the worker thread; the app calls this on quit, a closed window on close."""
        self._play_timer.stop()
        self._worker.shutdown(wait_ms=500)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        # After the layout has settled: the paragraph's height depends on the width it gets.
        QTimer.singleShot(0, self._fit_explanation)

    def _fit_explanation(self) -> None:
        text_height = self._explanation.heightForWidth(self._explanation_area.viewport().width())
        self._explanation_area.setFixedHeight(max(40, min(text_height + 4, self.height() // 3)))

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
