"""Numeric flags: ranges shown in --help, --threads held to the cores, a diverging run stops cleanly."""
import os
import subprocess
import sys
from pathlib import Path

import torch

from pixelcnn_studio import ranges
from pixelcnn_studio.cli import build_parser, main
from test_train import make_npz, train_args

ROOT = Path(__file__).parent.parent


def test_every_numeric_train_flag_shows_its_range_in_help():
    parser = build_parser()
    train = parser._subparsers._group_actions[0].choices["train"]
    numeric = [a for a in train._actions if a.type in (int, float)]
    assert numeric and all("allowed:" in (a.help or "") for a in numeric), \
        [a.dest for a in numeric if "allowed:" not in (a.help or "")]
    text = subprocess.run([sys.executable, "-m", "pixelcnn_studio", "train", "--help"], capture_output=True,
                          text=True, cwd=ROOT, timeout=60).stdout
    assert "odd, 3..15" in " ".join(text.split())


def test_threads_beyond_the_cores_are_capped_with_a_note(capsys, monkeypatch):
    monkeypatch.setattr(ranges, "cores", lambda: 2)
    args = build_parser().parse_args(["eval", "model.pt", "--data", "npz:/nonexistent.npz", "--threads", "10000"])
    from pixelcnn_studio.cli import _check_numbers
    _check_numbers(args)
    assert args.threads == 2
    assert "--threads 10,000 is more than the 2 core(s) here; using 2" in capsys.readouterr().err


def test_a_run_whose_loss_turns_nan_stops_and_keeps_its_checkpoints(tmp_path, capsys):
    data = make_npz(tmp_path / "stripes.npz")
    out = tmp_path / "run"
    assert main(train_args(data, out, "--epochs", 1)) == 0
    # Weights that went bad between two saves, as a too-high learning rate leaves them.
    last = torch.load(out / "last.pt", weights_only=True)
    model = last["training"]["resume"]["model"]
    name = next(k for k, v in model.items() if v.is_floating_point())
    model[name] = torch.full_like(model[name], float("nan"))
    torch.save(last, out / "last.pt")
    kept = {n: (out / n).read_bytes() for n in ("last.pt", "best.pt")}
    capsys.readouterr()
    assert main(["train", "--out", str(out), "--resume", "--epochs", "3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("pixelcnn-studio: error: training diverged at step 7: the training loss became nan")
    assert "last.pt and best.pt" in err[-1] and "Traceback" not in "\n".join(err)
    assert {n: (out / n).read_bytes() for n in kept} == kept
    assert not list(out.glob(".*.pt"))


def test_a_dead_benchmark_worker_is_reported_not_awaited():
    from pixelcnn_studio.commands.bench_shapes import in_child
    from pixelcnn_studio.errors import UserError
    import pytest
    with pytest.raises(UserError, match="ended without a result"):
        in_child(os._exit, 3)
