"""Batch normalization (Ioffe & Szegedy, 2015), the op: a fused `Function` for training
mode and a plain composition of ops for inference mode.

Layout: x is (N, features) or channels-last (N, H, W, C); the last axis holds the
features (channels) and the statistics run over every other axis, so each feature is
normalised over its m = x.size / C values (N·H·W for images).

Training mode, with the statistics of the batch itself:

    μ  = (1/m) Σ x                      (per feature)
    σ² = (1/m) Σ (x - μ)²               (biased variance, as Keras 3 and PyTorch)
    x̂  = (x - μ) / √(σ² + ε)
    y  = γ · x̂ + β

Inference mode, with fixed statistics (a layer's moving averages):

    y = γ · (x - moving_mean) / √(moving_var + ε) + β

The layer `BatchNormalization` (tinydl/layers/normalization.py, imported as
`tinydl.layers.BatchNormalization`) switches between the two and keeps the moving
averages.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, Tensor, to_array
from ._geometry import channel_sums
from . import _kernels
from .reference import batch_norm as reference_batch_norm


class BatchNormOp(Function):
    """y = γ · x̂ + β with x̂ = (x - μ) / σ̂, σ̂ = √(σ² + ε); μ, σ² the batch moments of x.

    `centered` = x - μ and `variance` = σ² must come from x's own batch moments over every
    axis but the last (`batch_norm_with_moments` computes them once, so that a layer can
    reuse them for its moving averages; `centered` is a scratch array, scaled in place
    into x̂). They depend on x, and the backward below accounts for that.

    Backward, the closed form (sums Σ over the m values of each feature, g = dL/dy):

        dL/dx = (γ / σ̂) / m · (m·g - Σ g - x̂ · Σ (g·x̂))
        dL/dγ = Σ g·x̂
        dL/dβ = Σ g

    The two subtracted terms are the gradient flowing through μ and through σ²: their
    effect is that dL/dx has zero mean over each feature and is orthogonal to x̂.
    Read first: tinydl/ops/reference/batch_norm.py (BatchNormRef, the backward step by step).
    """
    op = "batch_norm"

    def forward(self, x, gamma, beta, *, centered, variance, epsilon=1e-3):
        self.inv_std = 1.0 / np.sqrt(variance + epsilon)
        self.x_hat = centered
        self.x_hat *= self.inv_std
        self.gamma = gamma
        y = self.x_hat * gamma
        y += beta
        return y

    def backward(self, grad):
        m = grad.size // grad.shape[-1]
        sum_g = channel_sums(grad)
        scratch = grad * self.x_hat
        sum_g_xhat = channel_sums(scratch)
        dx = None
        if self.needs_grad[0]:
            # dx = (γ/σ̂)·(g - Σg/m - x̂·Σ(g·x̂)/m), in place: each pass allocates nothing
            np.multiply(self.x_hat, sum_g_xhat / m, out=scratch)
            dx = grad - sum_g / m
            dx -= scratch
            dx *= self.gamma * self.inv_std
        return dx, sum_g_xhat, sum_g


def _tensor(value: Any, op: str, arg: str) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(to_array(value, op, arg))


def _check_features(op: str, x: Tensor, **params: Tensor) -> None:
    """Each of `params` must have shape (C,), C = x.shape[-1]."""
    if x.ndim < 2:
        raise ValueError(f"{op}: x has shape {x.shape}; expected (batch, ..., features), at "
                         f"least 2 axes (the features are on the last axis)")
    expected = (x.shape[-1],)
    for name, p in params.items():
        if p.shape != expected:
            raise ValueError(f"{op}: {name} has shape {p.shape}; expected {expected}, one value "
                             f"per feature (the last axis of x, whose shape is {x.shape})")


def _check_epsilon(op: str, epsilon: float) -> None:
    if not epsilon > 0:
        raise ValueError(f"{op}: epsilon must be > 0, got {epsilon!r}")


def batch_norm_with_moments(x: Any, gamma: Any, beta: Any,
                            epsilon: float = 1e-3) -> tuple[Tensor, np.ndarray, np.ndarray]:
    """`batch_norm`, also returning the batch mean μ and biased variance σ² it used.

    Returns:
        (y, mean, variance): y a Tensor of x's shape; mean and variance NumPy arrays of
        shape (C,), no graph attached (a layer folds them into its moving averages).
    """
    if _kernels.reference():
        return reference_batch_norm.batch_norm_with_moments(x, gamma, beta, epsilon)
    x, gamma, beta = (_tensor(v, "batch_norm", name)
                      for v, name in ((x, "x"), (gamma, "gamma"), (beta, "beta")))
    _check_features("batch_norm", x, gamma=gamma, beta=beta)
    _check_epsilon("batch_norm", epsilon)
    m = x.size // x.shape[-1]
    if m < 2:
        # With one value per feature, x̂ = 0: y = β whatever x, and dL/dx = 0. Keras
        # silently allows it; an error (as PyTorch raises) says why nothing would learn.
        raise ValueError(f"batch_norm: x has shape {x.shape}, so each feature has only {m} "
                         f"value in the batch: its variance is 0, every output would be beta "
                         f"and no gradient would reach x. Training mode needs at least 2 values "
                         f"per feature: a batch of 2 or more samples (in fit, a batch_size that "
                         f"does not leave a last batch of 1 sample), or use inference mode "
                         f"(training=False).")
    mean = channel_sums(x.data) / m
    centered = x.data - mean
    variance = channel_sums(np.square(centered)) / m
    y = BatchNormOp.apply(x, gamma, beta, centered=centered, variance=variance, epsilon=epsilon)
    return y, mean, variance


def batch_norm(x: Any, gamma: Any, beta: Any, epsilon: float = 1e-3) -> Tensor:
    """Batch normalization in training mode, with the batch's own statistics.

    y = γ · (x - μ) / √(σ² + ε) + β, μ and σ² (biased) per feature over every axis of x
    but the last.

    Args:
        x: (N, C) or (N, H, W, C) (any rank ≥ 2, features on the last axis), with at
            least 2 values per feature.
        gamma, beta: scale γ and offset β, shape (C,).
        epsilon: ε > 0, added to the variance (Keras' default 1e-3; PyTorch's is 1e-5).
    Returns:
        y, of x's shape. Fused forward and backward (see `BatchNorm`).
    Raises:
        ValueError: for gamma/beta not of shape (C,), or a single value per feature.
    """
    if _kernels.reference():
        return reference_batch_norm.batch_norm(x, gamma, beta, epsilon)
    return batch_norm_with_moments(x, gamma, beta, epsilon)[0]


def batch_norm_inference(x: Any, mean: Any, variance: Any, gamma: Any, beta: Any,
                         epsilon: float = 1e-3) -> Tensor:
    """Batch normalization in inference mode, with fixed statistics.

    y = γ · (x - mean) / √(variance + ε) + β, per feature (the last axis of x).

    Args:
        x: (N, ..., C), any batch size (one sample is fine).
        mean, variance: the statistics to use, shape (C,) (a layer's moving averages).
        gamma, beta: shape (C,).
        epsilon: ε > 0.
    Returns:
        y, of x's shape. Built from ordinary ops, so it is differentiable in all five
        inputs; a layer passes its moving statistics as constants.
    """
    if _kernels.reference():
        return reference_batch_norm.batch_norm_inference(x, mean, variance, gamma, beta, epsilon)
    op = "batch_norm_inference"
    x, mean, variance, gamma, beta = (
        _tensor(v, op, n) for v, n in ((x, "x"), (mean, "mean"), (variance, "variance"),
                                       (gamma, "gamma"), (beta, "beta")))
    _check_features(op, x, mean=mean, variance=variance, gamma=gamma, beta=beta)
    _check_epsilon(op, epsilon)
    scale = gamma / (variance + epsilon).sqrt()     # (C,): one multiply per element of x
    return (x - mean) * scale + beta
