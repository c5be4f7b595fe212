"""Fashion-MNIST: 70,000 28x28 grey images of clothing in 10 classes (Zalando Research).

A drop-in replacement for MNIST: same file names, format, shapes and split sizes.
"""

from __future__ import annotations

import os

from ._idx import Arrays, Dataset, load

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

FASHION_MNIST = Dataset(
    name="fashion-mnist",
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    ),
    mirrors_env="TINYDL_FASHION_MNIST_MIRRORS",
    # Of the decompressed files, computed from Debian's dataset-fashion-mnist package (whose .gz
    # files were recompressed, so hashing the decompressed bytes is what makes mirrors agree).
    sha256={
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
)


def load_data(path: str | os.PathLike[str] | None = None) -> Arrays:
    """Load Fashion-MNIST, like `keras.datasets.fashion_mnist.load_data()`.

    Returns `(x_train, y_train), (x_test, y_test)`, all uint8 NumPy arrays:
        x_train (60000, 28, 28), x_test (10000, 28, 28): pixels 0..255, indexed [image, row, column]
        y_train (60000,), y_test (10000,): class 0..9, named by CLASS_NAMES

    Searched for like MNIST (see `tinydl.datasets.mnist.load_data`) with `fashion-mnist` in place
    of `mnist`: `path`, $TINYDL_DATA/fashion-mnist, ~/.cache/tinydl/fashion-mnist,
    /usr/share/datasets/fashion-mnist (Debian: apt-get install dataset-fashion-mnist); otherwise
    downloaded (override the mirrors with TINYDL_FASHION_MNIST_MIRRORS).
    """
    return load(FASHION_MNIST, path)
