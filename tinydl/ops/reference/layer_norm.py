"""Layer normalization (Ba, Kiros and Hinton, 2016) as it reads; the fast kernel:
tinydl/ops/layer_norm.py.

Each sample is normalised over the `axes` (by default its features, the last axis), in
groups of m values (m = the product of the sizes of those axes):

    μ = (1/m) Σ x,   σ² = (1/m) Σ (x - μ)²,   x̂ = (x - μ) / √(σ² + ε),   y = γ · x̂ + β

with γ and β of the normalised axes' shape, shared by every sample. The same formulas as
batch normalization (reference/batch_norm.py), over other axes: a group is one sample's
features rather than one feature's batch.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd import Function, Tensor
from .. import layer_norm as fast  # argument checks, shared with the fast kernel


class LayerNormRef(Function):
    """y = γ · (x - μ) / √(σ² + ε) + β, μ and σ² over `axes` (see the module).

    The backward is written out, one step of the forward at a time, backwards; the sums
    Σ run over the m values of a group (the `axes`), g = ∂L/∂y:

        ∂L/∂x̂  = g · γ
        ∂L/∂σ² = Σ ∂L/∂x̂ · (x - μ) · (-1/2) (σ² + ε)^(-3/2)
        ∂L/∂μ  = Σ ∂L/∂x̂ · (-1/√(σ² + ε))  +  ∂L/∂σ² · (-2/m) Σ (x - μ)
        ∂L/∂x  = ∂L/∂x̂ / √(σ² + ε)  +  ∂L/∂σ² · 2 (x - μ) / m  +  ∂L/∂μ / m

    γ and β are shared by all groups: ∂L/∂γ = Σ over the other axes of g · x̂ and
    ∂L/∂β = Σ over the other axes of g. (Written out rather than composed of reference
    ops, so that it checks the fast kernel's closed form by an independent derivation.)
    """
    op = "layer_norm"

    def forward(self, x, gamma, beta, axes=(-1,), epsilon=1e-3):
        self.axes = axes
        self.others = tuple(a for a in range(x.ndim) if a not in axes)
        self.m = int(np.prod([x.shape[a] for a in axes]))
        # γ and β have the normalised axes' shape; give them x's rank to broadcast
        self.shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
        self.gamma_shape, self.beta_shape = gamma.shape, beta.shape
        self.gamma = gamma.reshape(self.shape)
        mu = x.mean(axis=axes, keepdims=True)
        self.centered = x - mu
        self.var_eps = (self.centered ** 2).mean(axis=axes, keepdims=True) + epsilon
        self.x_hat = self.centered / np.sqrt(self.var_eps)
        return self.gamma * self.x_hat + beta.reshape(self.shape)

    def backward(self, grad):
        axes, m, centered, var_eps = self.axes, self.m, self.centered, self.var_eps
        d_x_hat = grad * self.gamma
        d_var = (d_x_hat * centered * -0.5 * var_eps ** -1.5).sum(axis=axes, keepdims=True)
        d_mu = ((d_x_hat * -1 / np.sqrt(var_eps)).sum(axis=axes, keepdims=True)
                + d_var * -2 / m * centered.sum(axis=axes, keepdims=True))
        dx = d_x_hat / np.sqrt(var_eps) + d_var * 2 * centered / m + d_mu / m
        d_gamma = (grad * self.x_hat).sum(axis=self.others).reshape(self.gamma_shape)
        d_beta = grad.sum(axis=self.others).reshape(self.beta_shape)
        return dx, d_gamma, d_beta


def layer_norm(x: Any, gamma: Any, beta: Any, axis: Any = -1, epsilon: float = 1e-3) -> Tensor:
    """Layer normalization of x over `axis` (an int or a list of ints), then γ·x̂ + β.

    Args:
        x: any shape with at least one axis.
        gamma, beta: shape (x.shape[a] for a in the sorted axes), e.g. (C,) for axis=-1.
        epsilon: ε > 0 added to the variance (Keras' default 1e-3).
    Returns: y of x's shape; see `LayerNormRef`.
    """
    x, gamma, beta, axes = fast.layer_norm_inputs(x, gamma, beta, axis, epsilon)
    return LayerNormRef.apply(x, gamma, beta, axes=axes, epsilon=float(epsilon))
