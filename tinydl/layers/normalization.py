"""Normalization layers, with Keras 3 semantics: `BatchNormalization` (the math, the op and
its gradient are in tinydl/ops/batch_norm.py) and `LayerNormalization` (each sample over its
own features: tinydl/ops/layer_norm.py).

    model = Sequential([Conv2D(32, 3, input_shape=(28, 28, 1)), BatchNormalization(),
                        Activation("relu"), ...])
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F, initializers
from ..autograd import Tensor
from ..ops.batch_norm import batch_norm_inference, batch_norm_with_moments
from .layer import Layer, Shape, sample_axes


class BatchNormalization(Layer):
    """Normalise each feature (the last axis) over the batch, then scale and shift.

    Training (`fit`, or `layer(x, training=True)`), with the batch's own statistics:
        y = γ · (x - μ_B) / √(σ²_B + ε) + β,   μ_B, σ²_B over every axis but the last;
    and, in place and outside autograd, the moving averages are updated:
        moving_mean     ← momentum · moving_mean     + (1 - momentum) · μ_B
        moving_variance ← momentum · moving_variance + (1 - momentum) · σ²_B
    with σ²_B the BIASED batch variance, as Keras 3 does (PyTorch uses the unbiased one).

    Inference (`evaluate`, `predict`, `model(x)`), with the moving statistics, which it
    leaves unchanged:
        y = γ · (x - moving_mean) / √(moving_variance + ε) + β

    Shapes: x (N, C) or channels-last (N, H, W, C); γ, β, moving_mean, moving_variance
    are (C,). γ and β are trainable (absent when scale / center is False: γ = 1, β = 0);
    the moving statistics are non-trainable weights (`non_trainable_weights`), counted
    by `summary` and stored by `save_weights`.

    As in Keras, `layer.trainable = False` (fine-tuning) freezes γ and β and also runs
    the layer in inference mode, even inside `fit`.

    Training mode needs at least 2 values per feature: a batch of 1 sample of shape
    (1, C) raises a ValueError (see `tinydl.ops.batch_norm.batch_norm`), whereas Keras
    would silently output β. Only axis=-1 (the last axis, channels-last) is supported.
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", moving_mean_initializer: Any = "zeros",
                 moving_variance_initializer: Any = "ones", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(axis, int | np.integer):
            raise ValueError(f"BatchNormalization: axis must be an int (only the last axis, "
                             f"-1, is supported), got {axis!r}")
        if not 0 <= momentum <= 1:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1], got {momentum!r}")
        if not epsilon > 0:
            raise ValueError(f"BatchNormalization: epsilon must be > 0, got {epsilon!r}")
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        for init in (beta_initializer, gamma_initializer, moving_mean_initializer,
                     moving_variance_initializer):
            initializers.get(init)   # fail early on an unknown name

    def build(self, input_shape: Shape) -> None:
        rank = len(input_shape)
        if rank < 2 or input_shape[-1] is None:
            raise ValueError(f"{self.name} (BatchNormalization): expected inputs of shape "
                             f"(batch, ..., features) with a known last axis; got "
                             f"{tuple(input_shape)}")
        if self.axis not in (-1, rank - 1):
            raise ValueError(f"{self.name} (BatchNormalization): only axis=-1 (the last axis: "
                             f"features, channels-last images) is supported; got "
                             f"axis={self.axis} for inputs of shape {tuple(input_shape)}")
        features = (input_shape[-1],)
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight("gamma", features, self.gamma_initializer)
        if self.center:
            self.beta = self.add_weight("beta", features, self.beta_initializer)
        self.moving_mean = self.add_weight("moving_mean", features, self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", features,
                                               self.moving_variance_initializer, trainable=False)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        features = x.shape[-1]
        gamma = self.gamma if self.gamma is not None else np.ones(features, x.dtype)
        beta = self.beta if self.beta is not None else np.zeros(features, x.dtype)
        if not (training and self.trainable):
            return batch_norm_inference(x, self.moving_mean, self.moving_variance, gamma, beta,
                                        self.epsilon)
        y, mean, variance = batch_norm_with_moments(x, gamma, beta, self.epsilon)
        m = self.momentum
        self.moving_mean.data[...] = m * self.moving_mean.data + (1 - m) * mean
        self.moving_variance.data[...] = m * self.moving_variance.data + (1 - m) * variance
        return y

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": self.beta_initializer,
                "gamma_initializer": self.gamma_initializer,
                "moving_mean_initializer": self.moving_mean_initializer,
                "moving_variance_initializer": self.moving_variance_initializer}


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
        return sample_axes(self, self.axis, ndim,
                           "normalize the axes of each sample (e.g. axis=-1)")

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
