#!/usr/bin/env python3
"""Folders of pictures in the layout Keras's image_dataset_from_directory reads, and what real Keras
makes of them (expected.json), for PictureFolderTests:

    /root/.cache/tandem-peer-venv/bin/python Tests/Fixtures/picture-folders/generate.py   (Keras 3 + TensorFlow)

- flowers/: one tree, classes daisy, rose, tulip (sorted), pictures of several sizes as RGB PNG, grey
  PNG and JPEG, some in a nested sub-folder; a hidden class folder and a text file Keras skips. Pictures
  of class k are brighter in channel k, so a model can learn them.
- split/: the same kind of pictures as split/train/<class>/ and split/test/<class>/.
- formats/: PNGs that TensorFlow reads its own way: RGBA, grey with alpha, 16-bit RGB, a palette; a
  progressive JPEG and one with an EXIF orientation, which TensorFlow does not apply; 24- and 32-bit BMPs (in RGB only:
  TensorFlow's decode_bmp refuses to give grey).
expected.json: for flowers/ with validation_split=0.25 and seed=7, the files Keras trains and validates
on, in its order, and each file's pixels at 16x16 RGB (bilinear) and 16x16 grey, as Keras gives them; and at
16x16 RGB with interpolation="nearest", crop_to_aspect_ratio, pad_to_aspect_ratio, and crop with nearest.
"""
import json
import os
import shutil
import struct
import zlib

import numpy as np
import tensorflow as tf
import keras
from keras.src.utils import dataset_utils

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(3)


def picture(label, height, width):
    pixels = rng.integers(0, 120, size=(height, width, 3)).astype(np.uint8)
    pixels[:, :, label] += 100
    return pixels


def write(path, pixels, kind):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if kind == "grey":
        data = tf.io.encode_png(tf.image.rgb_to_grayscale(pixels))
    elif kind == "jpeg":
        data = tf.io.encode_jpeg(pixels, quality=95)
    else:
        data = tf.io.encode_png(pixels)
    tf.io.write_file(path, data)


def tree(root, counts, nested):
    for label, name in enumerate(["daisy", "rose", "tulip"]):
        for index in range(counts):
            kind = ["png", "grey", "jpeg"][index % 3]
            height, width = [(20, 24), (16, 16), (9, 13), (32, 20)][index % 4]
            extension = ".jpg" if kind == "jpeg" else (".PNG" if index == 4 else ".png")
            folder = os.path.join(root, name, "nested") if nested and index >= counts - 2 else os.path.join(root, name)
            write(os.path.join(folder, f"{name}_{index:02d}{extension}"), picture(label, height, width), kind)


def palette_png(path, index, palette):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(row) for row in index)
    header = struct.pack(">IIBBBBB", index.shape[1], index.shape[0], 8, 3, 0, 0, 0)
    with open(path, "wb") as file:
        file.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"PLTE", palette.tobytes())
                   + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


for folder in ["flowers", "split", "formats"]:
    shutil.rmtree(os.path.join(here, folder), ignore_errors=True)
tree(os.path.join(here, "flowers"), 8, nested=True)
write(os.path.join(here, "flowers", ".hidden", "ignored.png"), picture(0, 16, 16), "png")
with open(os.path.join(here, "flowers", "daisy", "notes.txt"), "w") as file:
    file.write("not a picture\n")
tree(os.path.join(here, "split", "train"), 6, nested=False)
tree(os.path.join(here, "split", "test"), 2, nested=False)

formats = os.path.join(here, "formats")
os.makedirs(formats)
tf.io.write_file(os.path.join(formats, "rgba.png"), tf.io.encode_png(rng.integers(0, 256, size=(10, 12, 4)).astype(np.uint8)))
tf.io.write_file(os.path.join(formats, "grey-alpha.png"), tf.io.encode_png(rng.integers(0, 256, size=(10, 12, 2)).astype(np.uint8)))
tf.io.write_file(os.path.join(formats, "rgb-16-bit.png"), tf.io.encode_png(rng.integers(0, 65536, size=(10, 12, 3)).astype(np.uint16)))
palette_png(os.path.join(formats, "palette.png"), rng.integers(0, 16, size=(10, 12)).astype(np.uint8),
            rng.integers(0, 256, size=(16, 3)).astype(np.uint8))
