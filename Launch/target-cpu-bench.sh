#!/usr/bin/env bash
# What building for a named CPU buys: the default build (TANDEM_TARGET_CPU, haswell) against a portable
# x86-64 build (.build-x86, SSE2 only for Swift's own loops), side by side, alternating, R rounds of
# `tandem bench` at -np 2 per model; and each binary's parameters sha256 for a short run (the same bits
# are expected: Swift does not contract multiply-adds, and no reduction is reordered).
#   TANDEM_TARGET_CPU=x86-64 swift build -c release --scratch-path .build-x86 --product tandem
#   Launch/target-cpu-bench.sh [--rounds R] [MODEL...]      (default: tutorial fashion-strong mlp)
set -euo pipefail
cd "$(dirname "$0")/.."
source Launch/mpi-env.sh
rounds=3
if [ "${1:-}" = --rounds ]; then rounds=$2; shift 2; fi
models=("${@:-tutorial fashion-strong mlp}")
portable=.build-x86/release/tandem
[ -x "$portable" ] || { echo "target-cpu-bench.sh: build $portable first (see the header)" >&2; exit 1; }
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); flags: $(grep -m1 -o -w -E 'avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
model_argument() { case $1 in tutorial|fashion-strong) echo "$1" ;; *) echo "Launch/models/$1.json" ;; esac; }
for model in ${models[@]}; do
    argument=$(model_argument "$model")
    bench=(bench --model "$argument" --synthetic --limit 4000 --steps 150 --warmup 5 --repeats 3 --no-gemm --no-separate-wait)
    for binary in "$TANDEM_BINARY" "$portable"; do : > "/tmp/target-cpu-$model-$(basename "$(dirname "$(dirname "$binary")")")"; done
    for round in $(seq 1 "$rounds"); do
        for binary in "$TANDEM_BINARY" "$portable"; do
            median=$("$MPIRUN" -np 2 --bind-to core -x OPENBLAS_NUM_THREADS "$binary" "${bench[@]}" | sed -n 's/^  images\/s (all ranks) *min [0-9]* *median \([0-9]*\).*/\1/p')
            echo "$median" >> "/tmp/target-cpu-$model-$(basename "$(dirname "$(dirname "$binary")")")"
        done
    done
    default=$(sort -n "/tmp/target-cpu-$model-.build" | tr '\n' ' ')
    x86=$(sort -n "/tmp/target-cpu-$model-.build-x86" | tr '\n' ' ')
    echo "$model: images/s (median of 3 repeats, each round), default build: $default; x86-64 build: $x86"
    for binary in "$TANDEM_BINARY" "$portable"; do
        digest=$("$MPIRUN" -np 2 -x OPENBLAS_NUM_THREADS "$binary" train --model "$argument" --limit 640 --epochs 1 --seed 3 \
            --no-evaluate-every-epoch --verbose 0 | sed -n 's/^parameters sha256: //p')
        echo "  $(basename "$(dirname "$(dirname "$binary")")") sha256 $digest"
    done
done
