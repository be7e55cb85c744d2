"""Bad checkpoints, built the way a careless user or an attacker would make them.

`build_all(folder)` writes one file per kind and returns {kind: (path, expected exit status of `info`)}.
Exit 0 means the file is usable (its oddities shown safely); 2 means one clear line. Used by the
crafted-input tests, and runnable alone to count them for the docs.
"""
from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

import torch

from pixelcnn_studio import ModelConfig, build_model, save_checkpoint
from pixelcnn_studio.embed.autoencoder import ConvEncoder, checkpoint_entry

CLASSES = ModelConfig(image_size=4, channels=1, hidden=4, layers=2, kernel_size=3, num_classes=2)
PORTRAITS = ModelConfig(image_size=8, channels=1, hidden=4, layers=2, kernel_size=3, embedding_dim=4)

# Config fields as a hostile or careless file may give them.
CONFIG_CASES = {
    "hidden 10^9": {"hidden": 10**9}, "levels 10^9": {"levels": 10**9},
    "num_classes 10^9": {"num_classes": 10**9}, "embedding_dim 10^9": {"embedding_dim": 10**9},
    "kernel_size 10^5": {"kernel_size": 10**5}, "layers 10^6": {"layers": 10**6},
    "image_size 10^6": {"image_size": [10**6, 10**6]}, "hidden 8.5": {"hidden": 8.5},
    "layers 2.0": {"layers": 2.0}, "hidden true": {"hidden": True}, "hidden '64'": {"hidden": "64"},
    "location_channels -1": {"location_channels": -1}, "output_hidden -1": {"output_hidden": -1},
    "channels 2": {"channels": 2}, "variant unknown": {"variant": "fancy"},
    "location_conditioning 'yes'": {"location_conditioning": "yes"},
    "image_size three sides": {"image_size": [4, 4, 4]}, "image_size text": {"image_size": "big"},
    "unknown config field": {"colour": "red"},
    # Every field within its cap, together far beyond any machine's memory.
    "huge but within caps": {"hidden": 4096, "layers": 256, "kernel_size": 15, "image_size": 512},
    "huge conditioning within caps": {"layers": 256, "num_classes": 100_000, "embedding_dim": 65_536,
                                      "levels": 65_536, "output_hidden": 4096, "location_conditioning": True,
                                      "location_channels": 4096, "image_size": 512},
}


def _payload(config=CLASSES, **metadata) -> dict:
    """A valid checkpoint's dict, as torch.load reads it back."""
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.pt"
        save_checkpoint(path, build_model(config), **metadata)
        return torch.load(path, weights_only=True)


def _portrait_payload() -> dict:
    torch.manual_seed(0)
    encoder = ConvEncoder(1, 8, 4, width=2)
    return _payload(PORTRAITS, embedder=checkpoint_entry(encoder))


def _with_state(payload, change) -> dict:
    state = dict(payload["state_dict"])
    change(state)
    return dict(payload, state_dict=state)


def _forge_declared_size(path: Path, entry_suffix: str, size: int) -> None:
    """Re-zip with deflate and declare `size` uncompressed bytes for one entry: a deflate bomb's
    directory, without spending the seconds (and gigabytes) of a real one."""
    source = zipfile.ZipFile(path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
    source.close()
    data = bytearray(out.getvalue())
    name = next(n for n in zipfile.ZipFile(io.BytesIO(bytes(data))).namelist() if n.endswith(entry_suffix))
    encoded = name.encode()
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_len = int.from_bytes(data[central + 28:central + 30], "little")
        if bytes(data[central + 46:central + 46 + name_len]) == encoded:
            data[central + 24:central + 28] = size.to_bytes(4, "little")
            local = int.from_bytes(data[central + 42:central + 46], "little")
            data[local + 22:local + 26] = size.to_bytes(4, "little")
            break
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def _real_bomb(source: Path, path: Path, megabytes: int) -> None:
    """The archive with its first tensor's data replaced by `megabytes` of deflated zeros (a real
    bomb: about 1.4 MB on disk for 300 MB unpacked)."""
    chunk = bytes(2**20)
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED,
                                                          compresslevel=1) as dst:
        for info in src.infolist():
            if info.filename.endswith("/data/0"):
                with dst.open(info.filename, "w", force_zip64=True) as f:
                    for _ in range(megabytes):
                        f.write(chunk)
            else:
                dst.writestr(info.filename, src.read(info.filename))


