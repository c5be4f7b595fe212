"""Activation layers, as in Keras 3: Activation (any function by name), Softmax, ReLU (with
Keras' options), LeakyReLU and ELU.

Each is a weight-free layer over one function of `tinydl.activations` (one formula, one
gradient check); the `Activation('relu')` layer of core.py does the same by name.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import activations
from ..autograd import Tensor
from .layer import Layer, Shape, activation_name


def _check_axis(layer: Layer, axis: int, ndim: int) -> None:
    if not -ndim <= axis < ndim:
        raise ValueError(f"{layer.name} ({type(layer).__name__}): axis={axis} is out of range "
                         f"for inputs with {ndim} axes (valid: {-ndim} to {ndim - 1})")


class Softmax(Layer):
    """y_i = e^{x_i} / Σ_j e^{x_j} along `axis` (computed stably, `activations.softmax`).

    Args:
        axis: the axis summing to 1, an int (default -1, the features).
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(axis, int | np.integer) or isinstance(axis, bool):
            raise ValueError(f"Softmax: axis must be an int, got {axis!r}")
        self.axis = int(axis)

    def build(self, input_shape: Shape) -> None:
        _check_axis(self, self.axis, len(input_shape))

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        _check_axis(self, self.axis, x.ndim)
        return activations.softmax(x, axis=self.axis)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


class ReLU(Layer):
    """Keras' ReLU layer, elementwise (t = threshold, M = max_value, a = negative_slope):

        f(x) = min(x, M)      for x > t
        f(x) = a·(x - t)      for x ≤ t

    ReLU() is max(0, x); ReLU(max_value=6) is ReLU6; ReLU(negative_slope=0.1) is a leaky
    ReLU. All three arguments must be ≥ 0 (max_value may be None: no cap), as in Keras.
    """

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0,
                 threshold: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for arg, value in (("max_value", max_value), ("negative_slope", negative_slope),
                           ("threshold", threshold)):
            if value is None and arg == "max_value":
                continue
            if (not isinstance(value, int | float | np.integer | np.floating)
                    or isinstance(value, bool) or not value >= 0):
                raise ValueError(f"ReLU: {arg} must be a number ≥ 0"
                                 f"{' or None' if arg == 'max_value' else ''}, got {value!r}")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope, self.threshold = float(negative_slope), float(threshold)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return activations.relu(x, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class ELU(Layer):
    """Exponential linear unit: y = x for x > 0, alpha·(e^x - 1) otherwise
    (`activations.elu`); smooth at 0 when alpha = 1, saturating at -alpha."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if (not isinstance(alpha, int | float | np.integer | np.floating)
                or isinstance(alpha, bool)):
            raise ValueError(f"ELU: alpha must be a number, got {alpha!r}")
        self.alpha = float(alpha)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return activations.elu(x, alpha=self.alpha)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}


class Activation(Layer):
    """Applies an activation function by name ('relu', 'softmax', ...), no weights."""

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        self.pre_activation = x
        return self.activation(x)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": activation_name(self.activation)}


class LeakyReLU(Layer):
    """Leaky ReLU as a layer: y = x for x > 0, negative_slope·x otherwise. No weights.

    negative_slope defaults to 0.3, Keras' LeakyReLU layer default; GANs usually use 0.2
    (Radford et al., 2016), which is also `tinydl.activations.leaky_relu`'s default.
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0 <= negative_slope < 1:
            raise ValueError(f"LeakyReLU: negative_slope must be in [0, 1), got {negative_slope!r}")
        self.negative_slope = float(negative_slope)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return activations.leaky_relu(x, self.negative_slope)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}
