"""Help → About and Help → Keyboard shortcuts: non-modal windows, so nothing waits on them."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QApplication, QDialog, QDialogButtonBox, QFrame, QHBoxLayout, QScrollArea,
                               QVBoxLayout)

from ..common.theme import app_icon
from ..common.plain import plain_label

SHORTCUTS = (
    ("Space", "Start, pause or resume sampling (after a finished run: new images)"),
    ("→", "Sample one sub-pixel (R, then G, then B); on Receptive fields: the next layer"),
    ("←", "Look one step back on the timeline; on Receptive fields: the previous layer"),
    ("End", "Back to the live view"),
    ("R", "Restart with the same seed"),
    ("N", "New random seed and restart"),
    ("Shift+R", "Resample from the timeline's step with a new seed (the old branch stays beside)"),
    ("+, =, -", "Temperature up (warmer, more varied) or down (colder) by 0.1"),
    ("M, Shift+M", "Next or previous bundled model"),
    ("DIGITS", ""),                     # filled in for the model loaded: by name or by position
    ("S", "Stage view: one sample large, its receptive field and distribution"),
    ("F", "Receptive-field overlay on the sampling grid"),
    ("Ctrl+Left, Ctrl+Right, Ctrl+Up, Ctrl+Down", "Box models: move the box (or drag it; drag elsewhere: a new box)"),
    ("Ctrl+Shift+Left, Ctrl+Shift+Right, Ctrl+Shift+Up, Ctrl+Shift+Down", "Box models: resize the box"),
    ("L", "Box models: the location map s = m(h) over the canvas"),
    ("F2, F3, F4", "Sampling tab, Receptive fields tab, Interpolation tab"),
    ("X", "Receptive fields: the exact or the effective field"),
    ("G", "Interpolation: generate the rows"),
    ("F5, F6, F7", "Draw tab, Surprise tab, Train tab"),
    ("P, E", "Draw tab: pen, eraser"),
    ("[, ]", "Draw tab: thinner, thicker pen"),
    ("Ctrl+Z, Del", "Draw tab: undo a stroke, clear the pad"),
    ("Ctrl+Return", "Draw tab: Complete (keep the rows above the line, sample the rest)"),
    ("O, D", "Surprise tab: open a picture, score the drawing"),
    ("F11", "Presentation mode (full screen, large type, a badge with model, class, seed, step)"),
    ("Esc", "Leave presentation mode; else stop loading a checkpoint; in a field: back to the view"),
    ("Enter", "In a field: take the value and give the keys back to the view"),
    ("Ctrl+1 … 9", "Store a scene: model, class, seed, temperature, step, tab, view, the fields' layer, target and "
                   "mode, the drawing and the picture scored"),
    ("Alt+1 … 9", "Recall a scene (scenes are kept between sessions)"),
    ("Ctrl+L", "Large text on every tab"),
    ("Ctrl+O", "Open a checkpoint"),
    ("Ctrl+Shift+O", "Open a portrait (portrait and auto-encoder models)"),
    ("Ctrl+E", "Export the grid as PNG"),
    ("Ctrl+Shift+E", "Export the sampling as GIF"),
    ("Ctrl+T", "Switch between dark and light theme"),
    ("F1", "This sheet"),
    ("Ctrl+Q", "Quit"),
)


def digit_keys_text(state) -> tuple[str, str]:
    """What the digit keys do with the model loaded: pick by class name, or by position."""
    if state is None or not state.num_classes:
        return "1 … 9, 0", "Pick a class (this model has none)"
    if state.digit_names:
        return "0 … 9", "Pick the class named by the digit (this model's classes are digits: 7 is \"7\")"
    last = min(10, state.num_classes)
    return "1 … 9, 0", f"Pick class 1 … {last} by position (1 is {state.class_names[0]!r})"


CITATION = ("Aäron van den Oord, Nal Kalchbrenner, Oriol Vinyals, Lasse Espeholt, Alex Graves, "
            "Koray Kavukcuoglu. <i>Conditional Image Generation with PixelCNN Decoders</i>. "
            "Advances in Neural Information Processing Systems 29 (NIPS 2016). arXiv:1606.05328.")


def _dialog(parent, title: str, body: str, width: int = 520) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setModal(False)
    icon = plain_label()
    icon.setPixmap(app_icon().pixmap(72, 72))
    icon.setAlignment(Qt.AlignmentFlag.AlignTop)
    text = plain_label(body)
    text.setWordWrap(True)
    text.setTextFormat(Qt.TextFormat.RichText)
    text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    text.setOpenExternalLinks(True)
    text.setMinimumWidth(width)
    # Scrolled when the screen is short (a 720-line projector): the sheet's last keys stay reachable.
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(text)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    row = QHBoxLayout()
    row.addWidget(icon)
    row.addWidget(scroll, 1)
    layout = QVBoxLayout(dialog)
    layout.addLayout(row)
    layout.addWidget(buttons)
    screen = (parent.screen() if parent is not None else None) or QApplication.primaryScreen()
    room = screen.availableGeometry().height() - 80 if screen is not None else 640
    scroll.setMinimumWidth(width + scroll.verticalScrollBar().sizeHint().width())
    dialog.resize(dialog.sizeHint().width(), min(text.heightForWidth(width) + 90, room))
    return dialog


def about_dialog(parent, version: str) -> QDialog:
    body = (f"<h2>PixelCNN Studio {version}</h2>"
            "<p>Watch Gated PixelCNN models draw images one sub-pixel at a time, with the model's "
            "predictive distribution for every step, exact bits/dim, rewind and fork.</p>"
            f"<p><b>Based on</b><br>{CITATION}</p>"
            "<p>Sub-pixels are sampled in raster order, and within a pixel R, then G, then B, "
            "as in the paper.</p>"
            "<p><b>The bundled portrait model</b> learnt from only the 100 small face crops that "
            "come with scikit-image: it shows the whole path (drop a photo, find and embed the face, "
            "sample from the embedding) but draws face-like images, not new photographs of that "
            "person. A real one needs thousands of face photos and a GPU "
            "(<code>pixelcnn-studio train --preset portraits --data folder:PATH</code>).</p>"
            "<p>MIT licence.</p>")
    return _dialog(parent, "About PixelCNN Studio", body)


def shortcut_rows(state=None) -> list[tuple[str, str]]:
    return [digit_keys_text(state) if key == "DIGITS" else (key, text) for key, text in SHORTCUTS]


def shortcuts_dialog(parent) -> QDialog:
    # Two columns side by side: in one, the sheet is taller than a 720-pixel projector.
    entries = shortcut_rows(getattr(parent, "state", None))
    half = (len(entries) + 1) // 2

    def table(part):
        rows = "".join(f"<tr><td style='padding:3px 14px 3px 0'><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>"
                       for k, v in part)
        return f"<table>{rows}</table>"
    body = (f"<h3>Keyboard shortcuts</h3><table><tr><td style='padding-right:24px' valign='top'>"
            f"{table(entries[:half])}</td><td valign='top'>{table(entries[half:])}</td></tr></table>")
    return _dialog(parent, "Keyboard shortcuts", body, width=820)
