"""Small widgets of the explorer's side panel: colour swatches, channel chips, the explanation.

Kept apart from explorer.py so that the view's logic reads without the styling around it.
Sizes are in units of the font's height, so the panel grows with the app's (or the large-text)
font instead of staying fixed in pixels on a projector.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter, QPixmap
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QProgressBar, QPushButton, QSizePolicy, QSlider, QVBoxLayout,
                               QWidget)

from ...core.export import make_grid
from ...core.receptive import COMBINED, HORIZONTAL, STACKS, VERTICAL
from ...render.colours import (BLIND_SPOT, CHANNEL_COLOURS, CHANNEL_NAMES, EARLIER, LATER, STACK_COLOURS, STACK_LABELS,
                              TARGET, VIRIDIS)
from ..common.plain import plain_label, rich_label

STACK_NOTES = {
    VERTICAL: "What the vertical stack sees: whole rows above the target, as wide left as right.",
    HORIZONTAL: "What the horizontal stack would see on its own, without the link from the vertical "
                "stack: only the pixels to the left in the target's row. The link joins the two.",
    COMBINED: "The horizontal stack with the vertical stack's output added at every layer: what the "
              "prediction actually sees.",
}

EXPLANATION = (
    "<b>Why two stacks?</b> A PixelCNN predicts each pixel from the pixels before it in raster "
    "order (rows top to bottom, left to right; R, then G, then B within a pixel), so every "
    "convolution is <i>masked</i>: it may look up and left, never down or right. The original "
    "PixelCNN uses one k×k filter cut off after its centre. Stacking such filters grows the "
    "field upwards and to the left, but it can only move right by climbing rows, at most half "
    "a filter width to the right for each row it climbs, so a wedge of earlier pixels above and "
    "to the right of the target is never seen, however deep the network: the <b>blind spot</b>. "
    "The Gated PixelCNN splits each layer in two. A <b>vertical stack</b> looks at whole rows "
    "above, spreading evenly left and right, and a <b>horizontal stack</b> looks only at the "
    "pixels to the left in the target's own row. Feeding the vertical stack into the horizontal "
    "one at every layer joins the two, and the field covers everything before the target and "
    "nothing after it. Within a pixel, the first layer's mask A hides the target's own channel "
    "(G sees R, not G or B); later layers use mask B, which passes a channel on to itself."
)


class Swatch(QWidget):
    """A filled square (or hatched, for the blind spot) that sizes itself to the font."""

    def __init__(self, rgb, hatched: bool = False, parent=None):
        super().__init__(parent)
        self.colour, self.hatched = QColor(*rgb), hatched
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def sizeHint(self):
        side = self.fontMetrics().height()
        return QSize(side, side)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        side = min(self.width(), self.height()) - 2
        box = self.rect().adjusted(1, 1, -1, -1)
        box.setWidth(side)
        box.setHeight(side)
        if self.hatched:
            painter.setPen(self.colour)
            painter.drawRect(box)
            painter.fillRect(box, QColor(self.colour.red(), self.colour.green(), self.colour.blue(), 70))
            for x in range(box.left() - side, box.right(), max(3, side // 3)):
                painter.drawLine(x, box.bottom(), x + side, box.top())
        else:
            painter.fillRect(box, self.colour)
            # A grey rim keeps a dark swatch visible on a dark panel.
            painter.setPen(QColor(128, 128, 128))
            painter.drawRect(box.adjusted(0, 0, -1, -1))
        painter.end()


def swatch_row(rgb, widget: QWidget, hatched: bool = False) -> QWidget:
    """A swatch followed by a label or checkbox: one legend entry."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(Swatch(rgb, hatched))
    layout.addWidget(widget, 1)
    return row


