"""The Surprise tab: how the model sees a picture. Drop one (or take the drawing): the picture as the model
sees it, beside a heat map of the bits it pays for every pixel, the total in bits/dim, and for a
class-conditional model p(class | picture), the generator used as a classifier (uniform prior)."""
from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from ...render.surprise_map import heat_rgb, map_picture
from ...embed.scoring import class_label, score_picture
from ..common.jobs import FunctionJob
from ..common.pictures import mime_has_picture, picture_from_drop, rgb_pixmap
from ..common.plain import plain_label

SHOWN_CLASSES = 5
# One colour scale for every picture, so two maps side by side compare: yellow is 8 bits a sub-pixel,
# what a level costs when all 256 are equally likely (the model has learnt nothing about it); more
# than that is clipped to yellow.
SCALE_BITS = 8.0


class SurpriseTab(QWidget):
    message = Signal(str)
    drawing_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.loaded = None
        self.result = None
        self.prepared = None
        self.picture_name = ""
        self._job = None
        self.setAcceptDrops(True)
        self.explain = plain_label()
        self.explain.setWordWrap(True)
        self.explain.setObjectName("muted")
        self.open_button = QPushButton("Open picture…")
        self.drawing_button = QPushButton("Use the drawing")
        self.drawing_button.setToolTip("Score the picture on the Draw tab's pad")
        self.drawing_button.clicked.connect(self.drawing_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.drawing_button)
        buttons.addStretch(1)
        self.map = plain_label("Drop a picture here")
        self.map.setObjectName("dropArea")
        self.map.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # Ignored: the map is drawn to fit the label, never the label grown to fit the map.
        self.map.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.map.setMinimumSize(200, 120)
        self.map.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setFocusProxy(self.map)
        self.scale_bar = plain_label()
        self.scale_bar.setToolTip("Colour scale of the map: bits the model pays for a pixel")
        self.scale_low, self.scale_high = plain_label("0 bits"), plain_label()
        for label in (self.scale_low, self.scale_high):
            label.setObjectName("muted")
        scale = QHBoxLayout()
        scale.addStretch(1)
        scale.addWidget(self.scale_low)
        scale.addWidget(self.scale_bar)
        scale.addWidget(self.scale_high)
        scale.addStretch(1)
        self.caption = plain_label()
        self.caption.setWordWrap(True)
        self.headline = plain_label()
        self.headline.setObjectName("headline")
        self.posterior = plain_label()
        self.posterior.setTextFormat(Qt.TextFormat.RichText)
        self.posterior.setAlignment(Qt.AlignmentFlag.AlignTop)
        side = QVBoxLayout()
        # The buttons beside the map, not above it: the map has the tab's whole height.
        side.addLayout(buttons)
        side.addWidget(self.headline)
        side.addWidget(self.posterior, 1)
        body = QHBoxLayout()
        body.addWidget(self.map, 3)
        body.addLayout(side, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.explain)
        layout.addLayout(body, 1)
        layout.addLayout(scale)
        layout.addWidget(self.caption)

    def set_folded(self, folded: bool) -> None:
        """Presentation mode and Large text: the map is the picture; the explanation and the long
        caption fold away (the headline, p(class | picture) and the colour scale stay)."""
        self.explain.setVisible(not folded)
        self.caption.setVisible(not folded)

    def set_checkpoint(self, loaded) -> None:
        self.loaded, self.result, self.prepared = loaded, None, None
        self.map.setPixmap(rgb_pixmap(np.zeros((1, 1, 3), np.uint8)).scaled(1, 1))
        self.map.setText("Drop a picture here")
        self.headline.clear()
        self.posterior.clear()
        self.caption.clear()
        classes = loaded is not None and loaded.config.num_classes > 0
        self.explain.setText(
            "Bits the model pays for each pixel of a picture: bright is surprising, dark is expected. "
            + ("p(class | picture) is the model used as a classifier: the class under which the picture is most "
               "likely, with every class equally likely beforehand. " if classes else "")
            + "Pictures are prepared as the model's kind asks; one already at its size is used as it is.")

    # -- scoring --------------------------------------------------------------------------------------
    def score(self, source, name: str = "the picture") -> None:
        if self.loaded is None:
            self.message.emit("Open a model first.")
            return
        loaded = self.loaded
        job = FunctionJob(lambda _job: score_picture(loaded, source), "scoring a picture", self)
        job.done.connect(lambda result: self._show(job, name, *result))
        job.failed.connect(lambda text: self._failed(job, text))
        self._job = job
        self.headline.setText(f"Scoring {name}…")
        job.start()

    def _failed(self, job, text: str) -> None:
        if job is self._job:
            self.headline.setText("Cannot score it")
            self.message.emit(text)

    def _show(self, job, name: str, prepared, result) -> None:
        if job is not self._job:
            return
        self.prepared, self.result, self.picture_name = prepared, result, name
        self._draw_map()
        loaded = self.loaded
        shown = f"{result.bits_per_dim:.3f} bits/dim"
        if result.class_id is not None:
            shown += f"  ·  {html.escape(class_label(loaded, result.class_id))}"
        self.headline.setText(shown)
        rows = []
        if result.class_posterior is not None:
            order = np.argsort(-result.class_posterior.numpy())[:SHOWN_CLASSES]
            rows.append("<b>p(class | picture)</b><table cellspacing='3'>")
            for k in order:
                p = float(result.class_posterior[k])
                bar = "█" * max(0, round(p * 20))
                rows.append(f"<tr><td>{html.escape(class_label(loaded, int(k)))}</td><td>{p:.3f}</td>"
                            f"<td style='color:#4cc38a'>{bar}</td></tr>")
            rows.append("</table>")
        per_pixel = result.bits_per_pixel
        row, col = divmod(int(per_pixel.argmax()), per_pixel.shape[1])
        rows.append(f"<p>Most surprising pixel: row {row}, column {col}, {float(per_pixel.max()):.1f} bits.</p>")
        self.posterior.setText("".join(rows))
        self.caption.setText(f"{name}: {prepared.note}. Left: the picture as the model sees it; right: bits per "
                             f"pixel on one scale for every picture (yellow: {self._top():.0f} bits or more, what a "
                             "pixel costs when every level is equally likely).")

    def _top(self) -> float:
        """The bits a pixel (all its sub-pixels) needs to reach the scale's brightest colour."""
        return SCALE_BITS * (self.prepared.array.shape[0] if self.prepared is not None else 1)

    def _draw_map(self) -> None:
        if self.result is None:
            return
        _, h, w = self.prepared.array.shape
        scale = max(1, min((self.map.height() - 4) // h, (self.map.width() - 4) // (2 * w + 1)))
        top = self._top()
        pixmap = rgb_pixmap(map_picture(self.prepared.array, self.result, scale=scale, top=top))
        self.map.setPixmap(pixmap)
        ramp = np.repeat(heat_rgb(np.linspace(0.0, top, 160)[None, :], top), 12, axis=0)
        self.scale_bar.setPixmap(rgb_pixmap(ramp))
        self.scale_high.setText(f"{top:.0f} bits or more")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._draw_map()

    # -- drops ----------------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if mime_has_picture(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        source = picture_from_drop(event, self.message.emit)
        if source is None:
            return
        self.score(source, Path(source).name if isinstance(source, str) else "the dropped picture")

    def shutdown(self) -> None:
        if self._job is not None:
            self._job.cancel()
