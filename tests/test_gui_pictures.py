"""The Draw and Surprise tabs: strokes on the pad condition an auto-encoder, Complete keeps the rows
above the line exactly, and the Surprise tab shows what the command line computes."""
import numpy as np
import pytest
import torch
from PIL import Image

from pixelcnn_studio import ModelConfig, build_model, load_checkpoint, save_checkpoint
from pixelcnn_studio.embed import embedder_for_checkpoint
from pixelcnn_studio.embed.autoencoder import ConvEncoder, checkpoint_entry
from pixelcnn_studio.embed.scoring import score_picture
from pixelcnn_studio.gui.pictures.draw_tab import completion_plan
from pixelcnn_studio.gui.pictures.drawing_pad import PAD_SCALE


def write_digit_autoencoder(path, dim=8):
    """A small auto-encoder on 28x28 'mnist', so the pad gets MNIST's preparation."""
    torch.manual_seed(0)
    encoder = ConvEncoder(1, 28, dim, width=4)
    model = build_model(ModelConfig(image_size=28, hidden=8, layers=2, kernel_size=3, embedding_dim=dim,
                                    location_conditioning=True))
    save_checkpoint(path, model, embedder=checkpoint_entry(encoder), dataset={"name": "mnist"})
    return path


def write_class_model(path, size=(6, 7)):
    torch.manual_seed(0)
    model = build_model(ModelConfig(image_size=size, hidden=8, layers=2, kernel_size=3, num_classes=3))
    save_checkpoint(path, model, class_names=["a", "b", "c"], dataset={"name": "fashion-mnist"})
    return path


@pytest.fixture(scope="module", autouse=True)
def checkpoint_loading_warmed_up(tmp_path_factory):
    """The first checkpoint load of a process pays for torch's lazy imports (seconds on a busy machine);
    paid here, so a window's load is not timed against it."""
    load_checkpoint(write_class_model(tmp_path_factory.mktemp("warm") / "m.pt"))


def test_pad_strokes_reach_the_conditioning(open_window, qtbot, tmp_path):
    window = open_window(write_digit_autoencoder(tmp_path / "ae.pt"))
    draw = window.picture_tools.draw
    window.tabs.setCurrentWidget(draw)
    pad = draw.pad
    assert pad.is_blank() and pad.model_view().max() == 0            # MNIST's black paper
    pad.stroke([(80, 60), (140, 100), (150, 220)])
    draw.refresh()
    expected = embedder_for_checkpoint(load_checkpoint(tmp_path / "ae.pt")).embed(pad.picture())
    np.testing.assert_allclose(window.state.embedding, expected, atol=1e-6)
    assert window.state.embedding_label == "drawing"
    first = window.state.embedding.copy()
    # A run conditioned on the drawing starts on its own, one code for every image.
    qtbot.waitUntil(lambda: draw.plan is not None and draw.session.frame is not None, timeout=10000)
    np.testing.assert_allclose(draw.plan.embedding[0], expected, atol=1e-6)

    pad.erasing = True
    pad.stroke([(80, 60), (140, 100)])
    draw.refresh()
    assert not np.allclose(window.state.embedding, first)
    assert pad.undo() and pad.can_undo()
    draw.refresh()
    np.testing.assert_allclose(window.state.embedding, first, atol=1e-6)   # undo brings the code back
    pad.clear()
    assert pad.is_blank()
    draw.shutdown()


