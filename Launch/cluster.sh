#!/usr/bin/env bash
# Runs Tandem across the hosts of a hostfile (see hostfile.example at the top of the repository).
#   Launch/cluster.sh HOSTFILE N [tandem arguments…]
# Every host needs: the same tandem binary at the same path (or TANDEM_BINARY pointing at it),
# Open MPI, OpenBLAS and the dataset (/usr/share/datasets/fashion-mnist, or pass --data with a path
# valid on every host), and password-less ssh from this host. Checkpoints are written by rank 0 only,
# on rank 0's host.
set -euo pipefail
source "$(dirname "$0")/mpi-env.sh"
hostfile="${1:?usage: Launch/cluster.sh HOSTFILE N [tandem arguments…]}"
ranks="${2:?usage: Launch/cluster.sh HOSTFILE N [tandem arguments…]}"
shift 2
[ -r "$hostfile" ] || { echo "cluster.sh: cannot read hostfile $hostfile" >&2; exit 1; }
# --map-by slot fills each host's slots in order, so consecutive ranks (partners in the first,
# largest-volume steps of the tree allreduce) share a host. -x exports the variables to remote ranks.
# Over TCP, Open MPI sends messages above its eager limit (64 KB) with a rendezvous handshake whose
# acknowledgement queues behind the partner's own data: on the simulated 1 Gbit/s link the 188 KB
# gradient allreduce took 2.3 ms with it and 1.6 ms (line rate) with a 1 MB eager limit
# (Docs/scaling.md). The setting only concerns the TCP transport.
exec "$MPIRUN" --hostfile "$hostfile" -np "$ranks" --map-by slot --bind-to core \
    --mca btl_tcp_eager_limit 1048576 --mca btl_tcp_rndv_eager_limit 1048576 \
    -x OPENBLAS_NUM_THREADS -x PATH -x LD_LIBRARY_PATH \
    "$TANDEM_BINARY" "${@:-train}"
