#!/usr/bin/env bash
# Decoding a folder of pictures: Tandem's first run (decodes into the cache, every rank a share) and
# second run (maps the cache) at -np 1 and 2, against one pass of Keras's image_dataset_from_directory
# over the same folder with 2 threads (Keras decodes every epoch; Tandem once).
#   Launch/picture-folders-bench.sh [KERAS_PYTHON]      (default /root/.cache/tandem-peer-venv/bin/python)
# 5,000 random 200x150 RGB JPEGs in 5 class folders under /tmp/tandem-picture-bench; results on stdout
# (Launch/results/picture-folders/decode.log holds one run).
set -euo pipefail
source "$(dirname "$0")/mpi-env.sh"
python=${1:-/root/.cache/tandem-peer-venv/bin/python}
work=/tmp/tandem-picture-bench
tandem="$(dirname "$0")/../.build/release/tandem"
[ -d "$work/pictures" ] || "$python" - "$work" <<'PY'
import os, sys, numpy as np, tensorflow as tf, keras
work = sys.argv[1]
rng = np.random.default_rng(5)
for label in range(5):
    folder = os.path.join(work, "pictures", f"class{label}")
    os.makedirs(folder, exist_ok=True)
    for index in range(1000):
        pixels = rng.integers(0, 150, size=(150, 200, 3)).astype(np.uint8)
        pixels[:, :, label % 3] += 100
        tf.io.write_file(os.path.join(folder, f"{index:04d}.jpg"), tf.io.encode_jpeg(pixels, quality=90))
inputs = keras.Input((64, 64, 3))
x = keras.layers.Rescaling(1 / 255)(inputs)
x = keras.layers.Conv2D(16, 3, strides=2, activation="relu")(x)
x = keras.layers.GlobalAveragePooling2D()(x)
open(os.path.join(work, "model.json"), "w").write(keras.Model(inputs, keras.layers.Dense(5)(x)).to_json())
PY
run="train --model $work/model.json --data $work/pictures --validation-split 0.2 --epochs 1 --verbose 2 --checkpoint-dir $work/checkpoints"
for ranks in 1 2 1 2; do
    rm -f "$work"/pictures/.tandem-pictures-* && rm -rf "$work/checkpoints"
    echo "\$ mpirun -np $ranks tandem $run   (first run: decodes)"
    /usr/bin/time -f "wall %e s" mpirun --oversubscribe -np "$ranks" "$tandem" $run 2>&1 | grep -E "^  data|Decoding pictures: 100|wall"
    rm -rf "$work/checkpoints"
    echo "\$ the same   (second run: maps the cache)"
    /usr/bin/time -f "wall %e s" mpirun --oversubscribe -np "$ranks" "$tandem" $run 2>&1 | grep -E "^  data|wall"
done
"$python" - "$work" <<'PY' 2>&1 | grep Keras
import sys, time, tensorflow as tf, keras
tf.config.threading.set_inter_op_parallelism_threads(2)
tf.config.threading.set_intra_op_parallelism_threads(2)
for attempt in range(3):
    start = time.time()
    train, validation = keras.utils.image_dataset_from_directory(sys.argv[1] + "/pictures", validation_split=0.2, subset="both", seed=1,
                                                                 image_size=(64, 64), batch_size=32, verbose=False)
    count = sum(int(x.shape[0]) for dataset in (train, validation) for x, _ in dataset)
    seconds = time.time() - start
    print(f"Keras image_dataset_from_directory, one pass over {count} pictures at 64x64, 2 threads: {seconds:.2f} s, {count / seconds:.0f} pictures/s")
PY
