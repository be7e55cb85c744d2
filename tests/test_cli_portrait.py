"""`pixelcnn-studio sample --portrait`: conditioning on a picture from the command line."""

import numpy as np
import pytest
import torch

from pixelcnn_studio import ModelConfig, build_model, load_checkpoint, sample, save_checkpoint
from pixelcnn_studio.cli import main
from pixelcnn_studio.embed import embedder_for_checkpoint
from pixelcnn_studio.embed.autoencoder import ConvEncoder, checkpoint_entry
from pixelcnn_studio.embed.images import open_image

from pixelcnn_studio.paths import package_folder, resources_dir

ASTRONAUT = resources_dir() / "portraits" / "astronaut.jpg"
HOPPER = resources_dir() / "portraits" / "grace_hopper.jpg"


@pytest.fixture
def autoencoder_ckpt(tmp_path):
    torch.manual_seed(0)
    cfg = ModelConfig(image_size=6, hidden=6, layers=2, kernel_size=3, embedding_dim=4, location_conditioning=True)
    path = tmp_path / "ae.pt"
    save_checkpoint(path, build_model(cfg), embedder=checkpoint_entry(ConvEncoder(1, 6, 4)))
    return path


def test_portrait_conditions_the_samples(autoencoder_ckpt, tmp_path):
    out = tmp_path / "s.npy"
    assert main(["sample", str(autoencoder_ckpt), "--n", "2", "--portrait", str(ASTRONAUT), "--seed", "3",
                 "--out", str(out)]) == 0
    loaded = load_checkpoint(autoencoder_ckpt)
    code = torch.as_tensor(embedder_for_checkpoint(loaded).embed(open_image(ASTRONAUT)))
    expected = sample(loaded.model, 2, embedding=code.expand(2, -1), seed=3)
    np.testing.assert_array_equal(np.load(out), expected.numpy())


def test_portrait_mistakes_are_one_line_errors(autoencoder_ckpt, tmp_path, capsys):
    not_an_image = tmp_path / "notes.txt"
    not_an_image.write_text("hello")
    out = str(tmp_path / "s.png")
    assert main(["sample", str(autoencoder_ckpt), "--portrait", str(not_an_image), "--out", out]) == 2
    assert "not an image" in capsys.readouterr().err
    assert main(["sample", str(autoencoder_ckpt), "--out", out]) == 2
    assert "--portrait" in capsys.readouterr().err
    class_model = tmp_path / "classes.pt"
    save_checkpoint(class_model, build_model(ModelConfig(image_size=4, hidden=4, layers=1, num_classes=2)))
    assert main(["sample", str(class_model), "--portrait", str(ASTRONAUT), "--out", out]) == 2
    assert "not conditioned on portraits" in capsys.readouterr().err


def test_bundled_face_model_samples_differ_between_people(tmp_path):
    from pixelcnn_studio.embed import EmbedderUnavailable, get_embedder
    try:
        get_embedder("face-dlib-128")
    except EmbedderUnavailable as exc:
        pytest.skip(f"face embedder not installed: {exc}")
    model = package_folder("models") / "lfw-portraits.pt"
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    assert main(["sample", str(model), "--n", "1", "--portrait", str(ASTRONAUT), "--out", str(a)]) == 0
    assert main(["sample", str(model), "--n", "1", "--portrait", str(HOPPER), "--out", str(b)]) == 0
    assert np.load(a).shape == (1, 1, 25, 25)
    assert not np.array_equal(np.load(a), np.load(b))
