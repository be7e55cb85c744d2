"""A reader for the plain pickles datasets ship in (CIFAR's python batches), never `pickle.load`.

Python's unpickler, even with its globals filtered, builds whatever structure the opcodes describe:
a file under 1 KB can hold a list nested a million deep, or lists that share their items so that
turning them into an array takes gigabytes. This reader walks the opcodes itself, understands only
plain values (numbers, text, bytes, lists, tuples, dicts) and NumPy arrays of plain numbers, and
builds every array from bytes whose length its declared shape must match. What it returns is then
checked for the exact, flat shape a batch has (see `archives.py`); nothing here ever calls code
named by the file.
"""
from __future__ import annotations

import re
import struct

import numpy as np

from .base import DatasetError
from .guard import check_array_size

MAX_OPCODES = 2_000_000            # a CIFAR batch has about 40,000; each may make one object
MAX_NESTING = 32                   # open MARKs at once (a batch needs 3)
MAX_STACK = 100_000                # values waiting at once (pickle appends in runs of 1,000)
_NUMPY = ("numpy.core.multiarray", "numpy._core.multiarray", "numpy.core.numeric", "numpy._core.numeric", "numpy")
_GLOBALS = {"_reconstruct", "scalar", "_frombuffer", "ndarray", "dtype"}
_PLAIN_DTYPE = re.compile(r"^[<>=|]?(b1|[iuf][1248]|f16|\?|[bBhHiIlLqQefd])$")


class _Global:
    def __init__(self, module: str, name: str):
        self.module, self.name = module, name


class _ArrayStub:
    """What numpy's `_reconstruct` returns before BUILD fills it in."""


class _Dtype:
    def __init__(self, spec: str):
        if not isinstance(spec, str) or not _PLAIN_DTYPE.match(spec):
            raise ValueError(f"dtype {spec!r:.30} is not a plain number type")
        self.dtype = np.dtype(spec)


class _Mark:
    pass


def _array(raw, shape, dtype, fortran: bool) -> np.ndarray:
    if isinstance(raw, str):          # Python 2 byte strings come back as latin-1 text
        raw = raw.encode("latin1")
    if not isinstance(raw, (bytes, bytearray)) or not isinstance(dtype, _Dtype):
        raise ValueError("an array's data must be bytes of a plain number type")
    if not isinstance(shape, tuple) or not all(type(s) is int for s in shape) or len(shape) > 8:
        raise ValueError("an array's shape must be a few integers")
    need = check_array_size(shape, dtype.dtype.itemsize, "an array in the file")
    if need != len(raw):
        raise ValueError(f"an array declares {need:,} bytes but holds {len(raw):,}")
    return np.frombuffer(bytes(raw), dtype=dtype.dtype).reshape(shape, order="F" if fortran else "C")


def _reduce(func, args):
    if not isinstance(func, _Global) or not isinstance(args, tuple):
        raise ValueError("only NumPy's array and dtype constructors may be called")
    name = func.name
    if name == "_reconstruct" and len(args) == 3 and isinstance(args[0], _Global) and args[0].name == "ndarray":
        return _ArrayStub()
    if name == "dtype" and args:
        return _Dtype(args[0])
    if name == "scalar" and len(args) == 2 and isinstance(args[0], _Dtype):
        return _array(args[1], (), args[0], False).item()
    if name == "_frombuffer" and len(args) == 4:
        return _array(args[0], args[2], args[1], args[3] == "F")
    if func.module == "_codecs" and name == "encode" and len(args) == 2 and isinstance(args[0], str):
        return args[0].encode("latin1")
    raise ValueError(f"refused to call {func.module}.{name} this way")


