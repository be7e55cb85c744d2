"""Location-dependent conditioning: the fashion-where pictures, boxes on the command line, and a box
that reaches the model (a small model trained here draws its ink where the box is)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from pixelcnn_studio.cli import main
from pixelcnn_studio.core import ModelConfig, build_model, load_checkpoint, save_checkpoint
from pixelcnn_studio.core.box import (BOX_EMBEDDER, box_pixels, check_box, ink_inside_share, is_box_model,
                                      parse_box)
from pixelcnn_studio.core.plan import plan_run
from pixelcnn_studio.data import fashion_where as fw


def garments(count=400, seed=0):
    """Stand-ins for Fashion-MNIST: 28x28 pictures with a margin round a random blob of ink."""
    rng = np.random.default_rng(seed)
    out = np.zeros((count, 28, 28), dtype=np.uint8)
    for i in range(count):
        top, left = rng.integers(1, 8, size=2)
        bottom, right = rng.integers(20, 27, size=2)
        out[i, top:bottom, left:right] = rng.integers(60, 256, size=(bottom - top, right - left))
    return out


def test_each_garment_fills_its_box_and_nothing_else():
    images, boxes = fw.place_garments(garments(), "train", canvas=48)
    assert images.shape == (400, 1, 48, 48) and boxes.shape == (400, 4)
    for image, box in zip(images, boxes):
        # Box edges lie on pixel boundaries, corners in order, inside the canvas.
        assert np.allclose(box * 48, np.round(box * 48))
        assert 0 <= box[0] < box[2] <= 1 and 0 <= box[1] < box[3] <= 1
        left, top, right, bottom = box_pixels(box, 48, 48)
        ink = image[0] > fw.INK_LEVEL
        assert ink_inside_share(image, box) == 1.0
        # Stretched to fill: the ink reaches every edge of the box.
        rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
        assert (rows[0], rows[-1] + 1, cols[0], cols[-1] + 1) == (top, bottom, left, right)


def test_boxes_cover_the_size_and_aspect_range():
    _, boxes = fw.place_garments(garments(600), "train", canvas=48)
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    sides = np.concatenate([widths, heights])
    assert sides.min() >= 16 / 48 - 1e-6 and sides.max() <= 1.0
    assert sides.min() < 0.4 and sides.max() > 0.95           # from a third of the canvas to the whole
    aspect = widths / heights
    assert aspect.min() < 0.7 and aspect.max() > 1.4          # tall and wide boxes both occur
    centres = (boxes[:, 0] + boxes[:, 2]) / 2
    assert centres.min() < 0.3 and centres.max() > 0.7        # and all over the canvas


def test_pictures_are_a_function_of_split_index_and_seed():
    some = garments(50)
    a_images, a_boxes = fw.place_garments(some, "test")
    b_images, b_boxes = fw.place_garments(some[:20], "test")
    assert np.array_equal(a_images[:20], b_images) and np.array_equal(a_boxes[:20], b_boxes)
    _, train_boxes = fw.place_garments(some, "train")
    _, other_seed = fw.place_garments(some, "test", seed=1)
    assert not np.array_equal(a_boxes, train_boxes) and not np.array_equal(a_boxes, other_seed)


def test_a_second_garment_lands_outside_the_conditioning_box_sometimes():
    images, boxes = fw.place_garments(garments(200), "train", second_share=1.0)
    shares = [ink_inside_share(image, box) for image, box in zip(images, boxes)]
    assert min(shares) < 0.9 and np.mean(shares) < 1.0


def test_fashion_where_dataset_from_fashion_mnist():
    from pixelcnn_studio.data import DatasetError, load_dataset
    try:
        data = load_dataset("fashion-where", "test")
    except DatasetError:
        pytest.skip("Fashion-MNIST is not installed")
    assert data.images.shape == (10000, 1, 48, 48) and data.boxes.shape == (10000, 4)
    assert data.class_names[0] == "T-shirt/top" and data.class_names[-1] == "Ankle boot"
    data.keep_stratified(100)
    assert data.boxes.shape == (100, 4)
    shares = [ink_inside_share(image, box) for image, box in zip(data.images.numpy(), data.boxes.numpy())]
    assert min(shares) == 1.0


@pytest.mark.parametrize("text, words", [
    ("0.1,0.5,1.2,0.9", "outside the canvas"),
    ("-0.1,0.5,0.6,0.9", "outside the canvas"),
    ("0.6,0.5,0.1,0.9", "inverted"),
    ("0.1,0.9,0.6,0.5", "inverted"),
    ("0.1,0.5,0.13,0.9", "thinner than 2 pixels"),
    ("0.1,0.5,0.6", "four fractions"),
    ("a,b,c,d", "four numbers"),
    ("nan,0,1,1", "finite"),
])
def test_bad_boxes_are_one_line_errors(text, words):
    with pytest.raises(ValueError, match=words):
        parse_box(text, 48, 48)
    assert parse_box(" 0.1, 0.5 ,0.6,0.95", 48, 48) == (0.1, 0.5, 0.6, 0.95)
    assert check_box((0, 0, 1, 1), 48, 48) == (0.0, 0.0, 1.0, 1.0)


# -- a small model trained here -------------------------------------------------------------------

SIDE = 12


def rectangles(count, generator):
    """Filled rectangles of random place and size on a small canvas, with their boxes."""
    x = torch.zeros(count, 1, SIDE, SIDE, dtype=torch.long)
    boxes = torch.zeros(count, 4)
    for i in range(count):
        w, h = (int(v) for v in torch.randint(4, 9, (2,), generator=generator))
        x0 = int(torch.randint(0, SIDE - w + 1, (1,), generator=generator))
        y0 = int(torch.randint(0, SIDE - h + 1, (1,), generator=generator))
        x[i, 0, y0:y0 + h, x0:x0 + w] = 255
        boxes[i] = torch.tensor([x0, y0, x0 + w, y0 + h]) / SIDE
    return x, boxes


@pytest.fixture(scope="module")
def box_checkpoint(tmp_path_factory):
    """A box model trained for a few seconds on rectangles: the box is its only clue to where."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    config = ModelConfig(image_size=SIDE, hidden=16, layers=3, kernel_size=3, output_hidden=16,
                         num_classes=1, embedding_dim=4, location_conditioning=True)
    model = build_model(config)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(200):
        x, boxes = rectangles(32, generator)
        loss = F.cross_entropy(model(x, class_ids=torch.zeros(32, dtype=torch.long), embedding=boxes), x)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    path = tmp_path_factory.mktemp("where") / "box.pt"
    save_checkpoint(path, model, class_names=["rectangle"], embedder={"name": BOX_EMBEDDER, "dim": 4})
    return path


