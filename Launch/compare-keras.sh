#!/usr/bin/env bash
# Peer comparison: Keras/TensorFlow and Tandem training the same model (the Keras tutorial CNN, or any
# model: --model NAME|FILE.json, a built-in's JSON taken from Models/), on the same data (Fashion-MNIST,
# or with --synthetic random images of the model's input shape), batch and step counts, on this machine. A benchmark, not a test: it prints images/s for
# both, the ratio tandem/keras, peak RSS and the exact commands, and writes them to --output.
#
#   Launch/compare-keras.sh [--steps S] [--warmup W] [--repeats R] [--ranks N] [--output DIR]
#
# Each repeat is one fresh process per framework, run alternately (keras, tandem, keras, tandem, ...)
# so that slow drifts of the machine hit both alike; each process runs W untimed warm-up steps, then
# S timed steps. Keras runs Launch/keras_peer.py in a venv with tensorflow-cpu 2.21.0 (created if
# missing; $TANDEM_PEER_VENV, default $HOME/.cache/tandem-peer-venv) with --ranks intra-op threads;
# Tandem runs `mpirun -np N tandem bench`, one thread per rank, one rank per core.
#
# Fair to the peer: before the measured runs, a short tuning phase tries each Keras thread setting of
# --keras-threads (default "N:1,N:2", intra-op:inter-op) twice, alternately, and keeps the fastest;
# name a single setting to skip it. Keras runs train_on_batch in a loop, its fastest mode here (see
# keras_peer.py). Tandem runs with --no-gemm (the sgemm reference is not needed here) and
# --no-separate-wait (no extra barrier per step: the step `tandem train` runs).
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$script_dir/.." && pwd)

steps=300
warmup=30
repeats=3
ranks=2
batch=32
output=""
data=/usr/share/datasets/fashion-mnist
keras_threads=""
keras_mode=train_on_batch
tune_steps=""
bind=core
model=tutorial
optimizer=adam
synthetic=0
threads=1
tandem=${TANDEM_BINARY:-$repo/.build/release/tandem}
venv=${TANDEM_PEER_VENV:-$HOME/.cache/tandem-peer-venv}
tensorflow_version=2.21.0

