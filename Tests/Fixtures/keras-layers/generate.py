#!/usr/bin/env python3
"""Per-layer fixtures from real Keras: inputs, weights, Keras's outputs and gradients, in training mode.

    /root/.cache/tandem-keras-venv/bin/python Tests/Fixtures/keras-layers/generate.py

For each case: a random input batch x, the layer's weights (Keras's get_weights() order), a random
projection r; Keras computes y = layer(x, training=True), the gradients of L = sum(r * y) with respect
to x and to each trainable weight, and the weights after the call (batch-norm's moving statistics).
Tandem's tests rebuild the layer from the same config and compare to 1e-4 relative. Run once; the JSON
files are committed.
"""
import json
import os

import numpy as np
import keras
import tensorflow as tf

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261127)


def case(name, layer, input_shape, batch=4, weights=None):
    """`weights`, where given, replace the layer's initial ones (otherwise perturbed at random)."""
    keras.backend.clear_session()
    x = rng.normal(size=(batch,) + input_shape).astype("float32") * 1.5 + 0.3
    layer.build((batch,) + input_shape)
    if weights is None:
        weights = [w + rng.normal(size=w.shape).astype("float32") * 0.2 if i < 2 else w
                   for i, w in enumerate(layer.get_weights())]
    if len(weights) == 4:   # batch-norm: moving statistics that are not the initial ones
        weights[2] = rng.normal(size=weights[2].shape).astype("float32") * 0.1
        weights[3] = rng.uniform(0.5, 1.5, size=weights[3].shape).astype("float32")
    layer.set_weights(weights)
    if isinstance(layer, keras.layers.Normalization):
        layer.finalize_state()   # as loading does: the statistics it divides by are taken from the weights here
    xt = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = layer(xt, training=True)
        r = tf.constant(rng.normal(size=y.shape).astype("float32"))
        loss = tf.reduce_sum(r * y)
    gradients = tape.gradient(loss, [xt] + layer.trainable_weights)
    inference = layer(x, training=False)
    fixture = {
        "class_name": layer.__class__.__name__,
        "config": json.loads(json.dumps(layer.get_config(), default=str)),
        "input_shape": list(input_shape),
        "batch": batch,
        "input": x.flatten().tolist(),
        "weights": [w.flatten().tolist() for w in weights],
        "projection": r.numpy().flatten().tolist(),
        "output": y.numpy().flatten().tolist(),
        "input_gradient": gradients[0].numpy().flatten().tolist(),
        "weight_gradients": [g.numpy().flatten().tolist() for g in gradients[1:]],
        "weights_after": [w.flatten().tolist() for w in layer.get_weights()],
        "inference_output": inference.numpy().flatten().tolist(),
        "keras_version": keras.__version__,
    }
    with open(os.path.join(here, name + ".json"), "w") as file:
        json.dump(fixture, file)
        file.write("\n")


from keras import layers

case("batch-normalization-spatial", layers.BatchNormalization(name="bn"), (5, 4, 3))
case("batch-normalization-dense", layers.BatchNormalization(name="bn", momentum=0.9, epsilon=1e-2), (7,), batch=6)
case("batch-normalization-no-scale", layers.BatchNormalization(name="bn", scale=False), (3, 3, 2))
case("layer-normalization", layers.LayerNormalization(name="ln"), (4, 3, 5))
case("layer-normalization-dense", layers.LayerNormalization(name="ln", epsilon=1e-2), (9,), batch=3)
case("group-normalization", layers.GroupNormalization(groups=2, name="gn"), (4, 3, 6))
case("group-normalization-no-center", layers.GroupNormalization(groups=3, center=False, name="gn"), (3, 3, 6))



# Translation as RandomTranslation applies it: keras.ops.image.affine_transform with the transform
# [1, 0, -right, 0, 1, -down, 0, 0] (output (y, x) reads input (y - down, x - right)), for given shifts,
# every fill mode and interpolation. The random draws are Tandem's own; the resampling must be Keras's.
image = rng.normal(size=(1, 6, 5, 2)).astype("float32")
cases = []
for down, right in [(1.0, -2.0), (0.4, 1.7), (-2.6, 0.3), (7.5, -9.25)]:
    for fill_mode in ["reflect", "wrap", "nearest", "constant"]:
        for interpolation in ["bilinear", "nearest"]:
            transform = np.array([[1, 0, -right, 0, 1, -down, 0, 0]], dtype="float32")
            out = keras.ops.image.affine_transform(image, transform, interpolation=interpolation, fill_mode=fill_mode,
                                                   fill_value=0.5)
            cases.append({"down": down, "right": right, "fill_mode": fill_mode, "interpolation": interpolation,
                          "output": np.asarray(out).flatten().tolist()})
with open(os.path.join(here, "translation.json"), "w") as file:
    json.dump({"input_shape": [6, 5, 2], "input": image.flatten().tolist(), "fill_value": 0.5, "cases": cases}, file)
    file.write("\n")

