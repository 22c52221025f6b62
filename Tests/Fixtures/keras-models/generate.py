#!/usr/bin/env python3
"""Writes the Keras model descriptions the tests read: real `model.to_json()` output of Keras 3.

    python3 -m venv /root/.cache/tandem-keras-venv
    /root/.cache/tandem-keras-venv/bin/pip install tensorflow-cpu==2.21.0
    /root/.cache/tandem-keras-venv/bin/python Tests/Fixtures/keras-models/generate.py

Supported models go to supported/, models Tandem must refuse (each with the one line it must print,
in expected-errors.json) to unsupported/. Run once; the files are committed.
"""
import json
import os

import keras
from keras import layers

here = os.path.dirname(os.path.abspath(__file__))


summaries = {}


def save(folder, name, model):
    os.makedirs(os.path.join(here, folder), exist_ok=True)
    with open(os.path.join(here, folder, name + ".json"), "w") as file:
        file.write(model.to_json())
        file.write("\n")
    if folder == "supported":
        # What Keras says of each layer: the tests compare Tandem's shapes and parameter counts.
        def flattened(layers):   # nested models' layers in their place, as Tandem splices them
            for layer in layers:
                if isinstance(layer, keras.Model):
                    yield from flattened(layer.layers)
                elif not isinstance(layer, keras.layers.InputLayer):   # a Functional model lists its input
                    yield layer
        summaries[name] = [[layer.name, list(layer.output.shape[1:]), layer.count_params()] for layer in flattened(model.layers)]


def sequential(name, input_shape, *stack):
    return keras.Sequential([keras.Input(shape=input_shape), *stack], name=name)


def fresh():
    """Layer names restart (conv2d, conv2d_1, …) for each model, as in a fresh Python process."""
    keras.backend.clear_session()


# The Keras tutorial's CNN as its notebook writes it (Conv2D 64→32, pool, 32→16, pool, 16→8, pool).
fresh()
save("supported", "tutorial", sequential(
    "tutorial", (28, 28, 1),
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
    layers.Dense(10, activation="softmax")))

