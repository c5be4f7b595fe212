"""Arithmetic, reductions and elementwise math, each a `Function` (shape ops: shape.py).

Every op here is differentiable. Broadcasting in binary ops needs no code of its
own: `backward` may return a gradient of the broadcast shape and the engine sums
it back to each input's shape (see `autograd._sum_to_shape`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, Tensor, to_array
from . import _kernels
from .reference import math as reference_math


def _operands(a: Any, b: Any, op: str) -> tuple[Tensor, Tensor]:
    """Two tensors for a binary op. A plain number takes the dtype of the tensor
    beside it, so that `x * 2` stays float32 when x is float32."""
    def lift(value: Any, like: Tensor | None) -> Tensor:
        if isinstance(value, Tensor):
            return value
        if like is not None and isinstance(value, int | float) and not isinstance(value, bool):
            return Tensor(np.asarray(value, dtype=like.dtype))
        return Tensor(to_array(value, op, "operand"))
    a_t = a if isinstance(a, Tensor) else None
    b_t = b if isinstance(b, Tensor) else None
    return lift(a, b_t), lift(b, a_t)


# -- arithmetic ---------------------------------------------------------------

class AddOp(Function):
    """z = a + b;  dz/da = 1, dz/db = 1."""
    op = "add"

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class SubOp(Function):
    """z = a - b;  dz/da = 1, dz/db = -1."""
    op = "sub"

    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, -grad


class MulOp(Function):
    """z = a * b (elementwise);  dz/da = b, dz/db = a."""
    op = "mul"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        return grad * self.b, grad * self.a


class DivOp(Function):
    """z = a / b;  dz/da = 1/b, dz/db = -a/b²."""
    op = "div"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        ga = grad / self.b
        return ga, (-ga * self.a / self.b if self.needs_grad[1] else None)


class NegOp(Function):
    """z = -a."""
    op = "neg"

    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad


class PowOp(Function):
    """z = a ** b;  dz/da = b·a^(b-1), dz/db = a^b·ln(a) (needs a > 0)."""
    op = "pow"

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, grad):
        ga = grad * self.b * self.a ** (self.b - 1) if self.needs_grad[0] else None
        gb = grad * self.out * np.log(self.a) if self.needs_grad[1] else None
        return ga, gb


class MatmulOp(Function):
    """z = a @ b with NumPy's matmul rules (1-D operands, batched broadcasting).

    For 2-D a (n, k) and b (k, m): dL/da = g @ bᵀ, dL/db = aᵀ @ g with g = dL/dz (n, m).
    A 1-D operand is treated as a row (a) or column (b) vector and squeezed back.
    Read first: tinydl/ops/reference/math.py (MatmulRef).
    """
    op = "matmul"

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: operands must be at least 1-D; got shapes {a.shape} and "
                             f"{b.shape} (use * for scaling)")
        if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align: the last "
                             f"axis of a must equal the {'only' if b.ndim == 1 else 'second-to-last'}"
                             f" axis of b")
        self.a, self.b = a, b
        return _matmul(a, b)

    def backward(self, grad):
        a = self.a[None, :] if self.a.ndim == 1 else self.a
        b = self.b[:, None] if self.b.ndim == 1 else self.b
        # view the output gradient with the 1-D operands' squeezed axes put back
        grad = grad.reshape(np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
                            + (a.shape[-2], b.shape[-1]))
        ga = _matmul(grad, np.swapaxes(b, -1, -2)) if self.needs_grad[0] else None
        gb = _matmul(np.swapaxes(a, -1, -2), grad) if self.needs_grad[1] else None
        if ga is not None and self.a.ndim == 1:
            ga = ga[..., 0, :]
        if gb is not None and self.b.ndim == 1:
            gb = gb[..., 0]
        return ga, gb


def _matmul(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x @ y. When the summed axis has length 1 (an outer product: the input gradient of
    a Dense layer with one unit), x * y gives the same numbers, much faster than numpy's
    matmul (bench/README.md, "constants"; measured with bench_gan.py)."""
    if x.ndim >= 2 and y.ndim >= 2 and x.shape[-1] == 1:
        return x * y
    return x @ y


def add(a: Any, b: Any) -> Tensor:
    """Elementwise a + b with broadcasting."""
    if _kernels.reference():
        return reference_math.add(a, b)
    return AddOp.apply(*_operands(a, b, "add"))


def sub(a: Any, b: Any) -> Tensor:
    """Elementwise a - b with broadcasting."""
    if _kernels.reference():
        return reference_math.sub(a, b)
    return SubOp.apply(*_operands(a, b, "sub"))


def mul(a: Any, b: Any) -> Tensor:
    """Elementwise a * b with broadcasting."""
    if _kernels.reference():
        return reference_math.mul(a, b)
    return MulOp.apply(*_operands(a, b, "mul"))


def div(a: Any, b: Any) -> Tensor:
    """Elementwise a / b with broadcasting."""
    if _kernels.reference():
        return reference_math.div(a, b)
    return DivOp.apply(*_operands(a, b, "div"))


