"""The Studio on stage: a projector-sized window for every bundled model, presenter keys that never
fire inside a field, scenes, the stage view, and the fixes a talk ran into."""
from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from pixelcnn_studio import ModelConfig, build_model, save_checkpoint  # noqa: E402
from pixelcnn_studio.paths import package_folder  # noqa: E402
from pixelcnn_studio.gui.shell.state import TABS  # noqa: E402
from test_gui import run_to_end, wait_state, write_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted(package_folder("models").glob("*.pt"))
DIGITS = [str(d) for d in range(10)]


def digit_model(path, classes=DIGITS):
    torch.manual_seed(0)
    cfg = ModelConfig(image_size=4, channels=1, hidden=4, layers=1, kernel_size=3, num_classes=len(classes))
    save_checkpoint(path, build_model(cfg), class_names=classes, dataset={"name": "digits"})
    return path


def press(qtbot, widget, key, modifier=Qt.KeyboardModifier.NoModifier):
    """A real key press, through the shortcut machinery (the window must be the active one)."""
    window = widget.window()
    with warnings.catch_warnings():
        # Deprecated, but the one way to make a window active on the offscreen platform.
        warnings.simplefilter("ignore", DeprecationWarning)
        QApplication.setActiveWindow(window)
    widget.setFocus()
    qtbot.keyClick(widget, key, modifier)


# -- fits a projector -------------------------------------------------------------------------------

def test_every_tab_fits_1280x720_for_every_bundled_model_and_long_class_lists(tmp_path):
    torch.manual_seed(0)
    names = [f"class {i}: " + "a very long class name " * 8 for i in range(40)]
    cfg = ModelConfig(image_size=8, channels=1, hidden=4, layers=2, kernel_size=3, num_classes=40)
    long = tmp_path / ("long-" + "n" * 100 + ".pt")
    save_checkpoint(long, build_model(cfg), class_names=names, dataset={"name": "d" * 150})
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_layout.py"), str(long),
                          *map(str, BUNDLED)], capture_output=True, text=True, timeout=400,
                         env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    # every tab and the stage view, in normal and presentation mode, and with Large text in a window
    assert len(rows) == 3 * (len(TABS) + 1) * (1 + len(BUNDLED)), out.stderr[-2000:]
    for row in rows:
        where = f"{row['model'][:20]} {row['tab']} {'F11' if row['presenting'] is True else row['presenting']}"
        if row["presenting"] == "large text":
            assert row["min_width"] <= 1280 and row["min_height"] <= 680, where
            continue
        # Normal mode leaves room for a title bar; full screen has the whole screen.
        assert row["min_width"] <= 1280 and row["min_height"] <= (720 if row["presenting"] else 680), where
        if row["presenting"] and row["hero_share"] is not None:
            assert min(row["hero_share"]) >= 0.6, f"{where}: hero gets {row['hero_share']}"
        # The stage view's one sample: at least 60% of the window's height, in both modes.
        if "stage_height_share" in row:
            assert row["stage_height_share"] >= 0.6, f"{where}: the sample gets {row['stage_height_share']}"
        # No text cut off at an edge or wrapped past its label's bottom (elided ones keep a tooltip).
        assert row["clipped"] == [], f"{where}: {row['clipped']}"


def test_the_layout_check_takes_bundled_names_reports_each_tabs_picture_and_names_a_bad_model(tmp_path):
    """scripts/check_layout.py, which the README cites: a bundled model by name, every tab's picture
    share measured, and a name that is no model one line on stderr (exit 1), never a traceback."""
    folder = tmp_path / "models"
    folder.mkdir()
    digit_model(folder / "tiny.pt")
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_layout.py"), "no-such-model", "tiny"],
                         capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "PYTHONPATH": str(ROOT),
                              "PIXELCNN_STUDIO_MODELS": str(folder)})
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "no-such-model" in out.stderr and "tiny" in out.stderr.split("bundled:")[-1]
    assert len(rows) == 3 * (len(TABS) + 1) and {row["model"] for row in rows} == {"tiny"}
    # Every tab's picture is measured, in every mode (a share of the window's height).
    for row in rows:
        assert 0.05 < row["picture_share"] <= 1.0, row
    sampling = [row for row in rows if row["tab"] == "Sampling"]
    assert all(row["picture_share"] == row["hero_share"][1] for row in sampling)
    # One presentation rule for every tab, the Train tab's curves and grid included: in F11 on a 1280x720
    # screen the tab's picture takes at least 70% of the height (its controls folded into one strip),
    # and Large text in a window as well.
    folded = [row for row in rows if row["presenting"] in (True, "large text")]
    assert {row["tab"] for row in folded} >= {"Train", "Sampling", "Draw", "Surprise"}
    for row in folded:
        assert row["picture_share"] >= 0.7, row