# A small CNN of the kind people write for MNIST-like data.
def small_cnn_layers():
    return [layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax")]


fresh()
save("supported", "small-cnn", sequential("small_cnn", (28, 28, 1), *small_cnn_layers()))

# Colour images, 32×32×3 (CIFAR-10 sized), with a final Activation layer holding the softmax.
fresh()
save("supported", "cifar-cnn", sequential(
    "cifar_cnn", (32, 32, 3),
    layers.Conv2D(16, 3, padding="same", activation="relu"),
    layers.MaxPooling2D(2),
    layers.Conv2D(32, 3, padding="same", activation="relu"),
    layers.MaxPooling2D(2),
    layers.Flatten(),
    layers.Dense(10),
    layers.Activation("softmax")))

# Options with Keras defaults changed: kernel 5, strides 2, valid padding, no bias, sigmoid and tanh,
# average and global pooling, separate activation layers.
fresh()
save("supported", "options", sequential(
    "options", (28, 28, 1),
    layers.Conv2D(8, 5, strides=2, padding="valid", use_bias=False, activation="tanh"),
    layers.Conv2D(8, (3, 3), padding="same"),
    layers.ReLU(),
    layers.AveragePooling2D(pool_size=2, strides=1, padding="valid"),
    layers.Conv2D(12, 3, strides=(2, 2), padding="same", activation="sigmoid"),
    layers.MaxPooling2D(pool_size=3, strides=2, padding="same"),
    layers.Activation("relu"),
    layers.GlobalAveragePooling2D(),
    layers.Dense(16, activation="tanh"),
    layers.Dense(10, activation="softmax")))

# The user guide's example: a small CNN with Dropout.
fresh()
save("supported", "dropout-cnn", sequential(
    "dropout_cnn", (28, 28, 1),
    layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(64, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dropout(0.3),
    layers.Dense(10, activation="softmax")))

# Augmentation at the front, batch-normalisation after convolutions (no bias) and after a Dense
# layer, Dropout: everything whose training draws or batch statistics could depend on the rank count.
fresh()
save("supported", "batchnorm-cnn", sequential(
    "batchnorm_cnn", (28, 28, 1),
    layers.RandomFlip("horizontal"),
    layers.RandomTranslation(0.1, 0.1),
    layers.Conv2D(16, 3, padding="same", use_bias=False),
    layers.BatchNormalization(),
    layers.ReLU(),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, padding="same", use_bias=False),
    layers.BatchNormalization(),
    layers.Activation("relu"),
    layers.GlobalAveragePooling2D(),
    layers.Dropout(0.2),
    layers.Dense(32, activation="relu"),
    layers.BatchNormalization(),
    layers.Dense(10, activation="softmax")))

# Per-sample normalisation: group norm after convolutions, layer norm after a Dense layer.
fresh()
save("supported", "normalization-cnn", sequential(
    "normalization_cnn", (28, 28, 1),
    layers.Conv2D(16, 3, strides=2, padding="same"),
    layers.GroupNormalization(groups=4),
    layers.ReLU(),
    layers.Conv2D(32, 3, strides=2, padding="same"),
    layers.GroupNormalization(groups=8),
    layers.ReLU(),
    layers.Flatten(),
    layers.Dense(64),
    layers.LayerNormalization(),
    layers.Activation("relu"),
    layers.Dense(10, activation="softmax")))

# Functional models whose layers form one chain: keras.applications' VGG16 (no weights, CIFAR-sized, 10
# classes), and a small one written by hand, also as a .keras archive.
fresh()
save("supported", "vgg16", keras.applications.VGG16(weights=None, input_shape=(32, 32, 3), classes=10))
fresh()
chain_input = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(8, 3, activation="relu")(chain_input)
x = layers.MaxPooling2D()(x)
x = layers.Flatten()(x)
chain = keras.Model(chain_input, layers.Dense(10, activation="softmax")(layers.Dropout(0.2)(x)), name="functional_chain")
save("supported", "functional-chain", chain)
chain.save(os.path.join(here, "supported", "functional-chain.keras"))
# The same chain in Keras 2's layout (tf.keras ≤ 2.15: inbound_nodes as [[[layer, node, tensor, kwargs]]],
# input_layers as a list of triples, batch_input_shape), converted from the Keras 3 JSON above, not
# written by tf.keras: TensorFlow 2.15 is not installed here.
keras2 = json.loads(chain.to_json())
for entry in keras2["config"]["layers"]:
    nodes = entry.get("inbound_nodes", [])
    entry["inbound_nodes"] = [[[t["config"]["keras_history"][0], 0, 0, {}] for t in node["args"]] for node in nodes]
    if entry["class_name"] == "InputLayer":
        entry["config"]["batch_input_shape"] = entry["config"].pop("batch_shape")
    entry.pop("module", None)
keras2["config"]["input_layers"] = [keras2["config"]["input_layers"]]
keras2["config"]["output_layers"] = [keras2["config"]["output_layers"]]
keras2["keras_version"] = "2.15.0"
with open(os.path.join(here, "supported", "functional-chain-keras2.json"), "w") as file:
    json.dump(keras2, file)
    file.write("\n")
summaries["functional-chain-keras2"] = summaries["functional-chain"]

# Zeros around, rows and columns cut off (as ResNet50 and MobileNetV2 pad before strided convolutions).
fresh()
save("supported", "margins-cnn", sequential(
    "margins_cnn", (28, 28, 1),
    layers.ZeroPadding2D(((1, 2), (0, 1))),
    layers.Conv2D(8, 3, strides=2, activation="relu"),
    layers.Cropping2D(((1, 0), (0, 2))),
    layers.ZeroPadding2D(1),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(10, activation="softmax")))

# small-cnn with the pixels rescaled inside the model, as keras.io's and tensorflow.org's tutorials
# write it: its users feed 0-255.
fresh()
save("supported", "rescaling-cnn", sequential("rescaling_cnn", (28, 28, 1), layers.Rescaling(1.0 / 255), *small_cnn_layers()))

# Reshape between vectors and images, and a Softmax layer as the output.
fresh()
save("supported", "reshape-softmax", sequential(
    "reshape_softmax", (28, 28, 1),
    layers.Reshape((784,)),
    layers.Dense(64, activation="relu"),
    layers.Reshape((8, 8, 1)),
    layers.Conv2D(4, 3, activation="relu"),
    layers.Reshape((-1,)),
    layers.Dense(10),
    layers.Softmax()))

# Keras's initializers other than the defaults, by name and as objects.
fresh()
save("supported", "initializers-cnn", sequential(
    "initializers_cnn", (28, 28, 1),
    layers.Conv2D(16, 3, activation="relu", kernel_initializer="he_normal"),
    layers.MaxPooling2D(),
    layers.Conv2D(16, 3, activation="relu", kernel_initializer=keras.initializers.HeUniform(),
                  bias_initializer=keras.initializers.Constant(0.1)),
    layers.Flatten(),
    layers.Dense(32, activation="tanh", kernel_initializer="lecun_normal"),
    layers.Dense(10, activation="softmax", kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
                 bias_initializer="zeros")))

# Every element-wise activation Tandem takes, as layers and as activation strings.
fresh()
save("supported", "activations-cnn", sequential(
    "activations_cnn", (28, 28, 1),
    layers.Conv2D(8, 3, strides=2, padding="same"),
    layers.ReLU(max_value=6.0),
    layers.Conv2D(8, 3, padding="same"),
    layers.LeakyReLU(negative_slope=0.1),
    layers.Conv2D(8, 3, padding="same"),
    layers.ELU(alpha=0.5),
    layers.Activation("gelu"),
    layers.MaxPooling2D(2),
    layers.Activation("swish"),
    layers.Activation("hard_silu"),
    layers.Activation("mish"),
    layers.Flatten(),
    layers.Dense(32),
    layers.Activation("selu"),
    layers.Activation("softplus"),
    layers.Activation("softsign"),
    layers.Activation("hard_sigmoid"),
    layers.ReLU(max_value=0.9, negative_slope=0.05, threshold=0.1),
    layers.Dense(10, activation="softmax")))

fresh()
save("supported", "global-max", sequential(
    "global_max", (16, 16, 2),
    layers.Conv2D(4, 3, padding="same", activation="relu"),
    layers.GlobalMaxPooling2D(),
    layers.Dense(3, activation="softmax")))

# Functional graphs: a residual network of the usual kind (batch-norm, identity and projection
# shortcuts), every merge layer (squeeze-and-excitation's broadcast Multiply included), and
# keras.applications' ResNet50 and DenseNet121 (no weights, CIFAR-sized, 10 classes).
fresh()
def residual_block(x, filters, strides, name):
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=strides, padding="same", name=name + "_conv1")(x)
    y = layers.BatchNormalization(name=name + "_bn1")(y)
    y = layers.Activation("relu", name=name + "_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", name=name + "_conv2")(y)
    y = layers.BatchNormalization(name=name + "_bn2")(y)
    if strides != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=strides, name=name + "_shortcut")(x)
    return layers.Activation("relu", name=name + "_out")(layers.Add(name=name + "_add")([shortcut, y]))


