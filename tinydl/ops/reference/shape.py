"""Shape operations as they read: reshape, transpose, indexing, concatenate, stack, flatten
(the fast kernels: tinydl/ops/shape.py).

None of them does arithmetic: each output element is a copy of one input element. So
each backward sends every output element's gradient back to the input element it was
copied from, and an input element copied several times (x[[0, 0]]) gets the sum.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...autograd import Function, Tensor, to_array


class ReshapeRef(Function):
    """z = x with the same elements, in the same (row-major) order, in a new shape;
    ∂L/∂x is ∂L/∂z put back into x's shape."""
    op = "reshape"

    def forward(self, x, shape):
        self.x_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                             f"({x.size} elements) into {shape}") from None

    def backward(self, grad):
        return grad.reshape(self.x_shape)


class TransposeRef(Function):
    """z = x with its axes permuted: axis i of z is axis axes[i] of x. The gradient is
    permuted back: axis axes[i] of ∂L/∂x is axis i of ∂L/∂z (the inverse permutation)."""
    op = "transpose"

    def forward(self, x, axes=None):
        self.axes = tuple(range(x.ndim))[::-1] if axes is None else tuple(axes)
        if sorted(a % x.ndim if x.ndim else a for a in self.axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of a {x.ndim}-D "
                             f"tensor's axes")
        return x.transpose(self.axes)

    def backward(self, grad):
        inverse = [0] * grad.ndim
        for i, a in enumerate(self.axes):
            inverse[a % grad.ndim] = i
        return grad.transpose(inverse)


class GetitemRef(Function):
    """z = x[index], any NumPy index. Each element of z is a copy of one element of x, so
    ∂L/∂x starts at zero and every element of ∂L/∂z is added at the place it came from;
    an element picked twice (an integer array with repeats) gets both. np.add.at adds
    every repeat (a plain `out[index] += grad` would keep only one of them)."""
    op = "getitem"

    def forward(self, x, index):
        self.x_shape, self.dtype, self.index = x.shape, x.dtype, index
        return x[index]

    def backward(self, grad):
        dx = np.zeros(self.x_shape, dtype=self.dtype)
        np.add.at(dx, self.index, grad)
        return dx


class ConcatenateRef(Function):
    """z = x_1, x_2, ... placed one after the other along `axis`; each input's gradient
    is its own stretch of ∂L/∂z along that axis."""
    op = "concatenate"

    def forward(self, *xs, axis=0):
        self.axis = axis
        self.sizes = [x.shape[axis] for x in xs]
        return np.concatenate(xs, axis=axis)

    def backward(self, grad):
        grads, start = [], 0
        for size in self.sizes:
            grads.append(np.take(grad, np.arange(start, start + size), axis=self.axis))
            start += size
        return tuple(grads)


class StackRef(Function):
    """z[..., i, ...] = x_i along a new axis `axis`; x_i's gradient is slice i of ∂L/∂z
    along that axis."""
    op = "stack"

    def forward(self, *xs, axis=0):
        self.axis, self.count = axis, len(xs)
        return np.stack(xs, axis=axis)

    def backward(self, grad):
        return tuple(np.take(grad, i, axis=self.axis) for i in range(self.count))


def reshape(x: Any, shape: Sequence[int] | int) -> Tensor:
    """Same elements in a new shape (one entry may be -1)."""
    return ReshapeRef.apply(x, shape=tuple(shape) if not isinstance(shape, int) else (shape,))


def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes (reverse them when `axes` is None)."""
    return TransposeRef.apply(x, axes=axes)


def getitem(x: Any, index: Any) -> Tensor:
    """x[index]: integers, slices, None, Ellipsis, integer or boolean arrays."""
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return GetitemRef.apply(x, index=index)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; the gradient is split back."""
    if len(tensors) == 0:
        raise ValueError("concatenate: need at least one tensor")
    return ConcatenateRef.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new axis."""
    if len(tensors) == 0:
        raise ValueError("stack: need at least one tensor")
    return StackRef.apply(*tensors, axis=axis)


def flatten(x: Any) -> Tensor:
    """(N, d1, d2, ...) -> (N, d1·d2·...): keep the batch axis, reshape the rest into one."""
    x = x if isinstance(x, Tensor) else Tensor(to_array(x, "flatten", "x"))
    if x.ndim < 1:
        raise ValueError(f"flatten: expected a batch of shape (N, ...), got shape {x.shape}")
    return reshape(x, (x.shape[0], -1))
