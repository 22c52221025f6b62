#!/usr/bin/env python3
"""Loss and gradients of whole keras.applications-sized models, Tandem against real Keras, at Keras's
initial weights on one batch (the models too large for the committed fixtures of KerasGradientTests).

    /root/.cache/tandem-keras-venv/bin/python Launch/keras_gradient_check.py MODEL.json [...] [--work DIR] [--smooth]

Keras's TensorFlow backend (the venv of Tests/Fixtures/keras-models/generate.py) or its JAX backend
(`KERAS_BACKEND=jax`, a venv with `keras jax h5py`: no TensorFlow needed).

For each model description (from Tests/Fixtures/keras-models/supported): Keras builds it, saves its
initial weights (.weights.h5) and computes, for 32 random images and labels in training mode (batch-norm
on the batch's statistics), the mean sparse categorical cross-entropy plus the regularisers' penalty and
the gradient of every trainable weight. Tandem then trains one step from those weights on the same batch
(`--initial-weights`, `--limit 32 --batch-size 32`) with plain SGD at a learning rate of 1e6, so the step
is the gradient times 1e6 and float32 rounding of the weights costs under 1e-7 of it: the gradient is
(w0 − w1) / 1e6. Keras also computes the gradient in float64 (the same weights and batch): the
reference both float32 results are measured against, since deep networks with batch-norm amplify
float32 rounding (Keras's own float32 gradient is off by as much). Printed per model: Keras's loss and
Tandem's first-step loss, and the largest ‖Δg‖ / ‖g‖ over the weight tensors of Tandem against Keras
float32, and of Tandem and of Keras float32 against float64 (the issue's bound: 1e-4, 1e-3 for models
deeper than 50 layers).
Models with Dropout or augmentation are not for this check: their training draws are not Keras's.

A gradient of a ReLU network is discontinuous wherever a pre-activation is zero: one value within
float32 rounding (~1e-7) of a kink that lands on the other side in one computation switches a whole
position's gradient on or off, which moves a layer's ‖Δg‖/‖g‖ by up to ~1e-2 when batch-norm's backward
amplifies it. Any float32 computation (Keras's own, Tandem's with another --micro-batch or --convolution)
crosses such a kink now and then; Launch/results/graphs/keras-gradients.log has the worked case.
`--smooth` takes the kinks out: every ReLU (`activation="relu"`, `Activation("relu")`, `ReLU` layers,
relu6 included) of the description becomes tanh, in Keras and in Tandem alike, so that what remains
is the arithmetic: what the two compute, not which side of a kink float32 rounding lands on.
"""
import argparse
import os
import re
import subprocess
import sys

import json

import numpy as np

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def smoothed(description):
    """The description with every ReLU made tanh (`--smooth`)."""
    def visit(node):
        if isinstance(node, dict):
            if node.get("class_name") == "ReLU":
                node["class_name"] = "Activation"
                node["config"] = {"name": node["config"]["name"], "activation": "tanh"}
            config = node.get("config")
            if isinstance(config, dict) and config.get("activation") in ("relu", "relu6"):
                config["activation"] = "tanh"
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)
    visit(description)
    return description


