#!/usr/bin/env python3
"""Folders of pictures in the layout Keras's image_dataset_from_directory reads, and what real Keras
makes of them (expected.json), for PictureFolderTests:

    /root/.cache/tandem-peer-venv/bin/python Tests/Fixtures/picture-folders/generate.py   (Keras 3 + TensorFlow + Pillow)

- flowers/: one tree, classes daisy, rose, tulip (sorted), pictures of several sizes as RGB PNG, grey
  PNG and JPEG, some in a nested sub-folder; a hidden class folder and a text file Keras skips. Pictures
  of class k are brighter in channel k, so a model can learn them.
- split/: the same kind of pictures as split/train/<class>/ and split/test/<class>/.
- formats/: PNGs that TensorFlow reads its own way: RGBA, grey with alpha, 16-bit RGB, a palette; a
  progressive JPEG and one with an EXIF orientation, which TensorFlow does not apply; 24- and 32-bit BMPs (in RGB only:
  TensorFlow's decode_bmp refuses to give grey); GIFs (a global and a local palette, interlaced, a
  transparent colour, a first frame placed on a larger frame's canvas, no trailer) and CMYK JPEGs with
  and without Adobe's inverted inks (written with Pillow). TensorFlow's pixels for each at its own size
  in grey, RGB and RGBA where TensorFlow gives them.
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


def gif(path, frames, screen, palette, transparent=None, trailer=True):
    """A GIF of `frames` [(left, top, indices (height, width), interlaced, local palette or None)], LZW-coded
    without compression: a clear code before every 250 pixels keeps every code 9 bits wide."""
    def table(colours):
        return bytes(np.asarray(colours, dtype=np.uint8).reshape(-1))
    def lzw(indices):
        codes = []
        for start in range(0, len(indices), 250):
            codes += [256] + [int(value) for value in indices[start:start + 250]]
        codes.append(257)
        bits = sum(code << (9 * position) for position, code in enumerate(codes))
        data = bits.to_bytes((9 * len(codes) + 7) // 8, "little")
        return bytes([8]) + b"".join(bytes([len(data[i:i + 255])]) + data[i:i + 255] for i in range(0, len(data), 255)) + b"\x00"
    out = b"GIF89a" + struct.pack("<HHBBB", screen[0], screen[1], 0xF7, 0, 0) + table(palette)
    for number, (left, top, indices, interlaced, local) in enumerate(frames):
        if number == 0 and transparent is not None:
            out += b"\x21\xF9\x04\x01\x00\x00" + bytes([transparent]) + b"\x00"
        height, width = indices.shape
        rows = [*range(0, height, 8), *range(4, height, 8), *range(2, height, 4), *range(1, height, 2)] if interlaced else range(height)
        flags = (0x40 if interlaced else 0) | (0x87 if local is not None else 0)
        out += b"\x2C" + struct.pack("<HHHHB", left, top, width, height, flags) + (table(local) if local is not None else b"")
        out += lzw(np.concatenate([indices[row] for row in rows]))
    with open(path, "wb") as file:
        file.write(out + (b"\x3B" if trailer else b""))


# GIFs and CMYK JPEGs, from their own generator so the files above stay as they were.
extra = np.random.default_rng(5)
colours = lambda: extra.integers(0, 256, size=(256, 3))
indices = lambda height, width: extra.integers(0, 256, size=(height, width))
gif(os.path.join(formats, "gif-global-palette.gif"), [(0, 0, indices(10, 12), False, None)], (12, 10), colours())
# Interlaced, with a local palette, colour 5 transparent (black in TensorFlow's first frame).
transparent_indices = indices(10, 12)
transparent_indices[::3, ::2] = 5
gif(os.path.join(formats, "gif-interlaced-transparent.gif"), [(0, 0, transparent_indices, True, colours())], (12, 10), colours(), transparent=5)
# The canvas is the largest frame, not the logical screen: the first frame is placed at its offset, cut at the canvas.
gif(os.path.join(formats, "gif-animated-offset.gif"), [(4, 3, indices(10, 12), False, None), (0, 0, indices(4, 6), False, colours())],
    (40, 30), colours())
gif(os.path.join(formats, "gif-small-first-frame.gif"), [(1, 2, indices(6, 8), False, None), (0, 0, indices(10, 12), False, None)],
    (12, 10), colours())
gif(os.path.join(formats, "gif-no-trailer.gif"), [(0, 0, indices(10, 12), False, None)], (12, 10), colours(), trailer=False)
# CMYK JPEGs: Adobe's (inks stored inverted, as Pillow writes them) and one without the Adobe segment.
from PIL import Image  # noqa: E402  (Pillow writes CMYK JPEGs; TensorFlow cannot)
import io  # noqa: E402
buffer = io.BytesIO()
Image.fromarray(extra.integers(0, 256, size=(10, 12, 4)).astype(np.uint8), "CMYK").save(buffer, "JPEG", quality=95)
adobe = buffer.getvalue()
with open(os.path.join(formats, "cmyk-adobe.jpg"), "wb") as file:
    file.write(adobe)
start = adobe.index(b"\xff\xee")
with open(os.path.join(formats, "cmyk.jpg"), "wb") as file:
    file.write(adobe[:start] + adobe[start + 2 + struct.unpack(">H", adobe[start + 2:start + 4])[0]:])


def decoded(name, channels):
    """TensorFlow's decode_image at the file's own size, or None where TensorFlow refuses the channel count."""
    try:
        return tf.io.decode_image(tf.io.read_file(os.path.join(formats, name)), channels=channels, expand_animations=False).numpy().reshape(-1).tolist()
    except tf.errors.InvalidArgumentError:
        return None


format_pixels = {name: {mode: pixels for mode, channels in [("rgb", 3), ("grayscale", 1), ("rgba", 4)]
                        if (pixels := decoded(name, channels)) is not None}
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