residual_input = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(8, 3, padding="same", activation="relu", name="stem")(residual_input)
x = residual_block(x, 8, 1, "block1")
x = residual_block(x, 16, 2, "block2")
x = layers.GlobalAveragePooling2D(name="pool")(x)
save("supported", "residual-cnn", keras.Model(residual_input, layers.Dense(10, activation="softmax", name="classes")(x),
                                              name="residual_cnn"))
fresh()
merge_input = keras.Input(shape=(28, 28, 1))
a = layers.Conv2D(6, 3, strides=2, padding="same", activation="relu", name="branch_a")(merge_input)
b = layers.Conv2D(6, 3, strides=2, padding="same", name="branch_b")(merge_input)
c = layers.Conv2D(6, 5, strides=2, padding="same", name="branch_c")(merge_input)
joined = layers.Concatenate(name="joined")([a, b, c])
mixed = layers.Concatenate(axis=1, name="stacked")([layers.Subtract(name="difference")([a, b]),
                                                   layers.Average(name="mean")([a, b, c])])
extremes = layers.Concatenate(axis=-3, name="extremes")([
    layers.Maximum(name="largest")([layers.Multiply(name="product")([a, b]), c, b]), layers.Minimum(name="smallest")([b, c])])
mixed = layers.Concatenate(axis=2, name="side_by_side")([mixed, extremes])
mixed = layers.Conv2D(18, 3, strides=2, padding="same", name="mixer")(mixed)
# Squeeze and excitation: per-channel weights from the pooled features, broadcast over the positions.
squeezed = layers.GlobalAveragePooling2D(keepdims=True, name="squeeze")(joined)
excitation = layers.Conv2D(18, 1, activation="sigmoid", name="excite")(squeezed)
scaled = layers.Multiply(name="scale")([joined, excitation])
x = layers.Add(name="sum")([scaled, mixed, joined])
x = layers.Flatten(name="flatten")(layers.MaxPooling2D(2, name="pool")(x))
save("supported", "merge-cnn", keras.Model(merge_input, layers.Dense(10, name="logits")(x), name="merge_cnn"))
# MobileNet's building blocks: an inverted residual (expand, depthwise, project, Add), a separable and a
# dilated convolution.
fresh()
mobile_input = keras.Input(shape=(28, 28, 1))
x = layers.ZeroPadding2D(((0, 1), (0, 1)), name="stem_pad")(mobile_input)
x = layers.Conv2D(8, 3, strides=2, name="stem")(x)
x = layers.BatchNormalization(name="stem_bn")(x)
x = layers.ReLU(6.0, name="stem_relu")(x)
y = layers.Conv2D(16, 1, name="expand")(x)
y = layers.ReLU(6.0, name="expand_relu")(y)
y = layers.DepthwiseConv2D(3, padding="same", name="depthwise")(y)
y = layers.BatchNormalization(name="depthwise_bn")(y)
y = layers.ReLU(6.0, name="depthwise_relu")(y)
y = layers.Conv2D(8, 1, name="project")(y)
x = layers.Add(name="residual")([x, y])
x = layers.SeparableConv2D(12, 3, strides=2, padding="same", depth_multiplier=2, activation="relu", name="separable")(x)
x = layers.Conv2D(12, 3, dilation_rate=2, padding="same", activation="relu", name="dilated")(x)
x = layers.DepthwiseConv2D(3, strides=2, depth_multiplier=2, name="depthwise_stride2")(x)
x = layers.GlobalAveragePooling2D(name="pool")(x)
save("supported", "mobile-cnn", keras.Model(mobile_input, layers.Dense(10, name="logits")(x), name="mobile_cnn"))
fresh()
save("supported", "mobilenetv2", keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), classes=10))
# Transfer learning as keras.io writes it: a Sequential augmentation block, then a frozen base model
# called with training=False under a new head. A small base for 28×28×1, and MobileNetV2's.
def transfer(name, input_shape, base):
    base.trainable = False
    augmentation = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomTranslation(0.1, 0.1)], name="augmentation")
    inputs = keras.Input(shape=input_shape)
    x = layers.Rescaling(1.0 / 127.5, offset=-1, name="scale")(augmentation(inputs))
    x = base(x, training=False)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dropout(0.2, name="dropout")(x)
    save("supported", name, keras.Model(inputs, layers.Dense(10, name="logits")(x), name=name.replace("-", "_")))


