"""`emoji-groups`: look-alike classes from Unicode subgroups, three emoji sets, split per emoji."""
from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import pytest
from PIL import Image

from pixelcnn_studio.data import DatasetError, available_datasets, load_dataset
from pixelcnn_studio.data import emoji_groups, store

SMILING = [f"1F6{i:02X}" for i in range(12)]
HEARTS = [f"27{i:02X}" for i in range(10)]


@pytest.fixture
def no_system_sources(monkeypatch):
    monkeypatch.setattr(store, "SYSTEM_NODE_MODULES", ())
    monkeypatch.delenv(store.ENV_VAR, raising=False)


def tile(colour, box=(16, 16, 48, 48)) -> Image.Image:
    image = Image.new("RGBA", (64, 64), (0, 255, 0, 0))  # transparent green must not show
    image.paste((*colour, 255), box)
    return image


def write_datasource(root, package, vendor, colour):
    folder = root / "npm" / "node_modules" / package
    images = folder / "img" / vendor / "64"
    images.mkdir(parents=True)
    entries, flag = [], f"has_img_{vendor}"
    for order, (code, sub) in enumerate([(c, "face-smiling") for c in SMILING]
                                        + [(c, "heart") for c in HEARTS] + [("1F455", "clothing")]):
        tile(colour).save(images / f"{code.lower()}.png")
        entries.append({"unified": code, "image": f"{code.lower()}.png", "subcategory": sub,
                        "sort_order": order, flag: True})
    # One hand in five skin tones, plus a two-tone variant that must be left out.
    variations = {}
    for tone in emoji_groups.SKIN_TONES + ("1F3FB-1F3FC",):
        name = f"1f44b-{tone.lower()}.png"
        tile(colour).save(images / name)
        variations[tone] = {"unified": f"1F44B-{tone}", "image": name, flag: True}
    tile(colour).save(images / "1f44b.png")
    entries.append({"unified": "1F44B", "image": "1f44b.png", "subcategory": "hand-fingers-open",
                    "sort_order": 99, flag: True, "skin_variations": variations})
    (folder / "emoji.json").write_text(json.dumps(entries))


def write_openmoji(root):
    folder = root / "npm" / "node_modules" / "openmoji"
    (folder / "color" / "svg").mkdir(parents=True)
    (folder / "data").mkdir()
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 72 72">'
           '<rect x="26" y="26" width="20" height="20" fill="#0000ff"/></svg>')
    entries = []
    for code, group, combination in [(SMILING[0], "smileys-emotion", ""), ("E000", "extras-openmoji", ""),
                                     ("1F46B-1F3FB-1F3FC", "people-body", "multiple")]:
        (folder / "color" / "svg" / f"{code}.svg").write_text(svg)
        entries.append({"hexcode": code, "group": group, "subgroups": "face-smiling",
                        "skintone_combination": combination, "order": len(entries)})
    (folder / "data" / "openmoji.json").write_text(json.dumps(entries))


@pytest.fixture
def two_sets(tmp_path, no_system_sources):
    write_datasource(tmp_path, "emoji-datasource-google", "google", (200, 0, 0))
    write_datasource(tmp_path, "emoji-datasource-twitter", "twitter", (0, 0, 200))
    return tmp_path


