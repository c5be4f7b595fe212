"""More preprocessing layers of Keras 3: Resizing, Normalization (with `adapt`),
RandomZoom and RandomContrast. One module for the lot, next to preprocessing.py (owned
elsewhere), because they share its machinery: the random ones subclass its
`_RandomImageLayer` (seed, rank check, identity at inference) and RandomZoom moves pixels
with its `_resample`; Resizing is the op `tinydl.functional.resize2d`, built on
tinydl/ops/resize.py's interpolation matrices.

Resizing and Normalization are always on; RandomZoom and RandomContrast change images
only when training=True (inside `fit`). Images are channels-last floats (N, H, W, C).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..autograd import Tensor
from ..ops.layer_norm import normalize_axes
from ..ops.resize import INTERPOLATIONS
from .layer import Layer, Shape
from .preprocessing import _RandomImageLayer, _check_images, _factor_range, _resample


class Resizing(Layer):
    """Resizes images to (height, width): (N, H, W, C) -> (N, height, width, C), with
    'bilinear' (default) or 'nearest' interpolation as tf.image.resize (half-pixel
    centres, no antialiasing): `tinydl.functional.resize2d`. Differentiable.

    Not offered: Keras' crop_to_aspect_ratio and pad_to_aspect_ratio (the image is
    stretched to the new size).
    """

    def __init__(self, height: int, width: int, interpolation: str = "bilinear",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for arg, value in (("height", height), ("width", width)):
            if (not isinstance(value, int | np.integer) or isinstance(value, bool)
                    or value < 1):
                raise ValueError(f"Resizing: {arg} must be a positive int, got {value!r}")
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"Resizing: interpolation must be one of {INTERPOLATIONS}, got "
                             f"{interpolation!r}")
        self.height, self.width, self.interpolation = int(height), int(width), interpolation

    def build(self, input_shape: Shape) -> None:
        _check_images(self, input_shape)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        _check_images(self, x.shape)
        return F.resize2d(x, (self.height, self.width), self.interpolation)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        _check_images(self, input_shape)
        return (input_shape[0], self.height, self.width, input_shape[3])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation}


class Normalization(Layer):
    """Feature normalization with fixed statistics: y = (x - mean) / max(√variance, 1e-7)
    (invert=True: y = mean + x · max(√variance, 1e-7), undoing it), as Keras 3.

    Args:
        axis: the axis or axes that keep a mean and variance per index: -1 (default) one
            per feature of the last axis; a list of ints; None: one scalar for everything.
        mean, variance: the statistics, broadcast to the kept axes' shape; give both, or
            neither and call `adapt(data)` before using the layer.
        invert: apply the inverse map.

    adapt(data): mean and (biased, population) variance of `data` (N, ...) over every axis
    but the kept ones, stored as the non-trainable weights 'mean' and 'variance' (saved
    and loaded with the model's weights; 'mean' holds NaN until the statistics are known,
    and calling the layer then raises an error saying to call adapt).
    """

    EPSILON = 1e-7

    def __init__(self, axis: Any = -1, mean: Any = None, variance: Any = None,
                 invert: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, tuple):
            axis = list(axis)
        if axis is not None and not (
                (isinstance(axis, int | np.integer) and not isinstance(axis, bool))
                or (isinstance(axis, list) and all(isinstance(a, int | np.integer)
                                                   and not isinstance(a, bool) for a in axis))):
            raise ValueError(f"Normalization: axis must be an int, a list of ints or None, got "
                             f"{axis!r}")
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: give both mean and variance, or neither (and call "
                             "adapt(data))")
        self.axis = axis if not isinstance(axis, int | np.integer) else int(axis)
        self.mean_arg = None if mean is None else np.asarray(mean, dtype=np.float64)
        self.variance_arg = None if variance is None else np.asarray(variance, dtype=np.float64)
        if self.variance_arg is not None and np.any(self.variance_arg < 0):
            raise ValueError(f"Normalization: variance must be ≥ 0, got {variance!r}")
        self.invert = bool(invert)

    def _kept(self, ndim: int) -> tuple[int, ...]:
        if self.axis is None or self.axis == []:
            return ()
        try:
            kept = normalize_axes(self.axis, ndim, "Normalization")
        except ValueError as exc:
            raise ValueError(f"{self.name} (Normalization): {exc}") from None
        if 0 in kept:
            raise ValueError(f"{self.name} (Normalization): axis {self.axis!r} includes the batch "
                             f"axis 0; use axis=None for one scalar mean and variance")
        return kept

    def build(self, input_shape: Shape) -> None:
        self.kept = self._kept(len(input_shape))
        shape = tuple(input_shape[a] for a in self.kept)
        if any(d is None for d in shape):
            raise ValueError(f"{self.name} (Normalization): the kept axes {self.kept} of inputs "
                             f"of shape {tuple(input_shape)} must have known sizes")
        self.stat_shape = shape
        # NaN until known (given, adapted or loaded with the model's weights): see `adapted`
        self.mean = self.add_weight("mean", shape, _nan, trainable=False)
        self.variance = self.add_weight("variance", shape, "ones", trainable=False)
        if self.mean_arg is not None:
            for weight, value, arg in ((self.mean, self.mean_arg, "mean"),
                                       (self.variance, self.variance_arg, "variance")):
                try:
                    weight.data[...] = np.broadcast_to(value, shape)
                except ValueError:
                    raise ValueError(f"{self.name} (Normalization): {arg} of shape {value.shape} "
                                     f"cannot be broadcast to the kept axes' shape {shape}"
                                     ) from None

    @property
    def adapted(self) -> bool:
        """Whether the statistics are known: given, adapted, or loaded into the weights."""
        if not self.built:
            return self.mean_arg is not None
        return not np.isnan(self.mean.data).any()

    def adapt(self, data: Any) -> None:
        """Compute the mean and variance of `data` (an array (N, ...), a batch of samples)
        over every axis but the kept ones, and store them in the layer."""
        data = np.asarray(getattr(data, "data", data))
        if not np.issubdtype(data.dtype, np.number) or data.ndim < 1 or len(data) == 0:
            raise ValueError(f"{self.name} (Normalization): adapt expects a non-empty numeric "
                             f"array (N, ...), got dtype {data.dtype}, shape {data.shape}")
        self.ensure_built((None, *data.shape[1:]), data.dtype
                          if np.issubdtype(data.dtype, np.floating) else None)
        if self.kept != self._kept(data.ndim) or tuple(
                data.shape[a] for a in self.kept) != self.stat_shape:
            raise ValueError(f"{self.name} (Normalization): built for inputs "
                             f"{self.input_shape}, cannot adapt to data of shape {data.shape}")
        reduce = tuple(a for a in range(data.ndim) if a not in self.kept)
        self.mean.data[...] = data.mean(axis=reduce, dtype=np.float64)
        self.variance.data[...] = data.var(axis=reduce, dtype=np.float64)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        if not self.adapted:
            raise ValueError(f"{self.name} (Normalization): used before its statistics are "
                             f"known; call layer.adapt(data) first, or pass mean= and variance=")
        if self._kept(x.ndim) != self.kept:
            raise ValueError(f"{self.name} (Normalization): built for inputs {self.input_shape}, "
                             f"called on shape {x.shape}")
        bshape = [x.shape[a] if a in self.kept else 1 for a in range(x.ndim)]
        mean = self.mean.data.reshape(bshape).astype(x.dtype)
        std = np.maximum(np.sqrt(self.variance.data), self.EPSILON).reshape(bshape).astype(x.dtype)
        if self.invert:
            return x * Tensor(std) + Tensor(mean)
        return (x - Tensor(mean)) * Tensor(1 / std)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments; statistics learnt by `adapt` live in the weights (as in
        Keras), the ones given as mean=/variance= are in the config as lists."""
        return {**super().get_config(), "axis": self.axis,
                "mean": None if self.mean_arg is None else self.mean_arg.tolist(),
                "variance": None if self.variance_arg is None else self.variance_arg.tolist(),
                "invert": self.invert}


