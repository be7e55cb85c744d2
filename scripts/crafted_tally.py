"""The tally of crafted inputs: every kind of bad checkpoint the tests build, run through `info` and
`sample` under a 3 GiB address-space cap, and every file that must keep loading.

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
    # A real face, so that the bundled portrait model (a face network) samples too.
    portrait = ROOT / "resources" / "portraits" / "grace_hopper.jpg"
    commands = []
    for kind, (path, _) in everything.items():
        commands.append([f"info|{kind}", ["info", str(path)]])
        commands.append([f"sample|{kind}", ["sample", str(path), "--n", "1", "--out", str(folder / "out.npy")]
                         + (["--portrait", str(portrait)] if "auto" in kind or "portraits" in kind else [])])
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
    total = len(everything) + len(arguments)
    print(f"\n{total} inputs ({len(cases)} crafted files, {len(arguments)} command lines, {len(loads)} files "
          f"that must load): {handled} handled, {left} left (tracebacks, hangs, blow-ups or wrong exits)")
    return 0 if not left else 1


def _reason(stderr: str) -> str:
    """The reason part of "pixelcnn-studio: error: PATH: reason", for a table cell."""
    text = stderr.strip().removeprefix("pixelcnn-studio: error: ")
    head, _, rest = text.partition(".pt: ")
    return (rest or text)[:100].replace("|", "/")


if __name__ == "__main__":
    raise SystemExit(main())