def ink_centre(images):
    """(x, y) of the ink's centre of mass over all images, as fractions of the canvas."""
    ink = (images[:, 0] > 127).sum(0).astype(float)
    rows, cols = np.mgrid[0:SIDE, 0:SIDE]
    return (ink * cols).sum() / ink.sum() / SIDE, (ink * rows).sum() / ink.sum() / SIDE


def test_moving_the_box_moves_the_ink(box_checkpoint, tmp_path):
    loaded = load_checkpoint(box_checkpoint)
    assert is_box_model(loaded.config, loaded.embedder)
    boxes = {"top-left": (0, 0, 0.5, 0.5), "bottom-right": (0.5, 0.5, 1, 1), "bottom-left": (0, 0.5, 0.5, 1)}
    drawn = {}
    for name, box in boxes.items():
        out = tmp_path / f"{name}.npy"
        text = ",".join(str(v) for v in box)
        assert main(["sample", str(box_checkpoint), "--box", text, "--n", "6", "--seed", "3", "--out", str(out)]) == 0
        drawn[name] = np.load(out)
    (lx, ty), (rx, by) = ink_centre(drawn["top-left"]), ink_centre(drawn["bottom-right"])
    bl_x, bl_y = ink_centre(drawn["bottom-left"])
    assert rx - lx > 0.25 and by - ty > 0.25
    assert bl_x < 0.4 and bl_y > 0.6

    def share(images, box):
        return np.mean([ink_inside_share(image, box, ink_level=127) for image in images])
    # Most ink lies in the box asked for, far more than in the same box when another was asked for.
    for asked, other in [("top-left", "bottom-right"), ("bottom-right", "top-left")]:
        assert share(drawn[asked], boxes[asked]) > 0.4
        assert share(drawn[asked], boxes[asked]) > 3 * share(drawn[other], boxes[asked])


def test_the_box_reaches_the_sampler_through_the_plan():
    plan = plan_run(3, num_classes=2, class_id=1, box=(0.1, 0.2, 0.5, 0.9))
    args = plan.sampler_arguments()
    assert args["embedding"].shape == (3, 4) and torch.allclose(args["embedding"][2], torch.tensor([0.1, 0.2, 0.5, 0.9]))
    assert plan != plan_run(3, num_classes=2, class_id=1, box=(0.2, 0.2, 0.5, 0.9))


