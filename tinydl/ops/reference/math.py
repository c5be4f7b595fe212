"""Arithmetic, reductions and elementwise math, each op as its formula reads (the fast
kernels: tinydl/ops/math.py).

Each op is a `Function` <Op>Ref: `forward` evaluates the formula on NumPy arrays, `backward`
multiplies the upstream gradient g = ∂L/∂z by the formula's derivative (the chain rule).

Broadcasting. A binary op may combine shapes that differ (a bias (C,) added to a batch
(N, C)): then one input element takes part in several outputs, and its gradient is the sum
of theirs. Each backward here sums explicitly, with `unbroadcast`. (The fast kernels return
the broadcast-shaped gradient and let the engine sum it, autograd._sum_to_shape; here the
sum stands where the math needs it.)

Argument conversion (a Python number beside a tensor takes its dtype) and axis checking
are shared with the fast kernels: `fast._operands`, `fast._normalize_axis`.
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ...autograd import Function, Tensor
from .. import math as fast  # argument conversion and checks, shared with the fast kernels


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a gradient of the broadcast output's shape back to an input of `shape`.

    Broadcasting an input of shape (3, 1) to (2, 3, 4) used each of its elements 2·4
    times, so each one's gradient is the sum over those copies: over the leading axis the
    input lacks, then over the axis where it has size 1 (keeping it, as size 1).
    """
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


# -- arithmetic ---------------------------------------------------------------

class AddRef(Function):
    """z = a + b;  ∂z/∂a = 1, ∂z/∂b = 1."""
    op = "add"

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return a + b

    def backward(self, grad):
        return unbroadcast(grad, self.a_shape), unbroadcast(grad, self.b_shape)


class SubRef(Function):
    """z = a - b;  ∂z/∂a = 1, ∂z/∂b = -1."""
    op = "sub"

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return a - b

    def backward(self, grad):
        return unbroadcast(grad, self.a_shape), unbroadcast(-grad, self.b_shape)


class MulRef(Function):
    """z = a · b (elementwise);  ∂z/∂a = b, ∂z/∂b = a."""
    op = "mul"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        return unbroadcast(grad * self.b, self.a.shape), unbroadcast(grad * self.a, self.b.shape)


class DivRef(Function):
    """z = a / b;  ∂z/∂a = 1/b, ∂z/∂b = -a/b²."""
    op = "div"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        return (unbroadcast(grad / self.b, self.a.shape),
                unbroadcast(-grad * self.a / self.b ** 2, self.b.shape))


class NegRef(Function):
    """z = -a;  ∂z/∂a = -1."""
    op = "neg"

    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad


class PowRef(Function):
    """z = a^b;  ∂z/∂a = b·a^(b-1), ∂z/∂b = a^b·ln a (defined for a > 0 only)."""
    op = "pow"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a ** b

    def backward(self, grad):
        a, b = self.a, self.b
        ga = unbroadcast(grad * b * a ** (b - 1), a.shape)
        # x ** 2 of a negative x is common, and needs no ∂z/∂b: ln a would be nan there
        gb = unbroadcast(grad * a ** b * np.log(a), b.shape) if self.needs_grad[1] else None
        return ga, gb


class MatmulRef(Function):
    """z = a @ b:  z_ij = Σ_k a_ik b_kj on the last two axes; the axes before them (batch
    axes) broadcast. A 1-D a is a row (1, k) and a 1-D b a column (k, 1), whose axis of
    length 1 is then dropped from z (NumPy's matmul rules).

        ∂L/∂a_ik = Σ_j g_ij b_kj   (g @ bᵀ),     ∂L/∂b_kj = Σ_i a_ik g_ij   (aᵀ @ g)
    """
    op = "matmul"

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: operands must be at least 1-D; got shapes {a.shape} and "
                             f"{b.shape} (use * for scaling)")
        if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
            which = "only" if b.ndim == 1 else "second-to-last"
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align: the last "
                             f"axis of a must equal the {which} axis of b")
        self.a_shape, self.b_shape = a.shape, b.shape
        self.a = a[None, :] if a.ndim == 1 else a      # row vector (1, k)
        self.b = b[:, None] if b.ndim == 1 else b      # column vector (k, 1)
        z = np.einsum("...ik,...kj->...ij", self.a, self.b)
        if a.ndim == 1:
            z = z[..., 0, :]
        if b.ndim == 1:
            z = z[..., 0]
        return z

    def backward(self, grad):
        g = grad
        if len(self.b_shape) == 1:      # put the dropped axes back, the last one first
            g = g[..., None]
        if len(self.a_shape) == 1:
            g = g[..., None, :]
        ga = np.einsum("...ij,...kj->...ik", g, self.b)
        gb = np.einsum("...ik,...ij->...kj", self.a, g)
        return (unbroadcast(ga, self.a.shape).reshape(self.a_shape),
                unbroadcast(gb, self.b.shape).reshape(self.b_shape))


def add(a: Any, b: Any) -> Tensor:
    """Elementwise a + b with broadcasting."""
    return AddRef.apply(*fast._operands(a, b, "add"))


def sub(a: Any, b: Any) -> Tensor:
    """Elementwise a - b with broadcasting."""
    return SubRef.apply(*fast._operands(a, b, "sub"))


def mul(a: Any, b: Any) -> Tensor:
    """Elementwise a · b with broadcasting."""
    return MulRef.apply(*fast._operands(a, b, "mul"))


def div(a: Any, b: Any) -> Tensor:
    """Elementwise a / b with broadcasting."""
    return DivRef.apply(*fast._operands(a, b, "div"))


