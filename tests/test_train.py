"""Training, resume, distributed and eval: tiny models on tiny generated datasets."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from pixelcnn_studio.cli import main
from pixelcnn_studio.core import load_checkpoint
from pixelcnn_studio.train.loop import DEBUG_INDICES_ENV, DEBUG_STOP_ENV
from pixelcnn_studio.train.schedule import lr_at
from pixelcnn_studio.train.metrics import read_metrics
from pixelcnn_studio.train.presets import PRESETS, get_preset
from pixelcnn_studio.train.settings import TrainSettings

ROOT = Path(__file__).resolve().parents[1]


def make_npz(path: Path, n_train=96, n_test=32, size=8, seed=0) -> Path:
    """Two easy classes: horizontal and vertical stripes, with a little noise."""
    rng = np.random.default_rng(seed)

    def images(n):
        labels = np.arange(n) % 2
        stripes = (np.arange(size) % 2 * 200 + 20).astype(np.int64)
        x = np.where(labels[:, None, None] == 0, stripes[None, :, None], stripes[None, None, :])
        x = x + rng.integers(0, 30, size=(n, size, size))
        return np.clip(x, 0, 255).astype(np.uint8), labels.astype(np.int64)

    x_train, y_train = images(n_train)
    x_test, y_test = images(n_test)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
             class_names=np.array(["horizontal", "vertical"]))
    return path


def train_args(data: Path, out: Path, *extra) -> list:
    return ["train", "--data", f"npz:{data}", "--out", str(out), "--preset", "tiny", "--threads", "1",
            "--lr", "0.01", "--warmup-steps", "2", "--batch-size", "16", *map(str, extra)]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    data = make_npz(root / "stripes.npz")
    out = root / "run"
    assert main(train_args(data, out, "--epochs", 4)) == 0
    return data, out


def test_short_run_writes_checkpoints_metrics_and_loss_falls(trained):
    data, out = trained
    for name in ("last.pt", "best.pt", "metrics.csv"):
        assert (out / name).is_file(), name
    rows = read_metrics(out / "metrics.csv")
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4]
    assert [r["step"] for r in rows] == [6, 12, 18, 24]      # 96 images / 16 per batch
    assert rows[-1]["train_bpd"] < rows[0]["train_bpd"]
    assert rows[-1]["test_bpd"] < rows[0]["test_bpd"]
    assert all(r["images_per_s"] > 0 and r["seconds"] > 0 for r in rows)

    best = load_checkpoint(out / "best.pt")
    assert best.class_names == ["horizontal", "vertical"]
    assert best.config.num_classes == 2 and best.config.image_size == (8, 8)
    meta = best.metadata
    assert meta["metrics"]["test_bpd"] == pytest.approx(min(r["test_bpd"] for r in rows), abs=1e-4)
    assert meta["dataset"]["spec"] == f"npz:{data}"
    assert meta["dataset"]["train_size"] == 96 and meta["dataset"]["test_size"] == 32
    training = meta["training"]
    for key in ("preset", "command", "epochs", "steps", "wall_seconds", "device", "torch", "images_per_s"):
        assert key in training, key
    assert training["preset"] == "tiny" and "resume" not in training
    # best.pt is the small file for bundling: half-precision weights; last.pt carries the resume state.
    raw_best = torch.load(out / "best.pt", weights_only=True)
    assert all(v.dtype == torch.float16 for v in raw_best["state_dict"].values() if v.is_floating_point())
    raw_last = torch.load(out / "last.pt", weights_only=True)
    assert raw_last["training"]["resume"]["position"]["step"] == 24
    assert load_checkpoint(out / "last.pt").config == best.config


def _run_and_read(data, out, *extra, env=None):
    old = dict(os.environ)
    os.environ.update(env or {})
    try:
        code = main(train_args(data, out, *extra))
    finally:
        os.environ.clear()
        os.environ.update(old)
    return code, torch.load(out / "last.pt", weights_only=True)


@pytest.mark.parametrize("regularise", [("--dropout", "0"), ("--dropout", "0.2", "--flip", "--shift", "1"),
                                        ("--lr-decay", "linear", "--adam-beta2", "0.99")])
def test_resume_continues_exactly(tmp_path, regularise):
    data = make_npz(tmp_path / "stripes.npz")
    _, straight = _run_and_read(data, tmp_path / "straight", "--epochs", 3, *regularise)
    # Stop mid-epoch 2, as Ctrl-C would, then resume: the result must be bit-identical (with dropout
    # too: its random masks come from the generator state that last.pt keeps; flips and shifts
    # are drawn from the step number).
    code, stopped = _run_and_read(data, tmp_path / "resumed", "--epochs", 3, *regularise,
                                  env={DEBUG_STOP_ENV: "9"})
    assert code == 130
    assert stopped["training"]["resume"]["position"] == pytest.approx(
        {**stopped["training"]["resume"]["position"], "epoch": 1, "batch_in_epoch": 3, "step": 9})
    assert main(["train", "--out", str(tmp_path / "resumed"), "--resume"]) == 0
    resumed = torch.load(tmp_path / "resumed" / "last.pt", weights_only=True)
    for key, value in straight["state_dict"].items():                      # EMA weights
        assert torch.equal(value, resumed["state_dict"][key]), key
    raw_a, raw_b = straight["training"]["resume"], resumed["training"]["resume"]
    for key, value in raw_a["model"].items():                               # raw weights
        assert torch.equal(value, raw_b["model"][key]), key
    for index, state in raw_a["optimizer"]["state"].items():                # Adam moments
        for name, value in state.items():
            assert torch.equal(value, raw_b["optimizer"]["state"][index][name]), (index, name)
    rows_a = read_metrics(tmp_path / "straight" / "metrics.csv")
    rows_b = read_metrics(tmp_path / "resumed" / "metrics.csv")
    strip = lambda rows: [(r["epoch"], r["step"], r["train_bpd"], r["test_bpd"]) for r in rows]  # noqa: E731
    assert strip(rows_a) == strip(rows_b)
    if "--adam-beta2" in regularise:       # the optimiser the run was asked for, kept across the resume
        assert straight["training"]["settings"]["lr_decay"] == "linear"
        assert list(raw_b["optimizer"]["param_groups"][0]["betas"]) == pytest.approx([0.9, 0.99])


def test_time_budget_stops_with_resumable_save(tmp_path, capsys):
    data = make_npz(tmp_path / "stripes.npz")
    assert main(train_args(data, tmp_path / "run", "--epochs", 3, "--max-minutes", 1e-6)) == 0
    raw = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    assert raw["training"]["resume"]["position"]["step"] == 1
    assert (tmp_path / "run" / "best.pt").is_file()      # evaluated before stopping
    assert "time budget" in capsys.readouterr().err


def test_resume_refuses_to_change_the_model(trained, capsys):
    _, out = trained
    assert main(["train", "--out", str(out), "--resume", "--hidden", "16"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--hidden" in err and len(err.splitlines()) == 1


def test_eval_cli_prints_bits_per_dim(trained, capsys):
    data, out = trained
    assert main(["eval", str(out / "best.pt"), "--data", f"npz:{data}"]) == 0
    text = capsys.readouterr().out
    assert "bits/dim" in text and "32 test images" in text
    assert main(["eval", str(out / "best.pt"), "--data", f"npz:{data}", "--json", "--limit", "10"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["images"] == 10 and 0 < result["bits_per_dim"] < 8


def test_eval_classify_uses_the_model_as_a_bayes_classifier(tmp_path, capsys):
    """Horizontal and vertical stripes are told apart by which class explains the image better
    (once the model has learnt them: 12 epochs, a few seconds)."""
    data, out = make_npz(tmp_path / "stripes.npz"), tmp_path / "run"
    assert main(train_args(data, out, "--epochs", 12)) == 0
    capsys.readouterr()
    assert main(["eval", str(out / "best.pt"), "--data", f"npz:{data}", "--classify", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)["classification"]
    assert found["class_names"] == ["horizontal", "vertical"] and found["chance"] == 0.5
    assert found["accuracy"] > 0.9 and sum(map(sum, found["confusion"])) == 32
    assert main(["eval", str(out / "best.pt"), "--data", f"npz:{data}", "--classify"]) == 0
    assert "Bayes classifier" in capsys.readouterr().out


def test_bayes_classification_counts_argmax_per_true_class():
    from pixelcnn_studio.train.evaluate import bayes_classification
    scores = torch.tensor([[-10.0, -12.0, -30.0], [-9.0, -3.0, -8.0], [-5.0, -6.0, -1.0], [-1.0, -7.0, -2.0]])
    found = bayes_classification(scores, torch.tensor([0, 1, 2, 2]), ["a", "b", "c"])
    assert found["accuracy"] == 0.75
    assert found["per_class_accuracy"] == {"a": 1.0, "b": 1.0, "c": 0.5}
    assert found["confusion"] == [[1, 0, 0], [0, 1, 0], [1, 0, 1]]


@pytest.mark.parametrize("argv", [
    ["train", "--data", "npz:/no/such/file.npz", "--out", "OUT"],
    ["eval", "CKPT", "--data", "npz:/no/such/file.npz"],
    ["train", "--preset", "no-such-preset", "--out", "OUT"],
    ["train", "--out", "OUT"],
    ["train", "--data", "DATA", "--dropout", "1.5", "--out", "OUT"],
])
def test_user_errors_are_one_line_exit_2(argv, trained, tmp_path, capsys):
    data, out = trained
    names = {"OUT": str(tmp_path / "out"), "CKPT": str(out / "best.pt"), "DATA": f"npz:{data}"}
    argv = [names.get(a, a) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("pixelcnn-studio: error:") and len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_presets_name_a_dataset_and_build(tmp_path):
    from pixelcnn_studio.train.settings import resolve
    for name in ("fashion-mnist", "mnist", "emoji", "emoji-groups"):
        preset = get_preset(name)
        assert preset["data"] == name and "description" in PRESETS[name]
        settings = resolve({"preset": name, "out": str(tmp_path), "hidden": 16})
        assert settings.hidden == 16 and settings.layers == preset["layers"]   # flags win over presets
    with pytest.raises(KeyError):
        get_preset("nope")


def test_bf16_from_a_preset_can_be_switched_off_on_the_command_line(tmp_path):
    """The bundled presets turn bf16 on; --no-bf16 must win over them, and leaving the flag out must not."""
    from pixelcnn_studio.cli import build_parser
    from pixelcnn_studio.train.settings import resolve

    def settings_for(*flags):
        args = vars(build_parser().parse_args(["train", "--preset", "fashion-mnist", "--out", str(tmp_path), *flags]))
        return resolve(args)

    assert get_preset("fashion-mnist")["bf16"] is True
    assert settings_for().bf16 is True
    assert settings_for("--no-bf16").bf16 is False
    assert settings_for("--bf16").bf16 is True
    assert settings_for("--no-compile").compile is False


def test_flips_mirror_about_half_the_images_and_nothing_else():
    from pixelcnn_studio.train.regularise import augment
    x = torch.randint(0, 256, (64, 3, 5, 7), dtype=torch.uint8)
    out = augment(x, flip=True, shift=0, seed=0, step=3)
    same = (out == x).flatten(1).all(1)
    mirrored = (out == x.flip(-1)).flatten(1).all(1)
    assert bool((same | mirrored).all()) and 16 < int(mirrored.sum()) < 48
    assert torch.equal(out, augment(x, flip=True, shift=0, seed=0, step=3))       # (seed, step) decide
    assert not torch.equal(out, augment(x, flip=True, shift=0, seed=0, step=4))
    assert augment(x, flip=False, shift=0, seed=0, step=3) is x


def test_shifts_move_each_image_within_the_limit_and_repeat_the_edges():
    from pixelcnn_studio.train.regularise import augment
    x = torch.zeros(32, 1, 9, 9, dtype=torch.uint8)
    x[:, :, 4, 4] = 200                         # one bright dot in the middle
    x[:, :, :, 0] = 7                           # a left edge column that padding must repeat
    out = augment(x, flip=False, shift=2, seed=1, step=0)
    assert out.dtype == torch.uint8 and out.shape == x.shape
    rows, cols = (out[:, 0] == 200).nonzero(as_tuple=True)[1:]
    assert len(rows) == 32 and (rows - 4).abs().max() <= 2 and (cols - 4).abs().max() <= 2
    assert len(set(zip(rows.tolist(), cols.tolist()))) > 5
    moved_right = cols > 4
    assert bool((out[moved_right, 0, :, 0] == 7).all())


def test_dropout_acts_while_training_only():
    from pixelcnn_studio import ModelConfig, build_model
    from pixelcnn_studio.train.regularise import add_dropout
    torch.manual_seed(0)
    model = build_model(ModelConfig(image_size=6, hidden=8, layers=3, kernel_size=3, num_classes=2))
    plain = build_model(model.config)
    plain.load_state_dict(model.state_dict())
    x, y = torch.randint(0, 256, (4, 1, 6, 6)), torch.tensor([0, 1, 0, 1])
    handles = add_dropout(model, 0.5)
    assert len(handles) == 3                                  # one per layer
    model.train()
    assert not torch.equal(model(x, class_ids=y), model(x, class_ids=y))
    model.eval()
    assert torch.equal(model(x, class_ids=y), plain.eval()(x, class_ids=y))
    assert model.state_dict().keys() == plain.state_dict().keys()   # nothing new to save
    for handle in handles:
        handle.remove()
    model.train()
    assert torch.equal(model(x, class_ids=y), model(x, class_ids=y))
    assert add_dropout(model, 0.0) == []


def test_learning_rate_warms_up_then_decays():
    s = TrainSettings(lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    lrs = [lr_at(step, 100, s) for step in range(100)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(lrs[9:], lrs[10:]))
    assert lr_at(100, 100, s) == pytest.approx(0.1)


def test_a_linear_decay_falls_in_a_straight_line_to_the_same_floor():
    s = TrainSettings(lr=1.0, warmup_steps=10, min_lr_ratio=0.1, lr_decay="linear")
    assert lr_at(9, 110, s) == pytest.approx(1.0)
    assert lr_at(60, 110, s) == pytest.approx(0.55)                  # half-way: half-way down
    assert lr_at(110, 110, s) == pytest.approx(0.1)
    assert lr_at(60, 110, s, time_fraction=0.8) == pytest.approx(0.28)  # the budget, if further along
    cosine = TrainSettings(lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    assert lr_at(35, 110, s) < lr_at(35, 110, cosine) and lr_at(85, 110, s) > lr_at(85, 110, cosine)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_torchrun_two_processes_split_the_data(tmp_path):
    data = make_npz(tmp_path / "stripes.npz", n_train=64, n_test=16)
    out, seen = tmp_path / "ddp", tmp_path / "seen"
    seen.mkdir()
    env = {**os.environ, DEBUG_INDICES_ENV: str(seen), "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--nnodes=1",
           "--master_addr=127.0.0.1", f"--master_port={_free_port()}", "-m", "pixelcnn_studio",
           *train_args(data, out, "--epochs", 2)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    batches = {r: [list(map(int, line.split())) for line in (seen / f"rank{r}.txt").read_text().splitlines()]
               for r in (0, 1)}
    steps = len(batches[0])
    assert steps == len(batches[1]) == 2 * (64 // 2 // 16)
    for epoch in range(2):
        half = steps // 2
        a = {i for b in batches[0][epoch * half:(epoch + 1) * half] for i in b}
        b = {i for b in batches[1][epoch * half:(epoch + 1) * half] for i in b}
        assert a.isdisjoint(b) and len(a | b) == 64          # each rank its own half, all data seen
    loaded = load_checkpoint(out / "best.pt")
    assert loaded.metadata["training"]["processes"] == 2
    raw = torch.load(out / "last.pt", weights_only=True)
    assert not any(k.startswith("module.") for k in raw["state_dict"])
    assert not any(k.startswith("module.") for k in raw["training"]["resume"]["model"])
    assert len(read_metrics(out / "metrics.csv")) == 2          # only rank 0 wrote


def test_optimizer_state_follows_parameter_names_not_positions():
    from torch import nn
    from pixelcnn_studio.train.optim_state import load_optimizer_state, optimizer_state_by_name

    class AB(nn.Module):
        def __init__(self, a_first):
            super().__init__()
            if a_first:
                self.a, self.b = nn.Linear(2, 3), nn.Linear(3, 1)
            else:
                self.b, self.a = nn.Linear(3, 1), nn.Linear(2, 3)

    old, new = AB(True), AB(False)
    new.load_state_dict(old.state_dict())
    opt_old = torch.optim.Adam(old.parameters())
    old.b(old.a(torch.ones(4, 2))).sum().backward()
    opt_old.step()
    for saved, keys in ((optimizer_state_by_name(opt_old, old), None),
                        (opt_old.state_dict(), list(old.state_dict()))):     # the older positional form
        opt_new = torch.optim.Adam(new.parameters())
        load_optimizer_state(opt_new, new, saved, keys)
        for name, p in new.named_parameters():
            ref = opt_old.state[dict(old.named_parameters())[name]]["exp_avg"]
            assert torch.equal(opt_new.state[p]["exp_avg"], ref), name
