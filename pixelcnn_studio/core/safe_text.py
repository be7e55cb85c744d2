"""Text from files shown safely: class names, paths and messages, in a terminal or on screen.

A checkpoint or a file name may hold a newline, an ANSI escape or a bidirectional override; printed
raw, it would break the one-line error, recolour the terminal or reorder what is shown. Such
characters are shown escaped, and very long names are shortened in the middle, where the eye
least needs them.
"""
from __future__ import annotations

import json
import math
import unicodedata

# Characters that reorder the text around them (Unicode bidirectional embeddings and isolates).
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
ELLIPSIS = "…"


def _escaped(char: str) -> str:
    if char in BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
        code = ord(char)
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char) or (
            f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return char


def elide(text: str, limit: int) -> str:
    """`text` shortened to `limit` characters by an ellipsis in the middle."""
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2 + (limit - 1) % 2
    return text[:head] + ELLIPSIS + text[len(text) - (limit - 1 - head):]


def shown(value, limit: int = 80) -> str:
    """A name as it may be shown: control characters escaped, at most `limit` characters."""
    text = str(value)
    if len(text) > 4 * limit:          # escaping a megabyte only to cut it down is wasted work
        text = text[:2 * limit] + text[-2 * limit:]
    return elide("".join(_escaped(c) for c in text), limit)


def one_line(message: str, limit: int = 600) -> str:
    """A message as one line of at most `limit` characters (errors on stderr and in banners)."""
    return shown(message, limit)


def json_ready(value):
    """`value` with every NaN or infinity replaced by None, so that it is valid JSON (null)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value


def json_text(value, indent: int | None = 2) -> str:
    """Strict JSON (never a bare NaN, which JSON readers refuse)."""
    return json.dumps(json_ready(value), indent=indent, allow_nan=False)