usage() {
    cat <<EOF
Usage: Launch/compare-keras.sh [--steps S] [--warmup W] [--repeats R] [--ranks N] [--output DIR]
                               [--batch-size B] [--data DIR] [--keras-threads LIST] [--keras-mode MODE]
                               [--tune-steps T] [--bind core|none]

Measures Keras/TensorFlow and Tandem side by side: the Keras tutorial CNN, batch B, S timed steps after
W warm-up steps, R alternating runs of each (one process per run). Prints images/s, the ratio
tandem/keras and peak RSS, and writes JSON files and results.md into DIR.

  --steps S            timed steps per run (default $steps)
  --warmup W           untimed warm-up steps per run (default $warmup)
  --repeats R          runs of each framework, alternating (default $repeats)
  --ranks N            Tandem MPI ranks, one thread each; Keras gets N intra-op threads (default $ranks)
  --output DIR         where the JSON, logs and results.md go (default: a new directory under /tmp)
  --batch-size B       global batch (default $batch)
  --data DIR           Fashion-MNIST IDX files (default $data)
  --keras-threads LIST Keras thread settings to try, intra-op:inter-op, comma-separated; the fastest in
                       a short tuning phase is used; one setting skips tuning (default "N:1,N:2")
  --keras-mode MODE    train_on_batch (default) or fit, see Launch/keras_peer.py
  --tune-steps T       timed steps per tuning run (default: S, at most 100)
  --bind core|none     mpirun --bind-to for Tandem (default core)
  --model NAME|FILE    a built-in model (tutorial, fashion-strong: Models/NAME.json for Keras) or a Keras
                       JSON file (default tutorial)
  --optimizer KIND     adam or adamw, for both frameworks (default adam)
  --synthetic N        both train on N random images of the model's input shape (random labels) instead of
                       Fashion-MNIST: for models of other shapes, and to leave data loading out (default: off)
  --threads T          Tandem threads per rank (default 1; the comparison's ranks x threads stay within the cores)

Environment: TANDEM_PEER_VENV (default \$HOME/.cache/tandem-peer-venv), TANDEM_BINARY (default
.build/release/tandem, built with 'swift build -c release' if missing).
EOF
}

fail() { echo "compare-keras: error: $*" >&2; exit 1; }
note() { echo "compare-keras: $*" >&2; }

need_value() { [[ $# -ge 2 && -n $2 ]] || fail "$1 needs a value (see --help)"; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --steps) need_value "$@"; steps=$2; shift 2 ;;
        --warmup) need_value "$@"; warmup=$2; shift 2 ;;
        --repeats) need_value "$@"; repeats=$2; shift 2 ;;
        --ranks) need_value "$@"; ranks=$2; shift 2 ;;
        --output) need_value "$@"; output=$2; shift 2 ;;
        --batch-size) need_value "$@"; batch=$2; shift 2 ;;
        --data) need_value "$@"; data=$2; shift 2 ;;
        --keras-threads) need_value "$@"; keras_threads=$2; shift 2 ;;
        --keras-mode) need_value "$@"; keras_mode=$2; shift 2 ;;
        --tune-steps) need_value "$@"; tune_steps=$2; shift 2 ;;
        --bind) need_value "$@"; bind=$2; shift 2 ;;
        --model) need_value "$@"; model=$2; shift 2 ;;
        --optimizer) need_value "$@"; optimizer=$2; shift 2 ;;
        --synthetic) need_value "$@"; synthetic=$2; shift 2 ;;
        --threads) need_value "$@"; threads=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) fail "unknown argument '$1' (see --help)" ;;
    esac
done