def test_a_web_address_dropped_on_the_pad_is_refused_with_a_message(open_window, qtbot, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent
    window = open_window(write_digit_autoencoder(tmp_path / "ae.pt"))
    draw = window.picture_tools.draw
    window.tabs.setCurrentWidget(draw)
    draw.pad.stroke([(80, 60), (140, 100)])
    before = draw.pad.model_view().copy()
    messages, dropped = [], []
    draw.message.connect(messages.append)
    draw.pad.picture_dropped.connect(dropped.append)
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.org/digit.png")])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    draw.pad.dropEvent(drop)
    assert dropped == [] and len(messages) == 1 and "nothing is downloaded" in messages[0]
    np.testing.assert_array_equal(draw.pad.model_view(), before)      # the drawing is kept
    draw.shutdown()


def test_complete_keeps_the_rows_above_the_line_exactly(open_window, qtbot, tmp_path):
    window = open_window(write_class_model(tmp_path / "m.pt"))
    draw = window.picture_tools.draw
    window.tabs.setCurrentWidget(draw)
    picture = np.random.default_rng(3).integers(0, 256, (1, 6, 7), dtype=np.uint8)
    draw.pad.set_model_picture(picture)
    np.testing.assert_array_equal(draw.pad.model_view(), picture)     # the pad round-trips a picture
    draw.pad.set_keep_rows(4)
    draw.count.setValue(3)
    window.state.update(class_index=2, seed=5)
    draw.complete.click()
    qtbot.waitUntil(lambda: draw.session.frame is not None and draw.session.frame.state == "done", timeout=20000)
    images = draw.session.frame.image
    assert images.shape == (3, 1, 6, 7)
    for image in images:
        np.testing.assert_array_equal(image[:, :4], picture[:, :4])
    assert draw.plan.class_ids == (2, 2, 2) and draw.plan.columns == 3
    assert len({image[:, 4:].tobytes() for image in images}) > 1     # the rest is sampled, differently
    # The same plan sampled by the core gives the same completions (the run is an ordinary run).
    from pixelcnn_studio.core.sampling import SampleStream
    expected = SampleStream(window.loaded.model, 3, **completion_plan(picture, 4, 3, class_id=2, seed=5)
                            .sampler_arguments()).run()
    np.testing.assert_array_equal(images, expected.numpy())


def test_dragging_the_line_sets_the_rows_kept(open_window, qtbot, tmp_path):
    window = open_window(write_class_model(tmp_path / "m.pt", size=(10, 10)))
    draw = window.picture_tools.draw
    window.tabs.setCurrentWidget(draw)
    pad = draw.pad
    pad.set_keep_rows(5)
    target = pad._target()
    x = int(target.center().x())
    y_line = int(pad._line_y())
    qtbot.mousePress(pad, qtbot_left(), pos=point(x, y_line))
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtCore import QEvent, QPointF, Qt
    move = QMouseEvent(QEvent.Type.MouseMove, QPointF(x, target.top() + target.height() * 0.8),
                       Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    pad.mouseMoveEvent(move)
    qtbot.mouseRelease(pad, qtbot_left(), pos=point(x, int(target.top() + target.height() * 0.8)))
    assert pad.keep_rows == 8
    assert pad.is_blank()                                               # dragging the line draws nothing


def qtbot_left():
    from PySide6.QtCore import Qt
    return Qt.MouseButton.LeftButton


def point(x, y):
    from PySide6.QtCore import QPoint
    return QPoint(x, y)


def scored_on_surprise_tab(open_window, qtbot, tmp_path, seed: int):
    """A small class model open, a random 8x8 picture scored on its Surprise tab: (path, tab, picture)."""
    path = write_class_model(tmp_path / "m.pt", size=(8, 8))
    window = open_window(path)
    tab = window.picture_tools.surprise
    window.tabs.setCurrentWidget(tab)
    picture = tmp_path / "p.png"
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (8, 8), dtype=np.uint8)).save(picture)
    tab.score(str(picture), "p.png")
    qtbot.waitUntil(lambda: tab.result is not None, timeout=10000)
    return path, tab, picture


def test_surprise_tab_shows_what_the_command_computes(open_window, qtbot, tmp_path):
    path, tab, picture = scored_on_surprise_tab(open_window, qtbot, tmp_path, seed=0)
    _, expected = score_picture(load_checkpoint(path), str(picture))
    torch.testing.assert_close(tab.result.bits, expected.bits)
    assert f"{expected.bits_per_dim:.3f} bits/dim" in tab.headline.text()
    assert "p(class | picture)" in tab.posterior.text()
    assert not tab.map.pixmap().isNull() and tab.map.pixmap().width() > tab.map.pixmap().height()

    # The drawing can be scored too; a bad picture is one message, and the last result stays.
    tab.score(b"not a picture", "junk")
    qtbot.waitUntil(lambda: "Cannot" in tab.headline.text(), timeout=10000)
    torch.testing.assert_close(tab.result.bits, expected.bits)


@pytest.mark.parametrize("size", [(1280, 720)])
def test_draw_tab_fits_a_projector_in_presentation_mode(open_window, qtbot, tmp_path, size):
    window = open_window(write_class_model(tmp_path / "m.pt", size=(28, 28)))
    window.resize(*size)
    window.tabs.setCurrentWidget(window.picture_tools.draw)
    window.set_presentation(True)
    qtbot.wait(50)
    draw = window.picture_tools.draw
    assert draw.pad.width() >= 160 and draw.complete.isVisible()
    assert window.minimumSizeHint().width() <= size[0] and window.minimumSizeHint().height() <= size[1]
    window.set_presentation(False)
    assert PAD_SCALE * 28 == draw.pad.image.width()


