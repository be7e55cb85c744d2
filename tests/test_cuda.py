"""The CUDA path: the two samplers agree on a GPU for every kind of conditioning, checkpoints cross
between a GPU and the CPU both ways, and training, evaluation and sampling run on `--device cuda`.

Skipped where no CUDA GPU is visible (every CI machine); scripts/gpu_session.sh runs them on one.
PIXELCNN_STUDIO_TEST_DEVICE=cpu runs them on the CPU instead (the session script's dry run does, so
that a typo here cannot cost GPU time).
"""
from __future__ import annotations

import os

import pytest
import torch

from pixelcnn_studio import ModelConfig, build_model, load_checkpoint, sample, save_checkpoint
from pixelcnn_studio.cli import main

DEVICE = os.environ.get("PIXELCNN_STUDIO_TEST_DEVICE", "cuda")
GPU = torch.device(DEVICE)
pytestmark = pytest.mark.skipif(GPU.type == "cuda" and not torch.cuda.is_available(), reason="needs a CUDA GPU")

# One model of each kind of conditioning the studio samples from.
KINDS = {
    "unconditional grey": dict(image_size=(6, 5), channels=1),
    "unconditional colour": dict(image_size=(4, 5), channels=3),
    "class": dict(image_size=(5, 6), channels=3, num_classes=3),
    "embedding": dict(image_size=(5, 6), channels=1, embedding_dim=4),
    "location (class + box)": dict(image_size=(6, 6), channels=1, num_classes=2, embedding_dim=4,
                                   location_conditioning=True),
    "original, class": dict(image_size=(4, 5), channels=3, num_classes=2, variant="original"),
}


def _model(config: ModelConfig, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = build_model(config).eval()
    with torch.no_grad():
        model.head.out.weight.mul_(20)          # an untrained model is nearly uniform: make levels vary
    return model


def _conditioning(config: ModelConfig, n: int, device) -> dict:
    g = torch.Generator().manual_seed(1)
    kw = {}
    if config.num_classes:
        kw["class_ids"] = (torch.arange(n) % config.num_classes).to(device)
    if config.embedding_dim:
        kw["embedding"] = torch.randn(n, config.embedding_dim, generator=g, dtype=torch.float64).to(device)
    return kw


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_naive_and_cached_give_identical_images_on_cuda_in_float64(kind):
    config = ModelConfig(hidden=12, layers=3, kernel_size=3, **KINDS[kind])
    model = _model(config).to(GPU, torch.float64)
    kw = _conditioning(config, 3, GPU)
    naive = sample(model, 3, seed=5, method="naive", **kw)
    cached = sample(model, 3, seed=5, method="cached", **kw)
    assert torch.equal(naive.cpu(), cached.cpu())
    assert len(torch.unique(cached)) > 5


def test_naive_and_cached_agree_for_an_auto_encoders_decoder_on_cuda():
    from pixelcnn_studio.embed.autoencoder import ConvEncoder
    config = ModelConfig(image_size=8, channels=1, hidden=12, layers=3, kernel_size=3, embedding_dim=6,
                         location_conditioning=True)
    decoder = _model(config).to(GPU, torch.float64)
    torch.manual_seed(2)
    encoder = ConvEncoder(1, 8, 6, levels=config.levels).to(GPU, torch.float64).eval()
    pictures = torch.randint(0, 256, (2, 1, 8, 8), device=GPU)
    with torch.no_grad():
        code = encoder(pictures)
    naive = sample(decoder, 2, embedding=code, seed=3, method="naive")
    cached = sample(decoder, 2, embedding=code, seed=3, method="cached")
    assert torch.equal(naive.cpu(), cached.cpu())


def test_a_checkpoint_with_cuda_tensors_and_wrapper_prefixes_opens_on_the_cpu(tmp_path):
    config = ModelConfig(image_size=5, channels=3, hidden=8, layers=2, kernel_size=3, num_classes=2)
    model = _model(config).to(GPU)
    plain = tmp_path / "plain.pt"
    save_checkpoint(plain, torch.compile(model), class_names=["a", "b"])     # `_orig_mod.` stripped
    payload = torch.load(plain, weights_only=True)
    # As another program might have written it: tensors on the GPU, under DistributedDataParallel's prefix.
    payload["state_dict"] = {f"module.{k}": v.to(GPU) for k, v in payload["state_dict"].items()}
    on_gpu = tmp_path / "saved-on-cuda.pt"
    torch.save(payload, on_gpu)
    for path in (plain, on_gpu):
        loaded = load_checkpoint(path, map_location="cpu")
        assert all(p.device.type == "cpu" for p in loaded.model.parameters())
        for key, value in model.state_dict().items():
            assert torch.equal(loaded.model.state_dict()[key], value.cpu()), key
        assert loaded.class_names == ["a", "b"]


def test_a_checkpoint_saved_on_the_cpu_opens_on_cuda_and_samples_the_same(tmp_path):
    config = ModelConfig(image_size=5, channels=1, hidden=8, layers=2, kernel_size=3, num_classes=2)
    model = _model(config)
    path = tmp_path / "cpu.pt"
    save_checkpoint(path, model)
    loaded = load_checkpoint(path, map_location=DEVICE)
    assert all(p.device.type == GPU.type for p in loaded.model.parameters())
    x = torch.randint(0, 256, (2, 1, 5, 5))
    ids = torch.tensor([0, 1])
    with torch.no_grad():
        on_cpu = model(x, class_ids=ids)
        on_gpu = loaded.model(x.to(GPU), class_ids=ids.to(GPU)).cpu()
    assert torch.allclose(on_cpu, on_gpu, atol=1e-3, rtol=1e-3)


def test_train_eval_and_sample_on_cuda_and_open_the_result_on_the_cpu(tmp_path, capsys):
    from test_train import make_npz, train_args
    data = make_npz(tmp_path / "stripes.npz")
    out = tmp_path / "run"
    assert main(train_args(data, out, "--epochs", 2, "--device", DEVICE, "--bf16")) == 0
    best = load_checkpoint(out / "best.pt", map_location="cpu")
    assert best.metadata["training"]["device"].startswith(GPU.type)
    assert all(p.device.type == "cpu" for p in best.model.parameters())
    assert main(["eval", str(out / "best.pt"), "--data", f"npz:{data}", "--device", DEVICE, "--json"]) == 0
    assert f'"device": "{GPU.type}' in capsys.readouterr().out
    png = tmp_path / "grid.png"
    assert main(["sample", str(out / "best.pt"), "--n", "4", "--class", "all", "--device", DEVICE,
                 "--out", str(png)]) == 0
    assert png.stat().st_size > 0
