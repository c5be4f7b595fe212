"""LayerNormalization, as in Keras 3 (kept apart from normalization.py's BatchNormalization).

Each sample is normalized over its own `axis` axes (its features by default), then
scaled and shifted: y = γ · (x - μ)/√(σ² + ε) + β, μ and σ² the mean and (biased)
variance of the sample over `axis` (`tinydl.functional.layer_norm`, one fused op with its
backward). Unlike batch normalization nothing depends on the batch: training and
inference compute the same, and there are no moving statistics.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F, initializers
from ..autograd import Tensor
from ..ops.layer_norm import normalize_axes
from .layer import Layer, Shape


class LayerNormalization(Layer):
    """Layer normalization (Ba et al., 2016): see the module docstring for the formula.

    Args:
        axis: the axis or axes (an int or a list of ints) normalized together; -1 (the
            default) normalizes each sample's features. Not the batch axis 0.
        epsilon: ε > 0 added to the variance (default 1e-3, as Keras).
        center: learn β (a weight of the normalized axes' shape); False: β = 0.
        scale: learn γ (same shape); False: γ = 1.
        beta_initializer, gamma_initializer: as Keras ('zeros' and 'ones').

    Weights, in Keras' order: gamma (when scale), then beta (when center).
    """

    def __init__(self, axis: Any = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, tuple):
            axis = list(axis)
        if not (isinstance(axis, int | np.integer) and not isinstance(axis, bool)) and not (
                isinstance(axis, list) and axis
                and all(isinstance(a, int | np.integer) and not isinstance(a, bool) for a in axis)):
            raise ValueError(f"LayerNormalization: axis must be an int or a non-empty list of "
                             f"ints, got {axis!r}")
        if (not isinstance(epsilon, int | float | np.integer | np.floating)
                or isinstance(epsilon, bool) or not epsilon > 0):
            raise ValueError(f"LayerNormalization: epsilon must be a number > 0, got {epsilon!r}")
        self.axis = int(axis) if not isinstance(axis, list) else [int(a) for a in axis]
        self.epsilon, self.center, self.scale = float(epsilon), bool(center), bool(scale)
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        initializers.get(beta_initializer), initializers.get(gamma_initializer)
        self.gamma = self.beta = None

    def _axes(self, ndim: int) -> tuple[int, ...]:
        try:
            axes = normalize_axes(self.axis, ndim, "LayerNormalization")
        except ValueError as exc:
            raise ValueError(f"{self.name} (LayerNormalization): {exc}") from None
        if 0 in axes:
            raise ValueError(f"{self.name} (LayerNormalization): axis {self.axis!r} includes the "
                             f"batch axis 0; normalize the axes of each sample (e.g. axis=-1)")
        return axes

    def build(self, input_shape: Shape) -> None:
        axes = self._axes(len(input_shape))
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError(f"{self.name} (LayerNormalization): the normalized axes {axes} of "
                             f"inputs of shape {tuple(input_shape)} must have known sizes")
        self.axes, self.param_shape = axes, shape
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, self.gamma_initializer)
        if self.center:
            self.beta = self.add_weight("beta", shape, self.beta_initializer)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        axes = self._axes(x.ndim)
        if axes != self.axes or tuple(x.shape[a] for a in axes) != self.param_shape:
            raise ValueError(f"{self.name} (LayerNormalization): built for normalized axes "
                             f"{self.axes} of sizes {self.param_shape}, called on shape {x.shape}")
        gamma = self.gamma if self.gamma is not None else np.ones(self.param_shape, x.dtype)
        beta = self.beta if self.beta is not None else np.zeros(self.param_shape, x.dtype)
        return F.layer_norm(x, gamma, beta, axis=list(axes), epsilon=self.epsilon)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": self.beta_initializer,
                "gamma_initializer": self.gamma_initializer}
