#!/usr/bin/env bash
# A folder of a few thousand pictures as users have them: PNG and JPEG, colour and grey, of mixed sizes,
# one broken file. Checks, with the real binary under mpirun:
#   1. the broken file is named in one line (and --skip-bad-images goes on without it);
#   2. the same parameters sha256 at -np 1, 2 and 3 (the cache is built by the first run only);
#   3. a second run starts from the cache (start-up time, first run against second);
#   4. the ranks of a host share one copy of the cache in the page cache (/proc/PID/smaps of each rank,
#      during training);
#   5. the cache is rebuilt when a picture changes.
#   Launch/picture-folders-check.sh [PYTHON_WITH_PILLOW]   (default /root/.cache/tandem-peer-venv/bin/python)
# Folder under /tmp/tandem-picture-check; Launch/results/picture-folders/check.log holds one run.
set -euo pipefail
source "$(dirname "$0")/mpi-env.sh"
python=${1:-/root/.cache/tandem-peer-venv/bin/python}
work=/tmp/tandem-picture-check
tandem=$TANDEM_BINARY
data=$work/pictures
[ -d "$data" ] || "$python" - "$work" <<'PY'
import io, json, os, sys
import numpy as np
from PIL import Image
work = sys.argv[1]
rng = np.random.default_rng(11)
for label in range(6):
    folder = os.path.join(work, "pictures", f"class{label}")
    os.makedirs(folder, exist_ok=True)
    for index in range(500):
        height, width = (int(value) for value in rng.integers(48, 257, size=2))
        pixels = rng.integers(0, 140, size=(height, width, 3)).astype(np.uint8)
        pixels[:, :, label % 3] += 40 * (1 + label // 3)
        image = Image.fromarray(pixels)
        if index % 4 == 3:
            image = image.convert("L")
        if index % 2:
            image.save(os.path.join(folder, f"{index:04d}.jpg"), quality=90)
        else:
            image.save(os.path.join(folder, f"{index:04d}.png"))
# One broken file: a JPEG cut in half.
with open(os.path.join(work, "pictures", "class2", "0001.jpg"), "rb") as file:
    whole = file.read()
with open(os.path.join(work, "pictures", "class2", "0001.jpg"), "wb") as file:
    file.write(whole[:len(whole) // 2])
model = {"class_name": "Sequential", "config": {"name": "pictures", "layers": [
    {"class_name": "InputLayer", "config": {"batch_shape": [None, 96, 96, 3], "name": "input"}},
    {"class_name": "Rescaling", "config": {"name": "rescaling", "scale": 1 / 255, "offset": 0.0}},
    {"class_name": "Conv2D", "config": {"name": "conv", "filters": 8, "kernel_size": [3, 3], "strides": [2, 2], "activation": "relu"}},
    {"class_name": "MaxPooling2D", "config": {"name": "pool", "pool_size": [2, 2]}},
    {"class_name": "GlobalAveragePooling2D", "config": {"name": "gap"}},
    {"class_name": "Dense", "config": {"name": "dense", "units": 6, "activation": "softmax"}}]}}
with open(os.path.join(work, "model.json"), "w") as file:
    json.dump(model, file)
PY
run=(train --model "$work/model.json" --data "$data" --validation-split 0.2 --seed 3 --epochs 2 --batch-size 32 --verbose 2)
rm -f "$data"/.tandem-pictures-*
echo "folder: $(find "$data" -name '*.png' | wc -l) PNG and $(find "$data" -name '*.jpg' | wc -l) JPEG files in $(ls "$data" | wc -l) class folders, $(du -sh "$data" | cut -f1); $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

echo; echo "== 1. the broken file"
$MPIRUN --oversubscribe -np 2 "$tandem" "${run[@]}" --checkpoint-dir "$work/c0" 2>&1 | grep -E "^tandem:" || true
echo "caches left behind: $(ls -a "$data" | grep -c tandem-pictures || true)"

echo; echo "== 2. the same weights at -np 1, 2 and 3 (--skip-bad-images); the first run decodes, the others map the cache"
for ranks in 3 2 1; do
    rm -rf "$work/c$ranks"
    start=$(date +%s.%N)
    $MPIRUN --oversubscribe -np "$ranks" "$tandem" "${run[@]}" --skip-bad-images --checkpoint-dir "$work/c$ranks" > "$work/np$ranks.log" 2>&1
    echo "-np $ranks: $(grep -E '^  data' "$work/np$ranks.log" | sed 's/^ *data *//')"
    echo "       $(grep 'parameters sha256' "$work/np$ranks.log"), wall $(echo "$(date +%s.%N) - $start" | bc | cut -c1-5) s"
done

echo; echo "== 3. start-up: from launch until training begins (the start-up report's data line), a first run (decoding) against a second (cache)"
since_start() {
    local start; start=$(date +%s.%N)
    $MPIRUN --oversubscribe -np 2 "$tandem" "${run[@]}" --skip-bad-images --checkpoint-dir "$work/s$1" 2>&1 | while IFS= read -r line; do
        if [[ $line == "  data "* ]]; then echo "$(date +%s.%N) - $start" | bc | cut -c1-5; fi
    done
}
for attempt in 1 2 3; do
    rm -f "$data"/.tandem-pictures-* && rm -rf "$work"/s*
    first=$(since_start a); second=$(since_start b)
    echo "attempt $attempt: first run $first s to training, second run $second s"
done

echo; echo "== 4. the cache in the page cache, per rank, during training at -np 2 (/proc/PID/smaps, kB)"
rm -rf "$work/m"
$MPIRUN --oversubscribe -np 2 "$tandem" "${run[@]}" --skip-bad-images --epochs 60 --checkpoint-dir "$work/m" > "$work/memory.log" 2>&1 &
launcher=$!
sleep 6
cache=$(ls "$data"/.tandem-pictures-*.cache)
echo "cache file: $(basename "$cache"), $(($(stat -c %s "$cache") / 1024)) kB"
# Each rank maps the cache's pixels once per split, so Rss counts shared pages twice; Pss divides every
# page among all its mappings: the ranks' Pss together is what the cache costs the host.
total=0
for pid in $(pgrep -f "tandem train --model $work/model.json"); do
    [ "$(readlink -f /proc/$pid/exe)" = "$(readlink -f "$tandem")" ] || continue
    awk -v cache="$cache" -v pid="$pid" '
        /^[0-9a-f]+-[0-9a-f]+ / { inside = ($6 == cache) }
        inside && /^(Rss|Pss|Shared_Clean|Private_Clean|Private_Dirty):/ { sums[$1] += $2 }
        END { printf "rank pid %s, the cache mapping: Rss %d, Pss %d, Shared_Clean %d, Private_Clean %d, Private_Dirty %d\n",
              pid, sums["Rss:"], sums["Pss:"], sums["Shared_Clean:"], sums["Private_Clean:"], sums["Private_Dirty:"] }' "/proc/$pid/smaps"
    total=$((total + $(awk -v cache="$cache" '/^[0-9a-f]+-[0-9a-f]+ / { inside = ($6 == cache) } inside && /^Pss:/ { sum += $2 } END { print sum }' "/proc/$pid/smaps")))
    grep -E "^(Rss|Pss|Private_Dirty):" "/proc/$pid/smaps_rollup" | tr -s ' ' | tr '\n' ' ' | sed "s/^/           whole process: /"; echo
done
echo "the ranks' Pss of the cache together: $total kB (the file: $(($(stat -c %s "$cache") / 1024)) kB)"
kill "$launcher" 2>/dev/null; wait "$launcher" 2>/dev/null || true

echo; echo "== 5. a picture changes: the cache is rebuilt"
touch "$data/class4/0010.png"
rm -rf "$work/r"
$MPIRUN --oversubscribe -np 2 "$tandem" "${run[@]}" --skip-bad-images --checkpoint-dir "$work/r" 2>&1 | grep -E "^  data" | sed 's/^ *data *//'