def build_all(folder) -> dict[str, tuple[Path, int]]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cases: dict[str, tuple[Path, int]] = {}

    def save(kind: str, payload, status: int = 2) -> None:
        path = folder / (kind.replace(" ", "_").replace("/", "-").replace("'", "") + ".pt")
        torch.save(payload, path)
        cases[kind] = (path, status)

    good = _payload(class_names=["cat", "dog"], metrics={"test_bpd": 3.5})
    save("valid class model", good, 0)
    for kind, change in CONFIG_CASES.items():
        save(f"config {kind}", dict(good, config=dict(good["config"], **change)))
    save("config not a dict", dict(good, config="hidden=64"))

    save("state value float", _with_state(good, lambda s: s.update({"head.out.bias": 1.5})))
    save("state value text", _with_state(good, lambda s: s.update({"head.out.bias": "zeros"})))
    save("state value list", _with_state(good, lambda s: s.update({"head.out.bias": [0.0] * 512})))
    save("state integer key", _with_state(good, lambda s: s.update({7: torch.zeros(1)})))
    save("state sparse tensor", _with_state(good, lambda s: s.update(
        {"head.out.bias": s["head.out.bias"].to_sparse()})))
    save("state integer tensor", _with_state(good, lambda s: s.update(
        {"head.out.bias": torch.zeros_like(s["head.out.bias"], dtype=torch.int64)})))
    save("state wrong shape", _with_state(good, lambda s: s.update({"head.out.bias": torch.zeros(3)})))
    save("state missing weight", _with_state(good, lambda s: s.pop("head.out.bias")))
    save("state not a dict", dict(good, state_dict=list(good["state_dict"].values())))
    save("weights with one NaN", _with_state(good, lambda s: s.update(
        {"head.out.bias": s["head.out.bias"].clone().index_fill_(0, torch.tensor([3]), float("nan"))})))
    save("weights with Inf", _with_state(good, lambda s: s.update(
        {"layers.0.vertical.weight": s["layers.0.vertical.weight"] * float("inf")})))
    save("half precision with DDP and compile prefixes", _with_state(good, lambda s: [
        s.update({f"module._orig_mod.{k}": s.pop(k).half()}) for k in list(s)]), 0)

    save("extra a string", dict(good, extra="notes"))
    save("dataset a string", dict(good, dataset="mnist"))
    save("metrics a string", dict(good, metrics="3.1 bits"))
    # Readers take the numbers they know and show the rest; a list of figures is no reason to refuse.
    save("metric a list", dict(good, metrics={"test_bpd": [3.1], "history": {"1": 3.4}}), 0)
    save("metric NaN", dict(good, metrics={"test_bpd": float("nan")}), 0)
    save("embedder a string", dict(good, embedder="face-dlib-128"))
    save("class names ints", dict(good, class_names=[0, 1]))
    save("class names None items", dict(good, class_names=[None, None]))
    save("class names a string", dict(good, class_names="cat,dog"))
    save("class names too few", dict(good, class_names=["cat"]))
    save("class names with newline and escape", dict(good, class_names=["cat\nline2", "\x1b[31mred" + "x" * 500]), 0)
    save("newer version", dict(good, version=99))
    save("version text", dict(good, version="1"))
    save("no format header", {k: v for k, v in good.items() if k != "format"})
    save("payload a list", [good])

    portrait = _portrait_payload()
    save("valid auto-encoder", portrait, 0)
    entry = portrait["embedder"]
    save("embedder without name", dict(portrait, embedder={k: v for k, v in entry.items() if k != "name"}))
    save("embedder dim wrong", dict(portrait, embedder=dict(entry, dim=5)))
    save("autoencoder without config", dict(portrait, embedder={k: v for k, v in entry.items() if k != "config"}))
    save("autoencoder config dim float", dict(portrait, embedder=dict(entry, config=dict(entry["config"], dim=4.0))))
    save("autoencoder config width 10^9", dict(portrait, embedder=dict(entry, config=dict(entry["config"],
                                                                                            width=10**9))))
    save("autoencoder config a list", dict(portrait, embedder=dict(entry, config=[1, 8, 4])))
    save("autoencoder weights a string", dict(portrait, embedder=dict(entry, state_dict="weights")))
    save("autoencoder weight wrong shape", dict(portrait, embedder=dict(entry, state_dict=dict(
        entry["state_dict"], **{"to_code.bias": torch.zeros(9)}))))
    save("autoencoder weight NaN", dict(portrait, embedder=dict(entry, state_dict=dict(
        entry["state_dict"], **{"to_code.bias": torch.full((4,), float("nan"))}))))
    save("gallery of the wrong size", dict(portrait, extra={"gallery": {
        "images": torch.zeros(3, 1, 5, 5, dtype=torch.uint8), "embeddings": torch.zeros(3, 4)}}))

    # Files that are not checkpoints at all.
    valid = cases["valid class model"][0]
    raw = {
        "empty file": b"", "random bytes": os.urandom(4096), "text file": b"hello\n" * 100,
        "truncated": valid.read_bytes()[: valid.stat().st_size // 2],
        "foreign zip": _zip_bytes({"readme.txt": b"hi"}),
    }
    for kind, data in raw.items():
        path = folder / (kind.replace(" ", "_") + ".pt")
        path.write_bytes(data)
        cases[kind] = (path, 2)
    for kind, entry_name, size in (("deflate bomb (tensor data)", "data/0", 0xF000_0000),
                                   ("deflate bomb (pickle)", "data.pkl", 0xF000_0000),
                                   ("tensor data beyond the config", "data/0", 300 * 2**20)):
        path = folder / (kind.split(" (")[0].replace(" ", "_") + f"-{entry_name.replace('/', '_')}.pt")
        path.write_bytes(valid.read_bytes())
        _forge_declared_size(path, entry_name, size)
        cases[kind] = (path, 2)
    _real_bomb(valid, folder / "real-bomb.pt", 300)
    cases["deflate bomb (real, 300 MB of zeros)"] = (folder / "real-bomb.pt", 2)
    fifo = folder / "fifo.pt"
    os.mkfifo(fifo)
    cases["named pipe (FIFO)"] = (fifo, 2)
    (folder / "a-folder.pt").mkdir()
    cases["a folder"] = (folder / "a-folder.pt", 2)
    cases["missing file"] = (folder / "missing.pt", 2)
    return cases


def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def argument_cases(model: Path, portrait_model: Path, folder: Path) -> dict[str, tuple[list[str], str]]:
    """Command lines a careless user types, each with words its one-line error must contain."""
    blocked = folder / "file.txt"
    blocked.write_text("x")
    pipe = folder / "picture.png"
    os.mkfifo(pipe)
    sample = ["sample", str(model)]
    return {
        "sample --portrait a named pipe": (["sample", str(portrait_model), "--portrait", str(pipe),
                                            "--out", str(folder / "x.png")], "not a regular file"),
        "surprise of a named pipe": (["surprise", str(model), str(pipe)], "not a regular file"),
        "surprise --out is a folder": (["surprise", str(model), str(blocked), "--out", str(folder)], "is a folder"),
        "sample --out is a folder": ([*sample, "--out", str(folder)], "is a folder"),
        "sample --out of unknown kind": ([*sample, "--out", str(folder / "x.txt")], "must end in"),
        "sample --out under a file": ([*sample, "--out", str(blocked / "sub" / "x.png")], "is a file, not a folder"),
        "sample --out in an unwritable folder": ([*sample, "--out", "/proc/x.png"], "not writable"),
        "sample --n 10^8": ([*sample, "--n", "100000000", "--out", str(folder / "x.npy")], "can be used here"),
        "sample --scale 20000": ([*sample, "--scale", "20000", "--out", str(folder / "x.png")], "can be used here"),
        "sample GIF too wide": ([*sample, "--n", "4096", "--scale", "300", "--class", "0",
                                 "--out", str(folder / "x.gif")], "GIF allows"),
        "sample --scale 0": ([*sample, "--scale", "0", "--out", str(folder / "x.png")], "--scale must be at least 1"),
        "sample --seed 10^23": ([*sample, "--seed", str(10**23), "--out", str(folder / "x.png")],
                                "--seed must lie between"),
        "sample --temperature nan": ([*sample, "--temperature", "nan", "--out", str(folder / "x.png")],
                                     "--temperature"),
        "sample unknown class with escapes": ([*sample, "--class", "zebra\n\x1b[2J", "--out", str(folder / "x.png")],
                                              "unknown class"),
        "eval of a missing dataset": (["eval", str(model), "--data", f"npz:{folder / 'none.npz'}"], "not found"),
        "eval of a missing packaged dataset": (["eval", str(model), "--data", "cifar10:/nonexistent"], "not found"),
        **numeric_flag_cases(model, folder),
    }


def numeric_flag_cases(model: Path, folder: Path) -> dict[str, tuple[list[str], str]]:
    """Numbers out of range for every command, refused before any work (a dataset that does not exist
    stands in for the data: a flag that slipped through would fail on it with other words)."""
    train = ["train", "--data", f"npz:{folder / 'none.npz'}", "--out", str(folder / "run")]
    flags = {
        "train --kernel-size 4": (["--kernel-size", "4"], "--kernel-size must be odd"),
        "train --hidden 5000": (["--hidden", "5000"], "--hidden must lie in 1..4,096"),
        "train --layers 0": (["--layers", "0"], "--layers must lie in 1..256"),
        "train --lr nan": (["--lr", "nan"], "--lr must be a finite number"),
        "train --lr inf": (["--lr", "inf"], "--lr must be a finite number"),
        "train --lr 0": (["--lr", "0"], "--lr must lie in (0, 10]"),
        "train --weight-decay -1": (["--weight-decay", "-1"], "--weight-decay must lie in [0, 10]"),
        "train --min-lr-ratio -5": (["--min-lr-ratio", "-5"], "--min-lr-ratio must lie in [0, 1]"),
        "train --shift 10^9": (["--shift", str(10**9)], "--shift must lie in 0..256"),
        "train --seed 10^20": (["--seed", str(10**20)], "--seed must lie in 0..4,294,967,295"),
        "train --threads 0": (["--threads", "0"], "--threads must lie in 1.."),
        "train --batch-size 0": (["--batch-size", "0"], "--batch-size must lie in 1..65,536"),
        "train --max-minutes inf": (["--max-minutes", "inf"], "--max-minutes must be a finite number"),
        "train --ema 1": (["--ema", "1"], "--ema must lie in [0, 1)"),
        "train --adam-beta2 1": (["--adam-beta2", "1"], "--adam-beta2 must lie in [0, 1)"),
        "train --device foo": (["--device", "foo"], "--device must be auto, cpu, cuda or cuda:N"),
        "train --shift 1e9 (not an integer)": (["--shift", "1e9"], "invalid int value"),
    }
    cases = {kind: ([*train, *extra], words) for kind, (extra, words) in flags.items()}
    cases.update({
        "bench --train --batch 0": (["bench", "--train", "--batch", "0"], "--batch must lie in 1..65,536"),
        "bench --train --batch -4": (["bench", "--train", "--batch", "-4"], "--batch must lie in 1..65,536"),
        "bench --repeats 0": (["bench", "--repeats", "0"], "--repeats must lie in 1..1,000"),
        "eval --threads -1": (["eval", str(model), "--data", f"npz:{folder / 'none.npz'}", "--threads", "-1"],
                              "--threads must lie in 1.."),
        "sample --threads 0": (["sample", str(model), "--threads", "0", "--out", str(folder / "x.png")],
                               "--threads must lie in 1.."),
    })
    return cases
