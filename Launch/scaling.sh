#!/usr/bin/env bash
# Strong and weak scaling of Tandem's training step on this machine.
#   Launch/scaling.sh [--ranks "1 2 4"] [--per-rank-batch 16] [--steps 200] [--repeats 5] [--output DIR]
# strong: global batch 32 at every N (the tutorial's recipe; per-rank batch 32/N).
# weak:   per-rank batch fixed, global batch = per-rank × N (train such runs with --lr-scaling and
#         --warmup-epochs; throughput does not depend on the learning rate).
# Efficiency = images/s at N ÷ (N × images/s at 1). Runs with more ranks than cores are flagged
# OVERSUBSCRIBED: ranks then share cores and their efficiency says nothing about a cluster.
# Writes one JSON per run, scaling.csv, scaling.md and scaling.svg into DIR.
set -euo pipefail
source "$(dirname "$0")/mpi-env.sh"
ranks_list="1 2 4"; per_rank=16; steps=200; repeats=5; warmup=20
output="$(mktemp -d /tmp/tandem-scaling.XXXXXX)"
while [ $# -gt 0 ]; do
    case "$1" in
        --ranks) ranks_list="$2"; shift 2 ;;
        --per-rank-batch) per_rank="$2"; shift 2 ;;
        --steps) steps="$2"; shift 2 ;;
        --repeats) repeats="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --output) output="$2"; shift 2 ;;
        *) echo "scaling.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
mkdir -p "$output"
cores="$(nproc)"
commands="$output/commands.txt"; : > "$commands"

run() {  # mode ranks global-batch
    local mode="$1" ranks="$2" batch="$3"
    local options=(-np "$ranks" -x OPENBLAS_NUM_THREADS)
    if [ "$ranks" -gt "$cores" ]; then
        options+=(--oversubscribe --mca mpi_yield_when_idle 1)
    else
        options+=(--bind-to core)
    fi
    local command=("$MPIRUN" "${options[@]}" "$TANDEM_BINARY" bench --batch-size "$batch" --steps "$steps"
                   --repeats "$repeats" --warmup "$warmup" --no-gemm --json "$output/$mode-$ranks.json")
    echo "${command[*]}" >> "$commands"
    echo "scaling.sh: $mode N=$ranks global batch $batch" >&2
    "${command[@]}" > "$output/$mode-$ranks.txt"
}

for ranks in $ranks_list; do run strong "$ranks" 32; done
for ranks in $ranks_list; do run weak "$ranks" $((per_rank * ranks)); done

python3 "$(dirname "$0")/scaling_report.py" "$output" "$cores"
echo "scaling.sh: results in $output" >&2
