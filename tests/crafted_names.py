"""Names and pictures that try to drive the terminal or slip past the size limit, made small.

`name_cases(model, folder)` returns {kind: (argv, expected exit, words that must be in the output)}.
Every command's stdout and stderr must then be free of raw control characters; `models_folder`
builds a models folder whose file names carry escapes, beside a link that points nowhere.
"""
from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

ESCAPE = "\x1b[31mred\x1b[0m"


def forged_png(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height, with almost no data: what matters is what Pillow
    does on reading the header (a bomb check, a warning), never a decode."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


def ico_around(png: bytes) -> bytes:
    """An ICO holding one PNG frame; its directory says 256x256, as every ICO's does."""
    entry = struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(png), 6 + 16)
    return struct.pack("<HHH", 0, 1, 1) + entry + png


def models_folder(folder: Path, model: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(model, folder / f"{ESCAPE}.pt")
    (folder / "gone.pt").symlink_to(folder / "nowhere.pt")
    return folder


def name_cases(model: Path, folder: Path) -> dict[str, tuple[list[str], int, str]]:
    """`model` has the class names ["cat\\nline2", "\\x1b[31mred..."] (crafted.build_all)."""
    from crafted_data import _npz
    folder.mkdir(parents=True, exist_ok=True)
    picture = folder / "grey.png"
    Image.new("L", (4, 4), 128).save(picture)
    names = np.array(["cat\nline2", "\x1b[31mred" + "x" * 500])
    data = _npz(folder / "named.npz", images=np.zeros((20, 4, 4), np.uint8), labels=np.arange(20) % 2,
                class_names=names)
    (folder / "bomb.ico").write_bytes(ico_around(forged_png(13_000, 13_000)))
    (folder / "big.png").write_bytes(forged_png(7_000, 7_000))       # 49 Mpx: under the limit, warns
    out = folder / f"map{ESCAPE}.png"
    return {
        "eval --classify with escapes in class names": (
            ["eval", str(model), "--data", f"npz:{data}", "--classify"], 0, "\\x1b[31mred"),
        "surprise --out named with escapes": (["surprise", str(model), str(picture), "--out", str(out)], 0,
                                              "wrote "),
        "surprise of an ICO holding a 169-megapixel PNG": (["surprise", str(model), str(folder / "bomb.ico")], 2,
                                                           "too large"),
        "surprise of a 49-megapixel PNG header (Pillow warns)": (
            ["surprise", str(model), str(folder / "big.png")], 2, "damaged or truncated"),
        "info with escapes in class names": (["info", str(model)], 0, "cat\\nline2"),
    }


def raw_controls(text: str) -> list[str]:
    """Control characters other than line ends: what a name must never put on a terminal."""
    return sorted({repr(c) for c in text if (ord(c) < 32 and c not in "\n") or c == "\x7f"
                   or "\x80" <= c <= "\x9f"})
