"""What one sampling run will draw: the RunPlan, shared by the app and the `sample` command.

A plan is plain values (numpy arrays, ints, floats), so the app's state can hold it, a test can
compare two of them, and the command line builds the same image list as the window. The one rule
for "one row per class" lives here and nowhere else.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

# The most images one run draws: 64 tiles still read on a projector, and memory stays small.
MAX_IMAGES = 64
METHODS = ("cached", "naive")


def rows_per_class(n: int, num_classes: int) -> tuple[np.ndarray, int]:
    """The rule for "one row per class": `n // num_classes` images of each class (at least one),
    class after class, one row each, wrapping round the classes when `n` asks for more rows.
    Returns (class id of every image, images per row)."""
    if num_classes < 1 or n < 1:
        raise ValueError("one row per class needs at least one image and one class")
    per_row = max(1, n // num_classes)
    return np.arange(n) // per_row % num_classes, per_row


def whole_rows(batch: int, num_classes: int, max_images: int = MAX_IMAGES) -> int:
    """How many images the window draws for "one row per class" when about `batch` are asked for:
    whole rows, each class at most once, never more than `max_images`."""
    per_row = max(1, batch // max(1, num_classes))
    return min(num_classes, max(1, max_images // per_row)) * per_row


@dataclass(frozen=True)
class RunPlan:
    """Everything that decides a run's images. Two plans that compare equal draw the same pixels."""
    n: int = 16
    class_ids: tuple | None = None          # one class id per image, or None (unconditional)
    embedding: np.ndarray | None = field(default=None, compare=False)   # (n, D) float32, or None
    seed: int = 0
    temperature: float = 1.0
    greedy: bool = False
    method: str = "cached"
    prefix: np.ndarray | None = field(default=None, compare=False)      # (n, C, H, W) uint8, or None
    prefix_pixels: int = 0
    box: tuple | None = None                # (x0, y0, x1, y1) canvas fractions for a box model: every image's
                                            # embedding (see core/box.py); None for other models
    columns: int | None = None              # grid columns; None: as square as possible
    row_labels: tuple | None = None         # one label per grid row (one row per class)
    # A typed text: for each of its characters the index of its image, or None for a space (a blank cell).
    cells: tuple | None = None

    def __post_init__(self):
        if not isinstance(self.n, int) or self.n < 1:
            raise ValueError(f"a run draws at least one image, not {self.n!r}")
        if self.class_ids is not None and len(self.class_ids) != self.n:
            raise ValueError(f"{len(self.class_ids)} class ids for {self.n} images")
        if self.embedding is not None and np.shape(self.embedding)[0] != self.n:
            raise ValueError(f"{np.shape(self.embedding)[0]} embeddings for {self.n} images")
        if not self.greedy and not self.temperature > 0:
            raise ValueError(f"temperature must be above 0, not {self.temperature}")
        if self.box is not None and (len(self.box) != 4 or self.embedding is not None):
            raise ValueError("a plan's box is four fractions, and takes the place of an embedding")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if self.cells is not None and sorted(c for c in self.cells if c is not None) != list(range(self.n)):
            raise ValueError("a text's cells must name every image once, in order")

    @property
    def grid_columns(self) -> int:
        """Columns of an exported grid, which has no row labels: a single column of one image per
        class would be a thin strip, so that is drawn as a square instead."""
        return self.columns if self.columns and self.columns > 1 else int(math.ceil(math.sqrt(self.n)))

    def laid_out(self, images):
        """The images in the text's cells, a blank (level 0, the letters' black ground) for each space:
        (len(cells), C, H, W). Without cells, the images as they are."""
        if self.cells is None:
            return images
        import torch
        images = torch.as_tensor(images)
        blank = torch.zeros_like(images[:1])
        return torch.cat([blank if c is None else images[c:c + 1] for c in self.cells])

    def with_seed(self, seed: int) -> "RunPlan":
        return replace(self, seed=int(seed))

    def sampler_arguments(self) -> dict:
        """Keyword arguments for core.sampling.SampleStream (after the model and n)."""
        import torch
        args = dict(seed=self.seed, temperature=self.temperature, greedy=self.greedy, method=self.method)
        if self.class_ids is not None:
            args["class_ids"] = torch.as_tensor(np.asarray(self.class_ids, dtype=np.int64))
        if self.embedding is not None:
            args["embedding"] = torch.as_tensor(np.asarray(self.embedding, dtype=np.float32))
        if self.box is not None:      # a box model's embedding is the box, the same for every image
            args["embedding"] = torch.tensor([self.box] * self.n, dtype=torch.float32)
        if self.prefix is not None and self.prefix_pixels:
            args["prefix"] = torch.as_tensor(self.prefix)
            args["prefix_pixels"] = int(self.prefix_pixels)
        return args


