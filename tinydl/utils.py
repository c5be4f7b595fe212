"""`keras.utils`: one-hot labels, the random seed, and drawing a model's layer graph.

    from tinydl.utils import to_categorical, set_random_seed
    set_random_seed(42)                              # every run of the script repeats exactly
    y_onehot = to_categorical(y, num_classes=10)     # (N,) labels -> (N, 10) one-hot rows
    plot_model(model, "model.png")                   # one box per layer, as keras.utils does
    print(model_to_dot(model))                       # the same graph as Graphviz DOT text

A namespace, as in Keras: the seed and the layer names are tinydl's global state, in
tinydl/backend.py; the drawings are in tinydl/graphs.py, beside the autograd graph's.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .backend import clear_session, get_rng, set_random_seed, unique_name
from .graphs import model_graph, model_to_dot, plot_model


def to_categorical(y: Any, num_classes: int | None = None, dtype: Any = "float32") -> np.ndarray:
    """One-hot encode integer class labels, like `keras.utils.to_categorical`.

    Row i of the result is all zeros except a 1 in column y[i]:
        to_categorical([2, 0], 3) == [[0, 0, 1], [1, 0, 0]]

    Args:
        y: labels 0..num_classes-1, any shape (a trailing axis of size 1 is dropped, so
           (N, 1) works like (N,)). Float arrays holding whole numbers are accepted.
        num_classes: K; default max(y) + 1.
        dtype: of the result (default float32, the model's dtype).
    Returns:
        An array of shape y.shape + (K,).
    """
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y[..., 0]
    if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)):
        raise TypeError(f"to_categorical: labels must be integers, got dtype {y.dtype}")
    if y.size and not np.all(np.isfinite(y) & (y == np.round(y))):
        raise ValueError("to_categorical: labels must be whole numbers (class indices "
                         "0, 1, 2, ...); got values with a fractional part, NaN or inf")
    labels = y.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, got {labels.min()}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    elif not isinstance(num_classes, int | np.integer) or num_classes < 1:
        raise ValueError(f"to_categorical: num_classes must be a positive int, got {num_classes!r}")
    if labels.size and labels.max() >= num_classes:
        raise ValueError(f"to_categorical: label {labels.max()} is out of range for "
                         f"num_classes={num_classes} (labels must be 0..{num_classes - 1})")
    out = np.zeros(labels.shape + (int(num_classes),), dtype=dtype)
    np.put_along_axis(out, labels[..., None], 1, axis=-1)
    return out


__all__ = ["to_categorical", "set_random_seed", "get_rng", "clear_session", "unique_name",
           "plot_model", "model_to_dot", "model_graph"]
