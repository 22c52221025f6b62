#!/usr/bin/env python3
"""Writes what real Keras computes for whole graph models on one fixed batch: the tests compare Tandem's
loss and gradients with these.

    python3 -m venv /root/.cache/tandem-keras-venv
    /root/.cache/tandem-keras-venv/bin/pip install tensorflow-cpu==2.21.0
    /root/.cache/tandem-keras-venv/bin/python Tests/Fixtures/keras-gradients/generate.py [NAME ...]

For each model description in ../keras-models/supported named below, `<name>.json`: by layer name, in
`layer.weights` order, Keras's initial weights (batch-norm's statistics and scales drawn at random so
that they matter) and the gradient of every weight (null for non-trainable ones, frozen layers
included); the batch (4 images in [0, 1), labels) and the mean sparse categorical cross-entropy of
`model(x, training=False)` (binary cross-entropy for a model with one sigmoid unit); the weight regularisers' penalty (`sum(model.losses)` but the activity regularisers' terms, which are in the loss), whose gradient is
in the weights' gradients, as Keras's `fit` computes them. Nested models' layers are listed as the model's own, as Tandem splices
them in. Run once; the files are committed.
"""
import json
import os

import numpy as np
import keras
import tensorflow as tf

here = os.path.dirname(os.path.abspath(__file__))
models = os.path.join(here, "..", "keras-models", "supported")

import sys
for name in sys.argv[1:] or ["residual-cnn", "merge-cnn", "mobile-cnn", "transfer-cnn", "regularized-cnn", "binary-cnn", "activity-cnn"]:
    keras.utils.set_random_seed(7)
    model = keras.models.model_from_json(open(os.path.join(models, name + ".json")).read())
    generator = np.random.default_rng(7)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights([generator.uniform(0.5, 1.5, gamma.shape), generator.uniform(-0.2, 0.2, beta.shape),
                               generator.uniform(-0.2, 0.2, mean.shape), generator.uniform(0.5, 1.5, variance.shape)])
    images = generator.uniform(0, 1, (4,) + tuple(model.input_shape[1:])).astype("float32")
    binary = model.output_shape[-1] == 1   # one sigmoid unit: binary cross-entropy on labels 0 and 1
    labels = np.array([1, 0, 0, 1]) if binary else np.array([3, 0, 9, 5])
    activation = model.layers[-1].get_config().get("activation", "linear")
    loss_function = (keras.losses.BinaryCrossentropy(from_logits=activation != "sigmoid") if binary
                     else keras.losses.SparseCategoricalCrossentropy(from_logits=activation != "softmax"))
    with tf.GradientTape() as tape:
        loss = loss_function(labels[:, None].astype("float32") if binary else labels, model(images, training=False))
        # What Keras's fit adds to the loss: the activity regularisers' terms (of this call, already divided
        # by the batch size; part of "loss" here, as Tandem adds them to each sample's loss) and the weight
        # regularisers' penalty.
        activity = [term for layer in model.layers if isinstance(layer, keras.layers.ActivityRegularization) for term in layer.losses]
        loss = loss + sum(activity) if activity else loss
        penalty = sum(model.losses) - sum(activity) if model.losses else tf.constant(0.0)
        total = loss + penalty
    gradients = dict(zip([id(w) for w in model.trainable_weights], tape.gradient(total, model.trainable_weights)))
    def flattened(layers):
        for layer in layers:
            yield from flattened(layer.layers) if isinstance(layer, keras.Model) else [layer]
    weights, layers = {}, {}
    for layer in flattened(model.layers):
        if layer.weights:
            weights[layer.name] = [w.numpy().ravel().tolist() for w in layer.weights]
            layers[layer.name] = [gradients[id(w)].numpy().ravel().tolist() if id(w) in gradients else None
                                  for w in layer.weights]
    with open(os.path.join(here, name + ".json"), "w") as file:
        json.dump({"images": images.ravel().tolist(), "labels": labels.tolist(), "loss": float(loss),
                   "penalty": float(penalty), "weights": weights,
                   "layers": layers}, file)
        file.write("\n")
with open(os.path.join(here, "keras-version.txt"), "w") as file:
    file.write(f"keras {keras.__version__}, tensorflow {tf.__version__}\n")
