"""`bench` flags for a GPU session, checked on the CPU: shapes picked by name, the bundled models
timed with their own conditioning, the paper's width, and the compiled step's eager fallback."""
from __future__ import annotations

import pytest
import torch

from pixelcnn_studio import ModelConfig, build_model, save_checkpoint
from pixelcnn_studio.cli import main
from pixelcnn_studio.commands.bench_train import paper_shape, paths, train_shapes
from pixelcnn_studio.train.step import TrainStep, make_optimizer


def test_only_picks_training_shapes_by_name_and_paper_adds_the_papers_width():
    assert [name for name, _ in train_shapes(True, only=["tiny"])] == ["tiny 8x8 grey (8x2)"]
    assert train_shapes(True, only=["nothing like it"]) == []
    name, config = paper_shape()
    assert (config.height, config.width, config.channels, config.hidden, config.layers) == (32, 32, 3, 128, 15)
    assert train_shapes(True, paper=True)[-1][0] == name


def test_a_gpu_times_bf16_compiled_and_graphed_steps():
    names = [p["name"] for p in paths(True, "cuda", graphs=True)]
    assert names == ["previous", "current", "current + bf16", "current + bf16 + compile (network only)",
                     "current + bf16 + compile", "current + bf16 + compile (CUDA graphs)"]
    assert [p["compile"] for p in paths(True, "cuda", graphs=True)][-1] == "reduce-overhead"


@pytest.mark.parametrize("argv, says", [
    (["--graphs", "--train"], "--graphs"),                  # needs CUDA
    (["--compile"], "--compile"),                            # needs --train
    (["--only", "tiny"], "--only"),                          # needs --train
    (["--train", "--quick", "--only", "nothing"], "no training shape matches"),
    (["--train", "--bundled"], "choose one"),
])
def test_bench_flags_that_do_not_fit_end_in_one_line(capsys, argv, says):
    assert main(["bench", "--device", "cpu", *argv]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1


def test_bench_train_only_times_the_picked_shape(capsys):
    assert main(["bench", "--train", "--quick", "--only", "tiny", "--repeats", "1", "--threads", "1",
                 "--batch", "4", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "on cpu: " in out and "| tiny 8x8 grey (8x2) |" in out and "| previous |" in out


def test_bundled_rows_time_each_model_with_its_own_conditioning(tmp_path, monkeypatch):
    from pixelcnn_studio.commands.bench import _Results, _measure, _measure_likelihood, bundled_sources
    torch.manual_seed(0)
    tiny = dict(image_size=4, hidden=4, layers=1, kernel_size=3, output_hidden=8, levels=4)
    save_checkpoint(tmp_path / "classes.pt", build_model(ModelConfig(num_classes=3, **tiny)), class_names=list("abc"))
    save_checkpoint(tmp_path / "where.pt", build_model(ModelConfig(channels=3, embedding_dim=2,
                                                                   location_conditioning=True, **tiny)))
    monkeypatch.setenv("PIXELCNN_STUDIO_MODELS", str(tmp_path))
    sources = bundled_sources()
    assert [name for name, _ in sources] == ["classes", "where"]
    for _, path in sources:
        found = _Results()
        for method in ("naive", "cached"):
            _measure(path, method, 16, 1, "cpu", found)
        _measure_likelihood(path, 1, "cpu", found)
        assert all(r.get("subpixels_per_s", r.get("images_per_s")) > 0 for r in found)
        assert found[1]["grid_s"] > 0 and found[0]["grid_s"] > 0


def test_a_compiled_step_that_fails_falls_back_to_the_eager_network():
    config = ModelConfig(image_size=4, hidden=4, layers=1, kernel_size=3, output_hidden=8, levels=4, num_classes=2)
    torch.manual_seed(0)
    model = build_model(config)
    twin = build_model(config)
    twin.load_state_dict(model.state_dict())

    def broken(*args, **kwargs):                # what a compiler with no tool chain does on the first call
        raise RuntimeError("no C compiler")

    said = []
    x, y = torch.randint(0, 4, (3, 1, 4, 4)), torch.tensor([0, 1, 0])
    step = TrainStep(broken, model, make_optimizer(model, 1e-2, 0.0), None, grad_clip=1.0, eager=model,
                     say=said.append)
    reference = TrainStep(twin, twin, make_optimizer(twin, 1e-2, 0.0), None, grad_clip=1.0)
    for _ in range(2):
        assert torch.equal(step(x, y, lr=1e-2, ema_decay=0.9), reference(x, y, lr=1e-2, ema_decay=0.9))
    assert len(said) == 1 and "no C compiler" in said[0] and "eagerly" in said[0]
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), twin.state_dict().values()))
