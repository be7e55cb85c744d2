"""Background jobs: one base, one registry, loads that can be cancelled, a window that closes at once."""
from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("pytestqt")

from pixelcnn_studio.gui.common import jobs  # noqa: E402
from test_gui import run_to_end, wait_state, write_model  # noqa: E402


@pytest.fixture
def ckpt(tmp_path):
    return write_model(tmp_path / "shapes.pt")


@pytest.fixture
def blocking_load(monkeypatch):
    """load_checkpoint that blocks on files named slow*.pt until the test ends (as reading a huge
    file from a slow disk does); other files load as usual."""
    from pixelcnn_studio.core import checkpoint
    release, entered = threading.Event(), threading.Event()
    real = checkpoint.load_checkpoint

    def slow(path, *args, **kwargs):
        if "slow" in str(path):
            entered.set()
            release.wait(30)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(checkpoint, "load_checkpoint", slow)
    yield entered
    release.set()


def no_thread_warnings(qtlog) -> bool:
    return not [r for r in qtlog.records if "QThread" in r.message or "thread" in r.message.lower()]


def test_a_function_job_reports_once_and_nothing_after_cancel(qtbot):
    results, gate = [], threading.Event()
    job = jobs.FunctionJob(lambda j: 6 * 7, name="answer")
    job.done.connect(results.append)
    with qtbot.waitSignal(job.finished):
        job.start()
    qtbot.waitUntil(lambda: results == [42])
    slow = jobs.FunctionJob(lambda j: gate.wait(10) and "late", name="slow")
    slow.done.connect(results.append)
    slow.start()
    assert slow in jobs.running_jobs()
    slow.cancel()
    assert slow in jobs.finishing_jobs()
    gate.set()
    qtbot.waitUntil(lambda: not slow.isRunning())
    qtbot.wait(50)
    assert results == [42] and slow not in jobs.running_jobs()
    failing = jobs.FunctionJob(lambda j: 1 / 0)
    with qtbot.waitSignal(failing.failed) as blocker:
        failing.start()
    assert "division" in blocker.args[0]


def test_closing_while_a_checkpoint_loads_returns_within_a_second(open_window, qtbot, ckpt, tmp_path, blocking_load,
                                                                  qtlog):
    window = open_window(ckpt)
    window.open_checkpoint(str(write_model(tmp_path / "slow.pt", seed=1)))
    assert blocking_load.wait(5)
    started = time.perf_counter()
    window.close()
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"closing took {elapsed:.2f} s"
    assert no_thread_warnings(qtlog)


def test_a_load_can_be_cancelled_and_the_model_stays(open_window, qtbot, ckpt, tmp_path, blocking_load):
    window = open_window(ckpt)
    other = write_model(tmp_path / "slow.pt", seed=1)
    window.open_checkpoint(str(other))
    assert blocking_load.wait(5) and window.loader is not None
    window.actions_by_name["leave_presentation"].trigger()      # Esc
    assert window.loader is None and "Stopped loading slow.pt" in window.statusBar().currentMessage()
    qtbot.wait(100)
    assert window.loaded.path.endswith("shapes.pt")
    frame = run_to_end(qtbot, window, n=2)                       # and the window works on
    assert frame.done_steps == frame.total


def test_the_frame_after_pause_is_the_counters_step(open_window, qtbot, tmp_path):
    window = open_window(write_model(tmp_path / "colour.pt", channels=3, size=(12, 12), hidden=16, layers=3))
    window.controls.batch.setValue(8)
    # A set speed, so that the run is still going when it is paused (at full speed a frame may wait for
    # a tenth of a second or more, by then such a small run is done).
    window.controls.set_speed_value(200)
    window.controls.start.click()
    qtbot.waitUntil(lambda: window.session.frame is not None and window.session.frame.done_steps > 40)
    window.controls.start.click()                                # Pause, mid-flight
    wait_state(qtbot, window, "paused")
    qtbot.wait(50)
    frame = window.session.frame
    assert frame.step_index == frame.done_steps - 1              # the step shown is the counter's
    assert window.canvas._done == frame.done_steps
    row, col, channel = frame.step_position
    assert (row * 12 + col) * 3 + channel == frame.step_index
    channels = []
    for _ in range(3):                                           # → three times: R, then G, then B
        window.actions_by_name["step"].trigger()
        qtbot.waitUntil(lambda: window.session.frame.done_steps == frame.done_steps + len(channels) + 1)
        channels.append(window.session.frame.step_position[2])
        assert window.session.frame.step_index == window.session.frame.done_steps - 1
    assert sorted(channels) == [0, 1, 2] and channels == [(frame.step_index + 1 + k) % 3 for k in range(3)]
    assert window.distribution.last[1] == window.session.frame.step_position
