# The benchmark models of issue 15 (the batched core), as real Keras 3 writes them:
#   ~/.cache/tandem-peer-venv/bin/python Launch/models/generate.py
# mlp.json: Flatten -> Dense 1024 relu -> Dense 1024 relu -> Dense 10 softmax on 28x28x1 (1.86 M parameters).
# vgg11.json: a VGG-11-style Sequential on 32x32x3 (3x3 'same' relu convolutions, 2x2 max-pools, 9.75 M parameters).
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras
from keras import layers

here = os.path.dirname(os.path.abspath(__file__))

mlp = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Flatten(),
    layers.Dense(1024, activation="relu"),
    layers.Dense(1024, activation="relu"),
    layers.Dense(10, activation="softmax"),
], name="mlp")

def convolutions(*filters):
    return [layers.Conv2D(f, 3, padding="same", activation="relu") for f in filters]

vgg = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    *convolutions(64), layers.MaxPooling2D(),
    *convolutions(128), layers.MaxPooling2D(),
    *convolutions(256, 256), layers.MaxPooling2D(),
    *convolutions(512, 512), layers.MaxPooling2D(),
    *convolutions(512, 512), layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(512, activation="relu"),
    layers.Dense(512, activation="relu"),
    layers.Dense(10, activation="softmax"),
], name="vgg11")

for name, model in (("mlp", mlp), ("vgg11", vgg)):
    with open(os.path.join(here, f"{name}.json"), "w") as handle:
        handle.write(model.to_json())
    print(f"{name}.json: {model.count_params():,} parameters")
