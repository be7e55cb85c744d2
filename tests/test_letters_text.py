"""Writing a text with a letters model: the plan, the `sample --text` command, and the style code path."""
import string
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from pixelcnn_studio import ModelConfig, build_model, load_checkpoint, sample, save_checkpoint
from pixelcnn_studio.cli import main
from pixelcnn_studio.core.plan import RunPlan, characters_are_classes, plan_text

CHARACTERS = list(string.ascii_uppercase + string.ascii_lowercase + string.digits)


def test_a_text_plan_keeps_order_and_blank_cells():
    plan = plan_text("Hi 7a", CHARACTERS, seed=3)
    assert plan.class_ids == (CHARACTERS.index("H"), CHARACTERS.index("i"), CHARACTERS.index("7"),
                              CHARACTERS.index("a"))
    assert plan.cells == (0, 1, None, 2, 3) and plan.n == 4 and plan.grid_columns == 5 and plan.seed == 3
    images = torch.arange(1, 5, dtype=torch.uint8).view(4, 1, 1, 1).expand(4, 1, 2, 2)
    laid = plan.laid_out(images)
    assert laid.shape == (5, 1, 2, 2) and laid[:, 0, 0, 0].tolist() == [1, 2, 0, 3, 4]
    with_style = plan_text("ab", CHARACTERS, embedding=np.ones((1, 3), np.float32))
    assert with_style.embedding.shape == (2, 3)


def test_a_text_plan_names_what_it_cannot_draw():
    with pytest.raises(ValueError, match="unknown character '!'"):
        plan_text("Hi!", CHARACTERS)
    with pytest.raises(ValueError, match="U\\+0009"):
        plan_text("a\tb", CHARACTERS)
    with pytest.raises(ValueError, match="no character"):
        plan_text("   ", CHARACTERS)
    with pytest.raises(ValueError, match="not single characters"):
        plan_text("ab", ["T-shirt", "Trouser"])
    assert characters_are_classes(CHARACTERS) and not characters_are_classes(["ab", "c"])
    assert not characters_are_classes(None)
    with pytest.raises(ValueError, match="every image once"):
        RunPlan(n=2, class_ids=(0, 1), cells=(0, None, 0))


@pytest.fixture
def letters_model(tmp_path):
    torch.manual_seed(0)
    cfg = ModelConfig(image_size=8, hidden=4, layers=1, kernel_size=3, num_classes=62)
    path = tmp_path / "letters.pt"
    save_checkpoint(path, build_model(cfg), class_names=CHARACTERS)
    return path


def test_sample_text_writes_characters_in_order(letters_model, tmp_path):
    npy, png = tmp_path / "w.npy", tmp_path / "w.png"
    assert main(["sample", str(letters_model), "--text", "AB c", "--seed", "5", "--out", str(npy)]) == 0
    model = load_checkpoint(letters_model).model
    ids = torch.tensor([CHARACTERS.index(c) for c in "ABc"])
    np.testing.assert_array_equal(np.load(npy), sample(model, 3, class_ids=ids, seed=5).numpy())
    assert main(["sample", str(letters_model), "--text", "AB c", "--seed", "5", "--scale", "1",
                 "--out", str(png)]) == 0
    grid = np.asarray(Image.open(png).convert("L"))
    assert grid.shape == (1 + 8 + 1, 1 + 4 * 9)            # one row of four cells, one pixel apart
    drawn = np.load(npy)[:, 0]
    for cell, image in ((0, drawn[0]), (1, drawn[1]), (3, drawn[2])):
        np.testing.assert_array_equal(grid[1:9, 1 + cell * 9:9 + cell * 9], image)
    assert not grid[1:9, 1 + 2 * 9:9 + 2 * 9].any()        # the space: a blank cell


def test_sample_text_mistakes_are_one_line_errors(letters_model, tmp_path, capsys):
    out = str(tmp_path / "w.png")
    assert main(["sample", str(letters_model), "--text", "Zoë", "--out", out]) == 2
    err = capsys.readouterr().err
    assert "unknown character 'ë'" in err and len(err.strip().splitlines()) == 1
    assert main(["sample", str(letters_model), "--text", "ab", "--class", "A", "--out", out]) == 2
    assert "--class" in capsys.readouterr().err
    garments = tmp_path / "garments.pt"
    save_checkpoint(garments, build_model(ModelConfig(image_size=4, hidden=4, layers=1, num_classes=2)),
                    class_names=["T-shirt", "Trouser"])
    assert main(["sample", str(garments), "--text", "ab", "--out", out]) == 2
    err = capsys.readouterr().err
    assert "classes are characters" in err and len(err.strip().splitlines()) == 1
    assert not Path(out).exists()


DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FACES = ["DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSerif-Bold.ttf"]


@pytest.fixture
def tiny_letters(tmp_path, monkeypatch):
    """A letters data root of four fonts dressed as @fontsource packages, one of them held out."""
    import json
    import shutil
    from pixelcnn_studio.data import font_sources, letters
    if not all((DEJAVU / f).is_file() for f in FACES):
        pytest.skip("needs the Debian package fonts-dejavu-core")
    names, held, i = [], 0, 0
    while len(names) < 4:       # the first family the hash rule holds out, then three it trains on
        name, i = f"Family {i}", i + 1
        out = letters.family_is_held_out(name.replace(" ", "").lower())
        if out and held == 0 or not out and len(names) - held < 3:
            names.append(name)
            held += out
    packages = []
    for face, name in zip(FACES, names):
        pid = name.replace(" ", "-").lower()
        folder = tmp_path / "root" / "letters" / "node_modules" / "@fontsource" / pid
        (folder / "files").mkdir(parents=True)
        (folder / "metadata.json").write_text(json.dumps(
            {"id": pid, "family": name, "subsets": ["latin"], "weights": [400], "styles": ["normal"],
             "license": {"type": "OFL-1.1"}}))
        shutil.copy(DEJAVU / face, folder / "files" / f"{pid}-latin-400-normal.woff")
        packages.append(("npm", f"@fontsource/{pid}"))
    monkeypatch.setattr(font_sources, "read_sources", lambda text=None: packages)
    monkeypatch.setenv("PIXELCNN_STUDIO_DATA", str(tmp_path / "root"))
    return tmp_path / "root"


