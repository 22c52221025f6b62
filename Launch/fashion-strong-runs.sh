#!/usr/bin/env bash
# A shipped model's three runs (issue 7; MODEL=fashion-resnet for issue 16's): `tandem train --model
# $MODEL` at -np 2, its built-in recipe, seeds 1, 2, 3 (the first three, chosen before any run), one after
# the other on an otherwise idle machine. Wall clock from /usr/bin/time, start-up and evaluation included;
# a history per run.
#   [MODEL=fashion-strong] Launch/fashion-strong-runs.sh [OUTPUT_DIR] [SEEDS...]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${MODEL:-fashion-strong}
out=${1:-Launch/results/$model}; shift || true
seeds=("${@:-1 2 3}")
mkdir -p "$out"
for seed in ${seeds[@]}; do
    log="$out/np2-seed$seed.log"
    echo "\$ Launch/local.sh 2 train --model $model --seed $seed --history $out/np2-seed$seed.csv --verbose 2" > "$log"
    /usr/bin/time -v Launch/local.sh 2 train --model "$model" --seed "$seed" --history "$out/np2-seed$seed.csv" --verbose 2 >> "$log" 2>&1
    grep -E "^Test loss|Elapsed \(wall" "$log"
done