def plan_run(n: int, *, num_classes: int = 0, class_names=None, class_id: int | None = None,
             per_class: bool = False, embedding=None, **options) -> RunPlan:
    """A plan of `n` images: all of `class_id`, one row per class (`per_class`), or unconditional.
    `embedding` is one vector (shared by every image) or one per image; a box model takes `box`
    (checked fractions, core/box.py) instead. `options` are RunPlan fields."""
    class_ids, columns, labels = None, None, None
    if num_classes:
        if per_class or class_id is None:
            ids, columns = rows_per_class(n, num_classes)
            names = list(class_names or [str(i) for i in range(num_classes)])
            labels = tuple(names[int(c)] for c in ids[::columns])
            class_ids = tuple(int(c) for c in ids)
        else:
            if not 0 <= int(class_id) < num_classes:
                raise ValueError(f"class {class_id} is outside 0..{num_classes - 1}")
            class_ids = (int(class_id),) * n
    if embedding is not None:
        embedding = np.asarray(embedding, dtype=np.float32)
        if embedding.ndim == 1:
            embedding = np.broadcast_to(embedding, (n, embedding.shape[0])).copy()
    return RunPlan(n=n, class_ids=class_ids, embedding=embedding, columns=columns, row_labels=labels, **options)


def characters_are_classes(class_names) -> bool:
    """Whether a model's classes are single characters ("A", "b", "7"), so that a text can be typed."""
    return bool(class_names) and all(isinstance(n, str) and len(n) == 1 and not n.isspace() for n in class_names)


def plan_text(text: str, class_names, *, embedding=None, **options) -> RunPlan:
    """A plan that writes `text`: one image per character, in order, each of the class that *is* that
    character (case counts); spaces are blank cells. ValueError names the first character the model
    cannot draw. `embedding` (one vector, or one per drawn character) and `options` as in plan_run."""
    if not characters_are_classes(class_names):
        raise ValueError("this model's classes are not single characters, so it cannot write a text; "
                         "use a letters model")
    index = {name: i for i, name in enumerate(class_names)}
    cells, class_ids = [], []
    for char in text:
        if char == " ":
            cells.append(None)
            continue
        if char not in index:
            shown_char = char if char.isprintable() else f"U+{ord(char):04X}"
            raise ValueError(f"unknown character '{shown_char}': this model draws only "
                             f"{''.join(class_names)} (and spaces)")
        cells.append(len(class_ids))
        class_ids.append(index[char])
    if not class_ids:
        raise ValueError("the text has no character to draw")
    if len(class_ids) > MAX_IMAGES:
        raise ValueError(f"the text has {len(class_ids)} characters; at most {MAX_IMAGES} are drawn at once")
    n = len(class_ids)
    if embedding is not None:
        embedding = np.asarray(embedding, dtype=np.float32)
        if embedding.ndim == 1 or embedding.shape[0] == 1:   # one style for every character
            embedding = np.broadcast_to(embedding.reshape(1, -1), (n, embedding.shape[-1])).copy()
    return RunPlan(n=n, class_ids=tuple(class_ids), embedding=embedding, columns=len(cells),
                   cells=tuple(cells), **options)
