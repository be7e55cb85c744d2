"""Text from files, datasets, settings and file names, shown as plain text: one helper for every view.

A QLabel's default format (Qt.AutoText) renders anything that looks like markup as rich text, and a
tooltip does the same: an `<img src=PATH>` in a class name, a dataset name or a file name then makes
the GUI thread open PATH (a named pipe freezes the app, /dev/zero exhausts its memory). Labels are
therefore plain text unless the view builds the markup itself, escaping every name it puts in, and
tooltips carry names escaped inside markup of our own.
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def plain_label(text: str = "", parent=None) -> QLabel:
    """A label that shows its text exactly as given, whatever it looks like."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def rich_label(markup: str = "", parent=None) -> QLabel:
    """A label of markup the view writes itself; every name in it goes through `escaped`."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setText(markup)
    return label


def set_plain(label: QLabel, text: str) -> None:
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)


def escaped(text) -> str:
    """A name ready to go inside markup."""
    return html.escape(str(text), quote=True)


def tooltip_text(text) -> str:
    """A tooltip that shows `text` as written: escaped inside markup of our own (a plain string that
    looks like markup would be rendered as such)."""
    text = str(text or "")
    if not text:
        return ""
    return "<qt>" + escaped(text).replace("\n", "<br>") + "</qt>"

