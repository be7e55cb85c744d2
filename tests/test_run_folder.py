"""A finished run is never overwritten; a killed run's leftovers are tidied when it resumes."""
import torch

from pixelcnn_studio.cli import main
from pixelcnn_studio.train.loop import DEBUG_STOP_ENV
from pixelcnn_studio.train.metrics import read_metrics
from test_train import make_npz, train_args


def test_a_finished_run_is_kept_unless_overwrite_is_given(tmp_path, capsys):
    data = make_npz(tmp_path / "stripes.npz")
    out = tmp_path / "run"
    assert main(train_args(data, out, "--epochs", 1)) == 0
    before = {name: (out / name).read_bytes() for name in ("best.pt", "last.pt", "metrics.csv")}
    capsys.readouterr()
    assert main(train_args(data, out, "--epochs", 1, "--seed", 3)) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "already holds a run" in err and "--overwrite" in err
    assert {name: (out / name).read_bytes() for name in before} == before
    assert main(train_args(data, out, "--epochs", 1, "--resume", "--overwrite")) == 2
    assert main(train_args(data, out, "--epochs", 1, "--seed", 3, "--overwrite")) == 0
    assert (out / "best.pt").read_bytes() != before["best.pt"]
    assert [r["step"] for r in read_metrics(out / "metrics.csv")] == [6]


def test_resume_after_a_kill_drops_rows_past_the_saved_step_and_stale_temporaries(tmp_path, monkeypatch):
    data = make_npz(tmp_path / "stripes.npz")
    out = tmp_path / "run"
    monkeypatch.setenv(DEBUG_STOP_ENV, "9")
    assert main(train_args(data, out, "--epochs", 3)) == 130
    monkeypatch.delenv(DEBUG_STOP_ENV)
    # What kill -9 leaves between an evaluation's row and its last.pt: the row (and half a row),
    # and the temporary file the save was writing.
    with open(out / "metrics.csv", "a") as f:
        f.write("2.0,12,1.0,1.0,10.0,3.0\n2.5,15,1.")
    stale = out / ".last.k1ll3d.pt"
    stale.write_bytes(b"\0" * 4096)
    assert main(["train", "--out", str(out), "--resume"]) == 0
    assert [r["step"] for r in read_metrics(out / "metrics.csv")] == [6, 12, 18]
    assert not stale.exists()
    assert torch.load(out / "last.pt", weights_only=True)["training"]["resume"]["position"]["step"] == 18
