#!/usr/bin/env bash
# What each vector-kernel level buys (CTandemKernels: portable, AVX2, AVX-512, chosen at load time or
# forced with TANDEM_KERNELS), side by side and alternating: R rounds of `tandem bench` at -np 2 per
# model and level, then each level's parameters sha256 for a short run (one sha256 is expected: the
# levels compute the same IEEE operations in the same order).
#   Launch/kernel-levels-bench.sh [--rounds R] [--baseline BINARY] [MODEL...]   (default: tutorial fashion-strong mlp)
# --baseline adds another build to the rotation, e.g. one of an older commit built in a worktree.
set -euo pipefail
cd "$(dirname "$0")/.."
source Launch/mpi-env.sh
rounds=3 baseline=
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) rounds=$2; shift 2 ;;
        --baseline) baseline=$2; shift 2 ;;
        *) break ;;
    esac
done
models=("${@:-tutorial fashion-strong mlp}")
# The levels this CPU runs, by the flags CTandemKernels checks.
flags=$(grep -m1 '^flags' /proc/cpuinfo)
has() { for flag in "$@"; do grep -qw "$flag" <<< "$flags" || return 1; done; }
levels="$(has avx512f avx512vl avx512bw avx512dq && echo "avx512 ")$(has avx2 && echo "avx2 ")portable"
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); levels this CPU runs: $levels"
model_argument() { case $1 in tutorial|fashion-strong) echo "$1" ;; *) echo "Launch/models/$1.json" ;; esac; }
# One configuration: "level" (this build, forced) or "baseline".
run_bench() {
    local configuration=$1; shift
    local binary=$TANDEM_BINARY
    [ "$configuration" = baseline ] && binary=$baseline
    TANDEM_KERNELS=$([ "$configuration" = baseline ] || echo "$configuration") \
        "$MPIRUN" -np 2 --bind-to core -x OPENBLAS_NUM_THREADS -x TANDEM_KERNELS "$binary" "$@" 2>/dev/null \
        | sed -n 's/^  images\/s (all ranks) *min [0-9]* *median \([0-9]*\).*/\1/p'
}
configurations="$levels${baseline:+ baseline}"
for model in ${models[@]}; do
    argument=$(model_argument "$model")
    bench=(bench --model "$argument" --synthetic --limit 4000 --steps 150 --warmup 5 --repeats 3 --no-gemm --no-separate-wait)
    declare -A results=()
    for round in $(seq 1 "$rounds"); do
        for configuration in $configurations; do
            results[$configuration]+="$(run_bench "$configuration" "${bench[@]}") "
        done
    done
    echo "$model: images/s at -np 2 (median of 3 repeats, one per round)"
    for configuration in $configurations; do
        echo "  $configuration: $(echo ${results[$configuration]} | tr ' ' '\n' | sort -n | tr '\n' ' ')"
    done
    for level in $levels; do
        digest=$(TANDEM_KERNELS=$level "$MPIRUN" -np 2 -x OPENBLAS_NUM_THREADS -x TANDEM_KERNELS "$TANDEM_BINARY" train \
            --model "$argument" --limit 640 --epochs 1 --seed 3 --no-evaluate-every-epoch --verbose 0 | sed -n 's/^parameters sha256: //p')
        echo "  $level sha256 $digest"
    done
    unset results
done