fresh()
base_input = keras.Input(shape=(28, 28, 1))
b = layers.Conv2D(8, 3, padding="same", name="base_conv1")(base_input)
b = layers.BatchNormalization(name="base_bn")(b)
b = layers.Activation("relu", name="base_relu")(b)
b = layers.Add(name="base_add")([b, layers.Conv2D(8, 1, name="base_shortcut")(base_input)])
transfer("transfer-cnn", (28, 28, 1), keras.Model(base_input, layers.Conv2D(16, 3, strides=2, activation="relu", name="base_conv2")(b),
                                                  name="base"))
fresh()
transfer("transfer-mobilenetv2", (32, 32, 3), keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(32, 32, 3)))
# The Keras CIFAR-10 ResNet-20 v1 (keras/examples/cifar10_resnet.py, as it writes resnet_v1 with depth 20):
# he_normal convolutions with L2(1e-4) regularisers, batch-norm, identity and 1×1 projection shortcuts.
fresh()
def resnet_layer(x, filters=16, kernel_size=3, strides=1, activation="relu", batch_normalization=True):
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", kernel_initializer="he_normal",
                      kernel_regularizer=keras.regularizers.l2(1e-4))(x)
    if batch_normalization:
        x = layers.BatchNormalization()(x)
    return layers.Activation(activation)(x) if activation else x


