"""Activation functions (article section 3.1.4), each with its derivative.

The article lists linear f(x) = x, sigmoid f(x) = 1/(1+e^{-x}) and ReLU f(x) = max(0, x);
we add tanh, leaky ReLU, softmax and log-softmax. Note that none of them produces a
"binary output" (as section 3.1.2 says): they are continuous maps, see lessons.

Every function here is numerically stable for inputs as large as ±1e4 in float32:
no exp() is ever taken of a large positive number.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, Tensor, to_array
from ..parallel import over_batch
from . import _kernels
from .reference import activations as reference_activations


def linear(x: Any) -> Tensor:
    """f(x) = x, the identity ("no activation"); f'(x) = 1."""
    if _kernels.reference():
        return reference_activations.linear(x)
    return x if isinstance(x, Tensor) else Tensor(to_array(x, "linear", "x"))


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) on a NumPy array, never overflowing (also used by the fused losses)."""
    # exp(-|x|) is in (0, 1], so nothing overflows: for x ≥ 0 use 1/(1+e^-x),
    # for x < 0 the algebraically equal e^x/(1+e^x).
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


#: Up to this many classes, a reduction along the last axis loops over the classes (set
#: with bench_segmentation.py --profile; bench/README.md, "constants").
FEW_CLASSES = 16


def reduce_last_axis(ufunc: np.ufunc, x: np.ndarray, axis: int = -1) -> np.ndarray:
    """ufunc.reduce(x, axis, keepdims=True), e.g. np.maximum or np.add.

    Along a short last axis (a segmentation's classes at every pixel) numpy's own
    reduction runs a tiny loop per position; one pass per class over all positions is
    faster, and that is what this does for up to FEW_CLASSES classes (same values; a sum
    may round differently in the last bit)."""
    k = x.shape[axis] if x.ndim else 0
    if axis not in (-1, x.ndim - 1) or not 1 < k <= FEW_CLASSES or x.size <= 4096:
        return ufunc.reduce(x, axis=axis, keepdims=True)
    out = x[..., 0:1].copy()
    for c in range(1, k):
        ufunc(out, x[..., c:c + 1], out=out)
    return out


def stable_log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(x) on a NumPy array: (x - m) - log Σ e^{x - m} with m = max x along
    `axis`, so no exponent is positive (also used by the fused cross-entropy)."""
    shifted = x - reduce_last_axis(np.maximum, x, axis)
    total = reduce_last_axis(np.add, np.exp(shifted), axis)
    shifted -= np.log(total)
    return shifted


def stable_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax(x) on a NumPy array: e^{x - m} / Σ e^{x - m} with m = max x along `axis`."""
    e = x - reduce_last_axis(np.maximum, x, axis)
    np.exp(e, out=e)
    e /= reduce_last_axis(np.add, e, axis)
    return e


class SigmoidOp(Function):
    """σ(x) = 1/(1+e^{-x});  σ'(x) = σ(x)(1-σ(x)).
    Read first: tinydl/ops/reference/activations.py (SigmoidRef)."""
    op = "sigmoid"

    def forward(self, x):
        self.out = stable_sigmoid(x)
        return self.out

    def backward(self, grad):
        return grad * self.out * (1 - self.out)


def _split(work, x: np.ndarray) -> None:
    """work(s) over slices of x's first axis, split between the cores (0-d: one call)."""
    if x.ndim == 0:
        work(Ellipsis)
    else:
        over_batch(work, len(x), x.size)


class ReluOp(Function):
    """relu(x) = max(0, x);  relu'(x) = 1 for x > 0, 0 for x < 0 (we take 0 at x = 0)."""
    op = "relu"

    def forward(self, x):
        self.out = np.empty_like(x)
        _split(lambda s: np.maximum(x[s], 0, out=self.out[s]), x)
        return self.out

    def backward(self, grad):
        dx = np.empty_like(grad)
        _split(lambda s: np.multiply(grad[s], self.out[s] > 0, out=dx[s]), grad)
        return dx


class TanhOp(Function):
    """tanh(x);  tanh'(x) = 1 - tanh²(x)."""
    op = "tanh"

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad):
        return grad * (1 - self.out * self.out)


class LeakyReluOp(Function):
    """f(x) = x for x > 0, alpha·x otherwise;  f'(x) = 1 or alpha.

    With 0 ≤ alpha < 1, f(x) = max(x, alpha·x), and f(x) > 0 exactly where x > 0, so the
    backward reads the slope off the output (no mask array is kept)."""
    op = "leaky_relu"

    def forward(self, x, alpha=0.2):
        self.alpha, self.out = alpha, np.empty_like(x)

        def work(s):
            np.multiply(x[s], alpha, out=self.out[s])
            np.maximum(x[s], self.out[s], out=self.out[s])
        _split(work, x)
        return self.out

    def backward(self, grad):
        dx = np.empty_like(grad)

        def work(s):
            # slope = alpha + (1 - alpha)·[out > 0], by arithmetic on the mask: a masked
            # copy (np.where, copyto(where=)) is branchy on a mask without pattern
            # (bench/README.md, "constants"); the comparison writes its 0/1 into dx
            np.greater(self.out[s], 0, out=dx[s])
            dx[s] *= 1 - self.alpha
            dx[s] += self.alpha
            dx[s] *= grad[s]
        _split(work, grad)
        return dx



