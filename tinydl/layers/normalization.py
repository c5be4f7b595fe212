"""Normalization layers: `BatchNormalization` (Keras 3 semantics); the math, the op and
its gradient are in tinydl/ops/batch_norm.py.

    model = Sequential([Conv2D(32, 3, input_shape=(28, 28, 1)), BatchNormalization(),
                        Activation("relu"), ...])
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import initializers
from ..autograd import Tensor
from ..ops.batch_norm import batch_norm_inference, batch_norm_with_moments
from .layer import Layer, Shape


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
