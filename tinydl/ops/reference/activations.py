"""Activation functions as their formulas read (article section 3.1.4), each derivative
beside it (the fast kernels: tinydl/ops/activations.py).

Written from the formulas, but numerically stable for inputs as large as ±1e4 in
float32, because stability is part of being correct: e^x overflows float32 above x ≈ 88,
so no formula here takes e^x of a large positive x. Sigmoid picks, for each x, the one
of its two equal forms whose exponent is ≤ 0; softmax and log-softmax subtract the
maximum first (which changes nothing: the e^{-m} cancels); elu takes e^x only where x ≤ 0.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd import Function, Tensor, to_array


def linear(x: Any) -> Tensor:
    """f(x) = x, the identity ("no activation"); f'(x) = 1, so there is nothing to record."""
    return x if isinstance(x, Tensor) else Tensor(to_array(x, "linear", "x"))


class SigmoidRef(Function):
    """σ(x) = 1 / (1 + e^{-x});  σ'(x) = σ(x)·(1 - σ(x)).

    For x < 0, e^{-x} is huge (and overflows float32 below x ≈ -88); there we use the
    same value written as σ(x) = e^{x} / (1 + e^{x}), multiplying above and below by e^x.
    """
    op = "sigmoid"

    def forward(self, x):
        s = np.empty_like(x)
        up = x >= 0
        s[up] = 1 / (1 + np.exp(-x[up]))
        e = np.exp(x[~up])
        s[~up] = e / (1 + e)
        self.s = s
        return s

    def backward(self, grad):
        return grad * self.s * (1 - self.s)


class ReluRef(Function):
    """relu(x) = max(0, x);  relu'(x) = 1 for x > 0, 0 for x < 0, and 0 at the kink x = 0.

    With Keras' options (keras.activations.relu: threshold t, max_value M, negative_slope a;
    the defaults 0, None, 0 give max(0, x)):

        f(x) = a·(x - t)    for x ≤ t            f'(x) = a
        f(x) = x            for t < x < M        f'(x) = 1
        f(x) = M            for x ≥ M (and x > t) f'(x) = 0

    At the kinks, the slope of the lower piece at t and 0 at M (as the fast kernel).
    """
    op = "relu"

    def forward(self, x, negative_slope=0.0, max_value=None, threshold=0.0):
        above = x > threshold
        # a·(x - t), written as 0 when a = 0 (0·(x - t) would be nan at x = -inf)
        below = negative_slope * (x - threshold) if negative_slope else np.zeros_like(x)
        y = np.where(above, x, below)
        slope = np.where(above, 1.0, negative_slope)
        if max_value is not None:
            capped = above & (x >= max_value)
            y = np.where(capped, max_value, y)
            slope = np.where(capped, 0.0, slope)
        self.slope = slope.astype(x.dtype)
        return y.astype(x.dtype)

    def backward(self, grad):
        return grad * self.slope


class TanhRef(Function):
    """tanh(x) = (e^x - e^{-x}) / (e^x + e^{-x});  tanh'(x) = 1 - tanh²(x).

    NumPy's np.tanh evaluates the formula without the overflow that the quotient as
    written would meet at |x| > 88 in float32."""
    op = "tanh"

    def forward(self, x):
        self.t = np.tanh(x)
        return self.t

    def backward(self, grad):
        return grad * (1 - self.t ** 2)


class LeakyReluRef(Function):
    """f(x) = x for x > 0, alpha·x for x ≤ 0;  f'(x) = 1 for x > 0, alpha for x < 0
    (alpha at the kink x = 0)."""
    op = "leaky_relu"

    def forward(self, x, alpha=0.2):
        self.slope = np.where(x > 0, 1.0, alpha).astype(x.dtype)
        return np.where(x > 0, x, alpha * x).astype(x.dtype)

    def backward(self, grad):
        return grad * self.slope