def test_groups_sets_skin_tones_and_crop(two_sets):
    train = load_dataset("emoji-groups", root=two_sets)
    test = load_dataset("emoji-groups", "test", root=two_sets)
    assert train.class_names == emoji_groups.CLASS_NAMES and len(train.class_names) == 14
    # Per set: 12 smiling faces, 10 hearts, one hand in six drawings; clothing is in no group.
    assert len(train) + len(test) == 2 * (12 + 10 + 6)
    labels = np.concatenate([train.labels.numpy(), test.labels.numpy()])
    names = emoji_groups.CLASS_NAMES
    assert np.bincount(labels, minlength=14)[[names.index("smiling faces"), names.index("hearts"),
                                              names.index("hands")]].tolist() == [24, 20, 12]
    assert [s["set"] for s in train.info["sets"]] == ["noto", "twemoji"]
    assert "not installed" in train.info["sets_left_out"]["openmoji"]
    assert "Apache-2.0" in train.info["licence"] and "CC-BY 4.0" in train.info["licence"]
    # The 32x32 square in the middle of the canvas is cropped to fill the image, on white.
    image = train.images[0].numpy()
    assert image.shape == (3, 32, 32) and image[:, 16, 16].tolist() in ([200, 0, 0], [0, 0, 200])
    filled = (image.min(axis=0) < 128).mean()
    assert filled > 0.75


def test_held_out_split_keeps_every_drawing_of_an_emoji_together(two_sets):
    train = load_dataset("emoji-groups", root=two_sets)
    test = load_dataset("emoji-groups", "test", root=two_sets)
    # Identities are not part of the dataset object, so tell drawings apart by their pixels'
    # set colour and count: each held-out emoji must appear in both sets and not in train.
    assert len(test) == 2 * 3  # 2 of 12 smiling faces and 1 of 10 hearts, in both sets
    cached = np.load(store.cache_path(two_sets, "emoji-groups-32x32-c3"))
    identities, labels = cached["identities"], cached["labels"]
    test_idx = emoji_groups.split_by_identity(identities, labels, "test")
    train_idx = emoji_groups.split_by_identity(identities, labels, "train")
    assert set(identities[test_idx]).isdisjoint(identities[train_idx])
    assert len(test_idx) + len(train_idx) == len(identities)
    assert "1F44B" in set(identities[train_idx])  # a class of one emoji stays in train
    # Skin tones are one emoji: all six drawings of the hand share its identity.
    assert (identities == "1F44B").sum() == 12


@pytest.mark.skipif(importlib.util.find_spec("resvg_py") is None, reason="resvg-py is not installed")
def test_openmoji_svgs_are_drawn(two_sets):
    write_openmoji(two_sets)
    train = load_dataset("emoji-groups", root=two_sets)
    test = load_dataset("emoji-groups", "test", root=two_sets)
    openmoji = [s for s in train.info["sets"] if s["set"] == "openmoji"]
    assert openmoji and openmoji[0]["drawings"] == 1  # the extras and the two-tone couple left out
    everything = np.concatenate([train.images.numpy(), test.images.numpy()])
    blue_svg = (everything[:, 2] > 200) & (everything[:, 0] < 50)
    assert len(everything) == 2 * 28 + 1 and blue_svg.reshape(len(everything), -1).mean(1).max() > 0.75


def test_openmoji_without_resvg_is_left_out_with_a_note(two_sets, monkeypatch):
    write_openmoji(two_sets)
    monkeypatch.setitem(sys.modules, "resvg_py", None)
    train = load_dataset("emoji-groups", root=two_sets)
    assert "resvg-py" in train.info["sets_left_out"]["openmoji"]
    assert [s["set"] for s in train.info["sets"]] == ["noto", "twemoji"]


def test_missing_sets_say_how_to_get_them(tmp_path, no_system_sources):
    with pytest.raises(DatasetError) as caught:
        load_dataset("emoji-groups", root=tmp_path)
    message = str(caught.value)
    assert "fetch_datasets.sh emoji-groups" in message and "emoji-datasource-twitter" in message
    assert "emoji-groups" not in available_datasets(root=tmp_path)


def test_real_emoji_groups():
    if "emoji-groups" not in available_datasets():
        pytest.skip("emoji sets not installed (bash scripts/fetch_datasets.sh emoji-groups)")
    train, test = load_dataset("emoji-groups"), load_dataset("emoji-groups", "test")
    assert train.images.shape[1:] == (3, 32, 32) and len(train) > 2000 and len(test) > 200
    assert set(test.labels.tolist()) == set(range(14))
