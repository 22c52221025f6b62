#!/usr/bin/env python3
"""Trains a Keras model description with Keras itself, the recipe `tandem train --model` uses by default
(Adam 0.001, batch 32, sparse categorical cross-entropy, inputs scaled by 1/255), on the first N images
of Fashion-MNIST, printing Keras's per-epoch lines: the reference to compare Tandem's curves with.

    /root/.cache/tandem-keras-venv/bin/python Launch/keras_model_check.py MODEL.json [N] [EPOCHS]
"""
import gzip
import sys

import numpy as np
import keras


def idx(path):
    data = gzip.open(path).read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


model_path = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 60000
epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 2
d = "/usr/share/datasets/fashion-mnist/"
x = idx(d + "train-images-idx3-ubyte.gz")[:count, ..., None] / 255.0
y = idx(d + "train-labels-idx1-ubyte.gz")[:count]
xt = idx(d + "t10k-images-idx3-ubyte.gz")[..., None] / 255.0
yt = idx(d + "t10k-labels-idx1-ubyte.gz")
m = keras.models.model_from_json(open(model_path).read())
m.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
m.fit(x, y, batch_size=32, epochs=epochs, verbose=2, validation_data=(xt, yt), shuffle=True)
