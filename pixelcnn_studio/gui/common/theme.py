"""Themes: a style sheet from the package's resources plus the few colours that painted widgets need.

The style sheet cannot reach the sampling canvas or the plots (they paint themselves), so
their colours are kept here, next to the name of the sheet they must match.
"""
from __future__ import annotations

from dataclasses import dataclass
from PySide6.QtGui import QColor, QIcon

from ...paths import resources_dir

THEMES = ("dark", "light")


@dataclass(frozen=True)
class Palette:
    name: str
    canvas: str          # behind the image grid
    frame: str           # outline of an image tile
    selected: str        # outline of the chosen sample
    pending_a: str       # the two squares of the "not sampled yet" checker
    pending_b: str
    current: str         # the sub-pixel being sampled
    text: str
    muted: str
    plot_bg: str
    bar: str             # distribution bars
    sampled: str         # the bar of the value that was drawn
    channel: tuple = ("#ff5c5c", "#4cd964", "#4c8dff")   # R, G, B accents


PALETTES = {
    "dark": Palette("dark", canvas="#14161c", frame="#2c3240", selected="#ffd54a",
                    pending_a="#22262f", pending_b="#2a2f3a", current="#ffd54a",
                    text="#e4e7ee", muted="#8f99ad", plot_bg="#1b1e26", bar="#5b8def", sampled="#ffd54a"),
    "light": Palette("light", canvas="#e8eaef", frame="#c6ccd6", selected="#e08a00",
                     pending_a="#dadde4", pending_b="#e3e6ec", current="#e08a00",
                     text="#1f2330", muted="#5d6678", plot_bg="#ffffff", bar="#1a66d9", sampled="#e08a00",
                     channel=("#d62f2f", "#1f9d3a", "#1f5fd6")),
}


def palette(name: str) -> Palette:
    return PALETTES.get(name, PALETTES["dark"])


def stylesheet(name: str, presentation: bool = False) -> str:
    parts = []
    for file in (f"style-{name if name in THEMES else 'dark'}.qss",) + (("presentation.qss",) if presentation else ()):
        path = resources_dir() / file
        if path.exists():
            parts.append(path.read_text(encoding="utf-8"))
    # Style sheets resolve url() against the working directory, so images get absolute paths here.
    return "\n".join(parts).replace("@RESOURCES@", resources_dir().as_posix())


def app_icon() -> QIcon:
    icon = QIcon()
    for file in ("icon.svg", "icon.png"):
        path = resources_dir() / file
        if path.exists():
            icon.addFile(str(path))
    return icon


def action_icon(name: str, pal: Palette) -> QIcon:
    """A font icon in the theme's text colour; an empty icon if qtawesome is unavailable."""
    try:
        import qtawesome
        return qtawesome.icon(name, color=QColor(pal.text), color_disabled=QColor(pal.muted))
    except Exception:  # noqa: BLE001 - icons are decoration; the buttons have text
        return QIcon()
