"""Preprocessing layers, as in Keras 3: Rescaling, Resizing and Normalization (with
`adapt`). Put them first in a `Sequential` model; they are always on, in training and at
inference. The random layers of data augmentation are in augmentation.py.

    model = Sequential([Rescaling(1 / 255, input_shape=(28, 28, 1)),
                        Conv2D(32, 3, activation="relu"), ...])

Resizing is the op `tinydl.functional.resize2d`, built on tinydl/ops/resize.py's
interpolation matrices. Images are channels-last floats (N, H, W, C).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..autograd import Tensor
from ..ops.resize import INTERPOLATIONS
from .layer import Layer, Shape, sample_axes


# -- the resampling op ---------------------------------------------------------------------


# -- helpers --------------------------------------------------------------------------------


def _check_images(layer: Layer, shape: Shape) -> None:
    if len(shape) != 4:
        raise ValueError(f"{layer.name} ({type(layer).__name__}): expected images of shape "
                         f"(N, H, W, C), channels-last; got {tuple(shape)}")


# -- the layers -------------------------------------------------------------------------------

class Rescaling(Layer):
    """y = x · scale + offset, elementwise, in training and at inference (any shape).

    Rescaling(1 / 255) maps pixels 0..255 to [0, 1]; Rescaling(1 / 127.5, offset=-1) to
    [-1, 1]. Made of ordinary ops, so it is differentiable: ∂y/∂x = scale.
    """

    def __init__(self, scale: float, offset: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale, self.offset = float(scale), float(offset)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return x * self.scale + self.offset

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


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
        return sample_axes(self, self.axis, ndim,
                           "use axis=None for one scalar mean and variance")

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
