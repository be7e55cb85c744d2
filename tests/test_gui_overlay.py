"""The receptive-field overlay on the sampling canvas follows the sub-pixel being sampled."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from pixelcnn_studio import receptive_field  # noqa: E402

from test_gui import ckpt, write_model  # noqa: E402,F401 - shared fixture and helper


def overlay_mask(window):
    image = window.canvas._overlay
    if image is None:
        return None
    return window.canvas._overlay_data[:, :, 3] > 0


def test_overlay_shows_the_field_of_the_current_subpixel(open_window, qtbot, tmp_path):
    window = open_window(write_model(tmp_path / "colour.pt", channels=3, size=(5, 6)))
    action = window.actions_by_name["field_overlay"]
    assert not action.isChecked() and overlay_mask(window) is None
    window.controls.batch.setValue(2)
    window.controls.set_speed_value(10)           # slow enough that the run cannot finish before the pause
    window.controls.start.click()
    qtbot.waitUntil(lambda: window.session.frame is not None and window.session.frame.step_index >= 0,
                    timeout=10000)
    window.start_or_pause()
    qtbot.waitUntil(lambda: window.session.state == "paused", timeout=10000)
    action.setChecked(True)
    frame = window.session.frame
    row, col, channel = frame.step_position
    expected = receptive_field(window.loaded.config, (row, col), channel=channel).any(dim=0).numpy()
    qtbot.waitUntil(lambda: overlay_mask(window) is not None, timeout=10000)
    np.testing.assert_array_equal(overlay_mask(window), expected)
    # One more sub-pixel: the overlay moves with it.
    window.step()
    qtbot.waitUntil(lambda: window.session.frame.step_position != (row, col, channel), timeout=10000)
    row2, col2, ch2 = window.session.frame.step_position
    expected2 = receptive_field(window.loaded.config, (row2, col2), channel=ch2).any(dim=0).numpy()
    qtbot.waitUntil(lambda: np.array_equal(overlay_mask(window), expected2), timeout=10000)
    # Switched off, the tint goes.
    action.setChecked(False)
    assert overlay_mask(window) is None


def test_overlay_is_cleared_when_another_model_loads(open_window, qtbot, ckpt, tmp_path):
    window = open_window(ckpt)
    window.actions_by_name["field_overlay"].setChecked(True)
    window.controls.batch.setValue(1)
    window.controls.start.click()
    qtbot.waitUntil(lambda: window.session.state == "done", timeout=10000)
    qtbot.waitUntil(lambda: overlay_mask(window) is not None, timeout=10000)
    window.open_checkpoint(str(write_model(tmp_path / "other.pt", size=(4, 4))))
    qtbot.waitUntil(lambda: window.loaded.config.height == 4, timeout=10000)
    assert overlay_mask(window) is None
