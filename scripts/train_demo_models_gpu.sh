#!/usr/bin/env bash
# The demo-model runs that are too slow for a CPU, as one prepared script for a machine with one
# CUDA GPU: emoji in look-alike groups, regularised MNIST, fashion-where (class + box, the
# location-dependent conditioning) and the two letters models (class only, and class + the style code
# of a sibling glyph: same network, same budget), side by side, each a preset unchanged, then their
# held-out figures, the Bayes-classifier accuracies, the sample grids the model cards show and the
# fashion-where box figure.
#
#   bash scripts/train_demo_models_gpu.sh [RUNS_DIR]     (default: runs)
#
# Needs the datasets (bash scripts/fetch_datasets.sh mnist emoji-groups fashion-mnist letters) and a
# CUDA build of torch. fashion-where's and the letters presets decay their learning rate over
# --max-minutes (a time schedule).
# --max-minutes is a safety net: a run it stops is resumable with
#   pixelcnn-studio train --out RUNS_DIR/NAME --resume
set -euo pipefail

RUNS="${1:-runs}"
STUDIO="${STUDIO:-pixelcnn-studio}"
MINUTES="${MAX_MINUTES:-20}"
mkdir -p "$RUNS"

for preset in emoji-groups mnist-regularised fashion-where letters letters-style; do
    $STUDIO train --preset "$preset" --out "$RUNS/$preset" --device cuda --threads 4 \
        --max-minutes "$MINUTES" > "$RUNS/$preset.log" 2>&1 &
done
wait

$STUDIO eval "$RUNS/emoji-groups/best.pt" --data emoji-groups --classify | tee "$RUNS/emoji-groups.eval"
$STUDIO eval "$RUNS/mnist-regularised/best.pt" --data mnist | tee "$RUNS/mnist-regularised.eval"
$STUDIO sample "$RUNS/emoji-groups/best.pt" --n 140 --class all --seed 0 --scale 3 --out "$RUNS/emoji-groups-samples.png"
$STUDIO sample "$RUNS/mnist-regularised/best.pt" --n 100 --class all --seed 0 --scale 3 --out "$RUNS/mnist-regularised-samples.png"
$STUDIO eval "$RUNS/fashion-where/best.pt" --data fashion-where | tee "$RUNS/fashion-where.eval"
$STUDIO sample "$RUNS/fashion-where/best.pt" --n 4 --class Sneaker --box 0.1,0.5,0.6,0.95 --seed 0 --scale 3 \
    --out "$RUNS/fashion-where-sneakers.png"
python scripts/where_figure.py "$RUNS/fashion-where/best.pt" --out "$RUNS/fashion-where-figure.png" \
    --json "$RUNS/fashion-where-figure.json"
$STUDIO eval "$RUNS/letters/best.pt" --data letters --classify | tee "$RUNS/letters.eval"
$STUDIO eval "$RUNS/letters-style/best.pt" --data letters | tee "$RUNS/letters-style.eval"
$STUDIO sample "$RUNS/letters/best.pt" --n 124 --class all --seed 0 --scale 3 --out "$RUNS/letters-samples.png"
$STUDIO sample "$RUNS/letters/best.pt" --text "PIXEL CNN" --seed 0 --scale 4 --out "$RUNS/letters-word.png"
