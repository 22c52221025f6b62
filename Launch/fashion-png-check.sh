#!/usr/bin/env bash
# Fashion-MNIST written out as PNG class folders (train/ and test/, one folder per class named
# "0 T-shirt-top" … "9 Ankle boot" so that sorted order is label order) gives a trained checkpoint the
# same test accuracy through --data DIR as through the IDX files: the pictures are the same bytes.
#   Launch/fashion-png-check.sh [KERAS_PYTHON]     (default /root/.cache/tandem-peer-venv/bin/python; NumPy and TensorFlow)
set -euo pipefail
source "$(dirname "$0")/mpi-env.sh"
python=${1:-/root/.cache/tandem-peer-venv/bin/python}
work=/tmp/tandem-fashion-png
tandem="$(dirname "$0")/../.build/release/tandem"
[ -d "$work/pictures/test" ] || "$python" - "$work/pictures" <<'PY'
import gzip, os, sys, numpy as np, tensorflow as tf
names = ["T-shirt-top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
source = "/usr/share/datasets/fashion-mnist"
for split, prefix in [("train", "train"), ("test", "t10k")]:
    images = np.frombuffer(gzip.open(f"{source}/{prefix}-images-idx3-ubyte.gz").read(), np.uint8, offset=16).reshape(-1, 28, 28, 1)
    labels = np.frombuffer(gzip.open(f"{source}/{prefix}-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)
    for label, name in enumerate(names):
        os.makedirs(f"{sys.argv[1]}/{split}/{label} {name}", exist_ok=True)
    for index, (image, label) in enumerate(zip(images, labels)):
        tf.io.write_file(f"{sys.argv[1]}/{split}/{label} {names[label]}/{index:05d}.png", tf.io.encode_png(image))
PY
rm -rf "$work/checkpoints"
mpirun --oversubscribe -np 2 "$tandem" train --limit 6000 --epochs 1 --seed 3 --verbose 2 --checkpoint-dir "$work/checkpoints" | grep -E "Epoch|sha256"
echo "\$ tandem evaluate --checkpoint CHECKPOINT   (the IDX files)"
"$tandem" evaluate --checkpoint "$work/checkpoints" | grep -E "loss"
echo "\$ mpirun -np 2 tandem evaluate --checkpoint CHECKPOINT --data $work/pictures   (the PNG folders)"
mpirun --oversubscribe -np 2 "$tandem" evaluate --checkpoint "$work/checkpoints" --data "$work/pictures" | grep -E "loss|Decoding pictures: 100"
