"""Batch normalization (Ioffe & Szegedy, 2015) as it reads; the fast kernel:
tinydl/ops/batch_norm.py.

Layout: x is (N, features) or channels-last (N, H, W, C). The statistics run over every
axis but the last, so each feature (channel) c is normalised over its m = x.size / C
values (N·H·W for images):

    μ_c  = (1/m) Σ x                  σ²_c = (1/m) Σ (x - μ_c)²    (biased, as Keras 3)
    x̂    = (x - μ_c) / √(σ²_c + ε)     y    = γ_c · x̂ + β_c

Training mode (`batch_norm`, `batch_norm_with_moments`) takes μ and σ² from the batch;
inference mode (`batch_norm_inference`) takes them as inputs (a layer's moving averages).
Argument checks are the fast module's (`fast._check_features` ...): the same errors.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd import Function, Tensor
from .. import batch_norm as fast  # argument checks, shared with the fast kernel


def sum_over_batch(a: np.ndarray) -> np.ndarray:
    """Σ over every axis but the last: (N, ..., C) -> (C,), one sum per feature."""
    return a.sum(axis=tuple(range(a.ndim - 1)))


def moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The batch mean μ and biased variance σ² = (1/m) Σ (x - μ)² of each feature, (C,)."""
    m = x.size // x.shape[-1]
    mu = sum_over_batch(x) / m
    return mu, sum_over_batch((x - mu) ** 2) / m


class BatchNormRef(Function):
    """y = γ · (x - μ) / √(σ² + ε) + β with μ, σ² the batch moments of x (see the module).

    μ and σ² depend on x, so the chain rule runs through them too. Backward, one step of
    the forward at a time, backwards (the paper's equations; sums Σ over the m values of
    each feature, g = ∂L/∂y):

        ∂L/∂x̂  = g · γ
        ∂L/∂σ² = Σ ∂L/∂x̂ · (x - μ) · (-1/2) (σ² + ε)^(-3/2)
        ∂L/∂μ  = Σ ∂L/∂x̂ · (-1/√(σ² + ε))  +  ∂L/∂σ² · (-2/m) Σ (x - μ)
        ∂L/∂x  = ∂L/∂x̂ / √(σ² + ε)  +  ∂L/∂σ² · 2 (x - μ) / m  +  ∂L/∂μ / m
        ∂L/∂γ  = Σ g · x̂,    ∂L/∂β = Σ g

    (Σ (x - μ) = 0, so the second term of ∂L/∂μ vanishes; it is kept because the chain
    rule gives it. The fast kernel folds all of this into one closed form.)
    """
    op = "batch_norm"

    def forward(self, x, gamma, beta, epsilon=1e-3):
        self.m = x.size // x.shape[-1]
        mu, var = moments(x)
        self.gamma = gamma
        self.centered = x - mu                       # x - μ
        self.var_eps = var + epsilon                 # σ² + ε
        self.x_hat = self.centered / np.sqrt(self.var_eps)
        return gamma * self.x_hat + beta

    def backward(self, grad):
        m, centered, var_eps = self.m, self.centered, self.var_eps
        d_x_hat = grad * self.gamma
        d_var = sum_over_batch(d_x_hat * centered * -0.5 * var_eps ** -1.5)
        d_mu = (sum_over_batch(d_x_hat * -1 / np.sqrt(var_eps))
                + d_var * -2 / m * sum_over_batch(centered))
        dx = d_x_hat / np.sqrt(var_eps) + d_var * 2 * centered / m + d_mu / m
        return dx, sum_over_batch(grad * self.x_hat), sum_over_batch(grad)


def _too_few_values(x: Tensor) -> ValueError:
    m = x.size // x.shape[-1]
    return ValueError(f"batch_norm: x has shape {x.shape}, so each feature has only {m} "
                      f"value in the batch: its variance is 0, every output would be beta "
                      f"and no gradient would reach x. Training mode needs at least 2 values "
                      f"per feature: a batch of 2 or more samples (in fit, a batch_size that "
                      f"does not leave a last batch of 1 sample), or use inference mode "
                      f"(training=False).")


def batch_norm_with_moments(x: Any, gamma: Any, beta: Any,
                            epsilon: float = 1e-3) -> tuple[Tensor, np.ndarray, np.ndarray]:
    """`batch_norm`, also returning the batch mean μ and biased variance σ² it used.

    Returns:
        (y, mean, variance): y a Tensor of x's shape; mean and variance NumPy arrays of
        shape (C,), no graph attached (a layer folds them into its moving averages).
    """
    x, gamma, beta = (fast._tensor(v, "batch_norm", name)
                      for v, name in ((x, "x"), (gamma, "gamma"), (beta, "beta")))
    fast._check_features("batch_norm", x, gamma=gamma, beta=beta)
    fast._check_epsilon("batch_norm", epsilon)
    if x.size // x.shape[-1] < 2:
        raise _too_few_values(x)
    y = BatchNormRef.apply(x, gamma, beta, epsilon=epsilon)
    mean, variance = moments(x.data)     # the forward's μ and σ², for the moving averages
    return y, mean, variance


def batch_norm(x: Any, gamma: Any, beta: Any, epsilon: float = 1e-3) -> Tensor:
    """Batch normalization in training mode, with the batch's own statistics:
    y = γ · (x - μ) / √(σ² + ε) + β per feature (the last axis). See `BatchNormRef`."""
    return batch_norm_with_moments(x, gamma, beta, epsilon)[0]


class BatchNormInferenceRef(Function):
    """y = γ · (x - μ) / √(v + ε) + β with fixed statistics μ (mean) and v (variance),
    all of γ, β, μ, v of shape (C,), broadcast along the last axis of x. With s = √(v + ε):

        ∂y/∂x = γ / s          ∂y/∂μ = -γ / s           ∂y/∂v = -γ (x - μ) / (2 s³)
        ∂y/∂γ = (x - μ) / s    ∂y/∂β = 1

    The (C,) inputs were used at every position of the batch: their gradients are summed
    over all axes but the last.
    """
    op = "batch_norm_inference"

    def forward(self, x, mean, variance, gamma, beta, epsilon=1e-3):
        self.gamma = gamma
        self.centered = x - mean
        self.s = np.sqrt(variance + epsilon)
        return gamma * self.centered / self.s + beta

    def backward(self, grad):
        gamma, centered, s = self.gamma, self.centered, self.s
        dx = grad * gamma / s
        d_mean = sum_over_batch(-dx)
        d_variance = sum_over_batch(grad * -gamma * centered / (2 * s ** 3))
        d_gamma = sum_over_batch(grad * centered / s)
        return dx, d_mean, d_variance, d_gamma, sum_over_batch(grad)


def batch_norm_inference(x: Any, mean: Any, variance: Any, gamma: Any, beta: Any,
                         epsilon: float = 1e-3) -> Tensor:
    """Batch normalization in inference mode, with fixed statistics:
    y = γ · (x - mean) / √(variance + ε) + β, per feature (the last axis of x);
    differentiable in all five inputs. See `BatchNormInferenceRef`."""
    op = "batch_norm_inference"
    x, mean, variance, gamma, beta = (
        fast._tensor(v, op, n) for v, n in ((x, "x"), (mean, "mean"), (variance, "variance"),
                                            (gamma, "gamma"), (beta, "beta")))
    fast._check_features(op, x, mean=mean, variance=variance, gamma=gamma, beta=beta)
    fast._check_epsilon(op, epsilon)
    return BatchNormInferenceRef.apply(x, mean, variance, gamma, beta, epsilon=epsilon)
