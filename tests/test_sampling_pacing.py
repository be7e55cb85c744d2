"""Frames at full speed: as many as the drawing of each leaves the sampler its time for."""
from __future__ import annotations

import time

import pytest

pytest.importorskip("pytestqt")

import torch  # noqa: E402

from pixelcnn_studio.core import ModelConfig, build_model  # noqa: E402
from pixelcnn_studio.core.plan import plan_run  # noqa: E402
from pixelcnn_studio.gui.common import worker as worker_module  # noqa: E402
from pixelcnn_studio.gui.common.session import SamplingSession  # noqa: E402


def frames_shown(qtbot, drawing_seconds: float) -> list[tuple[float, str, int]]:
    """A full-speed run whose every frame takes `drawing_seconds` to draw: (when, state, step) of each."""
    torch.manual_seed(0)
    model = build_model(ModelConfig(image_size=28, hidden=64, layers=8, kernel_size=3)).eval()
    plan = plan_run(8, num_classes=0, class_names=None, class_id=None, embedding=None, seed=0)
    session = SamplingSession()
    session.set_speed(None)
    shown = []

    def draw(frame):
        shown.append((time.perf_counter(), frame.state, frame.done_steps))
        time.sleep(drawing_seconds)

    session.frame_changed.connect(draw)
    session.start(model, plan)
    qtbot.waitUntil(lambda: session.state == "done", timeout=120_000)
    session.shutdown()
    return shown


def test_a_slow_drawing_gets_fewer_frames_and_the_run_still_shows_progress(qtbot):
    drawing = 0.02
    shown = frames_shown(qtbot, drawing)
    running = [(when, step) for when, state, step in shown if state == "running"]
    assert len(running) >= 4, "a full-speed run still shows how it is going"
    assert [step for _, step in running] == sorted(step for _, step in running)
    # After each frame the sampler samples for at least this many times the frame's drawing time
    # (the first two come at once: the run has started, its first sub-pixel is drawn).
    least = drawing * worker_module.SAMPLING_TIME_PER_DRAWING_TIME
    gaps = [b[0] - a[0] for a, b in zip(running[1:], running[2:])]
    assert min(gaps) >= least, gaps
    # A drawing that costs nothing keeps the full frame rate: more frames over the same run.
    quick = [s for s in frames_shown(qtbot, 0.0) if s[1] == "running"]
    assert len(quick) > len(running)