is_count() { [[ $1 =~ ^[0-9]+$ ]] && (( 10#$1 >= $2 )); }
is_count "$steps" 1 || fail "--steps must be a whole number of at least 1, not '$steps'"
is_count "$warmup" 0 || fail "--warmup must be a whole number of at least 0, not '$warmup'"
is_count "$repeats" 1 || fail "--repeats must be a whole number of at least 1, not '$repeats'"
is_count "$ranks" 1 || fail "--ranks must be a whole number of at least 1, not '$ranks'"
is_count "$batch" 1 || fail "--batch-size must be a whole number of at least 1, not '$batch'"
(( batch % ranks == 0 )) || fail "--batch-size $batch does not divide across $ranks ranks"
[[ -z $tune_steps ]] && tune_steps=$(( steps < 100 ? steps : 100 ))
is_count "$tune_steps" 1 || fail "--tune-steps must be a whole number of at least 1, not '$tune_steps'"
[[ $keras_mode == train_on_batch || $keras_mode == fit ]] || fail "--keras-mode must be train_on_batch or fit, not '$keras_mode'"
[[ $bind == core || $bind == none ]] || fail "--bind must be core or none, not '$bind'"
[[ $optimizer == adam || $optimizer == adamw ]] || fail "--optimizer must be adam or adamw, not '$optimizer'"
is_count "$synthetic" 0 || fail "--synthetic must be a whole number of images, not '$synthetic'"
(( synthetic == 0 || synthetic >= batch )) || fail "--synthetic $synthetic holds fewer images than one batch of $batch"
is_count "$threads" 1 || fail "--threads must be a whole number of at least 1, not '$threads'"
# Keras builds the tutorial itself (keras_common.build_model); any other model from its JSON.
keras_model=()
if [[ $model != tutorial ]]; then
    model_json=$model
    [[ -f $model_json ]] || model_json=$repo/Models/$model.json
    [[ -f $model_json ]] || fail "--model $model: no such file, and no Models/$model.json"
    keras_model=(--model-json "$model_json" --optimizer "$optimizer")
fi
[[ -z $keras_threads ]] && keras_threads="$ranks:1,$ranks:2"
IFS=',' read -r -a thread_settings <<< "$keras_threads"
for setting in "${thread_settings[@]}"; do
    [[ $setting =~ ^[0-9]+:[0-9]+$ ]] || fail "--keras-threads: '$setting' is not intra-op:inter-op (e.g. 2:1)"
done

cores=$(nproc)
(( ranks * threads <= cores )) || fail "--ranks $ranks x --threads $threads exceeds this machine's $cores cores; the comparison gives each thread a core"
if (( synthetic == 0 )); then
    for file in train-images-idx3-ubyte train-labels-idx1-ubyte; do
        [[ -f $data/$file.gz || -f $data/$file ]] || fail "$data/$file.gz not found (Fashion-MNIST IDX files; pass --data DIR, or --synthetic N)"
    done
fi
keras_data=(--data "$data")
tandem_data=(--data "$data")
if (( synthetic > 0 )); then
    keras_data=(--synthetic "$synthetic")
    tandem_data=(--synthetic --limit "$synthetic")
fi
# With threads, one rank spans several cores: bind each to as many.
(( threads > 1 )) && [[ $bind == core ]] && bind="core --map-by slot:PE=$threads"
command -v mpirun >/dev/null || fail "mpirun not found (install Open MPI)"

if [[ ! -x $tandem ]]; then
    [[ -z ${TANDEM_BINARY:-} ]] || fail "TANDEM_BINARY=$tandem is not an executable"
    command -v swift >/dev/null || fail "$tandem is missing and swift is not installed to build it"
    note "building Tandem: (cd $repo && swift build -c release)"
    (cd "$repo" && swift build -c release) || fail "swift build -c release failed in $repo"
    [[ -x $tandem ]] || fail "the build did not produce $tandem"
fi

if [[ -z $output ]]; then
    output=$(mktemp -d /tmp/tandem-vs-keras.XXXXXX)
else
    mkdir -p "$output" || fail "cannot create --output $output"
    [[ -z $(ls -A "$output") ]] || fail "--output $output is not empty; name a new or empty directory"
fi
output=$(cd "$output" && pwd)
commands_file=$output/commands.txt
: > "$commands_file"

# Runs a command, records it in commands.txt, and sends its output to a log; on failure shows the log.
run_logged() {
    local log=$1; shift
    printf '%q ' "$@" | sed 's/ $//' >> "$commands_file"
    echo >> "$commands_file"
    local status=0
    "$@" > "$log" 2>&1 || status=$?
    if (( status != 0 )); then
        echo "compare-keras: error: this command failed (exit $status):" >&2
        printf ' %q' "$@" >&2; echo >&2
        echo "--- last lines of $log:" >&2
        tail -n 25 "$log" >&2
        exit 1
    fi
}

# The Keras venv: create it and install TensorFlow if missing or not the pinned version.
python_bin=$venv/bin/python
venv_ready() {
    [[ -x $python_bin ]] && "$python_bin" - "$tensorflow_version" > /dev/null 2>&1 <<'EOF'
import importlib.metadata, sys
sys.exit(0 if importlib.metadata.version("tensorflow-cpu") == sys.argv[1] else 1)
EOF
}
if ! venv_ready; then
    command -v python3 >/dev/null || fail "python3 not found; it is needed to create the venv $venv"
    if [[ ! -x $python_bin ]]; then
        note "creating the venv $venv (if this fails on Debian/Ubuntu: apt-get install python3-venv)"
        run_logged "$output/venv-create.log" python3 -m venv "$venv"
    fi
    note "installing tensorflow-cpu==$tensorflow_version into $venv (needs PyPI; several minutes)"
    run_logged "$output/venv-pip.log" "$python_bin" -m pip install --disable-pip-version-check "tensorflow-cpu==$tensorflow_version"
    venv_ready || fail "tensorflow-cpu $tensorflow_version is still not importable from $python_bin (see $output/venv-pip.log)"
fi

keras_run() {  # keras_run NAME STEPS INTRA INTER
    run_logged "$output/$1.log" "$python_bin" "$script_dir/keras_peer.py" --steps "$2" --warmup "$warmup" \
        --repeats 1 --batch-size "$batch" "${keras_data[@]}" --intra-op "$3" --inter-op "$4" --mode "$keras_mode" \
        "${keras_model[@]}" --json "$output/$1.json"
}
tandem_run() {  # tandem_run NAME
    run_logged "$output/$1.log" env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
        mpirun -np "$ranks" --bind-to $bind -x OPENBLAS_NUM_THREADS=1 \
        "$tandem" bench --steps "$steps" --warmup "$warmup" --repeats 1 --batch-size "$batch" "${tandem_data[@]}" \
        --model "$model" --optimizer "$optimizer" --threads "$threads" --no-gemm --no-separate-wait --json "$output/$1.json"
}
ips() { "$python_bin" -c 'import json, sys; print(round(json.load(open(sys.argv[1]))["images_per_second"]["median"], 1))' "$1"; }

read -r load_before _ < /proc/loadavg
if awk -v load="$load_before" 'BEGIN { exit !(load >= 0.5) }'; then
    note "warning: load average $load_before: something else is running, so both frameworks' numbers will be noisy and low"
fi
note "output: $output"

# Tuning: each Keras thread setting twice, the second round in reverse order; the best mean wins.
if (( ${#thread_settings[@]} > 1 )); then
    note "tuning Keras threads over ${thread_settings[*]} ($tune_steps timed steps each, 2 rounds)"
    order=("${thread_settings[@]}")
    for round in 1 2; do
        for setting in "${order[@]}"; do
            name=tune-keras-${setting/:/x}-$round
            keras_run "$name" "$tune_steps" "${setting%%:*}" "${setting##*:}"
            note "  intra:inter $setting round $round: $(ips "$output/$name.json") images/s"
        done
        reversed=(); for (( i=${#order[@]}-1; i>=0; i-- )); do reversed+=("${order[i]}"); done
        order=("${reversed[@]}")
    done
    chosen=$("$python_bin" - "$output" "${thread_settings[@]}" <<'EOF'
import json, sys
directory, settings = sys.argv[1], sys.argv[2:]
def rate(setting, round):
    name = f"{directory}/tune-keras-{setting.replace(':', 'x')}-{round}.json"
    return json.load(open(name))["images_per_second"]["median"]
print(max(settings, key=lambda s: (rate(s, 1) + rate(s, 2)) / 2))
EOF
)
else
    chosen=${thread_settings[0]}
fi
intra=${chosen%%:*}
inter=${chosen##*:}
note "Keras threads: intra-op $intra, inter-op $inter"

for (( run=1; run<=repeats; run++ )); do
    keras_run "keras-$run" "$steps" "$intra" "$inter"
    note "run $run/$repeats: keras  $(ips "$output/keras-$run.json") images/s"
    tandem_run "tandem-$run"
    note "run $run/$repeats: tandem $(ips "$output/tandem-$run.json") images/s"
done
read -r load_after _ < /proc/loadavg

"$python_bin" - "$output" "$repeats" "$chosen" "$(IFS=,; echo "${thread_settings[*]}")" "$load_before" "$load_after" "$bind" <<'EOF' | tee "$output/results.md"
import datetime, json, platform, socket, sys

directory, repeats, chosen, candidates, load_before, load_after, bind = sys.argv[1:]
repeats = int(repeats)
keras = [json.load(open(f"{directory}/keras-{i}.json")) for i in range(1, repeats + 1)]
tandem = [json.load(open(f"{directory}/tandem-{i}.json")) for i in range(1, repeats + 1)]

def statistics(values):
    ordered = sorted(values)
    n = len(ordered)
    median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    return {"min": ordered[0], "median": median, "max": ordered[-1]}

keras_ips = statistics([r["images_per_second"]["median"] for r in keras])
tandem_ips = statistics([r["images_per_second"]["median"] for r in tandem])
mb = lambda b: f"{b / 1048576:.1f} MB"
keras_rss = max(r["peak_resident_bytes"] for r in keras)
tandem_rank_rss = max(max(r["peak_resident_bytes_per_rank"]) for r in tandem)
tandem_total_rss = max(sum(r["peak_resident_bytes_per_rank"]) for r in tandem)
k, t = keras[0], tandem[0]

print(f"# Tandem vs Keras/TensorFlow: training throughput")
print()
print(f"{datetime.datetime.now().isoformat(timespec='seconds')} on {socket.gethostname()}: {t['processor']}, "
      f"{t['cores_on_host']} cores; load average {load_before} before, {load_after} after.")
print()
print(f"Model {k['model']} ({k['parameters']:,} parameters) on {'Fashion-MNIST' if not k['data'].startswith('synthetic') else k['data'] + ' of its input shape'}, global batch {t['global_batch']}; "
      f"each run {t['warmup_steps']} untimed warm-up steps, then {t['steps']} timed steps; "
      f"{repeats} run{'s' if repeats != 1 else ''} of each, alternating keras, tandem, keras, ... "
      f"(one process per run).")
print()
print(f"- Keras {k['keras_version']} / TensorFlow {k['tensorflow_version']} (CPU, oneDNN {k['onednn_opts']}), "
      f"mode {k['mode']}, intra-op {k['intra_op_threads']} / inter-op {k['inter_op_threads']} threads"
      + (f" (fastest of {candidates} in the tuning runs)" if "," in candidates else "") + ".")
if "," in candidates:
    def tuned(setting, round):
        name = f"{directory}/tune-keras-{setting.replace(':', 'x')}-{round}.json"
        return f"{json.load(open(name))['images_per_second']['median']:.0f}"
    print("  Tuning runs (images/s, round 1 / round 2, " f"{k['warmup_steps']} warm-up steps each): "
          + "; ".join(f"intra:inter {s} {tuned(s, 1)} / {tuned(s, 2)}" for s in candidates.split(",")) + ".")
print(f"- Tandem: {t['ranks']} MPI ranks x {t['threads_per_rank']} thread{'s' if t['threads_per_rank'] != 1 else ''} (OpenBLAS {t['blas_core']}), "
      f"micro-batches of {t['micro_batch']}, --bind-to {bind}, allreduce {t['allreduce']}, "
      f"convolution {'+'.join(sorted(set(t['convolution']))) or 'none'}.")
print()
print("| | Keras | Tandem |")
print("|---|---:|---:|")
for key in ("min", "median", "max"):
    print(f"| images/s {key} | {keras_ips[key]:.0f} | {tandem_ips[key]:.0f} |")
print(f"| ms per step (median) | {1000 * k['global_batch'] / keras_ips['median']:.2f} | "
      f"{1000 * t['global_batch'] / tandem_ips['median']:.2f} |")
print(f"| peak RSS | {mb(keras_rss)} (1 process) | {mb(tandem_rank_rss)} per rank, {mb(tandem_total_rss)} in all |")
print()
print(f"**Ratio tandem/keras: {tandem_ips['median'] / keras_ips['median']:.2f}x median over median, "
      f"{tandem_ips['min'] / keras_ips['min']:.2f}x min over min.**")
print()
print("| run | Keras images/s | Tandem images/s |")
print("|---:|---:|---:|")
for i, (a, b) in enumerate(zip(keras, tandem), 1):
    print(f"| {i} | {a['images_per_second']['median']:.1f} | {b['images_per_second']['median']:.1f} |")
print()
print("Commands run, in order (also in commands.txt; JSON and logs beside this file):")
print()
print("```")
print(open(f"{directory}/commands.txt").read().rstrip())
print("```")
EOF
note "wrote $output/results.md"
