"""The Studio app, driven as a user would: offscreen, on tiny random checkpoints written per test."""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch

pytest.importorskip("pytestqt")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from pixelcnn_studio import ModelConfig, SampleStream, build_model, sample, save_checkpoint  # noqa: E402
from pixelcnn_studio.core.export import frame_schedule, make_grid  # noqa: E402

CLASSES = ["circle", "square", "triangle"]


def write_model(path, *, channels=1, size=(5, 6), classes=CLASSES, hidden=8, layers=2, seed=0):
    torch.manual_seed(seed)
    cfg = ModelConfig(image_size=size, channels=channels, hidden=hidden, layers=layers, kernel_size=3,
                      num_classes=len(classes) if classes else 0)
    save_checkpoint(path, build_model(cfg), class_names=classes, dataset={"name": "shapes"},
                    metrics={"test_bits_per_dim": 4.25})
    return path


@pytest.fixture
def ckpt(tmp_path):
    return write_model(tmp_path / "shapes.pt")


def wait_state(qtbot, window, *states, timeout=10000):
    qtbot.waitUntil(lambda: window.session.state in states, timeout=timeout)


def run_to_end(qtbot, window, *, n=4, class_index=0, seed=0):
    window.controls.batch.setValue(n)
    window.select_class(class_index)
    window.controls.seed.setValue(seed)
    window.controls.start.click()
    wait_state(qtbot, window, "done")
    return window.session.frame


def drop_file(window, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)


# -- opening and sampling ------------------------------------------------------------------------

def test_window_opens_on_model_and_run_matches_sample(open_window, qtbot, ckpt):
    window = open_window(ckpt)
    assert "shapes.pt" in window.windowTitle()
    assert window.conditioning.class_names == CLASSES
    assert "4.250" in window.models.card.text()
    frame = run_to_end(qtbot, window, n=4, class_index=2, seed=11)
    expected = sample(window.loaded.model, 4, class_ids=torch.full((4,), 2), seed=11)
    assert frame.image.shape == (4, 1, 5, 6)
    np.testing.assert_array_equal(frame.image, expected.numpy())
    assert frame.done_steps == frame.total == 30
    assert window.controls.start.text() == "Start"
    assert window.stats.progress.value() == 1000
    assert window.canvas.hint == ""                    # the "preparing" hint went with the first frame


def test_colour_model_one_row_per_class_matches_sample(open_window, qtbot, tmp_path):
    window = open_window(write_model(tmp_path / "colour.pt", channels=3, size=(4, 4)))
    window.conditioning.per_row.setChecked(True)
    window.controls.batch.setValue(6)
    window.controls.seed.setValue(3)
    window.controls.start.click()
    wait_state(qtbot, window, "done")
    frame = window.session.frame
    ids = torch.arange(6) // 2 % 3        # two images of each class, one row each (as `sample --class all`)
    expected = sample(window.loaded.model, 6, class_ids=ids, seed=3)
    np.testing.assert_array_equal(frame.image, expected.numpy())
    assert window.canvas.columns == 2
    assert frame.total == 4 * 4 * 3


def test_pause_step_stop_restart(open_window, qtbot, ckpt):
    window = open_window(ckpt)
    window.controls.set_speed_value(20)
    window.controls.batch.setValue(2)
    window.controls.seed.setValue(5)
    window.controls.start.click()
    qtbot.waitUntil(lambda: window.session.frame is not None and window.session.frame.done_steps >= 2)
    window.controls.start.click()                       # Pause
    wait_state(qtbot, window, "paused")
    assert window.controls.start.text() == "Resume"
    paused_at = window.session.frame.done_steps
    qtbot.wait(250)
    assert window.session.frame.done_steps == paused_at
    window.controls.step.click()                        # exactly one sub-pixel
    qtbot.waitUntil(lambda: window.session.frame.done_steps == paused_at + 1)
    assert window.session.frame.step_index == paused_at
    qtbot.wait(150)
    assert window.session.frame.done_steps == paused_at + 1
    window.controls.start.click()                       # Resume
    wait_state(qtbot, window, "running")
    window.controls.stop.click()
    wait_state(qtbot, window, "stopped")
    stopped_at = window.session.frame.done_steps
    qtbot.wait(200)
    assert window.session.frame.done_steps == stopped_at < 30
    assert not window.controls.stop.isEnabled()
    window.controls.set_speed_value(None)
    old_run = window.session.run_id
    window.controls.restart.click()                     # from scratch, same seed
    assert window.session.run_id == old_run + 1
    wait_state(qtbot, window, "done")
    expected = sample(window.loaded.model, 2, class_ids=torch.zeros(2, dtype=torch.long), seed=5)
    np.testing.assert_array_equal(window.session.frame.image, expected.numpy())


