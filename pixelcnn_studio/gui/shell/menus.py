"""Menus and keyboard shortcuts of the main window (also active in full-screen presentation mode)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from ..common import settings
from ..common.export_actions import export_current
from .help import about_dialog, shortcuts_dialog
from ..common.plain import tooltip_text


class RecentMenu(QMenu):
    def __init__(self, window):
        super().__init__("Open &recent", window)
        self.window = window
        self.refresh()

    def refresh(self) -> None:
        self.clear()
        files = settings.recent_files()
        for path in files:
            action = self.addAction(Path(path).name)
            action.setToolTip(tooltip_text(path))
            action.triggered.connect(lambda _=False, p=path: self.window.open_checkpoint(p))
        if not files:
            self.addAction("No recent files").setEnabled(False)
        else:
            self.addSeparator()
            self.addAction("Clear list", self._clear)

    def _clear(self) -> None:
        settings.put("models/recent", [])
        self.window.refresh_model_list()


def _nudge_timeline(window, delta) -> None:
    """Move the timeline one step back (delta -1) or to its live end (None)."""
    slider = window.timeline.slider
    slider.setValue(slider.maximum() if delta is None else max(slider.minimum(), slider.value() + delta))


def _arrow(window, delta: int) -> None:
    """→ and ←: on the Receptive fields tab one layer up or down; elsewhere a sampling step, or a look back."""
    if window.tabs.currentIndex() == 1 and window.explorer is not None:
        window.explorer.step_layer(delta)
    elif delta > 0:
        window.step()
    else:
        _nudge_timeline(window, -1)


def window_action(window, text, slot, shortcut=None, checkable=False) -> QAction:
    """An action of the whole window, its key working wherever the focus is in it."""
    action = QAction(text, window)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
        # Window-wide, so the keys also work with the menu bar hidden in presentation mode.
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setCheckable(checkable)
    action.triggered.connect(slot)
    window.addAction(action)
    return action


def insert_after(window, action: QAction, anchor_name: str) -> None:
    """Put `action` just after the action called `anchor_name` in every menu that holds it (parts of the
    window built after the menus, such as the Interpolation tab, place their actions this way)."""
    anchor = window.actions_by_name.get(anchor_name)
    for menu in (anchor.associatedObjects() if anchor is not None else []):
        if hasattr(menu, "insertAction") and menu is not window:
            menu_actions = menu.actions()
            index = menu_actions.index(anchor) + 1 if anchor in menu_actions else len(menu_actions)
            menu.insertAction(menu_actions[index] if index < len(menu_actions) else None, action)


def build_menus(window) -> dict:
    actions = {}

    def act(menu, name, text, slot, shortcut=None, checkable=False):
        action = window_action(window, text, slot, shortcut, checkable)
        if menu is not None:
            menu.addAction(action)
        actions[name] = action
        return action

    bar = window.menuBar()
    file = bar.addMenu("&File")
    act(file, "open", "&Open checkpoint…", window.browse_checkpoint, QKeySequence.StandardKey.Open)
    window.recent_menu = RecentMenu(window)
    file.addMenu(window.recent_menu)
    file.addSeparator()
    act(file, "export_png", "Export grid as &PNG…", lambda: export_current(window, "png"), "Ctrl+E")
    act(file, "export_gif", "Export sampling as &GIF…", lambda: export_current(window, "gif"), "Ctrl+Shift+E")
    act(file, "export_npy", "Export raw samples as &NPY…", lambda: export_current(window, "npy"))
    file.addSeparator()
    act(file, "quit", "&Quit", window.close, "Ctrl+Q")      # the sheet says Ctrl+Q on every desktop

    run = bar.addMenu("&Sampling")
    act(run, "start", "&Start / pause", window.start_or_pause, "Space")
    act(run, "step", "S&tep one sub-pixel (next layer on Receptive fields)", lambda: _arrow(window, 1), "Right")
    act(run, "step_back", "Look one step &back (previous layer on Receptive fields)", lambda: _arrow(window, -1),
        "Left")
    act(run, "live", "Back to the &live view", lambda: _nudge_timeline(window, None), "End")
    act(run, "stop", "St&op", window.stop)
    act(run, "restart", "&Restart (same seed)", window.restart, "R")
    act(run, "new_seed", "&New seed", window.new_seed, "N")

    view = bar.addMenu("&View")
    # Tabs on F2, F3, F4: Ctrl+digits store scenes.
    act(view, "tab_sampling", "&Sampling", lambda: window.show_tab(0), "F2")
    act(view, "tab_explorer", "&Receptive fields", lambda: window.show_tab(1), "F3")
    view.addSeparator()
    act(view, "stage_view", "S&tage view of one sample", window.toggle_stage_view, "S", checkable=True)
    act(view, "presentation", "&Presentation mode", lambda on: window.set_presentation(on), "F11", checkable=True)
    act(None, "leave_presentation", "Leave presentation mode",
        window.escape, "Esc")
    act(view, "large_text", "&Large text", lambda on: window.set_large_text(on), "Ctrl+L", checkable=True)
    view.addSeparator()
    group = QActionGroup(window)
    for name in ("dark", "light"):
        a = act(view, f"theme_{name}", f"{name.capitalize()} theme", lambda _=False, n=name: window.apply_theme(n),
                checkable=True)
        group.addAction(a)
    act(view, "toggle_theme", "&Switch theme", window.toggle_theme, "Ctrl+T")

    scenes = bar.addMenu("S&cenes")
    for slot in range(1, 10):
        act(scenes, f"scene_store_{slot}", f"Store scene {slot}", lambda _=False, k=slot: window.scenes.store(k),
            f"Ctrl+{slot}")
    scenes.addSeparator()
    for slot in range(1, 10):
        act(scenes, f"scene_recall_{slot}", f"Recall scene {slot}", lambda _=False, k=slot: window.scenes.recall(k),
            f"Alt+{slot}")

    help_menu = bar.addMenu("&Help")
    act(help_menu, "shortcuts", "&Keyboard shortcuts", lambda: shortcuts_dialog(window).show(),
        QKeySequence.StandardKey.HelpContents)
    from ... import __version__
    act(help_menu, "about", "&About PixelCNN Studio", lambda: about_dialog(window, __version__).show())

    for digit in range(10):
        act(None, f"class_{digit}", f"Class key {digit}", lambda _=False, d=digit: window.pick_class_key(d), str(digit))
    return actions
