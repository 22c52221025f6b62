#!/usr/bin/env python3
"""Loss and gradients of whole keras.applications-sized models, Tandem against real Keras, at Keras's
initial weights on one batch (the models too large for the committed fixtures of KerasGradientTests).

    /root/.cache/tandem-keras-venv/bin/python Launch/keras_gradient_check.py MODEL.json [...] [--work DIR]

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
"""
import argparse
import os
import re
import subprocess
import sys

import numpy as np

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="+")
    parser.add_argument("--tandem", default=os.path.join(REPOSITORY, ".build/release/tandem"))
    parser.add_argument("--work", default="/tmp/keras-gradient-check")
    parser.add_argument("--detail", action="store_true", help="also print the eight tensors that differ most")
    parser.add_argument("--ranks", default="2")
    parser.add_argument("--micro-batch", default=None)
    parser.add_argument("--convolution", default=None, help="Tandem's --convolution (default: its auto)")
    parser.add_argument("--initial-weights", default=None,
                        help="a .weights.h5 both start from (e.g. a Tandem export) instead of Keras's initialisation")
    arguments = parser.parse_args()
    import keras
    import tensorflow as tf
    os.makedirs(arguments.work, exist_ok=True)
    environment = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OPENBLAS_NUM_THREADS="1")
    worst_overall = 0.0
    for path in arguments.models:
        name = os.path.splitext(os.path.basename(path))[0]
        work = os.path.join(arguments.work, name)
        os.makedirs(work, exist_ok=True)
        keras.utils.set_random_seed(11)
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
        with tf.GradientTape() as tape:
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)(labels, model(inputs, training=True))
            total = loss + (sum(model.losses) if model.losses else 0.0)
        keras_gradients = tape.gradient(total, model.trainable_weights)
        # The float64 reference: every layer's dtype policy float64, Keras's initial weights.
        keras.config.set_floatx("float64")
        double = keras.models.clone_model(model, clone_function=lambda layer: layer.__class__.from_config(
            {**layer.get_config(), "dtype": "float64"}))
        double.set_weights([weight.astype("float64") for weight in model.get_weights()])
        with tf.GradientTape() as tape:
            double_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)(
                labels, double(images.astype("float64") / (1 if raw else 255), training=True))
            double_total = double_loss + (sum(double.losses) if double.losses else 0.0)
        reference_gradients = [gradient.numpy() for gradient in tape.gradient(double_total, double.trainable_weights)]
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
        largest_norm = max(np.linalg.norm(gradient.numpy()) for gradient in keras_gradients)
        norms = []
        for start, end, keras_gradient, variable, exact in zip(initial.trainable_weights, model.trainable_weights, keras_gradients,
                                                               model.trainable_weights, reference_gradients):
            tandem_gradient = (start.numpy().astype(np.float64) - end.numpy().astype(np.float64)) / 1e6
            reference = keras_gradient.numpy().astype(np.float64)
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
            keras64 = np.linalg.norm(keras_gradient.numpy().astype(np.float64) - exact) / exact_norm
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
