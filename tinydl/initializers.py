"""Weight initializers, as Keras defines them (`kernel_initializer='glorot_uniform'`).

Each returns a plain NumPy array of the requested shape and float dtype. The random ones
take `rng`: a `np.random.Generator`, an int seed (the same seed gives bit-identical
arrays), or None for fresh OS entropy.

Fans, as Keras computes them (`compute_fans`):
    (n,)                      fan_in = fan_out = n
    (fan_in, fan_out)         a dense kernel
    (kh, kw, c_in, c_out)     a conv kernel: receptive field r = kh·kw,
                              fan_in = c_in·r, fan_out = c_out·r
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

Shape = int | tuple[int, ...]

#: The standard deviation of a standard normal truncated to [-2, 2]: dividing by it makes
#: the truncated samples have the intended standard deviation (Keras' constant).
TRUNCATED_NORMAL_STD = 0.87962566103423978


def _shape(shape: Shape) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, int | np.integer) else tuple(int(n) for n in shape)


def _dtype(dtype: Any, name: str) -> np.dtype:
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"{name}: dtype must be a float dtype such as np.float32, got {dtype}")
    return dtype


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def compute_fans(shape: Shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of this shape, Keras' rules (see the module doc)."""
    shape = _shape(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def glorot_uniform(shape: Shape, rng: np.random.Generator | int | None = None,
                   dtype: Any = np.float32) -> np.ndarray:
    """Glorot (Xavier) uniform: U(-limit, limit), limit = √(6 / (fan_in + fan_out)).

    Its variance limit²/3 = 2/(fan_in + fan_out) keeps activations and gradients at a
    similar scale forwards and backwards. Keras' default kernel initializer.
    """
    dtype = _dtype(dtype, "glorot_uniform")
    fan_in, fan_out = compute_fans(shape)
    limit = math.sqrt(6 / max(1, fan_in + fan_out))
    return _rng(rng).uniform(-limit, limit, _shape(shape)).astype(dtype)


def he_normal(shape: Shape, rng: np.random.Generator | int | None = None,
              dtype: Any = np.float32) -> np.ndarray:
    """He normal, as Keras: a normal truncated at 2 standard deviations, with
    stddev = √(2 / fan_in) / 0.8796..., so that the truncated samples have standard
    deviation √(2 / fan_in) (the variance that suits ReLU layers). Samples beyond
    2·stddev are redrawn.
    """
    dtype = _dtype(dtype, "he_normal")
    fan_in, _ = compute_fans(shape)
    stddev = math.sqrt(2 / max(1, fan_in)) / TRUNCATED_NORMAL_STD
    rng = _rng(rng)
    z = rng.standard_normal(_shape(shape))
    outside = np.abs(z) > 2
    while outside.any():  # each pass redraws ~4.6% of the remaining ones
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2
    return (z * stddev).astype(dtype)


def zeros(shape: Shape, dtype: Any = np.float32, *, rng: Any = None) -> np.ndarray:
    """All zeros (Keras' default bias initializer). `rng` is ignored: it is accepted so
    that every initializer can be called as ``init(shape, rng=rng, dtype=dtype)``."""
    return np.zeros(_shape(shape), dtype=_dtype(dtype, "zeros"))


def ones(shape: Shape, dtype: Any = np.float32, *, rng: Any = None) -> np.ndarray:
    """All ones (e.g. a batch-norm scale). `rng` is ignored, as in `zeros`."""
    return np.ones(_shape(shape), dtype=_dtype(dtype, "ones"))


#: Initializers by their Keras names.
INITIALIZERS: dict[str, Callable[..., np.ndarray]] = {
    "glorot_uniform": glorot_uniform, "he_normal": he_normal, "zeros": zeros, "ones": ones,
}


def get(name: Any) -> Callable[..., np.ndarray]:
    """The initializer for a Keras name (a callable is passed through)."""
    if callable(name):
        return name
    if not (isinstance(name, str) and name in INITIALIZERS):
        known = ", ".join(repr(k) for k in INITIALIZERS)
        raise ValueError(f"unknown initializer {name!r}; expected one of {known}")
    return INITIALIZERS[name]