def test_step_from_idle_samples_one_subpixel(open_window, qtbot, ckpt):
    window = open_window(ckpt)
    window.controls.batch.setValue(3)
    window.step()
    qtbot.waitUntil(lambda: window.session.frame is not None and window.session.frame.done_steps == 1)
    assert window.session.state == "paused"
    assert window.distribution.last is not None         # the distribution of that sub-pixel is shown


def test_changing_class_mid_run_restarts_with_the_new_class(open_window, qtbot, ckpt):
    window = open_window(ckpt)
    window.controls.set_speed_value(30)
    window.controls.batch.setValue(2)
    window.controls.seed.setValue(9)
    window.controls.start.click()
    qtbot.waitUntil(lambda: window.session.frame is not None and window.session.frame.done_steps >= 2)
    run = window.session.run_id
    window.select_class(1)
    assert window.session.run_id == run + 1
    window.controls.set_speed_value(None)
    wait_state(qtbot, window, "done")
    expected = sample(window.loaded.model, 2, class_ids=torch.ones(2, dtype=torch.long), seed=9)
    np.testing.assert_array_equal(window.session.frame.image, expected.numpy())
    assert "square" in window.headline.text()


def test_closing_mid_run_exits_cleanly(open_window, qtbot, tmp_path, qtlog):
    window = open_window(write_model(tmp_path / "big.pt", size=(24, 24), hidden=16, layers=3))
    window.controls.batch.setValue(16)
    window.controls.set_speed_value(200)           # still running when the window closes, however fast
    window.controls.start.click()
    qtbot.waitUntil(lambda: window.session.state == "running" and window.session.frame.done_steps > 5)
    worker = window.session.worker
    started = time.perf_counter()
    window.close()
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"closing took {elapsed:.2f} s"
    assert worker.isFinished()
    assert not any("Destroyed while thread" in r.message for r in qtlog.records)


def test_switching_model_mid_run_stops_the_run(open_window, qtbot, ckpt, tmp_path):
    window = open_window(ckpt)
    window.controls.set_speed_value(20)
    window.controls.start.click()
    wait_state(qtbot, window, "running")
    worker = window.session.worker
    other = write_model(tmp_path / "other.pt", classes=None)
    with qtbot.waitSignal(window.model_loaded, timeout=10000):
        window.open_checkpoint(other)
    assert worker.isFinished()
    assert window.session.state == "idle"
    assert "unconditional" in window.conditioning.note.text()
    assert not window.conditioning.combo.isVisible()


# -- loading: drops, bad files, the open command -----------------------------------------------------

def test_dropping_a_checkpoint_loads_it(open_window, qtbot, ckpt, tmp_path):
    window = open_window(ckpt)
    other = write_model(tmp_path / "dropped.pt", channels=3, size=(4, 4))
    with qtbot.waitSignal(window.model_loaded, timeout=10000):
        drop_file(window, other)
    assert window.loaded.config.channels == 3
    assert "dropped.pt" in window.windowTitle()


@pytest.mark.parametrize("kind", ["corrupt", "foreign", "image"])
def test_dropping_a_bad_file_shows_the_error_and_keeps_the_model(open_window, qtbot, ckpt, tmp_path, kind):
    window = open_window(ckpt)
    if kind == "corrupt":
        bad = tmp_path / "broken.pt"
        bad.write_bytes(ckpt.read_bytes()[:2000])
    elif kind == "foreign":
        bad = tmp_path / "foreign.pt"
        torch.save({"weights": torch.zeros(3)}, bad)
    else:
        bad = tmp_path / "photo.png"
        Image.new("RGB", (8, 8)).save(bad)
    with qtbot.waitSignal(window.load_failed, timeout=10000):
        drop_file(window, bad)
    assert window.banner.isVisible()
    assert bad.name in window.banner.text.text()
    assert "shapes.pt stays loaded" in window.banner.text.text()
    assert window.loaded.path == str(ckpt)
    assert "shapes.pt" in window.windowTitle()
    frame = run_to_end(qtbot, window, n=1)           # and the kept model still samples
    assert frame.image.shape == (1, 1, 5, 6)


