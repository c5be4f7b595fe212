"""MNIST: 70,000 handwritten digits 0-9, 28x28 grey pixels (LeCun, Cortes and Burges)."""

from __future__ import annotations

import os

from ._idx import Arrays, Dataset, load

MNIST = Dataset(
    name="mnist",
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    mirrors_env="TINYDL_MNIST_MIRRORS",
    sha256={  # of the decompressed files
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
)


def load_data(path: str | os.PathLike[str] | None = None) -> Arrays:
    """Load MNIST, like `keras.datasets.mnist.load_data()`.

    Returns `(x_train, y_train), (x_test, y_test)`, all uint8 NumPy arrays:
        x_train (60000, 28, 28), x_test (10000, 28, 28): pixels, 0 = background .. 255 = ink,
            indexed [image, row, column]
        y_train (60000,), y_test (10000,): the digit shown, 0..9

    The four IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
    t10k-labels-idx1-ubyte, each raw or as FILE.gz) are searched for in: `path` (a directory),
    $TINYDL_DATA/mnist, $XDG_CACHE_HOME/tinydl/mnist (default ~/.cache/tinydl/mnist) and
    /usr/share/datasets/mnist. If no directory holds all four, they are downloaded into the cache
    from the mirrors (override with TINYDL_MNIST_MIRRORS="URL URL ...").
    Every file's SHA-256 is checked. Raises DatasetError for a damaged file and
    DatasetNotFoundError when the files are nowhere and cannot be downloaded.
    """
    return load(MNIST, path)