class SoftmaxRef(Function):
    """s_i = e^{x_i} / Σ_j e^{x_j} along `axis`.

    Computed as e^{x_i - m} / Σ_j e^{x_j - m} with m = max_j x_j: the factor e^{-m}
    cancels, and every exponent is ≤ 0, so nothing overflows.

    Backward: ∂s_j/∂x_i = s_j (δ_ij - s_i), so
        ∂L/∂x_i = Σ_j g_j s_j (δ_ij - s_i) = s_i (g_i - Σ_j g_j s_j).
    """
    op = "softmax"

    def forward(self, x, axis=-1):
        self.axis = axis
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        self.s = e / e.sum(axis=axis, keepdims=True)
        return self.s

    def backward(self, grad):
        s = self.s
        return s * (grad - (grad * s).sum(axis=self.axis, keepdims=True))


class LogSoftmaxRef(Function):
    """log s_i = x_i - log Σ_j e^{x_j} along `axis`, computed as
    (x_i - m) - log Σ_j e^{x_j - m} with m = max_j x_j (every exponent ≤ 0).

    Backward: ∂(log s_j)/∂x_i = δ_ij - s_i, so ∂L/∂x_i = g_i - s_i Σ_j g_j, with
    s = softmax(x) = e^{log s}.
    """
    op = "log_softmax"

    def forward(self, x, axis=-1):
        self.axis = axis
        shifted = x - x.max(axis=axis, keepdims=True)
        self.log_s = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return self.log_s

    def backward(self, grad):
        s = np.exp(self.log_s)
        return grad - s * grad.sum(axis=self.axis, keepdims=True)


class EluRef(Function):
    """elu(x) = x for x > 0, alpha·(e^x - 1) for x ≤ 0 (Clevert et al., 2016);
    elu'(x) = 1 for x > 0, alpha·e^x for x ≤ 0.

    e^x is taken of min(x, 0): the branch for x > 0 does not use it, and e^{large x}
    would overflow."""
    op = "elu"

    def forward(self, x, alpha=1.0):
        self.x, self.alpha = x, alpha
        e = np.exp(np.minimum(x, 0))
        return np.where(x > 0, x, alpha * (e - 1)).astype(x.dtype)

    def backward(self, grad):
        e = np.exp(np.minimum(self.x, 0))
        return grad * np.where(self.x > 0, 1.0, self.alpha * e).astype(grad.dtype)


def sigmoid(x: Any) -> Tensor:
    """Logistic sigmoid 1/(1+e^{-x}), elementwise, in (0, 1)."""
    return SigmoidRef.apply(x)


def relu(x: Any, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Tensor:
    """Rectified linear unit max(0, x), elementwise; with Keras' options,
    f(x) = max_value for x ≥ max_value, x for threshold < x < max_value and
    negative_slope·(x - threshold) for x ≤ threshold (keras.activations.relu)."""
    return ReluRef.apply(x, negative_slope=float(negative_slope), threshold=float(threshold),
                         max_value=None if max_value is None else float(max_value))


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent, elementwise, in (-1, 1)."""
    return TanhRef.apply(x)


def leaky_relu(x: Any, alpha: float = 0.2) -> Tensor:
    """x for x > 0, alpha·x otherwise (alpha = 0.2 as keras.activations.leaky_relu)."""
    if not 0 <= alpha < 1:
        raise ValueError(f"leaky_relu: alpha must be in [0, 1), got {alpha}")
    return LeakyReluRef.apply(x, alpha=alpha)


def softmax(x: Any, axis: int = -1) -> Tensor:
    """Softmax along `axis`: non-negative, sums to 1 along that axis."""
    return SoftmaxRef.apply(x, axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """log(softmax(x)) along `axis`, computed without forming softmax (stable)."""
    return LogSoftmaxRef.apply(x, axis=axis)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: x for x > 0, alpha·(e^x - 1) otherwise (keras.activations.elu)."""
    return EluRef.apply(x, alpha=float(alpha))