PLACEMENT_PROBE = """
import json, sys, time
sys.path.insert(0, {scripts!r})
from check_layout import settle, virtual_screen
virtual_screen({width}, {height})
from pixelcnn_studio.gui.app import create_window, ensure_app
app = ensure_app()
window = create_window({model!r})
settle(app, 1.0)
def place():
    f = window.frameGeometry()
    return [f.x(), f.y(), f.width(), f.height(), window.width(), window.height()]
rows = {{"first": place(), "client": window.geometry().getRect()}}
window.set_large_text(True); settle(app, 0.6); window.set_large_text(False); settle(app, 0.8)
rows["after_large"] = place()
window.resize(1240, 600); window.move(20, 50); settle(app, 0.4)
rows["moved"] = place()
window.set_presentation(True); settle(app, 0.6); window.set_presentation(False); settle(app, 0.8)
rows["after_f11"] = place()
print(json.dumps(rows))
window.close()
"""


@pytest.mark.parametrize("width,height", [(1280, 720), (1920, 1080)])
def test_the_first_window_is_framed_centred_on_screen_and_comes_back_after_large_text_and_f11(tmp_path, width,
                                                                                             height):
    """Placed by its frame: the title bar and close button on screen, the frame centred, at a projector's
    720 lines and a desktop's 1080; Large text on and off, and F11 on and off, put it back as it was."""
    model = digit_model(tmp_path / "digits.pt")
    code = PLACEMENT_PROBE.format(scripts=str(ROOT / "scripts"), width=width, height=height, model=str(model))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "PYTHONPATH": str(ROOT), "PIXELCNN_STUDIO_SETTINGS": "test"})
    rows = json.loads(out.stdout.strip().splitlines()[-1]) if out.stdout.strip() else None
    assert rows, out.stderr[-2000:]
    x, y, w, h, client_w, client_h = rows["first"]
    assert 0 <= x and 0 <= y and x + w <= width and y + h <= height, rows      # all of the frame on screen
    assert rows["client"][1] > y                                                # a title bar above the client
    assert abs(x - (width - x - w)) <= 2 and abs(y - (height - y - h)) <= 2, rows   # centred
    if width >= 1920:
        assert w < width * 0.95                                                 # not the whole of a big screen
    assert rows["after_large"] == rows["first"], rows
    assert rows["after_f11"] == rows["moved"], rows


# -- keys ------------------------------------------------------------------------------------------