def pow(a: Any, b: Any) -> Tensor:
    """Elementwise a ** b with broadcasting (a > 0 where b is differentiated)."""
    return PowRef.apply(*fast._operands(a, b, "pow"))


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product a @ b (NumPy matmul semantics, batch axes broadcast)."""
    return MatmulRef.apply(*fast._operands(a, b, "matmul"))


def neg(a: Any) -> Tensor:
    """-a."""
    return NegRef.apply(a)


# -- reductions -----------------------------------------------------------------
#
# A reduction over `axes` maps x to a smaller z; with keepdims=False those axes are gone.
# In backward, `kept_axes` puts them back with size 1, so that the gradient of z
# broadcasts against x: every element of x lines up with the z it went into.

def kept_axes(grad: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """The gradient of a reduction's output with the reduced `axes` (back) as size 1."""
    return grad if keepdims else np.expand_dims(grad, axes)


class SumRef(Function):
    """z = Σ_{axes} x;  ∂z/∂x_i = 1 for every x_i in the sum: each gets the gradient of
    the sum it went into."""
    op = "sum"

    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.keepdims = x.shape, keepdims
        self.axes = fast._normalize_axis(axis, x.ndim, "sum")
        return x.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        return np.broadcast_to(kept_axes(grad, self.axes, self.keepdims), self.shape)


class MeanRef(Function):
    """z = (1/n) Σ_{axes} x, n the number of elements in each sum;  ∂z/∂x_i = 1/n."""
    op = "mean"

    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.keepdims = x.shape, keepdims
        self.axes = fast._normalize_axis(axis, x.ndim, "mean")
        self.n = int(np.prod([x.shape[a] for a in self.axes]))
        if self.n == 0:
            raise ValueError(f"mean: reducing {x.shape} over axes {self.axes} averages no elements")
        return x.sum(axis=self.axes, keepdims=keepdims) / x.dtype.type(self.n)

    def backward(self, grad):
        return np.broadcast_to(kept_axes(grad, self.axes, self.keepdims) / self.n, self.shape)


class MaxRef(Function):
    """z = max_{axes} x;  ∂z/∂x_i = 1 for the maximal element, 0 for the others.

    Tie rule (the same as the fast kernel's): when k elements tie for the maximum, each
    gets 1/k of the gradient. Any split that sums to 1 is a valid subgradient; the equal
    split keeps the rule symmetric, and both kernels must pick the same one to agree.
    """
    op = "max"

    def forward(self, x, axis=None, keepdims=False):
        self.keepdims = keepdims
        self.axes = fast._normalize_axis(axis, x.ndim, "max")
        if builtins.any(x.shape[a] == 0 for a in self.axes):
            raise ValueError(f"max: cannot take the max over an empty axis of shape {x.shape}")
        top = x.max(axis=self.axes, keepdims=True)
        self.winners = x == top                                   # 1 where x_i is a maximum
        self.ties = self.winners.sum(axis=self.axes, keepdims=True)  # k, per output
        return top if keepdims else np.squeeze(top, self.axes)

    def backward(self, grad):
        return self.winners * kept_axes(grad, self.axes, self.keepdims) / self.ties


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over `axis` (an int, a tuple, or None for all axes)."""
    return SumRef.apply(x, axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over `axis` (an int, a tuple, or None for all axes)."""
    return MeanRef.apply(x, axis=axis, keepdims=keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum over `axis` (an int, a tuple, or None for all axes); ties share the gradient."""
    return MaxRef.apply(x, axis=axis, keepdims=keepdims)


# -- elementwise math -----------------------------------------------------------

class ExpRef(Function):
    """z = eˣ;  ∂z/∂x = eˣ."""
    op = "exp"

    def forward(self, x):
        self.x = x
        return np.exp(x)

    def backward(self, grad):
        return grad * np.exp(self.x)


class LogRef(Function):
    """z = ln x;  ∂z/∂x = 1/x. -inf at 0 and nan below 0, like NumPy."""
    op = "log"

    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, grad):
        return grad / self.x


class SqrtRef(Function):
    """z = √x;  ∂z/∂x = 1/(2√x)."""
    op = "sqrt"

    def forward(self, x):
        self.x = x
        return np.sqrt(x)

    def backward(self, grad):
        return grad / (2 * np.sqrt(self.x))


class AbsRef(Function):
    """z = |x|;  ∂z/∂x = sign(x): 1 for x > 0, -1 for x < 0, and 0 at the kink x = 0."""
    op = "abs"

    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, grad):
        return grad * np.sign(self.x)


class ClipRef(Function):
    """z = min(max(x, lo), hi) (a bound of None is left out);
    ∂z/∂x = 1 for lo ≤ x ≤ hi (bounds included, as the fast kernel), 0 outside."""
    op = "clip"

    def forward(self, x, lo=None, hi=None):
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"clip: lower bound {lo} is above upper bound {hi}")
        self.inside = np.ones(x.shape, dtype=bool)
        z = x
        if lo is not None:
            self.inside &= x >= lo
            z = np.maximum(z, x.dtype.type(lo))
        if hi is not None:
            self.inside &= x <= hi
            z = np.minimum(z, x.dtype.type(hi))
        return z

    def backward(self, grad):
        return grad * self.inside


def exp(x: Any) -> Tensor:
    """Elementwise eˣ."""
    return ExpRef.apply(x)


def log(x: Any) -> Tensor:
    """Elementwise natural logarithm."""
    return LogRef.apply(x)


def sqrt(x: Any) -> Tensor:
    """Elementwise square root."""
    return SqrtRef.apply(x)


def abs(x: Any) -> Tensor:
    """Elementwise |x|."""
    return AbsRef.apply(x)


def clip(x: Any, lo: float | None = None, hi: float | None = None) -> Tensor:
    """Elementwise clamp into [lo, hi] (either bound may be None)."""
    return ClipRef.apply(x, lo=lo, hi=hi)