def pow(a: Any, b: Any) -> Tensor:
    """Elementwise a ** b with broadcasting (a > 0 where b is differentiated)."""
    if _kernels.reference():
        return reference_math.pow(a, b)
    return PowOp.apply(*_operands(a, b, "pow"))


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product a @ b (NumPy matmul semantics, batch axes broadcast)."""
    if _kernels.reference():
        return reference_math.matmul(a, b)
    return MatmulOp.apply(*_operands(a, b, "matmul"))


def neg(a: Any) -> Tensor:
    """-a."""
    if _kernels.reference():
        return reference_math.neg(a)
    return NegOp.apply(a)


# -- reductions -----------------------------------------------------------------

def _normalize_axis(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    out = []
    for ax in axes:
        if not -ndim <= ax < ndim:
            raise ValueError(f"{op}: axis {ax} is out of range for a tensor with {ndim} dims")
        out.append(int(ax) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(out))


def _expand_back(grad: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Re-insert the reduced axes (as size 1) so that grad broadcasts against the input."""
    return grad if keepdims else np.expand_dims(grad, axes)


class SumOp(Function):
    """z = Σ_axes x;  every summed element gets the gradient of its sum.
    Read first: tinydl/ops/reference/math.py (SumRef)."""
    op = "sum"

    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = x.shape, _normalize_axis(axis, x.ndim, "sum"), keepdims
        return x.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        return np.broadcast_to(_expand_back(grad, self.axes, self.keepdims), self.shape)


class MeanOp(Function):
    """z = (1/n) Σ_axes x, n = number of elements reduced.
    Read first: tinydl/ops/reference/math.py (MeanRef)."""
    op = "mean"

    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = x.shape, _normalize_axis(axis, x.ndim, "mean"), keepdims
        self.count = int(np.prod([x.shape[a] for a in self.axes]))
        if self.count == 0:
            raise ValueError(f"mean: reducing {x.shape} over axes {self.axes} averages no elements")
        return x.mean(axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        g = _expand_back(grad, self.axes, self.keepdims) / self.count
        return np.broadcast_to(g, self.shape)


class MaxOp(Function):
    """z = max_axes x. The gradient goes to the maximal element; when several elements
    tie for the maximum it is split equally among them (a valid subgradient).
    Read first: tinydl/ops/reference/math.py (MaxRef)."""
    op = "max"

    def forward(self, x, axis=None, keepdims=False):
        self.axes, self.keepdims = _normalize_axis(axis, x.ndim, "max"), keepdims
        if any(x.shape[a] == 0 for a in self.axes):
            raise ValueError(f"max: cannot take the max over an empty axis of shape {x.shape}")
        out = x.max(axis=self.axes, keepdims=True)
        self.mask = x == out
        return out if keepdims else np.squeeze(out, self.axes)

    def backward(self, grad):
        g = _expand_back(grad, self.axes, self.keepdims)
        return self.mask * (g / self.mask.sum(axis=self.axes, keepdims=True))


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over `axis` (an int, a tuple, or None for all axes)."""
    if _kernels.reference():
        return reference_math.sum(x, axis, keepdims)
    return SumOp.apply(x, axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over `axis` (an int, a tuple, or None for all axes)."""
    if _kernels.reference():
        return reference_math.mean(x, axis, keepdims)
    return MeanOp.apply(x, axis=axis, keepdims=keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum over `axis` (an int, a tuple, or None for all axes)."""
    if _kernels.reference():
        return reference_math.max(x, axis, keepdims)
    return MaxOp.apply(x, axis=axis, keepdims=keepdims)


# -- elementwise math -----------------------------------------------------------

class ExpOp(Function):
    """z = eˣ;  dz/dx = eˣ."""
    op = "exp"

    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, grad):
        return grad * self.out


class LogOp(Function):
    """z = ln x;  dz/dx = 1/x. Gives -inf at 0 and nan below 0, like NumPy."""
    op = "log"

    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, grad):
        return grad / self.x


class SqrtOp(Function):
    """z = √x;  dz/dx = 1/(2√x)."""
    op = "sqrt"

    def forward(self, x):
        self.out = np.sqrt(x)
        return self.out

    def backward(self, grad):
        return grad / (2 * self.out)


class AbsOp(Function):
    """z = |x|;  dz/dx = sign(x) (0 at the kink x = 0)."""
    op = "abs"

    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, grad):
        return grad * np.sign(self.x)


class ClipOp(Function):
    """z = min(max(x, lo), hi);  dz/dx = 1 where lo ≤ x ≤ hi, else 0."""
    op = "clip"

    def forward(self, x, lo=None, hi=None):
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"clip: lower bound {lo} is above upper bound {hi}")
        self.inside = np.ones(x.shape, dtype=bool)
        if lo is not None:
            self.inside &= x >= lo
        if hi is not None:
            self.inside &= x <= hi
        return np.clip(x, lo, hi)

    def backward(self, grad):
        return grad * self.inside


def exp(x: Any) -> Tensor:
    """Elementwise eˣ."""
    if _kernels.reference():
        return reference_math.exp(x)
    return ExpOp.apply(x)


def log(x: Any) -> Tensor:
    """Elementwise natural logarithm."""
    if _kernels.reference():
        return reference_math.log(x)
    return LogOp.apply(x)


def sqrt(x: Any) -> Tensor:
    """Elementwise square root."""
    if _kernels.reference():
        return reference_math.sqrt(x)
    return SqrtOp.apply(x)


def abs(x: Any) -> Tensor:
    """Elementwise |x|."""
    if _kernels.reference():
        return reference_math.abs(x)
    return AbsOp.apply(x)


def clip(x: Any, lo: float | None = None, hi: float | None = None) -> Tensor:
    """Elementwise clamp into [lo, hi] (either bound may be None)."""
    if _kernels.reference():
        return reference_math.clip(x, lo, hi)
    return ClipOp.apply(x, lo=lo, hi=hi)