# The layers without batch statistics, each with options that change its arithmetic (after the
# translation cases, so that adding them left the earlier fixtures' random draws as they were).
case("conv2d-same-relu", layers.Conv2D(4, 3, padding="same", activation="relu", name="c"), (6, 5, 3))
case("conv2d-valid-stride2-tanh", layers.Conv2D(3, (3, 2), strides=(2, 2), padding="valid", activation="tanh", name="c"), (7, 6, 2))
case("conv2d-same-stride2-no-bias", layers.Conv2D(5, 5, strides=2, padding="same", use_bias=False, name="c"), (7, 8, 2))
case("conv2d-1x1-sigmoid", layers.Conv2D(3, 1, activation="sigmoid", name="c"), (4, 4, 5))
case("dense-relu", layers.Dense(6, activation="relu", name="d"), (9,))
case("dense-sigmoid-no-bias", layers.Dense(4, activation="sigmoid", use_bias=False, name="d"), (5,))
case("dense-tanh", layers.Dense(3, activation="tanh", name="d"), (7,))
case("max-pooling-valid", layers.MaxPooling2D(2, name="p"), (6, 5, 3))
case("max-pooling-same-stride1", layers.MaxPooling2D(3, strides=1, padding="same", name="p"), (5, 4, 2))
case("average-pooling-same", layers.AveragePooling2D(3, strides=2, padding="same", name="p"), (7, 6, 2))
case("average-pooling-valid", layers.AveragePooling2D(2, name="p"), (6, 6, 3))
case("global-average-pooling", layers.GlobalAveragePooling2D(name="g"), (5, 4, 3))
case("global-max-pooling", layers.GlobalMaxPooling2D(name="g"), (4, 5, 3))
case("flatten", layers.Flatten(name="f"), (3, 4, 2))
case("activation-sigmoid", layers.Activation("sigmoid", name="a"), (3, 3, 4))
case("activation-tanh", layers.Activation("tanh", name="a"), (10,))
case("relu", layers.ReLU(name="r"), (4, 3, 2))

# Element-wise activations beyond ReLU, sigmoid and tanh (appended, so the fixtures above keep their
# random draws): the ReLU layer's options, LeakyReLU, ELU, and every activation string Tandem takes.
case("relu6", layers.ReLU(max_value=6.0, name="r"), (4, 3, 2))
case("relu-options", layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.3, name="r"), (4, 3, 2))
case("leaky-relu", layers.LeakyReLU(negative_slope=0.2, name="l"), (4, 3, 2))
case("elu-layer", layers.ELU(alpha=0.7, name="e"), (12,))
for activation in ["relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "softplus", "softsign", "hard_sigmoid",
                   "hard_silu", "mish"]:
    case("activation-" + activation.replace("_", "-"), layers.Activation(activation, name="a"), (3, 3, 4))

# Margins: zeros added around, rows and columns cut off (appended after the activations).
case("zero-padding", layers.ZeroPadding2D(((1, 2), (0, 3)), name="z"), (4, 3, 2))
case("zero-padding-symmetric", layers.ZeroPadding2D(1, name="z"), (3, 3, 3))
case("cropping", layers.Cropping2D(((1, 0), (2, 1)), name="c"), (5, 6, 2))
case("rescaling", layers.Rescaling(1.0 / 127.5, offset=-1, name="s"), (4, 3, 2))

# Reshape (appended last): a vector into an image, an image into a vector (with -1), an image into another.
case("reshape-to-image", layers.Reshape((4, 3, 2), name="r"), (24,))
case("reshape-to-vector", layers.Reshape((-1,), name="r"), (4, 3, 2))
case("reshape-image", layers.Reshape((6, 2, 2), name="r"), (4, 3, 2))

# Dilated, depthwise and separable convolutions (appended last).
case("conv2d-dilated", layers.Conv2D(5, 3, dilation_rate=2, padding="same", name="c"), (9, 8, 3))
case("conv2d-dilated-valid-1x7", layers.Conv2D(4, (1, 7), dilation_rate=(2, 1), name="c"), (6, 9, 2))
case("depthwise-same-stride2", layers.DepthwiseConv2D(3, strides=2, padding="same", name="d"), (7, 8, 5))
case("depthwise-multiplier-dilated", layers.DepthwiseConv2D(3, depth_multiplier=2, dilation_rate=2, activation="relu",
                                                            name="d"), (8, 7, 3))
case("depthwise-5x5-no-bias", layers.DepthwiseConv2D(5, padding="same", use_bias=False, activation="tanh", name="d"), (6, 6, 4))
case("separable-relu", layers.SeparableConv2D(6, 3, padding="same", activation="relu", name="s"), (6, 5, 4))
case("separable-multiplier-stride2", layers.SeparableConv2D(5, 3, strides=2, depth_multiplier=2, name="s"), (7, 7, 3))

