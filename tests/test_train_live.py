"""A run watched and steered from outside: JSON lines, sample grids, the control file, fine-tuning,
and the folders and disks that go wrong. Tiny models on tiny generated pictures."""
import errno
import json
import threading
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from pixelcnn_studio.cli import main
from pixelcnn_studio.core import load_checkpoint
from pixelcnn_studio.run_control import CONTROL_FILE, PROGRESS_FILE, write_control

from test_train import make_npz, train_args


def events(out: Path) -> list[dict]:
    path = out / PROGRESS_FILE
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_json_lines_tell_the_whole_run_and_grids_are_pictures(tmp_path, capsys):
    data = make_npz(tmp_path / "stripes.npz")
    out = tmp_path / "run"
    assert main(train_args(data, out, "--epochs", 2, "--progress-json", "--sample-every", "0.01")) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert printed == events(out)                 # stdout and the run folder say the same
    kinds = [e["event"] for e in printed]
    assert kinds[0] == "start" and kinds[-1] == "end" and "progress" in kinds
    start = printed[0]
    assert start["class_names"] == ["horizontal", "vertical"] and start["total_steps"] == 12
    evals = [e for e in printed if e["event"] == "eval"]
    assert [e["step"] for e in evals] == [6, 12] and all(e["test_bpd"] > 0 for e in evals)
    progress = [e for e in printed if e["event"] == "progress"]
    assert all(e["images_per_s"] > 0 and e["time_left_s"] is not None for e in progress)
    grids = [e for e in printed if e["event"] == "samples"]
    assert grids, "no sample grid"
    for grid in grids:
        picture = Image.open(grid["path"])
        # One 8x8 image per class at scale 4, in one row, 2-pixel gaps.
        assert picture.size == (2 * 32 + 3 * 2, 32 + 2 * 2)
    assert printed[-1]["stopped"] == "finished" and Path(printed[-1]["best"]).is_file()
    assert "test_bpd_full" not in printed[-1]           # no whole-split score was asked for


def test_the_end_of_a_run_tells_the_whole_split_score(tmp_path, capsys):
    data = make_npz(tmp_path / "stripes.npz")
    out = tmp_path / "run"
    assert main(train_args(data, out, "--epochs", 1, "--progress-json", "--eval-limit", "4",
                           "--final-full-eval")) == 0
    end = [json.loads(line) for line in capsys.readouterr().out.splitlines()][-1]
    from pixelcnn_studio.core import load_checkpoint
    metrics = load_checkpoint(out / "best.pt").metadata["metrics"]
    assert end["event"] == "end" and end["test_bpd_full"] == metrics["test_bpd_full"]
    assert end["test_images_full"] == metrics["test_images_full"] > 4


def _steer(out: Path, log: list, stop_after_resume: bool = True):
    """Pause once the run is going, resume after a second, then stop; record what was seen."""
    def wait_for(kind, since=0):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = [e for e in events(out)[since:] if e["event"] == kind]
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"no {kind} event")

    wait_for("progress")
    write_control(out, "pause")
    paused = wait_for("paused")
    log.append(("paused", paused))
    count = len(events(out))
    time.sleep(1.0)
    log.append(("quiet", [e["event"] for e in events(out)[count:]]))
    write_control(out, "resume")
    log.append(("resumed", wait_for("resumed")))
    if stop_after_resume:
        wait_for("progress", len(events(out)))
        write_control(out, "stop")


def test_pause_resume_stop_and_resume_again(tmp_path):
    data = make_npz(tmp_path / "stripes.npz", n_train=320)
    out = tmp_path / "run"
    log = []
    steerer = threading.Thread(target=_steer, args=(out, log), daemon=True)
    steerer.start()
    code = main(train_args(data, out, "--epochs", 400, "--progress-json", "--eval-every", 1000))
    steerer.join(5)
    assert code == 130                                   # stopped on request, resumable
    seen = dict(log)
    assert seen["quiet"] == []                           # nothing trained while paused
    assert seen["resumed"]["paused_s"] >= 1.0
    end = events(out)[-1]
    assert end["event"] == "end" and end["stopped"] == "signal"
    stopped_at = end["step"]
    assert 0 < stopped_at < 400 * 20
    raw = torch.load(out / "last.pt", weights_only=True)
    assert raw["training"]["resume"]["position"]["step"] == stopped_at
    assert not (out / CONTROL_FILE).exists() or (out / CONTROL_FILE).read_text().strip() == "stop"

    # Resumed for a few more steps: it goes on from where it stopped, and the old 'stop' is forgotten.
    assert main(["train", "--out", str(out), "--resume", "--steps", str(stopped_at + 5), "--progress-json"]) == 0
    resumed = [e for e in events(out) if e["event"] == "start"][-1]
    assert resumed["resumed"] and resumed["step"] == stopped_at
    assert events(out)[-1]["stopped"] == "finished" and events(out)[-1]["step"] == stopped_at + 5
    assert load_checkpoint(out / "best.pt").class_names == ["horizontal", "vertical"]


