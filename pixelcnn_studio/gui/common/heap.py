"""Keep Python's full garbage collections short while the window animates.

A full (oldest-generation) collection walks every container object Python tracks. With PyTorch,
Qt and a model loaded that is about 235,000 objects, and one walk held the GUI thread for 60-75 ms
on the development CPU: a visible hitch in a live run, twice the 33 ms a frame may take. Nearly all
of those objects live as long as the window does, so once a model has loaded they are moved out of
the collector's sight (`gc.freeze`); later full collections walk only what was made since.
"""
from __future__ import annotations

import gc


def settle_heap() -> None:
    """Collect what is garbage now (frozen objects included), then freeze the survivors.

    Called when a model has loaded: a moment that already takes longer than one collection, so the
    walk done here is not felt.
    """
    gc.unfreeze()        # what was frozen before may have become garbage since (a replaced model)
    gc.collect()
    gc.freeze()


def freeze_heap() -> None:
    """Freeze what lives now without collecting first (no walk, no pause): when a live run starts,
    so that what the tab built since the last load is not walked again for the length of the run."""
    gc.freeze()
