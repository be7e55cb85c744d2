"""The Interpolation tab: two portraits (or codes), a row of samples along the line between their embeddings,
every image drawn with the same seed, as in the paper's interpolation figure. Exportable as a PNG.

Each row has its own seed (seed, seed + 1, ...), one seed for every image of the row, so a row shows one
"draw" of the model moving from A to B and the rows show how much of a picture the seed decides. The rows are
sampled on an InterpolationWorker thread, one image after another (core.interpolate), and shown as they grow. Endpoints come from the Portrait panel's current portrait, from a picture dropped or opened here
(embedded on an EmbedWorker), or, before any of that, from the checkpoint's first two training images.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFileDialog, QSpacerItem, QFrame, QGridLayout, QHBoxLayout, QProgressBar, QPushButton,
                               QSizePolicy, QSpinBox, QVBoxLayout, QWidget)

from ...core.box import is_box_model
from ...embed.gallery import gallery_of
from ..common import settings
from ..common.elided import ElidedLabel
from .embed_worker import EmbedWorker
from ..common.pictures import ask_for_picture, crisp_pixmap, rgb_pixmap
from .interpolation_worker import InterpolationWorker, rows_grid, write_rows_png
from .parts import DropZone
from ..common.plain import plain_label, tooltip_text

ROWS_HEIGHT = 480           # the tallest the rows are drawn on screen, in pixels


class Endpoint(QFrame):
    """One end of the line: a picture, its name, and its embedding."""
    changed = Signal()

    def __init__(self, letter: str, parent=None):
        super().__init__(parent)
        self.letter = letter
        self.vector: np.ndarray | None = None
        self.label = ""
        self.title = ElidedLabel(f"{letter}: —")      # a long file name is cut, never widens the tab
        self.title.setObjectName("sectionTitle")
        self.drop = DropZone(f"Drop a picture for {letter}", height=150)
        self.use_portrait = QPushButton("Current portrait")
        self.use_portrait.setToolTip("The portrait in the panel on the left")
        self.open_button = QPushButton("Open…")
        buttons = QHBoxLayout()
        buttons.addWidget(self.use_portrait)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.drop)
        layout.addLayout(buttons)

    def set(self, vector, label: str, pixmap=None) -> None:
        self.vector = None if vector is None else np.asarray(vector, dtype=np.float32).reshape(-1)
        self.label = label
        self.title.setText(f"{self.letter}: {label}" if label else f"{self.letter}: —")
        self.title.setToolTip(tooltip_text(label))
        if pixmap is not None:
            self.drop.show_pixmap(pixmap)
        else:
            self.drop.clear()
        self.changed.emit()


class InterpolationPanel(QWidget):
    message = Signal(str, str)        # text, kind: for the window's status bar

    def __init__(self, portrait, parent=None):
        super().__init__(parent)
        self.portrait = portrait                  # the PortraitPanel: its current portrait and resolved embedder
        self.loaded = None
        self.row: np.ndarray | None = None       # the finished rows (R, steps, C, H, W)
        self.worker: InterpolationWorker | None = None
        self._embedders: dict = {}                # endpoint letter -> running EmbedWorker
        self.explain = plain_label()
        self.explain.setWordWrap(True)
        self.explain.setObjectName("muted")
        self.a, self.b = Endpoint("A"), Endpoint("B")
        for end in (self.a, self.b):
            end.use_portrait.clicked.connect(lambda _=False, e=end: self.take_portrait(e))
            end.open_button.clicked.connect(lambda _=False, e=end: self._browse(e))
            end.drop.dropped.connect(lambda source, e=end: self.embed_endpoint(e, source))
            end.drop.rejected.connect(lambda text, e=end: self._status(f"{e.letter}: {text}", error=True))
        self.steps = QSpinBox()
        self.steps.setRange(2, 16)
        self.steps.setValue(8)
        self.steps.setToolTip("Images along the line, both ends included")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("One seed for every image of a row: only the conditioning changes along it. "
                             "Further rows use the next seeds.")
        self.rows = QSpinBox()
        self.rows.setRange(1, 8)
        self.rows.setValue(3)
        self.rows.setToolTip("Rows, each with its own seed (seed, seed + 1, ...)")
        self.generate = QPushButton("Generate")
        self.generate.setObjectName("primary")
        self.generate.clicked.connect(lambda: self.start(**self.run_options()))
        self.run_options = dict             # the window supplies its temperature (and class) here
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.export_button = QPushButton("Export PNG…")
        self.export_button.clicked.connect(self._browse_export)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.status = plain_label()
        self.status.setWordWrap(True)
        self.status.setObjectName("muted")
        self.view = plain_label()
        self.view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view.setMinimumHeight(140)
        self.view.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.ends_caption = plain_label()
        self.ends_caption.setObjectName("muted")
        self.ends_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)

        ends = QHBoxLayout()
        ends.addWidget(self.a, 1)
        ends.addWidget(self.b, 1)
        self.settings_strip = QWidget()
        settings_row = QGridLayout(self.settings_strip)
        settings_row.setContentsMargins(0, 0, 0, 0)
        settings_row.addWidget(plain_label("Images"), 0, 0)
        settings_row.addWidget(self.steps, 0, 1)
        settings_row.addWidget(plain_label("Seed"), 0, 2)
        settings_row.addWidget(self.seed, 0, 3)
        settings_row.addWidget(plain_label("Rows"), 0, 4)
        settings_row.addWidget(self.rows, 0, 5)
        settings_row.setColumnStretch(6, 1)
        # The buttons on a row of their own: one row of everything was wider than a projector.
        buttons_row = QHBoxLayout()
        for button in (self.generate, self.stop_button, self.export_button):
            buttons_row.addWidget(button)
        buttons_row.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.explain)
        layout.addLayout(ends)
        layout.addWidget(self.settings_strip)
        layout.addLayout(buttons_row)
        layout.addWidget(self.status)
        self._gap = QSpacerItem(0, 16, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        layout.addItem(self._gap)
        layout.addWidget(self.view)
        layout.addWidget(self.ends_caption)
        layout.addStretch(1)
        self._layout, self._folded = layout, False
        self.controls = (self.a, self.b, self.steps, self.seed, self.rows, self.generate, self.export_button)
        self.set_checkpoint(None)

    # -- the model ---------------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        # A box model's 4-D embedding is a box drawn on the canvas, not a picture's code.
        return (self.loaded is not None and bool(getattr(self.loaded.config, "embedding_dim", 0))
                and not is_box_model(self.loaded.config, self.loaded.embedder))

    def set_checkpoint(self, loaded) -> None:
        self.stop()
        self.loaded, self.row = loaded, None
        self.view.clear()
        self._shown = None
        self.ends_caption.setText("")
        self.ends_caption.hide()             # until there are rows to name the ends of
        self.progress.setValue(0)
        self.status.setText("")
        active = self.active
        for w in self.controls:
            w.setEnabled(active)
        self.stop_button.setEnabled(False)
        self.generate.setToolTip("Sample the rows between A and B" if active else
                                 "Interpolation needs a model conditioned on a portrait or a picture's code; "
                                 "this one is not")
        if loaded is None:
            self.explain.setText("Load a portrait or auto-encoder model to interpolate between two pictures.")
            return
        if not active:
            self.explain.setText(
                "This model is conditioned on classes only. A class is a label, not a point in a space: there is "
                "nothing between two classes to sample from. Interpolation needs a model conditioned on an "
                "embedding: a portrait model (face embeddings) or an auto-encoder (codes).")
            self.a.set(None, "")
            self.b.set(None, "")
            return
        face = (loaded.embedder or {}).get("name") != "autoencoder"
        what = "two portraits' face embeddings" if face else "the codes of two pictures"
        self.explain.setText(f"Samples along the straight line between {what}. Every image of a row is drawn with the "
                             "same seed, so only the conditioning changes along it; each row has the next seed. "
                             "Drop a picture on A or B, or take the current portrait.")
        gallery = gallery_of(loaded.metadata)
        for end in (self.a, self.b):
            end.use_portrait.setText("Current portrait" if face else "Current picture")
        for end, k in ((self.a, 0), (self.b, 1)):
            if gallery is not None and len(gallery[0]) > k:
                end.set(gallery[1][k], f"training image {k + 1}", crisp_pixmap(gallery[0][k], 150))
            else:
                end.set(None, "")

    def take_portrait(self, end: Endpoint) -> None:
        p = self.portrait
        if p.vector is None:
            self._status("There is no portrait in the panel on the left yet: drop one there, or here.", error=True)
            return
        r = p.result
        if r is not None:
            pixmap = rgb_pixmap(r.crop) if r.crop is not None else crisp_pixmap(r.model_view, 150)
        else:
            pixmap = p.drop._pixmap
        end.set(p.vector, p.source_label or "portrait", pixmap)

    def embed_endpoint(self, end: Endpoint, source) -> None:
        if not self.active:
            return
        old = self._embedders.pop(end.letter, None)
        if old is not None:
            old.cancel()
        worker = EmbedWorker(self.loaded, self.portrait.embedder, source)
        worker.succeeded.connect(lambda result, embedder, e=end, w=worker: self._embedded(e, w, result, embedder))
        worker.failed.connect(lambda kind, text, e=end, w=worker: self._embed_failed(e, w, text))
        self._embedders[end.letter] = worker
        end.drop.busy.show()
        worker.start()

    def _embedded(self, end, worker, result, embedder) -> None:
        if self._embedders.get(end.letter) is not worker:
            return
        del self._embedders[end.letter]
        end.drop.busy.hide()
        if self.portrait.embedder is None and self.portrait.loaded is self.loaded:
            self.portrait.embedder = embedder
        pixmap = rgb_pixmap(result.crop) if result.crop is not None else crisp_pixmap(result.model_view, 150)
        end.set(result.vector, result.name, pixmap)
        self._status(f"{end.letter}: {result.name} · {result.note} · embedded in {result.seconds:.2f} s")

    def _embed_failed(self, end, worker, text) -> None:
        if self._embedders.get(end.letter) is not worker:
            return
        del self._embedders[end.letter]
        end.drop.busy.hide()
        self._status(f"{end.letter} unchanged: {text}", error=True)

    def _browse(self, end: Endpoint) -> None:
        path = ask_for_picture(self, f"Open a picture for {end.letter}")
        if path:
            self.embed_endpoint(end, path)

    # -- the row -----------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.worker is not None

    def start(self, *, temperature: float = 1.0, class_id=None) -> None:
        """Sample the row for the current endpoints, steps and seed (off the GUI thread)."""
        if not self.active:
            return
        if self.a.vector is None or self.b.vector is None:
            self._status("Give both ends a picture first.", error=True)
            return
        self.stop()
        steps, count, seed = self.steps.value(), self.rows.value(), self.seed.value()
        seeds = [(seed + r) % (2**31 - 1) for r in range(count)]
        cfg = self.loaded.config
        self.row = None
        self._show(np.zeros((count, steps, cfg.channels, cfg.height, cfg.width), dtype=np.uint8))
        self.worker = InterpolationWorker(self.loaded.model, self.a.vector, self.b.vector, steps,
                                          seeds=seeds, temperature=temperature, class_id=class_id)
        worker = self.worker
        worker.progress.connect(lambda rows, percent, w=worker: self._progress(w, rows, percent))
        worker.row_ready.connect(lambda row, w=worker: self._row_ready(w, row))
        worker.failed.connect(lambda text, w=worker: w is self.worker and
                              self._status(f"Interpolation failed: {text}", error=True))
        worker.finished.connect(lambda w=worker: self._worker_done(w))
        self.generate.setEnabled(False)
        self.stop_button.setEnabled(True)
        self._started = time.perf_counter()
        self._status(f"Sampling {count} × {steps} images from {self.a.label} to {self.b.label}…")
        self.worker.start()

    def stop(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.cancel()
        self.generate.setEnabled(self.active)
        self.stop_button.setEnabled(False)

    def _progress(self, worker, row, percent) -> None:
        if worker is self.worker:
            self._show(row)
            self.progress.setValue(percent)

    def _row_ready(self, worker, row) -> None:
        if worker is not self.worker:
            return
        self.row = row
        self._show(row)
        self.progress.setValue(100)
        self._status(f"{row.shape[0]} × {row.shape[1]} images from {self.a.label} to {self.b.label}, "
                     f"in {time.perf_counter() - self._started:.1f} s.")

    def _worker_done(self, worker) -> None:
        if worker is self.worker:
            self.worker = None
            self.generate.setEnabled(self.active)
            self.stop_button.setEnabled(False)

    def _show(self, rows: np.ndarray) -> None:
        self._shown = rows
        count, n, _, h, w = rows.shape
        gap = " " * 6
        seeds = f"seed {self.seed.value()}" if count == 1 else \
            f"seeds {self.seed.value()}–{self.seed.value() + count - 1}, one per row"
        self.ends_caption.setText(f"←  A: {self.a.label}{gap}·{gap}{seeds}{gap}·{gap}B: {self.b.label}  →")
        self.ends_caption.show()
        avail = max(64, self.view.width() - 8)
        # Folded (presentation, Large text) the rows take the height the view has, every row on screen.
        tall = max(64, self.view.height() - 8) if self._folded else ROWS_HEIGHT
        scale = max(1, min((avail - 4 * (n + 1)) // (n * w), (tall - 4 * (count + 1)) // (count * h)))
        self.view.setPixmap(rgb_pixmap(rows_grid(rows, scale, padding=4, background=40)))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if getattr(self, "_shown", None) is not None:
            self._show(self._shown)

    def set_folded(self, folded: bool) -> None:
        """Presentation mode and Large text: the rows are the picture, as tall as the tab allows; the
        explanation, the ends (named under the rows), the settings and the status line fold away;
        the buttons stay, one strip."""
        self._folded = folded
        for widget in (self.explain, self.a, self.b, self.settings_strip, self.status):
            widget.setVisible(not folded)
        self.view.setSizePolicy(QSizePolicy.Policy.Ignored,
                                QSizePolicy.Policy.Expanding if folded else QSizePolicy.Policy.Preferred)
        self._layout.setStretchFactor(self.view, 1 if folded else 0)
        self._gap.changeSize(0, 0 if folded else 16, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
        self._layout.invalidate()
        # The closing stretch (which keeps the unfolded page at the top) gives its room to the rows.
        self._layout.setStretch(self._layout.count() - 1, 0 if folded else 1)
        if self._shown is not None:
            self._show(self._shown)

    # -- export ------------------------------------------------------------------------------------------
    def export_png(self, path) -> bool:
        if self.row is None:
            self._status("Generate a row first: there is nothing to export yet.", error=True)
            return False
        write_rows_png(path, self.row)
        self._status(f"Saved {Path(path).name}")
        return True

    def _browse_export(self) -> None:
        if self.row is None:
            self.export_png(None)
            return
        folder = settings.get("export/folder", str(Path.home()))
        path, _ = QFileDialog.getSaveFileName(self, "Export interpolation row", str(Path(folder) / "interpolation.png"),
                                              "PNG image (*.png)")
        if path:
            settings.put("export/folder", str(Path(path).parent))
            self.export_png(path if path.lower().endswith(".png") else path + ".png")

    def _status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.message.emit(text, "error" if error else "info")

    def shutdown(self) -> None:
        self.stop()
        # Cancelled, not waited for: the window's job registry gives them their last moment.
        for worker in self._embedders.values():
            worker.cancel()
        self._embedders.clear()
