#!/usr/bin/env python3
"""supported/crop-cnn.json, a model with RandomCrop, written by real Keras 3 after generate.py's last run
(so that rerunning all of generate.py, whose augmentation layers draw fresh seeds, is not needed), with
the JAX backend:

    python3 -m venv /root/.cache/tandem-keras-jax && /root/.cache/tandem-keras-jax/bin/pip install keras jax
    KERAS_BACKEND=jax /root/.cache/tandem-keras-jax/bin/python Tests/Fixtures/keras-models/generate_crop.py

Its Keras summary joins supported/expected-layers.json, as generate.py writes the others'.
"""
import json
import os

import keras
from keras import layers

here = os.path.dirname(os.path.abspath(__file__))
# RandomCrop on Fashion-MNIST's images, then a small convolutional classifier.
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.RandomCrop(24, 24, name="crop"),
    layers.Conv2D(8, 3, activation="relu", name="conv"),
    layers.MaxPooling2D(2, name="pool"),
    layers.Flatten(name="flatten"),
    layers.Dense(10, activation="softmax", name="classes"),
], name="crop_cnn")
with open(os.path.join(here, "supported", "crop-cnn.json"), "w") as file:
    file.write(model.to_json())
    file.write("\n")
path = os.path.join(here, "supported", "expected-layers.json")
summaries = json.load(open(path))
summaries["crop-cnn"] = [[layer.name, list(layer.output.shape[1:]), layer.count_params()] for layer in model.layers]
with open(path, "w") as file:
    json.dump(summaries, file, indent=1, sort_keys=True)
    file.write("\n")
