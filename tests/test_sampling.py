"""The naive and cached samplers: identical images, streamed in order, cancellable and forkable."""
import threading

import numpy as np
import pytest
import torch
from PIL import Image

from pixelcnn_studio import ModelConfig, SampleStream, build_model, sample, save_checkpoint
from pixelcnn_studio.cli import main as cli_main
from pixelcnn_studio.core.engines import CachedEngine, NaiveEngine

CASES = {
    "gray": dict(image_size=(5, 7), channels=1),
    "gray-class": dict(image_size=(6, 5), channels=1, num_classes=3),
    "colour": dict(image_size=(4, 5), channels=3),
    "colour-class": dict(image_size=(5, 4), channels=3, num_classes=3),
    "gray-embedding": dict(image_size=(5, 6), channels=1, embedding_dim=4),
    "colour-location": dict(image_size=(4, 6), channels=3, num_classes=2, embedding_dim=3,
                            location_conditioning=True),
    "original-gray": dict(image_size=(6, 5), channels=1, variant="original"),
    "original-colour-class": dict(image_size=(4, 5), channels=3, num_classes=2, variant="original"),
}


def make(case, dtype=torch.float64, seed=0, **extra):
    cfg = ModelConfig(hidden=12, layers=3, kernel_size=3, **{**CASES[case], **extra})
    torch.manual_seed(seed)
    model = build_model(cfg).to(dtype).eval()
    # Widen the output so the sampled levels vary a lot (an untrained model is nearly uniform).
    with torch.no_grad():
        model.head.out.weight.mul_(20)
    return cfg, model


def conditioning(cfg, n, seed=0):
    g = torch.Generator().manual_seed(seed)
    kw = {}
    if cfg.num_classes:
        kw["class_ids"] = torch.arange(n) % cfg.num_classes
    if cfg.embedding_dim:
        kw["embedding"] = torch.randn(n, cfg.embedding_dim, generator=g, dtype=torch.float64)
    return kw


@pytest.mark.parametrize("case", sorted(CASES))
def test_naive_and_cached_give_identical_images_in_float64(case):
    cfg, model = make(case)
    kw = conditioning(cfg, 3)
    naive = sample(model, 3, seed=11, method="naive", **kw)
    cached = sample(model, 3, seed=11, method="cached", **kw)
    assert naive.dtype == torch.uint8 and naive.shape == (3, cfg.channels, cfg.height, cfg.width)
    assert torch.equal(naive, cached)
    assert len(torch.unique(cached)) > 5, "the test model should produce varied levels"
    other_seed = sample(model, 3, seed=12, method="cached", **kw)
    assert not torch.equal(cached, other_seed)


@pytest.mark.parametrize("case", ["colour-location", "gray-class", "original-colour-class"])
def test_float32_step_probabilities_agree(case):
    cfg, model = make(case, dtype=torch.float32)
    n = 2
    terms = model.layer_terms(**conditioning(cfg, n), batch=n)
    naive, cached = NaiveEngine(model, terms, n), CachedEngine(model, terms, n)
    image = torch.zeros(n, cfg.channels, cfg.height, cfg.width)
    scaled = image * (2 / 255) - 1
    naive.reset(scaled, 0)
    cached.reset(scaled, 0)
    g = torch.Generator().manual_seed(0)
    worst = 0.0
    with torch.no_grad():
        for r in range(cfg.height):
            for c in range(cfg.width):
                for ch in range(cfg.channels):
                    p_naive = torch.softmax(naive.logits(r, c, ch), dim=1)
                    p_cached = torch.softmax(cached.logits(r, c, ch), dim=1)
                    worst = max(worst, float((p_naive - p_cached).abs().max()))
                    value = torch.multinomial(p_cached, 1, generator=g).squeeze(1)
                    v = value.float() * (2 / 255) - 1
                    naive.update(r, c, ch, v)
                    cached.update(r, c, ch, v)
    assert worst < 1e-4


def test_steps_stream_in_raster_then_channel_order_and_end_in_the_sample():
    cfg, model = make("colour-class")
    kw = conditioning(cfg, 4)
    stream = SampleStream(model, 4, seed=5, **kw)
    positions = []
    for step in stream:
        positions.append((step.row, step.col, step.channel))
        assert step.index == len(positions) - 1 and step.total == 3 * 5 * 4
        assert step.probs.shape == (4, 256)
        assert torch.allclose(step.probs.sum(1), torch.ones(4), atol=1e-5)
        assert torch.equal(step.image[:, step.channel, step.row, step.col], step.values.to(torch.uint8))
    assert positions == [(r, c, ch) for r in range(5) for c in range(4) for ch in range(3)]
    assert torch.equal(stream.image, sample(model, 4, seed=5, **kw))
    bpd = stream.bits_per_dim()
    assert bpd.shape == (4,) and bool((bpd > 0).all())


def test_cancel_stops_within_one_step_and_leaves_no_thread():
    cfg, model = make("gray")
    threads_before = threading.active_count()
    stream = SampleStream(model, 2, seed=0)
    for _ in range(3):
        stream.step()
    stream.cancel()
    assert stream.step() is None and stream.done
    assert list(stream) == []
    assert stream.next_index == 3
    assert threading.active_count() == threads_before