resnet_input = keras.Input(shape=(32, 32, 3))
x = resnet_layer(resnet_input)
filters = 16
for stack in range(3):
    for block in range(3):
        strides = 2 if stack > 0 and block == 0 else 1
        y = resnet_layer(resnet_layer(x, filters, strides=strides), filters, activation=None)
        if stack > 0 and block == 0:
            x = resnet_layer(x, filters, kernel_size=1, strides=strides, activation=None, batch_normalization=False)
        x = layers.Activation("relu")(layers.Add()([x, y]))
    filters *= 2
x = layers.Flatten()(layers.AveragePooling2D(pool_size=8)(x))
save("supported", "resnet20-v1", keras.Model(resnet_input, layers.Dense(10, activation="softmax", kernel_initializer="he_normal")(x),
                                             name="resnet20_v1"))
# keras.io's "Image classification from scratch" (make_model), with its augmentation block inside the
# model as its earlier version wrote it, at 32×32×3 and 10 classes. The 2-class variant (one logit) is
# its own (with one logit) is further below.
def from_scratch(input_shape, num_classes):
    augmentation = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)], name="data_augmentation")
    inputs = keras.Input(shape=input_shape)
    x = augmentation(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(128, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x
    for size in [256, 512, 728]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x
    x = layers.SeparableConv2D(1024, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.25)(x)
    return keras.Model(inputs, layers.Dense(1 if num_classes == 2 else num_classes, activation=None)(x), name="from_scratch")


fresh()
save("supported", "from-scratch", from_scratch((32, 32, 3), 10))
# Every weight regulariser form on a small graph: L2 and L1 objects, L1L2, a name, on kernels, biases,
# depthwise and pointwise kernels and batch-norm's gamma and beta.
fresh()
regularized_input = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(6, 3, strides=2, kernel_regularizer=keras.regularizers.L2(1e-2), bias_regularizer=keras.regularizers.L1(1e-2),
                  bias_initializer="ones", name="conv")(regularized_input)
x = layers.BatchNormalization(gamma_regularizer=keras.regularizers.L1L2(l1=1e-2, l2=2e-2), beta_regularizer="l2", name="bn")(x)
x = layers.SeparableConv2D(8, 3, depthwise_regularizer="l1", pointwise_regularizer=keras.regularizers.L2(3e-3), name="separable")(x)
x = layers.Flatten(name="flatten")(layers.MaxPooling2D(2, name="pool")(x))
save("supported", "regularized-cnn", keras.Model(regularized_input, layers.Dense(10, activation="softmax", kernel_regularizer="l2",
                                                                                 name="classes")(x), name="regularized_cnn"))
fresh()
save("supported", "resnet50", keras.applications.ResNet50(weights=None, input_shape=(32, 32, 3), classes=10))
fresh()
save("supported", "densenet121", keras.applications.DenseNet121(weights=None, input_shape=(32, 32, 3), classes=10))
# EfficientNetB0: Rescaling and Normalization at the front, swish, squeeze-and-excitation (Multiply of a
# (1, 1, C) gate), drop-connect (Dropout with noise_shape (None, 1, 1, 1)).
fresh()
save("supported", "efficientnetb0", keras.applications.EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=10))

# Refused, each for one reason; the expected line is checked by the tests.
unsupported = {
    "dilation-strides": (sequential("dilation_strides", (28, 28, 1),
                                    layers.Conv2D(8, 3, dilation_rate=2, name="conv2d_3"),
                                    layers.Flatten(), layers.Dense(10, activation="softmax")),
                         "conv2d_3: dilation_rate 2x2 with strides 2x2: Keras allows one of them above 1, not both"),
    "groups": (sequential("groups", (28, 28, 4),
                          layers.Conv2D(8, 3, groups=2, name="grouped"),
                          layers.Flatten(), layers.Dense(10, activation="softmax")),
               "grouped: groups 2 is not supported"),
    "huge-filters": (sequential("huge", (28, 28, 1),
                                layers.Conv2D(8, 3, name="wide"),
                                layers.Flatten(), layers.Dense(10, activation="softmax")),
                     "wide: filters 1000000000 is out of range (1…65536)"),
    "sigmoid-output": (sequential("multi_label", (28, 28, 1),
                                  layers.Flatten(), layers.Dense(10, activation="sigmoid", name="scores")),
                       "scores: the model ends in activation 'sigmoid'; Tandem trains classifiers whose last layer is a softmax, linear (logits), or one sigmoid unit (binary)"),
    "lstm": (sequential("lstm", (28, 28),
                        layers.LSTM(8, name="recurrent"), layers.Dense(10, activation="softmax")),
             "recurrent: LSTM layers are not supported"),
}
expected = {}
for name, (model, line) in unsupported.items():
    save("unsupported", name, model)
    expected[name] = line
# 10⁹ filters cannot be built by Keras itself here (it would allocate them): edit the saved description.
path = os.path.join(here, "unsupported", "huge-filters.json")
description = json.load(open(path))
description["config"]["layers"][1]["config"]["filters"] = 1_000_000_000
json.dump(description, open(path, "w"))
# Keras itself refuses dilation and strides above 1 together (TensorFlow cannot run it): edit the description.
path = os.path.join(here, "unsupported", "dilation-strides.json")
description = json.load(open(path))
description["config"]["layers"][1]["config"]["strides"] = [2, 2]
json.dump(description, open(path, "w"))
# Functional graphs Tandem refuses: a shared layer, two inputs; and, edited by hand
# because Keras would not build them, mismatched shapes at a merge, a cycle and a dangling reference.
def functional(name, build, line):
    fresh()
    inputs = keras.Input(shape=(28, 28, 1))
    with open(os.path.join(here, "unsupported", name + ".json"), "w") as file:
        file.write(keras.Model(inputs, build(inputs), name=name.replace("-", "_")).to_json() + "\n")
    expected[name] = line


def shared(x):
    convolution = layers.Conv2D(1, 3, padding="same", name="twice")
    return layers.Dense(10, activation="softmax")(layers.Flatten()(convolution(convolution(x))))


functional("functional-shared", shared, "twice: the layer is called 2 times (a shared layer); Tandem trains each layer once")
fresh()
first, second = keras.Input(shape=(28, 28, 1), name="left"), keras.Input(shape=(28, 28, 1), name="right")
with open(os.path.join(here, "unsupported", "functional-two-inputs.json"), "w") as file:
    file.write(keras.Model([first, second], layers.Dense(10, activation="softmax")(layers.Flatten()(
        layers.Add()([first, second]))), name="two_inputs").to_json() + "\n")
expected["functional-two-inputs"] = "the model has 2 inputs; Tandem trains models with one"


def residual(x):
    x = layers.Conv2D(4, 3, padding="same", name="conv_a")(x)
    y = layers.Conv2D(4, 3, padding="same", name="conv_b")(x)
    return layers.Dense(10, activation="softmax", name="dense")(layers.Flatten(name="flatten")(layers.Add(name="add")([x, y])))


def edited(name, line, edit):
    functional(name, residual, line)
    path = os.path.join(here, "unsupported", name + ".json")
    description = json.load(open(path))
    edit({entry["name"]: entry for entry in description["config"]["layers"]})
    json.dump(description, open(path, "w"))


def history(entry):
    """The keras_history of a layer's (first) input tensor."""
    arguments = entry["inbound_nodes"][0]["args"][0]
    return (arguments[0] if isinstance(arguments, list) else arguments)["config"]["keras_history"]


edited("merge-mismatch", "add: inputs of shapes (None, 28, 28, 4), (None, 28, 28, 5) cannot be merged (the same shape, or (1, 1, C) against (H, W, C))",
       lambda entries: entries["conv_b"]["config"].update(filters=5))
edited("functional-cycle", "conv_a: its inputs form a cycle", lambda entries: history(entries["conv_a"]).__setitem__(0, "add"))
edited("functional-dangling", "conv_b: its input 'conv_z' is not a layer of the model",
       lambda entries: history(entries["conv_b"]).__setitem__(0, "conv_z"))
# A nested model whose output layer bears the nested model's own name, so that the name leads back to
# itself (found by the fuzzer): transfer-cnn with its base's last layer renamed "base".
def nested_output_cycle():
    path = os.path.join(here, "supported", "transfer-cnn.json")
    description = json.load(open(path))
    base = next(entry for entry in description["config"]["layers"] if entry["name"] == "base")
    last = next(entry for entry in base["config"]["layers"] if entry["name"] == "base_conv2")
    last["name"] = last["config"]["name"] = "base"
    base["config"]["output_layers"][0] = "base"
    json.dump(description, open(os.path.join(here, "unsupported", "nested-output-cycle.json"), "w"))
    expected["nested-output-cycle"] = "base: a nested model whose output leads back to itself (a cycle of nested models' names)"


nested_output_cycle()
with open(os.path.join(here, "unsupported", "expected-errors.json"), "w") as file:
    json.dump(expected, file, indent=2, sort_keys=True, ensure_ascii=False)
    file.write("\n")
# TensorFlow's "basic classification" tutorial (tensorflow.org/tutorials/keras/classification), as it
# writes it: Flatten of 28×28, Dense 128 relu, Dense 10 without softmax, compiled from_logits=True, saved
# as .keras (its config.json carries compile_config) and as to_json() of the compiled model.
fresh()
basic = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(128, activation="relu"),
                          layers.Dense(10)], name="basic_classification")