# JPEGs: progressive, and one whose EXIF says "rotate 90°" (orientation 6), which TensorFlow ignores.
tf.io.write_file(os.path.join(formats, "progressive.jpg"), tf.io.encode_jpeg(picture(1, 10, 12), progressive=True, quality=90))
plain = tf.io.encode_jpeg(picture(2, 10, 12), quality=90).numpy()
exif = b"Exif\x00\x00" + b"II*\x00\x08\x00\x00\x00" + b"\x01\x00" + b"\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00" + b"\x00\x00\x00\x00"
with open(os.path.join(formats, "exif-orientation-6.jpg"), "wb") as file:
    file.write(plain[:2] + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + plain[2:])
def bmp(path, pixels, bits):
    """An uncompressed Windows bitmap (BITMAPINFOHEADER, BI_RGB), rows bottom-up, BGR(A)."""
    height, width = pixels.shape[:2]
    channels = bits // 8
    row = width * channels
    padding = (4 - row % 4) % 4
    body = b"".join(pixels[y][:, [2, 1, 0, 3][:channels]].tobytes() + b"\x00" * padding for y in reversed(range(height)))
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits, 0, len(body), 2835, 2835, 0, 0)
    with open(path, "wb") as file:
        file.write(b"BM" + struct.pack("<IHHI", 14 + 40 + len(body), 0, 0, 14 + 40) + info + body)


bmp(os.path.join(formats, "rgb-24-bit.bmp"), picture(0, 10, 12), 24)
alpha16 = rng.integers(0, 65536, size=(10, 12, 4)).astype(np.uint16)
alpha16[0, :, 3] = 0        # fully transparent: TensorFlow still gives the stored colour
alpha16[1, :, 3] = 65535
tf.io.write_file(os.path.join(formats, "rgba-16-bit.png"), tf.io.encode_png(alpha16))
rgba = np.concatenate([picture(1, 10, 12), rng.integers(0, 256, size=(10, 12, 1)).astype(np.uint8)], axis=2)
bmp(os.path.join(formats, "rgba-32-bit.bmp"), rgba, 32)
format_pixels = {name: {mode: tf.io.decode_image(tf.io.read_file(os.path.join(formats, name)), channels=channels).numpy().reshape(-1).tolist()
                        for mode, channels in [("rgb", 3), ("grayscale", 1)] if not (name.endswith(".bmp") and channels == 1)}
                 for name in sorted(os.listdir(formats))}

directory = os.path.join(here, "flowers")
paths, labels, classes = dataset_utils.index_directory(directory, "inferred", formats=(".bmp", ".gif", ".jpeg", ".jpg", ".png"),
                                                       shuffle=True, seed=7)
training, _ = dataset_utils.get_training_or_validation_split(paths, labels, 0.25, "training")
validation, _ = dataset_utils.get_training_or_validation_split(paths, labels, 0.25, "validation")
relative = lambda path: os.path.relpath(path, directory)
pixels = {}
for mode in ["rgb", "grayscale"]:
    dataset = keras.utils.image_dataset_from_directory(directory, image_size=(16, 16), color_mode=mode, shuffle=False, batch_size=None)
    for path, (image, _) in zip(dataset.file_paths, dataset):
        pixels.setdefault(relative(path), {})[mode] = [round(float(value), 4) for value in image.numpy().reshape(-1)]
variants = {}
for name, options in [("nearest", dict(interpolation="nearest")), ("crop", dict(crop_to_aspect_ratio=True)),
                      ("pad", dict(pad_to_aspect_ratio=True)), ("crop-nearest", dict(crop_to_aspect_ratio=True, interpolation="nearest"))]:
    dataset = keras.utils.image_dataset_from_directory(directory, image_size=(16, 16), shuffle=False, batch_size=None, **options)
    variants[name] = {relative(path): [round(float(value), 4) for value in image.numpy().reshape(-1)] for path, (image, _) in zip(dataset.file_paths, dataset)}
expected = {"keras": keras.__version__, "tensorflow": tf.__version__, "classes": classes,
            "training": [relative(path) for path in training], "validation": [relative(path) for path in validation],
            "pixels": pixels, "formats": format_pixels, "variants": variants}
with open(os.path.join(here, "expected.json"), "w") as file:
    json.dump(expected, file)
print(f"{len(paths)} files, classes {classes}; training {len(training)}, validation {len(validation)}")
