#!/usr/bin/env python3
"""RandomCrop's fixture (random-crop.json) from real Keras 3, without TensorFlow:

    python3 -m venv /root/.cache/tandem-keras-jax && /root/.cache/tandem-keras-jax/bin/pip install keras jax
    KERAS_BACKEND=jax /root/.cache/tandem-keras-jax/bin/python Tests/Fixtures/keras-layers/generate_random_crop.py

- `crops`: the layer's training transform (`transform_images`) of one batch at given offsets;
- `inference`: the layer's documented inference, the largest centred window of the crop's aspect ratio
  resized to the crop's size, as Keras's `smart_resize` computes it (what tf.keras's RandomCrop calls;
  Keras 3 returns the input uncropped at inference, keras-team/keras#21868), for crops smaller, larger
  and of other aspect ratios than the input, and checked against `Resizing(crop_to_aspect_ratio=True)`.
The top-level `class_name`/`config`/`input_shape` let the ONNX coverage test build the layer.
"""
import json
import os

import numpy as np
import keras

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261207)
shape = (7, 6, 2)
images = rng.normal(size=(2,) + shape).astype("float32")

layer = keras.layers.RandomCrop(4, 5, name="crop")
crops = []
for top, left in [(0, 0), (3, 1), (1, 0), (2, 1)]:
    out = layer.transform_images(images, (top, left), training=True)
    crops.append({"top": top, "left": left, "output": np.asarray(out).flatten().tolist()})

inference = []
for height, width in [(4, 5), (3, 3), (9, 8), (7, 6), (5, 6), (2, 6)]:
    out = np.asarray(keras.preprocessing.image.smart_resize(images, (height, width)))
    resized = np.asarray(keras.layers.Resizing(height, width, crop_to_aspect_ratio=True)(images))
    assert np.abs(out - resized).max() < 1e-6, (height, width)
    inference.append({"height": height, "width": width, "output": out.flatten().tolist()})

with open(os.path.join(here, "random-crop.json"), "w") as file:
    json.dump({"keras_version": keras.__version__, "backend": keras.backend.backend(),
               "class_name": "RandomCrop", "config": layer.get_config(), "input_shape": list(shape),
               "input": images.flatten().tolist(), "crops": crops, "inference": inference}, file)
    file.write("\n")
