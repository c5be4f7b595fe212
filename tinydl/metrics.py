"""Metrics: numbers reported during training that are not differentiated.

Each metric takes (y_true, y_pred) as NumPy arrays (Tensors are accepted too) and
returns a Python float averaged over the batch. `fit` averages the per-batch values
weighted by batch size, which for accuracy gives exactly the fraction of correct samples.

Which prediction counts as "correct":
    categorical_accuracy  argmax of y_pred == argmax of the one-hot y_true
                          (or == y_true itself when y_true holds integer labels)
    binary_accuracy       (y_pred > 0.5) == (y_true > 0.5), elementwise
    accuracy              binary_accuracy for a single output unit (y_pred of shape
                          (N,) or (N, 1)), categorical_accuracy otherwise; inside a
                          model compiled with binary_crossentropy, binary_accuracy.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .autograd import Tensor


def _arrays(name: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    y_true = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)
    y_pred = y_pred.data if isinstance(y_pred, Tensor) else np.asarray(y_pred)
    if y_pred.ndim == 0 or len(y_pred) == 0:
        raise ValueError(f"{name}: y_pred has shape {y_pred.shape}; expected a non-empty batch")
    return y_true, y_pred


def categorical_accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose most probable class is the true one.

    Shapes: y_pred (N, K); y_true (N, K) one-hot (its argmax is the class) or (N,) /
    (N, 1) integer labels. Ties in y_pred go to the first maximum, as np.argmax does.
    """
    y_true, y_pred = _arrays("categorical_accuracy", y_true, y_pred)
    predicted = y_pred.argmax(axis=-1)
    if y_true.shape == y_pred.shape:
        true = y_true.argmax(axis=-1)
    elif y_true.shape in (predicted.shape, predicted.shape + (1,)):
        true = y_true.reshape(predicted.shape)
    else:
        raise ValueError(f"categorical_accuracy: y_true has shape {y_true.shape} and y_pred "
                         f"{y_pred.shape}; expected y_true one-hot of shape {y_pred.shape} "
                         f"or integer labels of shape {predicted.shape}")
    return float(np.mean(predicted == true))


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> float:
    """Fraction of elements with (y_pred > threshold) == (y_true > threshold).

    For 0/1 targets this is Keras' binary_accuracy. y_true of shape (N,) is accepted
    against y_pred of shape (N, 1) (and the other way round).
    """
    y_true, y_pred = _arrays("binary_accuracy", y_true, y_pred)
    if y_true.shape != y_pred.shape:
        if y_true.size != y_pred.size or len(y_true) != len(y_pred):
            raise ValueError(f"binary_accuracy: y_true has shape {y_true.shape} but y_pred has "
                             f"shape {y_pred.shape}; expected the same shape")
        y_true = y_true.reshape(y_pred.shape)
    return float(np.mean((y_pred > threshold) == (y_true > threshold)))


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Classification accuracy, as Keras resolves the string 'accuracy'.

    y_pred of shape (N,) or (N, 1) (one sigmoid unit): `binary_accuracy`, threshold
    0.5. y_pred of shape (N, K), K > 1: `categorical_accuracy` (argmax against the
    argmax of one-hot labels, or against integer labels).

    Why not Keras' own function: the article imports `keras.metrics.accuracy`, which
    (in Keras 2) compares y_true and y_pred for *exact equality*, element by element
    (Keras resolves only the *string* 'accuracy' to a classification accuracy). Softmax
    probabilities equal the one-hot 0s and 1s only where float32 saturates, so the
    listing reports a meaningless number, not the fraction of digits recognised. Keras 3 has no
    `keras.metrics.accuracy` to import at all, and its Adam rejects `lr=`. tinydl
    accepts both, and this function reports what the article means, so the listing
    runs as printed and its number is the classification accuracy.
    """
    _, y_pred_array = _arrays("accuracy", y_true, y_pred)
    if y_pred_array.ndim == 1 or y_pred_array.shape[-1] == 1:
        return binary_accuracy(y_true, y_pred)
    return categorical_accuracy(y_true, y_pred)


def mean_squared_error(y_true: Any, y_pred: Any) -> float:
    """(1/n) Σ (ŷ - y)² over all n elements (as a metric: a float, no gradient)."""
    y_true, y_pred = _arrays("mean_squared_error", y_true, y_pred)
    return float(np.mean((y_pred - y_true.reshape(y_pred.shape)) ** 2))


def mean_absolute_error(y_true: Any, y_pred: Any) -> float:
    """(1/n) Σ |ŷ - y| over all n elements."""
    y_true, y_pred = _arrays("mean_absolute_error", y_true, y_pred)
    return float(np.mean(np.abs(y_pred - y_true.reshape(y_pred.shape))))


#: Metrics by their Keras names (`metrics=['accuracy']`).
METRICS: dict[str, Callable[..., float]] = {
    "accuracy": accuracy, "acc": accuracy,
    "categorical_accuracy": categorical_accuracy, "binary_accuracy": binary_accuracy,
    "mse": mean_squared_error, "mean_squared_error": mean_squared_error,
    "mae": mean_absolute_error, "mean_absolute_error": mean_absolute_error,
}


def get(name: Any) -> Callable[..., float]:
    """The metric function for a Keras name (a callable is passed through)."""
    if callable(name):
        return name
    if not (isinstance(name, str) and name in METRICS):
        known = ", ".join(repr(k) for k in METRICS)
        raise ValueError(f"unknown metric {name!r}; expected one of {known} or a function "
                         f"f(y_true, y_pred) -> float")
    return METRICS[name]
