"""The window keeps full garbage collections short: what lives after a model load is frozen."""
from __future__ import annotations

import gc
import weakref

import pytest

pytest.importorskip("pytestqt")

from pixelcnn_studio.gui.common.heap import freeze_heap, settle_heap  # noqa: E402


class _Node:
    """A cycle of two of these is garbage only a collection finds (reference counts never reach 0)."""

    def __init__(self):
        self.other = None


def _cycle():
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_settle_heap_collects_what_was_frozen_and_freezes_the_rest():
    gc.unfreeze()
    try:
        gone = _cycle()                  # garbage, but frozen with the rest below
        gc.freeze()
        gc.collect()
        assert gone() is not None        # a frozen cycle is out of the collector's sight...
        settle_heap()
        assert gone() is None            # ...until settling unfreezes, collects and freezes again
        assert gc.get_freeze_count() > 0
        before = gc.get_freeze_count()
        fresh = [_Node() for _ in range(100)]
        freeze_heap()                    # no collection first: what lives now joins the frozen
        assert gc.get_freeze_count() >= before + len(fresh)
    finally:
        gc.unfreeze()


def test_the_window_freezes_its_heap_once_a_model_has_loaded(open_window, tmp_path):
    from test_gui import write_model
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    window = open_window(write_model(tmp_path / "shapes.pt"))
    assert window.loaded is not None
    # PyTorch, Qt and the model: tens of thousands of long-lived objects no full collection walks now.
    assert gc.get_freeze_count() > 10_000
