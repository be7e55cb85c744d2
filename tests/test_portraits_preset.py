"""The `portraits` preset on a tiny folder of face photos: full-resolution photos embedded once
(batched, cached per user), the PixelCNN trained on their thumbnails."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageOps

from pixelcnn_studio.cli import main
from pixelcnn_studio.core import load_checkpoint
from pixelcnn_studio.paths import resources_dir

PORTRAITS = resources_dir() / "portraits"


@pytest.fixture
def face_embedder():
    from pixelcnn_studio.embed import EmbedderUnavailable, get_embedder
    try:
        return get_embedder("face-dlib-128")
    except EmbedderUnavailable as exc:
        pytest.skip(f"face embedder not installed: {exc}")


@pytest.fixture
def face_folder(tmp_path):
    """Eleven photos: the two sample portraits, mirrored, cropped and darkened."""
    folder = tmp_path / "faces"
    folder.mkdir()
    for name in ("astronaut", "grace_hopper"):
        with Image.open(PORTRAITS / f"{name}.jpg") as photo:
            photo = photo.convert("RGB")
        w, h = photo.size
        variants = [photo, ImageOps.mirror(photo), photo.crop((w // 10, 0, w, h * 9 // 10)),
                    photo.crop((0, h // 12, w * 11 // 12, h)), photo.point(lambda v: v * 3 // 4)]
        for i, picture in enumerate(variants):
            picture.save(folder / f"{name}-{i}.jpg", quality=92)
    Image.new("RGB", (300, 300), (90, 140, 200)).save(folder / "sky.png")   # no face in it
    return folder


def run(folder, out, *extra):
    return main(["train", "--preset", "portraits", "--data", f"folder:{folder}", "--out", str(out),
                 "--image-size", "16", "--hidden", "8", "--layers", "2", "--output-hidden", "16",
                 "--batch-size", "4", "--steps", "3", "--warmup-steps", "1", "--threads", "1", *extra])


def test_portraits_preset_on_a_tiny_folder(face_folder, tmp_path, face_embedder, embeddings_cache,
                                           monkeypatch, capsys):
    assert run(face_folder, tmp_path / "run") == 0
    err = capsys.readouterr().err
    assert "embedding training pictures" in err and "1 of" in err   # the sky has no face
    loaded = load_checkpoint(tmp_path / "run" / "best.pt")
    assert loaded.embedder == {"name": "face-dlib-128", "dim": 128}
    assert loaded.config.image_size == (16, 16) and loaded.config.channels == 3
    training = loaded.metadata["training"]
    assert training["preset"] == "portraits"
    # Every photo was embedded once, from its file at full resolution, not from the 16x16 thumbnail.
    with np.load(embeddings_cache / "face-dlib-128.npz") as cache:
        keys, vectors = cache["keys"].tolist(), cache["vectors"]
    assert len(keys) == 11 and all(k.startswith("file:") for k in keys)
    photo = str(face_folder / "astronaut-0.jpg")
    stored = vectors[[i for i, k in enumerate(keys) if k.startswith(f"file:{photo}:")][0]]
    assert np.allclose(stored, face_embedder.embed(photo), atol=1e-5)
    # A second run over the same folder embeds nothing: every picture comes from the cache.
    calls = []
    for method in ("analyse", "analyse_batch"):
        original = getattr(type(face_embedder), method)
        monkeypatch.setattr(type(face_embedder), method,
                            lambda self, *a, _original=original, **k: calls.append(1) or _original(self, *a, **k))
    assert run(face_folder, tmp_path / "again") == 0
    assert calls == []


def test_batched_embedding_matches_one_at_a_time(face_embedder):
    photos = [str(PORTRAITS / "astronaut.jpg"), str(PORTRAITS / "grace_hopper.jpg")]
    batched = face_embedder.analyse_batch(photos)
    for photo, result in zip(photos, batched):
        single = face_embedder.analyse(photo)
        assert np.allclose(result.vector, single.vector, atol=1e-5) and result.box == single.box
    # Different people are far apart in the face network's space (dlib's threshold is 0.6).
    assert np.linalg.norm(batched[0].vector - batched[1].vector) > 0.6


def test_portraits_preset_needs_a_folder(tmp_path, capsys):
    assert main(["train", "--preset", "portraits", "--out", str(tmp_path / "x")]) == 2
    assert "--data" in capsys.readouterr().err


class Brightness:
    """A stand-in embedder: the picture's mean level, and which call embedded it."""
    name, dim = "test-brightness", 2

    def __init__(self):
        self.seen = []

    def embed(self, picture):
        self.seen.append(picture)
        return np.array([np.asarray(picture, dtype=np.float32).mean(), 0.0], dtype=np.float32)


def test_processes_share_the_embedding_work_and_swap_vectors(embeddings_cache, monkeypatch):
    import torch

    from pixelcnn_studio import embed
    from pixelcnn_studio.train.embeddings import dataset_embeddings, picture_keys
    fake = Brightness()
    monkeypatch.setitem(embed._FACTORIES, fake.name, lambda: fake)
    monkeypatch.setitem(embed._INSTANCES, fake.name, fake)
    images = torch.arange(10, dtype=torch.uint8).mul(20).view(10, 1, 1, 1).expand(10, 3, 4, 4).contiguous()
    expected = images.float().mean(dim=(1, 2, 3))

    # Rank 0 of 2 embeds the even pictures only; rank 1's odd ones arrive through the exchange.
    keys = picture_keys(images)

    def exchange(part):
        odd = {keys[i]: (np.array([i * 20.0, 0.0], np.float32), False) for i in range(1, 10, 2)}
        return [part, odd]

    vectors = dataset_embeddings(images, fake.name, share=(0, 2), exchange=exchange, show_progress=False)
    assert len(fake.seen) == 5 and [np.asarray(p).mean() for p in fake.seen] == [0.0, 40.0, 80.0, 120.0, 160.0]
    assert torch.allclose(vectors[:, 0], expected)
    # The first process saved all ten: a later single-process run embeds nothing.
    fake.seen.clear()
    again = dataset_embeddings(images, fake.name, show_progress=False)
    assert fake.seen == [] and torch.equal(again, vectors)