class ChannelChips(QWidget):
    """R / G / B chips: which channels of the target pixel itself the chosen output sees."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = plain_label()
        layout.addWidget(self.title)
        self.chips = []
        for name in CHANNEL_NAMES:
            chip = plain_label(name)
            chip.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(chip)
            self.chips.append(chip)
        layout.addStretch(1)
        self.visible = (False, False, False)

    def set_state(self, channel: int, visible) -> None:
        self.visible = tuple(bool(v) for v in visible)
        self.title.setText(f"{CHANNEL_NAMES[channel]} sees, of its own pixel:")
        for c, chip in enumerate(self.chips):
            r, g, b = CHANNEL_COLOURS[c]
            if self.visible[c]:
                style = f"background: rgb({r},{g},{b}); color: black; font-weight: bold;"
                chip.setToolTip(f"{CHANNEL_NAMES[c]} of the target pixel is visible")
            else:
                style = f"border: 1px dashed rgb({r},{g},{b}); color: rgb({r},{g},{b}); text-decoration: line-through;"
                chip.setToolTip(f"{CHANNEL_NAMES[c]} of the target pixel is hidden")
            chip.setStyleSheet(f"QLabel {{ {style} padding: 2px 8px; border-radius: 3px; }}")


def segment(text: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setCheckable(True)
    button.setToolTip(tip)
    return button


def legend_label(text: str) -> QLabel:
    label = plain_label(text)
    label.setWordWrap(True)
    return label


def stack_checkbox(text: str, checked: bool = True) -> QCheckBox:
    box = QCheckBox(text)
    box.setChecked(checked)
    return box


class HeatBar(QWidget):
    """The effective field's colour scale, weak to strong, as a strip the height of the text."""

    def sizeHint(self):
        return QSize(8 * self.fontMetrics().height(), self.fontMetrics().height())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        gradient = QLinearGradient(0, 0, self.width(), 0)
        for i, rgb in enumerate(VIRIDIS):
            gradient.setColorAt(i / (len(VIRIDIS) - 1), QColor(*(int(v) for v in rgb)))
        painter.fillRect(self.rect().adjusted(1, 2, -1, -2), gradient)
        painter.end()