def test_open_command_shows_a_window_at_once_then_the_app_on_that_path(qtbot, ckpt, models_dir, monkeypatch):
    from pixelcnn_studio import cli
    from pixelcnn_studio.gui.shell.main_window import MainWindow
    from pixelcnn_studio.gui.shell.startup import StartupWindow
    threads = torch.get_num_threads()
    monkeypatch.setattr(QApplication, "exec", lambda self=None: 0)    # build everything, skip the loop

    def shown(kind):
        return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    try:
        assert cli.main(["open", str(ckpt), "--device", "cpu", "--threads", "2"]) == 0
        # The start-up window is on screen before torch and the model have been dealt with.
        assert shown(StartupWindow) and "Loading" in shown(StartupWindow)[-1].status.text()
        splash = shown(StartupWindow)[-1]
        qtbot.waitUntil(lambda: bool(shown(MainWindow)) and shown(MainWindow)[-1].loaded is not None, timeout=20000)
        window = shown(MainWindow)[-1]
        assert not shown(StartupWindow)                   # it made way for the main window
        # In its very place, no jump (only as large as the studio's own minimum size allows: the
        # offscreen test screen is smaller than any real one). The start-up window may have been
        # centred again once its real frame was known: where it was last is what counts.
        first_place = splash.geometry()
        assert window.geometry().topLeft() == first_place.topLeft()
        assert window.size() == first_place.size().expandedTo(window.minimumSize())
        assert window.loaded.path == str(ckpt)
        assert window.devices.device.type == "cpu" and window.devices.threads == 2
        window.close()
    finally:
        torch.set_num_threads(threads)


def test_open_command_with_a_missing_file_is_one_line(capsys, tmp_path):
    from pixelcnn_studio import cli
    threads = torch.get_num_threads()
    try:
        assert cli.main(["open", str(tmp_path / "nope.pt")]) != 0
    finally:
        torch.set_num_threads(threads)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope.pt" in err[0] and "no such file" in err[0]


def test_no_bundled_models_shows_an_empty_state(open_window, qtbot):
    window = open_window(None)
    assert window.loaded is None
    assert "no bundled models" in window.canvas._message.lower()
    texts = [window.models.list.item(i).text() for i in range(window.models.list.count())]
    assert any("No bundled models yet" in t for t in texts)
    assert window.actions_by_name["open"].isEnabled()
    window.controls.start.click()                    # nothing to run: a message, not a crash
    assert window.banner.isVisible()


def test_bundled_models_are_listed_and_the_default_is_opened(open_window, qtbot, models_dir):
    write_model(models_dir / "fashion-mnist.pt")
    write_model(models_dir / "emoji.pt", channels=3, size=(4, 4))
    window = open_window(None)
    qtbot.waitUntil(lambda: window.loaded is not None, timeout=10000)
    assert window.loaded.path.endswith("fashion-mnist.pt")
    texts = [window.models.list.item(i).text().split("\n")[0] for i in range(window.models.list.count())]
    assert "emoji" in texts and "fashion-mnist" in texts
    # Each listed model gets a one-line summary under its name, read off the GUI thread.
    qtbot.waitUntil(lambda: any("4×4 RGB · 3 classes · 4.25 bits/dim" in window.models.list.item(i).text()
                                for i in range(window.models.list.count())))
    item = next(window.models.list.item(i) for i in range(window.models.list.count())
                if window.models.list.item(i).text().startswith("emoji"))
    with qtbot.waitSignal(window.model_loaded, timeout=10000):
        window.models.list.itemClicked.emit(item)
    assert window.loaded.config.channels == 3


# -- inspecting, rewinding, exporting ------------------------------------------------------------------

