"""Packed dataset copies (data/pack.py): the same splits, read back through `npz:PATH`."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest
import torch

from pixelcnn_studio.data import DatasetError, load_dataset
from pixelcnn_studio.data.pack import pack_dataset
from test_data import make_image_folder


def test_a_packed_copy_holds_the_same_splits_and_names_its_source(tmp_path):
    folder = make_image_folder(tmp_path / "photos")
    data_root = tmp_path / "data"
    target = tmp_path / "packed" / "photos.npz"
    found = pack_dataset(f"folder:{folder}", target, image_size=8, root=data_root)
    assert found["path"] == str(target) and found["bytes"] == target.stat().st_size
    assert found["dropped"] == ["sources"]          # per-image files do not travel
    for split in ("train", "test"):
        original = load_dataset(f"folder:{folder}", split, image_size=8, root=data_root)
        copy = load_dataset(f"npz:{target}", split)
        assert torch.equal(copy.images, original.images)
        assert torch.equal(copy.labels, original.labels)
        assert copy.class_names == original.class_names == ["cats", "dogs"]
        assert copy.info["source"].startswith(f"folder:{folder}: ")
        assert copy.info["licence"] == original.info.get("licence", "as given by the source")
    assert [p.name for p in target.parent.iterdir()] == ["photos.npz"]     # no temporary file left


def test_an_npz_source_must_be_one_string(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, x_train=np.zeros((2, 4, 4), np.uint8), x_test=np.zeros((1, 4, 4), np.uint8),
             source=np.array([1, 2]))
    with pytest.raises(DatasetError, match="source"):
        load_dataset(f"npz:{path}")


def test_per_image_groups_and_boxes_travel_with_their_images(tmp_path):
    rng = np.random.default_rng(0)
    source = tmp_path / "grouped.npz"
    np.savez(source, images=rng.integers(0, 256, (40, 6, 6), dtype=np.uint8), labels=np.arange(40) % 4,
             groups=np.arange(40) // 5, boxes=rng.random((40, 4)).astype(np.float32))
    target = tmp_path / "packed.npz"
    pack_dataset(f"npz:{source}", target)
    for split in ("train", "test"):
        original = load_dataset(f"npz:{source}", split)
        copy = load_dataset(f"npz:{target}", split)
        assert original.groups is not None and original.boxes is not None
        assert torch.equal(copy.images, original.images)
        assert torch.equal(copy.groups, original.groups) and torch.equal(copy.boxes, original.boxes)
        assert copy.info["split_rule"] == "official"      # the copy holds the split as it was cut


def test_npz_boxes_must_match_the_images(tmp_path):
    path = tmp_path / "bad-boxes.npz"
    np.savez(path, x_train=np.zeros((3, 4, 4), np.uint8), x_test=np.zeros((1, 4, 4), np.uint8),
             boxes_train=np.zeros((2, 4), np.float32))
    with pytest.raises(DatasetError, match="2 entries for 3 images"):
        load_dataset(f"npz:{path}")


def test_an_npz_as_large_as_fashion_mnist_is_read(tmp_path):
    # 70,000 28x28 pictures hold 54.9 million bytes: more than the per-array item cap, which counts
    # images, not the bytes of every array together.
    path = tmp_path / "large.npz"
    np.savez_compressed(path, x_train=np.zeros((60_000, 28, 28), np.uint8), x_test=np.zeros((10_000, 28, 28), np.uint8))
    assert len(load_dataset(f"npz:{path}", "test")) == 10_000


def test_a_packed_copy_is_lzma_compressed_and_smaller_than_deflate(tmp_path):
    # Glyph-like pictures (a bar of random place and width on black): what the copies carry.
    rng = np.random.default_rng(1)
    images = np.zeros((3000, 28, 28), np.uint8)
    for image in images:
        top, left, width = rng.integers(2, 14, 3)
        image[top:top + 12, left:left + width] = rng.integers(128, 256)
        image[top + 12, left:left + width] = rng.integers(0, 128)      # a soft lower edge
    source = tmp_path / "bars.npz"
    np.savez(source, images=images, labels=np.arange(3000) % 3)
    target = tmp_path / "packed.npz"
    pack_dataset(f"npz:{source}", target)
    with zipfile.ZipFile(target) as archive:
        assert {entry.compress_type for entry in archive.infolist()} == {zipfile.ZIP_LZMA}
    with np.load(target) as packed:            # any npz reader reads it back
        arrays = {key: packed[key] for key in packed.files}
    deflated = tmp_path / "deflated.npz"
    np.savez_compressed(deflated, **arrays)
    assert target.stat().st_size < deflated.stat().st_size
    assert torch.equal(load_dataset(f"npz:{target}", "train").images,
                       load_dataset(f"npz:{source}", "train").images)
