"""The letters dataset: fonts found, drawn the same way, bad ones counted out, fonts held out whole."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from pixelcnn_studio.data import font_sources, letters as L
from pixelcnn_studio.data.font_sources import FontFile
from pixelcnn_studio.train.conditioning import fixed_siblings, sibling_indices

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FACES = ["DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSans-Bold.ttf"]

needs_dejavu = pytest.mark.skipif(not all((DEJAVU / f).is_file() for f in FACES),
                                  reason="needs the Debian package fonts-dejavu-core")


def family_names(held_out: int, kept: int) -> list[str]:
    """Family names the hash rule sends to the test split (first `held_out`) and to train (then `kept`)."""
    test, train, i = [], [], 0
    while len(test) < held_out or len(train) < kept:
        name = f"Family {i}"
        key = FontFile("", name, "", "", "").family_key
        (test if L.family_is_held_out(key) else train).append(name)
        i += 1
    return test[:held_out] + train[:kept]


def tiny_fonts(tmp_path) -> tuple[list[FontFile], list[str]]:
    names = family_names(1, 3)
    fonts = [FontFile(str(DEJAVU / face), name, "Regular", "test", "Bitstream Vera")
             for face, name in zip(FACES, names)]
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"\x00\x01\x00\x00" + bytes(range(256)) * 4)   # a TrueType header, then nonsense
    fonts.append(FontFile(str(broken), "Broken", "Regular", "test", "none"))
    return fonts, names


@needs_dejavu
def test_splits_hold_whole_fonts_with_characters_as_classes(tmp_path):
    fonts, names = tiny_fonts(tmp_path)
    train = L.letters(tmp_path, "train", fonts=fonts, cache_key="t")
    test = L.letters(tmp_path, "test", fonts=fonts, cache_key="t")
    images, labels, classes, info, groups = train
    assert classes[:3] == ["A", "B", "C"] and "b" in classes and "7" in classes and len(classes) == 62
    assert images.dtype == np.uint8 and images.shape == (3 * 62, 1, 28, 28)
    assert test[0].shape == (62, 1, 28, 28)
    assert sorted(set(groups.tolist())) == [0, 1, 2] and set(test[4].tolist()) == {0}
    train_fonts = {n.split(" Regular")[0] for n in info["font_names"]}
    test_fonts = {n.split(" Regular")[0] for n in test[3]["font_names"]}
    assert test_fonts == {names[0]} and train_fonts == set(names[1:4]) and not train_fonts & test_fonts
    # Every class once per font, in each split.
    for split_labels, split_groups in ((labels, groups), (test[1], test[4])):
        for g in set(split_groups.tolist()):
            assert sorted(split_labels[split_groups == g].tolist()) == list(range(62))
    assert info["skipped"]["unreadable_fonts"] == 1
    # The second load comes from the cache and holds the same pixels.
    again = L.letters(tmp_path, "train", fonts=fonts, cache_key="t")
    assert again[3]["from_cache"] and np.array_equal(again[0], images)


@needs_dejavu
def test_glyphs_are_light_ink_on_black_on_one_baseline(tmp_path):
    images, labels, _ = L.render_font(str(DEJAVU / "DejaVuSans.ttf"))
    by_char = {L.CHARACTERS[c]: images[i, 0] for i, c in enumerate(labels)}
    for glyph in by_char.values():   # MNIST's polarity: a black ground, white ink
        ring = np.concatenate([glyph[0], glyph[-1], glyph[:, 0], glyph[:, -1]])
        assert ring.max() < 40 and glyph.max() > 200

    def ink_rows(char):
        rows = np.flatnonzero(by_char[char].max(axis=1) > 64)
        return rows.min(), rows.max()

    # One scale per font: a small o is shorter than a capital O; a p hangs below the line x sits on.
    assert ink_rows("o")[1] - ink_rows("o")[0] < ink_rows("O")[1] - ink_rows("O")[0] - 3
    assert ink_rows("x")[1] == ink_rows("H")[1] and ink_rows("p")[1] > ink_rows("x")[1] + 2


def test_missing_blank_and_borrowed_glyphs_are_left_out_and_counted(tmp_path):
    from crafted_fonts import font_with
    # 50 characters drawn, the last 12 (digits 0-9 and y, z) missing: they come out as .notdef boxes.
    partial = tmp_path / "partial.ttf"
    partial.write_bytes(font_with(L.CHARACTERS[:50], aliases={"y": "A"}))   # and "y" borrows "A"'s glyph
    images, labels, skipped = L.render_font(str(partial))
    assert skipped == {"missing": 11, "blank": 0, "duplicate": 1}
    assert [L.CHARACTERS[c] for c in labels] == list(L.CHARACTERS[:50]) and images.shape == (50, 1, 28, 28)
    sparse = tmp_path / "sparse.ttf"
    sparse.write_bytes(font_with("ABCDEFGHIJ"))                  # too few letters to be a font of the set
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"\x00\x01\x00\x00" + bytes(range(256)) * 4)
    names = family_names(0, 3)
    fonts = [FontFile(str(path), name, "Regular", "test", "OFL-1.1")
             for path, name in zip((partial, sparse, broken), names)]
    _, labels, _, info, groups = L.letters(tmp_path, "train", fonts=fonts, cache_key="crafted")
    assert info["fonts"] == 1 and len(labels) == 50 and set(groups.tolist()) == {0}
    assert info["skipped"] == {"unreadable_fonts": 1, "fonts_too_few_glyphs": 1, "missing": 11 + 52,
                               "blank": 0, "duplicate": 1}


@needs_dejavu
def test_fontsource_packages_are_read_from_their_metadata(tmp_path):
    def package(name, licence, subsets=("latin",)):
        folder = tmp_path / "letters" / "node_modules" / "@fontsource" / name
        (folder / "files").mkdir(parents=True)
        meta = {"id": name, "family": name.title(), "subsets": list(subsets), "weights": [300, 700],
                "styles": ["normal"], "category": "serif", "license": {"type": licence}}
        (folder / "metadata.json").write_text(json.dumps(meta))
        for weight in (300, 700):   # FreeType reads a TrueType file whatever its name says
            shutil.copy(DEJAVU / FACES[1], folder / "files" / f"{name}-latin-{weight}-normal.woff")

    package("open-one", "OFL-1.1")
    package("closed-one", "Proprietary")
    package("greek-only", "OFL-1.1", subsets=("greek",))
    sources = [("npm", "@fontsource/open-one"), ("npm", "@fontsource/closed-one"),
               ("npm", "@fontsource/greek-only"), ("npm", "@fontsource/absent")]
    fonts, report = font_sources.find_fonts(tmp_path, sources)
    # No regular weight: the nearest one (300) stands in for it, and the bold is taken too.
    assert [(f.family, f.style, f.licence, f.category) for f in fonts] == [
        ("Open-One", "300 normal", "OFL-1.1", "serif"), ("Open-One", "700 normal", "OFL-1.1", "serif")]
    assert report["missing"] == ["npm @fontsource/absent"]
    assert set(report["refused"]) == {"npm @fontsource/closed-one", "npm @fontsource/greek-only"}


def test_the_sources_list_names_enough_families():
    sources = font_sources.read_sources()
    assert len([p for kind, p in sources if kind == "npm"]) >= 300
    assert all(p.startswith("fonts-") for kind, p in sources if kind == "deb")


def test_siblings_come_from_the_same_group_and_are_never_the_image_itself():
    groups = torch.tensor([0, 0, 1, 1, 1, 2, 0, 2, 3])
    index = torch.arange(len(groups)).repeat(50)
    chosen = sibling_indices(groups, index, torch.Generator().manual_seed(1))
    assert torch.equal(groups[chosen], groups[index])
    alone = groups[index] == 3      # a group of one has no sibling: the image stands for itself
    assert torch.equal(chosen[alone], index[alone]) and not (chosen[~alone] == index[~alone]).any()
    assert len(set(chosen[index == 2].tolist())) == 2          # both others of group 1 get drawn
    assert torch.equal(fixed_siblings(groups), fixed_siblings(groups))
