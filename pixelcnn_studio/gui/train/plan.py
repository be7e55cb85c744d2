"""What the Train tab asks for, as plain values, and the `pixelcnn-studio train` command that does it.

The app never imports train/: a run is the command in a child process. The recipes offered are
listed here by name (RECIPES) rather than read from train/; a test keeps them among the presets.
"""
from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# The recipes offered, first the default; each is a `--preset` of the train command.
RECIPES = (
    ("cpu-quick", "CPU recipe: Fashion-MNIST-sized, tuned for minutes on a laptop"),
    ("tiny", "Tiny: seconds, a smoke run"),
    ("fashion-mnist", "The bundled Fashion-MNIST model's recipe (a GPU recipe)"),
    ("mnist", "The bundled MNIST model's recipe (a GPU recipe)"),
    ("emoji-groups", "The emoji-groups recipe (32x32 colour)"),
    ("letters", "The letters recipe: 62 characters, 28x28 grey, one CPU thread"),
)
# Model sizes: None keeps the recipe's own; else (hidden units, layers).
SIZES = (
    ("As the recipe", None),
    ("Small: 32 units, 6 layers", (32, 6)),
    ("Medium: 64 units, 8 layers", (64, 8)),
    ("Large: 96 units, 12 layers", (96, 12)),
)
# Datasets the tab offers when this machine has them (folders come from the user).
DATASETS = ("fashion-mnist", "mnist", "letters", "emoji-groups", "fashion-where")
SAMPLE_EVERY_S = 20.0
# A held-out point a minute on the live curve, on a part of the held-out split small enough to cost a
# few seconds even on a busy CPU; the recipe's final score of the best weights still uses all of it.
EVAL_EVERY_S = 60.0
EVAL_IMAGES = 500
FOLDER_PICTURE_SIZE = 32


@dataclass
class TrainPlan:
    data: str                        # a dataset name or folder:PATH
    out: Path
    recipe: str = "cpu-quick"
    size: tuple[int, int] | None = None
    minutes: float = 10.0
    threads: int = 1
    init_from: str | None = None     # fine-tune this checkpoint
    sample_every: float = SAMPLE_EVERY_S
    device: str = "auto"

    def arguments(self) -> list[str]:
        """The train command's arguments (after the program)."""
        args = ["train", "--data", self.data, "--out", str(self.out), "--preset", self.recipe,
                "--max-minutes", f"{self.minutes:g}", "--threads", str(self.threads), "--device", self.device,
                "--progress-json", "--sample-every", f"{self.sample_every:g}",
                "--eval-every-seconds", f"{EVAL_EVERY_S:g}", "--eval-limit", str(EVAL_IMAGES),
                # A budget the user chose is a budget to use: the learning rate decays over it.
                "--time-schedule", "--epochs", "100000", "--steps", "100000000"]
        if self.size is not None and not self.init_from:
            args += ["--hidden", str(self.size[0]), "--layers", str(self.size[1])]
        if self.init_from:
            args += ["--init-from", self.init_from]
        elif self.data.startswith("folder:"):
            args += ["--image-size", str(FOLDER_PICTURE_SIZE)]
        return args


def resume_arguments(folder: Path, threads: int, minutes: float | None = None) -> list[str]:
    args = ["train", "--out", str(folder), "--resume", "--threads", str(threads), "--progress-json"]
    if minutes is not None:
        args += ["--max-minutes", f"{minutes:g}"]
    return args


def program() -> tuple[str, list[str]]:
    """The interpreter running the app, and the arguments that make it the command line tool."""
    return sys.executable, ["-m", "pixelcnn_studio"]


def run_folder(root: Path, data: str, now: float | None = None) -> Path:
    """A new folder for a run: the dataset's name and the time, never one that exists."""
    name = data.partition(":")[2] if ":" in data else data
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(name.rstrip("/\\")).name or name).strip("-")[:40] or "run"
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    folder = root / f"{name}-{stamp}"
    n = 2
    while folder.exists():
        folder = root / f"{name}-{stamp}-{n}"
        n += 1
    return folder


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 60}:{seconds % 60:02d}"
