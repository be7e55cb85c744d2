"""The `pixelcnn-studio` command: the app by default, and sub-commands for scripts.

Every error a user can cause ends in one line on stderr and a non-zero exit, never a traceback.
Heavy imports (torch, Qt) happen inside the commands so `--help` stays instant.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings


from . import __version__, ranges
from .errors import UserError  # noqa: F401  (re-exported: scripts catch cli.UserError)

# The argument names under which sub-commands take a checkpoint (`open` calls it a path).
CHECKPOINT_ARGUMENTS = ("checkpoint", "path", "init_from")


# -- sub-commands --------------------------------------------------------------------------

def cmd_info(args) -> int:
    from .commands.info import describe_checkpoint
    info = describe_checkpoint(args.checkpoint)
    if args.json:
        from .core.safe_text import json_text
        print(json_text(info))
    else:
        from .commands.info import format_info
        print(format_info(info))
    return 0


def cmd_sample(args) -> int:
    from .commands.sample import run_sample
    return run_sample(args)


def cmd_bench(args) -> int:
    from .commands.bench import run_bench
    return run_bench(args)


def cmd_models(args) -> int:
    from .commands.models import run_models
    return run_models(args)


def cmd_surprise(args) -> int:
    from .commands.surprise import run_surprise
    return run_surprise(args)


def cmd_train(args) -> int:
    from .train.cli_train import run_train
    return run_train(args)


def cmd_eval(args) -> int:
    from .train.evaluate import run_eval
    return run_eval(args)


def cmd_open(args) -> int:
    # No torch here: the app shows its window first and imports torch behind it.
    from .gui.app import run_app
    return run_app(getattr(args, "path", None), device=args.device, threads=args.threads)


def cmd_install_desktop(args) -> int:
    from .gui.shell.desktop import main as install
    return install()


DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")      # the same as core.devices, without importing torch


def add_device_options(parser, *, threads_help: str) -> None:
    """--device and --threads, for every command that runs a model (and the app)."""
    parser.add_argument("--device", default="auto", metavar="|".join(DEVICE_CHOICES),
                        help="where the model runs (default auto: CUDA, then MPS, then the CPU; "
                             "cuda:N for another GPU)")
    parser.add_argument("--threads", type=int, default=None, metavar="N", help=threads_help)


SAMPLING_THREADS = ("torch CPU threads (default: chosen for the model and batch: one for small steps, "
                    "more for big ones)")


class OneLineParser(argparse.ArgumentParser):
    """argparse, with its errors as the one line every other error is (usage is a --help away)."""

    def error(self, message: str):
        from .core.safe_text import one_line
        self.exit(2, f"pixelcnn-studio: error: {one_line(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="pixelcnn-studio",
        description="Explore Gated PixelCNN image generators. With no command, opens the app.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_device_options(parser, threads_help=SAMPLING_THREADS + " (the app, when no command is given)")
    ranges.annotate(parser, ranges.COMMON)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("info", help="show a checkpoint's config, classes, embedder and metrics")
    p.add_argument("checkpoint", help="a .pt checkpoint or a bundled model's name")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("sample", help="sample images from a checkpoint to PNG, NPY or GIF")
    p.add_argument("checkpoint", help="a .pt checkpoint or a bundled model's name")
    p.add_argument("--n", type=int, default=16, help="number of images (default 16)")
    p.add_argument("--class", dest="class_", metavar="NAME|ID",
                   help="class name or index for every image; 'all' for one row per class")
    p.add_argument("--portrait", metavar="IMAGE",
                   help="condition on this photo's embedding (letters-style: one glyph, whose style is copied)")
    p.add_argument("--text", metavar="TEXT",
                   help="models whose classes are characters (letters): one image per character, in order; "
                        "spaces are blank cells (PNG/GIF), the .npy holds the drawn characters only")
    p.add_argument("--box", metavar="X0,Y0,X1,Y1",
                   help="models with location conditioning: where to draw, as fractions of the canvas, "
                        "top-left then bottom-right (default 0.2,0.2,0.8,0.8)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--greedy", action="store_true", help="take the most likely level every step")
    p.add_argument("--method", choices=["cached", "naive"], default="cached")
    p.add_argument("--scale", type=int, default=4, help="pixel scale of PNG/GIF output (default 4)")
    p.add_argument("--out", required=True, help="FILE.png (grid), FILE.npy (raw) or FILE.gif (animation)")
    add_device_options(p, threads_help=SAMPLING_THREADS)
    ranges.annotate(p, ranges.SAMPLE)
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("surprise", help="how a model sees a picture: bits per sub-pixel, bits/dim, class posterior",
                       description="Score one picture: the bits the model pays for every sub-pixel, their mean "
                                   "(bits/dim) and, for a class-conditional model, p(class | picture) under a "
                                   "uniform prior. Without --class the most probable class is scored.")
    p.add_argument("checkpoint", help="a .pt checkpoint or a bundled model's name")
    p.add_argument("image", help="a picture (any size and depth; prepared as the model's kind asks)")
    p.add_argument("--class", dest="class_", metavar="NAME|ID", help="score under this class")
    p.add_argument("--json", action="store_true",
                   help="print bits_per_dim, class, class_posterior and the bits of every sub-pixel as JSON")
    p.add_argument("--out", metavar="MAP.png", help="write the picture and its heat map side by side")
    add_device_options(p, threads_help="torch CPU threads (default: every free core)")
    ranges.annotate(p, ranges.COMMON)
    p.set_defaults(func=cmd_surprise)

    p = sub.add_parser("bench", help="measure sampler and likelihood throughput (prints a table)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--quick", action="store_true", help="small models only (a smoke run)")
    p.add_argument("--repeats", type=int, default=3, help="runs per figure; the median is reported")
    add_device_options(p, threads_help="torch CPU threads for every row (default: chosen per model, batch and "
                                       "work, as the commands do; every core for --train)")
    p.add_argument("--train", action="store_true",
                   help="time a training step instead: images/s of the current against the previous path")
    p.add_argument("--profile", action="store_true",
                   help="where a training step's time goes, by phase and by kind of operator")
    p.add_argument("--batch", type=int, default=64, help="images per training step for --train (default 64)")
    p.add_argument("--compile", action="store_true",
                   help="with --train, also time the current path under torch.compile (slow to start)")
    p.add_argument("--graphs", action="store_true",
                   help="with --train on --device cuda, also time torch.compile's CUDA-graph mode")
    p.add_argument("--only", action="append", metavar="TEXT",
                   help="with --train, only the shapes whose name holds TEXT (repeatable)")
    p.add_argument("--paper", action="store_true",
                   help="add a model of the paper's width on 32x32 colour (15 layers of 128)")
    p.add_argument("--bundled", action="store_true",
                   help="time the bundled models themselves (weights and conditioning) instead of their shapes")
    p.add_argument("--grid-only", action="store_true",
                   help="sampling rows of the 16-image grid only (no batch-1 rows)")
    ranges.annotate(p, ranges.BENCH)
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("train", help="train a model (CPU, GPU, or many processes under torchrun)",
                       description="Train a Gated PixelCNN. Flags left out come from --preset, then from "
                                   "built-in defaults. Under `torchrun --nproc_per_node=N` it trains "
                                   "data-parallel; --batch-size is per process.")
    p.add_argument("--data", metavar="SPEC", help="fashion-mnist, mnist, emoji, emoji-groups, lfw-faces, folder:PATH, "
                                                  "npz:PATH or cifar10:PATH")
    p.add_argument("--out", metavar="DIR", required=True, help="folder for last.pt, best.pt and metrics.csv")
    from .train.presets import PRESETS
    from .train.settings import LR_DECAYS
    p.add_argument("--preset", metavar="NAME", help=f"a named recipe ({', '.join(PRESETS)})")
    p.add_argument("--resume", nargs="?", const="last", metavar="CHECKPOINT",
                   help="continue exactly where DIR/last.pt (or CHECKPOINT) stopped")
    p.add_argument("--overwrite", action="store_true",
                   help="start a new run in a DIR that holds one, replacing its last.pt, best.pt and metrics.csv "
                        "(without it, such a DIR is refused)")
    p.add_argument("--init-from", metavar="CHECKPOINT",
                   help="fine-tune this model (a .pt file or a bundled name) on the data: its size, architecture "
                        "and classes are kept, the data's classes matched to them by name")
    g = p.add_argument_group("data")
    g.add_argument("--image-size", type=int, help="resize images to this size")
    g.add_argument("--unconditional", action="store_true", default=None, help="ignore class labels")
    g.add_argument("--conditioning", choices=["auto", "class", "none", "embedding", "autoencoder", "box", "style"], default=None,
                   help="what the model is conditioned on (default auto: classes when the data has them; style: "
                        "class + the code of another image of the same group, e.g. a glyph of the same font)")
    g.add_argument("--embedder", default=None, metavar="NAME",
                   help="pretrained embedder for --conditioning embedding (e.g. face-dlib-128)")
    g.add_argument("--code-dim", type=int, default=None, metavar="D",
                   help="size of the auto-encoder's code h for --conditioning autoencoder (default 16)")
    g.add_argument("--flip", action=argparse.BooleanOptionalAction, default=None,
                   help="mirror each training image left-right with probability 1/2 (faces, not text)")
    g.add_argument("--shift", type=int, metavar="PIXELS",
                   help="move each training image by up to PIXELS in x and y (edges repeated)")
    g.add_argument("--limit-train", type=int, metavar="N", help="train on the first N images only")
    g.add_argument("--eval-limit", type=int, metavar="N", help="score the first N held-out images only")
    g = p.add_argument_group("model")
    g.add_argument("--hidden", type=int)
    g.add_argument("--layers", type=int)
    g.add_argument("--kernel-size", type=int)
    g.add_argument("--output-hidden", type=int, help="width of the output 1x1 layers")
    g.add_argument("--variant", choices=["gated", "original"])
    g = p.add_argument_group("optimisation")
    g.add_argument("--epochs", type=int)
    g.add_argument("--steps", type=int, help="stop after this many steps (the schedule spans them)")
    g.add_argument("--batch-size", type=int, help="images per step and process")
    g.add_argument("--lr", type=float, help="peak learning rate (Adam)")
    g.add_argument("--weight-decay", type=float)
    g.add_argument("--dropout", type=float, metavar="RATE",
                   help="dropout on each layer's gated activation while training (default 0: none)")
    g.add_argument("--warmup-steps", type=int)
    g.add_argument("--min-lr-ratio", type=float, help="final learning rate as a fraction of --lr")
    g.add_argument("--lr-decay", choices=LR_DECAYS,
                   help="how the learning rate falls after the warm-up (default cosine)")
    g.add_argument("--adam-beta2", type=float, help="Adam's second-moment decay (default 0.999)")
    g.add_argument("--grad-clip", type=float, help="clip the gradient norm to this (0 = off)")
    g.add_argument("--ema", type=float, help="decay of the exponential moving average of the weights")
    g.add_argument("--eval-every", type=int, metavar="STEPS", help="also evaluate every STEPS steps")
    g.add_argument("--eval-every-seconds", type=float, metavar="SECONDS",
                   help="also evaluate every SECONDS of training (the app's live curve)")
    g.add_argument("--seed", type=int)
    g = p.add_argument_group("run")
    g.add_argument("--max-minutes", type=float, help="stop cleanly (resumable) after this many minutes")
    g.add_argument("--threads", type=int, help="torch CPU threads per process")
    g.add_argument("--device", help="cpu, cuda, cuda:N or auto (default)")
    g.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=None,
                   help="bf16 autocast (CUDA only; the bundled presets turn it on)")
    g.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                   help="torch.compile the model (falls back to eager where it cannot; the first step "
                        "pays the compilation)")
    g.add_argument("--cpu-bf16", action=argparse.BooleanOptionalAction, default=None,
                   help="bf16 autocast on a CPU with native bf16 arithmetic (AVX-512 BF16, AMX)")
    g.add_argument("--time-schedule", action=argparse.BooleanOptionalAction, default=None,
                   help="decay the learning rate over --max-minutes too (whichever ends first)")
    g.add_argument("--final-full-eval", action=argparse.BooleanOptionalAction, default=None,
                   help="score the best weights on the whole held-out split at the end (with --eval-limit)")
    g.add_argument("--progress-json", action="store_true", default=None,
                   help="report as JSON lines on stdout and in DIR/progress.jsonl (for the app); steer the run "
                        "by writing pause, resume or stop into DIR/control")
    g.add_argument("--sample-every", type=float, metavar="SECONDS",
                   help="draw a grid of samples from the EMA weights into DIR/samples every SECONDS of training")
    ranges.annotate(p, ranges.TRAIN)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("eval", help="held-out bits/dim of a checkpoint on a dataset")
    p.add_argument("checkpoint", help="a .pt checkpoint or a bundled model's name")
    p.add_argument("--data", metavar="SPEC", required=True)
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--limit", type=int, metavar="N", help="N images only, every class in its share (the first of each)")
    p.add_argument("--classify", action="store_true",
                   help="also use a class-conditional model as a classifier (argmax over classes of "
                        "log p(x | class)) and report its accuracy; one pass per class")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_device_options(p, threads_help="torch CPU threads (default: every core)")
    ranges.annotate(p, ranges.EVAL)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("models", help="list the bundled models: name, description, size, test bits/dim")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("open", help="open the app with this checkpoint loaded")
    p.add_argument("path", help="a .pt checkpoint or a bundled model's name")
    add_device_options(p, threads_help=SAMPLING_THREADS)
    ranges.annotate(p, ranges.COMMON)
    p.set_defaults(func=cmd_open)

    p = sub.add_parser("install-desktop",
                       help="add PixelCNN Studio to this user's application menu (freedesktop .desktop file)")
    p.set_defaults(func=cmd_install_desktop)
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args.func = cmd_open
    try:
        _check_numbers(args)
        _resolve_bundled_names(args)
        if args.func is cmd_open:
            return int(args.func(args) or 0)
        # Library warnings (NumPy, Pillow, torch) are not the user's business: a command ends in its
        # own output or its one error line. PIXELCNN_STUDIO_WARNINGS=1 shows them for debugging.
        with warnings.catch_warnings(record=not os.environ.get("PIXELCNN_STUDIO_WARNINGS")):
            warnings.simplefilter("default")
            return int(args.func(args) or 0)
    except MemoryError:
        # Sizes are checked against memory first; this is the rare request that slipped past them.
        return _fail("not enough memory for this request; try fewer or smaller images")
    except KeyboardInterrupt:
        print("pixelcnn-studio: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, as other command-line tools do.
        # Pointing stdout at /dev/null keeps the interpreter's final flush from failing again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:
        if not _is_user_error(exc):
            raise
        return _fail(str(exc))


def _check_numbers(args) -> None:
    """Every numeric flag against its documented range before any work; --threads held to the cores."""
    from .errors import UserError
    table = ranges.BY_COMMAND.get(args.command, ranges.COMMON)
    found = ranges.problems(vars(args), table, skip=ranges.SHOWN_ONLY.get(args.command, ()))
    if found:
        raise UserError("; ".join(found))
    threads, note = ranges.capped_threads(getattr(args, "threads", None))
    if note:
        args.threads = threads
        print(f"pixelcnn-studio: {note}", file=sys.stderr)


def _fail(message: str) -> int:
    """One line on stderr (names from files may hold newlines or terminal escapes) and exit status 2."""
    from .core.safe_text import one_line
    print(f"pixelcnn-studio: error: {one_line(message)}", file=sys.stderr)
    return 2


def _resolve_bundled_names(args) -> None:
    """Every command that takes a checkpoint also takes a bundled model's name, from any folder."""
    from .paths import resolve_checkpoint
    for field in CHECKPOINT_ARGUMENTS:
        value = getattr(args, field, None)
        if isinstance(value, str):
            setattr(args, field, resolve_checkpoint(value))


# Exception types that mean "the input was wrong", not "the program is broken", by defining module.
USER_ERROR_TYPES = (
    ("pixelcnn_studio.core.checkpoint", "CheckpointError"),
    ("pixelcnn_studio.core.conditioning", "ConditioningError"),
    ("pixelcnn_studio.embed", "EmbedderUnavailable"),
    ("pixelcnn_studio.embed.images", "ImageInputError"),
    ("pixelcnn_studio.data", "DatasetError"),
)


def _is_user_error(exc: BaseException) -> bool:
    if isinstance(exc, (UserError, FileNotFoundError)):
        return True
    # Only modules already imported can have raised their errors: looking there never imports
    # torch just to print a one-line message about a mistyped name.
    for module_name, type_name in USER_ERROR_TYPES:
        kind = getattr(sys.modules.get(module_name), type_name, None)
        if isinstance(kind, type) and isinstance(exc, kind):
            return True
    return False


if __name__ == "__main__":
    raise SystemExit(main())