basic.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
save("supported", "basic-classification", basic)
basic.save(os.path.join(here, "supported", "basic-classification.keras"))
# The same logits model compiled with Keras's default loss (from_logits=False): Tandem warns at start-up.
fresh()
mismatch = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Flatten(), layers.Dense(10)], name="logits_mismatch")
mismatch.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
save("supported", "logits-mismatch", mismatch)

# A .keras archive (config.json, model.weights.h5, metadata.json) of the Dropout model: --model reads its config.
fresh()
keras.models.model_from_json(open(os.path.join(here, "supported", "dropout-cnn.json")).read()).save(
    os.path.join(here, "supported", "dropout-cnn.keras"))

with open(os.path.join(here, "keras-version.txt"), "w") as file:
    file.write(f"keras {keras.__version__}\n")

# Compile settings (compile_config) a new run takes as its recipe, each in to_json() of a compiled model:
# compiled/<name>.json, and what Tandem must make of it in compiled/expected.json (the recipe's fields,
# or the one line that refuses it).
def compiled(name, optimizer, loss="sparse_categorical_crossentropy"):
    fresh()
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Flatten(), layers.Dense(10)], name=name.replace("-", "_"))
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    os.makedirs(os.path.join(here, "compiled"), exist_ok=True)
    with open(os.path.join(here, "compiled", name + ".json"), "w") as file:
        file.write(model.to_json() + "\n")


