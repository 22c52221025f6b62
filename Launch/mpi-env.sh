# Sourced by the launch scripts: how to call mpirun the same way everywhere.
#   TANDEM_BINARY  the tandem executable (default: .build/release/tandem of this checkout)
#   MPIRUN         the launcher (default: mpirun)
launch_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repository="$(cd "$launch_dir/.." && pwd)"
TANDEM_BINARY="${TANDEM_BINARY:-$repository/.build/release/tandem}"
MPIRUN="${MPIRUN:-mpirun}"

if [ ! -x "$TANDEM_BINARY" ]; then
    echo "$(basename "$0"): $TANDEM_BINARY is missing; build it first: swift build -c release" >&2
    exit 1
fi

# Open MPI refuses to run as root unless told twice (containers, CI machines).
if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# One BLAS thread per rank: ranks are the parallelism; OpenBLAS's own threads would oversubscribe.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