class SoftmaxOp(Function):
    """s_i = e^{x_i} / Σ_j e^{x_j} along `axis`, computed as e^{x_i - m} / Σ_j e^{x_j - m}
    with m = max_j x_j (same value, no overflow).  ∂L/∂x = s ⊙ (g - Σ_j g_j s_j).
    Read first: tinydl/ops/reference/activations.py (SoftmaxRef)."""
    op = "softmax"

    def forward(self, x, axis=-1):
        self.axis = axis
        self.out = stable_softmax(x, axis)
        return self.out

    def backward(self, grad):
        s = self.out
        gs = grad * s
        gs -= s * reduce_last_axis(np.add, gs, self.axis)
        return gs


class LogSoftmaxOp(Function):
    """log s_i = (x_i - m) - log Σ_j e^{x_j - m}, m = max_j x_j.
    ∂L/∂x = g - softmax(x) · Σ_j g_j.
    Read first: tinydl/ops/reference/activations.py (LogSoftmaxRef)."""
    op = "log_softmax"

    def forward(self, x, axis=-1):
        self.axis = axis
        self.out = stable_log_softmax(x, axis)
        return self.out

    def backward(self, grad):
        return grad - np.exp(self.out) * reduce_last_axis(np.add, grad, self.axis)


def sigmoid(x: Any) -> Tensor:
    """Logistic sigmoid 1/(1+e^{-x}), elementwise, in (0, 1)."""
    if _kernels.reference():
        return reference_activations.sigmoid(x)
    return SigmoidOp.apply(x)


def relu(x: Any, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Tensor:
    """Rectified linear unit max(0, x), elementwise; with Keras' options,
    f(x) = max_value for x ≥ max_value, x for threshold < x < max_value and
    negative_slope·(x - threshold) for x ≤ threshold (keras.activations.relu)."""
    if _kernels.reference():
        return reference_activations.relu(x, negative_slope, max_value, threshold)
    if negative_slope == 0 and max_value is None and threshold == 0:
        return ReluOp.apply(x)
    return ReluGeneralOp.apply(x, negative_slope=float(negative_slope), threshold=float(threshold),
                             max_value=None if max_value is None else float(max_value))


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent, elementwise, in (-1, 1)."""
    if _kernels.reference():
        return reference_activations.tanh(x)
    return TanhOp.apply(x)


def leaky_relu(x: Any, alpha: float = 0.2) -> Tensor:
    """x for x > 0, alpha·x otherwise (alpha = 0.2 as keras.activations.leaky_relu)."""
    if _kernels.reference():
        return reference_activations.leaky_relu(x, alpha)
    if not 0 <= alpha < 1:
        raise ValueError(f"leaky_relu: alpha must be in [0, 1), got {alpha}")
    return LeakyReluOp.apply(x, alpha=alpha)


def softmax(x: Any, axis: int = -1) -> Tensor:
    """Softmax along `axis`: non-negative, sums to 1 along that axis."""
    if _kernels.reference():
        return reference_activations.softmax(x, axis)
    return SoftmaxOp.apply(x, axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """log(softmax(x)) along `axis`, computed without forming softmax (stable)."""
    if _kernels.reference():
        return reference_activations.log_softmax(x, axis)
    return LogSoftmaxOp.apply(x, axis=axis)


class EluOp(Function):
    """elu(x) = x for x > 0, alpha·(e^x - 1) for x ≤ 0 (Clevert et al., 2016);
    elu'(x) = 1 for x > 0, alpha·e^x = elu(x) + alpha for x ≤ 0 (read off the output).
    e^x is taken of min(x, 0) only, so nothing overflows."""
    op = "elu"

    def forward(self, x, alpha=1.0):
        self.alpha, self.positive = alpha, x > 0
        self.out = np.where(self.positive, x, alpha * np.expm1(np.minimum(x, 0)))
        return self.out

    def backward(self, grad):
        return grad * np.where(self.positive, 1.0, self.out + self.alpha).astype(grad.dtype)


class ReluGeneralOp(Function):
    """Keras' relu with options (threshold t ≥ 0, max_value M, negative_slope a):

        f(x) = min(x, M)         for x > t
        f(x) = a·(x - t)         for x ≤ t
    f'(x) = 1 for t < x < M, a for x < t, 0 for x > M (at the kinks: the lower side's
    slope at t, 0 at M)."""
    op = "relu"

    def forward(self, x, negative_slope=0.0, max_value=None, threshold=0.0):
        self.above = x > threshold
        y = np.where(self.above, x, negative_slope * (x - threshold))
        self.slope = np.where(self.above, 1.0, negative_slope).astype(x.dtype)
        if max_value is not None:
            clipped = self.above & (y >= max_value)
            y = np.where(clipped, x.dtype.type(max_value), y)
            self.slope[clipped] = 0
        return y.astype(x.dtype, copy=False)

    def backward(self, grad):
        return grad * self.slope


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: x for x > 0, alpha·(e^x - 1) otherwise (keras.activations.elu)."""
    if _kernels.reference():
        return reference_activations.elu(x, alpha)
    return EluOp.apply(x, alpha=float(alpha))
