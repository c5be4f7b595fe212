"""Layer normalization (Ba, Kiros and Hinton, 2016), Keras' LayerNormalization as an op.

Each sample is normalized over the `axis` axes (by default its features, the last axis),
not over the batch as batch normalization does, so training and inference compute the
same thing and a batch of one is fine:

    μ = mean of x over `axis`,  σ² = its (biased) variance,  x̂ = (x - μ) / √(σ² + ε)
    y = γ · x̂ + β

γ and β have the shape of the normalized axes (x.shape[a] for a in axis): one scale and
one shift per normalized position, shared by every sample.

Backward (g = dL/dy, m = the number of values in each normalized group, means over
`axis`):
    dL/dx = (1/√(σ² + ε)) · (g·γ - mean(g·γ) - x̂ · mean(g·γ·x̂))
    dL/dγ = Σ over the other axes of g·x̂,   dL/dβ = Σ over the other axes of g.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, Tensor, to_array
from . import _kernels
from .reference import layer_norm as reference_layer_norm


def normalize_axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """An int or a sequence of ints -> sorted non-negative axes of an ndim-array, checked."""
    axes = [axis] if isinstance(axis, int | np.integer) else axis
    if (not isinstance(axes, list | tuple) or not axes
            or not all(isinstance(a, int | np.integer) and not isinstance(a, bool) for a in axes)):
        raise ValueError(f"{op}: axis must be an int or a non-empty list of ints, got {axis!r}")
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for inputs with {ndim} axes "
                             f"(valid: {-ndim} to {ndim - 1})")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: axis {axis!r} names an axis twice")
    return tuple(sorted(out))


class LayerNormOp(Function):
    """y = γ · (x - μ)/√(σ² + ε) + β over `axes` (see the module for the backward).
    Read first: tinydl/ops/reference/layer_norm.py (LayerNormRef, the backward step by step)."""
    op = "layer_norm"

    def forward(self, x, gamma, beta, axes=(-1,), epsilon=1e-3):
        self.axes = axes
        bshape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
        self.gamma = gamma.reshape(bshape)
        mu = x.mean(axis=axes, keepdims=True)
        self.x_hat = x - mu
        self.inv_std = 1.0 / np.sqrt((self.x_hat ** 2).mean(axis=axes, keepdims=True) + epsilon)
        self.x_hat *= self.inv_std
        self.gamma_shape, self.beta_shape = gamma.shape, beta.shape
        return self.x_hat * self.gamma + beta.reshape(bshape)

    def backward(self, grad):
        others = tuple(a for a in range(grad.ndim) if a not in self.axes)
        gg = grad * self.gamma
        dx = gg - gg.mean(axis=self.axes, keepdims=True)
        dx -= self.x_hat * (gg * self.x_hat).mean(axis=self.axes, keepdims=True)
        dx *= self.inv_std
        dgamma = (grad * self.x_hat).sum(axis=others).reshape(self.gamma_shape)
        dbeta = grad.sum(axis=others).reshape(self.beta_shape)
        return dx, dgamma, dbeta


def layer_norm(x: Any, gamma: Any, beta: Any, axis: Any = -1, epsilon: float = 1e-3) -> Tensor:
    """Layer normalization of x over `axis` (an int or a list of ints), then γ·x̂ + β.

    Args:
        x: any shape with at least one axis.
        gamma, beta: shape (x.shape[a] for a in the sorted axes), e.g. (C,) for axis=-1.
        epsilon: ε > 0 added to the variance (Keras' default 1e-3).
    Returns: y of x's shape; see the module docstring for the formula.
    """
    if _kernels.reference():
        return reference_layer_norm.layer_norm(x, gamma, beta, axis, epsilon)
    x, gamma, beta, axes = layer_norm_inputs(x, gamma, beta, axis, epsilon)
    return LayerNormOp.apply(x, gamma, beta, axes=axes, epsilon=float(epsilon))


def layer_norm_inputs(x: Any, gamma: Any, beta: Any, axis: Any, epsilon: float
                      ) -> tuple[Tensor, Tensor, Tensor, tuple[int, ...]]:
    """(x, gamma, beta, axes) checked, as Tensors: the argument rules of `layer_norm`,
    shared with its reference kernel."""
    op = "layer_norm"
    x, gamma, beta = (v if isinstance(v, Tensor) else Tensor(to_array(v, op, name))
                      for v, name in ((x, "x"), (gamma, "gamma"), (beta, "beta")))
    if x.ndim < 1:
        raise ValueError(f"{op}: x must have at least one axis, got a scalar")
    axes = normalize_axes(axis, x.ndim, op)
    expected = tuple(x.shape[a] for a in axes)
    for name, t in (("gamma", gamma), ("beta", beta)):
        if t.shape != expected:
            raise ValueError(f"{op}: {name} has shape {t.shape}; expected {expected}, the sizes "
                             f"of x's normalized axes {axes} (x has shape {x.shape})")
    if not epsilon > 0:
        raise ValueError(f"{op}: epsilon must be > 0, got {epsilon!r}")
    return x, gamma, beta, axes
