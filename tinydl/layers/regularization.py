"""Regularization layers of Keras 3 that add noise in training: Dropout (the article's
listing), SpatialDropout2D and GaussianNoise. At inference (evaluate, predict, model(x)) both return x unchanged.

Randomness, as Dropout and the Random* layers: the layer's own generator (`seed=`),
else the model's (`Sequential(seed=...)`), else tinydl's shared one, so a seed
reproduces a run. Both are made of ordinary ops (x times / plus a constant array), so
gradients flow: ∂y/∂x = mask/(1 - rate) and 1 respectively.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..autograd import Tensor
from .layer import Layer, Shape


def _number(layer: str, arg: str, value: Any) -> float:
    if not isinstance(value, int | float | np.integer | np.floating) or isinstance(value, bool):
        raise ValueError(f"{layer}: {arg} must be a number, got {value!r}")
    return float(value)


class _NoiseLayer(Layer):
    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        if seed is not None:
            self.rng = np.random.default_rng(seed)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


class SpatialDropout2D(_NoiseLayer):
    """Dropout of whole feature maps: in training, y[n, :, :, c] = x[n, :, :, c] ·
    m[n, c] / (1 - rate), m[n, c] ~ Bernoulli(1 - rate), one draw per sample and channel
    (neighbouring pixels are correlated, so dropping single pixels regularizes little).
    Inputs (N, H, W, C), channels last. Draws: rng.random((N, C)) >= rate keeps.

    Args:
        rate: the fraction of channels zeroed, 0 ≤ rate < 1.
        seed: seeds this layer's own generator.
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        rate = _number("SpatialDropout2D", "rate", rate)
        if not 0 <= rate < 1:
            raise ValueError(f"SpatialDropout2D: rate must be in [0, 1), got {rate!r}")
        self.rate = rate

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) != 4:
            raise ValueError(f"{self.name} (SpatialDropout2D): expected images of shape "
                             f"(N, H, W, C), channels-last; got {tuple(input_shape)}")

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        self.build(x.shape)
        if not training or self.rate == 0:
            return x
        n, _, _, c = x.shape
        keep = self.generator().random((n, c)) >= self.rate
        scale = (keep / (1 - self.rate)).astype(x.dtype)[:, None, None, :]
        return x * Tensor(scale)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate}


class GaussianNoise(_NoiseLayer):
    """Additive zero-centred noise in training: y = x + stddev · z, z ~ N(0, 1) elementwise
    (any shape). Draws: rng.standard_normal(x.shape).

    Args:
        stddev: the noise's standard deviation, 0 ≤ stddev ≤ 1 (Keras' range).
        seed: seeds this layer's own generator.
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        stddev = _number("GaussianNoise", "stddev", stddev)
        if not 0 <= stddev <= 1:
            raise ValueError(f"GaussianNoise: stddev must be in [0, 1], got {stddev!r}")
        self.stddev = stddev

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        if not training or self.stddev == 0:
            return x
        noise = self.generator().standard_normal(x.shape) * self.stddev
        return x + Tensor(noise.astype(x.dtype))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stddev": self.stddev}


class Dropout(Layer):
    """Inverted dropout: in training, y = x · m / (1 - rate) with m_i ~ Bernoulli(1 - rate);
    at inference (evaluate, predict, model(x)), y = x. No weights.

    Args:
        rate: the fraction of units zeroed, 0 ≤ rate < 1.
        seed: seeds this layer's own mask generator; by default the masks come from the
            model's generator (`Sequential(seed=...)`) or tinydl's shared one.
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        self.rate, self.seed = float(rate), seed
        if seed is not None:
            self.rng = np.random.default_rng(seed)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return F.dropout(x, self.rate, training=training, rng=self.generator())

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