def _picture_folder(root: Path, classes: dict[str, int], size=(8, 8), mode="L") -> Path:
    rng = np.random.default_rng(0)
    for name, count in classes.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            pixels = rng.integers(0, 255, size=(size[1], size[0]) + ((3,) if mode == "RGB" else ()), dtype=np.uint8)
            Image.fromarray(pixels, mode).save(root / name / f"{i}.png")
    return root


def test_fine_tune_keeps_the_models_classes_and_refuses_unknown_ones(tmp_path, capsys):
    data = make_npz(tmp_path / "stripes.npz")
    base = tmp_path / "base"
    assert main(train_args(data, base, "--epochs", 1)) == 0
    # New pictures of one of the model's classes, in colour and larger: brought to the model's 8x8 grey.
    folder = _picture_folder(tmp_path / "pictures", {"vertical": 40}, size=(16, 16), mode="RGB")
    tuned = tmp_path / "tuned"
    assert main(["train", "--data", f"folder:{folder}", "--out", str(tuned), "--init-from", str(base / "best.pt"),
                 "--epochs", "1", "--batch-size", "8", "--threads", "1"]) == 0
    model = load_checkpoint(tuned / "best.pt")
    assert model.class_names == ["horizontal", "vertical"]
    assert model.config.image_size == (8, 8) and model.config.channels == 1
    assert model.config.hidden == load_checkpoint(base / "best.pt").config.hidden
    assert "fine-tuning" in capsys.readouterr().err

    other = _picture_folder(tmp_path / "other", {"diagonal": 20, "vertical": 20})
    assert main(["train", "--data", f"folder:{other}", "--out", str(tmp_path / "refused"),
                 "--init-from", str(base / "best.pt"), "--threads", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "diagonal" in err and "not among the model's" in err


def _folder_run(folder: Path, out: Path, capsys) -> tuple[int, str]:
    code = main(["train", "--data", f"folder:{folder}", "--out", str(out), "--preset", "tiny", "--image-size", "8",
                 "--batch-size", "8", "--threads", "1"])
    return code, capsys.readouterr().err


def test_bad_folders_give_one_line_each(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, err = _folder_run(empty, tmp_path / "r0", capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "no files" in err

    one = _picture_folder(tmp_path / "one", {"cats": 30})
    code, err = _folder_run(one, tmp_path / "r1", capsys)
    assert code == 0 and "one class (cats)" in err
    assert load_checkpoint(tmp_path / "r1" / "best.pt").config.num_classes == 0

    mixed = _picture_folder(tmp_path / "mixed", {"a": 15, "b": 15}, size=(8, 8))
    _picture_folder(mixed, {"a": 5}, size=(20, 12))
    for i in range(3):
        (mixed / "b" / f"broken{i}.png").write_bytes(b"not a picture")
    code, err = _folder_run(mixed, tmp_path / "r2", capsys)
    assert code == 0
    assert "skipped 3 file(s) that are not readable pictures" in err
    assert "2 different sizes" in err and "8x8" in err and "20x12" in err


def test_a_full_disk_keeps_the_last_good_checkpoint(tmp_path, capsys, monkeypatch):
    data = make_npz(tmp_path / "stripes.npz")
    out = tmp_path / "run"
    assert main(train_args(data, out, "--epochs", 1)) == 0
    good = torch.load(out / "last.pt", weights_only=True)

    import pixelcnn_studio.core.checkpoint as checkpoint

    def full_disk(payload, path):
        Path(path).write_bytes(b"half a checkpoint")      # what a full disk leaves behind
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(checkpoint.torch, "save", full_disk)
    capsys.readouterr()
    assert main(["train", "--out", str(out), "--resume", "--epochs", "2"]) == 0
    err = capsys.readouterr().err
    assert "could not write last.pt (No space left on device): the previous last.pt is kept" in err
    monkeypatch.undo()
    kept = torch.load(out / "last.pt", weights_only=True)
    assert kept["training"]["resume"]["position"]["step"] == good["training"]["resume"]["position"]["step"]
    assert not [p for p in out.iterdir() if p.name.startswith(".last")]   # no temporary left behind


def test_evaluations_every_so_many_seconds_of_training(tmp_path, capsys):
    data = make_npz(tmp_path / "stripes.npz")
    out = tmp_path / "run"
    # Every step takes longer than a microsecond: a held-out point after each of the epoch's 6 steps.
    assert main(train_args(data, out, "--epochs", 1, "--progress-json", "--eval-every-seconds", "0.000001")) == 0
    evals = [e["step"] for e in events(out) if e["event"] == "eval"]
    assert evals == [1, 2, 3, 4, 5, 6]
    assert main(train_args(data, tmp_path / "bad", "--eval-every-seconds", "0")) == 2
    assert "--eval-every-seconds must lie in (0" in capsys.readouterr().err


def test_a_compiled_run_says_so_before_its_slow_first_step_and_trains(tmp_path, capsys):
    data = make_npz(tmp_path / "stripes.npz")
    out = tmp_path / "run"
    assert main(train_args(data, out, "--steps", 3, "--compile", "--progress-json")) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    kinds = [e["event"] for e in printed]
    notes = [e["text"] for e in printed if e["event"] == "note"]
    assert any("compiling the training step" in text for text in notes)
    # The note comes before any step is done, so a watcher can say why nothing moves yet.
    first_note = next(i for i, e in enumerate(printed) if e["event"] == "note" and "compiling" in e["text"])
    assert "progress" not in kinds[:first_note] and kinds[-1] == "end"
    # ... and says when it is done, so that the "compiling" line does not stay on show.
    assert any(text.startswith("training step compiled") for text in notes)
    # Both are news of the moment: a watching window may let them fade.
    assert all(e.get("fades") is True for e in printed if e["event"] == "note" and "compil" in e["text"])
    assert load_checkpoint(out / "best.pt").config.hidden > 0


def test_a_resumed_run_trims_its_live_log_to_the_saved_step(tmp_path):
    """kill -9 after a save: the log went on past last.pt (and its last line was torn); --resume drops that
    part, so that the whole log tells each step once."""
    data = make_npz(tmp_path / "stripes.npz")
    out = tmp_path / "run"
    # A held-out point and a grid after every step: step-carrying events all along the log.
    assert main(train_args(data, out, "--epochs", 2, "--steps", 6, "--progress-json",
                           "--eval-every-seconds", "0.000001", "--sample-every", "0.000001")) == 0
    saved = torch.load(out / "last.pt", weights_only=True)["training"]["resume"]["position"]["step"]
    assert saved == 6
    before = (out / PROGRESS_FILE).read_text()
    # What a killed run left: events past the saved step, a grid of weights now lost, a torn last line.
    lost_grid = out / "samples" / "step-0009999.png"
    lost_grid.write_bytes((out / "samples" / "step-0000006.png").read_bytes())
    past = [{"event": "progress", "time": 1.0, "step": 7, "train_bpd": 1.0, "images_per_s": 9.0},
            {"event": "note", "time": 1.1, "text": "said past the saved step"},
            {"event": "eval", "time": 1.2, "step": 8, "test_bpd": 1.0, "best_test_bpd": 1.0},
            {"event": "samples", "time": 1.3, "step": 9999, "path": str(lost_grid)}]
    with open(out / PROGRESS_FILE, "a") as f:
        f.write("".join(json.dumps(e) + "\n" for e in past) + '{"event": "progress", "time": 1.4, "st')

    assert main(["train", "--out", str(out), "--resume", "--steps", "10", "--progress-json"]) == 0
    text = (out / PROGRESS_FILE).read_text()
    assert text.startswith(before) and text.endswith("\n")      # what came before the save stays as it was
    logged = events(out)                                         # every line whole: the torn one went
    assert not any(e["time"] < 2.0 for e in logged)              # and so did every event past the save
    starts = [e for e in logged if e["event"] == "start"]
    assert [(s["step"], s["resumed"]) for s in starts] == [(0, False), (6, True)]
    assert [e["step"] for e in logged if e["event"] == "eval"] == list(range(1, 11))
    stepped = [e["step"] for e in logged if e["event"] in ("progress", "eval", "samples")]
    assert stepped == sorted(stepped)                            # the curve never goes back
    assert not lost_grid.exists() and (out / "samples" / "step-0000006.png").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".progress")]

    # Started afresh in the same folder: its log is its own.
    assert main(train_args(data, out, "--steps", 2, "--progress-json", "--overwrite")) == 0
    assert [e["event"] for e in events(out)].count("start") == 1
    assert not (out / "samples" / "step-0000010.png").exists()
