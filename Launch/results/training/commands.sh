#!/bin/bash
# The measurement queue behind Docs/performance.md and the README (run on a quiet machine, in order).
# Measurement queue for a quiet machine: run sequentially, nothing else running.
set -u
cd /work/main
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
R=/work/runs/final
mkdir -p $R
B=/work/runs/tandem-final
cp .build/release/tandem $B
uptime > $R/uptime-start.txt
# 1. Tandem bench, 1 and 2 ranks, with the sgemm reference, JSON; start-up with mpirun included.
$B bench --json $R/bench-np1.json > $R/bench-np1.txt 2>&1
TANDEM_LAUNCH_TIME=$(date +%s.%N) mpirun -np 2 --bind-to core -x OPENBLAS_NUM_THREADS -x TANDEM_LAUNCH_TIME $B bench --json $R/bench-np2.json > $R/bench-np2.txt 2>&1
# 2. Keras side by side.
TANDEM_BINARY=$B Launch/compare-keras.sh --steps 300 --warmup 30 --repeats 3 --ranks 2 --output $R/keras > $R/keras.txt 2>&1
# 3. Scaling.
TANDEM_BINARY=$B Launch/scaling.sh --output $R/scaling > $R/scaling.txt 2>&1
# 4. Full trainings: np 2 and np 4 (default recipe), then the three seeds on one process (clean times).
mpirun -np 2 --bind-to core -x OPENBLAS_NUM_THREADS $B train --checkpoint-dir $R/np2 > $R/train-np2.log 2>&1
mpirun -np 4 --oversubscribe --mca mpi_yield_when_idle 1 -x OPENBLAS_NUM_THREADS $B train > $R/train-np4.log 2>&1
for seed in 1 2 3; do $B train --seed $seed > $R/train-np1-seed$seed.log 2>&1; done
uptime > $R/uptime-end.txt
echo done > $R/done
