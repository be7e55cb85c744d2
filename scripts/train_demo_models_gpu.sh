#!/usr/bin/env bash
# The demo-model runs that are too slow for a CPU, as one prepared script for a machine with one
# CUDA GPU: emoji in look-alike groups, regularised MNIST and the two letters models (class only, and
# class + the style code of a sibling glyph: same network, same budget), side by side, each a preset
# unchanged, then their held-out figures, the Bayes-classifier accuracies and the sample grids the
# model cards show.
#
#   bash scripts/train_demo_models_gpu.sh [RUNS_DIR]     (default: runs)
#
# Needs the datasets (bash scripts/fetch_datasets.sh mnist emoji-groups letters) and a CUDA build of torch.
# --max-minutes is a safety net: a run it stops is resumable with
#   pixelcnn-studio train --out RUNS_DIR/NAME --resume
set -euo pipefail

RUNS="${1:-runs}"
STUDIO="${STUDIO:-pixelcnn-studio}"
MINUTES="${MAX_MINUTES:-20}"
mkdir -p "$RUNS"

for preset in emoji-groups mnist-regularised letters letters-style; do
    $STUDIO train --preset "$preset" --out "$RUNS/$preset" --device cuda --threads 4 \
        --max-minutes "$MINUTES" > "$RUNS/$preset.log" 2>&1 &
done
wait

$STUDIO eval "$RUNS/emoji-groups/best.pt" --data emoji-groups --classify | tee "$RUNS/emoji-groups.eval"
$STUDIO eval "$RUNS/mnist-regularised/best.pt" --data mnist | tee "$RUNS/mnist-regularised.eval"
$STUDIO sample "$RUNS/emoji-groups/best.pt" --n 140 --class all --seed 0 --scale 3 --out "$RUNS/emoji-groups-samples.png"
$STUDIO sample "$RUNS/mnist-regularised/best.pt" --n 100 --class all --seed 0 --scale 3 --out "$RUNS/mnist-regularised-samples.png"
$STUDIO eval "$RUNS/letters/best.pt" --data letters --classify | tee "$RUNS/letters.eval"
$STUDIO eval "$RUNS/letters-style/best.pt" --data letters | tee "$RUNS/letters-style.eval"
$STUDIO sample "$RUNS/letters/best.pt" --n 124 --class all --seed 0 --scale 3 --out "$RUNS/letters-samples.png"
$STUDIO sample "$RUNS/letters/best.pt" --text "PIXEL CNN" --seed 0 --scale 4 --out "$RUNS/letters-word.png"
