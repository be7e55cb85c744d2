"""Portrait embedders: the registry, the dlib face embedder on the shipped portraits, hostile pictures,
and the auto-encoder's encoder travelling inside a checkpoint."""
import importlib.util
import io
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

from pixelcnn_studio import CheckpointError, ModelConfig, build_model, load_checkpoint, save_checkpoint
from pixelcnn_studio import embed
from pixelcnn_studio.embed import (EmbedderMismatch, EmbedderUnavailable, available_embedders, embedder_for_checkpoint,
                                   get_embedder)
from pixelcnn_studio.embed.autoencoder import (AutoencoderEmbedder, ConvEncoder, checkpoint_entry,
                                               encoder_from_checkpoint_entry)
from pixelcnn_studio.embed.face_dlib import FaceResult, NoFaceFound
from pixelcnn_studio.embed.images import ImageInputError, open_image
from pixelcnn_studio.embed.prepare import Preparation
from pixelcnn_studio.paths import resources_dir

PORTRAITS = resources_dir() / "portraits"
ASTRONAUT, HOPPER = PORTRAITS / "astronaut.jpg", PORTRAITS / "grace_hopper.jpg"
SAME_PERSON = 0.6          # dlib's threshold on the Euclidean distance between descriptors
INSTALL = "pip install 'pixelcnn-studio[faces]'"

HAVE_DLIB = (importlib.util.find_spec("dlib") is not None
             and importlib.util.find_spec("face_recognition_models") is not None)
NO_DLIB = f"dlib is not installed (the face embedder is the optional extra: {INSTALL})"
needs_dlib = pytest.mark.skipif(not HAVE_DLIB, reason=NO_DLIB)


@pytest.fixture(scope="module")
def face():
    if not HAVE_DLIB:
        pytest.skip(NO_DLIB)
    return get_embedder("face-dlib-128")


def distance(a, b) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))


def gradient(width=400, height=300) -> Image.Image:
    return Image.linear_gradient("L").resize((width, height)).convert("RGB")


# ---- the registry ----------------------------------------------------------------------------

@needs_dlib
def test_available_embedders_lists_the_face_embedder():
    assert "face-dlib-128" in available_embedders()
    embedder = get_embedder("face-dlib-128")
    assert (embedder.name, embedder.dim) == ("face-dlib-128", 128)
    assert get_embedder("face-dlib-128") is embedder          # loaded once


def test_unknown_embedder_is_unavailable():
    with pytest.raises(EmbedderUnavailable, match="unknown embedder 'no-such-net'.*face-dlib-128"):
        get_embedder("no-such-net")


def test_autoencoder_by_name_points_to_the_checkpoint():
    with pytest.raises(EmbedderUnavailable, match="stored in the checkpoint.*embedder_for_checkpoint"):
        get_embedder("autoencoder")


def test_missing_dlib_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "dlib", None)            # `import dlib` now fails as if not installed
    monkeypatch.setattr(embed, "_INSTANCES", {})
    with pytest.raises(EmbedderUnavailable, match=r"needs dlib: pip install 'pixelcnn-studio\[faces\]'"):
        get_embedder("face-dlib-128")
    assert "face-dlib-128" not in available_embedders()


def test_missing_model_files_name_the_install_command(monkeypatch):
    from pixelcnn_studio.embed import face_dlib
    monkeypatch.setattr(face_dlib, "MODELS_PACKAGE", "no_such_face_models_package")
    with pytest.raises(EmbedderUnavailable, match=r"model files are not installed: pip install"):
        face_dlib.models_dir()


