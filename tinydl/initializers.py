"""Weight initializers, as Keras defines them (`kernel_initializer='glorot_uniform'`).

Each returns a plain NumPy array of the requested shape and float dtype. The random ones
take `rng`: a `np.random.Generator`, an int seed (the same seed gives bit-identical
arrays), or None for fresh OS entropy.

Fans, as Keras computes them (`compute_fans`):
    (n,)                      fan_in = fan_out = n
    (fan_in, fan_out)         a dense kernel
    (kh, kw, c_in, c_out)     a conv kernel: receptive field r = kh·kw,
                              fan_in = c_in·r, fan_out = c_out·r

Keras 3's initializer objects wrap these functions (one formula each):
    GlorotUniform  U(±√(6/(fan_in+fan_out)))   GlorotNormal  trunc. N, σ = √(2/(fan_in+fan_out))
    HeUniform      U(±√(6/fan_in))             HeNormal      trunc. N, σ = √(2/fan_in)
    RandomNormal(mean=0, stddev=0.05)             RandomUniform(minval=-0.05, maxval=0.05)
    Zeros(), Ones(), Constant(value)
Each takes `seed=` (the random ones) and is called as `init(shape, dtype=None)`; layers
accept them: Dense(64, kernel_initializer=HeNormal(seed=0)).
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
    return (_truncated_standard_normal(_rng(rng), _shape(shape)) * stddev).astype(dtype)


def _truncated_standard_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal samples truncated to [-2, 2]: samples beyond are redrawn."""
    z = rng.standard_normal(shape)
    outside = np.abs(z) > 2
    while outside.any():  # each pass redraws ~4.6% of the remaining ones
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2
    return z


def glorot_normal(shape: Shape, rng: np.random.Generator | int | None = None,
                  dtype: Any = np.float32) -> np.ndarray:
    """Glorot (Xavier) normal, as Keras: a normal truncated at 2 standard deviations with
    stddev = √(2 / (fan_in + fan_out)) / 0.8796..., so that the samples have standard
    deviation √(2 / (fan_in + fan_out)), the variance of glorot_uniform."""
    dtype = _dtype(dtype, "glorot_normal")
    fan_in, fan_out = compute_fans(shape)
    stddev = math.sqrt(2 / max(1, fan_in + fan_out)) / TRUNCATED_NORMAL_STD
    return (_truncated_standard_normal(_rng(rng), _shape(shape)) * stddev).astype(dtype)


def he_uniform(shape: Shape, rng: np.random.Generator | int | None = None,
               dtype: Any = np.float32) -> np.ndarray:
    """He uniform: U(-limit, limit), limit = √(6 / fan_in), variance 2 / fan_in."""
    dtype = _dtype(dtype, "he_uniform")
    fan_in, _ = compute_fans(shape)
    limit = math.sqrt(6 / max(1, fan_in))
    return _rng(rng).uniform(-limit, limit, _shape(shape)).astype(dtype)


def random_normal(shape: Shape, rng: np.random.Generator | int | None = None,
                  dtype: Any = np.float32, mean: float = 0.0,
                  stddev: float = 0.05) -> np.ndarray:
    """N(mean, stddev²), not truncated (Keras' RandomNormal; defaults 0 and 0.05)."""
    dtype = _dtype(dtype, "random_normal")
    return _rng(rng).normal(mean, stddev, _shape(shape)).astype(dtype)


def random_uniform(shape: Shape, rng: np.random.Generator | int | None = None,
                   dtype: Any = np.float32, minval: float = -0.05,
                   maxval: float = 0.05) -> np.ndarray:
    """U(minval, maxval) (Keras' RandomUniform; defaults -0.05 and 0.05)."""
    dtype = _dtype(dtype, "random_uniform")
    return _rng(rng).uniform(minval, maxval, _shape(shape)).astype(dtype)


def constant(shape: Shape, dtype: Any = np.float32, *, rng: Any = None,
             value: float = 0.0) -> np.ndarray:
    """Every entry equal to `value`. `rng` is ignored, as in `zeros`."""
    return np.full(_shape(shape), value, dtype=_dtype(dtype, "constant"))


def zeros(shape: Shape, dtype: Any = np.float32, *, rng: Any = None) -> np.ndarray:
    """All zeros (Keras' default bias initializer). `rng` is ignored: it is accepted so
    that every initializer can be called as ``init(shape, rng=rng, dtype=dtype)``."""
    return np.zeros(_shape(shape), dtype=_dtype(dtype, "zeros"))


def ones(shape: Shape, dtype: Any = np.float32, *, rng: Any = None) -> np.ndarray:
    """All ones (e.g. a batch-norm scale). `rng` is ignored, as in `zeros`."""
    return np.ones(_shape(shape), dtype=_dtype(dtype, "ones"))


def _number(name: str, arg: str, value: Any, ok: Callable[[float], bool] | None = None,
            expected: str = "a finite number") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) \
            or not math.isfinite(value) or (ok is not None and not ok(value)):
        raise ValueError(f"{name}: {arg} must be {expected}, got {value!r}")
    return float(value)


