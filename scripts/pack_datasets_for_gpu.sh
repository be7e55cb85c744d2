#!/usr/bin/env bash
# Compact copies of the datasets a GPU session trains on, for a machine that has none of their
# sources and no network: each dataset's train and test splits, cut exactly as on this machine,
# in one compressed .npz that `--data npz:PATH` reads back (with its source and licence).
#
#   bash scripts/pack_datasets_for_gpu.sh [PRESET ...]     (default: the GPU session's presets)
#
# Writes data-cache/gpu/<dataset>.npz (data-cache/ is ignored by git; a device run names them in its
# `carry`), then prints every file's size and the `carry` list that fits in the 64 MiB the working
# tree and carried paths may take together, in this order: the datasets of the first two session
# presets (emoji-groups, mnist-regularised), the app's Qt bundle (data-cache/gpu-app, from
# scripts/pack_app_for_gpu.sh; PACK_WITHOUT_APP=1 leaves it out), then the other datasets.
# fashion-where is made on the fly from Fashion-MNIST, and its pictures (48x48, 60,000) pack to 62 MiB:
# the Fashion-MNIST files themselves travel instead (data-cache/gpu-data/fashion-mnist, 30 MiB), and
# the session points the data root there.
# Run the fetches first (bash scripts/fetch_datasets.sh mnist emoji-groups fashion-mnist letters).
# A preset whose dataset is missing or cannot be packed is reported and skipped; the others are
# still written.
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

import os
import shutil

from pixelcnn_studio.data import idx
from pixelcnn_studio.data.pack import pack_dataset
from pixelcnn_studio.train.presets import GPU_SESSION_PRESETS, PRESETS

# Sets made on the fly from another set's files, smaller than their pictures: those files travel.
MADE_FROM = {"fashion-where": "fashion-mnist"}
DATA_ROOT = Path("data-cache/gpu-data")

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
    if spec in MADE_FROM:
        source = MADE_FROM[spec]
        found = idx.locate(source, None)
        if found is None:
            print(f"{preset}: {spec} is made from {source}, which is not here; skipped", file=sys.stderr)
            failed += 1
            continue
        folder = DATA_ROOT / source
        folder.mkdir(parents=True, exist_ok=True)
        for path in found[1].values():
            if not (folder / path.name).is_file() or (folder / path.name).stat().st_size != path.stat().st_size:
                shutil.copyfile(path, folder / path.name)
        size = sum(f.stat().st_size for f in folder.iterdir())
        done[spec] = {"spec": spec, "path": str(DATA_ROOT), "bytes": size, "made_from": source}
        print(f"{preset}: {spec} is made from {source}: its files -> {folder}  {size / 2**20:.2f} MiB")
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

files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                       capture_output=True, check=True).stdout.split(b"\0")
tree = sum(Path(f.decode()).stat().st_size for f in files if f and Path(f.decode()).is_file())
# The working tree and the carried paths travel together; a MiB is kept for what changes meanwhile.
room = 63 * 2**20 - tree
print(f"\nworking tree (tracked + untracked, not ignored): {tree / 2**20:.2f} MiB; room to carry: "
      f"{room / 2**20:.2f} MiB")
candidates = []
for found in done.values():
    if Path(found["path"]) not in candidates:
        candidates.append(Path(found["path"]))
app = Path("data-cache/gpu-app")
if (app / "app-offscreen.tar.xz").is_file() and os.environ.get("PACK_WITHOUT_APP") != "1":
    candidates.insert(min(2, len(candidates)), app)
carry, left = [], []
for path in candidates:
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size
    if size <= room and len(carry) < 8:
        carry.append(str(path))
        room -= size
        print(f"  carry {path}  {size / 2**20:.2f} MiB")
    else:
        left.append(str(path))
        print(f"  leave {path}  {size / 2**20:.2f} MiB (does not fit)")
print(f"{room / 2**20:.2f} MiB to spare")
print("\nrun(command='bash scripts/gpu_session.sh \"$OUT\"', carry=" + json.dumps(carry) + ", timeout_s=600)")
if left:
    print("left behind: " + ", ".join(left) + " (the session skips what they serve, with a line saying so)")
sys.exit(1 if failed else 0)
PY
