#!/usr/bin/env bash
# Side by side: the cost per training step of one tandem build against another (e.g. the exact
# fixed-point sums against the float tree of an earlier commit), as `tandem bench` at -np N, runs
# alternating (A, B, A, B, …) so that slow drifts of the machine hit both alike.
#
#   Launch/compare-summation.sh BASELINE_BINARY [--ranks N] [--rounds R] [--output DIR] [-- bench options…]
#
# Each run is `mpirun -np N tandem bench --no-gemm --no-separate-wait` (the step `tandem train`
# runs: no extra barrier). Prints each run's median images/s and the ratio of the medians over rounds.
# Build the baseline from another commit in a worktree, e.g.
#   git worktree add ../baseline 11fd977 && (cd ../baseline && swift build -c release)
set -euo pipefail
source "$(dirname "$0")/mpi-env.sh"
baseline="${1:?usage: Launch/compare-summation.sh BASELINE_BINARY [--ranks N] [--rounds R] [--output DIR] [-- bench options…]}"
shift
ranks=2; rounds=5; output=""; extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --ranks) ranks="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --output) output="$2"; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        *) echo "compare-summation.sh: unknown option $1" >&2; exit 64 ;;
    esac
done
[ -x "$baseline" ] || { echo "compare-summation.sh: $baseline is not an executable" >&2; exit 64; }
work="${output:-$(mktemp -d)}"
mkdir -p "$work"
bench=(bench --no-gemm --no-separate-wait --steps 200 --repeats 3 "${extra[@]}")
run() {  # name binary round
    TANDEM_BINARY="$2" "$launch_dir/local.sh" "$ranks" "${bench[@]}" --json "$work/$1-$3.json" > "$work/$1-$3.txt" 2>&1
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["images_per_second"]["median"])' "$work/$1-$3.json"
}
echo "round  baseline img/s  candidate img/s  candidate/baseline"
for round in $(seq 1 "$rounds"); do
    a=$(run baseline "$baseline" "$round")
    b=$(run candidate "$TANDEM_BINARY" "$round")
    python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{sys.argv[3]:>5}  {a:14.1f}  {b:15.1f}  {b/a:18.4f}')" "$a" "$b" "$round"
done
python3 - "$work" <<'PY'
import json, glob, statistics, sys
def medians(name):
    return [json.load(open(f))["images_per_second"]["median"] for f in sorted(glob.glob(f"{sys.argv[1]}/{name}-*.json"))]
a, b = medians("baseline"), medians("candidate")
print(f"median over rounds: baseline {statistics.median(a):.1f}, candidate {statistics.median(b):.1f} img/s; "
      f"candidate/baseline {statistics.median(b)/statistics.median(a):.4f} (min {min(b)/max(a):.4f}, max {max(b)/min(a):.4f})")
PY
echo "runs: $work"
