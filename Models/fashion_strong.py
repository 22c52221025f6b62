# The Keras description of Tandem's built-in `fashion-strong` model (Models/fashion-strong.json), written
# by real Keras 3: /root/.cache/tandem-keras-venv/bin/python Models/fashion_strong.py
# Its recipe is built into Tandem as the model's defaults (TrainingDefaults): 22 epochs, global batch 32,
# AdamW 0.003 (weight decay 0.004), warm-up over 1 epoch, then cosine decay to 0.
import os
import keras
from keras import layers

def block(filters):
    return [layers.Conv2D(filters, 3, padding="same", use_bias=False), layers.BatchNormalization(), layers.ReLU()]

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    # Mirror images, and shifts of up to 2 whole pixels (nearest, zero fill): "pad 2, random crop".
    layers.RandomFlip("horizontal"),
    layers.RandomTranslation(0.07, 0.07, fill_mode="constant", interpolation="nearest"),
    *block(32), *block(32), layers.MaxPooling2D(),
    *block(64), *block(64), layers.MaxPooling2D(),
    *block(128), layers.GlobalAveragePooling2D(),
    layers.Dense(128, activation="relu"), layers.Dropout(0.2),
    layers.Dense(10, activation="softmax"),
], name="fashion_strong")
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fashion-strong.json"), "w") as f:
    f.write(model.to_json())
