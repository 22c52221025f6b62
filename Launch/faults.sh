#!/usr/bin/env bash
# The fault campaign (issue 10): real faults done to real ranks, then `--resume auto`, on a subset of
# Fashion-MNIST. For each trial it records how long the job took to end after the fault and whether the
# resumed run finished with the parameters of the uninterrupted run, bit for bit.
#
#   Launch/faults.sh [--ranks "2 4"] [--trials N] [--kinds "kill hang …"] [--output DIR] [--train "ARGS"]
#
# --train adds arguments to every run (e.g. "--micro-batch 4 --threads 2").
#
# Faults, each --trials times at each rank count, at a random moment:
#   kill     SIGKILL of a random rank (a node dying)                    must end in < 10 s
#   hang     SIGSTOP of a random rank (a node hanging; --stall-timeout 3)  must end in < 10 s
#   usr1     SIGUSR1 to mpirun (Slurm's time-limit warning): checkpoint and exit 75
#   term     SIGTERM to mpirun (a preemption)
#   damaged  the run killed once it has two checkpoints, then its newest damaged (a byte flipped) before
#            the resume, which must report it and go on from the one before (a directory whose only
#            checkpoint is damaged is refused instead, by design: see Docs/reliability.md)
#   full     a 1 MiB tmpfs as the checkpoint directory: the disk fills at the second checkpoint (step
#            50), whenever that is (its "seconds to end" count from the moment picked for the others);
#            the resume runs from a copy of what was left, on a disk with room
# Writes DIR/faults.csv and DIR/faults.md (the table in Docs/reliability.md).
set -uo pipefail
cd "$(dirname "$0")/.."
ranks_list="2 4"; trials=2; added=(); kinds="kill hang usr1 term damaged full"; output=Launch/results/faults
while [ $# -gt 0 ]; do
    case $1 in
        --ranks) ranks_list=$2; shift 2 ;;
        --trials) trials=$2; shift 2 ;;
        --kinds) kinds=$2; shift 2 ;;
        --output) output=$2; shift 2 ;;
        --train) read -r -a added <<< "$2"; shift 2 ;;
        *) echo "faults.sh: unknown argument $1" >&2; exit 64 ;;
    esac
done
binary=${TANDEM_BINARY:-.build/release/tandem}
[ -x "$binary" ] || { echo "faults.sh: $binary missing (swift build -c release)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
mkdir -p "$output"
work=$(mktemp -d /tmp/tandem-faults.XXXXXX)
trap 'umount "$work"/full-* 2>/dev/null; rm -rf "$work"' EXIT
# 3,200 images, batch 32: 100 steps an epoch, 3 epochs; a checkpoint every 25 steps.
run=(train --limit 3200 --epochs 3 --no-evaluate-every-epoch --seed 21 --verbose 2 --checkpoint-every 25 --stall-timeout 3)
run+=("${added[@]}")

launch() {  # launch RANKS ARGS... (in the background; sets $job)
    local ranks=$1; shift
    local extra=(); (( ranks > $(nproc) )) && extra=(--oversubscribe --mca mpi_yield_when_idle 1)
    mpirun -np "$ranks" "${extra[@]}" -x OPENBLAS_NUM_THREADS "$binary" "$@" > "$log" 2>&1 &
    job=$!
}
digest() { grep -o 'parameters sha256: [0-9a-f]*' "$1" | tail -1 | awk '{print $3}'; }
now() { date +%s.%N; }

echo "kind,ranks,trial,fault_after_s,seconds_to_end,exit_status,resume_status,identical" > "$output/faults.csv"
for ranks in $ranks_list; do
    log=$work/straight-$ranks.log
    launch "$ranks" "${run[@]}" --checkpoint-dir "$work/straight-$ranks"; wait "$job"
    straight=$(digest "$log")
    [ -n "$straight" ] || { echo "faults.sh: the uninterrupted run at -np $ranks failed (see $log)" >&2; cat "$log" >&2; exit 1; }
    echo "faults.sh: -np $ranks uninterrupted: $straight"
    for kind in $kinds; do
        for trial in $(seq "$trials"); do
            directory=$work/$kind-$ranks-$trial
            mkdir -p "$directory"
            if [ "$kind" = full ]; then mount -t tmpfs -o size=1m tmpfs "$directory"; fi
            log=$work/$kind-$ranks-$trial.log
            launch "$ranks" "${run[@]}" --checkpoint-dir "$directory"
            # A random moment after the first checkpoint (step 25), or the second for "damaged".
            wanted=1; [ "$kind" = damaged ] && wanted=2
            for _ in $(seq 1200); do
                (( $(ls "$directory" 2>/dev/null | grep -c '\.ckpt$') >= wanted )) && break; sleep 0.05
            done
            delay=$(awk -v seed="$RANDOM" 'BEGIN { srand(seed); printf "%.2f", 0.2 + rand() * 1.5 }')
            sleep "$delay"
            pids=($(pgrep -P "$job" -f "$binary"))
            victim=""
            [ ${#pids[@]} -gt 0 ] && victim=${pids[RANDOM % ${#pids[@]}]}
            fault_at=$(now)
            case $kind in
                kill|damaged) kill -KILL "$victim" ;;
                hang) kill -STOP "$victim" ;;
                usr1) kill -USR1 "$job" ;;
                term) kill -TERM "$job" ;;
                full) ;;   # the disk fills by itself
            esac
            wait "$job"; status=$?
            ended=$(awk -v a="$fault_at" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
            [ -n "$victim" ] && { kill -CONT "$victim" 2>/dev/null; kill -KILL "$victim" 2>/dev/null; }
            resume_dir=$directory
            if [ "$kind" = full ]; then
                resume_dir=$work/$kind-$ranks-$trial-copy; cp -r "$directory" "$resume_dir"; umount "$directory"
            fi
            if [ "$kind" = damaged ]; then
                newest=$(ls "$resume_dir"/*.ckpt | sort -V | tail -1)
                python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=0x40; open(p,'wb').write(b)" "$newest"
            fi
            log=$work/$kind-$ranks-$trial-resume.log
            launch "$ranks" "${run[@]}" --checkpoint-dir "$resume_dir" --resume auto; wait "$job"; resume_status=$?
            identical=no; [ "$(digest "$log")" = "$straight" ] && identical=yes
            echo "$kind,$ranks,$trial,$delay,$ended,$status,$resume_status,$identical" >> "$output/faults.csv"
            echo "faults.sh: $kind -np $ranks trial $trial: ended ${ended}s after the fault (exit $status); resumed: exit $resume_status, identical: $identical"
        done
    done
done
python3 - "$output" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(f"{sys.argv[1]}/faults.csv")))
lines = ["| fault | ranks | trials | seconds to end (min–max) | exit status | resumed to identical weights |", "|---|---:|---:|---|---|---|"]
for kind in ["kill", "hang", "usr1", "term", "damaged", "full"]:
    for ranks in sorted({r["ranks"] for r in rows}, key=int):
        group = [r for r in rows if r["kind"] == kind and r["ranks"] == ranks]
        if not group: continue
        seconds = [float(r["seconds_to_end"]) for r in group]
        statuses = ", ".join(sorted({r["exit_status"] for r in group}))
        identical = sum(r["identical"] == "yes" and r["resume_status"] == "0" for r in group)
        lines.append(f"| {kind} | {ranks} | {len(group)} | {min(seconds):.2f}–{max(seconds):.2f} | {statuses} | {identical} of {len(group)} |")
open(f"{sys.argv[1]}/faults.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
