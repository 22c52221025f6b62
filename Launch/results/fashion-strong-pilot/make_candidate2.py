# Pilot 2: the first candidate with horizontal flips only (no translation), a Dense 128 head, Dropout 0.2.
import keras
from keras import layers
keras.backend.clear_session()
def block(filters):
    return [layers.Conv2D(filters, 3, padding="same", use_bias=False), layers.BatchNormalization(), layers.ReLU()]
m = keras.Sequential([keras.Input(shape=(28, 28, 1)),
    layers.RandomFlip("horizontal"),
    *block(32), *block(32), layers.MaxPooling2D(),
    *block(64), *block(64), layers.MaxPooling2D(),
    *block(128), layers.GlobalAveragePooling2D(), layers.Dense(128, activation="relu"), layers.Dropout(0.2),
    layers.Dense(10, activation="softmax")], name="fashion_strong_2")
open("candidate2.json", "w").write(m.to_json())