class Initializer:
    """Base class of Keras 3's initializer objects: `init(shape, dtype=None)` returns an
    array of that shape (dtype None: float32). Layers accept them as
    kernel_initializer=/bias_initializer=, and call them with their own generator.

    seed: an int makes every call give the same array (as in Keras 3). With seed=None
    the values come from the generator a layer passes as `rng` (the layer's, or tinydl's
    shared one: `tinydl.utils.set_random_seed` reproduces them), so two layers sharing
    an unseeded initializer get different weights. (Keras 3's unseeded initializers
    instead repeat their values across calls.)
    """

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)
                                 or seed < 0):
            raise ValueError(f"{type(self).__name__}: seed must be an int >= 0 or None, got "
                             f"{seed!r}")
        self.seed = None if seed is None else int(seed)

    def _generator(self, rng: Any) -> np.random.Generator:
        if self.seed is not None:
            return np.random.default_rng(self.seed)
        if rng is not None:
            return _rng(rng)
        from . import backend
        return backend.get_rng()

    def __call__(self, shape: Shape, dtype: Any = None, *,
                 rng: np.random.Generator | int | None = None) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__}.__call__")

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _FanInitializer(Initializer):
    _function: Callable[..., np.ndarray]

    def __call__(self, shape: Shape, dtype: Any = None, *,
                 rng: np.random.Generator | int | None = None) -> np.ndarray:
        return type(self)._function(shape, self._generator(rng),
                                    np.float32 if dtype is None else dtype)


class GlorotUniform(_FanInitializer):
    """U(-limit, limit), limit = √(6 / (fan_in + fan_out)) (`glorot_uniform`)."""
    _function = staticmethod(glorot_uniform)


class GlorotNormal(_FanInitializer):
    """Truncated normal with standard deviation √(2 / (fan_in + fan_out)) (`glorot_normal`)."""
    _function = staticmethod(glorot_normal)


class HeNormal(_FanInitializer):
    """Truncated normal with standard deviation √(2 / fan_in) (`he_normal`)."""
    _function = staticmethod(he_normal)


class HeUniform(_FanInitializer):
    """U(-limit, limit), limit = √(6 / fan_in) (`he_uniform`)."""
    _function = staticmethod(he_uniform)


class RandomNormal(Initializer):
    """N(mean, stddev²) (`random_normal`). stddev >= 0."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean = _number("RandomNormal", "mean", mean)
        self.stddev = _number("RandomNormal", "stddev", stddev, lambda v: v >= 0,
                              "a finite number >= 0")

    def __call__(self, shape: Shape, dtype: Any = None, *,
                 rng: np.random.Generator | int | None = None) -> np.ndarray:
        return random_normal(shape, self._generator(rng), np.float32 if dtype is None else dtype,
                             mean=self.mean, stddev=self.stddev)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    """U(minval, maxval) (`random_uniform`). minval <= maxval."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05,
                 seed: int | None = None) -> None:
        super().__init__(seed)
        self.minval = _number("RandomUniform", "minval", minval)
        self.maxval = _number("RandomUniform", "maxval", maxval)
        if self.minval > self.maxval:
            raise ValueError(f"RandomUniform: minval ({minval}) must not exceed maxval "
                             f"({maxval}); swap them")

    def __call__(self, shape: Shape, dtype: Any = None, *,
                 rng: np.random.Generator | int | None = None) -> np.ndarray:
        return random_uniform(shape, self._generator(rng), np.float32 if dtype is None else dtype,
                              minval=self.minval, maxval=self.maxval)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class Constant(Initializer):
    """Every entry equal to `value` (`constant`)."""

    def __init__(self, value: float = 0.0) -> None:
        super().__init__(None)
        self.value = _number("Constant", "value", value)

    def __call__(self, shape: Shape, dtype: Any = None, *, rng: Any = None) -> np.ndarray:
        return constant(shape, np.float32 if dtype is None else dtype, value=self.value)

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


class Zeros(Initializer):
    """All zeros (`zeros`)."""

    def __init__(self) -> None:
        super().__init__(None)

    def __call__(self, shape: Shape, dtype: Any = None, *, rng: Any = None) -> np.ndarray:
        return zeros(shape, np.float32 if dtype is None else dtype)

    def get_config(self) -> dict[str, Any]:
        return {}


class Ones(Initializer):
    """All ones (`ones`)."""

    def __init__(self) -> None:
        super().__init__(None)

    def __call__(self, shape: Shape, dtype: Any = None, *, rng: Any = None) -> np.ndarray:
        return ones(shape, np.float32 if dtype is None else dtype)

    def get_config(self) -> dict[str, Any]:
        return {}


#: Initializers by their Keras names.
INITIALIZERS: dict[str, Callable[..., np.ndarray]] = {
    "glorot_uniform": glorot_uniform, "glorot_normal": glorot_normal, "he_normal": he_normal,
    "he_uniform": he_uniform, "random_normal": random_normal, "random_uniform": random_uniform,
    "zeros": zeros, "ones": ones,
}

#: Initializer classes by name (Keras also accepts the class names as strings).
CLASSES: dict[str, type[Initializer]] = {
    cls.__name__: cls for cls in (GlorotUniform, GlorotNormal, HeNormal, HeUniform,
                                  RandomNormal, RandomUniform, Constant, Zeros, Ones)}


def get(name: Any) -> Callable[..., np.ndarray]:
    """The initializer for a Keras name ('he_normal' or 'HeNormal'); a callable (a
    function or an Initializer object such as HeNormal(seed=1)) is passed through."""
    if callable(name):
        return name
    if isinstance(name, str) and name in CLASSES:
        return CLASSES[name]()
    if not (isinstance(name, str) and name in INITIALIZERS):
        known = ", ".join(repr(k) for k in INITIALIZERS)
        raise ValueError(f"unknown initializer {name!r}; expected one of {known}, or an "
                         f"initializer object such as tinydl.initializers.HeNormal()")
    return INITIALIZERS[name]
