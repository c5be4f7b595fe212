"""What the section-5 lessons (10-13) share: MNIST as images in [0, 1], and the section-4
CNN (tinydl.applications.article_cnn, the network of lesson 4's `build_model`; a test keeps
the two equal), with lesson 4's trained weights when they exist or else trained here for a
few epochs.

Lesson 4 saves its weights in its own output folder, which `_lesson.Lesson` puts at
$TINYDL_LESSON_OUT/04_mnist_cnn when that variable is set and at lesson_output/04_mnist_cnn
(relative to where the lesson runs) otherwise; `WEIGHTS` follows the same rule, so a
lesson run beside lesson 4 finds its weights."""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from tinydl.applications import article_cnn
from tinydl.datasets import mnist
from tinydl.metrics import accuracy
from tinydl.models import Sequential
from tinydl.optimizers import Adam
from tinydl.utils import to_categorical


def lesson4_weights() -> Path:
    """Where lesson 4 saves its trained weights: its Lesson output folder (see above)."""
    root = Path(os.environ.get("TINYDL_LESSON_OUT") or "lesson_output")
    return root / "04_mnist_cnn" / "mnist_cnn.weights.npz"


#: Lesson 4's weights file, as the environment stood when this module was imported.
WEIGHTS = lesson4_weights()


def mnist_images() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(x_train, y_train), (x_test, y_test): images (N, 28, 28, 1) float32 in [0, 1] and
    integer labels (N,)."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    def scale(x):
        return (x.astype(np.float32) / 255.0).reshape(-1, 28, 28, 1)
    return (scale(x_train), y_train.astype(np.int64)), (scale(x_test), y_test.astype(np.int64))


def compiled_cnn() -> Sequential:
    """The section-4 network, compiled as lesson 4 compiles it (Adam 1e-3, cross-entropy)."""
    model = article_cnn()
    model.compile(optimizer=Adam(learning_rate=0.001), loss="categorical_crossentropy",
                  metrics=[accuracy])
    return model


def section4_cnn(weights: Path | str | None, x: np.ndarray, y: np.ndarray, epochs: int,
                 batch_size: int = 128) -> tuple[Sequential, str]:
    """The section-4 CNN and how it was obtained: lesson 4's weights from `weights` when
    that file exists, else `epochs` epochs of training on (x, y) here."""
    model = compiled_cnn()
    if weights is not None and Path(weights).exists():
        model.load_weights(str(weights))
        return model, f"lesson 4's trained weights ({weights})"
    start = time.perf_counter()
    model.fit(x, to_categorical(y, 10), batch_size=batch_size, epochs=epochs, verbose=2)
    return model, (f"trained here: {epochs} epoch(s) on {len(x):,} images in "
                   f"{time.perf_counter() - start:.0f} s (no weights at {weights}; run "
                   f"lessons/04_mnist_cnn.py for the fully trained network)")


def test_accuracy(model: Sequential, x: np.ndarray, y: np.ndarray) -> float:
    """The share of images whose arg-max class is the label (inference mode)."""
    return float((model.predict(x, batch_size=500).argmax(axis=1) == y).mean())
