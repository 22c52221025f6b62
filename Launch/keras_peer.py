#!/usr/bin/env python3
"""Keras/TensorFlow peer of `tandem bench`: the same model, batch and step counts, timed the same way.

    python Launch/keras_peer.py --steps 300 --warmup 30 --repeats 3 --json keras.json

Trains the tutorial CNN (keras_common.py) on the real Fashion-MNIST training set: --warmup untimed
steps, then --repeats timed runs of --steps steps each, back to back, as `tandem bench` does. Prints
one JSON object (also written to --json FILE): images/s min/median/max over repeats, seconds per
repeat, peak RSS, versions and thread settings.

Timing: each repeat runs from the start of its first batch (data preparation included, as in Tandem)
to the end of its last, taken with time.perf_counter() around the train_on_batch calls (--mode
train_on_batch) or in on_train_batch_begin / on_train_batch_end (--mode fit); never an epoch's wall
time, because model.fit sometimes idles 25-40 s before an epoch's first batch (tf.data autotuning
teardown). That idle shows up as "seconds_before_first_batch". "repeat_cpu_seconds" is the process's
CPU time (all threads) over the same span.

Why --mode train_on_batch is the default: on this 2-core machine it was the fastest way to drive
Keras, by a small margin. In alternating small runs (60-100 steps, intra-op 2 / inter-op 1, taken
while another job kept both cores busy, so wall times were noisy) it took 40.8-42.0 ms of CPU per
step against 41.6-44.3 ms for model.fit(steps_per_epoch=W+R*S) over tf.data (shuffle, batch, cast and
one-hot per batch, prefetch), and 41.6-41.9 ms for model.fit over a float32 tf.data pipeline or NumPy
arrays; wall time agreed within noise. Probably the tf.data threads compete with the two compute
threads for the two cores, which outweighs train_on_batch's per-step Python work (NumPy batch to
tensors, metric reset, logs back to Python). It also needs no shuffle buffer (lower peak RSS) and
never idles before the first batch. --mode fit remains for re-checking on a quiet or another machine.
XLA (--jit-compile) is off, as Keras leaves it by default on CPU-only TensorFlow.
"""

import argparse
import json
import os
import platform
import resource
import sys
import time

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in Launch/ from importing keras_common
import keras_common  # noqa: E402


