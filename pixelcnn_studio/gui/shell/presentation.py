"""Theme, presentation mode (F11), large text, and the window's place on the screen.

A projector is often 1280×720: the window opens, and comes back, clamped to the screen it is on;
presentation mode hides what only the speaker needs and keeps the images the largest thing shown.
"""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QMargins, QPoint, QRect, QSize, Qt, QTimer
from PySide6.QtWidgets import QApplication

from ..common import settings
from ..common.theme import THEMES, palette, stylesheet

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


# Until the window manager has framed a window, its frame is a guess: borders of a few pixels and a
# title bar of about two lines of text. Once it is shown, the real frame replaces the guess.
FRAME_BORDER_GUESS = 4
TITLE_BAR_GUESS_LINES = 2
# After showing a window, when to look again at where the window manager put its frame.
SETTLE_CHECKS_MS = (60, 400)


def frame_margins(window) -> QMargins:
    """The frame around the window's client area: the window manager's, or a guess before it has one."""
    frame, inner = window.frameGeometry(), window.geometry()
    if frame != inner:
        return QMargins(inner.left() - frame.left(), inner.top() - frame.top(),
                        frame.right() - inner.right(), frame.bottom() - inner.bottom())
    if not window.isWindow() or window.isFullScreen():
        return QMargins()
    title = TITLE_BAR_GUESS_LINES * window.fontMetrics().height()
    return QMargins(FRAME_BORDER_GUESS, title, FRAME_BORDER_GUESS, FRAME_BORDER_GUESS)


def place_frame(window, *, size: QSize | None = None, centre: bool = False) -> None:
    """Size and place a top-level window by its frame (title bar and borders included), so that all of
    it, the title bar with its close button too, lies on the screen's available area; centred when
    asked (a first window), else moved no more than it must be."""
    screen = window.screen() or QApplication.primaryScreen()
    if screen is None or window.isFullScreen() or window.isMaximized():
        return
    available = screen.availableGeometry()
    margins = frame_margins(window)
    extra_w, extra_h = margins.left() + margins.right(), margins.top() + margins.bottom()
    wanted = size if size is not None else window.size()
    width = max(1, min(wanted.width(), available.width() - extra_w))
    height = max(1, min(wanted.height(), available.height() - extra_h))
    if window.size() != QSize(width, height):
        window.resize(width, height)
    # As large as it became (never below its minimum size, which a tiny screen may not hold).
    frame_w, frame_h = window.width() + extra_w, window.height() + extra_h
    if centre:
        left = available.left() + (available.width() - frame_w) // 2
        top = available.top() + (available.height() - frame_h) // 2
    else:
        corner = window.pos()            # a top-level window's position is its frame's
        left = min(corner.x(), available.right() - frame_w + 1)
        top = min(corner.y(), available.bottom() - frame_h + 1)
    # Too large for the screen, the top-left corner (title bar, menus) stays on it.
    left, top = max(left, available.left()), max(top, available.top())
    if window.pos() != QPoint(left, top):
        window.move(left, top)


def frame_on_screen(window) -> bool:
    screen = window.screen() or QApplication.primaryScreen()
    return screen is None or screen.availableGeometry().contains(window.frameGeometry())


def keep_frame_on_screen(window) -> None:
    """Once the window manager has framed the window (a moment after it is shown), move and shrink it
    only if some of its frame is off the screen."""
    def check(last: bool):
        if window.isFullScreen():
            return
        framed = window.frameGeometry() != window.geometry()
        if framed and getattr(window, "_centre_when_framed", False):
            # A first window was sized and centred on a guessed frame: again on the real one.
            window._centre_when_framed = False
            place_frame(window, size=getattr(window, "_first_size", None), centre=True)
        elif not frame_on_screen(window):
            place_frame(window)
        if last:
            # Only on the first showing: later (after F11, a Large text change) the window stays put.
            window._centre_when_framed = False
    for delay in SETTLE_CHECKS_MS:
        QTimer.singleShot(delay, window, lambda last=delay == SETTLE_CHECKS_MS[-1]: check(last))


def clamp_to_screen(rect: QRect, available: QRect) -> QRect:
    """`rect` moved and shrunk so that all of it lies on `available`."""
    width, height = min(rect.width(), available.width()), min(rect.height(), available.height())
    left = min(max(rect.left(), available.left()), available.right() - width + 1)
    top = min(max(rect.top(), available.top()), available.bottom() - height + 1)
    return QRect(left, top, width, height)


