"""Small image datasets, loaded the way `keras.datasets` loads them.

    from tinydl.datasets import mnist
    (x_train, y_train), (x_test, y_test) = mnist.load_data()

Files are searched for in the `path` argument, $TINYDL_DATA/NAME, the user cache
(~/.cache/tinydl/NAME) and /usr/share/datasets/NAME, and downloaded into the cache otherwise.
`mnist_scenes` is generated from MNIST: scenes of 1-3 digits with per-pixel masks (segmentation).
"""

from . import fashion_mnist, mnist, mnist_scenes
from ._idx import DatasetError, DatasetNotFoundError

__all__ = ["DatasetError", "DatasetNotFoundError", "fashion_mnist", "mnist", "mnist_scenes"]
