"""Helpers around the model API: one-hot labels, the random seed, layer names.

    from tinydl.utils import to_categorical, set_random_seed
    set_random_seed(42)                              # every run of the script repeats exactly
    y_onehot = to_categorical(y, num_classes=10)     # (N,) labels -> (N, 10) one-hot rows

Randomness: tinydl owns one `np.random.Generator`. Weight initializers, dropout masks
and `fit`'s shuffling draw from it (unless a model or layer was given its own `seed`),
so `set_random_seed(s)` before building and training reproduces a run bit for bit.
"""
from __future__ import annotations

import random
from typing import Any

import numpy as np

_rng: np.random.Generator = np.random.default_rng()   # fresh OS entropy until seeded
_name_counts: dict[str, int] = {}


def set_random_seed(seed: int) -> None:
    """Seed tinydl's random generator (initializers, dropout, shuffling), like
    `keras.utils.set_random_seed`. As Keras does, it also seeds Python's `random` and
    NumPy's global `np.random`, so that the script's own random calls repeat too."""
    global _rng
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"set_random_seed: seed must be a non-negative int, got {seed!r}")
    _rng = np.random.default_rng(int(seed))
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)


def get_rng() -> np.random.Generator:
    """tinydl's shared random generator (reseeded by `set_random_seed`)."""
    return _rng


def unique_name(base: str) -> str:
    """Keras-style automatic names: 'dense', then 'dense_1', 'dense_2', ..."""
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def clear_session() -> None:
    """Restart the automatic layer names at 'dense', 'conv2d', ... (Keras' clear_session)."""
    _name_counts.clear()


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