def _nan(shape: tuple[int, ...], rng: Any = None, dtype: Any = None) -> np.ndarray:
    return np.full(shape, np.nan, dtype=dtype)


def _zoom_range(arg: str, factor: Any) -> tuple[float, float]:
    lower, upper = _factor_range("RandomZoom", arg, factor)
    if lower < -1:
        raise ValueError(f"RandomZoom: {arg} values must be ≥ -1 (a zoom of 1 + factor must be "
                         f"≥ 0), got {factor!r}")
    return lower, upper


class RandomZoom(_RandomImageLayer):
    """Zooms each image in or out about its centre by a random amount (training only).

    A factor f means the range [-f, f] (or a pair (lower, upper) itself); the zoom is
    z = 1 + u, u uniform in that range, drawn per sample: u > 0 zooms out (the picture
    shrinks, `fill_value` around it), u < 0 zooms in, as in Keras. width_factor None
    (default) zooms both axes by the same z (the aspect ratio is kept).

    Math: with the centre (cy, cx) = ((H-1)/2, (W-1)/2), output pixel (i, j) reads the
    input at y = cy + z_h·(i - cy), x = cx + z_w·(j - cx), bilinearly (or nearest).
    Draws: rng.uniform(lower, upper, N) for the heights, then (width_factor given) for
    the widths. Differences from Keras: fill_mode is always 'constant'.
    """

    def __init__(self, height_factor: Any, width_factor: Any = None,
                 interpolation: str = "bilinear", fill_value: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        self.height_factor = _zoom_range("height_factor", height_factor)
        self.width_factor = None if width_factor is None else _zoom_range("width_factor",
                                                                          width_factor)
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"RandomZoom: interpolation must be one of {INTERPOLATIONS}, got "
                             f"{interpolation!r}")
        super().__init__(seed=seed, **kwargs)
        self.interpolation, self.fill_value = interpolation, float(fill_value)

    def transform(self, x: Tensor, rng: np.random.Generator, rows: np.ndarray,
                  cols: np.ndarray) -> Tensor:
        n, h, w, _ = x.shape
        zh = 1 + rng.uniform(*self.height_factor, size=n)[:, None, None]
        zw = zh if self.width_factor is None else (
            1 + rng.uniform(*self.width_factor, size=n)[:, None, None])
        cy, cx = (h - 1) / 2, (w - 1) / 2
        src_y, src_x = cy + zh * (rows - cy), cx + zw * (cols - cx)
        src_y, src_x = (np.where(np.abs(s - np.round(s)) < 1e-6, np.round(s), s)
                        for s in (src_y, src_x))
        return _resample(x, src_y, src_x, self.fill_value,
                         bilinear=self.interpolation == "bilinear")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height_factor": list(self.height_factor),
                "width_factor": None if self.width_factor is None else list(self.width_factor),
                "interpolation": self.interpolation, "fill_value": self.fill_value}