def loss_and_gradients(keras, model, inputs, labels, from_logits):
    """The training-mode loss (with the regularisers' penalty) and the gradient of every trainable
    weight, as numpy arrays, through whichever backend Keras runs on."""
    loss_function = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        with tf.GradientTape() as tape:
            total = loss_function(labels, model(inputs, training=True))
            total = total + (sum(model.losses) if model.losses else 0.0)
        return float(total), [gradient.numpy() for gradient in tape.gradient(total, model.trainable_weights)]
    import jax
    trainable = [variable.value for variable in model.trainable_variables]
    fixed = [variable.value for variable in model.non_trainable_variables]

    def total(trainable):
        outputs, _, losses = model.stateless_call(trainable, fixed, inputs, training=True, return_losses=True)
        return loss_function(labels, outputs) + sum(losses)
    value, gradients = jax.value_and_grad(total)(trainable)
    return float(value), [np.asarray(gradient) for gradient in gradients]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="+")
    parser.add_argument("--tandem", default=os.path.join(REPOSITORY, ".build/release/tandem"))
    parser.add_argument("--work", default="/tmp/keras-gradient-check")
    parser.add_argument("--detail", action="store_true", help="also print the eight tensors that differ most")
    parser.add_argument("--ranks", default="2")
    parser.add_argument("--smooth", action="store_true", help="every ReLU made tanh, in both (no kinks)")
    parser.add_argument("--micro-batch", default=None)
    parser.add_argument("--convolution", default=None, help="Tandem's --convolution (default: its auto)")
    parser.add_argument("--initial-weights", default=None,
                        help="a .weights.h5 both start from (e.g. a Tandem export) instead of Keras's initialisation")
    arguments = parser.parse_args()
    if os.environ.get("KERAS_BACKEND") == "jax":
        import jax
        jax.config.update("jax_enable_x64", True)   # or the float64 reference would silently be float32
    import keras
    os.makedirs(arguments.work, exist_ok=True)
    environment = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OPENBLAS_NUM_THREADS="1")
    worst_overall = 0.0
    for original in arguments.models:
        path = original
        name = os.path.splitext(os.path.basename(path))[0]
        work = os.path.join(arguments.work, name)
        os.makedirs(work, exist_ok=True)
        keras.utils.set_random_seed(11)
        if arguments.smooth:
            path = os.path.join(work, name + "-smooth.json")
            with open(path, "w") as file:
                json.dump(smoothed(json.load(open(original))), file)
        model = keras.models.model_from_json(open(path).read())
        generator = np.random.default_rng(11)
        shape = tuple(model.input_shape[1:])
        images = generator.integers(0, 256, size=(32,) + shape, dtype=np.uint8)
        labels = generator.integers(0, model.output_shape[-1], size=32).astype(np.uint8)
        np.savez(os.path.join(work, "batch.npz"), x_train=images, y_train=labels, x_test=images, y_test=labels)
        weights_path = os.path.join(work, "initial.weights.h5")
        if arguments.initial_weights:
            model.load_weights(arguments.initial_weights)
        model.save_weights(weights_path)
        raw = any(layer.__class__.__name__ == "Rescaling" for layer in model.layers[:3])
        inputs = images.astype("float32") / (1 if raw else 255)
        from_logits = model.layers[-1].get_config().get("activation") != "softmax"
        total, keras_gradients = loss_and_gradients(keras, model, inputs, labels, from_logits)
        # The float64 reference: every layer's dtype policy float64, Keras's initial weights.
        keras.config.set_floatx("float64")
        double = keras.models.clone_model(model, clone_function=lambda layer: layer.__class__.from_config(
            {**layer.get_config(), "dtype": "float64"}))
        double.set_weights([weight.astype("float64") for weight in model.get_weights()])
        _, reference_gradients = loss_and_gradients(keras, double, images.astype("float64") / (1 if raw else 255), labels, from_logits)
        keras.config.set_floatx("float32")
        checkpoint = os.path.join(work, "tandem")
        subprocess.run(["rm", "-rf", checkpoint], check=True)
        output = subprocess.run(["mpirun", "--oversubscribe", "-np", arguments.ranks, arguments.tandem, "train", "--model", path,
                                 "--data", os.path.join(work, "batch.npz"), "--initial-weights", weights_path,
                                 "--limit", "32", "--batch-size", "32", "--epochs", "1", "--optimizer", "sgd",
                                 "--learning-rate", "1e6", "--no-evaluate-every-epoch", "--checkpoint-dir", checkpoint]
                                + (["--micro-batch", arguments.micro_batch] if arguments.micro_batch else [])
                                + (["--convolution", arguments.convolution] if arguments.convolution else []),
                                check=True, capture_output=True, text=True, env=environment).stdout
        tandem_loss = float(re.search(r"- loss: ([0-9.]+)", output).group(1))
        after = os.path.join(work, "after.weights.h5")
        subprocess.run([arguments.tandem, "export", "--checkpoint", checkpoint, "--output", after], check=True, capture_output=True)
        model.load_weights(after)
        worst, worst_name = 0.0, ""
        worst_tandem64, worst_keras64 = (0.0, ""), (0.0, "")
        # The weights before and after, by variable, through Keras's own loading.
        keras.utils.set_random_seed(11)
        initial = keras.models.model_from_json(open(path).read())
        initial.load_weights(weights_path)
        largest_norm = max(np.linalg.norm(gradient) for gradient in keras_gradients)
        norms = []
        for start, end, keras_gradient, variable, exact in zip(initial.trainable_weights, model.trainable_weights, keras_gradients,
                                                               model.trainable_weights, reference_gradients):
            tandem_gradient = (start.numpy().astype(np.float64) - end.numpy().astype(np.float64)) / 1e6
            reference = keras_gradient.astype(np.float64)
            scale = np.linalg.norm(reference)
            if scale == 0:
                continue
            difference = np.linalg.norm(tandem_gradient - reference) / scale
            norms.append((difference, variable.path, scale))
            # A bias just before batch-norm has a gradient of zero in exact arithmetic (the normalisation
            # removes any shift): both sides hold rounding noise there, which no relative bound applies to.
            if scale < 1e-5 * largest_norm:
                continue
            if difference > worst:
                worst, worst_name = difference, variable.path
            exact_norm = np.linalg.norm(exact)
            tandem64 = np.linalg.norm(tandem_gradient - exact) / exact_norm
            keras64 = np.linalg.norm(keras_gradient.astype(np.float64) - exact) / exact_norm
            worst_tandem64 = max(worst_tandem64, (tandem64, variable.path))
            worst_keras64 = max(worst_keras64, (keras64, variable.path))
        depth = len([layer for layer in model.layers if layer.weights])
        print(f"{name}: {len(model.trainable_weights)} trainable tensors, {depth} layers with weights; loss Keras {float(total):.6f}, "
              f"Tandem {tandem_loss:.4f}; largest |dg|/|g| {worst:.2e} ({worst_name}); against float64: Tandem "
              f"{worst_tandem64[0]:.2e} ({worst_tandem64[1]}), Keras float32 {worst_keras64[0]:.2e} ({worst_keras64[1]})", flush=True)
        if "--detail" in sys.argv:
            for difference, path_name, norm in sorted((n for n in norms if n[2] >= 1e-5 * largest_norm), reverse=True)[:8]:
                print(f"  {path_name}: |dg|/|g| {difference:.2e}, |g| {norm:.2e}")
        skipped = [f"{path} (|g| {norm:.1e})" for _, path, norm in norms if norm < 1e-5 * largest_norm]
        if skipped:
            print(f"  not compared, |g| below 1e-5 of the largest tensor's {largest_norm:.2e}: {', '.join(skipped)}")
        worst_overall = max(worst_overall, worst)
    print(f"largest over all models: {worst_overall:.2e}")


if __name__ == "__main__":
    sys.exit(main())
