"""Does the window fit a projector? Opens each checkpoint on a virtual screen (offscreen, W×H) and
reports, for every tab in normal mode, presentation mode and Large text, the window's minimum size,
the share of the window the hero (the sample grid, or the field grid) gets, the share of the
window's height the tab's picture takes ("picture_share": the grid, the field lesson, the
interpolation rows, the drawing and its completions, the surprise map, the Train tab's curves and
grid), and what is clipped ("clipped": texts cut at an edge, and what a scroll area cuts: a text at
its side, a picture at its top or bottom). A model conditioned on a picture is given one (a sample
portrait) first. Prints one JSON object per line; a model that does not load is one line on stderr
and exit status 1.

    python scripts/check_layout.py [--size 1280x720] [CHECKPOINT or bundled name ...]   (default: every bundled model)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def virtual_screen(width: int, height: int) -> None:
    config = Path(tempfile.mkdtemp(prefix="pixelcnn-layout-")) / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "projector", "x": 0, "y": 0, "width": width,
                                               "height": height, "logicalDpi": 96, "logicalBaseDpi": 96,
                                               "dpr": 1}]}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    os.environ.setdefault("PIXELCNN_STUDIO_SETTINGS", "test")


def settle(app, seconds: float = 0.25) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def clipped_texts(window) -> list[str]:
    """Texts that do not fit the widget showing them (cut off at an edge, or wrapped past its
    bottom). Labels that elide on purpose (with the whole text in a tooltip) are not counted."""
    from PySide6.QtWidgets import QAbstractButton, QLabel
    from pixelcnn_studio.gui.common.elided import ElidedLabel
    cut = []
    for widget in window.findChildren(QLabel) + window.findChildren(QAbstractButton):
        if not widget.isVisible() or isinstance(widget, ElidedLabel) or not widget.text().strip():
            continue
        if widget.width() <= 0 or widget.height() <= 0:
            continue
        if isinstance(widget, QLabel) and widget.wordWrap():
            fits = widget.heightForWidth(widget.width()) <= widget.height() + 1
        else:
            fits = widget.minimumSizeHint().width() <= widget.width() + 1 and \
                   widget.minimumSizeHint().height() <= widget.height() + 1
        if not fits:
            cut.append(f"{type(widget).__name__} {widget.text()[:40]!r} {widget.width()}x{widget.height()}")
    return cut


def cut_by_scroll_areas(window) -> list[str]:
    """What a scroll area cuts: a text or button that runs past its side (a panel wider than the area,
    which scrolls only up and down), and a picture (a drop zone, a picture label) that it shows only in
    part, cut at its top or bottom. A picture scrolled wholly out of view is not counted."""
    from PySide6.QtCore import QPoint, QRect, Qt
    from PySide6.QtWidgets import QAbstractButton, QLabel, QScrollArea
    from pixelcnn_studio.gui.portrait.parts import DropZone
    cut = []
    for area in window.findChildren(QScrollArea):
        content = area.widget()
        if content is None or not area.isVisible() or not content.isVisible():
            continue
        view = area.viewport()
        shown = view.rect()
        across = area.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        for widget in content.findChildren(QLabel) + content.findChildren(QAbstractButton) + \
                content.findChildren(DropZone):
            if not widget.isVisible() or widget.width() <= 0 or widget.height() <= 0:
                continue
            rect = QRect(widget.mapTo(view, QPoint(0, 0)), widget.size())
            name = f"{type(widget).__name__} {(getattr(widget, 'text', lambda: '')() or '')[:40]!r}"
            if across and (rect.left() < shown.left() - 1 or rect.right() > shown.right() + 1) and \
                    (isinstance(widget, DropZone) or widget.text().strip()):
                cut.append(f"{name} cut at the side of its scroll area ({rect.right() - shown.right()} px)")
            picture = isinstance(widget, DropZone) or (isinstance(widget, QLabel) and widget.pixmap() is not None
                                                        and not widget.pixmap().isNull())
            if picture and rect.intersects(shown) and not shown.contains(rect):
                side = "bottom" if rect.bottom() > shown.bottom() else "top"
                cut.append(f"{name} picture {rect.width()}x{rect.height()} cut at its {side} by its scroll area")
    return cut


def lasting_clipped_texts(app, window) -> list[str]:
    """Clipped texts (and pictures a scroll area cuts) that are still clipped a moment later: a text
    set by a background job just before the measurement is laid out on the next turn of the event
    loop, and is not counted."""
    clipped = clipped_texts(window) + cut_by_scroll_areas(window)
    if clipped:
        settle(app, 0.5)
        clipped = clipped_texts(window) + cut_by_scroll_areas(window)
    return clipped


def show_a_picture(app, window) -> None:
    """A model conditioned on a picture gets one in its portrait panel (a sample portrait), so that the
    panel is measured as a user sees it: the picture box, what the model sees and the nearest images."""
    from pixelcnn_studio.paths import package_folder
    panel = window.portraits.panel
    portraits = sorted(package_folder("resources").glob("portraits/*.jpg"))
    if not panel.active or not portraits:
        return
    panel.load_portrait(str(portraits[0]))
    deadline = time.perf_counter() + 60
    while panel.busy and time.perf_counter() < deadline:
        settle(app, 0.05)
    settle(app, 0.3)


def share(widget, window) -> tuple[float, float]:
    return round(widget.width() / window.width(), 3), round(widget.height() / window.height(), 3)


def tab_pictures(window, tab: int) -> list:
    """The widgets that make a tab's picture, the thing an audience looks at."""
    tools = window.picture_tools
    pictures = {0: [window.canvas],
                1: [window.explorer.lesson] if window.explorer is not None else [],
                2: [window.portraits.interpolation.view],
                3: [tools.draw.pad, tools.draw.results],
                4: [tools.surprise.map]}
    train = getattr(window, "train_tools", None)
    if train is not None:
        pictures[window.tabs.indexOf(train.tab)] = [train.tab.plot, train.tab.grid]
    return [w for w in pictures.get(tab, []) if w.isVisible()]


