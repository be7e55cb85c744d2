"""The Train tab: the command it builds, the JSON lines it reads, and a real tiny run in a child process
started, paused, resumed, stopped and resumed again from the tab."""
import gc
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixelcnn_studio.gui.train.plan import RECIPES, TrainPlan, resume_arguments, run_folder
from pixelcnn_studio.gui.train.process import describe
from pixelcnn_studio.gui.train.record import RunRecord, open_run
from pixelcnn_studio.run_control import PROGRESS_FILE


def line(event, **fields):
    return json.dumps({"event": event, "time": time.time(), **fields})


def test_lines_fold_into_curves_figures_and_status(tmp_path):
    record = RunRecord(tmp_path)
    lines = [line("start", step=0, total_steps=100, class_names=["a", "b"]),
             line("progress", step=10, epoch=0.5, train_bpd=6.0, images_per_s=500.0, time_left_s=30.0),
             "not json at all", '{"no": "event"}', line("progress", step=20, train_bpd=float("nan")),
             line("eval", step=20, test_bpd=5.5, best_test_bpd=5.5),
             line("samples", path=str(tmp_path / "moved" / "step-0000020.png"), step=20),
             line("note", text="note: skipped 2 file(s)"), line("paused")]
    folded = [record.add_line(text) for text in lines]
    assert folded == [True, True, False, False, True, True, True, True, True] and record.bad_lines == 2
    assert record.train_curve == [(10, 6.0)]               # a NaN loss is no point on the curve
    assert record.test_curve == [(20, 5.5)] and record.best_test_bpd == 5.5
    assert record.step == 20 and record.images_per_s is None
    assert record.grid == tmp_path / "samples" / "step-0000020.png"     # found in the folder it is in now
    assert record.class_names == ["a", "b"] and record.status == "paused" and record.alive()
    record.add_line(line("scoring", images=10000))
    assert record.status == "scoring" and record.alive() and record.time_left_s is None
    record.add_line(line("end", stopped="signal", step=21))
    assert record.status == "stopped" and not record.alive()
    # A run whose time budget ran out did what it was asked: finished, not stopped.
    budgeted = RunRecord(tmp_path)
    budgeted.add_line(line("eval", step=30, test_bpd=2.95, best_test_bpd=2.95))
    assert "best 2.950 bits/dim" in describe(budgeted)
    budgeted.add_line(line("end", stopped="time budget", step=30, best_test_bpd=2.95, test_bpd_full=2.961,
                           test_images_full=10000))
    assert budgeted.status == "finished" and not budgeted.alive()
    # At the end the figure shown is the best weights' on the whole held-out split, not the curve's.
    assert "best 2.961 bits/dim on all 10,000 held-out" in describe(budgeted)
    assert "best 2.961 bits/dim" in describe(budgeted, short=True)


def test_news_of_the_moment_fades_and_other_notes_hold(tmp_path):
    from pixelcnn_studio.gui.train.record import NOTE_NEWS_S
    record = RunRecord(tmp_path)
    record.add_event({"event": "start", "time": 100.0, "step": 0})
    record.add_event({"event": "note", "time": 101.0, "text": "training step compiled (3 s for the first step)",
                      "fades": True})
    record.add_event({"event": "progress", "time": 101.0 + NOTE_NEWS_S - 1, "step": 50})
    assert record.current_note().startswith("training step compiled")
    record.add_event({"event": "progress", "time": 101.0 + NOTE_NEWS_S + 1, "step": 90})
    assert record.current_note() == ""              # minutes into the run it is no longer said
    record.add_event({"event": "note", "time": 200.0, "text": "note: 3 unreadable pictures skipped"})
    record.add_event({"event": "end", "time": 900.0, "step": 4000, "stopped": "time budget"})
    assert record.current_note() == "note: 3 unreadable pictures skipped"


def test_a_line_being_written_waits_for_its_end(tmp_path):
    (tmp_path / PROGRESS_FILE).write_text(line("start", step=0) + "\n" + line("progress", step=5)[:20])
    record, tail = open_run(tmp_path)
    assert record.step == 0 and record.status == "running"
    with open(tmp_path / PROGRESS_FILE, "a") as f:
        f.write(line("progress", step=5)[20:] + "\n")
    assert tail.poll() == 1 and record.step == 5


