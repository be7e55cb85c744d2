"""The portrait panel: drop a photo, see the face the embedder found, sample conditioned on it.

Shown for embedding-conditioned checkpoints only. The embedding runs on an EmbedWorker thread; while it
runs the panel shows a busy bar and keeps accepting drops (the latest one waits its turn). A failure leaves
the current portrait and embedding as they were and says why in the panel.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QBoxLayout, QGridLayout, QHBoxLayout, QPushButton, QSizePolicy, QToolButton,
                               QVBoxLayout, QWidget)

from ...core.box import is_box_model
from ...embed.gallery import gallery_of, mean_embedding, nearest
from .embed_worker import NEIGHBOURS, EmbedWorker, PortraitResult, describe_source
from ..common.pictures import KEEP_ASPECT, SMOOTH, crisp_pixmap, rgb_pixmap
from ..common.panels import section_title
from .parts import DropZone, ErrorStrip, distance_text
from ..common.plain import plain_label, tooltip_text


def narrow_box(layout) -> QWidget:
    """A row that never sets the panel's width: the panel lays it out again for the room it gets
    (a narrow presentation-mode panel, large type), so nothing in it is cut at the edge."""
    box = QWidget()
    box.setLayout(layout)
    box.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    layout.setContentsMargins(0, 0, 0, 0)
    return box


class PortraitPanel(QWidget):
    embedding_changed = Signal()        # a new portrait (or training image) to condition on
    message = Signal(str, str)          # text, kind ("error" or "info"): for the window's banner / status bar
    checkpoint_dropped = Signal(str)    # a .pt file dropped on the portrait: the window opens it as a model

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = section_title("Portrait")
        self.title.setWordWrap(True)           # "Picture to encode" in large type is wider than a narrow panel
        self.drop = DropZone("Drop a portrait here\n\nany picture file, or an image dragged from another "
                             "application\n(File → Open portrait…)")
        self.drop.dropped.connect(self.load_portrait)
        self.drop.rejected.connect(lambda text: self.show_error("image", text))
        self.crop = plain_label()
        self.crop.setFixedSize(64, 64)
        self.crop.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.crop_caption = plain_label()
        self.crop_caption.setObjectName("muted")
        self.crop_caption.setWordWrap(True)
        crop_row = QHBoxLayout()
        crop_row.addWidget(self.crop)
        crop_row.addWidget(self.crop_caption, 1)
        self.crop_box = QWidget()
        self.crop_box.setLayout(crop_row)
        crop_row.setContentsMargins(0, 0, 0, 0)
        self.crop_box.hide()
        self.note = plain_label()
        self.note.setObjectName("muted")
        self.note.setWordWrap(True)
        self.error = ErrorStrip()
        self.error.centre_crop.connect(self.use_centre_crop)
        self.open_button = QPushButton("Open portrait…")
        self.open_button.setToolTip("Pick a picture file to condition on (Ctrl+Shift+O)")
        self.reset_button = QPushButton("Average")
        self.reset_button.setToolTip("Forget the portrait: condition on the average training embedding")
        self.reset_button.clicked.connect(self.clear_portrait)
        self._buttons = QHBoxLayout()
        self._buttons.addWidget(self.open_button, 1)
        self._buttons.addWidget(self.reset_button)
        self.nearest_title = section_title("Nearest training images")
        self.nearest_title.setWordWrap(True)
        self.nearest_title.setToolTip("What the model has seen closest to this portrait: Euclidean distance "
                                      "between embeddings. Click one to condition on it.")
        self.nearest_grid = QGridLayout()
        self.nearest_grid.setSpacing(4)
        self.nearest_buttons = []
        for i in range(NEIGHBOURS):
            button = QToolButton()
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setIconSize(QSize(50, 50))
            button.setAutoRaise(True)
            button.clicked.connect(lambda _=False, k=i: self.use_neighbour(k))
            button.hide()
            self.nearest_buttons.append(button)
        self._columns = 0
        self._reflow(3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.title, self.drop, self.crop_box, self.note, self.error):
            layout.addWidget(w)
        layout.addWidget(narrow_box(self._buttons))
        layout.addWidget(self.nearest_title)
        layout.addWidget(narrow_box(self.nearest_grid))
        layout.addStretch(1)

        self.loaded = None
        self.embedder = None
        self.result: PortraitResult | None = None
        self.vector: np.ndarray | None = None      # the portrait's embedding; None: the average
        self.source_label = ""
        self.neighbours = []
        self.error_kind = ""
        self.embed_seconds: list[float] = []
        self._gallery = None
        self._worker: EmbedWorker | None = None
        self._pending = None                       # (source, allow_centre_crop) waiting for the worker
        self._last_source = None
        self.set_checkpoint(None)

    def head_height(self) -> int:
        """How tall the panel's head is at its width: its title, the picture box and, once a picture is in,
        what the model sees. The panel may scroll below it, never within it."""
        layout, width = self.layout(), max(1, self.width())
        head = [w for w in (self.title, self.drop, self.crop_box) if not w.isHidden()]
        height = layout.contentsMargins().top() + layout.spacing() * (len(head) - 1)
        for widget in head:
            hint = widget.heightForWidth(width) if widget.hasHeightForWidth() else -1
            hint = hint if hint >= 0 else widget.sizeHint().height()
            height += max(widget.minimumHeight(), min(hint, widget.maximumHeight()))
        return height

    def set_folded(self, folded: bool) -> None:
        """Presentation mode and Large text: the pictures, the buttons and the training images; the long
        note (the picture's file, size and preparation) folds into the picture box's tooltip."""
        self.note.setVisible(not folded)

    def _set_note(self, text: str) -> None:
        self.note.setText(text)
        self.drop.setToolTip(tooltip_text(text))

    def _reflow(self, columns: int) -> None:
        if columns != self._columns:
            self._columns = columns
            for i, button in enumerate(self.nearest_buttons):
                self.nearest_grid.addWidget(button, i // columns, i % columns)

    def resizeEvent(self, event) -> None:
        """The buttons side by side and three training images a row where they fit, fewer if not."""
        super().resizeEvent(event)
        width = self.width()
        self.open_button.setText(f"Open {self.word}…")
        side_by_side = self.open_button.sizeHint().width() + self.reset_button.sizeHint().width() + 8 <= width
        self._buttons.setDirection(QBoxLayout.Direction.LeftToRight if side_by_side
                                   else QBoxLayout.Direction.TopToBottom)
        # Narrower still (presentation mode's type): the button's short name; its tooltip says more.
        if self.open_button.minimumSizeHint().width() > width:
            self.open_button.setText("Open…")
        tile = max(b.sizeHint().width() for b in self.nearest_buttons) + self.nearest_grid.spacing()
        self._reflow(max(1, min(3, width // max(1, tile))))

    # -- the model --------------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        # A box model's 4-D embedding is a box drawn on the canvas, not a picture's code.
        return (self.loaded is not None and bool(getattr(self.loaded.config, "embedding_dim", 0))
                and not is_box_model(self.loaded.config, self.loaded.embedder))

    @property
    def is_face_model(self) -> bool:
        return self.active and (self.loaded.embedder or {}).get("name") != "autoencoder"

    @property
    def word(self) -> str:
        """What this panel takes: a face model a portrait, an auto-encoder any picture."""
        return "portrait" if self.is_face_model or not self.active else "picture"

    def set_checkpoint(self, loaded) -> None:
        """Follow the window's model: shown for embedding-conditioned ones, its embedder made ready behind."""
        self.loaded, self.embedder, self.result, self.vector = loaded, None, None, None
        self._pending, self._last_source, self.neighbours, self.source_label = None, None, [], ""
        self.error.hide()
        self.error_kind = ""
        self.setVisible(self.active)
        if not self.active:
            self._gallery = None
            return
        self._gallery = gallery_of(loaded.metadata)
        face = self.is_face_model
        self.title.setText("Portrait" if face else "Picture to encode")
        self.drop.clear("Drop a portrait here\n\nany picture file, or an image dragged from another "
                        "application\n(File → Open portrait…)" if face else
                        "Drop any picture here\n\nthe model's encoder turns it into a code\n(File → Open picture…)")
        # An auto-encoder takes any picture: its panel never speaks of portraits.
        self.open_button.setText("Open portrait…" if face else "Open picture…")
        self.reset_button.setToolTip(f"Forget the {self.word}: condition on the average training "
                                     f"{'embedding' if face else 'code'}")
        self.crop_box.hide()
        self._show_average()
        self._start(None, False)                   # resolve the embedder now: a missing one is said at once

    def _show_average(self) -> None:
        what = "training images" if self._gallery is None or len(self._gallery[0]) != 1 else "training image"
        code = "embedding" if self.is_face_model else "code"
        if self._gallery is not None:
            self._set_note(f"No {self.word} yet: samples use the average {code} of {len(self._gallery[0])} "
                              f"{what}.")
        else:
            self._set_note(f"No {self.word} yet: samples use the zero {code}.")
        self._show_neighbours(nearest(self._gallery, self.sampling_vector(), NEIGHBOURS)
                              if self._gallery is not None else [])

    def headline_suffix(self) -> str:
        """What the runs are conditioned on, for the window's headline."""
        if not self.active:
            return ""
        average = "average embedding" if self.is_face_model else "average code"
        return f"  ·  {self.source_label}" if self.vector is not None else f"  ·  {average}"

    def sampling_vector(self) -> np.ndarray | None:
        """What runs are conditioned on: the portrait, else the average training embedding, else zeros."""
        if not self.active:
            return None
        if self.vector is not None:
            return self.vector
        mean = mean_embedding(self._gallery)
        dim = int(self.loaded.config.embedding_dim)
        return mean if mean is not None and mean.size == dim else np.zeros(dim, dtype=np.float32)

    # -- loading a portrait ---------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._worker is not None

    def load_portrait(self, source, allow_centre_crop: bool = False) -> None:
        """Embed a path, bytes or PIL image in the background; the result replaces the current portrait."""
        if not self.active:
            self.message.emit("This model is not conditioned on a portrait: there is nothing to drop a picture on.",
                              "error")
            return
        if isinstance(source, (str, Path)) and str(source).lower().endswith(".pt"):
            self.checkpoint_dropped.emit(str(source))
            return
        self._last_source = source
        if self._worker is not None:
            self._pending = (source, allow_centre_crop)
            return
        self._start(source, allow_centre_crop)

    def use_centre_crop(self) -> None:
        if self._last_source is not None:
            self.load_portrait(self._last_source, allow_centre_crop=True)

    def _start(self, source, allow_centre_crop: bool) -> None:
        if self._worker is not None:
            self._worker.cancel()                 # a job for the previous model: it ends on its own, unheard
        worker = EmbedWorker(self.loaded, self.embedder, source, allow_centre_crop=allow_centre_crop)
        worker.succeeded.connect(lambda result, embedder, w=worker: self._done(w, result, embedder))
        worker.failed.connect(lambda kind, text, w=worker: self._failed(w, kind, text))
        worker.finished.connect(lambda w=worker: self._finished(w))
        self._worker = worker
        if source is not None:
            self.drop.busy.show()
            self._set_note(f"Embedding {describe_source(source)}…")
        worker.start()

    def _finished(self, worker) -> None:
        if worker is not self._worker:
            return
        self._worker = None
        self.drop.busy.hide()
        if self._pending is not None and self.active:
            (source, centre), self._pending = self._pending, None
            self._start(source, centre)

    def _done(self, worker, result, embedder) -> None:
        if worker is not self._worker:
            return                                  # a job for a model no longer loaded
        self.embedder = embedder
        if result is None:
            return
        self.error.hide()
        self.error_kind = ""
        self.result, self.vector, self.source_label = result, result.vector, result.name
        self.embed_seconds.append(result.seconds)
        self.drop.show_pixmap(rgb_pixmap(result.display), result.box)
        if result.crop is not None:
            self.crop.setPixmap(rgb_pixmap(result.crop).scaled(self.crop.size(), KEEP_ASPECT, SMOOTH))
            self.crop_caption.setText("The aligned face the network saw" +
                                      (" (the centre, unaligned)" if result.centre_crop else ""))
        else:
            self.crop.setPixmap(crisp_pixmap(result.model_view, 64))
            c, h, w = result.model_view.shape
            self.crop_caption.setText(f"As the model sees it: {h}×{w} {'grey' if c == 1 else 'RGB'}")
        self.crop_box.show()
        width, height = result.size
        self._set_note(f"{result.name} · {width}×{height} · {result.note} · embedded in {result.seconds:.2f} s")
        self._show_neighbours(result.neighbours)
        self.embedding_changed.emit()

    def _failed(self, worker, kind: str, text: str) -> None:
        if worker is self._worker:
            self.show_error(kind, text)

    def show_error(self, kind: str, text: str) -> None:
        self.error_kind = kind
        keep = " The current portrait stays." if self.vector is not None else ""
        if kind == "no-face":
            detail = text.split(";", 1)[0]
            message = f"{detail[:1].upper()}{detail[1:]}. Use a photo with a clear, roughly frontal face, or " \
                      f"embed the centre of the picture anyway.{keep}"
        elif kind == "image":
            message = f"Not a usable picture: {text}.{keep}"
        elif kind == "unavailable":
            gallery = " Click a training image below to sample from its embedding." if self.neighbours else ""
            message = f"Portraits cannot be embedded here: {text.split(': ', 1)[-1] if '.pt: ' in text else text}." \
                      f"{gallery}"
        else:
            message = f"Embedding failed: {text}.{keep}"
        # A detail that already ends a sentence would otherwise end in two full stops; ranges such as
        # "1..4,096" inside it are left as they are.
        message = re.sub(r"\.\.(?=\s|$)", ".", message)
        self.error.show_message(message, centre_crop=kind == "no-face")
        if self.vector is None:
            self._show_average()
        elif self.result is not None:
            width, height = self.result.size
            self._set_note(f"{self.result.name} · {width}×{height} · {self.result.note}")
        self.message.emit(message, "error")

    # -- the average and the training images ------------------------------------------------------------
    def clear_portrait(self) -> None:
        if not self.active:
            return
        self.result, self.vector, self.source_label, self._last_source = None, None, "", None
        self.error.hide()
        self.drop.clear()
        self.crop_box.hide()
        self._show_average()
        self.embedding_changed.emit()

    def _show_neighbours(self, neighbours) -> None:
        self.neighbours = list(neighbours)
        for i, button in enumerate(self.nearest_buttons):
            if i < len(self.neighbours):
                n = self.neighbours[i]
                button.setIcon(crisp_pixmap(n.image, 50))
                button.setText(distance_text(n.distance))
                button.setToolTip(f"Training image {n.index + 1} · distance {n.distance:.3f}\n"
                                  "Click to condition on its embedding")
                button.show()
            else:
                button.hide()
        shown = bool(self.neighbours)
        self.nearest_title.setVisible(shown)
        self.nearest_title.setText("Nearest training images" if self.vector is not None else "Training images "
                                   "nearest the average")

    def use_neighbour(self, k: int) -> None:
        """Condition on a training image's own embedding (works without the embedder installed)."""
        if k >= len(self.neighbours) or self._gallery is None:
            return
        n = self.neighbours[k]
        self.vector = self._gallery[1][n.index].astype(np.float32)
        self.result, self._last_source = None, None
        self.source_label = f"training image {n.index + 1}"
        self.error.hide()
        self.drop.show_pixmap(crisp_pixmap(n.image, 180))
        self.crop_box.hide()
        self._set_note(f"Training image {n.index + 1}, conditioned on its stored embedding.")
        self._show_neighbours(nearest(self._gallery, self.vector, NEIGHBOURS))
        self.embedding_changed.emit()

    def shutdown(self) -> None:
        """Cancel the embedding under way; the window's job registry gives it its last moment."""
        worker, self._worker, self._pending = self._worker, None, None
        if worker is not None:
            worker.cancel()