def _build(target, state):
    if isinstance(target, _Dtype):
        if isinstance(state, tuple) and len(state) >= 2 and state[1] in ("<", ">", "|", "="):
            target.dtype = target.dtype.newbyteorder(state[1]) if state[1] != "|" else target.dtype
        return target
    if isinstance(target, _ArrayStub) and isinstance(state, tuple) and len(state) == 5:
        _, shape, dtype, fortran, raw = state
        return _array(raw, shape, dtype, bool(fortran))
    raise ValueError("only NumPy arrays and dtypes may be built")


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0
        self.stack: list = []
        self.marks: list[int] = []
        self.memo: dict = {}

    def take(self, count: int) -> bytes:
        if count < 0 or self.pos + count > len(self.data):
            raise ValueError("the pickle ends early")
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk

    def line(self) -> str:
        end = self.data.find(b"\n", self.pos, self.pos + 256)
        if end < 0:
            raise ValueError("a text field without its end")
        text = self.data[self.pos:end].decode("latin1")
        self.pos = end + 1
        return text

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "little")

    def pop_mark(self) -> list:
        if not self.marks:
            raise ValueError("no mark to close")
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def top(self, kind):
        if not self.stack or not isinstance(self.stack[-1], kind):
            raise ValueError(f"expected a {kind.__name__} on the stack")
        return self.stack[-1]

    def global_(self, module: str, name: str):
        allowed = (module in _NUMPY and name in _GLOBALS) or (module, name) == ("_codecs", "encode")
        if not allowed:
            raise DatasetError(f"refused to load {module}.{name}: a dataset batch holds only plain values "
                               "and arrays")
        self.stack.append(_Global(module, name))

    def run(self):
        for _ in range(MAX_OPCODES):
            op = self.take(1)
            if op == b".":
                if len(self.stack) != 1:
                    raise ValueError("the pickle does not end with one value")
                return self.stack[0]
            self.step(op)
        raise ValueError("too many instructions")

    def step(self, op: bytes) -> None:  # noqa: C901  (one branch per opcode reads best as a table)
        s, push = self.stack, self.stack.append
        if len(s) > MAX_STACK:
            raise ValueError("too many values at once")
        if op == b"\x80":
            self.take(1)
        elif op == b"\x95":
            self.take(8)
        elif op == b"(":
            if len(self.marks) >= MAX_NESTING:
                raise ValueError("nested too deep")
            self.marks.append(len(s))
        elif op == b"N":
            push(None)
        elif op in (b"\x88", b"\x89"):
            push(op == b"\x88")
        elif op == b"J":
            push(struct.unpack("<i", self.take(4))[0])
        elif op == b"K":
            push(self.uint(1))
        elif op == b"M":
            push(self.uint(2))
        elif op == b"\x8a":
            push(int.from_bytes(self.take(self.uint(1)), "little", signed=True))
        elif op == b"I":
            text = self.line()
            push({"00": False, "01": True}.get(text) if text in ("00", "01") else int(text))
        elif op == b"L":
            push(int(self.line().rstrip("L")[:40]))
        elif op == b"G":
            push(struct.unpack(">d", self.take(8))[0])
        elif op in (b"T", b"U"):
            push(self.take(self.uint(4 if op == b"T" else 1)).decode("latin1"))
        elif op in (b"X", b"\x8c", b"\x8d"):
            push(self.take(self.uint({b"X": 4, b"\x8c": 1, b"\x8d": 8}[op])).decode("utf-8"))
        elif op in (b"B", b"C", b"\x8e", b"\x96"):
            push(self.take(self.uint({b"B": 4, b"C": 1, b"\x8e": 8, b"\x96": 8}[op])))
        elif op == b"}":
            push({})
        elif op == b"]":
            push([])
        elif op == b")":
            push(())
        elif op in (b"\x85", b"\x86", b"\x87"):
            count = {b"\x85": 1, b"\x86": 2, b"\x87": 3}[op]
            if len(s) < count:
                raise ValueError("a tuple without its items")
            items = tuple(s[len(s) - count:])
            del s[len(s) - count:]
            push(items)
        elif op == b"t":
            push(tuple(self.pop_mark()))
        elif op == b"l":
            push(self.pop_mark())
        elif op == b"d":
            items = self.pop_mark()
            push(dict(zip(items[::2], items[1::2])))
        elif op == b"a":
            item = s.pop()
            self.top(list).append(item)
        elif op == b"e":
            items = self.pop_mark()
            self.top(list).extend(items)
        elif op in (b"s", b"u"):
            items = [s.pop(), s.pop()][::-1] if op == b"s" else self.pop_mark()
            target = self.top(dict)
            for key, value in zip(items[::2], items[1::2]):
                if not isinstance(key, (str, bytes, int)):
                    raise ValueError("dict keys must be text, bytes or numbers")
                target[key] = value
        elif op in (b"q", b"r", b"\x94", b"p"):
            key = {b"q": lambda: self.uint(1), b"r": lambda: self.uint(4), b"\x94": lambda: len(self.memo),
                   b"p": lambda: int(self.line())}[op]()
            if not s:
                raise ValueError("nothing to remember")
            self.memo[key] = s[-1]
        elif op in (b"h", b"j", b"g"):
            key = self.uint(1) if op == b"h" else self.uint(4) if op == b"j" else int(self.line())
            if key not in self.memo:
                raise ValueError("a reference to nothing")
            push(self.memo[key])
        elif op == b"c":
            self.global_(self.line(), self.line())
        elif op == b"\x93":
            name, module = s.pop(), s.pop()
            if not isinstance(module, str) or not isinstance(name, str):
                raise ValueError("a global named by something other than text")
            self.global_(module, name)
        elif op == b"R":
            args, func = s.pop(), s.pop()
            push(_reduce(func, args))
        elif op == b"b":
            state = s.pop()
            push(_build(s.pop(), state))
        elif op in (b"0", b"2"):
            s.pop() if op == b"0" else push(s[-1])
        else:
            raise ValueError(f"instruction {op!r} is not part of a plain data file")


def read_plain(data: bytes, where: str):
    """The value a plain-data pickle holds; one DatasetError for anything else."""
    try:
        return _Reader(data).run()
    except DatasetError as exc:
        raise DatasetError(f"{where}: {exc}") from None
    except (ValueError, IndexError, struct.error, UnicodeDecodeError, OverflowError, TypeError) as exc:
        raise DatasetError(f"{where} is not a valid dataset batch: {exc}") from None