def test_importing_the_package_never_needs_dlib():
    code = ("import sys; sys.modules['dlib'] = None; import pixelcnn_studio; "
            "from pixelcnn_studio.embed.face_dlib import NoFaceFound; "
            "print(pixelcnn_studio.available_embedders())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# ---- the face embedder on real photos --------------------------------------------------------

@needs_dlib
def test_same_face_mirrored_is_the_same_person(face):
    for path in (ASTRONAUT, HOPPER):
        picture = Image.open(path)
        original, mirrored = face.embed(picture), face.embed(ImageOps.mirror(picture))
        assert original.dtype == np.float32 and original.shape == (128,)
        assert distance(original, mirrored) < SAME_PERSON, path.name


@needs_dlib
def test_two_different_people_are_apart(face):
    assert distance(face.embed(ASTRONAUT), face.embed(HOPPER)) > SAME_PERSON


@needs_dlib
def test_analyse_reports_the_face(face):
    result = face.analyse(HOPPER)
    assert isinstance(result, FaceResult)
    assert result.faces_found == 1 and result.note == "1 face found" and not result.centre_crop
    left, top, right, bottom = result.box
    assert 0 <= left < right <= 512 and 0 <= top < bottom <= 600
    assert result.aligned_crop.size == (150, 150)
    # Paths, bytes and PIL images are the same picture.
    assert np.allclose(face.embed(HOPPER.read_bytes()), result.vector)
    assert np.allclose(face.embed(Image.open(HOPPER)), result.vector)


@needs_dlib
def test_the_astronauts_badge_is_not_a_second_face(face):
    result = face.analyse(ASTRONAUT)
    assert result.faces_found == 1, result.note


@needs_dlib
def test_several_faces_use_the_largest(face):
    hopper = Image.open(HOPPER)
    small_astronaut = Image.open(ASTRONAUT).resize((384, 384))
    group = Image.new("RGB", (512 + 384, 600), "white")
    group.paste(hopper, (0, 0))
    group.paste(small_astronaut, (512, 100))
    result = face.analyse(group)
    assert result.faces_found == 2
    assert result.note == "2 faces found; using the largest"
    assert result.box[2] <= 512                                # Hopper's face, on the left
    assert distance(result.vector, face.embed(hopper)) < 0.2


@needs_dlib
def test_no_face_is_a_clear_error_and_the_centre_crop_is_offered(face):
    with pytest.raises(NoFaceFound, match="no face found in the 400x300 picture.*centre crop") as caught:
        face.embed(gradient())
    assert isinstance(caught.value, ImageInputError)          # one except clause covers every bad picture
    result = face.analyse(gradient(), allow_centre_crop=True)
    assert result.centre_crop and result.box is None and result.faces_found == 0
    assert "no face found" in result.note
    assert result.vector.shape == (128,) and result.vector.dtype == np.float32
    assert result.aligned_crop.size == (150, 150)
    assert np.allclose(face.embed(gradient(), allow_centre_crop=True), result.vector)


@needs_dlib
def test_non_image_and_truncated_pictures_are_clear_errors(face):
    with pytest.raises(ImageInputError, match="not an image"):
        face.embed(b"this is a text file, not a photo")
    data = HOPPER.read_bytes()
    with pytest.raises(ImageInputError, match="truncated"):
        face.embed(data[: len(data) // 2])


def test_too_large_picture_is_refused_before_decoding():
    buffer = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buffer, "PNG")          # 81 megapixels, a few KB on disk
    started = time.perf_counter()
    with pytest.raises(ImageInputError, match="81.0 megapixels is too large"):
        open_image(buffer.getvalue())
    assert time.perf_counter() - started < 5


@needs_dlib
def test_huge_photo_finishes_quickly(face):
    astronaut = Image.open(ASTRONAUT)
    huge = astronaut.resize((8000, 8000), Image.BILINEAR)
    started = time.perf_counter()
    result = face.analyse(huge)
    assert time.perf_counter() - started < 10
    assert result.faces_found == 1
    assert distance(result.vector, face.embed(astronaut)) < 0.2
    started = time.perf_counter()
    with pytest.raises(NoFaceFound, match="8000x8000"):
        face.embed(Image.new("RGB", (8000, 8000), (120, 100, 90)))
    assert time.perf_counter() - started < 10


@needs_dlib
def test_tiny_lfw_crops_are_found(face):
    skimage_data = pytest.importorskip("skimage.data")
    crops = skimage_data.lfw_subset()                          # 100 faces, then 100 non-faces, 25x25
    picks = list(range(0, 100, 10)) + list(range(100, 200, 10))
    found = []
    for index in picks:
        try:
            face.embed(Image.fromarray((crops[index] * 255).astype(np.uint8)))
            found.append(index)
        except NoFaceFound:
            pass
    assert sum(i < 100 for i in found) >= 8                   # upsampling finds 25-pixel faces
    assert sum(i >= 100 for i in found) <= 1


def test_exif_orientation_is_honoured(tmp_path):
    upright = Image.open(HOPPER).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6                                          # "rotate 90 degrees clockwise to display"
    path = tmp_path / "phone.png"
    upright.transpose(Image.Transpose.ROTATE_90).save(path, exif=exif)
    opened = open_image(path)
    assert opened.size == upright.size
    assert np.array_equal(np.asarray(opened), np.asarray(upright))


# ---- the auto-encoder's encoder --------------------------------------------------------------

@pytest.mark.parametrize("channels,size,expected_downsamples", [(1, 28, 2), (3, 32, 2), (1, (20, 36), 3)])
def test_encoder_shapes_and_input_scaling(channels, size, expected_downsamples):
    torch.manual_seed(0)
    encoder = ConvEncoder(channels, size, 16, width=8).eval()
    assert encoder.downsamples == expected_downsamples
    height, width = (size, size) if isinstance(size, int) else size
    levels = torch.randint(0, 256, (2, channels, height, width))
    with torch.no_grad():
        codes = encoder(levels)
        assert codes.shape == (2, 16)
        assert torch.allclose(codes, encoder(levels.float() * (2 / 255) - 1))
    assert ConvEncoder.from_config(encoder.config()).config() == encoder.config()


def small_autoencoder(channels=1, size=12, dim=8):
    torch.manual_seed(1)
    model = build_model(ModelConfig(image_size=size, channels=channels, hidden=8, layers=2, embedding_dim=dim))
    return model, ConvEncoder(channels, size, dim, width=4)


@pytest.mark.parametrize("channels", [1, 3])
def test_encoder_travels_in_the_checkpoint(tmp_path, channels):
    model, encoder = small_autoencoder(channels)
    path = tmp_path / "autoencoder.pt"
    save_checkpoint(path, model, embedder=checkpoint_entry(encoder))
    raw = torch.load(path, weights_only=True)                 # still plain values and tensors
    assert raw["embedder"]["name"] == "autoencoder" and raw["embedder"]["dim"] == 8
    loaded = load_checkpoint(path)
    embedder = embedder_for_checkpoint(loaded)
    assert isinstance(embedder, AutoencoderEmbedder) and embedder.dim == 8
    direct = AutoencoderEmbedder(encoder)
    for picture in (ASTRONAUT, HOPPER):
        vector = embedder.embed(picture)
        assert vector.dtype == np.float32 and vector.shape == (8,)
        assert np.allclose(vector, direct.embed(picture), atol=1e-6)
    assert not np.allclose(embedder.embed(ASTRONAUT), embedder.embed(HOPPER))


def test_pictures_are_converted_to_the_models_format():
    grey = AutoencoderEmbedder(ConvEncoder(1, 28, 4))
    x = grey.prepare(HOPPER)                                   # a colour portrait, 512x600
    assert x.shape == (1, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    colour = AutoencoderEmbedder(ConvEncoder(3, (16, 24), 4))
    assert colour.prepare(Image.open(ASTRONAUT).convert("L")).shape == (1, 3, 16, 24)
    assert colour.embed(gradient()).shape == (4,)


def ink_on_paper(size=60) -> Image.Image:
    """A dark stroke on a light background, as a digit drawn on paper looks."""
    picture = Image.new("L", (size, size), 235)
    for i in range(10, 50):
        picture.putpixel((i, 15), 20)
        picture.putpixel((45 - i // 2, i), 20)
    return picture


def test_pictures_drawn_on_the_other_background_are_inverted_first(tmp_path):
    drawn = ink_on_paper()
    negative = ImageOps.invert(drawn)                          # light stroke on dark, like MNIST
    encoder = ConvEncoder(1, 12, 4, width=4)
    dark_trained = AutoencoderEmbedder(encoder, Preparation("letterbox", (12, 12), 1, dark_background=True))
    assert torch.equal(dark_trained.prepare(drawn), dark_trained.prepare(negative))
    assert float(dark_trained.prepare(drawn)[0, 0, 0, 0]) < -0.5   # what the encoder sees: a dark border
    light_trained = AutoencoderEmbedder(encoder, Preparation("letterbox", (12, 12), 1, dark_background=False))
    assert float(light_trained.prepare(negative)[0, 0, 0, 0]) > 0.5
    as_is = AutoencoderEmbedder(encoder)                       # no training background known: no change
    assert not torch.equal(as_is.prepare(drawn), as_is.prepare(negative))

    # The background comes from the training images a checkpoint carries.
    model, encoder = small_autoencoder()
    images = torch.zeros(6, 1, 12, 12, dtype=torch.uint8)
    images[:, :, 3:9, 5:7] = 255                               # light strokes on black
    path = tmp_path / "digits.pt"
    save_checkpoint(path, model, embedder=checkpoint_entry(encoder),
                    gallery={"images": images, "embeddings": torch.zeros(6, 8)})
    embedder = embedder_for_checkpoint(load_checkpoint(path))
    assert embedder.preparation.dark_background is True
    np.testing.assert_array_equal(embedder.embed(drawn), embedder.embed(negative))


def test_wrong_dimension_is_a_clear_error(tmp_path):
    model, _ = small_autoencoder(dim=8)
    path = tmp_path / "mismatch.pt"
    save_checkpoint(path, model, embedder=checkpoint_entry(ConvEncoder(1, 12, 4, width=4)))
    # Found when the file is loaded, before anything is built or replaced.
    with pytest.raises(CheckpointError, match="mismatch.pt: the embedder entry says 4-D but the model takes 8-D"):
        load_checkpoint(path)


def test_named_embedder_of_the_wrong_dimension_is_a_clear_error(tmp_path, monkeypatch):
    class Fake:
        name, dim = "fake-16", 16

        def embed(self, image):
            return np.zeros(16, np.float32)

    monkeypatch.setitem(embed._FACTORIES, "fake-16", Fake)
    monkeypatch.setattr(embed, "_INSTANCES", {})
    model, _ = small_autoencoder(dim=8)
    path = tmp_path / "fake.pt"
    save_checkpoint(path, model, embedder={"name": "fake-16"})
    with pytest.raises(EmbedderMismatch, match="'fake-16' embedder makes 16-D vectors but the model takes 8-D"):
        embedder_for_checkpoint(load_checkpoint(path))


def test_named_embedder_not_installed_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "dlib", None)
    monkeypatch.setattr(embed, "_INSTANCES", {})
    model, _ = small_autoencoder(dim=128)
    path = tmp_path / "faces.pt"
    save_checkpoint(path, model, embedder={"name": "face-dlib-128", "dim": 128})
    with pytest.raises(EmbedderUnavailable, match=r"conditioned on the 'face-dlib-128' embedder.*"
                                                  r"pip install 'pixelcnn-studio\[faces\]'"):
        embedder_for_checkpoint(load_checkpoint(path))


@needs_dlib
def test_face_checkpoint_gets_the_face_embedder(tmp_path):
    model, _ = small_autoencoder(dim=128)
    path = tmp_path / "faces.pt"
    save_checkpoint(path, model, embedder={"name": "face-dlib-128", "dim": 128})
    assert embedder_for_checkpoint(load_checkpoint(path)) is get_embedder("face-dlib-128")


def test_models_without_embedding_need_no_embedder(tmp_path):
    path = tmp_path / "plain.pt"
    save_checkpoint(path, build_model(ModelConfig(image_size=6, channels=1, hidden=4, layers=1)))
    assert embedder_for_checkpoint(load_checkpoint(path)) is None


def test_damaged_encoder_entries_are_clear_errors():
    entry = checkpoint_entry(ConvEncoder(1, 12, 8, width=4))
    with pytest.raises(EmbedderMismatch, match="not the autoencoder"):
        encoder_from_checkpoint_entry({**entry, "name": "face-dlib-128"})
    with pytest.raises(EmbedderMismatch, match="lacks its config or its weights"):
        encoder_from_checkpoint_entry({"name": "autoencoder", "dim": 8})
    cut = dict(entry["state_dict"])
    cut.pop("to_code.bias")
    with pytest.raises(EmbedderMismatch, match="do not match its config.*missing to_code.bias"):
        encoder_from_checkpoint_entry({**entry, "state_dict": cut})
    with pytest.raises(EmbedderMismatch, match="do not match its config"):
        encoder_from_checkpoint_entry({**entry, "config": {**entry["config"], "width": 8}})
    # Weights saved from a DistributedDataParallel-wrapped encoder load all the same.
    wrapped = {f"module.{k}": v for k, v in entry["state_dict"].items()}
    assert isinstance(encoder_from_checkpoint_entry({**entry, "state_dict": wrapped}), ConvEncoder)