# Rotation as RandomRotation applies it: keras.ops.image.affine_transform with the layer's own matrix
# (_compute_affine_matrix about the centre) for given angles, every fill mode and interpolation.
rotation_layer = layers.RandomRotation(0.1)
image = rng.normal(size=(1, 7, 6, 2)).astype("float32")
cases = []
for degrees in [0.0, 12.5, -33.0, 90.0, 181.0]:
    matrix = rotation_layer._compute_affine_matrix(
        center_x=0.5, center_y=0.5, angle=np.array([degrees], dtype="float32"), translate_x=np.zeros([1], "float32"),
        translate_y=np.zeros([1], "float32"), scale=np.ones([1], "float32"), shear_x=np.zeros([1], "float32"),
        shear_y=np.zeros([1], "float32"), height=7, width=6)
    for fill_mode in ["reflect", "wrap", "nearest", "constant"]:
        for interpolation in ["bilinear", "nearest"]:
            out = keras.ops.image.affine_transform(image, matrix, interpolation=interpolation, fill_mode=fill_mode, fill_value=0.5)
            cases.append({"degrees": degrees, "fill_mode": fill_mode, "interpolation": interpolation,
                          "output": np.asarray(out).flatten().tolist()})
with open(os.path.join(here, "rotation.json"), "w") as file:
    json.dump({"input_shape": [7, 6, 2], "input": image.flatten().tolist(), "fill_value": 0.5, "cases": cases}, file)
    file.write("\n")

# Normalization (appended last): adapted statistics as weights (one channel's variance below
# epsilon², where Keras divides by epsilon), inverted, and statistics given in the configuration.
adapted = [np.array([0.5, -1.0, 2.0], "float32"), np.array([4.0, 0.25, 1e-16], "float32"), np.array(100, "int64")]
case("normalization-adapted", layers.Normalization(name="n"), (4, 3, 3), weights=adapted)
case("normalization-inverted", layers.Normalization(invert=True, name="n"), (4, 3, 3), weights=adapted)
case("normalization-constants", layers.Normalization(mean=[1.0, -2.0], variance=[9.0, 0.5], name="n"), (5, 4, 2))
case("normalization-vector", layers.Normalization(axis=-1, name="n"), (6,), weights=[np.arange(6, dtype="float32"),
     np.linspace(0.5, 3, 6).astype("float32"), np.array(10, "int64")])

# Layers with weights ending in an activation they do not compute themselves (appended last): the
# activation's input is kept for backward.
case("conv2d-silu", layers.Conv2D(4, 3, padding="same", activation="silu", name="c"), (5, 5, 3))
case("dense-gelu", layers.Dense(5, activation="gelu", name="d"), (7,))
case("depthwise-swish", layers.DepthwiseConv2D(3, padding="same", activation="swish", name="d"), (5, 4, 3))
case("separable-elu", layers.SeparableConv2D(4, 3, activation="elu", name="s"), (6, 6, 2))

# Resizing, upsampling, centre crop and PReLU (appended last).
case("upsampling-nearest", layers.UpSampling2D((2, 3), name="u"), (3, 4, 2))
case("upsampling-bilinear", layers.UpSampling2D(2, interpolation="bilinear", name="u"), (3, 4, 2))
case("resizing-bilinear-down", layers.Resizing(5, 3, name="r"), (7, 6, 2))
case("resizing-bilinear-up", layers.Resizing(9, 7, name="r"), (4, 5, 2))
case("resizing-nearest", layers.Resizing(5, 8, interpolation="nearest", name="r"), (7, 6, 2))
case("center-crop", layers.CenterCrop(3, 4, name="c"), (6, 7, 2))
case("prelu", layers.PReLU(name="p"), (4, 3, 2))
case("prelu-shared", layers.PReLU(shared_axes=[1, 2], name="p"), (4, 3, 5))
case("prelu-vector", layers.PReLU(name="p"), (7,))

# Zoom as RandomZoom applies it (appended last): keras.ops.image.affine_transform with the layer's own
# matrix (_get_zoom_matrix) for given (height, width) zooms, every fill mode and interpolation.
zoom_layer = layers.RandomZoom(0.1)
image = rng.normal(size=(1, 7, 6, 2)).astype("float32")
cases = []
for height, width in [(0.8, 0.8), (1.3, 0.7), (1.0, 1.25)]:
    matrix = zoom_layer._get_zoom_matrix(np.array([[width, height]], dtype="float32"), 7, 6)
    for fill_mode in ["reflect", "wrap", "nearest", "constant"]:
        for interpolation in ["bilinear", "nearest"]:
            out = keras.ops.image.affine_transform(image, matrix, interpolation=interpolation, fill_mode=fill_mode, fill_value=0.5)
            cases.append({"height": height, "width": width, "fill_mode": fill_mode, "interpolation": interpolation,
                          "output": np.asarray(out).flatten().tolist()})
with open(os.path.join(here, "zoom.json"), "w") as file:
    json.dump({"input_shape": [7, 6, 2], "input": image.flatten().tolist(), "fill_value": 0.5, "cases": cases}, file)
    file.write("\n")
