"""Reshaping layers: Flatten, Reshape, UpSampling2D, ZeroPadding2D, Cropping2D. No
weights. Images are channels-last (N, H, W, C).
"""
from __future__ import annotations

import math
from typing import Any

from .. import functional as F
from ..autograd import Tensor
from ..ops._geometry import as_pair
from .convolutional import check_channels_last
from .layer import Layer, Shape, require_rank


class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1·d2·...), row-major (C order), no weights."""

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return F.flatten(x)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if any(d is None for d in input_shape[1:]):
            raise ValueError(f"{self.name} (Flatten): needs a fully known input shape, got "
                             f"{tuple(input_shape)}")
        return (input_shape[0], math.prod(input_shape[1:]))


class Reshape(Layer):
    """(N, ...) -> (N, *target_shape), row-major (C order), no weights; the sample count
    N stays, so target_shape must hold as many values as one sample. Used by a DCGAN
    generator to turn a Dense output (N, 7·7·64) into feature maps (N, 7, 7, 64)."""

    def __init__(self, target_shape: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if not self.target_shape or any(d < 1 for d in self.target_shape):
            raise ValueError(f"Reshape: target_shape must be positive ints, got {target_shape!r}")

    def build(self, input_shape: Shape) -> None:
        if math.prod(input_shape[1:]) != math.prod(self.target_shape):
            raise ValueError(f"{self.name} (Reshape): a sample of shape {tuple(input_shape[1:])} "
                             f"has {math.prod(input_shape[1:])} values, but target_shape "
                             f"{self.target_shape} holds {math.prod(self.target_shape)}")

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return F.reshape(x, (x.shape[0], *self.target_shape))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], *self.target_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": self.target_shape}


def _two_pairs(op: str, arg: str, value: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    """Keras' int | (rows, cols) | ((top, bottom), (left, right)) as the last form."""
    if isinstance(value, int) and value >= 0:
        return (value, value), (value, value)
    if isinstance(value, tuple | list) and len(value) == 2:
        if all(isinstance(v, int) and v >= 0 for v in value):
            return (value[0], value[0]), (value[1], value[1])
        if all(isinstance(v, tuple | list) and len(v) == 2
               and all(isinstance(u, int) and u >= 0 for u in v) for v in value):
            return (value[0][0], value[0][1]), (value[1][0], value[1][1])
    raise ValueError(f"{op}: {arg} must be a non-negative int, a pair (rows, cols) or "
                     f"((top, bottom), (left, right)); got {value!r}")


class UpSampling2D(Layer):
    """Enlarge images by integer factors: (N, H, W, C) -> (N, s_h·H, s_w·W, C).

    interpolation='nearest': every pixel repeated s_h × s_w times.
    interpolation='bilinear': each output pixel (i, j) reads the input at the source point
    u = (i + ½)/s_h − ½, v = (j + ½)/s_w − ½ (clamped to the image; half-pixel centres, as
    Keras 3 and tf.image.resize) and mixes its four neighbours by their distances.
    See `tinydl.functional.upsampling2d`.
    """

    def __init__(self, size: Any = (2, 2), data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_channels_last("UpSampling2D", data_format)
        self.size = as_pair(size, "size", "UpSampling2D")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"UpSampling2D: interpolation must be 'nearest' or 'bilinear', "
                             f"got {interpolation!r}")
        self.interpolation = interpolation

    def build(self, input_shape: Shape) -> None:
        require_rank(self, input_shape, 4, "(batch, height, width, channels)")

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return F.upsampling2d(x, self.size, self.interpolation)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        require_rank(self, input_shape, 4, "(batch, height, width, channels)")
        n, h, w, c = input_shape
        return (n, None if h is None else h * self.size[0],
                None if w is None else w * self.size[1], c)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size, "interpolation": self.interpolation}


class ZeroPadding2D(Layer):
    """Zeros around the images: (N, H, W, C) -> (N, top + H + bottom, left + W + right, C).
    padding: an int, (rows, cols) for both sides, or ((top, bottom), (left, right))."""

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_channels_last("ZeroPadding2D", data_format)
        self.padding = _two_pairs("ZeroPadding2D", "padding", padding)

    def build(self, input_shape: Shape) -> None:
        require_rank(self, input_shape, 4, "(batch, height, width, channels)")

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return F.pad2d(x, self.padding)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        require_rank(self, input_shape, 4, "(batch, height, width, channels)")
        n, h, w, c = input_shape
        (top, bottom), (left, right) = self.padding
        return (n, None if h is None else top + h + bottom,
                None if w is None else left + w + right, c)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": self.padding}


class Cropping2D(Layer):
    """Cut rows and columns off the borders: (N, H, W, C) -> (N, H − top − bottom,
    W − left − right, C). cropping: an int, (rows, cols) or ((top, bottom), (left, right)).
    A U-Net uses it to bring a skip connection to the size of the upsampled path."""

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_channels_last("Cropping2D", data_format)
        self.cropping = _two_pairs("Cropping2D", "cropping", cropping)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        require_rank(self, input_shape, 4, "(batch, height, width, channels)")
        n, h, w, c = input_shape
        sizes = []
        for size, (before, after), axis in zip((h, w), self.cropping, ("height", "width")):
            if size is not None and before + after >= size:
                raise ValueError(f"{self.name} (Cropping2D): cropping {before} + {after} off a "
                                 f"{axis} of {size} leaves nothing")
            sizes.append(None if size is None else size - before - after)
        return (n, *sizes, c)

    def build(self, input_shape: Shape) -> None:
        self.compute_output_shape(input_shape)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        self.compute_output_shape((None, *x.shape[1:]))
        (top, bottom), (left, right) = self.cropping
        h, w = x.shape[1:3]
        return x[:, top:h - bottom, left:w - right, :]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cropping": self.cropping}
