"""The receptive field of the sub-pixel being sampled, drawn over the sampling canvas.

Fields come from the core's `receptive_field` (the same function the explorer and the tests
use). One takes a few tens of milliseconds, longer than a frame, so they are computed on a
worker thread; while sampling runs fast only the newest position is computed and older
requests are dropped. Fields are cached per position: a run revisits none, but a rewind or a
second run over the same model does.
"""
from __future__ import annotations

import threading

import numpy as np

from PySide6.QtCore import QObject, Signal, Slot

from ...core.receptive import receptive_field
from ..common.jobs import BackgroundJob

IDLE_EXIT_S = 5.0


class _FieldJob(BackgroundJob):
    """Computes the newest asked-for field; older requests are dropped unseen."""
    done = Signal(object, object)          # key, (H, W) bool array
    name = "receptive-field overlay"

    def __init__(self):
        super().__init__()
        self._cond = threading.Condition()
        self._wanted = None                # (config, key), the newest request
        self._alive = False                # under the lock: the thread will still look at _wanted

    def ask(self, config, key) -> None:
        with self._cond:
            self._wanted = (config, key)
            self._cond.notify_all()
            if self._alive or self.cancelled:
                return
            self._alive = True
        self.wait()                        # a thread that has just decided to end ends at once
        self.start()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def run(self) -> None:
        while True:
            with self._cond:
                if self.cancelled:
                    self._alive = False
                    return
                if self._wanted is None:
                    # Idle for a while: end, and start again on the next request.
                    if not self._cond.wait(IDLE_EXIT_S) and self._wanted is None:
                        self._alive = False
                        return
                    continue
                (config, key), self._wanted = self._wanted, None
            row, col, channel = key[1:]
            field = receptive_field(config, (row, col), channel=channel)
            # One mask per pixel position: a pixel is lit if any of its channels is seen.
            if not self.cancelled:
                self.done.emit(key, field.any(dim=0).numpy())


class FieldOverlay(QObject):
    """Ask with `request(row, col, channel)`; `ready(mask)` follows (at once when cached)."""

    ready = Signal(object)                 # (H, W) bool array, or None to clear

    def __init__(self, parent=None):
        super().__init__(parent)
        self._config, self._config_id, self._cache = None, 0, {}
        self._wanted = None
        self.enabled = False
        self._worker = _FieldJob()
        self._worker.done.connect(self._on_done)

    def set_config(self, config) -> None:
        self._config, self._config_id, self._cache = config, self._config_id + 1, {}
        self._wanted = None
        self.ready.emit(None)

    def request(self, row: int, col: int, channel: int) -> None:
        if self._config is None:
            return
        key = (self._config_id, row, col, channel)
        if key == self._wanted:
            return
        self._wanted = key
        if key in self._cache:
            self.ready.emit(self._cache[key])
            return
        self._worker.ask(self._config, key)

    @Slot(object, object)
    def _on_done(self, key, mask: np.ndarray) -> None:
        if key[0] != self._config_id:
            return
        self._cache[key] = mask
        if key == self._wanted:
            self.ready.emit(mask)

    def forget(self) -> None:
        """Drop the wanted position, so a later request for it is answered again."""
        self._wanted = None

    def shutdown(self) -> None:
        self._worker.cancel()


def attach_field_overlay(window) -> FieldOverlay:
    """Give the main window its View → Receptive field overlay (key F), off by default."""
    from PySide6.QtGui import QAction, QKeySequence

    overlay = FieldOverlay(window)
    overlay.pinned = None          # (row, col, channel) pointed at (hover, timeline), shown even when off
    overlay.ready.connect(lambda mask: window.canvas.set_field_overlay(
        mask if overlay.enabled or overlay.pinned is not None else None))

    def follow(frame) -> None:
        if overlay.enabled and overlay.pinned is None and frame.step_index >= 0:
            overlay.request(*frame.step_position)

    def pin(position) -> None:
        """Tint the field of `position` (row, col, channel) until unpinned (None)."""
        if position == overlay.pinned:
            return
        overlay.pinned = position
        overlay.forget()
        if position is not None:
            overlay.request(*position)
        elif overlay.enabled and window.session.frame is not None:
            follow(window.session.frame)
        else:
            window.canvas.set_field_overlay(None)
    overlay.pin = pin

    def toggle(on: bool) -> None:
        overlay.enabled = on
        frame = window.session.frame
        if on and frame is not None:
            follow(frame)
        elif not on:
            overlay.forget()
            window.canvas.set_field_overlay(None)

    window.model_loaded.connect(lambda _path: overlay.set_config(window.loaded.config))
    window.session.frame_changed.connect(follow)
    action = QAction("Receptive field &overlay", window, checkable=True)
    action.setShortcut(QKeySequence("F"))
    action.setToolTip("Tint the pixels that can influence the sub-pixel being sampled")
    action.toggled.connect(toggle)
    window.addAction(action)
    for menu_action in window.menuBar().actions():
        if menu_action.text().replace("&", "") == "View":
            menu_action.menu().addAction(action)
    window.actions_by_name["field_overlay"] = action
    return overlay