logits = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
compiled_expected = {
    "adam-tuned": (keras.optimizers.Adam(3e-4, beta_1=0.8, beta_2=0.99, epsilon=1e-6), logits,
                   {"kind": "adam", "learningRate": 3e-4, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6}),
    "adam-weight-decay": (keras.optimizers.Adam(1e-3, weight_decay=0.05), logits, {"kind": "adamw", "weightDecay": 0.05}),
    "adamw": (keras.optimizers.AdamW(2e-3), logits, {"kind": "adamw", "learningRate": 2e-3, "weightDecay": 0.004}),
    "sgd-nesterov": (keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True), logits,
                     {"kind": "sgd", "learningRate": 0.05, "momentum": 0.9, "nesterov": True}),
    "rmsprop-smoothing": (keras.optimizers.RMSprop(5e-4, rho=0.8, momentum=0.5),
                          keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
                          {"kind": "rmsprop", "learningRate": 5e-4, "rho": 0.8, "momentum": 0.5, "labelSmoothing": 0.1}),
    "by-name": ("rmsprop", logits, {"kind": "rmsprop", "learningRate": 1e-3, "rho": 0.9}),
    "clipnorm": (keras.optimizers.Adam(clipnorm=1.0), logits,
                 "the optimizer's clipnorm 1 (gradient clipping) is not supported; pass --optimizer to train with Tandem's instead"),
    "schedule": (keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(0.1, 1000, 0.9)), logits,
                 "the optimizer's learning_rate is a ExponentialDecay schedule, which Tandem does not follow; pass --learning-rate (and --schedule, --warmup-epochs)"),
    "ema": (keras.optimizers.Adam(use_ema=True), logits,
            "the optimizer's use_ema true (an exponential moving average of the weights) is not supported; pass --optimizer to train with Tandem's instead"),
    "accumulation": (keras.optimizers.Adam(gradient_accumulation_steps=4), logits,
                     "the optimizer's gradient_accumulation_steps 4 (gradient accumulation; use a larger --batch-size) is not supported; pass --optimizer to train with Tandem's instead"),
    "nadam": (keras.optimizers.Nadam(), logits,
              "optimizer Nadam is not supported (Adam, AdamW, SGD or RMSprop); pass --optimizer to train with one of Tandem's"),
    "sgd-weight-decay": (keras.optimizers.SGD(0.1, weight_decay=1e-4), logits,
                         "the optimizer's weight_decay 0.0001 on SGD is not supported; pass --optimizer to train with Tandem's instead"),
}
for name, (optimizer, loss, _) in compiled_expected.items():
    compiled(name, optimizer, loss)