def test_hover_shows_value_probability_and_bits(open_window, qtbot, ckpt):
    window = open_window(ckpt)
    frame = run_to_end(qtbot, window, n=4, seed=2)
    canvas = window.canvas
    geo = canvas._geometry()
    tile = canvas._tile_rect(1, geo)
    scale = geo[2]
    pos = QPoint(int(tile.left() + 3.5 * scale), int(tile.top() + 2.5 * scale))    # sample 2, pixel (2, 3)
    qtbot.mouseMove(canvas, pos)
    qtbot.waitUntil(lambda: "pixel (2, 3)" in window.stats.hover.text())
    index = 2 * 6 + 3
    lp = float(frame.log_probs[index, 1])
    text = window.stats.hover.text()
    assert "Sample 2" in text
    assert f"{int(frame.image[1, 0, 2, 3]):3d}" in text
    assert f"p = {np.exp(lp):.3f}" in text and f"{-lp / np.log(2):.2f} bits" in text


def test_rewind_shows_earlier_images_and_resample_forks(open_window, qtbot, ckpt):
    from pixelcnn_studio.gui.common.canvas import image_before_step
    window = open_window(ckpt)
    frame = run_to_end(qtbot, window, n=3, seed=4)
    window.timeline.set_value(10)
    assert window.canvas._done == 10
    np.testing.assert_array_equal(window.canvas._image, image_before_step(frame.image, 10))
    window.timeline.resample_requested.emit(10)
    new_seed = window.controls.seed.value()
    qtbot.waitUntil(lambda: window.session.frame.seed == new_seed and window.session.state == "done")
    new = window.session.frame
    reference = SampleStream(window.loaded.model, 3, class_ids=torch.zeros(3, dtype=torch.long), seed=4)
    reference.run()
    reference.fork(10, seed=new_seed)
    np.testing.assert_array_equal(new.image, reference.run().numpy())
    np.testing.assert_array_equal(image_before_step(new.image, 10), image_before_step(frame.image, 10))
    assert window.timeline.following


def test_export_png_gif_npy(open_window, qtbot, ckpt, tmp_path):
    from pixelcnn_studio.gui.common.export_actions import export_current, png_scale
    window = open_window(ckpt)
    frame = run_to_end(qtbot, window, n=4, seed=1)
    png = export_current(window, "png", str(tmp_path / "grid.png"))
    expected = make_grid(frame.image, columns=2, scale=png_scale(5, 6))
    with Image.open(png) as img:
        assert img.size == (expected.shape[1], expected.shape[0])
        np.testing.assert_array_equal(np.asarray(img.convert("RGB")), expected)
    gif = export_current(window, "gif", str(tmp_path / "run.gif"))
    with Image.open(gif) as img:
        assert img.n_frames == len(frame_schedule(frame.total, 120))
    npy = export_current(window, "npy", str(tmp_path / "raw.npy"))
    np.testing.assert_array_equal(np.load(npy), frame.image)
    assert not list(tmp_path.glob(".*"))              # no temporary files left behind


def test_export_before_any_run_says_so(open_window, qtbot, ckpt, tmp_path):
    from pixelcnn_studio.gui.common.export_actions import export_current
    window = open_window(ckpt)
    assert export_current(window, "png", str(tmp_path / "x.png")) is None
    assert "Nothing to export" in window.banner.text.text()


# -- responsiveness -------------------------------------------------------------------------------------

def test_event_loop_stays_responsive_while_sampling(open_window, qtbot, tmp_path):
    window = open_window(write_model(tmp_path / "big.pt", size=(32, 32), hidden=32, layers=4))
    window.controls.batch.setValue(16)
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    window.controls.start.click()
    qtbot.waitUntil(lambda: window.session.state == "running")
    last[0] = time.perf_counter()
    timer.start()
    qtbot.wait(1500)
    timer.stop()
    frames_seen = window.session.frame.done_steps
    still_running = window.session.state == "running"
    window.stop()
    worst = max(gaps) * 1000
    print(f"\nevent loop while sampling: worst stall {worst:.1f} ms over {len(gaps)} ticks, "
          f"{frames_seen} sub-pixels sampled, {'still' if still_running else 'no longer'} running")
    assert frames_seen > 20
    assert worst < 100, f"event loop stalled {worst:.1f} ms"


