"""Training conditioned on embeddings: the PixelCNN auto-encoder and a pretrained face embedder."""
import numpy as np
import pytest
import torch

from pixelcnn_studio.cli import main
from pixelcnn_studio.core import load_checkpoint
from pixelcnn_studio.train.conditioning import checkpoint_embeddings
from pixelcnn_studio.train.evaluate import heldout_nll


def make_shapes(path, n_train=192, n_test=48, size=8, seed=0):
    """Unlabelled images whose global shape varies continuously: a bright box of random size and place.

    Knowing the code of an image (where its box is) should make its pixels far more predictable.
    """
    rng = np.random.default_rng(seed)

    def images(n):
        x = np.full((n, size, size), 20, dtype=np.int64)
        for i in range(n):
            top, left = rng.integers(0, size - 2, size=2)
            h, w = rng.integers(2, size - max(top, left) + 1, size=2)
            x[i, top:top + h, left:left + w] = 230
        return x.astype(np.uint8)

    np.savez(path, x_train=images(n_train), x_test=images(n_test))
    return path


def train(data, out, *extra):
    args = ["train", "--data", f"npz:{data}", "--out", str(out), "--preset", "tiny", "--threads", "1",
            "--hidden", "16", "--layers", "3", "--output-hidden", "32", "--warmup-steps", "5",
            "--batch-size", "16", "--ema", "0.9", *map(str, extra)]
    assert main(args) == 0


def test_autoencoder_code_makes_held_out_images_more_likely(tmp_path):
    data = make_shapes(tmp_path / "shapes.npz")
    out = tmp_path / "ae"
    train(data, out, "--conditioning", "autoencoder", "--code-dim", "8", "--epochs", "25", "--lr", "0.01")
    loaded = load_checkpoint(out / "last.pt")
    assert loaded.config.embedding_dim == 8 and loaded.embedder["name"] == "autoencoder"
    test = torch.from_numpy(np.load(data)["x_test"]).unsqueeze(1)
    own = checkpoint_embeddings(loaded, test)
    assert own.shape == (48, 8)
    bpd_own = heldout_nll(loaded.model, test, None, embeddings=own)
    bpd_shuffled = heldout_nll(loaded.model, test, None, embeddings=own.roll(7, dims=0))
    bpd_zero = heldout_nll(loaded.model, test, None, embeddings=torch.zeros_like(own))
    # Its own code tells the decoder where the box is: clearly better than another image's code.
    print(f"held-out bits/dim: own code {bpd_own:.3f}, shuffled {bpd_shuffled:.3f}, zero {bpd_zero:.3f}")
    assert bpd_own < bpd_shuffled - 0.2
    assert bpd_own < bpd_zero
    # The checkpoint carries a gallery of training images with their codes, for "nearest images".
    gallery = loaded.metadata["gallery"]
    train_images = torch.from_numpy(np.load(data)["x_train"]).unsqueeze(1)
    assert torch.equal(gallery["images"], train_images[:192])
    assert torch.allclose(gallery["embeddings"], checkpoint_embeddings(loaded, train_images[:192]), atol=1e-4)
    # Different pictures get different codes (a collapsed encoder gives every picture the same one).
    assert float(own.std(0).mean()) > 0.1
    # And the same code works through the command line's eval.
    assert main(["eval", str(out / "last.pt"), "--data", f"npz:{data}", "--json"]) == 0


def test_autoencoder_resume_continues_exactly(tmp_path):
    data = make_shapes(tmp_path / "shapes.npz", n_train=64, n_test=16)
    straight, split = tmp_path / "straight", tmp_path / "split"
    train(data, straight, "--conditioning", "autoencoder", "--code-dim", "4", "--epochs", "2", "--lr", "0.01")
    train(data, split, "--conditioning", "autoencoder", "--code-dim", "4", "--epochs", "1", "--lr", "0.01")
    assert main(["train", "--out", str(split), "--resume", "--epochs", "2"]) == 0
    a, b = load_checkpoint(straight / "last.pt"), load_checkpoint(split / "last.pt")
    for key, value in a.model.state_dict().items():
        assert torch.equal(value, b.model.state_dict()[key]), key
    for key, value in a.embedder["state_dict"].items():
        assert torch.equal(value, b.embedder["state_dict"][key]), key


def test_embedding_conditioning_with_the_face_embedder(tmp_path, monkeypatch, embeddings_cache):
    from pixelcnn_studio.embed import EmbedderUnavailable, get_embedder
    try:
        embedder = get_embedder("face-dlib-128")
    except EmbedderUnavailable as exc:
        pytest.skip(f"face embedder not installed: {exc}")
    data = make_shapes(tmp_path / "shapes.npz", n_train=32, n_test=8)
    out = tmp_path / "faces"
    train(data, out, "--conditioning", "embedding", "--embedder", "face-dlib-128", "--epochs", "1", "--lr", "0.01")
    loaded = load_checkpoint(out / "last.pt")
    assert loaded.embedder == {"name": "face-dlib-128", "dim": 128}
    assert loaded.config.embedding_dim == 128
    cache = embeddings_cache / "face-dlib-128.npz"
    with np.load(data) as arrays:
        distinct = len(np.unique(np.concatenate([arrays["x_train"], arrays["x_test"]]).reshape(40, -1), axis=0))
    with np.load(cache) as stored:      # one entry per distinct picture, keyed by its pixels' content
        assert len(stored["keys"]) == distinct and stored["vectors"].shape == (distinct, 128)
    # A second run over the same images reads the cache instead of embedding again.
    calls = []
    for method in ("analyse", "analyse_batch"):
        original = getattr(type(embedder), method)
        monkeypatch.setattr(type(embedder), method,
                            lambda self, *a, _original=original, **k: calls.append(1) or _original(self, *a, **k))
    train(data, tmp_path / "again", "--conditioning", "embedding", "--embedder", "face-dlib-128", "--epochs", "1")
    assert calls == []


def test_embedding_conditioning_needs_an_embedder(tmp_path, capsys):
    data = make_shapes(tmp_path / "shapes.npz", n_train=32, n_test=8)
    assert main(["train", "--data", f"npz:{data}", "--out", str(tmp_path / "x"), "--conditioning", "embedding"]) == 2
    assert "--embedder" in capsys.readouterr().err