with open(os.path.join(here, "compiled", "expected.json"), "w") as file:
    json.dump({name: outcome for name, (_, _, outcome) in compiled_expected.items()}, file, indent=2, sort_keys=True)
    file.write("\n")

# Binary classifiers (appended last): keras.io's from-scratch network for 2 classes, as it writes it (one
# logit, compiled with BinaryCrossentropy(from_logits=True)), and a small CNN ending in Dense(1, sigmoid).
fresh()
scratch_binary = from_scratch((32, 32, 3), 2)
scratch_binary.compile(optimizer=keras.optimizers.Adam(3e-4), loss=keras.losses.BinaryCrossentropy(from_logits=True),
                       metrics=[keras.metrics.BinaryAccuracy(name="acc")])
save("supported", "from-scratch-binary", scratch_binary)
fresh()
binary_input = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(6, 3, strides=2, use_bias=False, name="conv")(binary_input)
x = layers.BatchNormalization(name="bn")(x)
x = layers.Activation("relu", name="relu")(x)
x = layers.GlobalAveragePooling2D(name="pool")(x)
binary_cnn = keras.Model(binary_input, layers.Dense(1, activation="sigmoid", name="score")(x), name="binary_cnn")
binary_cnn.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
save("supported", "binary-cnn", binary_cnn)
# Zoom, contrast and brightness augmentation, resizing, PReLU, upsampling, centre crop and the Gaussian
# and spatial regularisers in one model on
# Fashion-MNIST's images (appended last, before the summaries).
fresh()
resize_input = keras.Input(shape=(28, 28, 1))
x = layers.RandomZoom(0.1, name="zoom")(resize_input)
x = layers.RandomContrast(0.2, value_range=(0, 1), name="contrast")(x)
x = layers.RandomBrightness(0.1, value_range=(0, 1), name="brightness")(x)
x = layers.Resizing(32, 32, name="resize")(x)
x = layers.Conv2D(6, 3, strides=2, name="conv_a")(x)
x = layers.PReLU(shared_axes=[1, 2], name="prelu")(x)
x = layers.UpSampling2D(interpolation="bilinear", name="upsample")(x)
x = layers.CenterCrop(24, 24, name="crop")(x)
x = layers.GaussianNoise(0.1, name="noise")(x)
x = layers.SpatialDropout2D(0.1, name="spatial_dropout")(x)
x = layers.Conv2D(8, 3, strides=2, activation="gelu", name="conv_b")(x)
x = layers.GaussianDropout(0.1, name="gaussian_dropout")(x)
x = layers.UpSampling2D(name="upsample_nearest")(x)
x = layers.GlobalAveragePooling2D(name="pool")(x)
save("supported", "resize-cnn", keras.Model(resize_input, layers.Dense(10, activation="softmax", name="classes")(x), name="resize_cnn"))
# ActivityRegularization after a ReLU convolution (zeros: sign 0) and after a linear Dense (both signs).
fresh()
activity_input = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(4, 3, strides=2, activation="relu", name="conv")(activity_input)
x = layers.ActivityRegularization(l1=1e-3, l2=1e-3, name="activity_conv")(x)
x = layers.Flatten(name="flatten")(x)
x = layers.Dense(16, name="hidden")(x)
x = layers.ActivityRegularization(l1=1e-2, l2=2e-2, name="activity_hidden")(x)
save("supported", "activity-cnn", keras.Model(activity_input, layers.Dense(10, activation="softmax", name="classes")(x),
                                              name="activity_cnn"))

# Last: every supported model's layers, as Keras summarises them.
with open(os.path.join(here, "supported", "expected-layers.json"), "w") as file:
    json.dump(summaries, file, indent=1, sort_keys=True)
    file.write("\n")
