#!/usr/bin/env python3
"""Loads a Tandem checkpoint into Keras (`set_weights`, batch-norm's moving statistics included) and
evaluates it on the Fashion-MNIST test set.

    python Launch/keras_crosscheck.py --checkpoint /tmp/ckpt-crosscheck
    .build/release/tandem evaluate --checkpoint /tmp/ckpt-crosscheck     # compare

Checks that Tandem's parameters are laid out as Keras's model.get_weights() flattened in order (per
layer kernel then bias; Conv2D kernels HWIO [kh][kw][cin][cout], Dense kernels [inputs][units],
Flatten in HWC order): if they are, Keras's test accuracy and loss match `tandem evaluate` up to
floating-point rounding (a few test images at most).

Format 2 checkpoints carry the model as Keras JSON: the script builds it with
keras.models.model_from_json, so it checks any model `tandem train --model` trained. Format 1 ones
(the tutorial's model, described compactly) use the tutorial's Keras definition (keras_common.py).

Checkpoint format (little-endian; Sources/TandemTraining/Checkpoint.swift, Docs/file-formats.md):
magic "TANDEMCK", u32 version (1 or 2), u32 header length H, u64 parameter count P, u64 completed
epochs, u64 optimizer steps, u64 seed, u64 global batch, u64 training samples, f64 learning rate,
3 x f32 Adam beta1/beta2/epsilon, u32 description length D at 84, D bytes model description at 88;
version 2 then u32 recipe length R and R bytes of recipe JSON; at H: P float32 weights, P float32
optimiser state, P float32 optimiser state; then u32 CRC-32 (zlib) of all preceding bytes.
"""

import argparse
import os
import struct
import sys
import zlib

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in Launch/ from importing keras_common
import keras_common  # noqa: E402

MAGIC = b"TANDEMCK"
VERSIONS = (1, 2)


def resolve(path):
    """A checkpoint file, or the newest tandem-epoch-NNN.ckpt in a directory (as tandem does)."""
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if n.startswith("tandem-epoch-") and n.endswith(".ckpt"))
        if not names:
            raise SystemExit(f"error: {path} holds no checkpoint (tandem-epoch-NNN.ckpt)")
        return os.path.join(path, names[-1])
    if not os.path.exists(path):
        raise SystemExit(f"error: {path}: no such file or directory")
    return path


def read_checkpoint(path):
    with open(path, "rb") as handle:
        data = handle.read()

    def fail(problem):
        raise SystemExit(f"error: {path}: {problem}")

    if len(data) < 92:
        fail(f"too short to be a Tandem checkpoint ({len(data)} bytes)")
    if data[:8] != MAGIC:
        fail("not a Tandem checkpoint (bad magic number)")
    version, header_length, count = struct.unpack_from("<IIQ", data, 8)
    if version not in VERSIONS:
        fail(f"checkpoint format version {version}; this script reads versions {VERSIONS}")
    epochs, steps, seed, global_batch, samples = struct.unpack_from("<5Q", data, 24)
    (learning_rate,) = struct.unpack_from("<d", data, 64)
    beta1, beta2, epsilon = struct.unpack_from("<3f", data, 72)
    (description_length,) = struct.unpack_from("<I", data, 84)
    recipe_length = struct.unpack_from("<I", data, 88 + description_length)[0] if version >= 2 else -4
    if header_length != 88 + description_length + 4 + recipe_length:
        fail(f"corrupt header (header length {header_length}, description length {description_length})")
    expected = header_length + 12 * count + 4
    if len(data) != expected:
        fail(f"{len(data)} bytes, expected {expected} for {count} parameters")
    (stored_crc,) = struct.unpack_from("<I", data, expected - 4)
    computed_crc = zlib.crc32(data[: expected - 4]) & 0xFFFFFFFF
    if stored_crc != computed_crc:
        fail(f"CRC-32 mismatch: stored {stored_crc:08x}, computed {computed_crc:08x} (the file is corrupt)")
    parameters = np.frombuffer(data, dtype="<f4", count=count, offset=header_length).astype(np.float32)
    return {
        "path": path,
        "version": version,
        "parameters": parameters,
        "count": count,
        "epochs": epochs,
        "steps": steps,
        "seed": seed,
        "global_batch": global_batch,
        "samples": samples,
        "learning_rate": learning_rate,
        "adam": (beta1, beta2, epsilon),
        "description": data[88:88 + description_length].decode("utf-8", errors="replace"),
        "crc": stored_crc,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True, help="a checkpoint file, or a directory (its newest)")
    parser.add_argument("--data", default=keras_common.DEFAULT_DATA, help="directory with the IDX files")
    parser.add_argument("--batch-size", type=int, default=256, help="evaluation batch size (default 256)")
    parser.add_argument("--threads", type=int, default=1, help="TensorFlow intra-op threads (default 1)")
    arguments = parser.parse_args()

    checkpoint = read_checkpoint(resolve(arguments.checkpoint))
    print(f"Checkpoint: {checkpoint['path']} (epoch {checkpoint['epochs']}, {checkpoint['steps']} optimizer steps, "
          f"seed {checkpoint['seed']}, global batch {checkpoint['global_batch']}, CRC-32 {checkpoint['crc']:08x} ok)")
    print(f"  model: {checkpoint['description'][:160]}{'…' if len(checkpoint['description']) > 160 else ''}")

    tf = keras_common.import_tensorflow(arguments.threads, 1)
    import keras

    if checkpoint["version"] >= 2:
        model = keras.models.model_from_json(checkpoint["description"])
        model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    else:
        model = keras_common.build_model(keras)
    shapes = [w.shape for w in model.get_weights()]
    needed = sum(int(np.prod(shape)) for shape in shapes)
    if checkpoint["count"] != needed:
        raise SystemExit(f"error: the checkpoint holds {checkpoint['count']} parameters; the Keras model has {needed}")
    weights, offset = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        weights.append(checkpoint["parameters"][offset:offset + size].reshape(shape))
        offset += size
    model.set_weights(weights)

    images, labels = keras_common.load_split(arguments.data, "t10k")
    x, y = keras_common.to_inputs(images, labels)
    x = x.reshape((-1,) + tuple(model.input_shape[1:]))
    loss, accuracy = model.evaluate(x, y, batch_size=arguments.batch_size, verbose=0)
    # Count correct predictions exactly, to compare image by image with tandem's "(N/10000)".
    predictions = model.predict(x, batch_size=arguments.batch_size, verbose=0)
    correct = int(np.sum(np.argmax(predictions, axis=1) == labels))
    print(f"Keras {keras.__version__} (TensorFlow {tf.__version__}): test loss: {loss:.4f} - "
          f"test accuracy: {accuracy:.4f} ({correct}/{len(labels)}); loss unrounded {loss:.7f}")
    print("Compare: tandem evaluate --checkpoint " + checkpoint["path"])
    sys.stdout.flush()


if __name__ == "__main__":
    main()