class ControlPanel(QWidget):
    """Every control of the explorer, built once; the explorer connects them to its state."""

    def __init__(self, parent=None):
        super().__init__(parent)
        side = QVBoxLayout(self)
        self.title = rich_label()             # numbers from the config only
        self.title.setWordWrap(True)
        side.addWidget(self.title)

        view = QGroupBox("Show")
        grid = QVBoxLayout(view)
        # Checkable push buttons rather than radio buttons: a segmented switch that reads at a
        # distance and looks the same under every style sheet.
        modes = QHBoxLayout()
        self.exact_button = segment("Exact field", "Which pixels can influence the target at all (the architecture)")
        self.effective_button = segment("Effective field", "How strongly each pixel moves the target's prediction "
                                                           "(the trained weights)")
        self.exact_button.setChecked(True)
        self.mode_group = QButtonGroup(self)
        for button in (self.exact_button, self.effective_button):
            self.mode_group.addButton(button)
            modes.addWidget(button)
        grid.addLayout(modes)
        self.compare_toggle = QCheckBox("Side by side with the other network")
        self.compare_toggle.setChecked(True)
        self.compare_toggle.setToolTip("The gated and the original PixelCNN at the same target and layer")
        self.original_toggle = QCheckBox("Original PixelCNN, same depth and kernel")
        self.log_toggle = QCheckBox("Log scale (effective field)")
        self.source_combo = QComboBox()
        self.source_combo.setToolTip("The images the effective field's gradients are averaged over")
        grid.addWidget(self.compare_toggle)
        grid.addWidget(self.original_toggle)
        grid.addWidget(self.log_toggle)
        grid.addWidget(self.source_combo)
        side.addWidget(view)

        layer_box = self.layer_box = QGroupBox("Layer")
        lay = QGridLayout(layer_box)
        self.layer_slider = QSlider(Qt.Orientation.Horizontal)
        self.layer_slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.layer_slider.setPageStep(1)
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Watch the field grow, one layer at a time")
        self.layer_label = plain_label()
        lay.addWidget(self.layer_slider, 0, 0, 1, 2)
        lay.addWidget(self.layer_label, 1, 0)
        lay.addWidget(self.play_button, 1, 1)
        side.addWidget(layer_box)

        self.channel_box = QGroupBox("Predicted channel")
        chan = QVBoxLayout(self.channel_box)
        row = QHBoxLayout()
        self.channel_group = QButtonGroup(self)
        for c, name in enumerate(CHANNEL_NAMES):
            button = segment(name, f"The field of the {'red green blue'.split()[c]} sub-pixel of the target")
            self.channel_group.addButton(button, c)
            row.addWidget(button)
        row.addStretch(1)
        chan.addLayout(row)
        self.chips = ChannelChips()
        chan.addWidget(self.chips)
        side.addWidget(self.channel_box)

        legend = QGroupBox("Legend")
        leg = QVBoxLayout(legend)
        self.stack_boxes = {}
        self.stack_rows = []
        for stack in STACKS:
            self.stack_boxes[stack] = stack_checkbox(STACK_LABELS[stack])
            self.stack_boxes[stack].setToolTip(STACK_NOTES[stack])
            self.stack_rows.append(swatch_row(STACK_COLOURS[stack], self.stack_boxes[stack]))
        self.blind_row = swatch_row(BLIND_SPOT, legend_label("blind spot: earlier, in reach, never seen"), True)
        self.heat_row = QWidget()
        heat = QGridLayout(self.heat_row)
        heat.setContentsMargins(0, 0, 0, 0)
        heat.addWidget(plain_label("weak"), 0, 0)
        heat.addWidget(HeatBar(), 0, 1)
        heat.addWidget(plain_label("strong |gradient|"), 0, 2)
        # The images the gradients were averaged over: the map is about these, not about all data.
        self.images_label = plain_label()
        self.images_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        heat.addWidget(self.images_label, 1, 0, 1, 3)
        for widget in self.stack_rows + [self.blind_row, self.heat_row]:
            leg.addWidget(widget)
        for rgb, text in ((TARGET, "target pixel"), (EARLIER, "earlier pixel, not reached"),
                          (LATER, "target and after: never visible")):
            leg.addWidget(swatch_row(rgb, legend_label(text)))
        side.addWidget(legend)

        self.stats = legend_label("")
        self.stats.setTextFormat(Qt.TextFormat.RichText)
        self.status = legend_label("Click a pixel to make it the target; drag to sweep.")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        for widget in (self.stats, self.progress, self.cancel_button, self.status):
            side.addWidget(widget)
        buttons = QHBoxLayout()
        self.png_button = QPushButton("Save PNG…")
        self.gif_button = QPushButton("Save growth GIF…")
        buttons.addWidget(self.png_button)
        buttons.addWidget(self.gif_button)
        side.addLayout(buttons)
        self.large_text = QCheckBox("Large text")
        # On a small projector the paragraph can take the grid's room; the talk can hide it.
        self.explain_toggle = QCheckBox("Details: why two stacks")
        self.explain_toggle.setChecked(False)
        side.addWidget(self.large_text)
        side.addWidget(self.explain_toggle)
        side.addStretch(1)

    def reset(self, config, dataset: str | None) -> None:
        """Controls for a new model, set without signals: the explorer resets its own state."""
        for widget in (self.original_toggle, self.exact_button, self.layer_slider):
            widget.blockSignals(True)
        self.original_toggle.setChecked(config.variant == "original")
        self.exact_button.setChecked(True)
        self.layer_slider.setRange(1, config.layers + 1)
        self.layer_slider.setValue(config.layers + 1)
        for widget in (self.original_toggle, self.exact_button, self.layer_slider):
            widget.blockSignals(False)
        self.channel_group.button(0).setChecked(True)
        self.channel_box.setVisible(config.channels == 3)
        self.title.setText(f"<b>Receptive fields</b><br>{config.height}×{config.width}, {config.layers} layers, "
                           f"{config.kernel_size}×{config.kernel_size} kernel")
        self.set_sources(dataset)

    def set_sources(self, dataset: str | None) -> None:
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        self.source_combo.addItem("over 8 images sampled from the model")
        if dataset:
            self.source_combo.addItem(f"over 8 test images of {dataset}")
            self.source_combo.setCurrentIndex(1)      # real data, when the model says which
        self.source_combo.blockSignals(False)

    def show_images(self, images) -> None:
        width = images.shape[-1]
        rgb = np.ascontiguousarray(make_grid(images, columns=4, scale=max(1, 200 // (4 * width)), padding=2,
                                             background=40))
        image = QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0], QImage.Format.Format_RGB888)
        self.images_label.setPixmap(QPixmap.fromImage(image.copy()))
        self.images_label.setToolTip(f"The {len(images)} images the effective field is averaged over")

    def show_mode(self, effective: bool, original: bool, has_model: bool) -> None:
        """Enable what applies: the effective field is of the trained output, not of a layer."""
        self.effective_button.setEnabled(has_model)
        self.effective_button.setToolTip("" if has_model else "Load a trained model to see this")
        # Shown only where they apply, so the exact view carries no controls that do nothing.
        self.log_toggle.setVisible(effective)
        self.source_combo.setVisible(effective)
        # The effective field is the trained output's: layers and the other variant do not apply.
        self.original_toggle.setVisible(not effective)
        self.compare_toggle.setVisible(not effective)
        self.layer_box.setVisible(not effective)
        for stack, row in zip(STACKS, self.stack_rows):
            row.setVisible(not effective and (not original or stack == COMBINED))
        # The original network has one stack: its field is all there is to show.
        self.stack_boxes[COMBINED].setText("field of the masked stack" if original else STACK_LABELS[COMBINED])
        self.blind_row.setVisible(not effective and original)
        self.heat_row.setVisible(effective)