def test_qt_bindings_keep_none_alive():
    """PySide6 6.12.0 on Python < 3.12 drops a reference to None per void call: the app would die."""
    import sys
    from PySide6.QtWidgets import QLabel
    label = QLabel()
    before = sys.getrefcount(None)
    for _ in range(200):
        label.setText("x")
    assert sys.getrefcount(None) - before >= -20


# -- the rest of the window ------------------------------------------------------------------------------

def test_presentation_mode_theme_and_settings(open_window, qtbot, ckpt):
    from pixelcnn_studio.gui.common import settings
    window = open_window(ckpt)
    window.actions_by_name["presentation"].trigger()
    assert window.presenting and not window.left.isVisible() and window.canvas.isVisible()
    window.actions_by_name["class_2"].trigger()          # number keys pick a class
    assert window.conditioning.combo.currentIndex() == 1
    window.actions_by_name["leave_presentation"].trigger()
    assert not window.presenting and window.left.isVisible()
    before = settings.get("view/theme")
    window.actions_by_name["toggle_theme"].trigger()
    assert settings.get("view/theme") != before
    assert str(ckpt.resolve()) in settings.recent_files()
    assert settings.get("models/last") == str(ckpt.resolve())


def test_help_dialogs_are_not_modal(open_window, qtbot, ckpt):
    window = open_window(ckpt)
    window.actions_by_name["about"].trigger()
    window.actions_by_name["shortcuts"].trigger()
    dialogs = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not window
               and w.windowTitle() in ("About PixelCNN Studio", "Keyboard shortcuts")]
    assert len(dialogs) == 2 and not any(d.isModal() for d in dialogs)
    about = next(d for d in dialogs if d.windowTitle().startswith("About"))
    from PySide6.QtWidgets import QLabel
    text = " ".join(label.text() for label in about.findChildren(QLabel))
    assert "Conditional Image Generation with PixelCNN Decoders" in text and "NIPS 2016" in text
    for d in dialogs:
        d.close()


def test_install_desktop_writes_a_launcher(tmp_path, monkeypatch):
    from pixelcnn_studio import cli
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert cli.main(["install-desktop"]) == 0
    entry = tmp_path / "data" / "applications" / "pixelcnn-studio.desktop"
    text = entry.read_text()
    assert text.startswith("[Desktop Entry]") and "Name=PixelCNN Studio" in text
    icon = next(line.split("=", 1)[1] for line in text.splitlines() if line.startswith("Icon="))
    with Image.open(icon) as img:
        assert img.size == (256, 256)


def test_receptive_field_tab_follows_the_loaded_model(open_window, qtbot, ckpt, tmp_path):
    window = open_window(ckpt)
    assert window.explorer is None                    # built only when first shown
    window.actions_by_name["tab_explorer"].trigger()
    assert window.explorer is not None
    qtbot.waitUntil(window.explorer.isVisible)
    assert window.explorer._config.height == 5
    with qtbot.waitSignal(window.model_loaded, timeout=10000):
        window.open_checkpoint(write_model(tmp_path / "wide.pt", size=(4, 7)))
    assert window.explorer._config.width == 7
    window.actions_by_name["tab_sampling"].trigger()
    assert window.canvas.isVisible()


def test_start_after_a_finished_run_gives_new_images_and_restart_repeats(open_window, qtbot, ckpt):
    window = open_window(ckpt)
    first = run_to_end(qtbot, window, n=2, seed=20)
    window.controls.start.click()
    qtbot.waitUntil(lambda: window.session.frame is not None and window.session.frame.seed == 21
                    and window.session.state == "done")
    assert window.controls.seed.value() == 21
    window.controls.seed.setValue(20)
    window.restart()
    qtbot.waitUntil(lambda: window.session.frame is not None and window.session.state == "done")
    np.testing.assert_array_equal(window.session.frame.image, first.image)


def test_opening_a_bad_file_with_no_model_shows_the_error_and_the_empty_state(open_window, qtbot, tmp_path):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"\x00" * 100)
    window = open_window(bad)
    qtbot.waitUntil(lambda: window.loader is None)
    assert window.loaded is None and window.banner.isVisible()
    assert "broken.pt" in window.banner.text.text()
    assert "No model loaded" in window.canvas._message


