"""Shape operations: reshape, transpose, indexing, concatenate, stack, flatten.

Each moves or copies elements without arithmetic, so each backward routes the gradient
back to where the element came from (the inverse reshape or permutation, a scatter-add
for indexing, slices for concatenation)."""
from __future__ import annotations

import builtins
from typing import Any, Sequence

import numpy as np

from ..autograd import Function, Tensor, to_array
from . import _kernels
from .reference import shape as reference_shape

class ReshapeOp(Function):
    op = "reshape"

    def forward(self, x, shape):
        self.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                             f"({x.size} elements) into {shape}") from None

    def backward(self, grad):
        return grad.reshape(self.shape)


class TransposeOp(Function):
    """Permute axes; the gradient is permuted back with the inverse permutation."""
    op = "transpose"

    def forward(self, x, axes=None):
        self.axes = tuple(range(x.ndim))[::-1] if axes is None else tuple(axes)
        if sorted(a % x.ndim if x.ndim else a for a in self.axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of a {x.ndim}-D tensor's axes")
        return x.transpose(self.axes)

    def backward(self, grad):
        return grad.transpose(np.argsort([a % grad.ndim for a in self.axes]))


def _is_basic_index(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return builtins.all(isinstance(i, int | slice | type(None) | type(Ellipsis) | np.integer)
                        for i in items)


class GetitemOp(Function):
    """z = x[index] for any NumPy index. Basic slices write the gradient back into
    place; advanced (integer-array) indices may repeat elements, so they use
    np.add.at, which adds every repeat."""
    op = "getitem"

    def forward(self, x, index):
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        return x[index]

    def backward(self, grad):
        out = np.zeros(self.shape, dtype=self.dtype)
        if _is_basic_index(self.index):
            out[self.index] = grad
        else:
            np.add.at(out, self.index, grad)
        return out


class ConcatenateOp(Function):
    op = "concatenate"

    def forward(self, *xs, axis=0):
        self.axis = axis
        self.splits = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=axis)

    def backward(self, grad):
        return tuple(np.split(grad, self.splits, axis=self.axis))


class StackOp(Function):
    op = "stack"

    def forward(self, *xs, axis=0):
        self.axis = axis
        return np.stack(xs, axis=axis)

    def backward(self, grad):
        return tuple(np.moveaxis(grad, self.axis, 0))


def reshape(x: Any, shape: Sequence[int] | int) -> Tensor:
    """Same elements in a new shape (one entry may be -1)."""
    if _kernels.reference():
        return reference_shape.reshape(x, shape)
    return ReshapeOp.apply(x, shape=tuple(shape) if not isinstance(shape, int) else (shape,))


def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes (reverse them when `axes` is None)."""
    if _kernels.reference():
        return reference_shape.transpose(x, axes)
    return TransposeOp.apply(x, axes=axes)


def getitem(x: Any, index: Any) -> Tensor:
    """x[index]: integers, slices, None, Ellipsis, integer or boolean arrays."""
    if _kernels.reference():
        return reference_shape.getitem(x, index)
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return GetitemOp.apply(x, index=index)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; the gradient is split back."""
    if _kernels.reference():
        return reference_shape.concatenate(tensors, axis)
    if len(tensors) == 0:
        raise ValueError("concatenate: need at least one tensor")
    return ConcatenateOp.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new axis."""
    if _kernels.reference():
        return reference_shape.stack(tensors, axis)
    if len(tensors) == 0:
        raise ValueError("stack: need at least one tensor")
    return StackOp.apply(*tensors, axis=axis)


def flatten(x: Any) -> Tensor:
    """(N, d1, d2, ...) -> (N, d1·d2·...): keep the batch axis, flatten the rest."""
    if _kernels.reference():
        return reference_shape.flatten(x)
    x = x if isinstance(x, Tensor) else Tensor(to_array(x, "flatten", "x"))
    if x.ndim < 1:
        raise ValueError(f"flatten: expected a batch of shape (N, ...), got shape {x.shape}")
    return reshape(x, (x.shape[0], -1))
