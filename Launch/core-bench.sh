#!/usr/bin/env bash
# The batched core's measurements (issue 15), for each benchmark model at its default micro-batch:
#   - `tandem bench` at -np 2 (the step split by phase, peak RSS) and at -np 1 --threads 2, alternating,
#     R rounds of each, so that the machine's drift hits both alike;
#   - where the compute goes: `perf record` of rank 0 at -np 2, by library (GEMMs: libxsmm's generated
#     kernels, shown as [JIT], and OpenBLAS) and by function (the rest: transforms, element-wise layers);
#   - one parameters sha256 for a short `tandem train` at -np 1, 2, 3 and -np 1 --threads 2.
#
#   Launch/core-bench.sh [--rounds R] [--output DIR] [MODEL...]      (default: tutorial fashion-strong mlp vgg11)
#
# Synthetic images of each model's input shape (`tandem bench --synthetic`); the training runs for the
# digests use Fashion-MNIST (28x28x1 models) or the 32x32x3 .npz test fixture (the VGG-style model).
set -euo pipefail
cd "$(dirname "$0")/.."
source Launch/mpi-env.sh
rounds=3; output=Launch/results/batched-core/bench
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) rounds=$2; shift 2 ;;
        --output) output=$2; shift 2 ;;
        -*) echo "core-bench.sh: unknown option $1" >&2; exit 64 ;;
        *) break ;;
    esac
done
models=("${@:-tutorial fashion-strong mlp vgg11}")
skip_bench=${SKIP_BENCH:-0}   # 1: only the profiles and digests (the bench JSON is already there)
mkdir -p "$output"
model_argument() { case $1 in tutorial|fashion-strong) echo "$1" ;; *) echo "Launch/models/$1.json" ;; esac; }
for model in ${models[@]}; do
    argument=$(model_argument "$model")
    steps=200; limit=4000; train=(--limit 640)
    if [ "$model" = vgg11 ]; then steps=20; limit=2000; train=(--limit 96 --data Tests/Fixtures/npz/colour-uint8.npz); fi
    bench=(bench --model "$argument" --synthetic --limit $limit --steps $steps --warmup 5 --repeats 3 --no-gemm --no-separate-wait)
    for round in $( [ "$skip_bench" = 1 ] || seq 1 "$rounds"); do
        "$MPIRUN" -np 2 --bind-to core -x OPENBLAS_NUM_THREADS "$TANDEM_BINARY" "${bench[@]}" \
            --json "$output/$model-np2-$round.json" > "$output/$model-np2-$round.txt"
        "$MPIRUN" -np 1 --bind-to none -x OPENBLAS_NUM_THREADS "$TANDEM_BINARY" "${bench[@]}" --threads 2 \
            --json "$output/$model-np1-threads2-$round.json" > "$output/$model-np1-threads2-$round.txt"
    done
    "$MPIRUN" -np 2 --bind-to core -x OPENBLAS_NUM_THREADS bash -c \
        'if [ "$OMPI_COMM_WORLD_RANK" = 0 ]; then exec perf record -q -o "$0" "$@"; else exec "$@"; fi' \
        "$output/$model.perf" "$TANDEM_BINARY" "${bench[@]}" > /dev/null 2>&1
    # (head closes the pipe early: not a failure)
    { perf report -i "$output/$model.perf" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -8 || true
      perf report -i "$output/$model.perf" --no-children --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -25 || true; } > "$output/$model-profile.txt"
    rm -f "$output/$model.perf"
    digests=()
    for launch in "-np 1" "-np 2" "-np 3 --oversubscribe" "-np 1 --threads 2"; do
        set -- $launch
        threads=(); [ "${3:-}" = --threads ] && threads=(--threads 2)
        ranks=(-np "$2"); [ "${3:-}" = --oversubscribe ] && ranks+=(--oversubscribe --mca mpi_yield_when_idle 1)
        digest=$("$MPIRUN" "${ranks[@]}" -x OPENBLAS_NUM_THREADS "$TANDEM_BINARY" train --model "$argument" "${train[@]}" --epochs 1 \
            --seed 3 --no-evaluate-every-epoch --verbose 0 "${threads[@]}" | sed -n 's/^parameters sha256: //p')
        echo "$launch: $digest" >> "$output/$model-digests.txt"
        digests+=("$digest")
    done
    echo "$model: $(printf '%s\n' "${digests[@]}" | sort -u | wc -l) distinct digest(s) over -np 1, 2, 3 and -np 1 --threads 2"
done
