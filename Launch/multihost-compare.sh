#!/usr/bin/env bash
# Side by side between 2 simulated hosts (Launch/multihost.sh) at one link rate: the allreduce of the
# tutorial model's message and training throughput, for a baseline tandem build and this one, runs
# alternating. Written for the exact fixed-point sums (47,092 × 8 bytes) against the float tree of an
# earlier commit (47,090 × 4 bytes).
#
#   Launch/multihost-compare.sh BASELINE_BINARY [--rate 1gbit] [--rounds 3] [--output DIR]
#
# Each allreduce run is `tandem bench allreduce --sizes <model> --repeats 10`, each training run
# `tandem bench --synthetic --steps 100 --warmup 10 --repeats 3 --no-gemm` (global batch 32, one rank
# per host). Prints one line per run and writes the JSON reports to DIR. Tears the hosts down at the end.
set -euo pipefail
launch_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$launch_dir/mpi-env.sh"
baseline="${1:?usage: Launch/multihost-compare.sh BASELINE_BINARY [--rate RATE] [--rounds R] [--output DIR]}"
shift
rate=1gbit; rounds=3; output="$launch_dir/results/exact-sums/multihost-compare"
while [ $# -gt 0 ]; do
    case "$1" in
        --rate) rate="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --output) output="$2"; shift 2 ;;
        *) echo "multihost-compare.sh: unknown option $1" >&2; exit 64 ;;
    esac
done
mkdir -p "$output"
multihost="$launch_dir/multihost.sh"
trap '"$multihost" down >/dev/null 2>&1 || true' EXIT
"$multihost" up 2 --rate "$rate" >/dev/null

summary() {  # JSON file → one line
    python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
if "rows" in r:
    row = r["rows"][0]
    print(f'allreduce {r["algorithm"]:>5}: {row["bytes"]:>7} bytes, median {row["median_seconds"]*1e3:.3f} ms, min {row["minimum_seconds"]*1e3:.3f} ms')
else:
    print(f'training {r["allreduce"]:>5}: {r["images_per_second"]["median"]:.0f} img/s, step {r["step_milliseconds"]["median"]:.2f} ms')
PY
}
run() {  # label binary tandem-arguments…
    local label="$1" binary="$2"; shift 2
    TANDEM_BINARY="$binary" "$multihost" run 2 -- "$@" > "$output/$label.txt" 2>&1
    printf '%-34s ' "$label"; summary "$output/$label.json"
}
echo "2 hosts x 1 rank at $rate; baseline $baseline, candidate $TANDEM_BINARY"
for round in $(seq 1 "$rounds"); do
    for algorithm in tree mpi; do
        run "baseline-allreduce-$algorithm-$round" "$baseline" bench allreduce --allreduce "$algorithm" --sizes 47090 \
            --repeats 10 --json "$output/baseline-allreduce-$algorithm-$round.json"
        run "candidate-allreduce-$algorithm-$round" "$TANDEM_BINARY" bench allreduce --allreduce "$algorithm" --sizes 47092 \
            --repeats 10 --json "$output/candidate-allreduce-$algorithm-$round.json"
    done
    run "baseline-training-tree-$round" "$baseline" bench --synthetic --steps 100 --warmup 10 --repeats 3 --no-gemm \
        --json "$output/baseline-training-tree-$round.json"
    for algorithm in tree mpi; do
        run "candidate-training-$algorithm-$round" "$TANDEM_BINARY" bench --synthetic --steps 100 --warmup 10 --repeats 3 \
            --no-gemm --allreduce "$algorithm" --json "$output/candidate-training-$algorithm-$round.json"
    done
done