@pytest.mark.parametrize("case", ["colour-class", "gray-embedding", "original-gray"])
def test_fork_keeps_earlier_steps_and_resamples_later_ones(case):
    cfg, model = make(case)
    kw = conditioning(cfg, 3)
    stream = SampleStream(model, 3, seed=1, **kw)
    first = stream.run().clone()
    k = stream.total // 2 + 1           # mid-pixel for colour models
    stream.fork(k, seed=99)
    assert torch.equal(stream.image, stream.image_at(k))
    forked = stream.run().clone()
    flat = lambda img: img.permute(0, 2, 3, 1).reshape(3, -1)  # noqa: E731 - raster-then-channel
    assert torch.equal(flat(forked)[:, :k], flat(first)[:, :k])
    assert not torch.equal(flat(forked)[:, k:], flat(first)[:, k:])
    # Forking back with the original seed replays the original run exactly.
    stream.fork(k, seed=1)
    assert torch.equal(stream.run(), first)
    # Steps that have not been reached yet cannot be forked from.
    with pytest.raises(ValueError, match="fork"):
        stream.fork(stream.total + 1)


def test_prefix_is_kept_exactly_and_validated():
    cfg, model = make("colour-class")
    kw = conditioning(cfg, 2)
    prefix = torch.randint(0, 256, (2, 3, 5, 4), dtype=torch.uint8)
    out = sample(model, 2, seed=3, prefix=prefix, prefix_pixels=7, **kw)
    flat_out, flat_prefix = out.reshape(2, 3, -1), prefix.reshape(2, 3, -1)
    assert torch.equal(flat_out[:, :, :7], flat_prefix[:, :, :7])
    assert not torch.equal(flat_out[:, :, 7:], flat_prefix[:, :, 7:])
    assert torch.equal(out, sample(model, 2, seed=3, prefix=prefix, prefix_pixels=7, method="naive", **kw))
    with pytest.raises(ValueError, match="prefix must have shape"):
        sample(model, 2, prefix=torch.zeros(2, 1, 5, 4, dtype=torch.uint8), prefix_pixels=3, **kw)
    with pytest.raises(ValueError, match="prefix_pixels"):
        sample(model, 2, prefix=prefix, prefix_pixels=21, **kw)


def test_one_image_is_written_without_a_frame_and_scores_as_the_bare_picture(tmp_path, capsys):
    """A PNG of one sample holds the picture alone (no grid padding around it), so that reading it
    back (Surprise, another tool) sees exactly the sampled pixels; several images keep their gaps."""
    import json
    cfg, model = make("gray-class", dtype=torch.float32)
    ckpt = tmp_path / "m.pt"
    save_checkpoint(ckpt, model, class_names=["zero", "one", "two"])
    png, npy = tmp_path / "one.png", tmp_path / "one.npy"
    for out in (png, npy):
        assert cli_main(["sample", str(ckpt), "--n", "1", "--class", "one", "--seed", "5", "--scale", "1",
                        "--out", str(out)]) == 0
    picture = np.asarray(Image.open(png).convert("L"))
    assert picture.shape == (6, 5) and np.array_equal(picture, np.load(npy)[0, 0])
    capsys.readouterr()
    assert cli_main(["surprise", str(ckpt), str(png), "--class", "one", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    from pixelcnn_studio.core.surprise import surprise
    bare = surprise(model, torch.from_numpy(np.load(npy)), class_id=1)
    assert report["bits_per_dim"] == pytest.approx(bare.bits_per_dim, rel=1e-6)
    two = tmp_path / "two.png"
    assert cli_main(["sample", str(ckpt), "--n", "2", "--scale", "1", "--out", str(two)]) == 0
    assert np.asarray(Image.open(two)).shape == (6 + 2, 2 * 5 + 3, 3)


def test_temperature_and_greedy():
    cfg, model = make("gray")
    greedy_a = sample(model, 2, seed=1, greedy=True)
    greedy_b = sample(model, 2, seed=2, greedy=True)
    assert torch.equal(greedy_a, greedy_b), "greedy sampling ignores the seed"
    hot = sample(model, 2, seed=1, temperature=5.0).float()
    cold = sample(model, 2, seed=1, temperature=0.05).float()
    # A cold sampler stays near the greedy choice; a hot one wanders.
    assert (cold - greedy_a.float()).abs().mean() < (hot - greedy_a.float()).abs().mean()
    with pytest.raises(ValueError, match="temperature"):
        SampleStream(model, 1, temperature=0)


def test_sample_command_writes_png_npy_gif(tmp_path, capsys):
    cfg, model = make("gray-class", dtype=torch.float32)
    ckpt = tmp_path / "m.pt"
    save_checkpoint(ckpt, model, class_names=["zero", "one", "two"])
    npy = tmp_path / "s.npy"
    assert cli_main(["sample", str(ckpt), "--n", "3", "--class", "one", "--seed", "4", "--out", str(npy)]) == 0
    arr = np.load(npy)
    assert arr.shape == (3, 1, 6, 5) and arr.dtype == np.uint8
    expected = sample(model, 3, class_ids=torch.full((3,), 1), seed=4)
    assert np.array_equal(arr, expected.numpy())
    png = tmp_path / "s.png"
    assert cli_main(["sample", str(ckpt), "--n", "4", "--class", "2", "--scale", "3", "--out", str(png)]) == 0
    img = np.asarray(Image.open(png))
    assert img.shape == (2 * 6 * 3 + 3, 2 * 5 * 3 + 3, 3)
    gif = tmp_path / "s.gif"
    assert cli_main(["sample", str(ckpt), "--n", "2", "--class", "zero", "--out", str(gif)]) == 0
    assert Image.open(gif).n_frames == 30       # one frame per sub-pixel when there are fewer than 120
    assert cli_main(["sample", str(ckpt), "--class", "seven", "--out", str(png)]) == 2
    assert "unknown class 'seven'" in capsys.readouterr().err
