"""A small `keras.backend`: the settings the classic Keras examples ask about, and tinydl's
global state (the shared random generator, the automatic layer names, the epsilon).

    if tinydl.backend.image_data_format() == "channels_first": ...   # never, in tinydl

tinydl is channels-last only: images are (N, H, W, C), as in the article's listing.

Randomness: tinydl owns one `np.random.Generator`. Weight initializers, dropout masks
and `fit`'s shuffling draw from it (unless a model or layer was given its own `seed`),
so `set_random_seed(s)` (also `tinydl.utils.set_random_seed`) before building and
training reproduces a run bit for bit.
"""
from __future__ import annotations

import random

import numpy as np

from .autograd import DEFAULT_DTYPE

EPSILON = 1e-7  # Keras' backend.epsilon(): the clip margin for probabilities in the losses

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



def image_data_format() -> str:
    """Always 'channels_last': images are (N, H, W, C)."""
    return "channels_last"


def set_image_data_format(data_format: str) -> None:
    """Accepts only 'channels_last'; 'channels_first' is a clear error."""
    if data_format != "channels_last":
        raise ValueError(f"set_image_data_format({data_format!r}): tinydl is channels-last only "
                         f"(images (N, H, W, C)); transpose channels-first data with "
                         f"x.transpose(0, 2, 3, 1)")


def epsilon() -> float:
    """The fuzz factor 1e-7 that clips probabilities in the losses (Keras' epsilon())."""
    return EPSILON


def floatx() -> str:
    """The default float type of tensors and weights: 'float32'."""
    return DEFAULT_DTYPE.name


__all__ = ["image_data_format", "set_image_data_format", "epsilon", "floatx", "clear_session",
           "set_random_seed", "get_rng", "unique_name", "EPSILON"]