def test_digit_keys_pick_the_class_named_by_the_digit(open_window, qtbot, tmp_path):
    window = open_window(digit_model(tmp_path / "digits.pt", ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"]))
    press(qtbot, window.canvas, Qt.Key.Key_7)
    assert window.state.class_name == "7" and window.conditioning.combo.currentText().endswith("7")
    assert window.conditioning.combo.currentText().startswith("7")
    from pixelcnn_studio.gui.shell.help import shortcut_rows
    assert any("named by the digit" in text for _, text in shortcut_rows(window.state))


@pytest.mark.skipif(not any(p.stem == "mnist" for p in BUNDLED), reason="the bundled MNIST model is not here")
def test_seven_on_the_bundled_mnist_model_selects_seven(open_window, qtbot):
    window = open_window(next(p for p in BUNDLED if p.stem == "mnist"))
    press(qtbot, window.canvas, Qt.Key.Key_7)
    assert window.state.class_name == "7"


def test_digits_pick_by_position_where_names_are_not_digits(open_window, qtbot, tmp_path):
    window = open_window(write_model(tmp_path / "shapes.pt"))
    press(qtbot, window.canvas, Qt.Key.Key_2)
    assert window.state.class_name == "square"
    from pixelcnn_studio.gui.shell.help import shortcut_rows
    assert any("by position" in text for _, text in shortcut_rows(window.state))


def test_typing_in_a_number_field_never_fires_a_shortcut(open_window, qtbot, tmp_path):
    window = open_window(digit_model(tmp_path / "digits.pt"))
    window.select_class(3)
    box = window.controls.batch
    box.lineEdit().selectAll()
    press(qtbot, box, Qt.Key.Key_8)
    assert window.state.class_index == 3                      # the digit went into the box
    assert box.text() == "8" or box.cleanText() == "8"
    press(qtbot, box, Qt.Key.Key_Space)
    assert window.session.state == "idle"                     # Space did not start a run either
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.state.batch == 8 and window.canvas.hasFocus()   # Enter: keys back to the view


def test_arrows_on_the_fields_tab_step_the_layer(open_window, qtbot, tmp_path):
    window = open_window(write_model(tmp_path / "shapes.pt", layers=3))
    window.show_tab(1)
    explorer = window.explorer
    assert explorer.layer == 1
    press(qtbot, explorer.canvas, Qt.Key.Key_Right)
    assert explorer.layer == 2 and window.session.state == "idle"   # no hidden sampling run stepped
    press(qtbot, explorer.canvas, Qt.Key.Key_Left)
    assert explorer.layer == 1


def test_large_text_enlarges_the_fields_tab(open_window, qtbot, tmp_path):
    window = open_window(write_model(tmp_path / "shapes.pt"))
    window.show_tab(1)
    label = window.explorer.panel.title
    before = label.fontInfo().pointSizeF()
    window.explorer.panel.large_text.setChecked(True)
    qtbot.waitUntil(lambda: label.fontInfo().pointSizeF() > before * 1.2)
    assert window.state.large_text and window.actions_by_name["large_text"].isChecked()
    window.set_large_text(False)
    qtbot.waitUntil(lambda: label.fontInfo().pointSizeF() <= before + 0.01)


def test_large_text_enlarges_every_text_on_every_tab(open_window, qtbot, tmp_path):
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLabel, QTabBar, QWidget
    window = open_window(write_model(tmp_path / "shapes.pt"))
    window.step()
    qtbot.waitUntil(lambda: window.session.frame is not None)

    def sizes():
        found = {}
        for tab in range(window.tabs.count()):
            window.show_tab(tab)
            qtbot.wait(100)
            for widget in window.findChildren(QWidget):
                if widget.isVisible() and isinstance(widget, (QLabel, QAbstractButton, QComboBox,
                                                              QAbstractSpinBox, QTabBar)):
                    found[(tab, id(widget))] = (widget, widget.fontInfo().pointSizeF())
        return found

    before = sizes()
    window.set_large_text(True)
    after = sizes()
    assert len(before) > 40
    same = [(tab, type(w).__name__, getattr(w, "text", lambda: "")()[:30]) for (tab, key), (w, size) in before.items()
            if (tab, key) in after and after[(tab, key)][1] < size * 1.15]
    assert same == []


def test_the_shortcuts_sheet_lists_every_key(open_window, tmp_path):
    """Every shortcut of every action of the window (menus, hidden keys) has its line in the sheet."""
    import re
    from PySide6.QtGui import QAction, QKeySequence
    from pixelcnn_studio.gui.shell.help import shortcut_rows
    window = open_window(digit_model(tmp_path / "digits.pt"))
    listed = set()
    for keys, _ in shortcut_rows(window.state):
        keys = keys.replace("→", "Right").replace("←", "Left")
        for part in keys.split(", "):
            ranged = re.fullmatch(r"(.*?)(\d) … (\d)", part)
            if ranged:
                prefix, first, last = ranged.groups()
                listed |= {f"{prefix}{d}" for d in range(int(first), int(last) + 1)}
            else:
                listed.add(part)
    keys = {seq.toString(QKeySequence.SequenceFormat.PortableText)
            for action in window.findChildren(QAction) for seq in action.shortcuts()}
    assert len(keys) > 40 and keys - listed == set()


def test_talk_keys_resample_warm_cool_and_walk_the_bundled_models(open_window, qtbot, tmp_path, models_dir):
    first, second = write_model(models_dir / "a.pt"), write_model(models_dir / "b.pt", seed=2)
    window = open_window(first)
    temperature = window.state.temperature
    press(qtbot, window.canvas, Qt.Key.Key_Plus)
    assert window.state.temperature == pytest.approx(temperature + 0.1)
    press(qtbot, window.canvas, Qt.Key.Key_Minus)
    press(qtbot, window.canvas, Qt.Key.Key_Minus)
    assert window.state.temperature == pytest.approx(temperature - 0.1)
    run_to_end(qtbot, window, n=2, seed=4)
    window.timeline.set_value(10)
    press(qtbot, window.canvas, Qt.Key.Key_R, Qt.KeyboardModifier.ShiftModifier)
    assert window.branch.isVisible() and window.state.seed != 4          # the old branch beside the new
    press(qtbot, window.canvas, Qt.Key.Key_M)
    qtbot.waitUntil(lambda: window.loaded.path.endswith("b.pt"))
    press(qtbot, window.canvas, Qt.Key.Key_M)                            # past the last: the first again
    qtbot.waitUntil(lambda: window.loaded.path.endswith("a.pt"))
    window.show_tab(1)
    qtbot.waitUntil(lambda: window.explorer is not None and window.explorer._model is not None)
    press(qtbot, window.explorer.canvas, Qt.Key.Key_X)
    assert window.explorer._mode == "effective"
    press(qtbot, window.explorer.canvas, Qt.Key.Key_X)
    assert window.explorer._mode == "exact"


def test_class_and_seed_come_back_after_a_restart(open_window, qtbot, tmp_path):
    path = write_model(tmp_path / "shapes.pt")
    window = open_window(path)
    window.select_class(2)
    window.state.update(seed=1234)
    window.close()
    again = open_window(path)
    assert again.state.seed == 1234 and again.state.class_index == 2
    assert again.conditioning.combo.currentIndex() == 2


# -- scenes, stage view, badge -------------------------------------------------------------------------

def test_a_scene_comes_back_after_a_restart(open_window, qtbot, tmp_path):
    path = write_model(tmp_path / "shapes.pt")
    window = open_window(path)
    window.select_class(2)
    window.state.update(seed=77, temperature=0.8, batch=2)
    window.step()
    qtbot.waitUntil(lambda: window.session.frame is not None and window.session.frame.done_steps == 1)
    for _ in range(4):
        window.step()
    qtbot.waitUntil(lambda: window.session.frame.done_steps == 5)
    window.actions_by_name["scene_store_3"].trigger()
    window.close()
    again = open_window(write_model(tmp_path / "other.pt", seed=3))
    again.actions_by_name["scene_recall_3"].trigger()
    qtbot.waitUntil(lambda: again.loaded is not None and again.loaded.path.endswith("shapes.pt"), timeout=10000)
    qtbot.waitUntil(lambda: again.session.frame is not None and again.session.frame.done_steps == 5
                    and again.session.state == "paused", timeout=10000)
    assert (again.state.class_index, again.state.seed, again.state.temperature) == (2, 77, 0.8)


def test_a_scene_keeps_the_tab_the_field_and_the_pictures(open_window, qtbot, tmp_path):
    """Stored on the Draw tab with a drawing, a scored picture and the fields tab at layer 2, target
    (3, 1): all of it comes back, in another session that had another model open."""
    path = write_model(tmp_path / "shapes.pt", size=(6, 6), layers=3)
    window = open_window(path)
    window.show_tab(1)
    explorer = window.explorer
    qtbot.waitUntil(lambda: explorer._model is not None)
    explorer.set_target(3, 1)
    explorer.set_layer(2)
    tools = window.picture_tools
    window.show_tab(3)
    tools.draw.pad.stroke([(5, 5), (40, 50)])
    drawing = tools.draw.pad.model_view()
    tools.draw.pad.set_keep_rows(4)
    tools.surprise.score(tools.draw.pad.picture(), "a scribble")
    qtbot.waitUntil(lambda: tools.surprise.prepared is not None, timeout=10000)
    scored = tools.surprise.prepared.array.copy()
    window.actions_by_name["scene_store_4"].trigger()
    window.close()

    again = open_window(write_model(tmp_path / "other.pt", size=(5, 5), seed=3))
    again.picture_tools.draw.pad.stroke([(0, 0), (30, 30)])       # something else on this pad
    again.actions_by_name["scene_recall_4"].trigger()
    qtbot.waitUntil(lambda: again.loaded.path.endswith("shapes.pt") and again.state.tab == "draw", timeout=10000)
    pad = again.picture_tools.draw.pad
    assert np.array_equal(pad.model_view(), drawing) and pad.keep_rows == 4
    assert (again.explorer.layer, again.explorer.target, again.explorer.mode) == (2, (3, 1), "exact")
    qtbot.waitUntil(lambda: again.picture_tools.surprise.picture_name == "a scribble", timeout=10000)
    assert np.array_equal(again.picture_tools.surprise.prepared.array, scored)


def test_a_scene_with_bad_values_keeps_what_it_can(open_window, tmp_path):
    from pixelcnn_studio.gui.common import settings
    from pixelcnn_studio.gui.shell.keys import read_scene
    scene = read_scene({"tab": "nowhere", "seed": -4, "temperature": "hot", "class_index": 2, "view": "stage",
                        "fields": {"layer": "three", "target": [1, 2], "mode": "sideways"},
                        "drawing": {"png": "not base64!"}, "picture": {"png": 7}})
    assert scene == {"class_index": 2, "view": "stage", "fields": {"target": (1, 2)}}
    window = open_window(write_model(tmp_path / "shapes.pt"))
    settings.put("scenes/5", "{broken json")
    assert window.scenes.recall(5) is False                     # said so in the status bar, nothing changed


def test_the_drawing_survives_a_model_switch_and_an_empty_pad_is_not_scored(open_window, qtbot, tmp_path):
    window = open_window(write_model(tmp_path / "a.pt", size=(6, 6)))
    tools = window.picture_tools
    pad = tools.draw.pad
    pad.stroke([(5, 5), (40, 50)])
    drawing = pad.model_view()
    window.open_checkpoint(str(write_model(tmp_path / "b.pt", size=(6, 6), seed=4)))
    qtbot.waitUntil(lambda: window.loaded.path.endswith("b.pt"))
    assert np.array_equal(pad.model_view(), drawing) and pad.can_undo()    # the same size: kept as it was
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    window.open_checkpoint(str(write_model(tmp_path / "c.pt", size=(8, 8), seed=5)))
    qtbot.waitUntil(lambda: window.loaded.path.endswith("c.pt"))
    assert pad.model_view().shape == (1, 8, 8) and not pad.is_blank()
    assert any("rescaled from 6×6 to 8×8" in m for m in messages)
    pad.clear()
    tools.score_drawing()
    assert tools.surprise.headline.text() == "The pad is empty" and tools.surprise.result is None
    tools.draw.run_completion()
    assert tools.draw.session.worker is None and any("pad is empty" in m for m in messages)


def test_stage_view_shows_one_sample_large_with_its_field_and_distribution(open_window, qtbot, tmp_path):
    window = open_window(write_model(tmp_path / "shapes.pt", size=(8, 8)))
    window.state.update(batch=4)
    window.step()
    qtbot.waitUntil(lambda: window.session.frame is not None and window.session.frame.done_steps == 1)
    window.actions_by_name["stage_view"].trigger()
    assert window.state.view == "stage" and window.canvas.staged
    assert window.actions_by_name["field_overlay"].isChecked()          # its receptive field, tinted
    assert window.stage_distribution.isVisible() and "p = " in window.stage_distribution.caption.text().replace("\u00a0", " ")
    geo = window.canvas._geometry()
    assert geo[0] == geo[1] == 1                                          # one tile, as large as fits
    window.set_presentation(True)
    window.update_badge()
    assert "seed" in window.badge.text() and "step 1" in window.badge.text()
    window.set_presentation(False)
    window.actions_by_name["stage_view"].trigger()
    assert window.state.view == "grid" and not window.actions_by_name["field_overlay"].isChecked()


# -- fixes -------------------------------------------------------------------------------------------

def test_progress_reads_the_new_plan_after_a_model_change(open_window, qtbot, tmp_path):
    window = open_window(write_model(tmp_path / "a.pt", size=(6, 6)))
    run_to_end(qtbot, window, n=2)
    window.open_checkpoint(str(write_model(tmp_path / "b.pt", size=(5, 5))))
    qtbot.waitUntil(lambda: window.loaded.path.endswith("b.pt"))
    assert window.stats.progress.value() == 0 and window.stats.progress.format().startswith("0 / 25 ")
    window.state.update(batch=3)
    assert window.stats.progress.format().startswith("0 / 25 ")


def test_a_certain_draw_reads_zero_bits_and_the_axis_stops_at_one(qtbot):
    from pixelcnn_studio.gui.common.distribution import DistributionView
    view = DistributionView()
    qtbot.addWidget(view)
    view.set_levels(4)
    view.show_step(0, (0, 0, 0), 1, np.array([0, 0, 1.0, 0], dtype=np.float32), 2)
    caption = view.caption.text().replace("\u00a0", " ")
    assert "0.00 bits" in caption and "-0.00" not in caption
    top = view.plot.getPlotItem().viewRange()[1][1]
    assert top <= 1.0 + 1e-9


def test_the_field_grid_follows_the_light_theme(open_window, qtbot, tmp_path):
    window = open_window(write_model(tmp_path / "shapes.pt"))
    window.show_tab(1)
    qtbot.waitUntil(lambda: window.explorer.canvas.picture() is not None and window.explorer.is_idle(), timeout=10000)
    dark = window.explorer.canvas._image().copy()
    window.apply_theme("light")
    light = window.explorer.canvas._image()
    # The neutral cells are light: the mean brightness of the grid rises.
    def mean(image):
        ptr = image.constBits()
        return np.frombuffer(ptr, dtype=np.uint8, count=image.sizeInBytes()).mean()
    assert mean(light) > mean(dark) + 40


def test_generate_says_why_it_is_off_on_a_class_only_model(open_window, qtbot, tmp_path):
    window = open_window(write_model(tmp_path / "shapes.pt"))
    generate = window.portraits.interpolation.generate
    assert not generate.isEnabled() and "not" in generate.toolTip()


def test_one_row_per_class_turns_to_a_column_per_class_where_rows_would_be_thumbnails(qtbot):
    from pixelcnn_studio.gui.common.canvas import READABLE_TILE_PX, SampleCanvas
    canvas = SampleCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(680, 440)                  # the grid's room in a 1280x720 window
    canvas.show()
    names = [f"class {i}" for i in range(10)]
    canvas.set_layout(10, 1, 28, 28, columns=1, row_labels=names)      # 16 asked, ten classes: one each
    rows, cols, scale, _, _ = canvas._geometry()
    assert canvas._transposed and (rows, cols) == (1, 10) and 28 * scale >= READABLE_TILE_PX
    # Sample 3 (class 3) is in the fourth column, and the hit test finds it there.
    rect = canvas._tile_rect(3, canvas._geometry())
    assert canvas.hit(rect.center())[0] == 3 and rect.left() > canvas._tile_rect(2, canvas._geometry()).right()
    canvas.set_layout(20, 1, 28, 28, columns=2, row_labels=names)      # two of each: a column of two
    rows, cols, scale, _, _ = canvas._geometry()
    assert (rows, cols) == (2, 10) and canvas.hit(canvas._tile_rect(7, canvas._geometry()).center())[0] == 7
    canvas.set_layout(6, 1, 28, 28, columns=3, row_labels=names[:2])   # rows that read: kept as rows
    assert canvas._geometry()[:2] == (2, 3) and not canvas._transposed


def test_the_stage_chart_follows_the_theme_and_forgets_the_last_model(open_window, qtbot, tmp_path):
    window = open_window(write_model(tmp_path / "a.pt", size=(6, 6)))
    window.set_view("stage")
    run_to_end(qtbot, window, n=2)
    assert window.stage_distribution.last is not None
    dark = window.stage_distribution.plot.backgroundBrush().color().lightness()
    window.apply_theme("light")
    assert window.stage_distribution.plot.backgroundBrush().color().lightness() > dark + 100
    window.open_checkpoint(str(write_model(tmp_path / "b.pt", size=(5, 5))))
    qtbot.waitUntil(lambda: window.loaded.path.endswith("b.pt"))
    assert window.stage_distribution.last is None and window.distribution.last is None


def test_the_surprise_tab_asks_for_a_picture_not_a_portrait(open_window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog
    titles = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda parent, title, *a, **k: (titles.append(title), ("", ""))[1])
    window = open_window(write_model(tmp_path / "a.pt"))
    window.picture_tools.open_for_surprise()
    assert titles and "portrait" not in titles[0].lower() and "picture" in titles[0].lower()


def test_the_inspect_text_keeps_four_lines_and_the_bits_labels_keep_apart(open_window, qtbot, tmp_path):
    from PySide6.QtGui import QFontMetrics
    window = open_window(write_model(tmp_path / "rgb.pt", channels=3, size=(6, 6)))
    frame = run_to_end(qtbot, window, n=16)
    from pixelcnn_studio.gui.sampling.controls import hover_text
    for large in (False, True):
        window.set_large_text(large)
        qtbot.wait(50)
        hover = window.stats.hover
        hover.setText(hover_text(frame, 0, 1, 1, frame.done_steps))
        qtbot.wait(50)
        if hover.isVisible():
            qtbot.wait(300)
            assert hover.height() >= 4 * hover.fontMetrics().lineSpacing(), (hover.height(), hover.minimumSizeHint(), window.size(), window.minimumSizeHint(), large)
        plot = window.stats.plot
        if not plot.isVisible():
            continue                             # large type in a narrow panel folds the chart away
        axis = plot.getPlotItem().getAxis("left")
        step = axis._tickSpacing[0][0] if getattr(axis, "_tickSpacing", None) else None
        assert step is not None
        top = plot.getPlotItem().viewRange()[1][1]
        height = plot.getPlotItem().getViewBox().height()
        font = axis.style.get("tickFont") or plot.font()
        # Neighbouring labels are a line and more apart on screen (a chart too short for two shows one).
        assert step > top or step / top * height >= QFontMetrics(font).height(), (step, top, height)


# -- linked views -------------------------------------------------------------------------------------

def test_hovering_or_scrubbing_shows_the_distribution_drawn_from_and_its_field(open_window, qtbot, tmp_path):
    from pixelcnn_studio.core.sampling import SampleStream
    window = open_window(write_model(tmp_path / "shapes.pt", size=(6, 6)))
    frame = run_to_end(qtbot, window, n=2, class_index=1, seed=4)
    stream = SampleStream(window.loaded.model, 2, class_ids=torch.ones(2, dtype=torch.long), seed=4)
    drawn = {}
    while (step := stream.step()) is not None:
        drawn[step.index] = step.probs.numpy().copy()
    assert np.array_equal(stream.image.numpy(), frame.image)
    window.canvas.hovered.emit(1, 1, 2)                        # sample 2, pixel (1, 2): step 8
    sample, position, _, probs, value = window.distribution.last
    assert (sample, position, value) == (1, (1, 2, 0), int(frame.image[1, 0, 1, 2]))
    np.testing.assert_allclose(probs, drawn[8][1], atol=2e-3)   # kept as float16
    assert window.field_overlay.pinned == (1, 2, 0)
    qtbot.waitUntil(lambda: window.canvas.field_overlay_shown, timeout=10000)
    window.canvas.hovered.emit(-1, -1, -1)                     # off the images: back to the live step
    assert window.field_overlay.pinned is None and not window.canvas.field_overlay_shown
    window.timeline.set_value(20)                              # scrubbing: the step before the handle
    assert window.distribution.last[1] == (3, 1, 0)
    np.testing.assert_allclose(window.distribution.last[3], drawn[19][window.canvas.selected], atol=2e-3)


def test_resample_from_here_keeps_the_old_branch_beside_the_new(open_window, qtbot, tmp_path):
    window = open_window(write_model(tmp_path / "shapes.pt", size=(6, 6)))
    old = run_to_end(qtbot, window, n=2, seed=4).image.copy()
    window.timeline.set_value(10)
    window.timeline.resample.click()
    assert window.branch.isVisible() and np.array_equal(window.branch_canvas._image, old)
    assert "the same first 10 steps" in window.branch_title.text()
    qtbot.waitUntil(lambda: window.session.frame.seed == window.state.seed != 4
                    and window.session.state == "done", timeout=10000)
    new = window.session.frame.image
    flat = lambda image: image.transpose(0, 2, 3, 1).reshape(2, -1)
    assert np.array_equal(flat(new)[:, :10], flat(old)[:, :10])      # the same past
    assert not np.array_equal(new, old)                              # another future
    window.restart()
    assert not window.branch.isVisible()                            # a new run has another past


def test_leaving_presentation_gives_the_panels_their_normal_widths(open_window, qtbot, tmp_path):
    window = open_window(write_model(tmp_path / "shapes.pt"))
    window.show_tab(1)
    qtbot.wait(50)
    left, panel = window.left.minimumWidth(), window.explorer._scroll.minimumWidth()
    window.set_presentation(True)
    qtbot.wait(100)
    window.set_presentation(False)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=5000)
    qtbot.wait(100)
    assert window.left.minimumWidth() == left
    assert abs(window.explorer._scroll.minimumWidth() - panel) <= 2
    assert window.minimumSizeHint().width() <= 1280


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("peak", [0.999, 0.004])
@pytest.mark.parametrize("width", [230, 600])
def test_the_probability_axis_ends_at_the_data_and_every_tick_label_has_room(qtbot, large, peak, width):
    """The p axis stops at the data (never above 1), and the axes are wide and tall enough for
    their widest tick label in the type they are drawn in, the top one included."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QFontMetrics
    from pixelcnn_studio.gui.common.distribution import DistributionView
    view = DistributionView()
    qtbot.addWidget(view)
    view.set_large(large)
    view.resize(width, 320)
    view.show()
    qtbot.waitExposed(view)
    probs = np.full(256, (1 - peak) / 255, dtype=np.float32)
    probs[40] = peak
    view.show_step(0, (3, 4, 0), 1, probs, 40)
    qtbot.wait(50)
    item = view.plot.getPlotItem()
    bottom, top = item.viewRange()[1]
    assert peak <= top <= min(1.0, peak * 1.3) + 1e-9 and bottom == 0
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        metrics = QFontMetrics(axis.style["tickFont"])
        lo, hi = axis.range
        size = axis.height() if name == "left" else axis.width()
        values = [v for _, vs in axis.tickValues(min(lo, hi), max(lo, hi), size) for v in vs]
        spacing = axis.tickValues(min(lo, hi), max(lo, hi), size)[-1][0]
        labels = [s for s in axis.tickStrings(values, 1, spacing) if s]
        assert labels, name
        offset = axis.style["tickTextOffset"][0 if name == "left" else 1]
        if name == "left":
            widest = max(metrics.horizontalAdvance(s) for s in labels)
            assert axis.width() >= widest + offset, (labels, axis.width())
            # The highest tick's label, centred on its tick, stays inside the plot widget.
            y = item.getViewBox().mapViewToScene(QPointF(0, max(values))).y()
            assert y - metrics.height() / 2 >= 0, (max(values), y)
        else:
            assert axis.height() >= metrics.height() + offset, (labels, axis.height())
            x = item.getViewBox().mapViewToScene(QPointF(max(v for v in values if v <= hi), 0)).x()
            widest = metrics.horizontalAdvance(labels[-1])
            assert x + widest / 2 <= view.plot.width(), (labels[-1], x, view.plot.width())
            # Neighbouring level labels never touch ("100" and "200" must not read "100200").
            major = sorted(axis.tickValues(lo, hi, size)[0][1])
            box = item.getViewBox()
            gaps = [box.mapViewToScene(QPointF(b, 0)).x() - box.mapViewToScene(QPointF(a, 0)).x()
                    for a, b in zip(major, major[1:])]
            assert min(gaps) >= max(metrics.horizontalAdvance(s) for s in labels) + metrics.horizontalAdvance("0")