def statistics(values):
    ordered = sorted(values)
    n = len(ordered)
    median = ordered[n // 2] if n % 2 == 1 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    return {"min": ordered[0], "median": median, "max": ordered[-1]}


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def non_negative(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, not {value}")
    return value


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=positive, default=200, help="timed steps per repeat (default 200)")
    parser.add_argument("--warmup", type=non_negative, default=20, help="untimed steps first (default 20)")
    parser.add_argument("--repeats", type=positive, default=5, help="timed repeats (default 5)")
    parser.add_argument("--batch-size", type=positive, default=32, help="batch size (default 32)")
    parser.add_argument("--data", default=keras_common.DEFAULT_DATA, help="directory with the IDX files")
    parser.add_argument("--intra-op", type=non_negative, default=2,
                        help="TensorFlow intra-op threads (default 2; 0 = TensorFlow's choice)")
    parser.add_argument("--inter-op", type=non_negative, default=1,
                        help="TensorFlow inter-op threads (default 1; 0 = TensorFlow's choice)")
    parser.add_argument("--mode", choices=["train_on_batch", "fit"], default="train_on_batch",
                        help="a loop of train_on_batch (default, fastest here) or model.fit over tf.data")
    parser.add_argument("--jit-compile", action="store_true", help="compile the train step with XLA")
    parser.add_argument("--seed", type=int, default=1, help="weights and shuffling seed (default 1)")
    parser.add_argument("--json", metavar="FILE", help="also write the JSON report here")
    parser.add_argument("--model-json", metavar="FILE",
                        help="a Keras model description (model.to_json()) instead of the tutorial CNN")
    parser.add_argument("--synthetic", type=non_negative, default=0, metavar="N",
                        help="train on N random uint8 images of the model's input shape and random labels "
                             "(as `tandem bench --synthetic`) instead of Fashion-MNIST")
    parser.add_argument("--optimizer", choices=["adam", "adamw"], default="adam",
                        help="with --model-json: Adam or AdamW (Keras's defaults, learning rate 0.001; default adam)")
    return parser.parse_args()


def now():
    """(wall seconds, CPU seconds of the whole process, all threads)."""
    return time.perf_counter(), time.process_time()


class BatchClock:
    """Records now() at the start and end of every training batch."""

    def __init__(self, keras):
        clock = self

        class Callback(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                clock.begins.append(now())

            def on_train_batch_end(self, batch, logs=None):
                clock.ends.append(now())

        self.begins = []
        self.ends = []
        self.callback = Callback()


def run_fit(tf, model, images, labels, arguments):
    """One model.fit over all warm-up and timed steps; returns (begin times, end times, last loss)."""
    batch = arguments.batch_size
    total = arguments.warmup + arguments.repeats * arguments.steps

    def to_inputs(x, y):
        return tf.cast(x, tf.float32) / 255.0, tf.one_hot(tf.cast(y, tf.int32), 10)

    dataset = (
        tf.data.Dataset.from_tensor_slices((images, labels))
        .shuffle(len(images), seed=arguments.seed, reshuffle_each_iteration=True)
        .batch(batch, drop_remainder=True)
        .map(to_inputs, num_parallel_calls=tf.data.AUTOTUNE)
        .repeat()
        .prefetch(tf.data.AUTOTUNE)
    )
    import keras

    clock = BatchClock(keras)
    history = model.fit(dataset, epochs=1, steps_per_epoch=total, shuffle=False, verbose=0, callbacks=[clock.callback])
    if len(clock.begins) != total or len(clock.ends) != total:
        raise SystemExit(f"error: timed {len(clock.begins)}/{len(clock.ends)} batches, expected {total}")
    return clock.begins, clock.ends, float(history.history["loss"][-1])


def run_train_on_batch(model, images, labels, arguments):
    """A Python loop of model.train_on_batch on NumPy batches; returns (begin times, end times, last loss)."""
    batch = arguments.batch_size
    total = arguments.warmup + arguments.repeats * arguments.steps
    steps_per_epoch = len(images) // batch
    generator = np.random.default_rng(arguments.seed)
    order = generator.permutation(len(images))
    begins, ends = [], []
    loss = float("nan")
    for step in range(total):
        position = step % steps_per_epoch
        if position == 0 and step > 0:
            order = generator.permutation(len(images))
        begins.append(now())
        indices = order[position * batch:(position + 1) * batch]
        x, y = keras_common.to_inputs(images[indices], labels[indices])
        loss = model.train_on_batch(x, y)[0]
        ends.append(now())
    return begins, ends, float(loss)


def main():
    arguments = parse_arguments()
    started = time.perf_counter()
    tf = keras_common.import_tensorflow(arguments.intra_op, arguments.inter_op)
    import keras

    keras.utils.set_random_seed(arguments.seed)
    if arguments.model_json:
        model = keras_common.model_from_json(keras, arguments.model_json, arguments.optimizer)
    else:
        model = keras_common.build_model(keras)
    if arguments.synthetic:
        generator = np.random.default_rng(arguments.seed)
        shape = tuple(model.input_shape[1:])
        images = generator.integers(0, 256, size=(arguments.synthetic, *shape), dtype=np.uint8)
        labels = generator.integers(0, model.output_shape[-1], size=arguments.synthetic, dtype=np.uint8)
    else:
        images, labels = keras_common.load_split(arguments.data, "train")
    if len(images) < arguments.batch_size:
        raise SystemExit(f"error: {len(images)} training images, fewer than one batch of {arguments.batch_size}")
    if arguments.jit_compile:
        model.jit_compile = True

    fit_called = time.perf_counter()
    if arguments.mode == "fit":
        begins, ends, loss = run_fit(tf, model, images, labels, arguments)
    else:
        begins, ends, loss = run_train_on_batch(model, images, labels, arguments)

    repeat_seconds, repeat_cpu_seconds = [], []
    for index in range(arguments.repeats):
        first = arguments.warmup + index * arguments.steps
        last = first + arguments.steps - 1
        repeat_seconds.append(ends[last][0] - begins[first][0])
        repeat_cpu_seconds.append(ends[last][1] - begins[first][1])
    images_per_repeat = arguments.steps * arguments.batch_size
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # ru_maxrss is in KiB on Linux

    report = {
        "framework": "keras",
        "mode": arguments.mode,
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "keras_backend": keras.backend.backend(),
        "jit_compile": bool(model.jit_compile),
        "onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"),
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "processor": keras_common.processor_model(),
        "cores_on_host": os.cpu_count(),
        "data": f"synthetic ({arguments.synthetic} images)" if arguments.synthetic else arguments.data,
        "model": model.name,
        "parameters": model.count_params(),
        "global_batch": arguments.batch_size,
        "steps": arguments.steps,
        "warmup_steps": arguments.warmup,
        "repeats": arguments.repeats,
        "repeat_seconds": repeat_seconds,
        "repeat_cpu_seconds": repeat_cpu_seconds,
        "images_per_second": statistics([images_per_repeat / s for s in repeat_seconds]),
        "step_milliseconds": statistics([s / arguments.steps * 1000 for s in repeat_seconds]),
        "peak_resident_bytes": peak_rss,
        "startup_seconds": fit_called - started,
        "seconds_before_first_batch": begins[0][0] - fit_called,
        "final_loss": loss,
    }
    text = json.dumps(report, indent=2, sort_keys=True)
    if arguments.json:
        with open(arguments.json, "w") as handle:
            handle.write(text + "\n")
    print(text)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
