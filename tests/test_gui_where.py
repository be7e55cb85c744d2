"""The box of a box model in the app: dragged on the canvas, nudged with keys, carried by the run's plan,
kept in scenes, outlined in the GIF export; other models keep their clicks."""
from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, Qt  # noqa: E402

from pixelcnn_studio import ModelConfig, build_model, save_checkpoint  # noqa: E402
from pixelcnn_studio.core.box import BOX_EMBEDDER, DEFAULT_BOX  # noqa: E402
from test_gui import write_model  # noqa: E402

SIDE = 12


def box_model(path):
    torch.manual_seed(0)
    cfg = ModelConfig(image_size=SIDE, hidden=4, layers=1, kernel_size=3, num_classes=2, embedding_dim=4,
                      location_conditioning=True)
    save_checkpoint(path, build_model(cfg), class_names=["Sneaker", "Bag"],
                    embedder={"name": BOX_EMBEDDER, "dim": 4}, dataset={"name": "fashion-where"})
    return path


def canvas_point(canvas, x, y, sample=0):
    """The widget position of (x, y) fractions of a sample's tile."""
    rect = canvas._tile_rect(sample, canvas._geometry())
    return QPoint(round(rect.left() + x * rect.width()), round(rect.top() + y * rect.height()))


def drag(qtbot, canvas, start, end):
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=canvas_point(canvas, *start))
    qtbot.mouseMove(canvas, canvas_point(canvas, (start[0] + end[0]) / 2, (start[1] + end[1]) / 2))
    qtbot.mouseMove(canvas, canvas_point(canvas, *end))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=canvas_point(canvas, *end))


def test_a_dragged_box_reaches_the_plan_and_the_run(open_window, qtbot, tmp_path):
    window = open_window(box_model(tmp_path / "where.pt"))
    window.resize(1280, 720)
    window.state.update(batch=4)
    assert window.state.box_model and window.state.plan().box == DEFAULT_BOX
    window.step()
    qtbot.waitUntil(lambda: window.session.frame is not None)
    drag(qtbot, window.canvas, (0.1, 0.5), (0.6, 0.95))
    box = window.state.box
    # The drag's ends, to within one screen pixel of the tile.
    assert np.allclose(box, (0.1, 0.5, 0.6, 0.95), atol=0.03)
    assert window.state.plan().box == box
    # A new box starts the run again, in that box.
    qtbot.waitUntil(lambda: window.session.plan is not None and window.session.plan.box == box)
    assert "box " + ",".join(f"{v:.2f}" for v in box) in window.headline.text()


def test_dragging_inside_the_box_moves_it_and_a_click_selects_a_sample(open_window, qtbot, tmp_path):
    window = open_window(box_model(tmp_path / "where.pt"))
    window.state.update(batch=4)
    window.prepare_canvas()
    x0, y0, x1, y1 = window.state.box
    drag(qtbot, window.canvas, (0.5, 0.5), (0.4, 0.6))
    moved = window.state.box
    assert np.allclose((moved[2] - moved[0], moved[3] - moved[1]), (x1 - x0, y1 - y0), atol=1e-5)
    assert moved[0] < x0 and moved[1] > y0
    qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=canvas_point(window.canvas, 0.05, 0.05, sample=3))
    assert window.canvas.selected == 3 and window.state.box == moved


