#!/usr/bin/env bash
# Compact copies of the datasets a GPU session trains on, for a machine that has none of their
# sources and no network: each dataset's train and test splits, cut exactly as on this machine,
# in one compressed .npz that `--data npz:PATH` reads back (with its source and licence).
#
#   bash scripts/pack_datasets_for_gpu.sh [PRESET ...]     (default: the GPU session's presets)
#
# Writes data-cache/gpu/<dataset>.npz (data-cache/ is ignored by git; the session names it in the
# device run's `carry`), then prints every file's size and the total that travels, against the
# 64 MiB the working tree and carried paths may take together. Run the fetches first
# (bash scripts/fetch_datasets.sh mnist emoji-groups ...). A preset whose dataset is missing or
# cannot be packed is reported and skipped; the others are still written.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
OUT_DIR="${PACK_DIR:-data-cache/gpu}"
export PYTHONPATH="$HERE${PYTHONPATH:+:$PYTHONPATH}"

nice -n 10 "$PYTHON" - "$OUT_DIR" "$@" <<'PY'
import json
import subprocess
import sys
from pathlib import Path

from pixelcnn_studio.data.pack import pack_dataset
from pixelcnn_studio.train.presets import GPU_SESSION_PRESETS, PRESETS

out_dir, asked = Path(sys.argv[1]), sys.argv[2:]
out_dir.mkdir(parents=True, exist_ok=True)
presets = asked or [p for p in GPU_SESSION_PRESETS if p in PRESETS]
done, failed = {}, 0
for preset in presets:
    if preset not in PRESETS:
        print(f"{preset}: no such preset here; skipped", file=sys.stderr)
        failed += 1
        continue
    spec, size = PRESETS[preset].get("data"), PRESETS[preset].get("image_size")
    if not spec or ":" in spec:
        print(f"{preset}: its data ({spec}) is not a named dataset; skipped", file=sys.stderr)
        failed += 1
        continue
    if spec in done:
        print(f"{preset}: {spec} already packed")
        continue
    target = out_dir / f"{spec}.npz"
    try:
        found = pack_dataset(spec, target, image_size=size)
    except Exception as exc:     # missing or unpackable data: say so, pack the others
        print(f"{preset}: {spec} not packed: {exc}", file=sys.stderr)
        failed += 1
        continue
    done[spec] = found
    print(f"{preset}: {spec} -> {target}  {found['bytes'] / 2**20:.2f} MiB  "
          f"({found['train']} train / {found['test']} test, {found['image_size'][0]}x{found['image_size'][1]}"
          f"x{found['channels']}, {found['classes']} classes)")
(out_dir / "manifest.json").write_text(json.dumps(done, indent=1))

packed = sum(p.stat().st_size for p in out_dir.glob("*.npz"))
files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                       capture_output=True, check=True).stdout.split(b"\0")
tree = sum(Path(f.decode()).stat().st_size for f in files if f and Path(f.decode()).is_file())
limit = 64 * 2**20
print(f"\npacked datasets in {out_dir}: {packed / 2**20:.2f} MiB; working tree (tracked + untracked, "
      f"not ignored): {tree / 2**20:.2f} MiB; together {(packed + tree) / 2**20:.2f} MiB of the 64 MiB "
      f"a device run may carry ({(limit - packed - tree) / 2**20:.2f} MiB left)")
sys.exit(1 if failed else 0)
PY
