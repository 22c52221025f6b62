#!/usr/bin/env python3
"""Layer fixtures written after generate.py's last run, from real Keras 3 on its JAX backend (no
TensorFlow needed):

    python3 -m venv /root/.cache/tandem-keras-jax && /root/.cache/tandem-keras-jax/bin/pip install keras jax
    KERAS_BACKEND=jax /root/.cache/tandem-keras-jax/bin/python Tests/Fixtures/keras-layers/generate_jax.py

CenterCrop of images smaller than the crop (Keras's smart_resize), in generate.py's `case` format.
RandomCrop (random-crop.json):
- `crops`: the layer's training transform (`transform_images`) of one batch at given offsets;
- `inference`: the layer's documented inference, the largest centred window of the crop's aspect ratio
  resized to the crop's size, as Keras's `smart_resize` computes it (what tf.keras's RandomCrop calls;
  Keras 3 returns the input uncropped at inference, keras-team/keras#21868), for crops smaller, larger
  and of other aspect ratios than the input, and checked against `Resizing(crop_to_aspect_ratio=True)`.
The top-level `class_name`/`config`/`input_shape` let the ONNX coverage test build the layer.
"""
import json
import os

import jax
import numpy as np
import keras

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261207)


def case(name, layer, input_shape, batch=4):
    """As generate.py's `case` for a layer without weights: input, Keras's training output, and the
    gradient of sum(r * y) with respect to the input."""
    x = rng.normal(size=(batch,) + input_shape).astype("float32") * 1.5 + 0.3
    y = np.asarray(layer(x, training=True))
    r = rng.normal(size=y.shape).astype("float32")
    input_gradient = jax.grad(lambda inputs: (r * layer(inputs, training=True)).sum())(x)
    fixture = {"class_name": layer.__class__.__name__, "config": json.loads(json.dumps(layer.get_config(), default=str)),
               "input_shape": list(input_shape), "batch": batch, "input": x.flatten().tolist(), "weights": [],
               "projection": r.flatten().tolist(), "output": y.flatten().tolist(),
               "input_gradient": np.asarray(input_gradient).flatten().tolist(), "weight_gradients": [], "weights_after": [],
               "inference_output": np.asarray(layer(x, training=False)).flatten().tolist(), "keras_version": keras.__version__}
    with open(os.path.join(here, name + ".json"), "w") as file:
        json.dump(fixture, file)
        file.write("\n")


case("center-crop-smaller", keras.layers.CenterCrop(9, 8, name="c"), (6, 7, 2))
case("center-crop-mixed", keras.layers.CenterCrop(4, 9, name="c"), (6, 7, 2))

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

# RandomErasing (random-erasing.json, appended last; its own generator, so the fixtures above keep their
# draws): its configuration as Keras writes it, and its inference (the identity). Its training draws are
# Tandem's own (AugmentationTests checks their distribution against Keras's reading of the arguments).
erasing_rng = np.random.default_rng(20261208)
erasing_shape = (6, 5, 3)
erasing_images = erasing_rng.uniform(size=(2,) + erasing_shape).astype("float32")
erasing = keras.layers.RandomErasing(factor=(0.5, 0.5), value_range=(0, 1), name="erase")
erasing_inference = np.asarray(erasing(erasing_images, training=False))
with open(os.path.join(here, "random-erasing.json"), "w") as file:
    json.dump({"keras_version": keras.__version__, "backend": keras.backend.backend(),
               "class_name": "RandomErasing", "config": json.loads(json.dumps(erasing.get_config(), default=str)),
               "input_shape": list(erasing_shape), "input": erasing_images.flatten().tolist(),
               "inference": erasing_inference.flatten().tolist()}, file)
    file.write("\n")
