#!/usr/bin/env bash
# Runs Tandem as N ranks on this machine.
#   Launch/local.sh N [tandem arguments…]     e.g.  Launch/local.sh 2 train --epochs 1
# More ranks than cores is allowed (--oversubscribe, with ranks yielding the CPU while they wait),
# but then the ranks share cores: useful for testing, not for speed.
set -euo pipefail
source "$(dirname "$0")/mpi-env.sh"
ranks="${1:?usage: Launch/local.sh N [tandem arguments…]}"
shift
cores="$(nproc)"
options=(-np "$ranks" -x OPENBLAS_NUM_THREADS)
if [ "$ranks" -gt "$cores" ]; then
    echo "local.sh: $ranks ranks on $cores cores: oversubscribed (throughput will not scale)" >&2
    options+=(--oversubscribe --mca mpi_yield_when_idle 1)
else
    # One core per rank, so ranks do not migrate onto each other's cores.
    options+=(--bind-to core)
fi
exec "$MPIRUN" "${options[@]}" "$TANDEM_BINARY" "${@:-train}"
