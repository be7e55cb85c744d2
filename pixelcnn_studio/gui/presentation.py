"""Theme, presentation mode (F11), large text, and the window's place on the screen.

A projector is often 1280×720: the window opens, and comes back, clamped to the screen it is on;
presentation mode hides what only the speaker needs and keeps the images the largest thing shown.
"""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect
from PySide6.QtWidgets import QApplication

from . import settings
from .theme import THEMES, palette, stylesheet

FIRST_SIZE = (1400, 860)
# On a large screen the first window takes most of it: the grid should not get a third of a 1920 px screen.
FIRST_SHARE = 0.85


def first_size(available: QRect | None) -> tuple[int, int]:
    """The window's size on a first launch (no saved geometry), for the start-up window and the
    main window alike, so that one takes the other's place without a jump."""
    if available is None:
        return FIRST_SIZE
    return (max(FIRST_SIZE[0], int(available.width() * FIRST_SHARE)),
            max(FIRST_SIZE[1], int(available.height() * FIRST_SHARE)))


def clamp_to_screen(rect: QRect, available: QRect) -> QRect:
    """`rect` moved and shrunk so that all of it lies on `available`."""
    width, height = min(rect.width(), available.width()), min(rect.height(), available.height())
    left = min(max(rect.left(), available.left()), available.right() - width + 1)
    top = min(max(rect.top(), available.top()), available.bottom() - height + 1)
    return QRect(left, top, width, height)


class Presentation:
    """Mixed into MainWindow."""

    @property
    def presenting(self) -> bool:
        return self.state.presentation

    def apply_theme(self, name: str) -> None:
        self.state.update(theme=name if name in THEMES else "dark")
        pal = palette(self.state.theme)
        QApplication.instance().setStyleSheet(stylesheet(self.state.theme, self.presenting or self.state.large_text))
        # Every picture and chart of the window, the stage's and the other tabs' included.
        for canvas in (self.canvas, self.branch_canvas, self.picture_tools.draw.results):
            canvas.set_palette(pal)
        for chart in (self.distribution, self.stage_distribution):
            chart.set_palette(pal)
        self.stats.set_palette(pal)
        self.controls.set_icons(pal)
        self.show_state(self._shown_state or "idle")
        if self.explorer is not None:
            self.explorer.set_palette(pal)
        settings.put("view/theme", self.state.theme)
        if "theme_dark" in getattr(self, "actions_by_name", {}):
            self.actions_by_name[f"theme_{self.state.theme}"].setChecked(True)

    def toggle_theme(self) -> None:
        self.apply_theme("light" if self.state.theme == "dark" else "dark")

    def set_large_text(self, on: bool) -> None:
        """Large type on every tab (presentation mode has it too), without going full screen."""
        self.state.update(large_text=on)
        self._apply_type()

    def _apply_type(self) -> None:
        # The style sheet first: the widgets below size themselves from the type it sets.
        large = self.presenting or self.state.large_text
        self.apply_theme(self.state.theme)
        self.distribution.set_large(large)
        self.stats.set_large(large)
        # Large type in a narrow panel: the run's figures in short form, the details folded away.
        self.stats.set_compact(large)
        if self.session.frame is not None:
            self.stats.show_frame(self.session.frame, self._position_text(self.session.frame))
        self.portraits.arrange_left_panel()
        if self.explorer is not None:
            self.explorer.set_large_text(large)
        self.arrange_side_panels()
        if "large_text" in self.actions_by_name:
            self.actions_by_name["large_text"].setChecked(self.state.large_text)

    def set_presentation(self, on: bool) -> None:
        """Full screen, large type, only what an audience needs: the images, the distribution, the buttons."""
        if on == self.presenting:
            self.actions_by_name["presentation"].setChecked(on)
            return
        if on:
            self._normal_geometry = self.saveGeometry()
        self.state.update(presentation=on)
        for w in (self.controls.settings_row, self.timeline, self.statusBar()):
            w.setVisible(not on)
        self.portraits.arrange_left_panel()
        # Collapsed rather than hidden: hiding the menu bar while the style sheet changes left some
        # window managers (openbox) stuck in full screen on the way out.
        self.menuBar().setMaximumHeight(0 if on else 16777215)
        self.badge.setVisible(on)
        if self.explorer is not None:
            self.explorer.set_panel_shown(not on)
        self.arrange_stage()
        self.arrange_side_panels()
        self.actions_by_name["presentation"].setChecked(on)
        self._apply_type()
        if on:
            self.showFullScreen()
        else:
            # Leave full screen only once the normal type has shrunk the layout again: a minimum
            # size still wider than the screen keeps some window managers in full screen.
            self._restore_timer.start(50)

    def _leave_full_screen(self) -> None:
        self.showNormal()
        if not self._normal_geometry.isEmpty():
            self.restoreGeometry(self._normal_geometry)
        self.clamp_to_screen()

    def clamp_to_screen(self) -> None:
        """Keep the whole window on the screen it is on (a geometry saved on a larger screen shrinks)."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None or self.isFullScreen():
            return
        frame = self.frameGeometry()
        margin_w, margin_h = frame.width() - self.width(), frame.height() - self.height()
        available = screen.availableGeometry().adjusted(0, 0, -margin_w, -margin_h)
        self.setGeometry(clamp_to_screen(self.geometry(), available))

    def restore_window(self) -> None:
        geometry = settings.get("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            screen = self.screen() or QApplication.primaryScreen()
            self.resize(*first_size(screen.availableGeometry() if screen is not None else None))
        self.clamp_to_screen()

    def save_window(self) -> None:
        if not self.presenting:
            settings.put("window/geometry", self.saveGeometry())