def test_keys_nudge_and_resize_the_box_by_one_pixel(open_window, tmp_path):
    window = open_window(box_model(tmp_path / "where.pt"))
    window.state.update(box=(0.25, 0.25, 0.5, 0.5))
    names = {a.shortcut().toString(): a for a in window.box_tool.actions}
    names["Ctrl+Right"].trigger()
    names["Ctrl+Down"].trigger()
    assert np.allclose(window.state.box, (0.25 + 1 / SIDE, 0.25 + 1 / SIDE, 0.5 + 1 / SIDE, 0.5 + 1 / SIDE))
    names["Ctrl+Shift+Right"].trigger()
    names["Ctrl+Shift+Up"].trigger()
    x0, y0, x1, y1 = window.state.box
    assert np.isclose(x1 - x0, 4 / SIDE) and np.isclose(y1 - y0, 2 / SIDE)
    for _ in range(20):                   # never off the canvas, never thinner than two pixels
        names["Ctrl+Left"].trigger()
        names["Ctrl+Shift+Up"].trigger()
    assert window.state.box[0] == 0.0 and np.isclose(window.state.box[3] - window.state.box[1], 2 / SIDE)


def test_the_location_map_overlay_follows_the_box(open_window, tmp_path):
    window = open_window(box_model(tmp_path / "where.pt"))
    window.prepare_canvas()
    window.box_tool.map_action.trigger()
    first = window.box_tool._map_pixels.copy()
    window.state.update(box=(0.0, 0.0, 0.3, 0.3))
    assert window.box_tool.show_map and not np.array_equal(first, window.box_tool._map_pixels)
    window.box_tool.map_action.trigger()
    assert window.box_tool._map_image is None


def test_a_scene_keeps_the_box(open_window, qtbot, tmp_path):
    window = open_window(box_model(tmp_path / "where.pt"))
    window.state.update(box=(0.1, 0.2, 0.7, 0.9), batch=2)
    window.actions_by_name["scene_store_4"].trigger()
    window.state.update(box=(0.5, 0.5, 1.0, 1.0))
    window.actions_by_name["scene_recall_4"].trigger()
    assert window.state.box == (0.1, 0.2, 0.7, 0.9)
    qtbot.waitUntil(lambda: window.session.plan is not None and window.session.plan.box == (0.1, 0.2, 0.7, 0.9))


def test_the_gif_export_outlines_the_box(open_window, qtbot, tmp_path):
    from PIL import Image
    from pixelcnn_studio.gui.common.export_actions import BOX_RGB, export_current, gif_scale
    window = open_window(box_model(tmp_path / "where.pt"))
    window.state.update(box=(0.25, 0.5, 0.75, 1.0), batch=1)
    window.new_run()
    qtbot.waitUntil(lambda: window.session.frame is not None and window.session.frame.state == "done", timeout=10000)
    path = export_current(window, "gif", str(tmp_path / "run.gif"))
    with Image.open(path) as gif:
        gif.seek(gif.n_frames - 1)
        frame = np.asarray(gif.convert("RGB"))
    scale = gif_scale(SIDE, SIDE)
    top, left = 6 * scale, 3 * scale
    assert tuple(frame[top, left + 2]) == BOX_RGB and tuple(frame[top + 2, left]) == BOX_RGB
    assert tuple(frame[SIDE * scale - 1, 9 * scale - 1]) == BOX_RGB     # the box reaches the bottom edge
    assert tuple(frame[2, 2]) != BOX_RGB


def test_other_models_have_no_box(open_window, qtbot, tmp_path):
    window = open_window(write_model(tmp_path / "shapes.pt"))
    window.state.update(batch=4)
    window.prepare_canvas()
    assert not window.state.box_model and window.state.plan().box is None
    assert not any(a.isEnabled() for a in window.box_tool.actions)
    before = window.state.box
    drag(qtbot, window.canvas, (0.1, 0.1), (0.8, 0.8))
    assert window.state.box == before


def test_the_box_keys_belong_to_no_other_action(open_window, tmp_path):
    from PySide6.QtGui import QAction
    window = open_window(box_model(tmp_path / "where.pt"))
    mine = {a.shortcut().toString() for a in [*window.box_tool.actions, window.box_tool.map_action]}
    others = [seq.toString() for action in window.findChildren(QAction)
              if action not in window.box_tool.actions and action is not window.box_tool.map_action
              for seq in action.shortcuts()]
    assert len(mine) == 9 and not mine & set(others)