def test_speed_limit_and_temperature_change_mid_run(open_window, qtbot, ckpt):
    window = open_window(ckpt)
    window.controls.set_speed_value(10)
    assert window.controls.speed_label.text() == "10/s"
    window.controls.batch.setValue(2)
    window.controls.seed.setValue(6)
    window.controls.start.click()
    qtbot.waitUntil(lambda: window.session.frame is not None and window.session.frame.done_steps >= 1)
    qtbot.wait(500)
    assert window.session.frame.done_steps <= 9                     # about 10 sub-pixels a second
    window.controls.start.click()                                   # pause, then a cooler temperature
    wait_state(qtbot, window, "paused")
    at = window.session.frame.done_steps
    window.controls.temperature.setValue(0.5)
    qtbot.waitUntil(lambda: window.session.frame.temperature == 0.5)
    assert window.session.state == "paused" and window.session.frame.done_steps == at
    window.controls.set_speed_value(None)
    window.controls.start.click()
    wait_state(qtbot, window, "done")
    reference = SampleStream(window.loaded.model, 2, class_ids=torch.zeros(2, dtype=torch.long), seed=6)
    for _ in range(at):
        reference.step()
    reference.fork(at, temperature=0.5)
    np.testing.assert_array_equal(window.session.frame.image, reference.run().numpy())


def test_left_arrow_looks_back_and_end_returns_to_live(open_window, qtbot, ckpt):
    window = open_window(ckpt)
    frame = run_to_end(qtbot, window, n=2, seed=3)
    window.actions_by_name["step_back"].trigger()
    window.actions_by_name["step_back"].trigger()
    assert window.timeline.value == frame.total - 2 and window.canvas._done == frame.total - 2
    window.actions_by_name["live"].trigger()
    assert window.timeline.following and window.canvas._done == frame.total


def test_canvas_draws_colour_pixels_sub_pixel_by_sub_pixel(qtbot):
    from pixelcnn_studio.gui.common.canvas import SampleCanvas
    canvas = SampleCanvas()
    qtbot.addWidget(canvas)
    canvas.set_layout(2, 3, 2, 2)
    image = np.full((2, 3, 2, 2), 200, dtype=np.uint8)
    canvas.set_frame(image, done_steps=2, highlight=1)   # pixel (0, 0): R and G sampled, B not yet
    rgb = canvas._rgb.reshape(2, 2, 2, 3)
    pending = rgb[0, 1, 1].copy()
    assert rgb[0, 0, 0].tolist() == [200, 200, 200]      # the live image holds the values sampled so far
    canvas.set_frame(np.where(np.arange(3)[None, :, None, None] < 2, image, 0).astype(np.uint8), 2, 1)
    rgb = canvas._rgb.reshape(2, 2, 2, 3)
    assert rgb[0, 0, 0].tolist() == [200, 200, 0]         # a half-sampled pixel shows its channels so far
    assert rgb[1, 0, 0].tolist() == [200, 200, 0]
    # Later pixels: the pending checker, alternating like a chessboard.
    assert rgb[0, 0, 1].tolist() == rgb[0, 1, 0].tolist() != pending.tolist()
    canvas.resize(300, 200)
    assert canvas.grab().width() > 0                      # and it paints


def test_a_model_with_few_levels_is_drawn_full_range(open_window, qtbot, tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "binary.pt"
    save_checkpoint(path, build_model(ModelConfig(image_size=(4, 4), levels=2, hidden=8, layers=2, kernel_size=3)))
    window = open_window(path)
    frame = run_to_end(qtbot, window, n=2)
    assert set(np.unique(frame.image)) <= {0, 1}
    assert set(np.unique(window.canvas._rgb)) <= {0, 255}


def test_first_launch_size_is_one_rule_for_every_screen():
    """The start-up window and the main window size themselves by the same rule: most of a large
    screen, the fixed first size where that is larger, so one replaces the other without a jump."""
    from PySide6.QtCore import QRect
    from pixelcnn_studio.gui.shell.presentation import FIRST_SIZE, first_size
    assert first_size(QRect(0, 0, 1920, 1050)) == (1632, 892)
    assert first_size(QRect(0, 0, 1280, 690)) == FIRST_SIZE        # clamped to the screen afterwards
    assert first_size(None) == FIRST_SIZE
