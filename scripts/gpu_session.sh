#!/usr/bin/env bash
# One prepared session on a lent GPU: everything the project needs a GPU for, in about 9 minutes,
# every result written into OUT_DIR. Stages are time-boxed; a stage that fails or runs out of time is
# logged and the next one still runs.
#
#   1. train  the GPU-session presets that exist here (train/presets.py GPU_SESSION_PRESETS:
#             emoji-groups, mnist-regularised, and letters, letters-style, fashion-where where defined)
#             side by side on the one card: bf16, torch.compile (eager where it fails), each on a
#             wall-clock budget with the learning rate decayed over it (--time-schedule), best
#             weights kept by held-out bits/dim; then eval (--classify for class models) and a
#             sample grid (--class all) of each.
#   2. tests  tests/test_cuda.py: naive == cached on CUDA for every kind of conditioning (float64),
#             checkpoints crossing GPU <-> CPU, a run trained, scored and sampled on CUDA.
#   3. bench  the training step of the fashion-mnist preset (previous, current, bf16, compiled, CUDA
#             graphs), the 16-image grid of every bundled model cached against naive (and the
#             paper's width on 32x32 colour), the paper-width training step.
#   4. app    the app offscreen on --device cuda samples a class grid through its own worker.
# Tests and the app run while the models train (they check correctness; their timings share the
# card); the benchmarks run alone after training.
#
# On the device machine (the `run` tool of a session that was lent one), from the repository root:
#
#   run(command='bash scripts/gpu_session.sh "$OUT"', carry=[...], timeout_s=600)
#
# with the carry list that scripts/pack_datasets_for_gpu.sh prints last (what fits in 64 MiB with
# the working tree), e.g. ["data-cache/gpu/emoji-groups.npz", "data-cache/gpu/mnist.npz",
# "data-cache/gpu/letters.npz", "data-cache/gpu-app"]. Before that, here (a machine with the
# datasets and the app's venv):
#   bash scripts/fetch_datasets.sh mnist emoji-groups fashion-mnist letters
#   bash scripts/pack_app_for_gpu.sh                       # data-cache/gpu-app/app-offscreen.tar.xz (Qt)
#   bash scripts/pack_datasets_for_gpu.sh                  # data-cache/gpu/<dataset>.npz; sizes, carry list
#   GPU_SESSION_DRY=1 GPU_SESSION_APP_BUNDLE=1 bash scripts/gpu_session.sh /tmp/dry   # on the CPU
#
# Set-up on the device machine: none to install. Its python3 (PyTorch with CUDA, numpy, pillow,
# tqdm, pytest) runs the command line straight from this tree (`python3 -m pixelcnn_studio`,
# PYTHONPATH=.); nothing can be fetched there, so no venv or pip step. The app's Qt travels as
# the carried bundle. About 10 s (imports, unpacking the bundle).
#
# What comes back (the device returns at most 8 files, 16 MiB each, 64 MiB in all): OUT_DIR holds
# summary.md, results.tar.gz (logs, tables, metrics, eval JSON, grids) and checkpoints*.tar (each
# run's best.pt; last.pt, resumable with `train --resume`, where it fits). The expanded results stay
# in GPU_SESSION_WORK (default /tmp/gpu-session-work).
#
# Environment: GPU_SESSION_DRY=1 (device cpu, budgets of seconds, tiny bench), GPU_SESSION_STAGES
# (default "train tests bench app"; a rerun can name fewer), GPU_SESSION_TOTAL_S (default 540),
# GPU_SESSION_TRAIN_MIN (training budget per run, minutes; default 4), GPU_SESSION_PRESETS (to
# override the list), GPU_SESSION_COMPILE (1/0), GPU_SESSION_APP_BUNDLE=1 (use the carried Qt even
# where one is installed: how a dry run tries the bundle), PYTHON (default python3).
set -uo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: bash scripts/gpu_session.sh OUT_DIR" >&2
    exit 2
fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
mkdir -p "$1"
OUT_DIR="$(cd "$1" && pwd)"
DRY="${GPU_SESSION_DRY:-0}"
PY="${PYTHON:-python3}"
export PYTHONPATH="$HERE${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
export PIXELCNN_STUDIO_SETTINGS=test           # the app never reads or writes a user's settings
STAGES=" ${GPU_SESSION_STAGES:-train tests bench app} "
WORK="${GPU_SESSION_WORK:-/tmp/gpu-session-work}"
PACKED="$HERE/data-cache/gpu"
rm -rf "$WORK"
mkdir -p "$WORK/logs" "$WORK/runs" "$WORK/tables" "$WORK/grids"
STATUS="$WORK/stages.tsv"                      # stage, status, seconds, note
: > "$STATUS"

if [[ "$DRY" == 1 ]]; then
    DEVICE=cpu
    TOTAL_S="${GPU_SESSION_TOTAL_S:-900}"
    TRAIN_MIN="${GPU_SESSION_TRAIN_MIN:-0.15}"
    COMPILE="${GPU_SESSION_COMPILE:-0}"
    # Small batches: one step of a preset's own batch takes tens of seconds on a shared CPU.
    # No final scoring on the whole held-out split: minutes on a CPU, seconds on the GPU.
    TRAIN_EXTRA=(--threads 1 --eval-limit 64 --batch-size 4 --no-final-full-eval)
    NICE=(nice -n 15)
    export PIXELCNN_STUDIO_TEST_DEVICE=cpu      # the CUDA tests run on the CPU: no typo reaches the GPU
else
    DEVICE=cuda
    TOTAL_S="${GPU_SESSION_TOTAL_S:-540}"
    TRAIN_MIN="${GPU_SESSION_TRAIN_MIN:-4}"
    COMPILE="${GPU_SESSION_COMPILE:-1}"
    TRAIN_EXTRA=(--threads 2)
    NICE=()
fi
STARTED=$(date +%s)
studio() { "${NICE[@]}" "$PY" -m pixelcnn_studio "$@"; }

left() { echo $(( TOTAL_S - ($(date +%s) - STARTED) )); }

# within LIMIT: LIMIT, or the seconds left in the session's budget less a reserve, whichever is less.
within() {
    local limit=$1 rest
    rest=$(( $(left) - 20 ))
    (( rest < limit )) && limit=$rest
    (( limit < 5 )) && limit=5
    echo "$limit"
}

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >> "$STATUS"; }

# run_stage NAME LIMIT_S COMMAND...: time-boxed, output in logs/NAME.log, status recorded.
run_stage() {
    local name=$1 limit t0 rc status
    limit=$(within "$2")
    shift 2
    t0=$(date +%s)
    echo "[$(date -u +%H:%M:%S)] $name (limit ${limit} s)"
    timeout --kill-after=10 "$limit" "$@" > "$WORK/logs/$name.log" 2>&1
    rc=$?
    case $rc in
        0) status=ok ;;
        124|137) status="timed out after ${limit} s" ;;
        *) status="failed (exit $rc)" ;;
    esac
    record "$name" "$status" $(( $(date +%s) - t0 )) "$(tail -n 1 "$WORK/logs/$name.log" | cut -c1-160)"
    echo "[$(date -u +%H:%M:%S)] $name: $status"
    return $rc
}

skip() { record "$1" "skipped" 0 "$2"; echo "$1: skipped: $2"; }

# -- 0. the machine ---------------------------------------------------------------------------------
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "dry run: $DRY (device $DEVICE), budget ${TOTAL_S} s, training ${TRAIN_MIN} min per run, compile $COMPILE"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
    "$PY" -c "import sys, torch; print('python', sys.version.split()[0], '| torch', torch.__version__, '| cuda', torch.version.cuda, '| gpu', torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)"
    nproc | sed 's/^/cpu cores: /'
} > "$WORK/machine.txt" 2>&1
cat "$WORK/machine.txt"
if ! "$PY" -m pixelcnn_studio --version > "$WORK/logs/setup.log" 2>&1; then
    record setup "failed" 0 "$PY cannot run pixelcnn_studio: $(tail -n 1 "$WORK/logs/setup.log")"
elif [[ "$DEVICE" == cuda ]] && ! "$PY" -c "import torch, sys; sys.exit(not torch.cuda.is_available())"; then
    record setup "failed" 0 "torch sees no CUDA GPU"
    echo "no CUDA GPU visible: stopping" >&2
