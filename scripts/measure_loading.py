"""What the checks cost when loading: every bundled model loaded the unchecked way (torch.load, build,
copy the weights: what loading did before the checks) and through `load_checkpoint`, alternately in
the same run, median of 7 each.

    python scripts/measure_loading.py

"config not seen before" clears the remembered shapes-only build first, as for the first file of
its config; the app and the commands usually load one file once, the app's model list many.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from pixelcnn_studio import load_checkpoint  # noqa: E402
from pixelcnn_studio.core.checkpoint import strip_wrapper_prefixes  # noqa: E402
from pixelcnn_studio.core.checkpoint_checks import _expected_weights  # noqa: E402
from pixelcnn_studio.core.config import ModelConfig  # noqa: E402
from pixelcnn_studio.core.model import build_model  # noqa: E402
from pixelcnn_studio.paths import bundled_model, bundled_model_names  # noqa: E402

REPEATS = 7


def unchecked_load(path):
    payload = torch.load(path, map_location="cpu", weights_only=True)
    model = build_model(ModelConfig.from_dict(dict(payload["config"])))
    model.load_state_dict(strip_wrapper_prefixes(payload["state_dict"]))
    return model.eval()


def timed(function, path) -> float:
    started = time.perf_counter()
    function(path)
    return time.perf_counter() - started


def first_of_its_config(path):
    _expected_weights.cache_clear()
    return load_checkpoint(path)


def main() -> None:
    torch.set_num_threads(1)
    print("| model | unchecked (ms) | checked (ms) | ratio | checked, config not seen before (ms) | ratio |")
    print("|---|---|---|---|---|---|")
    for name in bundled_model_names():
        path = bundled_model(name)
        unchecked_load(path), load_checkpoint(path)          # warm the file cache and the imports
        times = {f: [] for f in (unchecked_load, load_checkpoint, first_of_its_config)}
        for _ in range(REPEATS):
            for function, runs in times.items():
                runs.append(timed(function, path))
        base, checked, first = (statistics.median(runs) * 1e3 for runs in times.values())
        print(f"| {name} | {base:.0f} | {checked:.0f} | {checked / base:.2f} | {first:.0f} | {first / base:.2f} |")


if __name__ == "__main__":
    main()
