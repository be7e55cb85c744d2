"""The tally of crafted inputs: every kind of bad checkpoint the tests build, run through `info` and
`sample` under a 3 GiB address-space cap, and every file that must keep loading; then bad training
data through `train`, names and pictures through the commands that print them, and bad saved
settings and scenes through the settings schema.

    python scripts/crafted_tally.py            # a Markdown table, then the totals

A kind is "handled" when both commands exit 0 (a usable file, shown safely) or 2 with exactly one
stderr line and no traceback, each within a few seconds. The table in docs/crafted-inputs.md
comes from it.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from crafted import argument_cases, build_all  # noqa: E402
from crafted_data import build_data_cases, data_arguments  # noqa: E402
from crafted_names import models_folder, name_cases, raw_controls  # noqa: E402
from test_checkpoint import retag_storages  # noqa: E402
from test_crafted_inputs import problems_of, run_capped  # noqa: E402


def main() -> int:
    from pixelcnn_studio.paths import bundled_model, bundled_model_names
    folder = Path(tempfile.mkdtemp(prefix="crafted-"))
    (folder / "arguments").mkdir()
    cases = build_all(folder)
    loads = {f"bundled {name}": (bundled_model(name), 0) for name in bundled_model_names()}
    cuda = folder / "cuda-saved.pt"
    cuda.write_bytes(bundled_model("fashion-mnist").read_bytes())
    retag_storages(cuda, b"cuda:0")             # as if its tensors had been saved on a GPU
    loads["bundled fashion-mnist saved on CUDA"] = (cuda, 0)
    everything = {**cases, **loads}
    # A real face, so that the bundled portrait model (a face network) samples too; the style model
    # copies the style of whatever picture it is given, so the same photo serves it.
    portrait = ROOT / "resources" / "portraits" / "grace_hopper.jpg"
    commands = []
    for kind, (path, _) in everything.items():
        needs_picture = any(word in kind for word in ("auto", "portraits", "style"))
        commands.append([f"info|{kind}", ["info", str(path)]])
        commands.append([f"sample|{kind}", ["sample", str(path), "--n", "1", "--out", str(folder / "out.npy")]
                         + (["--portrait", str(portrait)] if needs_picture else [])])
    results = {r["label"]: r for r in run_capped(commands)}

    print("| input | expected | info | sample | slowest (s) | reason given |")
    print("|---|---|---|---|---|---|")
    handled = left = 0
    for kind, (_, status) in everything.items():
        info, sample = results[f"info|{kind}"], results[f"sample|{kind}"]
        found = problems_of(info, status) + problems_of(sample, status)
        handled += not found
        left += bool(found)
        reason = _reason(info["stderr"]) if status else "loads"
        print(f"| {kind} | {status} | {info['status'] if not info['crash'] else 'crash'} | "
              f"{sample['status'] if not sample['crash'] else 'crash'} | "
              f"{max(info['seconds'], sample['seconds']):.2f} | {reason}{' **' + '; '.join(found) + '**' if found else ''} |")
    arguments = argument_cases(cases["valid class model"][0], cases["valid auto-encoder"][0], folder / "arguments")
    print("\n| command line | exit | reason given |\n|---|---|---|")
    for result in run_capped([[kind, argv] for kind, (argv, _) in arguments.items()]):
        found = problems_of(result, 2) + ([] if arguments[result["label"]][1] in result["stderr"] else ["wrong reason"])
        handled += not found
        left += bool(found)
        print(f"| {result['label']} | {result['status'] if not result['crash'] else 'crash'} | "
              f"{_reason(result['stderr'])}{' **' + '; '.join(found) + '**' if found else ''} |")
    counts = {"crafted files": len(cases), "command lines": len(arguments), "files that must load": len(loads)}
    for section in (data_section, names_section, settings_section):
        name, count, ok = section(folder, cases)
        counts[name] = count
        handled, left = handled + ok, left + count - ok
    total = sum(counts.values())
    parts = ", ".join(f"{n} {name}" for name, n in counts.items())
    print(f"\n{total} inputs ({parts}): {handled} handled, {left} left (tracebacks, hangs, blow-ups or wrong exits)")
    return 0 if not left else 1


def data_section(folder: Path, cases) -> tuple[str, int, int]:
    """Bad training data through `train`: exit 2 and one line before any training (0 for the valid ones)."""
    data = build_data_cases(folder / "data")
    commands = [[kind, data_arguments(spec, folder / "runs" / str(i))] for i, (kind, (spec, _, _)) in
                enumerate(data.items())]
    results = run_capped(commands, PIXELCNN_STUDIO_DATA=str(folder / "data" / "root"))
    print("\n| training data | expected | train | seconds | reason given |\n|---|---|---|---|---|")
    ok = 0
    for result in results:
        _, status, words = data[result["label"]]
        found = problems_of(result, status) + ([] if words in result["stderr"] else ["wrong reason"])
        ok += not found
        reason = _reason(result["stderr"]) if status else "trains"
        print(f"| {result['label']} | {status} | {result['status'] if not result['crash'] else 'crash'} | "
              f"{result['seconds']:.2f} | {reason}{' **' + '; '.join(found) + '**' if found else ''} |")
    return "training data sets", len(data), ok


def names_section(folder: Path, cases) -> tuple[str, int, int]:
    """Names with terminal escapes and pictures past the size limit, through the commands that print them."""
    model = cases["class names with newline and escape"][0]
    named = name_cases(model, folder / "names")
    results = run_capped([[kind, argv] for kind, (argv, _, _) in named.items()])
    named["models (escapes in names, a dangling link)"] = (["models"], 0, "a link to nothing")
    results += run_capped([["models (escapes in names, a dangling link)", ["models"]]],
                          PIXELCNN_STUDIO_MODELS=str(models_folder(folder / "names" / "models", model)))
    print("\n| name or picture | expected | exit | raw control characters | result |\n|---|---|---|---|---|")
    ok = 0
    for result in results:
        _, status, words = named[result["label"]]
        output = result["stdout"] + result["stderr"]
        found = problems_of(result, status) + ([] if words in output else ["wrong output"])
        found += [f"raw {', '.join(raw_controls(output))}"] if raw_controls(output) else []
        found += ["extra stderr"] if status == 0 and result["stderr"] else []
        ok += not found
        shown = _reason(result["stderr"]) if status else "escaped"
        print(f"| {result['label']} | {status} | {result['status']} | {len(raw_controls(output))} | "
              f"{shown}{' **' + '; '.join(found) + '**' if found else ''} |")
    return "names and pictures", len(named), ok


SETTINGS_CASES = {
    "run/speed = fast": ("run/speed", "fast"), "run/temperature = 1,2 (a list)": ("run/temperature", ["1", "2"]),
    "run/batch = @Rect(0 0 10 10)": ("run/batch", "RECT"), "run/temperature = inf": ("run/temperature", "inf"),
    "run/temperature = nan": ("run/temperature", "nan"), "run/batch = 1e400": ("run/batch", "1e400"),
    "run/batch = 2.5": ("run/batch", 2.5), "view/theme = purple": ("view/theme", "purple"),
    "window/geometry = text": ("window/geometry", "hello"), "models/recent = @Rect": ("models/recent", "RECT"),
    "models/recent: 5,000 entries": ("models/recent", [f"/m/{i}.pt" for i in range(5000)]),
    "scene: not JSON": ("scenes/1", "{not json"), "scene: a list": ("scenes/2", "[1, 2]"),
    "scene: Infinity": ("scenes/3", '{"temperature": Infinity}'),
    "scene: text where numbers belong": ("scenes/4", '{"seed": "text", "temperature": "hot"}'),
    "scene: 100 KB of text": ("scenes/5", "x" * 100_000), "scene: 9 MB": ("scenes/6", "[" * 9_000_000),
    "settings/version = 99": ("settings/version", 99),
}


def settings_section(folder: Path, cases) -> tuple[str, int, int]:
    """Bad saved values read through the schema (the app's one reader): the field's default and a
    note, never an exception; a list of thousands cut to the Recent length; a newer version noted."""
    import os
    import time

    from PySide6.QtCore import QRect

    from pixelcnn_studio.gui.common import settings
    from pixelcnn_studio.gui.shell.keys import read_scene
    from pixelcnn_studio.gui.common.settings_schema import FIELDS, MAX_RECENT
    (folder / "settings").mkdir(exist_ok=True)
    print("\n| saved setting | read as | seconds | result |\n|---|---|---|---|")
    ok = 0
    for i, (kind, (key, value)) in enumerate(SETTINGS_CASES.items()):
        os.environ["PIXELCNN_STUDIO_SETTINGS"] = str(folder / "settings" / f"{i}.ini")
        settings.take_notes()
        settings._noted.clear()             # each case its own note (the app notes a key once a session)
        started = time.perf_counter()
        try:
            settings.put(key, QRect(0, 0, 10, 10) if value == "RECT" else value)
            read = settings.get(key)
            if key.startswith("scenes/"):
                read = read_scene(read)      # the window's own check of each field
            settings.check_version()
            noted = bool(settings.take_notes())
            if key == "models/recent" and isinstance(value, list):
                fine = len(read) == MAX_RECENT
            elif key.startswith("scenes/"):
                fine = noted and read is None or read == {}
            else:
                fine = noted and (key == "settings/version" or read == FIELDS[key][1])
            result = "default and a note" if fine else "**kept**"
        except Exception as exc:   # noqa: BLE001 - the finding
            read, fine, result = None, False, f"**{type(exc).__name__}**"
        ok += fine
        print(f"| {kind} | {str(read)[:40].replace('|', '/')} | {time.perf_counter() - started:.3f} | {result} |")
    return "saved settings and scenes", len(SETTINGS_CASES), ok


def _reason(stderr: str) -> str:
    """The reason part of "pixelcnn-studio: error: PATH: reason", for a table cell."""
    text = stderr.strip().removeprefix("pixelcnn-studio: error: ")
    head, _, rest = text.partition(".pt: ")
    return (rest or text)[:100].replace("|", "/")


if __name__ == "__main__":
    raise SystemExit(main())