else
    record setup ok 0 "$("$PY" -m pixelcnn_studio --version 2>&1)"
fi

# Dataset sources that travelled (Fashion-MNIST's files, for fashion-where) make the data root, linked
# from a folder outside the tree so that the decoded-array cache never lands in what a run carries.
if [[ -d "$HERE/data-cache/gpu-data" ]]; then
    export PIXELCNN_STUDIO_DATA=/tmp/gpu-session-data
    rm -rf "$PIXELCNN_STUDIO_DATA" && mkdir -p "$PIXELCNN_STUDIO_DATA"
    for source in "$HERE"/data-cache/gpu-data/*/; do
        ln -s "${source%/}" "$PIXELCNN_STUDIO_DATA/$(basename "$source")"
    done
fi

# Which presets train, on which data: a packed copy first (the device has no dataset sources).
# plan.tsv: preset, data spec or "-", why not ("-" when it trains); no empty fields, which `read` would merge.
"$PY" - "$PACKED" "${GPU_SESSION_PRESETS:-}" > "$WORK/plan.tsv" 2> "$WORK/logs/plan.log" <<'PY'
import sys
from pathlib import Path
from pixelcnn_studio.data import available_datasets
from pixelcnn_studio.train.presets import GPU_SESSION_PRESETS, PRESETS
packed, asked = Path(sys.argv[1]), sys.argv[2].split()
here = set(available_datasets())
for preset in asked or GPU_SESSION_PRESETS:
    if preset not in PRESETS:
        print(f"{preset}\t-\tnot defined in train/presets.py on this commit")
        continue
    spec = PRESETS[preset].get("data") or ""
    copy = packed / f"{spec}.npz"
    if copy.is_file():
        print(f"{preset}\tnpz:{copy}\t-")
    elif spec in here:
        print(f"{preset}\t{spec}\t-")
    else:
        print(f"{preset}\t-\tdataset {spec!r} missing: no {copy} and no source here "
              f"(scripts/pack_datasets_for_gpu.sh writes it; carry data-cache/gpu)")
PY

# -- 1. training, side by side (tests and the app run meanwhile) ------------------------------------
TRAIN_PIDS=()
TRAINED=()
if [[ "$STAGES" == *" train "* ]]; then
    if command -v nvidia-smi >/dev/null && [[ "$DEVICE" == cuda ]]; then
        nvidia-smi dmon -s um -d 5 > "$WORK/logs/gpu-dmon.log" 2>&1 &
        DMON=$!
    fi
    compile_flag=--no-compile
    [[ "$COMPILE" == 1 ]] && compile_flag=--compile
    # The run's own budget, plus start-up, its last evaluation and saving (on a shared CPU, five
    # runs starting at once take minutes to load).
    margin=60
    [[ "$DRY" == 1 ]] && margin=300
    train_limit=$(awk -v m="$TRAIN_MIN" -v s="$margin" 'BEGIN { printf "%d", m * 60 + s }')
    while IFS=$'\t' read -r preset data why; do
        if [[ "$data" == - ]]; then
            skip "train $preset" "$why"
            continue
        fi
        run_stage "train-$preset" "$train_limit" \
            "${NICE[@]}" "$PY" -m pixelcnn_studio train --preset "$preset" --data "$data" \
            --out "$WORK/runs/$preset" --device "$DEVICE" --bf16 "$compile_flag" \
            --max-minutes "$TRAIN_MIN" --time-schedule "${TRAIN_EXTRA[@]}" &
        TRAIN_PIDS+=($!)
        TRAINED+=("$preset")
    done < "$WORK/plan.tsv"
fi

if [[ "$STAGES" == *" tests "* ]]; then
    run_stage tests 240 "${NICE[@]}" "$PY" -m pytest -q -p no:cacheprovider tests/test_cuda.py
fi

if [[ "$STAGES" == *" app "* ]]; then
    app_env=()
    bundle="$HERE/data-cache/gpu-app/app-offscreen.tar.xz"
    if [[ "${GPU_SESSION_APP_BUNDLE:-0}" != 1 ]] && "$PY" -c "import PySide6, pyqtgraph, qtawesome" 2>/dev/null; then
        app_env=(env)
    elif [[ -f "$bundle" ]]; then
        APP_DIR=/tmp/gpu-session-app
        rm -rf "$APP_DIR" && mkdir -p "$APP_DIR" && tar -xJf "$bundle" -C "$APP_DIR"
        # Keep only the system libraries this machine lacks: its own are made for it.
        have="$(ldconfig -p 2>/dev/null | awk 'NR > 1 { print $1 }')"
        for lib in "$APP_DIR"/lib/*.so*; do
            grep -qxF "$(basename "$lib")" <<< "$have" && rm -f "$lib"
        done
        echo "carried system libraries used: $(ls "$APP_DIR/lib" | tr '\n' ' ')" > "$WORK/logs/app-libs.log"
        app_env=(env "PYTHONPATH=$APP_DIR/site:$PYTHONPATH" "LD_LIBRARY_PATH=$APP_DIR/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
    fi
    if [[ ${#app_env[@]} -eq 0 ]]; then
        skip app "no Qt here and no $bundle (scripts/pack_app_for_gpu.sh writes it)"
    else
        rows=4
        [[ "$DRY" == 1 ]] && rows=1
        run_stage app 180 "${app_env[@]}" QT_QPA_PLATFORM=offscreen "${NICE[@]}" "$PY" scripts/app_grid.py \
            fashion-mnist --device "$DEVICE" --rows-of "$rows" --out "$WORK/grids/app-fashion-mnist-$DEVICE.png"
    fi
fi

for pid in "${TRAIN_PIDS[@]}"; do wait "$pid"; done
[[ -n "${DMON:-}" ]] && kill "$DMON" 2>/dev/null

# Each trained model: held-out bits/dim (and Bayes-classifier accuracy), and a grid of one row per class.
EVAL_PIDS=()
for preset in "${TRAINED[@]}"; do
    best="$WORK/runs/$preset/best.pt"
    data="$(awk -F'\t' -v p="$preset" '$1 == p { print $2 }' "$WORK/plan.tsv")"
    if [[ ! -f "$best" ]]; then
        skip "eval $preset" "no best.pt (see logs/train-$preset.log)"
        continue
    fi
    # classes: for --classify, a model conditioned on the class alone; picture: a model that takes a
    # picture's code (a style glyph, an auto-encoder's input) samples its grid from a held-out one.
    read -r classes picture < <("$PY" - "$best" <<'PY' 2>/dev/null || echo "0 0"
import sys
from pixelcnn_studio import load_checkpoint
from pixelcnn_studio.core.box import is_box_model
loaded = load_checkpoint(sys.argv[1])
cfg = loaded.config
print(cfg.num_classes if not cfg.embedding_dim else 0,
      int(bool(cfg.embedding_dim) and not is_box_model(cfg, loaded.embedder)))
PY
)
    classify=()
    [[ "$classes" -gt 0 ]] && classify=(--classify)
    limit=()
    eval_limit=120
    [[ "$DRY" == 1 ]] && limit=(--limit 12) && eval_limit=300
    (
        run_stage "eval-$preset" "$eval_limit" "${NICE[@]}" "$PY" -m pixelcnn_studio eval "$best" --data "$data" \
            "${classify[@]}" "${limit[@]}" --device "$DEVICE" --json
        cp "$WORK/logs/eval-$preset.log" "$WORK/tables/eval-$preset.json"
        n=$(( classes > 0 ? classes * (64 / classes > 0 ? 64 / classes : 1) : 16 ))
        [[ "$DRY" == 1 ]] && n=$(( classes > 0 ? classes : 4 ))
        portrait=()
        if [[ "$picture" == 1 ]]; then
            "$PY" - "$data" "$WORK/grids/$preset-given.png" <<'PY' && portrait=(--portrait "$WORK/grids/$preset-given.png")
import sys
from PIL import Image
from pixelcnn_studio.data import load_dataset
image = load_dataset(sys.argv[1], "test").images[0].numpy()
Image.fromarray(image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)).save(sys.argv[2])
PY
        fi
        run_stage "grid-$preset" 120 "${NICE[@]}" "$PY" -m pixelcnn_studio sample "$best" --n "$n" --class all \
            "${portrait[@]}" --seed 0 --scale 3 --device "$DEVICE" --out "$WORK/grids/$preset-samples.png"
    ) &
    EVAL_PIDS+=($!)
done
for pid in "${EVAL_PIDS[@]}"; do wait "$pid"; done

# -- 3. benchmarks, alone on the card -----------------------------------------------------------------
if [[ "$STAGES" == *" bench "* ]]; then
    if [[ "$DRY" == 1 ]]; then
        # One small bundled model, tiny batches: every line of the stage runs, in seconds.
        mkdir -p "$WORK/dry-models"
        cp "$("$PY" -c "from pixelcnn_studio.paths import bundled_model; print(bundled_model('mnist-autoencoder'))")" \
            "$WORK/dry-models/"
        train_bench=(--batch 4 --repeats 1)
        graphs=()
        sampling=(env "PIXELCNN_STUDIO_MODELS=$WORK/dry-models")
        paper=()                     # a paper-width grid takes minutes on a CPU
        paper_batch=(--batch 1 --repeats 1)
        paper_limit=300              # a few paper-width steps on one shared CPU core
    else
        train_bench=(--batch 64 --repeats 20 --compile)
        graphs=(--graphs)
        sampling=(env)
        paper=(--paper)
        paper_batch=(--batch 64 --repeats 10)
        paper_limit=90
    fi
    run_stage bench-train-fashion 200 "${NICE[@]}" "$PY" -m pixelcnn_studio bench --train --only fashion-mnist \
        --device "$DEVICE" "${train_bench[@]}" "${graphs[@]}"
    cp "$WORK/logs/bench-train-fashion.log" "$WORK/tables/bench-train-fashion.md"
    run_stage bench-sampling 150 "${sampling[@]}" "${NICE[@]}" "$PY" -m pixelcnn_studio bench --bundled "${paper[@]}" \
        --grid-only --repeats 1 --device "$DEVICE"
    cp "$WORK/logs/bench-sampling.log" "$WORK/tables/bench-sampling.md"
    run_stage bench-train-paper "$paper_limit" "${NICE[@]}" "$PY" -m pixelcnn_studio bench --train --paper --only paper \
        --device "$DEVICE" "${paper_batch[@]}"
    cp "$WORK/logs/bench-train-paper.log" "$WORK/tables/bench-train-paper.md"
fi

# -- summary and what travels back ------------------------------------------------------------------
"$PY" - "$WORK" "$OUT_DIR" "$DRY" "$TOTAL_S" "$(( $(date +%s) - STARTED ))" <<'PY'
import csv
import json
import sys
import tarfile
from pathlib import Path

work, out, dry, budget, took = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "1", sys.argv[4], sys.argv[5]
lines = [f"# GPU session{' (DRY RUN on the CPU)' if dry else ''}", "",
         "```", (work / "machine.txt").read_text().strip(), "```", "",
         f"Wall clock: {took} s of a {budget} s budget.", "", "## Stages", "",
         "| stage | status | seconds | last line |", "|---|---|---:|---|"]
for row in csv.reader((work / "stages.tsv").open(), delimiter="\t"):
    row += [""] * (4 - len(row))
    lines.append(f"| {row[0]} | {row[1]} | {row[2]} | {row[3].replace('|', '/')} |")

lines += ["", "## Models trained", "",
          "| preset | data | steps | images/s | best held-out bits/dim | eval bits/dim | classifier accuracy | stopped | grid |",
          "|---|---|---:|---:|---:|---:|---:|---|---|"]
for plan in csv.reader((work / "plan.tsv").open(), delimiter="\t"):
    preset, data, why = (plan + ["-", "-"])[:3]
    run = work / "runs" / preset
    if data == "-":
        lines.append(f"| {preset} | - | | | | | | not trained: {why} | |")
        continue
    steps = speed = best = stopped = ""
    if (run / "best.pt").is_file():
        import torch
        meta = torch.load(run / "best.pt", weights_only=True)
        training, metrics = meta.get("training") or {}, meta.get("metrics") or {}
        steps, speed = training.get("steps", ""), training.get("images_per_s", "")
        best = metrics.get("test_bpd_full", metrics.get("best_test_bpd", ""))
    log = work / "logs" / f"train-{preset}.log"
    if log.is_file():
        text = log.read_text(errors="replace")
        stopped = "time budget" if "time budget" in text else "finished" if "done:" in text else "see log"
        if "training eagerly" in text:
            stopped += " (compile failed: eager)"
    evaluated, accuracy = "", ""
    found = work / "tables" / f"eval-{preset}.json"
    if found.is_file():
        try:
            result = json.loads(found.read_text())
            evaluated = f"{result['bits_per_dim']:.4f} ({result['images']} images)"
            if "classification" in result:
                accuracy = f"{result['classification']['accuracy']:.1%}"
        except (ValueError, KeyError):
            evaluated = "unreadable"
    grid = f"grids/{preset}-samples.png" if (work / "grids" / f"{preset}-samples.png").is_file() else ""
    lines.append(f"| {preset} | {data.split('/')[-1]} | {steps} | {speed} | {best} | {evaluated} | {accuracy} | "
                 f"{stopped} | {grid} |")

def section(title, path, fence=False):
    if path.is_file() and path.read_text().strip():
        body = path.read_text(errors="replace").strip()
        lines.extend(["", f"## {title}", ""] + (["```", body[-4000:], "```"] if fence else [body]))

section("Training step, fashion-mnist preset (against 1,550 images/s measured before)",
        work / "tables" / "bench-train-fashion.md")
section("Sampling: the 16-image grid of every bundled model, cached against naive", work / "tables" / "bench-sampling.md")
section("Training step, the paper's width on 32x32 colour", work / "tables" / "bench-train-paper.md")
section("CUDA tests", work / "logs" / "tests.log", fence=True)
section("The app offscreen", work / "logs" / "app.log", fence=True)
section("GPU use while training (nvidia-smi dmon)", work / "logs" / "gpu-dmon.log", fence=True)

# What travels back: at most 8 files, 16 MiB each, 64 MiB together.
LIMIT_FILE, LIMIT_ALL, SLOTS = 15 * 2**20, 60 * 2**20, 8
out.mkdir(parents=True, exist_ok=True)
for old in out.iterdir():
    if old.is_file():
        old.unlink()
with tarfile.open(out / "results.tar.gz", "w:gz") as tar:
    for part in ("machine.txt", "stages.tsv", "plan.tsv", "logs", "tables", "grids"):
        if (work / part).exists():
            tar.add(work / part, arcname=part)
    for run in sorted((work / "runs").glob("*")):
        for name in ("metrics.csv",):
            if (run / name).is_file():
                tar.add(run / name, arcname=f"runs/{run.name}/{name}")
used, slots = (out / "results.tar.gz").stat().st_size, SLOTS - 2          # summary.md and results
lines += ["", "## Files brought back", "", f"- summary.md, results.tar.gz ({used / 2**20:.1f} MiB): logs, tables, "
          "metrics, eval JSON, grids (`tar -xzf results.tar.gz`)"]
# best.pt first (what a card and the app need), then last.pt (to resume), smallest first within each.
wanted = sorted((work / "runs").glob("*/best.pt"), key=lambda p: p.stat().st_size)
wanted += sorted((work / "runs").glob("*/last.pt"), key=lambda p: p.stat().st_size)
bundles, current, size = [], [], 0
left_behind = []
for path in wanted:
    s = path.stat().st_size
    if s > LIMIT_FILE or used + s > LIMIT_ALL:
        left_behind.append(path)
        continue
    if size + s > LIMIT_FILE:
        bundles.append(current)
        current, size = [], 0
    if len(bundles) + 1 > slots:
        left_behind.append(path)
        continue
    current.append(path)
    size += s
    used += s
if current:
    bundles.append(current)
for i, group in enumerate(bundles, 1):
    name = out / f"checkpoints-{i}.tar"
    with tarfile.open(name, "w") as tar:
        for path in group:
            tar.add(path, arcname=f"{path.parent.name}/{path.name}")
    lines.append(f"- {name.name} ({name.stat().st_size / 2**20:.1f} MiB): "
                 + ", ".join(f"{p.parent.name}/{p.name}" for p in group))
if left_behind:
    lines.append("- not brought back (the device returns 8 files, 64 MiB at most): "
                 + ", ".join(f"{p.parent.name}/{p.name}" for p in left_behind))
(out / "summary.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
PY
