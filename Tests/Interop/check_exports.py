"""Checks Tandem's exports with the tools that read them (run by the integration tests, InteropTests).

    check_exports.py DIR

DIR holds model.onnx, model.keras, model.weights.h5 and model.safetensors exported from one checkpoint,
inputs.npy (images, uint8, N×H×W[×C]) and predictions.jsonl (`tandem predict --json inputs.npy`).
Checks, each printed as one line, exit status 1 at the first failure:
- ONNX Runtime runs model.onnx on the inputs and gives Tandem's probabilities within 1e-5 (the softmax
  of its `logits` for a model without a final softmax, whose export gives what Keras's predict gives;
  a binary classifier's `probability` of class 1, or its `logit`);
- h5py reads model.weights.h5, the safetensors package reads model.safetensors, and they hold the same
  tensors; the .keras archive holds config.json, metadata.json and the same weights;
- the safetensors metadata carries the model's Keras JSON.
"""
import io, json, sys, zipfile
import h5py
import numpy as np
import onnxruntime
from safetensors import safe_open
from safetensors.numpy import load_file

directory = sys.argv[1]

def fail(message):
    print("FAIL " + message)
    sys.exit(1)

# ONNX Runtime against tandem predict.
images = np.load(f"{directory}/inputs.npy")
if images.ndim == 3:
    images = images[..., None]
session = onnxruntime.InferenceSession(f"{directory}/model.onnx", providers=["CPUExecutionProvider"])
# Bytes are divided by 255 unless the model rescales its own input (the export's metadata says which).
byte_scale = session.get_modelmeta().custom_metadata_map.get("tandem.byte_scale", "1/255")
inputs = (images.astype(np.float32) / (255 if byte_scale == "1/255" else 1)).astype(np.float32)
(output,) = session.get_outputs()
(onnx_probabilities,) = session.run([output.name], {"input": inputs})
if output.name == "logits":
    shifted = np.exp(onnx_probabilities - onnx_probabilities.max(axis=1, keepdims=True))
    onnx_probabilities = shifted / shifted.sum(axis=1, keepdims=True)
elif output.name in ("probability", "logit"):   # a binary classifier: P(class 1), or its logit
    p = onnx_probabilities[:, :1] if output.name == "probability" else 1 / (1 + np.exp(-onnx_probabilities[:, :1]))
    onnx_probabilities = np.concatenate([1 - p, p], axis=1)
elif output.name != "probabilities":
    fail(f"the ONNX model's output is {output.name}, not probabilities, logits, probability or logit")
records = [json.loads(line) for line in open(f"{directory}/predictions.jsonl")]
if len(records) != len(images):
    fail(f"{len(records)} predictions for {len(images)} images")
largest = 0.0
for index, record in enumerate(records):
    for entry in record["top_k"]:
        difference = abs(float(onnx_probabilities[index, entry["class"]]) - entry["probability"])
        largest = max(largest, difference)
    if int(np.argmax(onnx_probabilities[index])) != record["class"]:
        fail(f"image {index}: ONNX Runtime predicts {np.argmax(onnx_probabilities[index])}, Tandem {record['class']}")
if largest > 1e-5:
    fail(f"ONNX Runtime's probabilities differ from Tandem's by up to {largest:.3g}")
print(f"ok onnxruntime {onnxruntime.__version__}: {len(records)} images, probabilities within {largest:.2g} of Tandem's")

# The same tensors through h5py (bare and inside the .keras archive) and safetensors.
ORDER = ["kernel", "depthwise_kernel", "pointwise_kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance", "mean", "variance", "count", "alpha"]
tensors = load_file(f"{directory}/model.safetensors")
with safe_open(f"{directory}/model.safetensors", framework="numpy") as f:
    metadata = f.metadata()
model = json.loads(metadata["keras_model"])
if model.get("class_name") not in ("Sequential", "Functional"):
    fail("the safetensors metadata does not hold a Keras Sequential or Functional model")
by_layer = {}
for name in tensors:
    layer, variable = name.rsplit("/", 1)
    by_layer.setdefault(layer, []).append((ORDER.index(variable), name))

def compare_h5(h5, source):
    seen = 0
    for path, group in h5["layers"].items():
        layer = group["vars"].attrs["name"]
        names = [name for _, name in sorted(by_layer.get(layer, []))]
        datasets = [group["vars"][str(i)][()] for i in range(len(group["vars"]))]
        if len(datasets) != len(names):
            fail(f"{source}: layers/{path} ({layer}) has {len(datasets)} tensors, the safetensors file {len(names)}")
        for data, name in zip(datasets, names):
            if data.dtype != np.float32 or not np.array_equal(data, tensors[name]):
                fail(f"{source}: layers/{path} differs from {name}")
            seen += 1
    if seen != len(tensors):
        fail(f"{source}: {seen} tensors, the safetensors file {len(tensors)}")
    return seen

with h5py.File(f"{directory}/model.weights.h5", "r") as h5:
    count = compare_h5(h5, "model.weights.h5")
print(f"ok h5py {h5py.__version__} and safetensors: the same {count} tensors, bit for bit")
with zipfile.ZipFile(f"{directory}/model.keras") as archive:
    members = sorted(archive.namelist())
    if members != ["config.json", "metadata.json", "model.weights.h5"]:
        fail(f"model.keras holds {members}")
    if json.loads(archive.read("config.json")) != model:
        fail("model.keras's config.json is not the model in the safetensors metadata")
    with h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as h5:
        compare_h5(h5, "model.keras")
print("ok model.keras: config.json, metadata.json and the same weights")
