"""The explorer's memory of exact fields: what has been computed, and what a view still lacks.

No Qt here: the store only keys, keeps and plans. Keys carry a generation number that a new
model bumps, so a result still in flight for the previous model can never be filed as the
new one's.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace

from ...core.receptive import COMBINED, STACKS, VERTICAL
from .worker import ExactJob

# A 64x64 colour field is 12 KB; a few thousand of them is a few tens of MB at most.
CACHE_LIMIT = 4000


def stacks_of(variant: str) -> tuple:
    return STACKS if variant == "gated" else (COMBINED,)


class FieldStore:
    def __init__(self):
        self.generation = 0
        self.config = None
        self.configs: dict = {}
        self._fields: OrderedDict = OrderedDict()

    def reset(self, config) -> None:
        """A new model: forget everything; the same depth and kernel in both variants."""
        self.generation += 1
        self.config = config
        self.configs = {v: replace(config, variant=v) for v in ("gated", "original")}
        self._fields.clear()

    def key(self, variant, target, channel, layer, stack) -> tuple:
        return (self.generation, variant, tuple(target), channel, layer or 0, stack)

    def is_current(self, key, target, channel) -> bool:
        return key[0] == self.generation and key[2:4] == (tuple(target), channel)

    def add(self, key, field) -> None:
        self._fields[key] = field
        while len(self._fields) > CACHE_LIMIT:
            self._fields.popitem(last=False)

    def fields_at(self, variant, target, channel, layer) -> dict | None:
        """Stack -> bool (C, H, W), or None while any stack of that view is missing."""
        found = {s: self._fields.get(self.key(variant, target, channel, layer, s)) for s in stacks_of(variant)}
        return None if any(v is None for v in found.values()) else found

    def job(self, variant, target, channel, layer, stack) -> ExactJob:
        # The vertical stack has no output of its own: "output" shows it at the last layer.
        layers = self.config.layers if (layer is None and stack == VERTICAL) else layer
        return ExactJob(self.key(variant, target, channel, layer, stack), self.configs[variant], tuple(target),
                        channel, layers, stack)

    def missing(self, variant, target, channel, layer) -> list:
        """Jobs not yet done for this target: the view's own layer first, then the other layers
        (for the slider and playback), then the other variant (for the toggle)."""
        if self.config is None:
            return []
        layers = [layer] + [l for l in list(range(1, self.config.layers + 1)) + [None] if l != layer]
        other = "original" if variant == "gated" else "gated"
        jobs = [self.job(v, target, channel, l, s) for v in (variant, other) for l in layers for s in stacks_of(v)]
        return [j for j in jobs if j.key not in self._fields]