def test_box_flags_on_the_command_line(box_checkpoint, tmp_path, capsys):
    out = str(tmp_path / "x.png")
    for text, words in [("0.1,0.5,1.2,0.9", "outside the canvas"), ("0.6,0.5,0.1,0.9", "inverted"),
                        ("0.1,0.5,0.2,0.9", "thinner than 2 pixels of the 12x12 canvas")]:
        assert main(["sample", str(box_checkpoint), "--box", text, "--n", "1", "--out", out]) == 2
        err = capsys.readouterr().err
        assert words in err and err.count("\n") == 1 and "Traceback" not in err
    # A model without location conditioning refuses --box in one line.
    plain = tmp_path / "plain.pt"
    save_checkpoint(plain, build_model(ModelConfig(image_size=8, hidden=8, layers=1, kernel_size=3, num_classes=2)),
                    class_names=["a", "b"])
    assert main(["sample", str(plain), "--box", "0.1,0.1,0.9,0.9", "--n", "1", "--out", out]) == 2
    err = capsys.readouterr().err
    assert "no location conditioning" in err and err.count("\n") == 1
    # Without --box a box model draws in the middle; a portrait is refused.
    assert main(["sample", str(box_checkpoint), "--n", "1", "--out", out]) == 0
    assert main(["sample", str(box_checkpoint), "--portrait", out, "--n", "1", "--out", out]) == 2
    assert "conditioned on a box" in capsys.readouterr().err


def test_a_picture_is_scored_in_the_box_round_its_ink(box_checkpoint, tmp_path, capsys):
    import json

    from PIL import Image

    from pixelcnn_studio.core.box import ink_box
    from pixelcnn_studio.core.surprise import surprise
    picture = np.zeros((SIDE, SIDE), dtype=np.uint8)
    picture[6:12, 0:6] = 255                           # a rectangle in the bottom-left quarter
    assert ink_box(picture) == (0.0, 0.5, 0.5, 1.0)
    assert ink_box(np.zeros((SIDE, SIDE), dtype=np.uint8)) == (0.0, 0.0, 1.0, 1.0)
    model = load_checkpoint(box_checkpoint).model
    x = torch.from_numpy(picture.astype(np.int64))[None]
    own = surprise(model, x, embedding=torch.tensor([ink_box(picture)])).bits_per_dim
    elsewhere = surprise(model, x, embedding=torch.tensor([[0.5, 0.0, 1.0, 0.5]])).bits_per_dim
    assert own < elsewhere / 2                         # the model expects the ink in its box
    Image.fromarray(picture).save(tmp_path / "rectangle.png")
    assert main(["surprise", str(box_checkpoint), str(tmp_path / "rectangle.png"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["bits_per_dim"] == pytest.approx(own, rel=1e-4)


def test_a_box_model_fine_tunes_on_box_data(tmp_path, monkeypatch, capsys):
    """A box model goes on training from its weights (the boxes come with the data), and says so."""
    import gzip
    import struct
    from pixelcnn_studio.data import store
    monkeypatch.setattr(store, "SYSTEM_DATASET_DIRS", ())
    monkeypatch.setattr(store, "SYSTEM_NODE_MODULES", ())
    root = tmp_path / "data"
    folder = root / "fashion-mnist"
    folder.mkdir(parents=True)
    for prefix, count in (("train", 40), ("t10k", 20)):
        images = garments(count, seed=len(prefix))
        labels = (np.arange(count) % 10).astype(np.uint8)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", s) for s in array.shape)
            (folder / f"{prefix}-{kind}-ubyte.gz").write_bytes(gzip.compress(header + array.tobytes()))
    monkeypatch.setenv(store.ENV_VAR, str(root))
    base, tuned = tmp_path / "base", tmp_path / "tuned"
    assert main(["train", "--data", "fashion-where", "--out", str(base), "--preset", "tiny", "--threads", "1",
                 "--steps", "2", "--no-final-full-eval"]) == 0
    # A learning rate too small to move anything: the fine-tuned model is the one it started from.
    assert main(["train", "--data", "fashion-where", "--out", str(tuned), "--init-from", str(base / "best.pt"),
                 "--threads", "1", "--steps", "1", "--batch-size", "16", "--lr", "1e-12", "--warmup-steps", "0",
                 "--no-final-full-eval"]) == 0
    start, end = load_checkpoint(base / "best.pt"), load_checkpoint(tuned / "best.pt")
    assert is_box_model(end.config, end.embedder) and end.class_names == start.class_names
    for key, value in start.model.state_dict().items():
        torch.testing.assert_close(end.model.state_dict()[key].float(), value.float(), atol=1e-6, rtol=0)
    capsys.readouterr()
    # A box model asked to train on pictures without boxes: one line, nothing written.
    assert main(["train", "--data", "fashion-mnist", "--out", str(tmp_path / "x"), "--init-from",
                 str(base / "best.pt"), "--threads", "1", "--steps", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "box" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "x" / "best.pt").exists()
