#!/usr/bin/env bash
# Launch/slurm.sbatch against a real Slurm (the one-node Slurm of ../shared/slurm-local.sh, or any
# cluster): a job whose time limit comes while it trains. Slurm sends SIGUSR1 90 s before the limit
# (--signal=B:USR1@90), the script passes it to the ranks through srun, tandem checkpoints and exits
# with 75, the script requeues the job, and the job's second run continues with --resume auto to the
# end. Checks that the job ran twice, that the first run stopped at a checkpoint and that the final
# weights are those of an uninterrupted run with the same settings (`mpirun` here, for reference).
#
#   Launch/slurm-check.sh [OUTPUT_DIR]        (default Launch/results/slurm)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-Launch/results/slurm}
mkdir -p "$out"
work=$(mktemp -d /tmp/tandem-slurm.XXXXXX)
# Two epochs of the full training set take longer than the 30 s the 2-minute limit leaves before the
# signal, so the signal arrives during training.
settings=(--epochs 2 --seed 5 --checkpoint-every 200 --verbose 2)

echo "slurm-check: uninterrupted reference run (mpirun -np 2)"
Launch/local.sh 2 train "${settings[@]}" --checkpoint-dir "$work/reference" > "$work/reference.log" 2>&1
reference=$(grep -o 'parameters sha256: [0-9a-f]*' "$work/reference.log" | tail -1 | awk '{print $3}')

job=$(TANDEM_CHECKPOINT_DIR="$work/checkpoints" sbatch --parsable --nodes=1 --ntasks-per-node=2 --time=2 \
      --output="$work/job-%j.out" --export=ALL Launch/slurm.sbatch "${settings[@]}")
echo "slurm-check: submitted job $job (time limit 2 minutes, SIGUSR1 at 90 s before it)"
started=$(date +%s)
while true; do
    state=$(sacct -j "$job" -X -n -o State 2>/dev/null | head -1 | tr -d ' ' || true)
    [ -z "$state" ] && state=$(squeue -h -j "$job" -o %T 2>/dev/null || true)
    if grep -q 'parameters sha256' "$work/job-$job.out" 2>/dev/null && ! squeue -h -j "$job" 2>/dev/null | grep -q .; then break; fi
    (( $(date +%s) - started > 600 )) && { echo "slurm-check: job $job did not finish in 10 minutes" >&2; scancel "$job"; break; }
    sleep 5
done
cp "$work/job-$job.out" "$out/job.out"
final=$(grep -o 'parameters sha256: [0-9a-f]*' "$work/job-$job.out" | tail -1 | awk '{print $3}')
restarts=$(scontrol show job "$job" 2>/dev/null | grep -o 'Restarts=[0-9]*' || sacct -j "$job" -D -X -n -o JobID | wc -l)
{
    echo "slurm-check: $(date -u +%FT%TZ), $(sinfo --version)"
    echo "job $job: $restarts"
    grep -E 'slurm.sbatch:|Stopped by|resuming|^Epoch|parameters sha256' "$out/job.out" || true
    echo "reference (mpirun -np 2, uninterrupted): $reference"
    echo "final (Slurm, stopped and requeued):     $final"
    [ -n "$final" ] && [ "$final" = "$reference" ] && echo "identical: yes" || echo "identical: no"
} | tee "$out/summary.txt"
rm -rf "$work"