def picture_share(window, tab: int) -> float | None:
    """The height of the tab's picture (the bounding box of its widgets, as far as it is on show)
    as a share of the window's height."""
    from PySide6.QtCore import QPoint, QRect

    def on_window(widget) -> QRect:
        return QRect(widget.mapTo(window, QPoint(0, 0)), widget.rect().size())
    box = QRect()
    for widget in tab_pictures(window, tab):
        # A widget inside a scroll area counts only for what the viewport shows of it.
        rect = on_window(widget).intersected(window.rect())
        parent = widget.parentWidget()
        while parent is not None and parent is not window:
            rect = rect.intersected(on_window(parent))
            parent = parent.parentWidget()
        box = box.united(rect) if not rect.isEmpty() else box
    return round(box.height() / window.height(), 3) if not box.isEmpty() else None


class NotLoaded(Exception):
    pass


def open_model(path, app):
    """A window with `path` loaded, or NotLoaded with the reason (a bad file, or too slow a machine)."""
    from pixelcnn_studio.gui.app import create_window
    window = create_window(path)
    failures = []
    window.load_failed.connect(lambda _path, message: failures.append(message))
    deadline = time.perf_counter() + 120        # a machine busy with training loads slowly
    while window.loaded is None and not failures and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.01)
    if window.loaded is None:
        window.close()
        raise NotLoaded(failures[0] if failures else "not loaded within 120 s")
    return window


def probe(path, app) -> list[dict]:
    window = open_model(path, app)
    show_a_picture(app, window)
    # A few sampled steps, so that the panels show the texts of a run (values, bits, the callout).
    for _ in range(3):
        window.step()
        settle(app, 0.3)
    rows = []
    for presenting in (False, True, "large text"):
        # "large text": Ctrl+L in a window, the type of presentation mode without full screen.
        window.set_large_text(presenting == "large text")
        window.set_presentation(presenting is True)
        settle(app, 0.4)
        for tab in range(window.tabs.count()):
            window.tabs.setCurrentIndex(tab)
            settle(app)
            deadline = time.perf_counter() + 10      # the fields tab: its sentences come with its fields
            while tab == 1 and window.explorer is not None and not window.explorer.is_idle() \
                    and time.perf_counter() < deadline:
                settle(app, 0.05)
            hint = window.minimumSizeHint().expandedTo(window.minimumSize())
            hero = window.canvas if tab == 0 else (window.explorer.lesson if tab == 1 else None)
            rows.append({"model": Path(path).stem, "presenting": presenting, "tab": window.tabs.tabText(tab),
                         "min_width": hint.width(), "min_height": hint.height(),
                         "window": [window.width(), window.height()],
                         "hero_share": share(hero, window) if hero is not None else None,
                         "picture_share": picture_share(window, tab),
                         "clipped": lasting_clipped_texts(app, window)})
        # The stage view: one sample, whose height is what counts.
        window.show_tab(0)
        window.set_view("stage")
        settle(app)
        scale, height = window.canvas._geometry()[2], window.loaded.config.height
        rows.append({"model": Path(path).stem, "presenting": presenting, "tab": "Sampling, stage view",
                     "min_width": window.minimumSizeHint().width(), "min_height": window.minimumSizeHint().height(),
                     "window": [window.width(), window.height()], "hero_share": None,
                     "stage_height_share": round(scale * height / window.height(), 3),
                     "picture_share": picture_share(window, 0),
                     "clipped": lasting_clipped_texts(app, window)})
        window.set_view("grid")
        window.set_presentation(False)
        window.set_large_text(False)
        settle(app, 0.3)
    window.close()
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="*")
    parser.add_argument("--size", default="1280x720")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    virtual_screen(width, height)
    from pixelcnn_studio.gui.app import ensure_app
    from pixelcnn_studio.errors import UserError
    from pixelcnn_studio.paths import bundled_models, resolve_checkpoint
    app = ensure_app()
    status = 0
    for given in args.checkpoints or bundled_models():
        try:
            # A bundled model's name works as on the command line.
            path = resolve_checkpoint(str(given))
            rows = probe(path, app)
        except (UserError, NotLoaded) as exc:
            print(f"check_layout: {given}: {exc}", file=sys.stderr, flush=True)
            status = 1
            continue
        for row in rows:
            print(json.dumps(row), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
