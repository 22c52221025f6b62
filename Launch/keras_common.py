"""Shared pieces of the Keras peer scripts (keras_peer.py, keras_crosscheck.py).

The model is the Keras tutorial's CNN as Tandem defines it (Sources/TandemCore/BuiltInModels.swift,
`ModelDescription.tutorial`): typos fixed, conv4-conv6 without activation, 47,090 parameters.

TensorFlow is imported lazily by `import_tensorflow`, because its thread pools must be sized before
the runtime starts.
"""

import gzip
import os
import struct

import numpy as np

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
PARAMETER_COUNT = 47_090


def import_tensorflow(intra_op_threads, inter_op_threads):
    """Imports TensorFlow quietly and sizes its thread pools (0 = TensorFlow's default)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(intra_op_threads)
    tf.config.threading.set_inter_op_parallelism_threads(inter_op_threads)
    return tf


def build_model(keras):
    """The tutorial CNN, compiled as Tandem trains it: categorical cross-entropy, Adam(1e-3) with Keras's
    defaults (beta1 0.9, beta2 0.999, epsilon 1e-7)."""
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.Conv2D(16, 3, padding="same"),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 3, padding="same"),
            layers.Conv2D(8, 3, padding="same"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    count = model.count_params()
    if count != PARAMETER_COUNT:
        raise SystemExit(f"error: the Keras model has {count} parameters, expected {PARAMETER_COUNT}")
    return model


def model_from_json(keras, path, optimizer="adam", learning_rate=1e-3):
    """A Keras model description (model.to_json()), compiled as `build_model` compiles the tutorial's,
    with Adam or AdamW (Keras's defaults otherwise)."""
    with open(path) as handle:
        model = keras.models.model_from_json(handle.read())
    optimizers = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW}
    model.compile(optimizer=optimizers[optimizer](learning_rate=learning_rate), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _open_idx(directory, stem):
    """Opens `stem` (gzip-compressed or plain) in `directory`, as Tandem accepts either."""
    for name, opener in ((stem + ".gz", gzip.open), (stem, open)):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            with opener(path, "rb") as handle:
                return path, handle.read()
    raise SystemExit(f"error: {os.path.join(directory, stem)}[.gz] not found (pass --data DIR)")


def load_split(directory, split):
    """Returns (images uint8 [N,28,28,1], labels uint8 [N]) of split "train" or "t10k"."""
    image_path, images = _open_idx(directory, f"{split}-images-idx3-ubyte")
    label_path, labels = _open_idx(directory, f"{split}-labels-idx1-ubyte")
    magic, count, rows, columns = struct.unpack(">IIII", images[:16])
    if magic != 0x00000803 or (rows, columns) != (28, 28) or len(images) != 16 + count * rows * columns:
        raise SystemExit(f"error: {image_path} is not a 28x28 IDX image file")
    label_magic, label_count = struct.unpack(">II", labels[:8])
    if label_magic != 0x00000801 or label_count != count or len(labels) != 8 + count:
        raise SystemExit(f"error: {label_path} is not an IDX label file matching {image_path}")
    x = np.frombuffer(images, dtype=np.uint8, offset=16).reshape(count, rows, columns, 1)
    y = np.frombuffer(labels, dtype=np.uint8, offset=8)
    return x, y


def to_inputs(images, labels):
    """uint8 images and labels to the model's inputs: pixels / 255 as float32, one-hot labels."""
    return images.astype(np.float32) / np.float32(255), np.eye(10, dtype=np.float32)[labels]


def processor_model():
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"
