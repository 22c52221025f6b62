# Pictures for `tandem predict`'s tests, encoded by TensorFlow (libpng and libjpeg inside it) from the
# first Fashion-MNIST test images (Debian's dataset-fashion-mnist). Run once with the Keras venv:
#   /root/.cache/tandem-keras-venv/bin/python Tests/Fixtures/images/generate.py
import gzip, os
import numpy as np
import tensorflow as tf

here = os.path.dirname(os.path.abspath(__file__))
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)

def write(name, data):
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)

# Test image 0 (an ankle boot, label 9), lossless: decodes to exactly the dataset's bytes.
write("test-0.png", tf.io.encode_png(images[0][..., None]).numpy())
# Test image 1 (a pullover, label 2) as an RGB picture twice the size: converted to grey and resized.
big = tf.image.resize(images[1][..., None].astype(np.float32), (56, 56), method="nearest").numpy().astype(np.uint8)
write("test-1-rgb-56.png", tf.io.encode_png(np.repeat(big, 3, axis=2)).numpy())
# Test image 2 (a trouser, label 1) as a JPEG (lossy).
write("test-2.jpg", tf.io.encode_jpeg(images[2][..., None], quality=95).numpy())
# The first 8 test images as one uint8 stack.
np.save(os.path.join(here, "test-first-8.npy"), images[:8])
# Damaged inputs: a truncated PNG, and text named .png.
write("truncated.png", tf.io.encode_png(images[0][..., None]).numpy()[:60])
write("not-an-image.png", b"this is not a picture\n")