def test_the_tabs_commands_are_the_train_commands(tmp_path):
    from pixelcnn_studio.cli import build_parser
    from pixelcnn_studio.train.presets import PRESETS
    assert all(name in PRESETS for name, _ in RECIPES)
    plan = TrainPlan(data="folder:/pictures", out=tmp_path / "run", size=(32, 6), minutes=2.5, threads=2)
    args = build_parser().parse_args(plan.arguments())
    assert (args.data, args.preset, args.max_minutes, args.threads) == ("folder:/pictures", "cpu-quick", 2.5, 2)
    assert args.progress_json and args.sample_every > 0 and (args.hidden, args.layers) == (32, 6)
    assert args.eval_every_seconds > 0 and args.eval_limit > 0
    tuned = build_parser().parse_args(TrainPlan(data="mnist", out=tmp_path, init_from="m.pt", size=(32, 6)).arguments())
    assert tuned.init_from == "m.pt" and tuned.hidden is None         # a fine-tuned model keeps its size
    again = build_parser().parse_args(resume_arguments(tmp_path, 1))
    assert again.resume == "last" and again.progress_json
    first = run_folder(tmp_path, "folder:/some/My Pictures/", now=0)
    first.mkdir()
    assert first.name.startswith("My-Pictures-") and run_folder(tmp_path, "folder:/some/My Pictures/", now=0) != first


def _pictures(root: Path, classes=("a", "b"), count=24) -> Path:
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(rng.integers(0, 255, (8, 8), dtype=np.uint8), "L").save(root / name / f"{i}.png")
    return root


@pytest.fixture
def tab(qtbot, tmp_path):
    from pixelcnn_studio.gui.train.tab import TrainTab
    widget = TrainTab([], tmp_path / "runs", threads=1, max_threads=1)
    widget.recipe.setCurrentIndex(widget.recipe.findData("tiny"))
    widget.minutes.setValue(5)
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


def _status(tab):
    return tab.run.record.status if tab.run else None


def test_start_pause_resume_stop_and_resume_from_the_tab(tab, qtbot, tmp_path):
    tab.use_folder(str(_pictures(tmp_path / "pictures")))
    gc.unfreeze()
    tab.start_or_resume()
    assert not tab.setup.isEnabled() and tab.stop_button.isEnabled()
    assert gc.get_freeze_count() > 0          # the tab's objects are out of the full collections' walk
    gc.unfreeze()
    # The child trains nicer than the window, so that the window gets a CPU as soon as it needs one.
    if hasattr(os, "getpriority"):
        from pixelcnn_studio.gui.train.process import CHILD_NICENESS
        own = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, tab.run.process.processId()) == min(19, own + CHILD_NICENESS)
    qtbot.waitUntil(lambda: bool(tab.run.record.train_curve), timeout=60000)
    tab.toggle_pause()
    qtbot.waitUntil(lambda: _status(tab) == "paused", timeout=10000)
    step = tab.run.record.step
    qtbot.wait(1200)
    assert tab.run.record.step == step and tab.pause_button.text() == "Resume"
    tab.toggle_pause()
    qtbot.waitUntil(lambda: _status(tab) == "running" and tab.run.record.step > step, timeout=10000)
    tab.stop()
    qtbot.waitUntil(lambda: not tab.run.running(), timeout=30000)
    record = tab.run.record
    assert record.status == "stopped" and record.resumable() and tab.start_button.text() == "Resume"
    assert tab.open_button.isEnabled() == (record.best_checkpoint() is not None)
    stopped_at = record.step
    assert "step" in tab.figures.text()
    # The status line names the run, its path is in the tooltip (a projector shows no home folder).
    assert tab.status.text().startswith(tab.run.folder.name) and str(tab.run.folder.parent) not in tab.status.text()
    assert str(tab.run.folder) in tab.status.toolTip()

    # Reopened in a fresh tab (the window closed and came back): the same curves, and Resume goes on.
    from pixelcnn_studio.gui.train.tab import TrainTab
    again = TrainTab([], tmp_path / "runs", threads=1, max_threads=1)
    qtbot.addWidget(again)
    again.show_run(tab.run.folder)
    assert again.run.record.train_curve == record.train_curve and again.start_button.text() == "Resume"
    again.start_or_resume()
    qtbot.waitUntil(lambda: again.run.record.step > stopped_at, timeout=60000)
    opened = []
    again.open_requested.connect(opened.append)
    again.shutdown()                                   # what closing the window does: a resumable stop
    assert not again.run.running()
    assert again.run.record.status == "stopped" and (again.run.folder / "last.pt").is_file()
    again.open_best()
    assert opened == [str(again.run.folder / "best.pt")] or not (again.run.folder / "best.pt").exists()


