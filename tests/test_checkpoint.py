"""Checkpoint round trips, foreign and hostile files, and the `info` command."""
import io
import json
import os
import pickle
import subprocess
import sys
import zipfile

import pytest
import torch

from pixelcnn_studio import CheckpointError, ModelConfig, build_model, load_checkpoint, save_checkpoint
from pixelcnn_studio.cli import main as cli_main

CFG = ModelConfig(image_size=(6, 5), channels=3, hidden=6, layers=2, num_classes=2)


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = build_model(CFG)
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, class_names=["cat", "dog"], metrics={"test_bpd": 3.25},
                    dataset={"spec": "npz:toy"}, training={"epochs": 2}, notes="hello")
    return path, model


def test_round_trip(saved):
    path, model = saved
    loaded = load_checkpoint(path)
    assert loaded.config == CFG
    assert loaded.class_names == ["cat", "dog"]
    assert loaded.metadata["metrics"] == {"test_bpd": 3.25}
    assert loaded.metadata["dataset"] == {"spec": "npz:toy"}
    assert loaded.metadata["notes"] == "hello"
    assert not loaded.model.training
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[key], value), key
    # The contract: plain torch.load with weights_only reads it.
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == "pixelcnn-studio" and raw["version"] == 1


def test_half_precision_file_loads_as_float32(tmp_path):
    model = build_model(CFG)
    path = tmp_path / "half.pt"
    save_checkpoint(path, model, half=True)
    assert torch.load(path, weights_only=True)["state_dict"]["head.out.weight"].dtype == torch.float16
    loaded = load_checkpoint(path)
    weight = loaded.model.head.out.weight
    assert weight.dtype == torch.float32
    assert torch.allclose(weight, model.head.out.weight, atol=1e-3)


