#!/usr/bin/env python3
"""Real Keras reads Tandem's exports, and Tandem reads Keras's weights (issue 9: exports Keras opens).

    /root/.cache/tandem-keras-venv/bin/python Launch/keras_export_check.py CHECKPOINT [--tandem BINARY] [--work DIR]

1. `tandem export` writes CHECKPOINT as model.keras and model.weights.h5; `keras.saving.load_model`
   opens the archive with no custom code, `model.load_weights` loads the bare weights into the model
   built from its JSON, and Keras's probabilities on the 10,000 test images equal `tandem predict`'s
   (largest difference printed; the predicted classes must all agree). A model without a final softmax
   gives logits in Keras, as in Tandem's export: their softmax is compared, and Keras evaluates it with
   `from_logits=True`.
2. Keras evaluates the loaded model on the test set; its accuracy must equal `tandem evaluate`'s.
3. The other direction: Keras trains the model for one short epoch and saves `.weights.h5`; `tandem train
   --initial-weights` loads it and runs one step at a learning rate (1e-30) too small to move a float32
   weight; `tandem predict` with that checkpoint must give Keras's probabilities (to about 1e-6; a model
   with batch-norm moves its moving statistics in that step, so for it the difference is larger).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_common  # noqa: E402

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tandem(binary, *arguments):
    return subprocess.run([binary, *arguments], check=True, capture_output=True, text=True).stdout


def tandem_probabilities(binary, checkpoint, images_path, classes):
    import numpy as np
    lines = tandem(binary, "predict", "--checkpoint", checkpoint, "--json", "--top-k", str(classes), images_path).splitlines()
    probabilities = np.zeros((len(lines), classes), dtype=np.float64)
    for row, line in enumerate(lines):
        for entry in json.loads(line)["top_k"]:
            probabilities[row, entry["class"]] = entry["probability"]
    return probabilities


def ends_in_logits(model):
    import keras
    if isinstance(model.layers[-1], keras.layers.Softmax):
        return False
    activation = getattr(model.layers[-1], "activation", None)
    return getattr(activation, "__name__", "linear") != "softmax"


def softmax(values):
    import numpy as np
    shifted = np.exp(values - values.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--tandem", default=os.path.join(REPOSITORY, ".build/release/tandem"))
    parser.add_argument("--work", default=None)
    arguments = parser.parse_args()
    work = arguments.work or tempfile.mkdtemp(prefix="tandem-keras-export-")
    os.makedirs(work, exist_ok=True)

    keras_common.import_tensorflow(2, 1)
    import keras
    import numpy as np

    images, labels = keras_common.load_split(keras_common.DEFAULT_DATA, "t10k")
    np.save(os.path.join(work, "test.npy"), images[..., 0])

    archive = os.path.join(work, "model.keras")
    weights = os.path.join(work, "model.weights.h5")
    tandem(arguments.tandem, "export", "--checkpoint", arguments.checkpoint, "--output", archive)
    tandem(arguments.tandem, "export", "--checkpoint", arguments.checkpoint, "--output", weights)

    model = keras.saving.load_model(archive)
    # A model that rescales its own input takes pixels as they are, 0-255; the others x / 255.
    rescales = any(isinstance(layer, keras.layers.Rescaling) for layer in
                   next((model.layers[:i] for i, layer in enumerate(model.layers) if layer.weights), model.layers))
    x = images.astype(np.float32) / (1 if rescales else 255)
    classes = model.output_shape[-1]
    logits = ends_in_logits(model)
    keras_outputs = model.predict(x, batch_size=500, verbose=0)
    keras_probabilities = softmax(keras_outputs) if logits else keras_outputs
    ours = tandem_probabilities(arguments.tandem, arguments.checkpoint, os.path.join(work, "test.npy"), classes)
    difference = float(np.max(np.abs(keras_probabilities - ours)))
    disagreements = int(np.sum(np.argmax(keras_probabilities, 1) != np.argmax(ours, 1)))
    print(f"1. keras.saving.load_model({os.path.basename(archive)}): {model.name}, {model.count_params()} parameters; "
          f"probabilities on {len(x)} test images within {difference:.2g} of tandem predict; {disagreements} predicted classes differ")

    rebuilt = keras.models.model_from_json(model.to_json())
    rebuilt.load_weights(weights)
    reloaded = rebuilt.predict(x, batch_size=500, verbose=0)
    print(f"   model.load_weights({os.path.basename(weights)}): the same outputs as the archive: {np.array_equal(reloaded, keras_outputs)}")

    loss_function = keras.losses.SparseCategoricalCrossentropy(from_logits=logits)
    model.compile(loss=loss_function, metrics=["accuracy"])
    loss, accuracy = model.evaluate(x, labels, batch_size=500, verbose=0)
    evaluation = tandem(arguments.tandem, "evaluate", "--checkpoint", arguments.checkpoint, "--json")
    theirs = json.loads(evaluation)
    print(f"2. Keras evaluate: accuracy {accuracy:.4f}, loss {loss:.4f}; tandem evaluate: accuracy {theirs['accuracy']:.4f}, loss {theirs['loss']:.4f}")

    # 3. Keras-trained weights into Tandem.
    keras.utils.set_random_seed(3)
    trained = keras.models.model_from_json(model.to_json())
    trained.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss_function)
    train_images, train_labels = keras_common.load_split(keras_common.DEFAULT_DATA, "train")
    trained.fit(train_images[:3200].astype(np.float32) / (1 if rescales else 255), train_labels[:3200], batch_size=32, epochs=1, verbose=0)
    keras_weights = os.path.join(work, "keras-trained.weights.h5")
    trained.save_weights(keras_weights)
    keras_trained = trained.predict(x, batch_size=500, verbose=0)
    keras_trained = softmax(keras_trained) if logits else keras_trained
    config = json.loads(model.to_json())
    model_json = os.path.join(work, "model.json")
    with open(model_json, "w") as handle:
        json.dump(config, handle)
    # A run of one step at a learning rate too small to move a float32 weight: its checkpoint holds exactly
    # the weights --initial-weights loaded (batch-norm's moving statistics do move: the check uses a
    # model's inference path, so it reports the difference rather than demanding zero for such models).
    checkpoints = os.path.join(work, "from-keras")
    tandem(arguments.tandem, "train", "--model", model_json, "--initial-weights", keras_weights, "--limit", "32",
           "--epochs", "1", "--learning-rate", "1e-30", "--checkpoint-dir", checkpoints, "--verbose", "0")
    ours = tandem_probabilities(arguments.tandem, checkpoints, os.path.join(work, "test.npy"), classes)
    difference = float(np.max(np.abs(keras_trained - ours)))
    print(f"3. Keras-trained weights (model.save_weights) through tandem train --initial-weights: Tandem's probabilities within {difference:.2g} of Keras's")


if __name__ == "__main__":
    main()