class RandomContrast(_RandomImageLayer):
    """Scales each image's contrast by a random factor (training only), per channel:

        y = clip((x - m) · a + m, value_range),  m = the mean of x over the image's
        pixels in that channel, a uniform in [1 - lower, 1 + upper], one a per image.

    factor: a float f (lower = upper = f) or a pair (lower, upper), each in [0, 1] as in
    Keras. value_range: the images' range, (0, 255) by default (Keras' default); use
    (0, 1) for images scaled to [0, 1]. Draws: rng.uniform(1 - lower, 1 + upper, N).
    Differentiable (the clip cuts the gradient where it clips).
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None,
                 **kwargs: Any) -> None:
        if isinstance(factor, int | float | np.integer | np.floating) and not isinstance(
                factor, bool):
            lower = upper = float(factor)
        elif isinstance(factor, tuple | list) and len(factor) == 2:
            lower, upper = float(factor[0]), float(factor[1])
        else:
            raise ValueError(f"RandomContrast: factor must be a float or a pair (lower, upper), "
                             f"got {factor!r}")
        if not (0 <= lower <= 1 and 0 <= upper <= 1):
            raise ValueError(f"RandomContrast: factor values must be in [0, 1], got {factor!r}")
        if (not isinstance(value_range, tuple | list) or len(value_range) != 2
                or not float(value_range[0]) < float(value_range[1])):
            raise ValueError(f"RandomContrast: value_range must be a pair (low, high) with "
                             f"low < high, got {value_range!r}")
        super().__init__(seed=seed, **kwargs)
        self.factor = (lower, upper)
        self.value_range = (float(value_range[0]), float(value_range[1]))

    def transform(self, x: Tensor, rng: np.random.Generator, rows: np.ndarray,
                  cols: np.ndarray) -> Tensor:
        n = x.shape[0]
        a = rng.uniform(1 - self.factor[0], 1 + self.factor[1], size=n)
        a = Tensor(a.astype(x.dtype)[:, None, None, None])
        m = x.mean(axis=(1, 2), keepdims=True)
        return F.clip((x - m) * a + m, *self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": list(self.factor),
                "value_range": list(self.value_range)}
