"""Devices and thread counts: the choice, its errors, and the samplers on every device there is."""
import copy

import numpy as np
import pytest
import torch

from pixelcnn_studio import ModelConfig, bits_per_dim, build_model, ranges, sample, save_checkpoint
from pixelcnn_studio.cli import main
from pixelcnn_studio.core import devices
from pixelcnn_studio.errors import UserError

SMALL = ModelConfig(image_size=5, channels=3, hidden=8, layers=2, kernel_size=3, num_classes=2)
PAPER = ModelConfig(image_size=32, channels=3, hidden=128, layers=15, kernel_size=5, num_classes=10)
ACCELERATORS = [d for d in devices.available_devices() if d != "cpu"]


def test_auto_is_the_best_device_here_and_cpu_always_works():
    expected = "cuda" if torch.cuda.is_available() else ("mps" if devices.mps_available() else "cpu")
    assert devices.resolve_device("auto").type == expected
    assert devices.resolve_device(None).type == expected
    assert devices.resolve_device("CPU") == torch.device("cpu")
    assert devices.available_devices()[0] == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_asking_for_a_missing_gpu_is_one_clear_error(tmp_path, capsys):
    with pytest.raises(UserError, match="CUDA is not available"):
        devices.resolve_device("cuda")
    with pytest.raises(UserError, match="choose one of"):
        devices.resolve_device("tpu")
    path = tmp_path / "m.pt"
    save_checkpoint(path, build_model(SMALL))
    out = tmp_path / "s.png"
    assert main(["sample", str(path), "--n", "1", "--device", "cuda", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--device cuda" in err
    assert not out.exists()
    assert main(["sample", str(path), "--n", "1", "--threads", "0", "--out", str(out)]) == 2
    assert "--threads" in capsys.readouterr().err and not out.exists()


def test_threads_follow_the_size_of_a_step_and_the_free_cores():
    # A bundled model's step is too small to split, however many cores are free.
    assert devices.sampling_threads(SMALL, 64, cores=16, load=0.0) == 1
    assert devices.sampling_threads(PAPER, 1, cores=16, load=0.0) == 1
    # A paper-size model over a big batch splits, but only over free cores.
    big = devices.sampling_threads(PAPER, 256, cores=16, load=0.0)
    assert 1 < big <= 16
    assert devices.sampling_threads(PAPER, 256, cores=16, load=15.0) == 1
    assert devices.sampling_threads(PAPER, 256, cores=2, load=0.0, keep_one_free=True) == 1
    assert devices.dense_threads(cores=4, load=1.2) == 3
    assert devices.dense_threads(cores=2, load=9.0) == 1
    assert devices.dense_threads(cores=2, load=0.0) == 2


def test_explicit_threads_are_applied(tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(path, build_model(SMALL))
    before = torch.get_num_threads()
    try:
        # Within the cores (more are held to the core count: tests/test_ranges.py).
        explicit = min(2, ranges.cores())
        assert main(["sample", str(path), "--n", "1", "--threads", str(explicit), "--out", str(tmp_path / "a.npy")]) == 0
        assert torch.get_num_threads() == explicit
        assert main(["sample", str(path), "--n", "1", "--out", str(tmp_path / "b.npy")]) == 0
        assert torch.get_num_threads() == 1                 # the rule: a tiny step runs on one thread
    finally:
        torch.set_num_threads(before)
    assert np.array_equal(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))


@pytest.mark.parametrize("device", ACCELERATORS or [pytest.param("cuda", marks=pytest.mark.skip("no GPU here"))])
def test_samplers_agree_and_score_on_an_accelerator(device):
    torch.manual_seed(0)
    on_cpu = build_model(SMALL).eval()
    model = copy.deepcopy(on_cpu).to(device)
    ids = torch.tensor([0, 1, 1])
    if device != "mps":          # MPS has no float64, so the exact comparison runs on CUDA only
        exact = copy.deepcopy(on_cpu).double().to(device)
        assert torch.equal(sample(exact, 3, class_ids=ids, seed=4, method="naive"),
                           sample(exact, 3, class_ids=ids, seed=4, method="cached"))
    images = sample(model, 3, class_ids=ids, seed=4)
    assert images.device.type == "cpu" and images.dtype == torch.uint8
    assert bits_per_dim(model, images, class_ids=ids) == pytest.approx(bits_per_dim(on_cpu, images, class_ids=ids),
                                                                       rel=1e-4)
