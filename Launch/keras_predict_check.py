#!/usr/bin/env python3
"""Real Keras opens an export of any model and predicts what Tandem predicts (for models whose input is not
Fashion-MNIST's, which Launch/keras_export_check.py covers end to end).

    tandem export --checkpoint CK --output DIR/model.keras   (and DIR/model.weights.h5)
    tandem predict --checkpoint CK --json --top-k 1000 DIR/inputs.npy > DIR/predictions.jsonl
    /root/.cache/tandem-keras-venv/bin/python Launch/keras_predict_check.py DIR [--raw-pixels]

--raw-pixels: the model rescales its own input (Tandem's start-up report says "uint8 as it is"), so the
images go to Keras as they are, not divided by 255.

Prints the largest difference between Keras's and Tandem's probabilities, and whether
`load_weights(model.weights.h5)` into the model rebuilt from its JSON gives the same outputs.
"""
import json
import sys

import numpy as np
import keras

directory = sys.argv[1]
model = keras.saving.load_model(f"{directory}/model.keras")
images = np.load(f"{directory}/inputs.npy").astype("float32")
if "--raw-pixels" not in sys.argv:
    images /= 255
keras_probabilities = model.predict(images, verbose=0)
rows = [json.loads(line) for line in open(f"{directory}/predictions.jsonl")]
tandem_probabilities = np.array([[entry["probability"] for entry in sorted(row["top_k"], key=lambda e: e["class"])]
                                 for row in rows])
if keras_probabilities.shape[1] == 1:   # a binary classifier: P(class 1), or its logit
    p = keras_probabilities
    if model.layers[-1].get_config().get("activation") != "sigmoid":
        p = 1 / (1 + np.exp(-p))
    keras_probabilities = np.concatenate([1 - p, p], axis=1)
elif not np.allclose(keras_probabilities.sum(axis=1), 1, atol=1e-4):   # logits: Keras gives them, Tandem probabilities
    shifted = np.exp(keras_probabilities - keras_probabilities.max(axis=1, keepdims=True))
    keras_probabilities = shifted / shifted.sum(axis=1, keepdims=True)
difference = np.abs(keras_probabilities - tandem_probabilities).max()
differing = int((keras_probabilities.argmax(axis=1) != np.array([row["class"] for row in rows])).sum())
print(f"Keras {keras.__version__}: load_model(model.keras) {model.name}, {model.count_params()} parameters; "
      f"probabilities on {len(rows)} images within {difference:.2g} of tandem predict; {differing} predicted classes differ")
rebuilt = keras.models.model_from_json(model.to_json())
rebuilt.load_weights(f"{directory}/model.weights.h5")
print("load_weights(model.weights.h5): the same outputs as the archive:",
      bool(np.array_equal(rebuilt.predict(images, verbose=0), model.predict(images, verbose=0))))
sys.exit(0 if difference <= 1e-4 and differing == 0 else 1)
