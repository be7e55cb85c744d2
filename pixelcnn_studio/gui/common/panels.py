"""Side panels: the model list with its card, and the conditioning picker."""
from __future__ import annotations

import html
import re
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFrame, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QScrollArea, QVBoxLayout, QWidget)

from ...core.box import is_box_model
from ...core.card import metric_bits_per_dim
from ...paths import bundled_models_dir
from ...core.safe_text import shown
from .plain import plain_label, tooltip_text
from . import settings

PATH_ROLE = Qt.ItemDataRole.UserRole


MODEL_LIST_HEIGHT = 120          # the model list's least height: two or three models in view

def section_title(text: str) -> QLabel:
    label = plain_label(text)
    label.setObjectName("sectionTitle")
    return label


def describe_conditioning(config, embedder) -> str:
    parts = []
    if config.num_classes:
        parts.append(f"class ({config.num_classes})")
    if is_box_model(config, embedder):
        # Short: this line shares a narrow panel. A box is location-dependent by nature.
        return ", ".join(parts + ["box"])
    elif config.embedding_dim:
        name = (embedder or {}).get("name", "embedding")
        # An auto-encoder codes any picture; the other embedders are face networks.
        kind = "picture code" if name == "autoencoder" else "portrait"
        parts.append(f"{kind} · {name} ({config.embedding_dim}-D)")
    if config.location_conditioning:
        parts.append("location-dependent")
    return ", ".join(parts) if parts else "none (unconditional)"


def breakable(text: str, run: int = 12) -> str:
    """`text` with a zero-width space after every `run` characters of a word: a long file or data
    set name then wraps in the card's narrow column instead of running past its edge."""
    return re.sub(r"(\S{%d})(?=\S)" % run, "\\1\u200b", text)


