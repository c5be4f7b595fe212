"""Pooling layers: MaxPooling2D, AveragePooling2D (windows), GlobalAveragePooling2D,
GlobalMaxPooling2D (the whole image). No weights. Images are channels-last (N, H, W, C).
"""
from __future__ import annotations

from typing import Any

from .. import functional as F
from ..autograd import Tensor
from ..ops._geometry import as_pair
from .convolutional import check_channels_last, conv_output_hw
from .layer import Layer, Shape, require_rank


class MaxPooling2D(Layer):
    """Max over each pool_size window: (N, H, W, C) -> (N, H_out, W_out, C), no weights.

    strides default to pool_size (windows side by side); H_out = floor((H - ph) / sh) + 1
    for 'valid', ceil(H / sh) for 'same'.
    """
    pool = staticmethod(F.max_pool2d)

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        op = type(self).__name__
        check_channels_last(op, data_format)
        self.pool_size = as_pair(pool_size, "pool_size", op)
        self.strides = self.pool_size if strides is None else as_pair(strides, "strides", op)
        self.padding = padding.lower() if isinstance(padding, str) else padding

    def build(self, input_shape: Shape) -> None:
        require_rank(self, input_shape, 4, "(batch, height, width, channels)")

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return self.pool(x, self.pool_size, self.strides, self.padding)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        require_rank(self, input_shape, 4, "(batch, height, width, channels)")
        return (input_shape[0], *conv_output_hw(self, input_shape, self.pool_size),
                input_shape[3])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


class AveragePooling2D(MaxPooling2D):
    """Mean over each pool_size window (padding not counted); otherwise as MaxPooling2D."""
    pool = staticmethod(F.avg_pool2d)


class GlobalAveragePooling2D(Layer):
    """The mean of each channel over the whole image: (N, H, W, C) -> (N, C), or
    (N, 1, 1, C) with keepdims=True.  y[n, c] = (1 / HW) Σ_i Σ_j x[n, i, j, c]."""

    reduce = staticmethod(F.mean)

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_channels_last(type(self).__name__, data_format)
        self.keepdims = bool(keepdims)

    def build(self, input_shape: Shape) -> None:
        require_rank(self, input_shape, 4, "(batch, height, width, channels)")

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return self.reduce(x, axis=(1, 2), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        require_rank(self, input_shape, 4, "(batch, height, width, channels)")
        n, _, _, c = input_shape
        return (n, 1, 1, c) if self.keepdims else (n, c)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "keepdims": self.keepdims}


class GlobalMaxPooling2D(GlobalAveragePooling2D):
    """The maximum of each channel over the whole image: (N, H, W, C) -> (N, C).
    The gradient goes to the maximum (split evenly between tied maxima)."""

    reduce = staticmethod(F.max)
