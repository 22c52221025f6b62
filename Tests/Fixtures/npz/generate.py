#!/usr/bin/env python3
"""Small .npz datasets in the layouts Keras users save (np.savez of keras.datasets.*.load_data()):

    python3 Tests/Fixtures/npz/generate.py      (NumPy only)

- colour-uint8.npz: CIFAR-10's layout, 32x32x3 uint8 images, labels of shape (n, 1) as uint8, stored
  (np.savez). Images of class k are brighter in channel k % 3, so a model can learn them.
- grey-float32.npz: 28x28 float32 images in [0, 1] without a channel axis, labels (n,) int64, deflated
  (np.savez_compressed).
- binary-uint8.npz: two classes (labels 0/1), 32x32x3 uint8, for binary classifiers.
Bad archives for the refusal tests are made from these by the tests themselves.
"""
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)


def colour(count):
    labels = rng.integers(0, 10, size=(count, 1)).astype(np.uint8)
    images = rng.integers(0, 120, size=(count, 32, 32, 3)).astype(np.uint8)
    for index, label in enumerate(labels[:, 0]):
        images[index, :, :, label % 3] += np.uint8(40 + 10 * (label // 3))
    return images, labels


x_train, y_train = colour(640)
x_test, y_test = colour(200)
np.savez(os.path.join(here, "colour-uint8.npz"), x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)

grey = rng.random(size=(420, 28, 28)).astype(np.float32)
labels = rng.integers(0, 10, size=420).astype(np.int64)
np.savez_compressed(os.path.join(here, "grey-float32.npz"), x_train=grey[:320], y_train=labels[:320],
                    x_test=grey[320:], y_test=labels[320:])

# binary-uint8.npz (appended, so the files above keep their draws): two classes, 32x32x3 uint8, labels
# (n,) uint8 0 or 1, as a cats-vs-dogs array; class 1 is brighter in channel 0.
def binary(count):
    labels = rng.integers(0, 2, size=count).astype(np.uint8)
    images = rng.integers(0, 160, size=(count, 32, 32, 3)).astype(np.uint8)
    images[labels == 1, :, :, 0] += np.uint8(60)
    return images, labels


x_train, y_train = binary(640)
x_test, y_test = binary(200)
np.savez(os.path.join(here, "binary-uint8.npz"), x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
np.save(os.path.join(here, "binary-test-first-8.npy"), x_test[:8])   # for tandem predict