def model_card(loaded) -> str:
    """An HTML summary of a loaded checkpoint for the model panel."""
    cfg, meta = loaded.config, loaded.metadata or {}
    dataset = meta.get("dataset") or {}
    # Names cut short enough that the card keeps to a few lines in its narrow panel (the file's
    # whole name is in the window title and the list's tooltip).
    name = shown(dataset.get("name") or Path(loaded.path).stem, 40)
    params = sum(p.numel() for p in loaded.model.parameters())
    colour = "RGB" if cfg.channels == 3 else "greyscale"
    rows = [("Data", html.escape(breakable(str(name))) + (f" · {dataset['train_size']:,} images"
                                                 if isinstance(dataset.get("train_size"), int) else "")),
            ("Images", f"{cfg.height}×{cfg.width} {colour}, {cfg.levels} levels"),
            ("Network", f"{cfg.variant} · {cfg.layers} layers × {cfg.hidden} · {params / 1e6:.2f} M parameters"),
            ("Conditioning", html.escape(describe_conditioning(cfg, loaded.embedder)))]
    if loaded.class_names:
        names = ", ".join(shown(n, 18) for n in loaded.class_names[:6]) + (" …" if len(loaded.class_names) > 6 else "")
        rows.append(("Classes", html.escape(names)))
    bpd = metric_bits_per_dim(meta.get("metrics") or {})
    rows.append(("Bits/dim", f"{bpd[1]:.3f} ({html.escape(bpd[0])})" if bpd else "not recorded"))
    body = "".join(f"<tr><td style='padding-right:8px'><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows)
    title = html.escape(breakable(shown(Path(loaded.path).name, 40), 16))
    return f"<div style='font-size:large'><b>{title}</b></div><table>{body}</table>"


class ModelPanel(QWidget):
    open_requested = Signal(str)
    browse_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setMinimumHeight(MODEL_LIST_HEIGHT)
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        self.open_button = QPushButton("Open checkpoint…")
        self.open_button.clicked.connect(self.browse_requested)
        self.card = plain_label("No model loaded.")
        self.card.setObjectName("card")
        self.card.setWordWrap(True)
        self.card.setTextFormat(Qt.TextFormat.RichText)
        self.card.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(section_title("Models"))
        layout.addWidget(self.list, 1)
        layout.addWidget(self.open_button)
        # A model with a portrait or style panel leaves the card little height on a 720-pixel
        # screen: the card scrolls there rather than being cut off at its bottom.
        self.card_scroll = QScrollArea()
        self.card_scroll.setWidget(self.card)
        self.card_scroll.setWidgetResizable(True)
        self.card_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.card_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.card_scroll.viewport().setAutoFillBackground(False)
        layout.addWidget(self.card_scroll)
        self._current = ""

    def populate(self, bundled: list[Path], recent: list[str], current: str = "") -> None:
        self._current = settings.safe_resolve(current) if current else ""
        self.list.clear()
        self._header("Bundled")
        if not bundled:
            self._note(f"No bundled models yet ({bundled_models_dir().name}/*.pt).\nUse Open checkpoint… "
                       "or drop a .pt file on the window.")
        for path in bundled:
            self._entry(path.stem, str(path))
        bundled_set = {settings.safe_resolve(p) for p in bundled}
        others = [r for r in recent if r not in bundled_set]
        if others:
            self._header("Recent")
            for path in others:
                self._entry(shown(Path(path).name, 60), path, tooltip=shown(path, 300))

    def _header(self, text: str) -> None:
        item = QListWidgetItem(text.upper())
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        font = item.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 0.85)
        item.setFont(font)
        self.list.addItem(item)

    def _note(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.list.addItem(item)

    def _entry(self, label: str, path: str, tooltip: str = "") -> None:
        item = QListWidgetItem(label)
        item.setData(PATH_ROLE, path)
        item.setToolTip(tooltip_text(tooltip or path))
        self.list.addItem(item)
        if settings.safe_resolve(path) == self._current:
            item.setSelected(True)
            font = item.font()
            font.setBold(True)
            item.setFont(font)

    def set_summary(self, path: str, text: str) -> None:
        """A second line under a listed model, once its header has been read."""
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(PATH_ROLE) == path:
                label = item.text().split("\n")[0]
                summary = text[len(label) + 3:] if text.startswith(label + " · ") else text   # no "mnist · mnist"
                item.setText(f"{label}\n{summary}")
                item.setToolTip(tooltip_text(f"{shown(path, 300)}\n{text}"))

    def listed_paths(self) -> list[str]:
        return [p for p in (self.list.item(i).data(PATH_ROLE) for i in range(self.list.count())) if p]

    def _activated(self, item: QListWidgetItem) -> None:
        path = item.data(PATH_ROLE)
        if path and settings.safe_resolve(path) != self._current:
            self.open_requested.emit(path)

    def show_card(self, loaded) -> None:
        self.card.setText(model_card(loaded) if loaded is not None else "No model loaded.")


class ConditioningPanel(QWidget):
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.combo = QComboBox()
        # Sized by a few characters, not by the longest class name (which may be very long).
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(8)
        self.combo.setToolTip("The class every image is sampled from (the digit keys pick one: see "
                              "Help → Keyboard shortcuts). Changing it restarts a run that is under way.")
        self.per_row = QCheckBox("One row per class")
        self.per_row.setToolTip("Sample every class at once, one row each")
        # Models whose classes are characters (letters) write a typed word: one image per character.
        self.text = QLineEdit()
        self.text.setPlaceholderText("Type a word, then Enter")
        self.text.setToolTip("Enter writes the word: every character sampled at once, side by side, "
                             "pixel by pixel. Empty the field and press Enter to go back to one class.")
        self.text.setClearButtonEnabled(True)
        self.note = plain_label()
        self.note.setObjectName("muted")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(section_title("Conditioning"))
        layout.addWidget(self.text)
        layout.addWidget(self.combo)
        layout.addWidget(self.per_row)
        layout.addWidget(self.note)
        self.combo.currentIndexChanged.connect(self._changed)
        self.per_row.toggled.connect(self._changed)
        self._config = None
        self._names: list[str] = []
        self.set_model(None, None)

    def _changed(self, *_):
        self.combo.setEnabled(bool(self._names) and not self.per_row.isChecked())
        self.changed.emit()

    def set_model(self, config, class_names, embedder=None, keys=None) -> None:
        """`keys`: the digit key that picks each class (or None), shown before its name."""
        self._config = config
        self.combo.blockSignals(True)
        self.per_row.blockSignals(True)
        self.combo.clear()
        self.per_row.setChecked(False)
        self._names = []
        if config is not None and config.num_classes:
            self._names = list(class_names or [f"class {i}" for i in range(config.num_classes)])
            for i, name in enumerate(self._names):
                key = keys[i] if keys and i < len(keys) else None
                # Names from the file: escaped and elided, so none can widen the panel or break a line.
                self.combo.addItem(f"{key}  ·  {shown(name, 40)}" if key is not None else shown(name, 40))
                self.combo.setItemData(i, shown(name, 300), Qt.ItemDataRole.ToolTipRole)
        self.combo.blockSignals(False)
        self.per_row.blockSignals(False)
        has_classes = bool(self._names)
        from ...core.plan import characters_are_classes
        self.text.setVisible(characters_are_classes(self._names))
        self.combo.setVisible(has_classes)
        self.per_row.setVisible(has_classes)
        self.combo.setEnabled(has_classes)
        self.note.setToolTip("")
        if config is None:
            self.note.setText("Load a model to choose what to condition on.")
        elif is_box_model(config, embedder):
            # The keys are on the shortcuts sheet (F1): a long note would not fit Large text.
            self.note.setText("Drag a box on the canvas: the class is drawn into it.")
        elif config.embedding_dim:
            # One line: the picture panel below (its drop zone, what the model sees) needs the height.
            name = (embedder or {}).get("name", "a face network")
            what = "picture code" if name == "autoencoder" else "face embedding"
            self.note.setText(f"With the {config.embedding_dim}-D {what} below.")
            self.note.setToolTip(f"Conditioned on the class and on the {config.embedding_dim}-D "
                                 + ("code of a picture (auto-encoder)" if name == "autoencoder"
                                    else f"portrait embedding ({name})") + ": drop a picture below.")
        elif not has_classes:
            self.note.setText("This model is unconditional: every image is drawn from the whole "
                              "distribution it learned. There is nothing to choose.")
        else:
            self.note.setText("")
        self.note.setVisible(bool(self.note.text()))

    @property
    def class_names(self) -> list[str]:
        return self._names

    def select_class(self, index: int) -> bool:
        if not self._names or not 0 <= index < len(self._names):
            return False
        self.per_row.setChecked(False)
        self.combo.setCurrentIndex(index)
        return True


def message_label() -> QLabel:
    """The text of a message strip: wrapped, and selectable so a path or an error can be copied."""
    label = plain_label()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class Banner(QFrame):
    """A dismissable message strip above the canvas: errors never hide in a modal box."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.text = message_label()
        close = QPushButton("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.text.setText(text)
        self.show()
