#!/usr/bin/env python3
"""Keras/TensorFlow training a Keras model description with Tandem's recipe, inside a wall-clock budget:
the side-by-side for a shipped model (issue 7), e.g. fashion-strong's 15 minutes on this machine's 2 cores.

    /root/.cache/tandem-keras-venv/bin/python Launch/keras_train_budget.py Models/fashion-strong.json \\
        --epochs 22 --optimizer adamw --learning-rate 0.003 --warmup-epochs 1 --schedule cosine \\
        --budget 900 --seed 1 --json out.json

The recipe is Tandem's (TrainingConfiguration.swift): batch 32, the optimiser with Keras's defaults, a
warm-up from the learning rate to the same rate (no batch scaling at 32: a constant first epoch), then
Keras's CosineDecay to 0. The budget counts from the start of this process (TensorFlow's import, data
loading and every evaluation included), as /usr/bin/time counts Tandem's runs.

Two ways to spend the budget, both reported (--plan):
- `recipe`: the recipe as it is (cosine over --epochs), stopped when the budget runs out;
- `fit` (default): first 50 timed steps to measure this machine, then the recipe compressed to the
  epochs that fit the budget (cosine over those epochs), stopped at the budget all the same. This is the
  fairer one for Keras: its schedule ends where its time does.
Test accuracy is measured after every epoch on the 10,000 test images.
"""
import argparse
import json
import math
import os
import sys
import time

START = time.perf_counter()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_common  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="Keras model description (model.to_json())")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--optimizer", choices=["adam", "adamw"], default="adamw")
    parser.add_argument("--learning-rate", type=float, default=0.003)
    parser.add_argument("--weight-decay", type=float, default=0.004)
    parser.add_argument("--warmup-epochs", type=float, default=1.0)
    parser.add_argument("--schedule", choices=["constant", "cosine"], default="cosine")
    parser.add_argument("--label-smoothing", type=float, default=0.0,
                        help="Keras's CategoricalCrossentropy(label_smoothing) on one-hot labels, as Tandem's --label-smoothing")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--budget", type=float, default=900, help="wall-clock seconds from process start")
    parser.add_argument("--plan", choices=["fit", "recipe"], default="fit")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2, help="TensorFlow intra-op threads (inter-op 1)")
    parser.add_argument("--data", default=keras_common.DEFAULT_DATA)
    parser.add_argument("--json", metavar="FILE")
    arguments = parser.parse_args()

    tf = keras_common.import_tensorflow(arguments.threads, 1)
    import keras
    import numpy as np

    keras.utils.set_random_seed(arguments.seed)
    x, y = keras_common.load_split(arguments.data, "train")
    xt, yt = keras_common.load_split(arguments.data, "t10k")
    x = x.astype(np.float32) / 255
    xt = xt.astype(np.float32) / 255
    steps_per_epoch = len(x) // arguments.batch_size
    x, y = x[:steps_per_epoch * arguments.batch_size], y[:steps_per_epoch * arguments.batch_size]
    if arguments.label_smoothing:   # SparseCategoricalCrossentropy has no label_smoothing: one-hot labels
        y, yt = keras.utils.to_categorical(y, 10), keras.utils.to_categorical(yt, 10)
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=arguments.label_smoothing)
    else:
        loss = "sparse_categorical_crossentropy"

    def build(epochs):
        keras.utils.set_random_seed(arguments.seed)
        with open(arguments.model) as handle:
            model = keras.models.model_from_json(handle.read())
        warmup_steps = int(arguments.warmup_epochs * steps_per_epoch)
        if arguments.schedule == "cosine":
            rate = keras.optimizers.schedules.CosineDecay(
                initial_learning_rate=arguments.learning_rate, decay_steps=max(epochs * steps_per_epoch - warmup_steps, 1),
                warmup_target=arguments.learning_rate if warmup_steps else None, warmup_steps=warmup_steps)
        else:
            rate = arguments.learning_rate
        if arguments.optimizer == "adamw":
            optimizer = keras.optimizers.AdamW(learning_rate=rate, weight_decay=arguments.weight_decay)
        else:
            optimizer = keras.optimizers.Adam(learning_rate=rate)
        model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
        return model

    epochs = arguments.epochs
    probe = None
    if arguments.plan == "fit":
        model = build(epochs)
        batch = arguments.batch_size
        for step in range(10):  # warm-up: graph tracing
            model.train_on_batch(x[step * batch:(step + 1) * batch], y[step * batch:(step + 1) * batch])
        began = time.perf_counter()
        for step in range(10, 60):
            model.train_on_batch(x[step * batch:(step + 1) * batch], y[step * batch:(step + 1) * batch])
        seconds_per_step = (time.perf_counter() - began) / 50
        # An evaluation costs about a fifth of an epoch's steps' worth (10,000 images forward only).
        epoch_estimate = seconds_per_step * steps_per_epoch * 1.2
        left = arguments.budget - (time.perf_counter() - START)
        epochs = max(1, min(arguments.epochs, math.floor(left / epoch_estimate)))
        probe = {"seconds_per_step": seconds_per_step, "epochs_that_fit": epochs}
        print(f"probe: {seconds_per_step * 1000:.1f} ms/step; {epochs} epochs fit the budget", flush=True)

    model = build(epochs)

    class Budget(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.rows = []
            self.epoch_began = None

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch_began = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            now = time.perf_counter()
            row = {"epoch": epoch + 1, "seconds": now - self.epoch_began, "elapsed": now - START}
            row.update({key: float(value) for key, value in (logs or {}).items()})
            self.rows.append(row)
            print(json.dumps(row), flush=True)
            if now - START >= arguments.budget:
                self.model.stop_training = True

        def on_train_batch_end(self, batch, logs=None):
            if time.perf_counter() - START >= arguments.budget:
                self.model.stop_training = True

    budget = Budget()
    model.fit(x, y, batch_size=arguments.batch_size, epochs=epochs, shuffle=True, verbose=0,
              validation_data=(xt, yt), callbacks=[budget])
    completed = [row for row in budget.rows if "val_accuracy" in row]
    report = {
        "model": arguments.model, "plan": arguments.plan, "budget_seconds": arguments.budget,
        "recipe": {key: getattr(arguments, key) for key in
                   ["epochs", "optimizer", "learning_rate", "weight_decay", "warmup_epochs", "schedule", "label_smoothing", "batch_size", "seed"]},
        "scheduled_epochs": epochs, "probe": probe, "epochs": budget.rows,
        "final_test_accuracy": completed[-1]["val_accuracy"] if completed else None,
        "wall_seconds": time.perf_counter() - START,
        "tensorflow_version": tf.__version__, "keras_version": keras.__version__, "threads": arguments.threads,
    }
    text = json.dumps(report, indent=2)
    if arguments.json:
        with open(arguments.json, "w") as handle:
            handle.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
