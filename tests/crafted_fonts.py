"""A minimal TrueType font written byte by byte, mapping only the characters asked for.

Each mapped character is a filled rectangle of its own width (so no two glyphs look alike); every
other character falls to glyph 0, the .notdef box, as in a real font that lacks it.
"""
import struct

UNITS = 1000


def _rectangle(x0: int, y0: int, x1: int, y1: int) -> bytes:
    points = [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]      # clockwise: TrueType's filled outline
    data = struct.pack(">hhhhh", 1, x0, y0, x1, y1) + struct.pack(">HH", 3, 0) + bytes([0x01] * 4)
    x = y = 0
    xs, ys = b"", b""
    for px, py in points:
        xs += struct.pack(">h", px - x)
        ys += struct.pack(">h", py - y)
        x, y = px, py
    data += xs + ys
    return data + b"\0" * (-len(data) % 4)


def _cmap(mapping: dict[int, int]) -> bytes:
    codes = sorted(mapping) + [0xFFFF]
    seg = len(codes)
    power = 1 << (seg.bit_length() - 1)
    ends = starts = codes
    deltas = [(mapping[c] - c) % 65536 for c in codes[:-1]] + [1]
    body = struct.pack(">HHH", seg * 2, power * 2, power.bit_length() - 1) + struct.pack(">H", seg * 2 - power * 2)
    body += struct.pack(f">{seg}H", *ends) + b"\0\0" + struct.pack(f">{seg}H", *starts)
    body += struct.pack(f">{seg}H", *deltas) + struct.pack(f">{seg}H", *([0] * seg))
    sub = struct.pack(">HHH", 4, 6 + len(body), 0) + body
    return struct.pack(">HHHHI", 0, 1, 3, 1, 12) + sub


def font_with(characters: str, aliases: dict[str, str] | None = None) -> bytes:
    """TrueType bytes of a font that draws exactly `characters` (each its own rectangle), and each key of
    `aliases` with the glyph of its value (a caps-only font's "a" drawn as its "A")."""
    glyphs = [_rectangle(50, 0, 550, 600)]                  # .notdef: a box no mapped glyph matches
    widths = [600]
    for i, _ in enumerate(characters):
        width = 100 + 25 * (i + 1)
        glyphs.append(_rectangle(50, 0, 50 + width, 700))
        widths.append(width + 100)
    n = len(glyphs)
    offsets, glyf = [0], b""
    for g in glyphs:
        glyf += g
        offsets.append(len(glyf))
    tables = {
        b"cmap": _cmap({**{ord(c): i + 1 for i, c in enumerate(characters)},
                        **{ord(a): characters.index(c) + 1 for a, c in (aliases or {}).items()}}),
        b"glyf": glyf,
        b"head": struct.pack(">IIIIHHqqhhhhHHhhh", 0x10000, 0x10000, 0, 0x5F0F3CF5, 0x000B, UNITS, 0, 0,
                             0, 0, max(widths), 700, 0, 8, 2, 1, 0),
        b"hhea": struct.pack(">IhhhHhhhhhh4hhH", 0x10000, 800, -200, 0, max(widths), 0, 0, max(widths), 1, 0, 0,
                             0, 0, 0, 0, 0, n),
        b"hmtx": b"".join(struct.pack(">Hh", w, 50) for w in widths),
        b"loca": struct.pack(f">{n + 1}I", *offsets),
        b"maxp": struct.pack(">IHHHHHHHHHHHHHH", 0x10000, n, 4, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0),
        b"name": struct.pack(">HHH", 0, 0, 6),
        b"post": struct.pack(">IIhhIIIII", 0x30000, 0, -100, 50, 0, 0, 0, 0, 0),
    }
    count = len(tables)
    power = 1 << (count.bit_length() - 1)
    header = struct.pack(">IHHHH", 0x10000, count, power * 16, power.bit_length() - 1, count * 16 - power * 16)
    offset = 12 + 16 * count
    records, data = b"", b""
    for tag in sorted(tables):
        table = tables[tag]
        records += struct.pack(">4sIII", tag, 0, offset + len(data), len(table))
        data += table + b"\0" * (-len(table) % 4)
    return header + records + data