def test_a_bad_folder_is_one_line_in_the_tab(tab, qtbot, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    tab.use_folder(str(empty))
    ended = []
    tab.start_or_resume()
    tab.run.ended.connect(lambda code, error: ended.append((code, error)))
    qtbot.waitUntil(lambda: bool(ended), timeout=60000)
    code, error = ended[0]
    assert code == 2 and "no files in image folder" in error and "\n" not in error
    assert tab.status.text() == error and tab.start_button.isEnabled()


def test_a_resumed_session_takes_the_curves_back_to_its_step(tmp_path):
    """A log that went on past the last save (a kill, logged by a version that did not trim): the session
    resumed from the save draws those steps again, and each shows once."""
    record = RunRecord(tmp_path)
    for text in [line("start", step=0), line("progress", step=5, train_bpd=6.0), line("eval", step=5, test_bpd=5.0,
                 best_test_bpd=5.0), line("progress", step=9, train_bpd=5.0),
                 line("eval", step=9, test_bpd=4.0, best_test_bpd=4.0),
                 line("start", step=5, resumed=True), line("progress", step=7, train_bpd=5.5)]:
        record.add_line(text)
    assert record.train_curve == [(5, 6.0), (7, 5.5)] and record.test_curve == [(5, 5.0)]
    assert record.best_test_bpd == 5.0 and record.step == 7


def test_a_log_replaced_under_the_tab_is_read_again(tmp_path):
    """A run resumed by the tab trims its log (a new file): the tab reads that one from its start."""
    from pixelcnn_studio.train.run_folder import trim_progress
    log = tmp_path / PROGRESS_FILE
    log.write_text("\n".join([line("start", step=0), line("progress", step=5, train_bpd=6.0),
                              line("progress", step=9, train_bpd=5.0)]) + "\n" + '{"event": "prog')
    (tmp_path / "last.pt").write_bytes(b"")
    record, tail = open_run(tmp_path)
    assert record.train_curve == [(5, 6.0), (9, 5.0)]
    record.status, record.launched = "starting", time.time()       # what the tab does as it resumes the run
    assert trim_progress(log, 5) == 2
    tail.poll()
    assert record.train_curve == [(5, 6.0)] and record.status == "starting"
    with open(log, "a") as f:
        f.write(line("start", step=5, resumed=True) + "\n" + line("progress", step=7, train_bpd=5.5) + "\n")
    assert tail.poll() == 2
    assert record.train_curve == [(5, 6.0), (7, 5.5)] and record.status == "running"
    # Begun afresh in the same folder (a file that may even reuse the old one's inode): read from its start.
    log.write_text(line("start", step=0) + "\n" + line("progress", step=1, train_bpd=8.0) + "\n")
    tail.poll()
    assert record.train_curve == [(1, 8.0)] and record.step == 1


def test_curves_grow_in_place_and_their_ranges_move_rarely(qtbot, tmp_path):
    from pixelcnn_studio.gui.train.views import Curves
    curves = Curves()
    qtbot.addWidget(curves.plot)
    record = RunRecord(tmp_path)
    box = curves.plot.getPlotItem().getViewBox()
    ranges = []
    for i in range(1, 301):
        record.train_curve.append((10 * i, 3.0 + 5.0 / i))      # falls fast, then slowly
        if i % 30 == 0:
            record.test_curve.append((10 * i, 3.1 + 5.0 / i))
        curves.show(record.train_curve, record.test_curve)
        (x0, x1), (y0, y1) = box.viewRange()
        if not ranges or ranges[-1] != (x1, y0, y1):
            ranges.append((x1, y0, y1))
        assert x0 <= 0 and x1 >= 10 * i and y0 <= 3.0 + 5.0 / i and y1 >= 8.0     # every point in view
    x, y = curves.train_line.getData()
    assert len(x) == 300 and x[-1] == 3000 and y[0] == 8.0
    assert len(ranges) < 40                      # the axes are drawn again on a few updates, not on each
    # The record drops points (a resumed session): the line starts over from its list.
    record._back_to(1000)
    curves.show(record.train_curve, record.test_curve)
    assert len(curves.train_line.getData()[0]) == 100 and box.viewRange()[0][1] < 3000


def test_a_new_grid_is_read_off_the_gui_thread(qtbot, tmp_path, monkeypatch):
    import threading
    from pixelcnn_studio.gui.train import views as grid_module
    readers = []
    read = grid_module.read_grid
    monkeypatch.setattr(grid_module, "read_grid",
                        lambda *a: readers.append(threading.current_thread()) or read(*a))
    picture = grid_module.GridPicture()
    qtbot.addWidget(picture)
    picture.resize(300, 200)
    path = tmp_path / "step-0000001.png"
    Image.fromarray(np.full((70, 70), 128, np.uint8), "L").save(path)
    with qtbot.waitSignal(picture.shown, timeout=10000) as shown:
        picture.show_file(path)
    assert shown.args == [path] and readers and readers[0] is not threading.main_thread()
    assert picture.pixmap().height() == picture.contentsRect().height()          # scaled to its room
    with qtbot.waitSignal(picture.missed, timeout=10000):
        picture.show_file(tmp_path / "gone.png")


def test_a_long_log_read_again_is_read_in_pieces(qtbot, tmp_path):
    """A log replaced under a running tab (the run trimmed it on resume) is read a piece per turn of the
    event loop, and the tab is told a few times, not once per piece."""
    from pixelcnn_studio.gui.train.process import CHUNK_BYTES, TrainRun
    log = tmp_path / PROGRESS_FILE
    lines = [line("start", step=0)] + [line("progress", step=i, train_bpd=5.0, pad="x" * 100)
                                       for i in range(1, 3001)]
    log.write_text("\n".join(lines) + "\n")
    run = TrainRun(tmp_path)
    assert len(run.record.train_curve) == 3000
    told = []
    run.changed.connect(lambda: told.append(len(run.record.train_curve)))
    replacement = tmp_path / "new.jsonl"
    replacement.write_text("\n".join(lines[:2001]) + "\n")
    replacement.replace(log)
    run.poll()
    assert run._tail.behind and len(run.record.train_curve) < CHUNK_BYTES // 100       # one piece so far
    qtbot.waitUntil(lambda: not run._tail.behind and bool(told), timeout=10000)
    assert told[-1] == 2000 and run.record.train_curve[-1][0] == 2000
    assert len(told) < log.stat().st_size // CHUNK_BYTES
    run.shutdown()


def test_the_figures_line_changes_without_laying_the_window_out(qtbot):
    """A new text every second is repainted only: a layout pass would repaint the whole plot beside it."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QVBoxLayout, QWidget
    from pixelcnn_studio.gui.common.elided import ElidedLabel, LiveLabel

    class Requests(QObject):
        count = 0

        def eventFilter(self, obj, event):
            self.count += event.type() == QEvent.Type.LayoutRequest
            return False

    kept = []

    def layouts(label) -> int:
        parent = QWidget()
        qtbot.addWidget(parent)
        kept.append(parent)
        QVBoxLayout(parent).addWidget(label)
        parent.show()
        qtbot.waitExposed(parent)
        qtbot.wait(20)
        watcher = Requests()
        parent.installEventFilter(watcher)
        for step in range(2, 7):
            label.setText(f"training  ·  step {step:,}  ·  {'x' * step}")
            qtbot.wait(10)
        return watcher.count

    live = LiveLabel("step 1")
    hint = live.sizeHint()
    assert layouts(live) == 0 and live.sizeHint() == hint
    assert live.text().endswith("x" * 6) and "step 6" in live.toolTip()
    assert layouts(ElidedLabel("step 1")) >= 5          # what a plain label costs


def _finished_run(folder: Path) -> Path:
    """A run folder as the train command leaves it: curves, a grid of samples, and its end."""
    (folder / "samples").mkdir(parents=True)
    grid = folder / "samples" / "step-0000040.png"
    Image.fromarray(np.zeros((17, 33), np.uint8), "L").save(grid)
    lines = [line("start", step=0, total_steps=40, class_names=["T-shirt/top", "Trouser"]),
             *(line("progress", step=s, total_steps=40, epoch=s / 20, images_per_s=96.0, time_left_s=10.0,
                    train_bpd=8.0 - s / 10) for s in range(1, 41)),
             line("eval", step=40, test_bpd=4.5, best_test_bpd=4.5),
             line("samples", step=40, path=str(grid)),
             line("end", step=40, best_test_bpd=4.5, stopped="finished")]
    (folder / PROGRESS_FILE).write_text("\n".join(lines) + "\n")
    return folder


def test_folded_the_curves_and_grid_get_the_room_and_the_controls_one_strip(tab, qtbot, tmp_path):
    """Presentation mode and Large text: what to train folds away; the run's buttons (icons; their words
    in tooltips) and the figures share one strip; the status line shows only a notice; the legend and
    the grid's title are short. Unfolded, all of it comes back as it was."""
    tab.show_run(_finished_run(tmp_path / "run"))
    tab.resize(1200, 600)
    tab.show()
    qtbot.waitExposed(tab)
    whole = tab.figures.text()
    plot_height = tab.plot.height()
    assert "images/s" not in whole and "best 4.500 bits/dim" in whole           # finished: no speed
    # The grid is read off the GUI thread: its title comes with it.
    qtbot.waitUntil(lambda: tab.grid_title.text().startswith("Samples at step 40: one per class, T-shirt/top"),
                    timeout=5000)
    assert not tab.grid.pixmap().isNull()

    tab.set_folded(True)
    qtbot.waitUntil(lambda: tab.plot.height() > plot_height, timeout=5000)
    assert not tab.setup.isVisible() and not tab.status.isVisible()
    assert tab.strip.indexOf(tab.figures) >= 0 and tab.figures.text() == whole
    middle = tab.figures.geometry().center().y()
    assert tab.start_button.geometry().top() <= middle <= tab.start_button.geometry().bottom()
    assert tab.start_button.text() == "Start"
    for button, word in ((tab.pause_button, "Pause"), (tab.stop_button, "Stop"),
                         (tab.open_button, "Open in Sampling"), (tab.open_run_button, "Open run…")):
        if not button.icon().isNull():
            assert button.text() == "" and button.toolTip().startswith(word) and button.accessibleName() == word
    assert tab.grid_title.text() == "Samples at step 40" and "Trouser" in tab.grid_title.toolTip()
    legend = tab.curves.legend
    assert [legend.getLabel(line).text for line in (tab.train_line, tab.test_line)] == ["training", "held-out (EMA)"]
    # A notice (here: no pictures chosen to start a new run) shows folded too.
    tab.start_or_resume()
    assert tab.status.isVisible() and tab.status.text().startswith("Choose the pictures first")

    tab.set_folded(False)
    # The figures on their own line under the buttons again, once the layout has settled.
    qtbot.waitUntil(lambda: tab.figures.geometry().top() > tab.start_button.geometry().bottom(), timeout=5000)
    assert tab.setup.isVisible() and tab.strip.indexOf(tab.figures) < 0 and tab.status.isVisible()
    assert tab.pause_button.text() == "Pause" and tab.open_run_button.text() == "Open run…"
    assert tab.grid_title.text().startswith("Samples at step 40: one per class")
    assert legend.getLabel(tab.train_line).text == "training (last second)"