def test_style_model_takes_its_code_from_one_glyph(tiny_letters, tmp_path):
    from pixelcnn_studio.data import load_dataset
    from pixelcnn_studio.embed import embedder_for_checkpoint
    from pixelcnn_studio.train.evaluate import evaluate_checkpoint
    train_set = load_dataset("letters", "train")
    assert len(train_set) == 3 * 62 and train_set.groups is not None and train_set.class_names == CHARACTERS
    out = tmp_path / "style"
    assert main(["train", "--data", "letters", "--out", str(out), "--preset", "tiny", "--threads", "1",
                 "--conditioning", "style", "--code-dim", "6", "--steps", "3", "--batch-size", "16"]) == 0
    loaded = load_checkpoint(out / "best.pt")
    assert loaded.class_names == CHARACTERS and loaded.config.embedding_dim == 6
    assert loaded.embedder["name"] == "autoencoder" and loaded.embedder["conditions_on"] == "sibling"
    # Held-out fonts are scored with the code of a sibling glyph (the data's groups say which).
    assert np.isfinite(evaluate_checkpoint(out / "best.pt", "letters")["bits_per_dim"])
    # As a classifier, each glyph is scored under every character with its own sibling's code.
    classified = evaluate_checkpoint(out / "best.pt", "letters", limit=4, classify=True)["classification"]
    assert classified["class_names"] == CHARACTERS and 0.0 <= classified["accuracy"] <= 1.0

    test_set = load_dataset("letters", "test")
    glyph_a, glyph_b = tmp_path / "a.png", tmp_path / "b.png"
    Image.fromarray(test_set.images[0, 0].numpy()).save(glyph_a)       # a held-out font's glyph, as it is
    Image.fromarray(train_set.images[-1, 0].numpy()).save(glyph_b)     # another font's
    embedder = embedder_for_checkpoint(loaded)
    code_a, code_b = embedder.embed(Image.open(glyph_a)), embedder.embed(Image.open(glyph_b))
    assert not np.allclose(code_a, code_b)
    npy = tmp_path / "w.npy"
    assert main(["sample", str(out / "best.pt"), "--text", "Ab 1", "--portrait", str(glyph_a), "--seed", "2",
                 "--out", str(npy)]) == 0
    ids = torch.tensor([CHARACTERS.index(c) for c in "Ab1"])
    expected = sample(loaded.model, 3, class_ids=ids, embedding=torch.as_tensor(code_a).expand(3, -1), seed=2)
    np.testing.assert_array_equal(np.load(npy), expected.numpy())
    # A big drawing, dark ink on white, is cropped, scaled to the letters' cap height and inverted.
    sheet = np.full((200, 160), 255, np.uint8)
    sheet[40:160, 60:80] = 0
    prepared = embedder.prepared(Image.fromarray(sheet))
    assert prepared.kind == "glyphs" and prepared.inverted
    rows = np.flatnonzero(prepared.array[0].max(axis=1) > 64)
    assert abs((rows.max() - rows.min() + 1) - round(0.62 * 28)) <= 1


def test_eval_classify_reads_letters_by_their_characters(tiny_letters, tmp_path, capsys):
    import json
    torch.manual_seed(0)
    path = tmp_path / "letters28.pt"
    cfg = ModelConfig(image_size=28, hidden=4, layers=1, kernel_size=3, num_classes=62)
    save_checkpoint(path, build_model(cfg), class_names=CHARACTERS)
    assert main(["eval", str(path), "--data", "letters", "--classify", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["images"] == 62 and found["classification"]["class_names"] == CHARACTERS
    assert set(found["classification"]["per_class_accuracy"]) == set(CHARACTERS)


def test_a_style_model_fine_tunes_from_its_own_encoder_and_decoder(tiny_letters, tmp_path, capsys):
    base, tuned = tmp_path / "base", tmp_path / "tuned"
    assert main(["train", "--data", "letters", "--out", str(base), "--preset", "tiny", "--threads", "1",
                 "--conditioning", "style", "--code-dim", "6", "--steps", "2", "--batch-size", "16"]) == 0
    # A learning rate too small to move anything: what comes out is what went in, both halves.
    assert main(["train", "--data", "letters", "--out", str(tuned), "--init-from", str(base / "best.pt"),
                 "--threads", "1", "--steps", "1", "--batch-size", "16", "--lr", "1e-12",
                 "--warmup-steps", "0"]) == 0
    start, end = load_checkpoint(base / "best.pt"), load_checkpoint(tuned / "best.pt")
    assert end.embedder["conditions_on"] == "sibling" and end.config.embedding_dim == 6
    for key, value in start.embedder["state_dict"].items():
        torch.testing.assert_close(end.embedder["state_dict"][key], value, atol=1e-6, rtol=0)
    for key, value in start.model.state_dict().items():
        torch.testing.assert_close(end.model.state_dict()[key].float(), value.float(), atol=1e-6, rtol=0)
    capsys.readouterr()
    # Asking for another conditioning than the model's is one line, before any training.
    assert main(["train", "--data", "letters", "--out", str(tmp_path / "x"), "--init-from", str(base / "best.pt"),
                 "--conditioning", "class", "--threads", "1", "--steps", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "conditioned as 'style'" in err and len(err.splitlines()) == 1
