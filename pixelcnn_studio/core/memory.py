"""How much memory this process may still take, so sizes are refused before they are allocated.

The answer is the smallest of what the machine has available, what the process's address-space
limit leaves (`ulimit -v`, also how the tests cap memory) and what its cgroup allows (containers).
"""
from __future__ import annotations

import os
from pathlib import Path

try:
    import resource
except ImportError:        # Windows: no address-space limits to read
    resource = None

# Headroom left for Python, the GUI and the allocator's own slack when judging a size.
USABLE_FRACTION = 0.8


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _address_space_left() -> int | None:
    if resource is None:
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return max(0, soft - int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    return soft


def _cgroup_left() -> int | None:
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit == "max":
            return None
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        return max(0, int(limit) - used)
    except (OSError, ValueError):
        return None


def available_bytes() -> int | None:
    """Bytes this process can still allocate, or None where the platform does not say."""
    known = [v for v in (_meminfo_available(), _address_space_left(), _cgroup_left()) if v is not None]
    return min(known) if known else None


def usable_bytes() -> int | None:
    """The share of `available_bytes` one request may take."""
    free = available_bytes()
    return None if free is None else int(free * USABLE_FRACTION)


def fits(need_bytes: int) -> bool:
    limit = usable_bytes()
    return limit is None or need_bytes <= limit


def format_bytes(count: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if abs(count) < 1000 or unit == "PB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} PB"


def limit_text() -> str:
    """e.g. "about 3.2 GB can be used here"."""
    limit = usable_bytes()
    return "memory here is unknown" if limit is None else f"about {format_bytes(limit)} can be used here"
