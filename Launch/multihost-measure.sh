#!/usr/bin/env bash
# Measures what the (simulated) network costs Tandem, with Launch/multihost.sh: the allreduce alone
# over message sizes and training throughput, on 2 hosts × 1 rank at no limit, 1gbit and 100mbit,
# with the references (1 rank alone; 2 ranks on 1 host through shared memory) and 4 hosts × 1 rank at
# 1gbit (oversubscribed on a 2-core machine). Then fits the cost model (Launch/multihost-fit.py).
#   Launch/multihost-measure.sh [OUTPUT_DIR]     (default Launch/results/multihost)
# QUICK=1 runs everything with a few steps only, to check the pipeline (the numbers mean nothing).
# Takes about 4 minutes on a 2-core machine. Tears the setup down at the end (and on failure).
set -euo pipefail
launch_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$launch_dir/mpi-env.sh"
out="${1:-$launch_dir/results/multihost}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
multihost="$launch_dir/multihost.sh"
log="$out/commands.md"

# The default sizes (1 … 262,144 sums, with the tutorial model's 47,092) plus intermediate ones for the fit.
sizes=(1 4 16 64 256 1024 2048 4096 8192 16384 32768 47092 65536 131072 262144)
allreduce_repeats=10
training=(--synthetic --steps 100 --warmup 10 --repeats 3)   # global batch: the default, 32
if [ "${QUICK:-0}" = 1 ]; then
    sizes=(1 1024 47092); allreduce_repeats=2
    training=(--synthetic --steps 5 --warmup 1 --repeats 1 --no-gemm)
fi

trap '"$multihost" down >/dev/null 2>&1 || true' EXIT
{ echo "# Commands run by Launch/multihost-measure.sh"; echo
  echo "$(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) cores, $(uname -r), $("$MPIRUN" --version | head -1), binary $TANDEM_BINARY"; echo; } > "$log"

# run NAME COMMAND…: runs it, its console output to NAME.txt, the command (as typed) to commands.md.
run() {
    local name="$1"; shift
    local typed
    typed="$(printf ' %q' "$@")"; typed="${typed# }"; typed="${typed//$launch_dir\//Launch/}"
    echo "== $name: $typed" >&2
    printf -- '- `%s`\n' "$typed" >> "$log"
    local start=$SECONDS
    if ! "$@" > "$out/$name.txt" 2>&1; then
        echo "   FAILED (see $out/$name.txt)" >&2; printf '  - FAILED\n' >> "$log"; tail -5 "$out/$name.txt" >&2; return 1
    fi
    echo "   $(( SECONDS - start )) s" >&2
}
local_mpirun=("$MPIRUN" -np 2 --bind-to core -x OPENBLAS_NUM_THREADS=1)
eager=(--mca btl_tcp_eager_limit 1048576 --mca btl_tcp_rndv_eager_limit 1048576)

# sweep NAME ALGORITHM LAUNCHER…: `tandem bench allreduce`, one invocation per message size, merged into
# NAME.json (the per-size files stay in raw/). One size per invocation, as for the earlier build whose
# benchmark refilled its whole buffer (sized for the largest message asked) before every call.
mkdir -p "$out/raw"
sweep() {
    local name="$1" algorithm="$2"; shift 2
    local typed size start=$SECONDS
    typed="$(printf ' %q' "$@")"; typed="${typed# }"; typed="${typed//$launch_dir\//Launch/}"
    echo "== $name: for each size: $typed bench allreduce --allreduce $algorithm --sizes SIZE …" >&2
    local line
    line="$(printf -- '- `for size in %s; do %s bench allreduce --allreduce %s --sizes $size --repeats %s --json %s/raw/%s-$size.json; done`' \
        "${sizes[*]}" "$typed" "$algorithm" "$allreduce_repeats" "$out" "$name")"
    echo "${line//$launch_dir\//Launch/}" >> "$log"
    : > "$out/$name.txt"
    for size in "${sizes[@]}"; do
        if ! "$@" bench allreduce --allreduce "$algorithm" --sizes "$size" --repeats "$allreduce_repeats" \
                --json "$out/raw/$name-$size.json" >> "$out/$name.txt" 2>&1; then
            echo "   FAILED at $size sums (see $out/$name.txt)" >&2; printf '  - FAILED\n' >> "$log"; return 1
        fi
    done
    python3 - "$out/$name.json" "${sizes[@]/#/$out/raw/$name-}" <<'PYTHON'
import json, sys
reports = [json.load(open(path + ".json")) for path in sys.argv[2:]]
merged = dict(reports[0], rows=[row for report in reports for row in report["rows"]],
              note="merged from one tandem bench allreduce invocation per size (raw/)")
json.dump(merged, open(sys.argv[1], "w"), indent=2, sort_keys=True)
PYTHON
    echo "   $(( SECONDS - start )) s" >&2
}

