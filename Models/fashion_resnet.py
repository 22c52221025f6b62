# The Keras description of Tandem's built-in `fashion-resnet` model (Models/fashion-resnet.json), written
# by real Keras 3: ~/.cache/tandem-peer-venv/bin/python Models/fashion_resnet.py (the venv Launch/compare-keras.sh makes)
# fashion-strong's stem, augmentation and head around two residual stages (ResNet v1 blocks: two 3×3
# convolutions with batch-norm, a 1×1 projection shortcut, Add, then ReLU). Its recipe is built into
# Tandem as the model's defaults (TrainingDefaults): AdamW 0.003 (weight decay 0.004), global batch 32,
# warm-up over 1 epoch, then cosine decay to 0.
# --erasing adds RandomErasing after the shifts; --output writes elsewhere (pilots of the recipe).
import argparse
import os
import keras
from keras import layers


def convolution(x, filters, name, relu=True, kernel=3):
    x = layers.Conv2D(filters, kernel, padding="same", use_bias=False, name=name + "_conv")(x)
    x = layers.BatchNormalization(name=name + "_bn")(x)
    return layers.ReLU(name=name + "_relu")(x) if relu else x


def residual(x, filters, name):
    shortcut = convolution(x, filters, name + "_projection", relu=False, kernel=1)
    y = convolution(x, filters, name + "_a")
    y = convolution(y, filters, name + "_b", relu=False)
    return layers.ReLU(name=name + "_relu")(layers.Add(name=name + "_add")([y, shortcut]))


arguments = argparse.ArgumentParser()
arguments.add_argument("--erasing", action="store_true")
arguments.add_argument("--output", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "fashion-resnet.json"))
arguments = arguments.parse_args()

inputs = keras.Input(shape=(28, 28, 1))
# Mirror images, and shifts of up to 2 whole pixels (nearest, zero fill): "pad 2, random crop".
x = layers.RandomFlip("horizontal", name="flip")(inputs)
x = layers.RandomTranslation(0.07, 0.07, fill_mode="constant", interpolation="nearest", name="shift")(x)
if arguments.erasing:
    # Half of the images get a rectangle of noise (Zhong et al. 2017), images in 0…1 as Tandem feeds them.
    x = layers.RandomErasing(factor=(0.5, 0.5), value_range=(0, 1), name="erase")(x)
x = convolution(x, 32, "stem")
x = convolution(x, 32, "stage1")
x = layers.MaxPooling2D(name="pool1")(x)
x = residual(x, 64, "stage2")
x = layers.MaxPooling2D(name="pool2")(x)
x = residual(x, 128, "stage3")
x = layers.GlobalAveragePooling2D(name="pool3")(x)
x = layers.Dense(128, activation="relu", name="dense")(x)
x = layers.Dropout(0.2, name="dropout")(x)
model = keras.Model(inputs, layers.Dense(10, activation="softmax", name="classes")(x), name="fashion_resnet")
with open(arguments.output, "w") as f:
    f.write(model.to_json())
