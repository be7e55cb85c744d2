"""Names of a package loaded on first use (PEP 562), so importing the package stays cheap.

The command line's help and error paths import the package but must not pay for torch: a package
lists its public names and where each is defined, and each is imported when first read.
"""
from __future__ import annotations

from importlib import import_module


def lazy_names(package: str, exports: dict[str, str], namespace: dict):
    """The module-level `__getattr__` and `__dir__` for `package`, whose public names are the keys
    of `exports` (values: the module, relative to the package, that defines each)."""

    def __getattr__(name):
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module, package), name)
        namespace[name] = value          # later look-ups skip this function
        return value

    def __dir__():
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
