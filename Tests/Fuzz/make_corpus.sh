#!/usr/bin/env bash
# Writes the fuzz targets' seed corpus (small valid inputs of each kind) into Tests/Fuzz/TARGET/.
# Run once from the repository root after `swift build -c release`; the files are committed.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=Tests/Fuzz
tandem=.build/release/tandem
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p $here/{idx,checkpoint,model,npy,npz,safetensors,picture,pictureCache,history}
python3 - "$here" "$work" <<'PY'
import gzip, struct, sys
import numpy as np
here, work = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(7)
images = rng.integers(0, 256, size=(3, 4, 4), dtype=np.uint8)
labels = np.array([0, 2, 1], dtype=np.uint8)
idx_images = struct.pack(">IIII", 0x803, 3, 4, 4) + images.tobytes()
open(f"{here}/idx/images-3x4x4.idx", "wb").write(idx_images)
open(f"{here}/idx/images-3x4x4.idx.gz", "wb").write(gzip.compress(idx_images, mtime=0))
open(f"{here}/idx/labels-3.idx", "wb").write(struct.pack(">II", 0x801, 3) + labels.tobytes())
open(f"{here}/idx/images-2x3x3x2.idx", "wb").write(struct.pack(">IIIII", 0x804, 2, 3, 3, 2) + bytes(range(36)))
np.save(f"{here}/npy/uint8-2x4x4.npy", images[:2])
np.save(f"{here}/npy/float32-4x4.npy", images[0].astype(np.float32) / 255)
np.save(f"{here}/npy/int64-labels.npy", labels.astype(np.int64))
# The model of the fuzz targets (FuzzTarget.model): 4x4x1 in, 3 classes; its data for a checkpoint.
x = rng.integers(0, 256, size=(64, 4, 4), dtype=np.uint8)
y = rng.integers(0, 3, size=(64,), dtype=np.uint8)
np.savez(f"{work}/tiny.npz", x_train=x, y_train=y, x_test=x[:16], y_test=y[:16])
np.savez(f"{here}/npz/tiny.npz", x_train=x[:8], y_train=y[:8], x_test=x[:4], y_test=y[:4, None])
open(f"{here}/history/history.csv", "w").write(
    "epoch,accuracy,images_per_second,learning_rate,loss,seconds,test_accuracy,test_loss\n"
    "0,0.5,900.1,0.001,1.2,3.5,0.7,0.8\n1,0.75,901.0,0.001,0.7,3.4,NA,NA\n")
open(f"{here}/history/history.jsonl", "w").write('{"epoch":0,"accuracy":0.5,"loss":1.2}\n{"epoch":1,"accuracy":0.75,"loss":null}\n')
PY
cat > "$work/tiny.json" <<'JSON'
{"class_name": "Sequential", "config": {"name": "fuzz", "layers": [
  {"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 4, 1], "name": "input_layer"}},
  {"class_name": "Conv2D", "config": {"name": "conv2d", "filters": 2, "kernel_size": [3, 3], "padding": "same", "activation": "relu"}},
  {"class_name": "Flatten", "config": {"name": "flatten"}},
  {"class_name": "Dense", "config": {"name": "dense", "units": 3, "activation": "softmax"}}]}}
JSON
cp "$work/tiny.json" $here/model/tiny.json
cp Tests/Fixtures/keras-models/supported/batchnorm-cnn.json Tests/Fixtures/keras-models/supported/residual-cnn.json \
   Tests/Fixtures/keras-models/supported/merge-cnn.json Tests/Fixtures/keras-models/supported/resize-cnn.json \
   Tests/Fixtures/keras-models/supported/binary-cnn.json Tests/Fixtures/keras-models/compiled/rmsprop-smoothing.json \
   Tests/Fixtures/keras-models/supported/activity-cnn.json \
   Models/fashion-strong.json Launch/results/fashion-resnet-pilot/fashion-resnet-erasing.json $here/model/
"$tandem" train --model "$work/tiny.json" --data "$work/tiny.npz" --epochs 1 --checkpoint-dir "$work/run" --verbose 0 > /dev/null
cp "$work/run/tandem-epoch-001.ckpt" $here/checkpoint/tiny.ckpt
"$tandem" export --checkpoint "$work/run" --output $here/safetensors/tiny.safetensors > /dev/null
cp Tests/Fixtures/images/test-0.png Tests/Fixtures/images/test-2.jpg Tests/Fixtures/images/test-1-rgb-56.png $here/picture/
echo "make_corpus.sh: wrote $(find $here -type f ! -name '*.sh' | wc -l) seed inputs under $here"