def place_saved_or_first(window) -> None:
    """The window's saved place, kept on this screen; on a first launch, the first size, centred."""
    geometry = settings.get("window/geometry")
    if isinstance(geometry, QByteArray) and not geometry.isEmpty() and window.restoreGeometry(geometry):
        place_frame(window)
        return
    screen = window.screen() or QApplication.primaryScreen()
    available = screen.availableGeometry() if screen is not None else None
    window._first_size = QSize(*first_size(available))
    place_frame(window, size=window._first_size, centre=True)
    window._centre_when_framed = True


class Presentation:
    """Mixed into MainWindow."""

    @property
    def presenting(self) -> bool:
        return self.state.presentation

    @property
    def folded(self) -> bool:
        """Presentation mode or Large text: one rule for both, on every tab. The tab's picture gets
        the room; its controls fold into one strip; the badge names model, class, seed and step."""
        return self.presenting or self.state.large_text

    def arrange_folding(self) -> None:
        folded = self.folded
        for widget in (self.controls.settings_row, self.timeline):
            widget.setVisible(not folded)
        self.statusBar().setVisible(not folded)
        self.controls.set_compact(folded)
        self.badge.setVisible(folded)
        self.update_badge()
        self.portraits.arrange_left_panel()
        if self.explorer is not None:
            self.explorer.set_panel_shown(not folded)
        for tab in (self.portraits.interpolation, self.picture_tools.draw, self.picture_tools.surprise):
            tab.set_folded(folded)
        self.arrange_stage()
        self.arrange_side_panels()

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
        """Large type on every tab (presentation mode has it too), without going full screen. Off
        again, the window returns to the place and size it had (large type may have widened it)."""
        if on == self.state.large_text:
            return
        if on and not self.isFullScreen():
            self._place_before_large = (self.pos(), self.size())
        self.state.update(large_text=on)
        self._apply_type()
        self.arrange_folding()
        before = getattr(self, "_place_before_large", None)
        if not on and before is not None and not self.isFullScreen():
            self._place_before_large = None

            def back():
                self.resize(before[1])
                self.move(before[0])
                place_frame(self)
            # Once the normal type has shrunk the layout's minimum size again (a layout settles over
            # a few turns of the event loop).
            for delay in (0, *SETTLE_CHECKS_MS):
                QTimer.singleShot(delay, self, back)
        elif on and not self.isFullScreen():
            QTimer.singleShot(0, self, lambda: place_frame(self))

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
            # Where the frame was and how large the window: F11 off puts it back just there.
            self._normal_place = (self.pos(), self.size())
        self.state.update(presentation=on)
        if not on:
            # The normal type first: side panels given their normal widths in large type would ask
            # for a window wider than the screen, and a window Qt resizes for that stops being full
            # screen to Qt but not to the window manager (F11 then never comes back).
            self._apply_type()
        # Collapsed rather than hidden: hiding the menu bar while the style sheet changes left some
        # window managers (openbox) stuck in full screen on the way out.
        self.menuBar().setMaximumHeight(0 if on else 16777215)
        self.arrange_folding()
        self.actions_by_name["presentation"].setChecked(on)
        self._apply_type()
        if on:
            self.showFullScreen()
        else:
            # Leave full screen only once the normal type has shrunk the layout again: a minimum
            # size still wider than the screen keeps some window managers in full screen.
            self._restore_timer.start(50)

    def _leave_full_screen(self) -> None:
        handle = self.windowHandle()
        if handle is not None and handle.windowStates() & Qt.WindowState.WindowFullScreen and not self.isFullScreen():
            # Qt forgot the full screen the window manager still keeps: say it again, to undo it.
            self.setWindowState(self.windowState() | Qt.WindowState.WindowFullScreen)
        self.showNormal()
        place = getattr(self, "_normal_place", None)
        if place is not None:
            corner, size = place
            self.resize(size)
            self.move(corner)
        # Not clamped now: until the window manager has framed it again its frame is a guess, and a
        # guess would shrink it. A moment later: where it was is where it goes, all of it on screen.
        self._settle_to(place)

    def _settle_to(self, place) -> None:
        def check():
            if place is not None and not self.isFullScreen() and (self.pos(), self.size()) != place:
                self.resize(place[1])
                self.move(place[0])
            if not self.isFullScreen() and not frame_on_screen(self):
                place_frame(self)
        for delay in SETTLE_CHECKS_MS:
            QTimer.singleShot(delay, self, check)

    def clamp_to_screen(self) -> None:
        """Keep the whole window, its frame included, on the screen it is on (a geometry saved on a
        larger screen shrinks)."""
        place_frame(self)

    def restore_window(self) -> None:
        place_saved_or_first(self)

    def save_window(self) -> None:
        if not self.presenting:
            settings.put("window/geometry", self.saveGeometry())
