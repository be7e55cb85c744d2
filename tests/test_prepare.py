"""Pictures as each kind of model sees them: MNIST's preparation for digit models, letterboxing, the
face crop, and pictures of every depth and mode turned into 8-bit levels without clipping."""
import io
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixelcnn_studio import load_checkpoint
from pixelcnn_studio.embed.images import open_image
from pixelcnn_studio.embed.prepare import Preparation, prepare_picture, preparation_for
from pixelcnn_studio.paths import bundled_model

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from draw_test_digits import make_sheet  # noqa: E402

DIGITS = Preparation("digits", (28, 28), 1, dark_background=True)
DRAWN = ROOT / "tests" / "data" / "drawn"


def test_a_digit_in_a_corner_of_a_big_sheet_prepares_like_the_same_digit_centred():
    corner = make_sheet(3, (1200, 900), 140, (20, 25), 0.05, 12, 10, 250, "L")
    centred = make_sheet(3, (300, 300), 140, (100, 80), 0.05, 12, 10, 250, "L")
    small = prepare_picture(corner, DIGITS)
    middle = prepare_picture(centred, DIGITS)
    assert small.array.shape == (1, 28, 28) and small.inverted
    assert np.abs(small.array.astype(int) - middle.array.astype(int)).max() <= 2
    # The same digit drawn twice as large with a pen twice as wide: the same shape within a few levels.
    large = prepare_picture(make_sheet(3, (800, 800), 280, (200, 200), 0.05, 24, 10, 250, "L"), DIGITS)
    assert np.abs(large.array.astype(float) - middle.array.astype(float)).mean() < 12


def test_digits_are_fitted_to_a_20_pixel_box_centred_by_mass_light_on_dark():
    prepared = prepare_picture(make_sheet(7, (640, 480), 300, (300, 100), 0.1, 20, 0, 255, "L"), DIGITS)
    ink = prepared.array[0].astype(float)
    rows, cols = np.nonzero(ink > 0.2 * ink.max())
    assert max(rows.max() - rows.min(), cols.max() - cols.min()) + 1 <= 21
    assert ink.max() == 255 and ink[0].max() == 0 and ink[-1].max() == 0    # light ink, dark edges
    centre = np.array([(ink.sum(1) * np.arange(28)).sum(), (ink.sum(0) * np.arange(28)).sum()]) / ink.sum()
    assert np.abs(centre - 13.5).max() <= 1.0


def test_a_blank_sheet_is_said_to_be_blank():
    prepared = prepare_picture(Image.new("L", (300, 200), 240), DIGITS)
    assert not prepared.array.any() and "blank" in prepared.note


def test_pictures_at_the_models_size_are_used_as_they_are():
    grey = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    prepared = prepare_picture(Image.fromarray(grey), DIGITS)
    assert prepared.kind == "as-is"
    np.testing.assert_array_equal(prepared.array[0], grey)


def test_other_models_letterbox_with_the_aspect_kept():
    wide = Image.new("RGB", (200, 100), (255, 255, 255))
    wide.paste((200, 0, 0), (0, 0, 200, 100))
    wide.paste((255, 255, 255), (0, 0, 200, 5))                    # a white top edge...
    wide.paste((255, 255, 255), (0, 95, 200, 100))                 # ...and bottom edge: its background
    prepared = prepare_picture(wide, Preparation("letterbox", (32, 32), 3, dark_background=False))
    rgb = prepared.array.transpose(1, 2, 0)
    assert (rgb[:6] == 255).all() and (rgb[-6:] == 255).all()       # margins filled with the background
    assert (rgb[12:20, 4:28, 0] > 150).all() and (rgb[12:20, 4:28, 1] < 60).all()


def test_letterboxed_grey_is_inverted_for_light_on_dark_models():
    ink = make_sheet(0, (300, 200), 150, (100, 25), 0.0, 14, 0, 255, "L")
    prepared = prepare_picture(ink, Preparation("letterbox", (28, 28), 1, dark_background=True))
    assert prepared.inverted and prepared.array[0, 0, 0] < 20


def test_faces_are_centre_cropped():
    prepared = prepare_picture(Image.new("L", (300, 100), 128), Preparation("faces", (25, 25), 1))
    assert prepared.array.shape == (1, 25, 25) and prepared.kind == "faces"


def encoded(image: Image.Image, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, **params)
    return buffer.getvalue()


def test_sixteen_bit_png_is_scaled_not_clipped_to_white():
    ramp = (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)       # 0 .. 65,520
    grey = np.asarray(open_image(encoded(Image.fromarray(ramp), format="PNG")).convert("L"), dtype=int)
    assert grey.min() == 0 and 250 <= grey.max() <= 255 and 120 < grey.mean() < 135
    np.testing.assert_allclose(grey, np.rint(ramp / 257.0), atol=1)


def test_float_tiff_in_zero_to_one_is_scaled_not_clipped_to_black():
    ramp = np.linspace(0.0, 1.0, 64 * 64, dtype=np.float32).reshape(64, 64)
    grey = np.asarray(open_image(encoded(Image.fromarray(ramp), format="TIFF")).convert("L"), dtype=int)
    assert grey.min() == 0 and grey.max() == 255 and 120 < grey.mean() < 135


def test_palette_with_transparency_and_alpha_become_ink_on_white():
    drawn = Image.open(DRAWN / "digit-7.png")                                 # black ink, transparent canvas
    assert drawn.mode == "RGBA"
    rgb = np.asarray(open_image(DRAWN / "digit-7.png"))
    assert rgb[0, 0].tolist() == [255, 255, 255] and rgb.min() == 0
    palette = drawn.convert("RGBA").convert("P", palette=Image.Palette.ADAPTIVE)
    palette.info["transparency"] = 0
    assert np.asarray(open_image(encoded(palette, format="PNG"))).shape == (400, 600, 3)


def test_the_committed_drawings_prepare_to_digits():
    for path in sorted(DRAWN.glob("digit-*.png")):
        prepared = prepare_picture(path, DIGITS)
        assert prepared.kind == "digits" and prepared.array.max() == 255 and prepared.array[0, 0, 0] == 0, path


@pytest.mark.parametrize("name, kind, dark", [("mnist-autoencoder", "digits", True), ("mnist", "digits", True),
                                              ("fashion-mnist", "letterbox", True), ("emoji", "letterbox", False),
                                              ("lfw-portraits", "faces", None)])
def test_bundled_models_get_their_preparation(name, kind, dark):
    path = bundled_model(name)
    if path is None:
        pytest.skip(f"{name} is not bundled here")
    preparation = preparation_for(load_checkpoint(path))
    assert (preparation.kind, preparation.dark_background) == (kind, dark)
