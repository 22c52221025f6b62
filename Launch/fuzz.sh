#!/usr/bin/env bash
# Fuzzes every parser of untrusted input with libFuzzer (issue 10): builds `tandem-fuzz` with
# -sanitize=fuzzer,address into .build-fuzz, then runs each target from its seed corpus in Tests/Fuzz.
#
#   Launch/fuzz.sh [--runs N | --seconds S] [TARGET…]     (default: every target, --runs 1000000)
#
# Targets: idx checkpoint model npy npz safetensors picture pictureCache history. New inputs libFuzzer finds go to
# .build-fuzz/corpus/TARGET (the committed seeds stay as they are); a crash leaves its input in
# .build-fuzz/crash-* and the script exits non-zero. Prints each target's executions and time.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=(-runs=1000000)
targets=()
while [ $# -gt 0 ]; do
    case $1 in
        --runs) limit=(-runs="$2"); shift 2 ;;
        --seconds) limit=(-max_total_time="$2"); shift 2 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 64 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(idx checkpoint model npy npz safetensors picture pictureCache history)
swift build -c release --scratch-path .build-fuzz --product tandem-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >&2
binary=$(swift build -c release --scratch-path .build-fuzz --show-bin-path)/tandem-fuzz
mkdir -p .build-fuzz/corpus
for target in "${targets[@]}"; do
    [ -d "Tests/Fuzz/$target" ] || { echo "fuzz.sh: no seed corpus Tests/Fuzz/$target" >&2; exit 64; }
    mkdir -p ".build-fuzz/corpus/$target"
    log=.build-fuzz/$target.log
    start=$(date +%s)
    # Inputs up to 64 KiB (checkpoints and archives need room); no leak detection (the parsers
    # allocate through Foundation, whose caches libFuzzer would report at exit).
    if ! TANDEM_FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=0 "$binary" "${limit[@]}" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
            -artifact_prefix=.build-fuzz/crash-$target- ".build-fuzz/corpus/$target" "Tests/Fuzz/$target" > "$log" 2>&1; then
        echo "fuzz.sh: $target FAILED after $(( $(date +%s) - start )) s; see $log and .build-fuzz/crash-$target-*" >&2
        tail -n 30 "$log" >&2
        exit 1
    fi
    executions=$(grep -o 'Done [0-9]* runs' "$log" | awk '{print $2}')
    echo "fuzz.sh: $target: ${executions:-?} executions in $(( $(date +%s) - start )) s, no crash"
done
