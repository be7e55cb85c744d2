"""What the Studio is doing, as plain values and free of Qt: the loaded checkpoint, the run plan's
parts, speed, the tab and view shown, presentation mode.

Widgets show this state and ask it to change (`update`); they never are the state. Whoever
needs to know about a change subscribes; the Qt side (binding.py) turns changes into one signal.
A run's plan is built from here, never read back out of spin boxes and combo boxes.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Callable

import numpy as np

from ...core.box import DEFAULT_BOX, clamp_box, is_box_model
from ...core.plan import MAX_IMAGES, RunPlan, characters_are_classes, plan_run, plan_text, whole_rows

TABS = ("sampling", "fields", "interpolation", "draw", "surprise", "train")
VIEWS = ("grid", "stage")
MAX_SEED = 2**31 - 2


@dataclass
class Settings:
    """The parts of the state a user sets directly, checked and clamped on every change."""
    batch: int = 16
    class_index: int = 0
    per_class: bool = False
    text: str = ""                      # a word to write, for models whose classes are characters
    seed: int = 0
    temperature: float = 1.0
    greedy: bool = False
    method: str = "cached"
    speed: float | None = None          # sub-pixels per second; None: as fast as the machine goes
    tab: str = "sampling"
    view: str = "grid"
    presentation: bool = False
    large_text: bool = False
    theme: str = "dark"
    # Where a box model draws: canvas fractions x0, y0, x1, y1 (core/box.py); other models ignore it.
    box: tuple = DEFAULT_BOX


def _clamped(name: str, value, num_classes: int):
    if name == "batch":
        return int(min(MAX_IMAGES, max(1, int(value))))
    if name == "class_index":
        return int(min(max(0, num_classes - 1), max(0, int(value))))
    if name == "seed":
        return int(value) % (MAX_SEED + 1)
    if name == "temperature":
        return float(min(3.0, max(0.05, float(value))))
    if name == "speed":
        return None if value is None else float(max(0.01, float(value)))
    if name == "tab" and value not in TABS:
        raise ValueError(f"unknown tab {value!r}; the tabs are {', '.join(TABS)}")
    if name == "view" and value not in VIEWS:
        raise ValueError(f"unknown view {value!r}; the views are {', '.join(VIEWS)}")
    if name == "method" and value not in ("cached", "naive"):
        raise ValueError(f"unknown method {value!r}")
    if name == "text":
        return str(value)[:4 * MAX_IMAGES]
    if name == "box":
        return clamp_box(value)
    if name in ("per_class", "greedy", "presentation", "large_text"):
        return bool(value)
    return value


@dataclass
class AppState:
    settings: Settings = field(default_factory=Settings)
    checkpoint: object | None = None     # core LoadedCheckpoint
    embedding: np.ndarray | None = None  # the vector an embedding-conditioned model samples from
    embedding_label: str = ""

    def __post_init__(self):
        self._listeners: list[Callable[[set], None]] = []

    # -- observing --------------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[set], None]) -> Callable[[], None]:
        """`listener(names)` after every change; returns a function that unsubscribes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _announce(self, names: set) -> None:
        if names:
            for listener in list(self._listeners):
                listener(names)

    # -- changing ---------------------------------------------------------------------------------
    def update(self, **changes) -> set:
        """Set settings by name (clamped to what is allowed); announces and returns what changed."""
        known = {f.name for f in fields(Settings)}
        unknown = set(changes) - known
        if unknown:
            raise AttributeError(f"no such setting: {', '.join(sorted(unknown))}")
        changed = set()
        for name, value in changes.items():
            value = _clamped(name, value, self.num_classes)
            if getattr(self.settings, name) != value:
                setattr(self.settings, name, value)
                changed.add(name)
        self._announce(changed)
        return changed

    def set_checkpoint(self, loaded) -> None:
        """A new model: the class choice and the embedding start again."""
        self.checkpoint, self.embedding, self.embedding_label = loaded, None, ""
        self.settings.class_index, self.settings.per_class = 0, False
        self._announce({"checkpoint", "class_index", "per_class", "embedding"})

    def set_embedding(self, vector, label: str = "") -> None:
        self.embedding = None if vector is None else np.asarray(vector, dtype=np.float32)
        self.embedding_label = label
        self._announce({"embedding"})

    def __getattr__(self, name):
        # state.seed reads state.settings.seed: the settings are the state's vocabulary.
        if name.startswith("_") or name == "settings":
            raise AttributeError(name)
        try:
            return getattr(self.settings, name)
        except AttributeError:
            raise AttributeError(f"AppState has no {name!r}") from None

    # -- reading ----------------------------------------------------------------------------------
    @property
    def config(self):
        return None if self.checkpoint is None else self.checkpoint.config

    @property
    def num_classes(self) -> int:
        return int(self.config.num_classes) if self.config is not None else 0

    @property
    def class_names(self) -> list[str]:
        if not self.num_classes:
            return []
        names = getattr(self.checkpoint, "class_names", None)
        return list(names) if names else [f"class {i}" for i in range(self.num_classes)]

    @property
    def class_name(self) -> str | None:
        names = self.class_names
        return names[min(self.settings.class_index, len(names) - 1)] if names else None

    @property
    def writes_text(self) -> bool:
        """Whether the model's classes are characters, so that a typed word can be written."""
        return characters_are_classes(getattr(self.checkpoint, "class_names", None))

    def text_error(self) -> str | None:
        """Why the typed text cannot be written (one line), or None when it can or none is typed."""
        if not (self.writes_text and self.settings.text.strip()):
            return None
        try:
            plan_text(self.settings.text, self.class_names)
        except ValueError as exc:
            return str(exc)
        return None

    def plan(self) -> RunPlan | None:
        """The RunPlan of the next run, or None without a model. A typed word that the model can
        write is the plan (one image per character); otherwise the class settings are."""
        cfg, s = self.config, self.settings
        if cfg is None:
            return None
        per_class = s.per_class and self.num_classes > 0
        n = whole_rows(s.batch, self.num_classes) if per_class else s.batch
        embedding = box = None
        if self.box_model:
            box = clamp_box(s.box, cfg.height, cfg.width)
        elif cfg.embedding_dim:
            vector = self.embedding
            if vector is None or vector.size != cfg.embedding_dim:
                vector = np.zeros(cfg.embedding_dim, dtype=np.float32)
            embedding = vector
        if s.text.strip() and self.writes_text and self.text_error() is None:
            return plan_text(s.text, self.class_names, embedding=embedding, seed=s.seed,
                             temperature=s.temperature, greedy=s.greedy, method=s.method)
        return plan_run(n, num_classes=self.num_classes, class_names=self.class_names,
                        class_id=None if per_class else s.class_index, per_class=per_class,
                        embedding=embedding, box=box, seed=s.seed, temperature=s.temperature, greedy=s.greedy,
                        method=s.method)

    @property
    def box_model(self) -> bool:
        """Whether the model in use draws into a box (location-dependent conditioning)."""
        return self.checkpoint is not None and is_box_model(self.config, getattr(self.checkpoint, "embedder", None))

    def class_for_key(self, digit: int) -> int | None:
        """The class a digit key picks: the class named by that digit where the names are digits
        (MNIST: 7 is "7"), else by position (1 is the first class, 0 the tenth)."""
        names = self.class_names
        if not names:
            return None
        if self.digit_names:
            return names.index(str(digit)) if str(digit) in names else None
        index = (digit - 1) % 10
        return index if index < len(names) else None

    @property
    def digit_names(self) -> bool:
        """Whether the digit keys pick classes by name (some class is called "0" … "9")."""
        return any(name.strip() in tuple("0123456789") for name in self.class_names)

    def key_for_class(self, index: int) -> str | None:
        """The digit key that picks class `index`, or None."""
        for digit in range(10):
            if self.class_for_key(digit) == index:
                return str(digit)
        return None

    def describe(self) -> str:
        """What the next run draws, in a few words, e.g. "fashion-mnist · Sneaker"."""
        if self.checkpoint is None:
            return ""
        from pathlib import Path
        meta = getattr(self.checkpoint, "metadata", None) or {}
        name = (meta.get("dataset") or {}).get("name") or Path(self.checkpoint.path).stem
        # Names from the file, shown escaped and short: this is a one-line heading.
        from ...core.safe_text import shown
        parts = [shown(name, 40)]
        if self.writes_text and self.settings.text.strip() and self.text_error() is None:
            parts.append(f"“{shown(self.settings.text, 40)}”")
        elif self.num_classes:
            parts.append("one row per class" if self.settings.per_class else shown(self.class_name, 40))
        if self.box_model:
            parts.append("box " + ",".join(f"{v:.2f}" for v in self.settings.box))
        elif self.config.embedding_dim:
            embedder = (getattr(self.checkpoint, "embedder", None) or {}).get("name")
            average = "average code" if embedder == "autoencoder" else "average embedding"
            parts.append(shown(self.embedding_label, 40) if self.embedding_label else average)
        return "  ·  ".join(parts)

    def snapshot(self) -> dict:
        """The settings as plain values (for scenes and saved settings)."""
        return asdict(self.settings)
