"""Receptive fields: the exact core function on small hand-checkable cases, the Qt-free
pictures, and the explorer view (clicks, slider, original toggle, playback, exports)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import Qt

from pixelcnn_studio import ModelConfig, build_model, receptive_field
from pixelcnn_studio.core.field_analysis import blind_spot, field_stats, pixel_field, visible_channels
from pixelcnn_studio.render.colours import EARLIER, LATER, TARGET
from pixelcnn_studio.render.field_picture import compose_picture, export_cell, render_field, render_grid


def order_index(config, row, col, channel):
    """Position of a sub-pixel in raster-then-channel order."""
    return (row * config.width + col) * config.channels + channel


def earlier_subpixels(config, target, channel):
    """Bool (C, H, W): every sub-pixel strictly before (target, channel) in sampling order."""
    C, H, W = config.channels, config.height, config.width
    index = torch.arange(C * H * W).view(H, W, C).permute(2, 0, 1)
    return index < order_index(config, *target, channel)


def grid(text: str) -> np.ndarray:
    """A hand-drawn (H, W) mask: '#' in the set, anything else ('.', 'T') out of it."""
    rows = [line.split() for line in text.strip().splitlines()]
    return np.array([[cell == "#" for cell in row] for row in rows])


# -- the exact field: gated network ------------------------------------------------------------

@pytest.mark.parametrize("channels", [1, 3])
def test_gated_field_is_causal_at_every_layer_and_stack(channels):
    config = ModelConfig(image_size=(5, 6), channels=channels, hidden=6, layers=4, kernel_size=3)
    targets = [(0, 0), (0, 3), (2, 2), (4, 5), (3, 0)] if channels == 3 else \
        [(r, c) for r in range(5) for c in range(6)]
    for target in targets:
        for channel in range(channels):
            allowed = earlier_subpixels(config, target, channel)
            for layers in list(range(1, config.layers + 1)) + [None]:
                for stack in ("vertical", "horizontal", "combined"):
                    field = receptive_field(config, target, channel=channel, layers=layers, stack=stack)
                    assert field.shape == (channels, 5, 6)
                    assert not (field & ~allowed).any(), (target, channel, layers, stack)


@pytest.mark.parametrize("channels", [1, 3])
def test_deep_gated_field_sees_every_earlier_subpixel(channels):
    config = ModelConfig(image_size=(5, 6), channels=channels, hidden=6, layers=6, kernel_size=3)
    targets = [(r, c) for r in range(5) for c in range(6)] if channels == 1 else [(0, 1), (2, 3), (4, 5)]
    for target in targets:
        for channel in range(channels):
            field = receptive_field(config, target, channel=channel)
            assert torch.equal(field, earlier_subpixels(config, target, channel)), (target, channel)
            assert blind_spot(pixel_field(field), target).sum() == 0


def test_gated_field_never_has_a_blind_spot_at_any_depth():
    config = ModelConfig(image_size=9, hidden=4, layers=4, kernel_size=3)
    for layers in range(1, 5):
        field = pixel_field(receptive_field(config, (4, 4), layers=layers))
        assert field_stats(field, (4, 4)).blind == 0


def test_vertical_stack_never_reaches_the_target_row():
    config = ModelConfig(image_size=(7, 8), channels=3, hidden=6, layers=4, kernel_size=5)
    for target in [(0, 4), (3, 3), (6, 7)]:
        for layers in range(1, config.layers + 1):
            field = receptive_field(config, target, channel=2, layers=layers, stack="vertical")
            assert not field[:, target[0]:, :].any(), (target, layers)
            if target[0] > 0:
                assert field[:, target[0] - 1, target[1]].all()   # the pixel just above, at once


def test_horizontal_stack_without_link_sees_only_its_row_to_the_left():
    config = ModelConfig(image_size=9, hidden=4, layers=3, kernel_size=3)
    row, col = 4, 6
    for layers in (1, 2, 3, None):
        field = receptive_field(config, (row, col), layers=layers, stack="horizontal")[0]
        expected = np.zeros((9, 9), dtype=bool)
        reach = config.layers if layers is None else layers
        expected[row, col - reach:col] = True          # k=3: one more pixel to the left per layer
        assert np.array_equal(field.numpy(), expected), layers


def test_horizontal_stack_of_a_colour_model_sees_earlier_channels_of_its_own_pixel():
    config = ModelConfig(image_size=(4, 5), channels=3, hidden=6, layers=2, kernel_size=3)
    field = receptive_field(config, (2, 3), channel=2, stack="horizontal")
    assert not field[:, :2].any() and not field[:, 3:].any()
    assert field[:, 2, 1:3].all() and not field[:, 2, :1].any() and not field[:, 2, 4:].any()
    assert field[:, 2, 3].tolist() == [True, True, False]


# -- the exact field: original masked PixelCNN -------------------------------------------------

ORIGINAL_3x3_LAYER_3 = """
. . . . . . . . .
. # # # # # # # .
. # # # # # # . .
. # # # # # . . .
. # # # T . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
"""

# The blind spot with 3x3 filters: a filter steps right only by climbing a row, so a pixel
# d rows up is reached at most d columns to the right; everything further right stays dark.
ORIGINAL_3x3_BLIND = """
. . . . . . . . .
. . . . . . . . #
. . . . . . . # #
. . . . . . # # #
. . . . T . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
"""

# With 5x5 filters each row climbed buys two columns: the wedge is narrower.
ORIGINAL_5x5_BLIND = """
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . # #
. . . . T . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
"""


def test_original_field_by_hand_3x3():
    config = ModelConfig(image_size=9, hidden=4, layers=3, kernel_size=3, variant="original")
    field = receptive_field(config, (4, 4))[0].numpy()
    assert np.array_equal(field, grid(ORIGINAL_3x3_LAYER_3))
    # Inside its reach (rows 1-3, columns 1-7) it misses (3, 6), (3, 7) and (2, 7): the wedge
    # without column 8, which is simply too far for three layers.
    expected = grid(ORIGINAL_3x3_BLIND)
    expected[:, 8] = False
    assert np.array_equal(blind_spot(field, (4, 4)), expected)


@pytest.mark.parametrize("kernel, picture", [(3, ORIGINAL_3x3_BLIND), (5, ORIGINAL_5x5_BLIND)])
def test_original_blind_spot_follows_the_kernel(kernel, picture):
    expected = grid(picture)
    for layers in (4, 6):           # deep enough to reach every earlier pixel but the wedge
        config = ModelConfig(image_size=9, hidden=4, layers=layers, kernel_size=kernel, variant="original")
        field = receptive_field(config, (4, 4))[0].numpy()
        earlier = earlier_subpixels(config, (4, 4), 0)[0].numpy()
        assert np.array_equal(earlier & ~field, expected), layers       # all it misses is the wedge
        assert np.array_equal(blind_spot(field, (4, 4)), expected)
        assert not (field & ~earlier).any()


def test_original_field_grows_up_and_left_by_one_per_layer():
    for layers in (1, 2, 3):
        config = ModelConfig(image_size=9, hidden=4, layers=layers, kernel_size=3, variant="original")
        field = receptive_field(config, (4, 4))[0].numpy()
        expected = np.zeros((9, 9), dtype=bool)
        for d in range(1, layers + 1):                  # d rows up: from col - layers to col + d
            expected[4 - d, 4 - layers:4 + d + 1] = True
        expected[4, 4 - layers:4] = True
        assert np.array_equal(field, expected), layers


def test_stack_is_ignored_for_the_original_variant():
    config = ModelConfig(image_size=7, hidden=4, layers=2, kernel_size=3, variant="original")
    fields = [receptive_field(config, (3, 3), layers=2, stack=s) for s in ("vertical", "horizontal", "combined")]
    assert all(torch.equal(fields[0], f) for f in fields)


# -- colour: mask A in the first layer, mask B after it ----------------------------------------

@pytest.mark.parametrize("variant", ["gated", "original"])
def test_colour_channels_of_the_target_pixel(variant):
    config = ModelConfig(image_size=(5, 5), channels=3, hidden=6, layers=3, kernel_size=3, variant=variant)
    for layers in (1, 2, None):
        seen = [receptive_field(config, (2, 2), channel=c, layers=layers)[:, 2, 2].tolist() for c in range(3)]
        assert seen == [[False, False, False], [True, False, False], [True, True, False]], layers
    field = receptive_field(config, (2, 2), channel=1)
    assert visible_channels(field, (2, 2)) == (True, False, False)


# -- pictures without Qt -------------------------------------------------------------------------

def test_render_grid_is_crisp_and_marks_the_target():
    config = ModelConfig(image_size=(6, 8), hidden=4, layers=2, kernel_size=3)
    fields = {s: receptive_field(config, (3, 4), stack=s) for s in ("vertical", "horizontal", "combined")}
    picture = compose_picture(config, (3, 4), fields=fields)
    rgb = render_grid(picture, cell=10)
    assert rgb.shape == (60, 80, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[30, 40]) == TARGET                      # the target cell's corner
    assert tuple(rgb[55, 5]) == LATER and tuple(rgb[0, 75]) == EARLIER
    captioned = render_field(picture, 10)
    assert captioned.shape[1] == 80 and captioned.shape[0] > 60
    assert np.array_equal(captioned[:60], rgb)


def test_effective_picture_shows_heat_only_where_gradients_flow():
    config = ModelConfig(image_size=7, hidden=8, layers=2, kernel_size=3)
    heat = torch.zeros(1, 7, 7)
    heat[0, 2, 3], heat[0, 3, 1] = 1.0, 1e-3
    picture = compose_picture(config, (3, 3), heat=heat, log_heat=True, images=2)
    rgb = render_grid(picture, cell=1)
    assert tuple(rgb[0, 0]) == EARLIER and tuple(rgb[2, 3]) != tuple(rgb[3, 1])


# -- the explorer view -----------------------------------------------------------------------------

@pytest.fixture
def small_model():
    torch.manual_seed(0)
    config = ModelConfig(image_size=9, hidden=8, layers=3, kernel_size=3, num_classes=2)
    return config, build_model(config).eval()


@pytest.fixture
def explorer(qtbot, small_model):
    from pixelcnn_studio.gui.fields.explorer import ReceptiveFieldExplorer
    config, model = small_model
    view = ReceptiveFieldExplorer(config=config, model=model)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitUntil(view.is_idle, timeout=20000)
    yield view
    view.shutdown()


def test_view_starts_at_layer_one_of_the_centre_pixel_beside_the_original(explorer, small_model):
    config, _ = small_model
    assert explorer.target == (4, 4) and explorer.layer == 1
    assert torch.equal(explorer.current_field(), receptive_field(config, (4, 4), layers=1))
    assert explorer.canvas.picture() is not None
    other = explorer.lesson.other_canvas.picture()          # the original network, same target and layer
    assert explorer.comparing and other is not None and other.target == (4, 4)
    original = replace(config, variant="original")
    assert np.array_equal(other.fields["combined"], receptive_field(original, (4, 4), layers=1).any(dim=0).numpy())
    assert "Gated PixelCNN" in explorer.lesson.main.caption.text()
    assert "Original PixelCNN" in explorer.lesson.other.caption.text()
    assert not explorer._explanation_area.isVisible()      # the long text folds under "Details"


def test_slider_changes_the_layer_and_the_field(qtbot, explorer, small_model):
    config, _ = small_model
    before = explorer.canvas.picture()
    explorer.layer_slider.setValue(explorer.layer_slider.maximum())
    assert explorer.layer is None
    qtbot.waitUntil(lambda: explorer.current_field() is not None, timeout=10000)
    assert torch.equal(explorer.current_field(), receptive_field(config, (4, 4)))
    assert explorer.canvas.picture() is not before
    assert explorer.canvas.picture().fields["combined"].sum() > before.fields["combined"].sum()
    qtbot.waitUntil(lambda: "blind spot" in explorer.lesson.other.caption.text(), timeout=10000)
    explorer.layer_slider.setValue(1)
    assert explorer.layer == 1


def test_clicking_a_pixel_makes_it_the_target(qtbot, explorer, small_model):
    config, _ = small_model
    qtbot.mouseClick(explorer.canvas, Qt.MouseButton.LeftButton, pos=explorer.canvas.cell_center(2, 7))
    assert explorer.target == (2, 7)
    qtbot.waitUntil(lambda: explorer.current_field() is not None, timeout=10000)
    assert torch.equal(explorer.current_field(), receptive_field(config, (2, 7), layers=1))
    qtbot.waitUntil(lambda: explorer.canvas.picture().target == (2, 7), timeout=10000)


def test_original_toggle_shows_the_blind_spot(qtbot, explorer):
    explorer.set_layer(None)                                # at the output, where the wedge is widest
    qtbot.waitUntil(lambda: explorer.current_field() is not None, timeout=10000)
    assert explorer.blind_spot_count == 0
    explorer.original_toggle.setChecked(True)
    assert explorer.variant == "original"
    qtbot.waitUntil(lambda: explorer.current_field() is not None, timeout=10000)
    assert explorer.blind_spot_count > 0
    assert explorer.canvas.picture().blind.sum() == explorer.blind_spot_count
    assert "blind spot" in explorer._stats.text().lower()
    explorer.original_toggle.setChecked(False)
    assert explorer.variant == "gated" and explorer.blind_spot_count == 0


def test_play_steps_through_every_layer(qtbot, explorer):
    explorer._play_timer.setInterval(20)
    seen = []
    explorer.layer_slider.valueChanged.connect(lambda _: seen.append(explorer.layer))
    explorer.play_button.click()
    qtbot.waitUntil(lambda: not explorer.play_button.isChecked(), timeout=10000)
    assert seen == [2, 3, None]                # from layer 1, where the view opens


def test_export_png_and_growth_gif(qtbot, explorer, small_model, tmp_path):
    config, _ = small_model
    rgb = explorer.export_png(tmp_path / "field.png")
    with Image.open(tmp_path / "field.png") as image:
        assert image.size == (rgb.shape[1], rgb.shape[0])
        cell = export_cell(config.width, config.height)
        assert image.size[0] == config.width * cell and image.size[1] > config.height * cell
    assert explorer.export_gif(tmp_path / "growth.gif")
    with Image.open(tmp_path / "growth.gif") as gif:
        assert gif.n_frames == config.layers
        assert gif.size == (rgb.shape[1], rgb.shape[0])
    assert not list(tmp_path.glob(".*"))          # no temporary files left behind


def test_effective_field_is_computed_off_the_gui_thread(qtbot, explorer, small_model):
    config, _ = small_model
    explorer.set_mode("effective")
    assert explorer.mode == "effective"
    qtbot.waitUntil(lambda: explorer.canvas.picture().heat is not None, timeout=30000)
    heat = explorer.canvas.picture().heat
    exact = pixel_field(receptive_field(config, explorer.target))
    assert (heat > 0).any() and not (heat[~exact] > 0).any()
    explorer.log_toggle.setChecked(True)
    assert explorer.canvas.picture().log_heat


def test_effective_field_on_supplied_images(qtbot, explorer):
    images = np.random.default_rng(0).integers(0, 256, size=(3, 1, 9, 9), dtype=np.uint8)
    explorer.set_images(images)
    explorer.set_mode("effective")
    qtbot.waitUntil(lambda: explorer.canvas.picture().heat is not None, timeout=30000)
    assert "3 supplied images" in explorer._stats.text()


def test_colour_model_shows_which_channels_of_the_target_are_seen(qtbot):
    from pixelcnn_studio.gui.fields.explorer import ReceptiveFieldExplorer
    config = ModelConfig(image_size=(5, 6), channels=3, hidden=6, layers=2, kernel_size=3)
    view = ReceptiveFieldExplorer(config=config)
    qtbot.addWidget(view)
    view.show()
    view.set_channel(1)
    qtbot.waitUntil(lambda: view.current_field() is not None, timeout=10000)
    assert view.chips.visible == (True, False, False)
    assert not view.effective_button.isEnabled()            # no trained model: exact fields only
    view.set_channel(2)
    qtbot.waitUntil(lambda: view.current_field() is not None, timeout=10000)
    assert view.chips.visible == (True, True, False)
    view.shutdown()


def test_switching_models_resets_the_view(qtbot, explorer):
    config = ModelConfig(image_size=(6, 7), hidden=4, layers=2, kernel_size=3, variant="original")
    explorer.set_model(config)
    assert explorer.target == (3, 3) and explorer.variant == "original" and explorer.original_toggle.isChecked()
    assert explorer.layer_slider.maximum() == 3
    qtbot.waitUntil(explorer.is_idle, timeout=10000)
    assert explorer.current_field().shape == (1, 6, 7)
    assert torch.equal(explorer.current_field(), receptive_field(replace(config), (3, 3), layers=1))


def test_large_text_enlarges_the_font(explorer):
    size = explorer.font().pointSizeF()
    explorer.set_large_text(True)
    assert explorer.font().pointSizeF() > size
    explorer.set_large_text(False)
    assert explorer.font().pointSizeF() == pytest.approx(size)


def test_arrow_keys_move_the_target(qtbot, explorer):
    qtbot.keyClick(explorer.canvas, Qt.Key.Key_Up)
    qtbot.keyClick(explorer.canvas, Qt.Key.Key_Left)
    assert explorer.target == (3, 3)
    for _ in range(12):
        qtbot.keyClick(explorer.canvas, Qt.Key.Key_Right)
    assert explorer.target == (3, 8)                 # held at the edge


def test_cancel_stops_sampling_for_the_effective_field(qtbot):
    from pixelcnn_studio.gui.fields.explorer import ReceptiveFieldExplorer
    config = ModelConfig(image_size=28, hidden=16, layers=4, kernel_size=5)
    view = ReceptiveFieldExplorer(config=config, model=build_model(config).eval())
    qtbot.addWidget(view)
    view.show()
    view.set_mode("effective")
    qtbot.waitUntil(lambda: view.panel.cancel_button.isVisible(), timeout=20000)
    assert view._progress.isVisible()
    qtbot.mouseClick(view.panel.cancel_button, Qt.MouseButton.LeftButton)
    assert view.mode == "exact"
    qtbot.waitUntil(lambda: not view.panel.cancel_button.isVisible(), timeout=10000)
    assert view._worker._images == {}           # the half-sampled images were dropped
    view.shutdown()


def test_effective_field_over_test_images_of_the_training_set(qtbot, explorer, small_model, tmp_path):
    config, model = small_model
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "tiny.npz", x_train=rng.integers(0, 256, (20, 9, 9), dtype=np.uint8),
             y_train=rng.integers(0, 2, 20), x_test=rng.integers(0, 256, (10, 9, 9), dtype=np.uint8),
             y_test=rng.integers(0, 2, 10))
    explorer.set_model(config, model, dataset=f"npz:{tmp_path / 'tiny.npz'}")
    assert explorer.panel.source_combo.count() == 2
    explorer.panel.source_combo.setCurrentIndex(1)
    explorer.set_mode("effective")
    qtbot.waitUntil(lambda: explorer.canvas.picture().heat is not None, timeout=30000)
    assert "8 test images" in explorer._stats.text()
    assert not explorer.panel.images_label.pixmap().isNull()


def test_missing_test_images_fall_back_to_samples(qtbot, explorer, small_model, tmp_path):
    config, model = small_model
    explorer.set_model(config, model, dataset=f"npz:{tmp_path / 'gone.npz'}")
    assert explorer.panel.source_combo.currentIndex() == 1        # test images preferred when known
    explorer.set_mode("effective")
    qtbot.waitUntil(lambda: explorer.canvas.picture().heat is not None, timeout=30000)
    assert explorer.panel.source_combo.currentIndex() == 0
    assert "sampled images" in explorer._stats.text() and "not on this machine" in explorer._status.text()
    assert str(tmp_path) not in explorer._status.text()           # no folder of this machine in the message


def test_a_view_deleted_while_computing_takes_nothing_down(qtbot):
    import gc

    from pixelcnn_studio.gui.fields.explorer import ReceptiveFieldExplorer
    config = ModelConfig(image_size=32, channels=3, hidden=6, layers=8, kernel_size=5)
    view = ReceptiveFieldExplorer(config=config)
    worker = view._worker
    qtbot.waitUntil(worker.isRunning, timeout=5000)
    view.deleteLater()
    del view
    qtbot.wait(50)
    gc.collect()
    qtbot.waitUntil(lambda: not worker.isRunning(), timeout=10000)
    assert worker._shutdown           # stopped because the view went, not because it ran dry


def test_a_closed_view_shown_again_computes_again(qtbot, explorer, small_model):
    config, _ = small_model
    explorer.close()
    assert not explorer._worker.isRunning()
    explorer.show()
    explorer.set_target(1, 2)
    qtbot.waitUntil(lambda: explorer.current_field() is not None, timeout=10000)
    assert torch.equal(explorer.current_field(), receptive_field(config, (1, 2), layers=1))


def test_blind_spot_count_in_words():
    config = ModelConfig(image_size=9, hidden=4, layers=4, kernel_size=3, variant="original")
    field = pixel_field(receptive_field(config, (4, 4)))
    stats = field_stats(field, (4, 4))
    # Every earlier pixel is in reach at depth 4; the wedge of 6 is what it misses.
    assert (stats.earlier, stats.in_reach, stats.seen, stats.blind) == (40, 40, 34, 6)
    picture = compose_picture(config, (4, 4), fields={"combined": receptive_field(config, (4, 4))})
    assert "misses 6 of 40" in picture.caption[1]


def test_hovering_says_what_a_pixel_is(qtbot, explorer):
    explorer.canvas.pixel_hovered.emit(3, 4)
    assert "Pixel (3, 4)" in explorer._status.text() and "seen by the" in explorer._status.text()
    explorer.canvas.pixel_hovered.emit(8, 8)
    assert "never visible" in explorer._status.text()
    explorer.original_toggle.setChecked(True)
    explorer.set_layer(None)
    qtbot.waitUntil(lambda: explorer.current_field() is not None, timeout=10000)
    explorer.canvas.pixel_hovered.emit(3, 7)
    assert "blind spot" in explorer._status.text()


def test_without_a_model_it_teaches_on_a_default_architecture(qtbot):
    from pixelcnn_studio.gui.fields.explorer import DEFAULT_CONFIG, ReceptiveFieldExplorer
    view = ReceptiveFieldExplorer()
    qtbot.addWidget(view)
    view.show()
    assert view.layer_slider.maximum() == DEFAULT_CONFIG.layers + 1
    assert not view.effective_button.isEnabled()
    view.layer_slider.setValue(2)
    qtbot.waitUntil(lambda: view.current_field() is not None, timeout=10000)
    assert torch.equal(view.current_field(), receptive_field(DEFAULT_CONFIG, view.target, layers=2))
    view.shutdown()