# Compute reference: 1 rank alone (the global batch of 32 on one rank, and 16 = one rank's share of
# the 2-rank runs), before and after the rest, to see drift of this shared machine.
run training-1rank "$TANDEM_BINARY" bench "${training[@]}" --batch-size 32 --json "$out/training-1rank.json"
run training-1rank-batch16 "$TANDEM_BINARY" bench "${training[@]}" --batch-size 16 --json "$out/training-1rank-batch16.json"

# 1 host × 2 ranks: plain mpirun in the root namespace, shared memory (vader).
for algorithm in tree mpi; do
    sweep "allreduce-1host-2ranks-$algorithm" "$algorithm" "${local_mpirun[@]}" "$TANDEM_BINARY"
done
run training-1host-2ranks "${local_mpirun[@]}" "$TANDEM_BINARY" bench "${training[@]}" --json "$out/training-1host-2ranks.json"

# 2 hosts × 1 rank, TCP through the bridge.
run up-2 "$multihost" up 2
for rate in none 1gbit 100mbit; do
    label="$rate"; [ "$rate" = none ] && label=unlimited
    run "rate-$label" "$multihost" rate "$rate"
    for algorithm in tree mpi; do
        sweep "allreduce-2hosts-$label-$algorithm" "$algorithm" "$multihost" run 2 --
    done
    if [ "$label" = unlimited ]; then
        # All the sizes in one invocation, to show the buffer-refill overhead described at sweep().
        run allreduce-2hosts-unlimited-tree-one-invocation "$multihost" run 2 -- bench allreduce --sizes "${sizes[@]}" \
            --repeats "$allreduce_repeats" --json "$out/allreduce-2hosts-unlimited-tree-one-invocation.json"
    fi
    run "training-2hosts-$label" "$multihost" run 2 -- bench "${training[@]}" --json "$out/training-2hosts-$label.json"
    # The same with every message up to 1 MB sent eagerly (no rendezvous handshake in Open MPI's TCP
    # transport: its control message otherwise waits in the tbf queue behind the sender's own data).
    sweep "allreduce-2hosts-$label-tree-eager1m" tree "$multihost" run 2 "${eager[@]}" --
    run "training-2hosts-$label-eager1m" "$multihost" run 2 "${eager[@]}" -- bench "${training[@]}" \
        --json "$out/training-2hosts-$label-eager1m.json"
done

# 4 hosts × 1 rank at 1gbit: 4 ranks on 2 cores, oversubscribed (multihost.sh adds mpi_yield_when_idle).
run up-4 "$multihost" up 4 --rate 1gbit
sweep allreduce-4hosts-1gbit-oversubscribed-tree tree "$multihost" run 4 -- || true
run training-4hosts-1gbit-oversubscribed "$multihost" run 4 -- bench "${training[@]}" \
    --json "$out/training-4hosts-1gbit-oversubscribed.json" || true
run down "$multihost" down

run training-1rank-after "$TANDEM_BINARY" bench "${training[@]}" --batch-size 32 --json "$out/training-1rank-after.json"

python3 "$launch_dir/multihost-fit.py" "$out" > "$out/summary.md"
echo "wrote $out/summary.md" >&2