def test_draw_and_surprise_keys_act_on_their_tab_only_and_never_from_a_field(open_window, qtbot, tmp_path):
    from PySide6.QtCore import Qt
    window = open_window(write_digit_autoencoder(tmp_path / "ae.pt"))
    tools = window.picture_tools
    draw, pad = tools.draw, tools.draw.pad
    window.show()
    qtbot.waitExposed(window)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert window.tabs.currentWidget() is draw
    window.focus_view()
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_E)
    assert pad.erasing and draw.eraser.isChecked() and not draw.pen.isChecked()   # one tool, shown pressed
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_P)
    assert not pad.erasing and draw.pen.isChecked() and not draw.eraser.isChecked()
    size = draw.size.value()
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_BracketRight)
    assert draw.size.value() == size + 1 and pad.pen_size == size + 1
    pad.stroke([(80, 60), (150, 220)])
    assert not pad.is_blank() and draw.undo.isEnabled()
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert pad.is_blank()
    pad.stroke([(80, 60), (150, 220)])
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_Delete)
    assert pad.is_blank()

    # In a number field the keys are the field's: nothing happens to the pad or the tool.
    pad.stroke([(80, 60), (150, 220)])
    drawn = pad.pad_array().copy()
    draw.count.setFocus()
    qtbot.waitUntil(lambda: window.focusWidget() is draw.count)
    for key, modifiers in ((Qt.Key.Key_E, Qt.KeyboardModifier.NoModifier),
                           (Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier),
                           (Qt.Key.Key_BracketLeft, Qt.KeyboardModifier.NoModifier),
                           (Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)):
        qtbot.keyClick(draw.count, key, modifiers)
    started = draw.plan
    qtbot.keyClick(draw.count, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert not pad.erasing and draw.size.value() == size + 1
    np.testing.assert_array_equal(pad.pad_array(), drawn)
    assert draw.plan is started or draw.plan is None or draw.plan.prefix_pixels == 0   # no completion started

    # Off the Draw tab its keys are not live: E on the Sampling tab leaves the pad's tool alone.
    qtbot.keyClick(window, Qt.Key.Key_F2)
    window.focus_view()
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_E)
    assert not pad.erasing
    qtbot.keyClick(window, Qt.Key.Key_F6)
    assert window.tabs.currentWidget() is tools.surprise
    window.focus_view()
    calls = []
    tools.surprise.score = lambda source, name: calls.append(name)
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_D)
    assert calls == ["the drawing"]
    draw.shutdown()


def test_the_shortcut_sheet_lists_the_draw_and_surprise_keys():
    from pixelcnn_studio.gui.shell.help import SHORTCUTS
    from pixelcnn_studio.gui.shell.picture_tools import DRAW_KEYS, SURPRISE_KEYS
    from PySide6.QtGui import QKeySequence
    listed = {part for keys, _ in SHORTCUTS for part in keys.split(", ")}
    assert {"F5", "F6"} <= listed
    for _name, _text, key, _slot in DRAW_KEYS + SURPRISE_KEYS:
        assert QKeySequence(key).toString(QKeySequence.SequenceFormat.PortableText) in listed, key


def test_surprise_maps_share_one_colour_scale(open_window, qtbot, tmp_path):
    """Two pictures' maps compare: a pixel's colour depends on its bits alone, yellow from 8 bits on."""
    from pixelcnn_studio.gui.pictures.surprise_tab import SCALE_BITS
    from pixelcnn_studio.render.surprise_map import heat_rgb
    _path, tab, _picture = scored_on_surprise_tab(open_window, qtbot, tmp_path, seed=1)
    shown = tab.map.pixmap().toImage()
    scale = shown.height() // 8
    bits = tab.result.bits_per_pixel.numpy()
    expected = heat_rgb(bits, SCALE_BITS)
    for row, col in ((0, 0), (3, 5), (7, 7)):
        colour = shown.pixelColor((9 + col) * scale + scale // 2, row * scale + scale // 2)   # after picture and gap
        assert (colour.red(), colour.green(), colour.blue()) == tuple(int(v) for v in expected[row, col])
    assert "8 bits" in tab.scale_high.text() and not tab.scale_bar.pixmap().isNull()
