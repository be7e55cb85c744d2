"""Bad training data, built the way a careless user or an attacker would make it, small and fast.

`build_data_cases(folder)` returns {kind: (dataset spec, expected exit of `train`, words of the
reason)}; `data_root` cases need $PIXELCNN_STUDIO_DATA pointed at `folder / "root"`. Each file
is a few KB: what matters is what it *declares* (a billion labels, a 4 GB stream, a FIFO).
"""
from __future__ import annotations

import gzip
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

TRAIN_FLAGS = ["--steps", "1", "--epochs", "1", "--hidden", "4", "--layers", "1", "--kernel-size", "3",
               "--output-hidden", "4", "--batch-size", "2", "--threads", "1", "--eval-limit", "4"]


def _npz(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


def _npy_bytes(shape, dtype="|u1", data: bytes = b"") -> bytes:
    """A .npy file whose header declares `shape`, followed by only `data` (a lie about its size)."""
    header = f"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {tuple(shape)!r}, }}"
    header = header + " " * (63 - (len(header) + 10) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _images(count: int, side: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, side, side), dtype=np.uint8)


def _pickle_ops(*ops: bytes) -> bytes:
    return b"\x80\x02" + b"".join(ops) + b"."


def _shared_list_bomb(depth: int) -> bytes:
    """[[...], [...]] nested `depth` deep, each level's two items the same list: under 1 KB of
    opcodes, 2**depth leaves once anything walks it as a nested sequence."""
    ops = [b"]", b"q\x00", b"0"]                                   # memo 0: the innermost list
    for level in range(1, depth + 1):
        ops += [b"(", b"h" + bytes([level - 1]), b"h" + bytes([level - 1]), b"l", b"q" + bytes([level]), b"0"]
    return b"".join(ops) + b"h" + bytes([depth])


def _cifar_batch(labels_ops: bytes, data_ops: bytes | None = None) -> bytes:
    data_ops = data_ops or _cifar_array_ops((2, 3072), bytes(2 * 3072))
    return _pickle_ops(b"}", b"(", b"C\x04data", data_ops, b"C\x06labels", labels_ops, b"u")


def _cifar_array_ops(shape, raw: bytes) -> bytes:
    """numpy's own protocol-2 form of a uint8 array, with the shape it declares and the bytes it holds."""
    return (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R"
            b"(K\x01" + b"(" + b"".join(b"J" + struct.pack("<i", s) for s in shape) + b"t"
            + b"cnumpy\ndtype\nX\x02\x00\x00\x00u1K\x00K\x01\x87R(K\x03X\x01\x00\x00\x00|NNNJ\xff\xff\xff\xff"
              b"J\xff\xff\xff\xffK\x00tb"
            + b"\x89B" + struct.pack("<I", len(raw)) + raw + b"tb")


def _cifar_folder(folder: Path, train: bytes, meta: bytes | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    good_labels = b"]" + b"(K\x00K\x01e"
    for i in range(1, 6):
        (folder / f"data_batch_{i}").write_bytes(train if i == 1 else _cifar_batch(good_labels))
    (folder / "test_batch").write_bytes(_cifar_batch(good_labels))
    if meta is not None:
        (folder / "batches.meta").write_bytes(meta)
    return folder


def _gzip_bomb(path: Path, header: bytes, gigabytes: int) -> Path:
    """A valid IDX header, then `gigabytes` of zeros as repeated gzip members: 4 MB on disk."""
    member = gzip.compress(bytes(64 * 2**20), compresslevel=9)
    with open(path, "wb") as f:
        f.write(gzip.compress(header))
        for _ in range(gigabytes * 16):
            f.write(member)
    return path


def _image_folder(folder: Path, classes=("a", "b"), per_class: int = 6) -> Path:
    for index, name in enumerate(classes):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.fromarray(_images(1, 8, seed=index * 100 + i)[0]).save(folder / name / f"{i}.png")
    return folder


def build_data_cases(folder) -> dict[str, tuple[str, int, str]]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cases: dict[str, tuple[str, int, str]] = {}
    x, y = _images(20), np.arange(20) % 2

    cases["npz valid"] = (f"npz:{_npz(folder / 'valid.npz', x_train=x, y_train=y, x_test=x[:4], y_test=y[:4])}",
                          0, "")
    cases["npz one label of 10^9"] = (f"npz:{_npz(folder / 'label.npz', images=x, labels=np.r_[y[:-1], 10**9])}",
                                      2, "beyond the 100,000 classes")
    cases["npz negative label"] = (f"npz:{_npz(folder / 'neg.npz', images=x, labels=np.r_[y[:-1], -3])}",
                                   2, "non-negative")
    cases["npz NaN label"] = (f"npz:{_npz(folder / 'nan.npz', images=x, labels=np.r_[y[:-1], np.nan])}",
                              2, "integers")
    cases["npz header declares 10^9 images"] = (
        f"npz:{_zip(folder / 'shape.npz', {'images.npy': _npy_bytes((10**9, 28, 28))})}", 2, "at most 50,000,000")
    cases["npz header declares 262 GB"] = (
        f"npz:{_zip(folder / 'big.npz', {'images.npy': _npy_bytes((10**6, 512, 512))})}", 2, "needs 262.1 GB")
    cases["npz header larger than its entry"] = (
        f"npz:{_zip(folder / 'short.npz', {'images.npy': _npy_bytes((100, 4, 4), data=bytes(10))})}", 2,
        "but its entry holds")
    cases["npz object array"] = (
        f"npz:{_zip(folder / 'object.npz', {'images.npy': _npy_bytes((2,), '|O', b'x' * 16)})}", 2, "Python objects")
    cases["npz 200,000 class names"] = (
        f"npz:{_npz(folder / 'names.npz', images=x, labels=y, class_names=np.array(['n'] * 200_000))}", 2,
        "class names")
    cases["npz held-out label beyond training classes"] = (
        f"npz:{_npz(folder / 'split.npz', x_train=x, y_train=y, x_test=x[:4], y_test=np.array([0, 1, 7, 0]))}", 2,
        "held-out label 7")
    cases["npz no held-out images"] = (
        f"npz:{_npz(folder / 'tiny.npz', x_train=x[:4], y_train=y[:4], x_test=x[:0], y_test=y[:0])}", 2,
        "held-out split is empty")
    cases["npz not a zip"] = (f"npz:{folder / 'text.npz'}", 2, "not a zip")
    (folder / "text.npz").write_text("hello\n")
    os.mkfifo(folder / "pipe.npz")
    cases["npz a named pipe"] = (f"npz:{folder / 'pipe.npz'}", 2, "named pipe")

    good_labels = b"](K\x00K\x01e"
    cases["cifar valid"] = (f"cifar10:{_cifar_folder(folder / 'cifar-ok', _cifar_batch(good_labels))}", 0, "")
    cases["cifar shared-list bomb in labels"] = (
        f"cifar10:{_cifar_folder(folder / 'cifar-bomb', _cifar_batch(_shared_list_bomb(32)))}", 2, "flat list")
    deep = b"]" * 50_000 + b"a" * 49_999
    cases["cifar list nested 50,000 deep"] = (
        f"cifar10:{_cifar_folder(folder / 'cifar-deep', _cifar_batch(deep))}", 2, "flat list")
    names_bomb = _pickle_ops(b"}", b"(", b"C\x0blabel_names", _shared_list_bomb(40), b"u")
    cases["cifar shared-list bomb in label_names"] = (
        f"cifar10:{_cifar_folder(folder / 'cifar-names', _cifar_batch(good_labels), names_bomb)}", 2, "text")
    cases["cifar label of 10^9"] = (
        f"cifar10:{_cifar_folder(folder / 'cifar-label', _cifar_batch(b'](K' + bytes([0]) + b'J' + struct.pack('<i', 10**9) + b'e'))}",
        2, "labels must lie in")
    cases["cifar array declares 10^9 rows"] = (
        f"cifar10:{_cifar_folder(folder / 'cifar-shape', _cifar_batch(good_labels, _cifar_array_ops((10**9, 3072), b'')))}",
        2, "at most 50,000,000")
    evil = b"\x80\x02cposix\nsystem\nX\x04\x00\x00\x00trueq\x00\x85R."
    cases["cifar code in the pickle"] = (f"cifar10:{_cifar_folder(folder / 'cifar-evil', evil)}", 2, "refused")
    (folder / "cifar-pipe").mkdir()
    os.mkfifo(folder / "cifar-pipe" / "data_batch_1")
    (folder / "cifar-pipe" / "test_batch").write_bytes(_cifar_batch(good_labels))
    cases["cifar batch a named pipe"] = (f"cifar10:{folder / 'cifar-pipe'}", 2, "named pipe")

    root = folder / "root"
    mnist = root / "mnist"
    mnist.mkdir(parents=True)
    header = b"\x00\x00\x08\x03" + b"".join(s.to_bytes(4, "big") for s in (60_000, 28, 28))
    _gzip_bomb(mnist / "train-images-idx3-ubyte.gz", header, 4)
    huge = b"\x00\x00\x08\x03" + b"".join(s.to_bytes(4, "big") for s in (2**31, 2**16, 2**16))
    (mnist / "t10k-images-idx3-ubyte").write_bytes(huge)
    for stem, count in (("train-labels-idx1-ubyte", 60_000), ("t10k-labels-idx1-ubyte", 10_000)):
        (mnist / stem).write_bytes(b"\x00\x00\x08\x01" + count.to_bytes(4, "big") + bytes(count))
    cases["idx gzip bomb (4 GB of zeros after the header)"] = ("mnist", 2, "more than")

    _image_folder(folder / "pictures-pipe")
    os.mkfifo(folder / "pictures-pipe" / "a" / "fifo.png")
    cases["folder with a named pipe"] = (f"folder:{folder / 'pictures-pipe'}", 2, "named pipe")
    _image_folder(folder / "pictures-links")
    (folder / "pictures-links" / "a" / "gone.png").symlink_to(folder / "nowhere.png")
    cases["folder with a dangling link"] = (f"folder:{folder / 'pictures-links'}", 0, "")
    (folder / "only-links").mkdir()
    (folder / "only-links" / "x.png").symlink_to(folder / "nowhere.png")
    cases["folder of dangling links only"] = (f"folder:{folder / 'only-links'}", 2, "point nowhere")
    _image_folder(folder / "pictures-one", per_class=1)
    cases["folder with one image per class"] = (f"folder:{folder / 'pictures-one'}", 2, "held-out split is empty")
    return cases


def data_arguments(spec: str, out: Path) -> list[str]:
    return ["train", "--data", spec, "--out", str(out), *TRAIN_FLAGS]