def retag_storages(path, location: bytes):
    """Rewrite a torch zip checkpoint as if its tensors had been saved on `location` (e.g. cuda:0)."""
    src = zipfile.ZipFile(path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("data.pkl"):
                # Protocol-2 pickles store the location as BINUNICODE: 'X' + 4-byte length + text.
                old = b"X" + len(b"cpu").to_bytes(4, "little") + b"cpu"
                assert old in data
                data = data.replace(old, b"X" + len(location).to_bytes(4, "little") + location)
            dst.writestr(info, data)
    path.write_bytes(out.getvalue())


def test_storages_tagged_cuda_load_on_cpu(saved):
    path, model = saved
    retag_storages(path, b"cuda:0")
    with pytest.raises(Exception):
        torch.load(path, weights_only=True, map_location=None)  # no CUDA here: proves the tag is real
    loaded = load_checkpoint(path)
    assert torch.equal(loaded.model.head.out.weight, model.head.out.weight)


@pytest.mark.parametrize("prefix", ["module.", "_orig_mod.", "module._orig_mod."])
def test_wrapped_state_dicts_load(tmp_path, prefix):
    model = build_model(CFG)
    payload = {"format": "pixelcnn-studio", "version": 1, "config": CFG.to_dict(),
               "state_dict": {prefix + k: v for k, v in model.state_dict().items()},
               "class_names": ["a", "b"], "embedder": None, "dataset": {}, "metrics": {}, "training": {}}
    path = tmp_path / "ddp.pt"
    torch.save(payload, path)
    loaded = load_checkpoint(path)
    assert torch.equal(loaded.model.head.out.weight, model.head.out.weight)


class RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_that_runs_code_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    legacy = tmp_path / "legacy.pt"
    legacy.write_bytes(pickle.dumps({"format": "pixelcnn-studio", "payload": RunsCode(marker)}, protocol=2))
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(legacy)
    zipped = tmp_path / "zipped.pt"
    torch.save({"format": "pixelcnn-studio", "version": 1, "payload": RunsCode(marker)}, zipped)
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(zipped)
    assert not marker.exists()


def test_bad_files_give_one_clear_error(saved, tmp_path):
    path, _ = saved
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    noise = tmp_path / "noise.pt"
    noise.write_bytes(os.urandom(4096))
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    cases = {
        tmp_path / "missing.pt": "no such file",
        truncated: "truncated or corrupt",
        noise: "not a PyTorch file",
        foreign: "not a PixelCNN Studio checkpoint",
    }
    for bad, words in cases.items():
        with pytest.raises(CheckpointError) as info:
            load_checkpoint(bad)
        assert bad.name in str(info.value)
        assert words in str(info.value)


def test_newer_version_and_wrong_shapes(saved, tmp_path):
    path, _ = saved
    raw = torch.load(path, weights_only=True)
    newer = dict(raw, version=2)
    torch.save(newer, tmp_path / "newer.pt")
    with pytest.raises(CheckpointError, match="newer version"):
        load_checkpoint(tmp_path / "newer.pt")
    wrong = dict(raw, config=dict(raw["config"], hidden=9))
    torch.save(wrong, tmp_path / "wrong.pt")
    with pytest.raises(CheckpointError, match="wrong shapes"):
        load_checkpoint(tmp_path / "wrong.pt")


def test_info_command(saved, capsys):
    path, _ = saved
    assert cli_main(["info", str(path)]) == 0
    text = capsys.readouterr().out
    assert "0=cat, 1=dog" in text and "test_bpd=3.25" in text
    assert cli_main(["info", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["class_names"] == ["cat", "dog"] and info["config"]["hidden"] == 6
    assert info["metrics"]["test_bpd"] == 3.25


def test_cli_errors_are_one_line_without_traceback(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    result = subprocess.run([sys.executable, "-m", "pixelcnn_studio", "info", str(bad)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "bad.pt" in result.stderr
    assert "Traceback" not in result.stderr


def test_output_piped_into_a_closed_reader_ends_without_traceback(tmp_path):
    """`pixelcnn-studio info X | head -1`: the reader closes early; no traceback may follow."""
    path = tmp_path / "m.pt"
    save_checkpoint(path, build_model(CFG))
    proc = subprocess.Popen([sys.executable, "-m", "pixelcnn_studio", "info", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()                 # long before the child has imported torch and printed
    stderr = proc.communicate(timeout=120)[1].decode()
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert proc.returncode == 1


def test_saved_files_get_ordinary_permissions(tmp_path):
    import stat
    old = os.umask(0o022)
    try:
        save_checkpoint(tmp_path / "m.pt", build_model(CFG))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.pt").stat().st_mode) == 0o644
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary file is left behind"


@pytest.mark.parametrize("config", [
    ModelConfig(), CFG, ModelConfig(variant="original", layers=3, hidden=12, kernel_size=7),
    ModelConfig(image_size=(25, 30), channels=3, hidden=6, embedding_dim=16, location_conditioning=True),
    ModelConfig(channels=3, levels=65536, hidden=3, layers=1, kernel_size=2, output_hidden=5),
    ModelConfig(layers=40, hidden=8, kernel_size=15, num_classes=1000, location_conditioning=True),
    ModelConfig(layers=1, hidden=256, kernel_size=15, levels=2),
])
def test_size_refused_early_is_a_true_lower_bound(config):
    """A config is refused before its shapes-only build only when the model surely cannot fit."""
    from pixelcnn_studio.core.checkpoint_checks import expected_weights, least_model_bytes
    model = build_model(config)
    real = sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()])
    assert least_model_bytes(config) <= real <= expected_weights(config)[1]


def test_model_list_line_names_what_a_model_is_conditioned_on():
    """The model list's line says "auto-encoder" for a model coded from any picture, "portraits" for
    one conditioned on a face descriptor, and the class count for a class-conditional one."""
    from pixelcnn_studio.core.card import summary_line
    from pixelcnn_studio.core.checkpoint import read_checkpoint_dict
    from pixelcnn_studio.core.config import ModelConfig
    from pixelcnn_studio.paths import bundled_model
    lines = {}
    for name in ("mnist-autoencoder", "lfw-portraits", "mnist", "letters-style", "fashion-where"):
        payload = read_checkpoint_dict(bundled_model(name))
        lines[name] = summary_line(ModelConfig.from_dict(payload["config"]), payload)
    assert "auto-encoder" in lines["mnist-autoencoder"] and "portrait" not in lines["mnist-autoencoder"]
    assert "portraits" in lines["lfw-portraits"]
    assert "10 classes" in lines["mnist"]
    # The style model's encoder reads a sibling glyph: a style code, not an auto-encoder's own picture.
    assert "+ style" in lines["letters-style"] and "auto-encoder" not in lines["letters-style"]
    assert "+ box" in lines["fashion-where"]
