import keras
from keras import layers
keras.backend.clear_session()
def block(filters):
    return [layers.Conv2D(filters, 3, padding="same", use_bias=False), layers.BatchNormalization(), layers.ReLU()]
m = keras.Sequential([keras.Input(shape=(28, 28, 1)),
    layers.RandomFlip("horizontal"), layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
    *block(32), *block(32), layers.MaxPooling2D(),
    *block(64), *block(64), layers.MaxPooling2D(),
    *block(128), layers.GlobalAveragePooling2D(), layers.Dropout(0.3),
    layers.Dense(10, activation="softmax")], name="fashion_strong")
open("candidate.json", "w").write(m.to_json())
m.summary()
