"""The app's state and the run plan, without a window (and, for the plan, without Qt)."""
from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from pixelcnn_studio import ModelConfig, build_model, sample
from pixelcnn_studio.core.plan import RunPlan, plan_run, rows_per_class, whole_rows


def fake_checkpoint(num_classes=0, names=None, embedding_dim=0, path="/tmp/shapes.pt"):
    cfg = ModelConfig(image_size=4, channels=1, hidden=4, layers=1, kernel_size=3, num_classes=num_classes,
                      embedding_dim=embedding_dim)
    return SimpleNamespace(config=cfg, class_names=names, path=path, metadata={"dataset": {"name": "shapes"}},
                           model=None)


def test_state_and_plan_import_without_qt():
    code = ("import sys, pixelcnn_studio.core.plan, pixelcnn_studio.gui.shell.state, pixelcnn_studio.commands.sample;"
            "print(any(m.startswith('PySide6') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_one_row_per_class_rule():
    ids, per_row = rows_per_class(6, 3)
    assert per_row == 2 and ids.tolist() == [0, 0, 1, 1, 2, 2]
    ids, per_row = rows_per_class(4, 10)          # fewer images than classes: the first classes
    assert per_row == 1 and ids.tolist() == [0, 1, 2, 3]
    assert whole_rows(16, 10) == 10               # one image of each of ten classes
    assert whole_rows(30, 10) == 30
    assert whole_rows(64, 3) == 63                # 21 per class, never above 64
    with pytest.raises(ValueError):
        rows_per_class(4, 0)


def test_plan_checks_itself_and_compares_by_value():
    plan = plan_run(4, num_classes=3, class_names=["a", "b", "c"], class_id=2, seed=5)
    assert plan.class_ids == (2, 2, 2, 2) and plan.row_labels is None
    assert plan == plan_run(4, num_classes=3, class_id=2, seed=5)
    assert plan != plan.with_seed(6)
    per_class = plan_run(6, num_classes=3, class_names=["a", "b", "c"], per_class=True)
    assert per_class.columns == 2 and per_class.row_labels == ("a", "b", "c")
    with pytest.raises(ValueError):
        RunPlan(n=2, class_ids=(1,))
    with pytest.raises(ValueError):
        RunPlan(n=0)
    with pytest.raises(ValueError):
        RunPlan(n=1, temperature=0.0)
    with pytest.raises(ValueError):
        plan_run(2, num_classes=3, class_id=3)
    shared = plan_run(3, embedding=np.ones(5, dtype=np.float32))
    assert shared.embedding.shape == (3, 5)


def test_plan_samples_what_the_library_samples():
    torch.manual_seed(0)
    model = build_model(ModelConfig(image_size=3, channels=1, hidden=4, layers=1, kernel_size=3, num_classes=3))
    plan = plan_run(6, num_classes=3, per_class=True, seed=4, temperature=0.9)
    from pixelcnn_studio.core.sampling import SampleStream
    stream = SampleStream(model, plan.n, **plan.sampler_arguments())
    while stream.step() is not None:
        pass
    expected = sample(model, 6, class_ids=torch.tensor([0, 0, 1, 1, 2, 2]), seed=4, temperature=0.9)
    assert torch.equal(stream.image.cpu(), expected)


def test_state_clamps_announces_and_builds_the_plan():
    from pixelcnn_studio.gui.shell.state import AppState
    state = AppState()
    heard = []
    unsubscribe = state.subscribe(heard.append)
    assert state.plan() is None                   # no model, no plan
    state.set_checkpoint(fake_checkpoint(num_classes=10, names=[str(i) for i in range(10)]))
    assert state.update(batch=500, seed=-1, temperature=9) == {"batch", "seed", "temperature"}
    assert (state.batch, state.temperature) == (64, 3.0) and 0 <= state.seed
    assert state.update(batch=64) == set()        # no change, no announcement
    state.update(class_index=7)
    plan = state.plan()
    assert plan.n == 64 and set(plan.class_ids) == {7}
    assert state.describe() == "shapes  ·  7"
    state.update(per_class=True, batch=16)
    plan = state.plan()
    assert plan.n == 10 and plan.row_labels == tuple(str(i) for i in range(10))
    assert {"checkpoint", "class_index"} <= heard[0] and {"batch", "seed", "temperature"} == heard[1]
    unsubscribe()
    state.update(seed=3)
    assert len(heard) == 4
    with pytest.raises(AttributeError):
        state.update(colour="red")
    with pytest.raises(ValueError):
        state.update(tab="nowhere")


def test_state_embedding_model_plan_uses_the_published_vector():
    from pixelcnn_studio.gui.shell.state import AppState
    state = AppState()
    state.set_checkpoint(fake_checkpoint(embedding_dim=3))
    assert np.all(state.plan().embedding == 0)    # nothing published yet: the zero vector
    state.set_embedding(np.array([1, 2, 3]), "me.png")
    plan = state.plan()
    assert plan.embedding.shape == (16, 3) and np.all(plan.embedding[5] == [1, 2, 3])
    assert state.describe().endswith("me.png")
    state.set_checkpoint(fake_checkpoint(embedding_dim=3))
    assert state.embedding is None                # a new model starts from its own default


def test_sample_command_uses_the_plan_rule(tmp_path):
    from pixelcnn_studio import save_checkpoint
    from pixelcnn_studio.cli import main
    torch.manual_seed(0)
    cfg = ModelConfig(image_size=3, channels=1, hidden=4, layers=1, kernel_size=3, num_classes=3)
    model = build_model(cfg)
    path = tmp_path / "m.pt"
    save_checkpoint(path, model, class_names=["a", "b", "c"])
    out = tmp_path / "s.npy"
    assert main(["sample", str(path), "--n", "6", "--seed", "2", "--out", str(out)]) == 0
    plan = plan_run(6, num_classes=3, seed=2)
    expected = sample(model, 6, class_ids=torch.tensor(plan.class_ids), seed=2)
    assert np.array_equal(np.load(out), expected.numpy())
