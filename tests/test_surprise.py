"""`surprise`: per-sub-pixel bits, bits/dim and the class posterior of one picture, checked against a
computation made here straight from the model's logits."""
import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from pixelcnn_studio import ModelConfig, build_model, load_checkpoint, save_checkpoint
from pixelcnn_studio.cli import main
from pixelcnn_studio.core.surprise import class_log_likelihoods, surprise


def small_model(**overrides):
    torch.manual_seed(0)
    fields = dict(image_size=8, hidden=8, layers=2, kernel_size=3, num_classes=3)
    fields.update(overrides)
    # float64 so that two routes to the same numbers agree to rounding, not to float32 noise.
    return build_model(ModelConfig(**fields)).double().eval()


def logits_bits(model, x, class_id=None):
    """-log2 p of every sub-pixel, from the raw logits (B=1): (C, H, W) float64."""
    ids = None if class_id is None else torch.tensor([class_id])
    with torch.no_grad():
        logits = model(x, class_ids=ids).double()           # (1, levels, C, H, W)
    log_p = torch.log_softmax(logits, dim=1)
    picked = log_p.gather(1, x.long().unsqueeze(1))[0, 0]
    return -picked / math.log(2.0)


@pytest.fixture
def picture():
    generator = torch.Generator().manual_seed(1)
    return torch.randint(0, 256, (1, 1, 8, 8), generator=generator, dtype=torch.uint8)


def test_class_scores_keep_each_pictures_own_code():
    """A model conditioned on a class and a code (a style model) scores each picture under every class
    with that picture's code, not with one code for all."""
    from pixelcnn_studio.core.likelihood import nll_per_subpixel
    model = small_model(embedding_dim=2)
    torch.manual_seed(1)
    x = torch.randint(0, 256, (2, 1, 8, 8))
    codes = torch.tensor([[1.0, -1.0], [-2.0, 0.5]], dtype=torch.float64)
    scores = class_log_likelihoods(model, x, embedding=codes)
    for i in range(2):
        for c in range(3):
            with torch.no_grad():
                nll = nll_per_subpixel(model, x[i:i + 1], torch.tensor([c]), codes[i:i + 1]).double().sum()
            assert float(scores[i, c]) == pytest.approx(-float(nll), rel=1e-9)
    assert not torch.allclose(scores, class_log_likelihoods(model, x, embedding=codes.flip(0)))


def test_surprise_equals_the_models_own_logits(picture):
    model = small_model()
    by_class = torch.stack([logits_bits(model, picture, c) for c in range(3)])
    log_likelihood = -by_class.flatten(1).sum(1) * math.log(2.0)
    posterior = torch.exp(log_likelihood - torch.logsumexp(log_likelihood, 0))
    best = int(posterior.argmax())

    result = surprise(model, picture)
    assert result.class_id == best
    torch.testing.assert_close(result.bits, by_class[best], rtol=1e-9, atol=1e-9)
    assert result.bits_per_dim == pytest.approx(float(by_class[best].mean()), rel=1e-12)
    torch.testing.assert_close(result.class_posterior, posterior, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(class_log_likelihoods(model, picture)[0], log_likelihood, rtol=1e-9, atol=1e-9)

    other = (best + 1) % 3
    chosen = surprise(model, picture, class_id=other)
    assert chosen.class_id == other
    torch.testing.assert_close(chosen.bits, by_class[other], rtol=1e-9, atol=1e-9)


def test_colour_bits_keep_their_channels():
    model = small_model(channels=3, num_classes=0)
    x = torch.randint(0, 256, (1, 3, 8, 8), dtype=torch.uint8)
    result = surprise(model, x)
    assert result.bits.shape == (3, 8, 8) and result.class_posterior is None and result.class_id is None
    torch.testing.assert_close(result.bits, logits_bits(model, x), rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(result.bits_per_pixel, result.bits.sum(0))


def test_command_reports_the_contracted_json(tmp_path, picture, capsys):
    model = small_model()
    path = tmp_path / "m.pt"
    save_checkpoint(path, model, class_names=["zero", "one", "two"])
    image = tmp_path / "x.png"
    Image.fromarray(picture[0, 0].numpy()).save(image)          # already at the model's size: used as it is
    loaded = load_checkpoint(path)
    expected = surprise(loaded.model, picture, class_id=2)

    out = tmp_path / "map.png"
    assert main(["surprise", str(path), str(image), "--class", "two", "--json", "--out", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"bits_per_dim", "class", "class_posterior", "bits"}
    assert report["class"] == "two"
    assert np.asarray(report["bits"]).shape == (8, 8)
    np.testing.assert_allclose(report["bits"], expected.bits[0].numpy(), rtol=1e-9)
    assert report["bits_per_dim"] == pytest.approx(expected.bits_per_dim, rel=1e-9)
    assert sum(report["class_posterior"].values()) == pytest.approx(1.0)
    assert list(report["class_posterior"]) == ["zero", "one", "two"]
    assert Image.open(out).size[0] > Image.open(out).size[1]     # picture and map side by side

    assert main(["surprise", str(path), str(image), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["class"] == max(report["class_posterior"], key=report["class_posterior"].get)


def test_mistakes_are_one_line_errors(tmp_path, picture, capsys):
    path = tmp_path / "m.pt"
    save_checkpoint(path, small_model(), class_names=["zero", "one", "two"])
    image = tmp_path / "x.png"
    Image.fromarray(picture[0, 0].numpy()).save(image)
    (tmp_path / "notes.txt").write_text("not a picture")
    cases = [[str(path), str(tmp_path / "notes.txt")], [str(path), str(image), "--class", "three"],
             [str(tmp_path / "missing.pt"), str(image)], [str(path), str(image), "--out", str(tmp_path / "m.jpg")]]
    for args in cases:
        assert main(["surprise", *args]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("pixelcnn-studio: error:") and "\n" not in err and "Traceback" not in err
