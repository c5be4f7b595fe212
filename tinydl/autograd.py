"""The whole autograd engine: `Tensor`, `Function`, `no_grad`.

A `Tensor` wraps a NumPy array. Every operation on tensors is a `Function`:
its `forward` computes the result from NumPy arrays and keeps what it needs,
its `backward` turns the gradient of the result into one gradient per input
(the chain rule, one link at a time). Calling `loss.backward()` walks the
recorded graph from `loss` back to the leaves in reverse topological order and
adds each leaf's gradient into its `.grad`.

Define-by-run: the graph is recorded while the forward code runs, so plain
Python control flow (loops, ifs) just works.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Sequence

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
DEFAULT_DTYPE = np.dtype(np.float32)

_grad_enabled = True


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Context manager: operations inside record no graph (inference, updates).

    >>> with no_grad():
    ...     y = model_output(x)      # y.requires_grad is False
    """
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    """True unless inside a `no_grad()` block."""
    return _grad_enabled


def to_array(value: Any, op: str = "Tensor", arg: str = "data", dtype: Any = None) -> np.ndarray:
    """Convert `value` to a float32/float64 NumPy array, or raise a TypeError naming `op`.

    Python numbers and lists become float32 (the default dtype). NumPy arrays must
    already be float32 or float64: an integer, boolean or object array is refused
    rather than silently cast, because an unscaled uint8 image is a common bug.
    """
    if isinstance(value, Tensor):
        arr = value.data
    elif isinstance(value, np.ndarray | np.generic):
        arr = np.asarray(value)
    else:
        try:
            arr = np.asarray(value, dtype=DEFAULT_DTYPE if dtype is None else dtype)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{op}: {arg} must be a number, a nested list of numbers or a "
                            f"float array; got {type(value).__name__} ({exc})") from None
    if dtype is not None:
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{op}: {arg} has dtype {arr.dtype} and shape {arr.shape}; expected "
                            f"real numbers")
        return arr.astype(dtype, copy=False)
    if arr.dtype not in FLOAT_DTYPES:
        hint = " (for uint8 images, divide by 255.0 first)" if arr.dtype == np.uint8 else ""
        raise TypeError(f"{op}: {arg} has dtype {arr.dtype} and shape {arr.shape}; expected a "
                        f"float32 or float64 array. Convert it explicitly, e.g. "
                        f"x.astype(np.float32){hint}.")
    return arr


class Tensor:
    """An n-dimensional array that remembers how it was computed.

    Attributes:
        data: the NumPy array (float32 by default, float64 when given float64).
        requires_grad: whether gradients flow to this tensor.
        grad: after `backward()`, d(root)/d(self) as a NumPy array of `data`'s shape,
            for leaf tensors (and for tensors on which `retain_grad()` was called).
    """

    __array_priority__ = 1000  # make `ndarray + Tensor` call Tensor.__radd__
    __array_ufunc__ = None     # refuse np.exp(tensor): it would silently drop the graph

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data: np.ndarray = to_array(data, "Tensor", "data", dtype)
        self.requires_grad = bool(requires_grad)
        self.grad: np.ndarray | None = None
        self._fn: Function | None = None  # the Function that produced this tensor
        self._retain = False               # keep .grad on a non-leaf
        self._freed = False                # its graph was released by backward()

    # -- basic information ----------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    dtype = property(lambda self: self.data.dtype)

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user rather than by an operation."""
        return self._fn is None and not self._freed

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        return f"Tensor({body}, dtype={self.dtype}{grad})"

    def __len__(self) -> int:
        return len(self.data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def numpy(self) -> np.ndarray:
        """The underlying array (no copy)."""
        return self.data

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item(): tensor has shape {self.shape}; only one-element tensors "
                             f"convert to a Python number")
        return float(self.data.reshape(()))

    def detach(self) -> Tensor:
        """A new leaf tensor sharing the data, cut off from the graph."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        self.grad = None

    def retain_grad(self) -> Tensor:
        """Ask `backward()` to keep this intermediate tensor's gradient in `.grad`."""
        self._retain = True
        return self

    # -- operators and methods: each is one call into tinydl.ops --------------
    def __add__(self, other: Any) -> Tensor: return _ops.add(self, other)
    def __radd__(self, other: Any) -> Tensor: return _ops.add(other, self)
    def __sub__(self, other: Any) -> Tensor: return _ops.sub(self, other)
    def __rsub__(self, other: Any) -> Tensor: return _ops.sub(other, self)
    def __mul__(self, other: Any) -> Tensor: return _ops.mul(self, other)
    def __rmul__(self, other: Any) -> Tensor: return _ops.mul(other, self)
    def __truediv__(self, other: Any) -> Tensor: return _ops.div(self, other)
    def __rtruediv__(self, other: Any) -> Tensor: return _ops.div(other, self)
    def __pow__(self, other: Any) -> Tensor: return _ops.pow(self, other)
    def __rpow__(self, other: Any) -> Tensor: return _ops.pow(other, self)
    def __matmul__(self, other: Any) -> Tensor: return _ops.matmul(self, other)
    def __rmatmul__(self, other: Any) -> Tensor: return _ops.matmul(other, self)
    def __neg__(self) -> Tensor: return _ops.neg(self)
    def __getitem__(self, index: Any) -> Tensor: return _ops.getitem(self, index)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.mean(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.max(self, axis, keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        return _ops.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes: Any) -> Tensor:
        return _ops.transpose(self, (axes[0] if len(axes) == 1 else axes) or None)

    @property
    def T(self) -> Tensor:
        return _ops.transpose(self)

    def exp(self) -> Tensor: return _ops.exp(self)
    def log(self) -> Tensor: return _ops.log(self)
    def sqrt(self) -> Tensor: return _ops.sqrt(self)
    def abs(self) -> Tensor: return _ops.abs(self)

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        return _ops.clip(self, lo, hi)

    # -- backpropagation ------------------------------------------------------
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into `leaf.grad` for every leaf that requires grad.

        Args:
            grad: the upstream gradient dL/d(self), same shape as self. May be omitted
                only for a one-element tensor (it is then 1, i.e. L = self).
            retain_graph: keep the graph so that backward can run through it again.
                By default the graph is released (saved arrays are freed), and a second
                backward through it raises a RuntimeError instead of silently
                double-counting. Gradients always *accumulate* into `.grad`; call
                `zero_grad()` (or the optimizer's) between steps.

        Which tensors receive a gradient is decided when the graph is recorded, during
        the forward pass (each op's `needs_grad`): changing `requires_grad` afterwards
        does not change what this backward computes.
        """
        if not self.requires_grad:
            raise RuntimeError("backward(): this tensor does not require grad (no input of the "
                               "computation had requires_grad=True, or it was made under no_grad)")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward(): the tensor has shape {self.shape}; a gradient "
                                   f"argument of that shape is required for a non-scalar output")
            grad = np.ones_like(self.data)
        else:
            grad = to_array(grad, "backward", "grad", dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward(): grad has shape {grad.shape}, expected {self.shape}")

        grads: dict[int, np.ndarray] = {id(self): grad}
        for node in reversed(_topological_order(self)):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            fn = node._fn
            if fn is None or node._retain:
                node.grad = g.copy() if node.grad is None else node.grad + g
            if fn is None:
                continue
            input_grads = fn.backward(g)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            if len(input_grads) != len(fn.inputs):
                raise RuntimeError(f"{_label(fn)}.backward returned {len(input_grads)} "
                                   f"gradients for {len(fn.inputs)} inputs")
            for i, (inp, gi) in enumerate(zip(fn.inputs, input_grads)):
                if gi is None or not fn.needs_grad[i]:   # as recorded at forward time
                    continue
                gi = _sum_to_shape(np.asarray(gi, dtype=inp.dtype), inp.shape, fn, i)
                grads[id(inp)] = gi if id(inp) not in grads else grads[id(inp)] + gi
            if not retain_graph:
                node._fn, node._freed = None, True


def _topological_order(root: Tensor) -> list[Tensor]:
    """Tensors reachable from `root` through the inputs that required grad when each op
    ran (its `needs_grad`), inputs first."""
    return topological_order(
        root, every_input=False,
        freed="backward(): trying to backward through a graph a second time; its saved "
              "arrays were freed by the first backward(). Recompute the forward pass, or pass "
              "retain_graph=True the first time.")


def topological_order(root: Tensor, every_input: bool, freed: str) -> list[Tensor]:
    """Tensors reachable from `root`, inputs first: through every input of every op
    (every_input=True, the first input explored first: how tinydl.graphs numbers a drawing),
    or only through the inputs that required grad (backward's walk). Raises
    RuntimeError(freed) on reaching a graph that backward() has released.

    Iterative depth-first search, so that deep graphs do not hit Python's recursion limit.
    """
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node._freed:
            raise RuntimeError(freed)
        stack.append((node, True))
        if node._fn is None:
            continue
        if every_input:
            inputs = reversed(node._fn.inputs)
        else:
            inputs = (inp for inp, needed in zip(node._fn.inputs, node._fn.needs_grad) if needed)
        stack.extend((inp, False) for inp in inputs if id(inp) not in seen)
    return order


def _label(fn: Function) -> str:
    """How an error names a Function: its class and, for tinydl's ops, the op ("Conv2dOp
    (conv2d)"), so that a message points at the op, not at a layer of a similar name."""
    name = type(fn).__name__
    return f"{name} ({fn.op})" if fn.op and fn.op != name else name


def _sum_to_shape(grad: np.ndarray, shape: tuple[int, ...], fn: Function, i: int) -> np.ndarray:
    """Undo broadcasting: sum `grad` over the axes along which input `i` was broadcast.

    If x of shape (3, 1) was broadcast to (2, 3, 4), each x element was used 2*4 times,
    so its gradient is the sum over those copies: sum over axis 0, then over the last
    axis with keepdims.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra >= 0:
        grad = grad.sum(axis=tuple(range(extra)))
        stretched = tuple(a for a, n in enumerate(shape) if n == 1 and grad.shape[a] != 1)
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:
        raise RuntimeError(f"{_label(fn)}.backward returned a gradient of shape "
                           f"{grad.shape} for input {i} of shape {shape}")
    return grad


class Function:
    """One differentiable operation. Subclass it to add your own op.

    Write two methods, both on plain NumPy arrays:

    * ``forward(self, *xs, **options) -> ndarray`` computes the output from the input
      arrays; save on ``self`` whatever backward will need.
    * ``backward(self, grad) -> ndarray | tuple`` receives dL/d(output) (same shape as
      the output) and returns dL/d(input) for each input, in order (``None`` for an
      input that needs no gradient; ``self.needs_grad[i]`` says which do). A gradient
      may have the broadcast shape: the engine sums it back to the input's shape.

    Then call ``MyOp.apply(x, y, option=value)``: positional arguments are the tensor
    inputs (arrays and numbers are converted), keyword arguments go to ``forward``.

    Example, the square function f(x) = x², f'(x) = 2x::

        class Square(Function):
            def forward(self, x):
                self.x = x
                return x * x

            def backward(self, grad):
                return 2 * self.x * grad

        y = Square.apply(Tensor([1.0, 2.0], requires_grad=True))
    """

    #: The op's name in error messages and graph pictures ("conv2d"); the class name if empty.
    op: str = ""
    inputs: tuple[Tensor, ...] = ()
    needs_grad: tuple[bool, ...] = ()

    def forward(self, *xs: np.ndarray, **options: Any) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, grad: np.ndarray) -> np.ndarray | None | tuple[np.ndarray | None, ...]:
        raise NotImplementedError(f"{type(self).__name__}.backward")

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Tensor:
        name = cls.op or cls.__name__
        tensors = tuple(x if isinstance(x, Tensor) else Tensor(to_array(x, name, f"input {i}"))
                        for i, x in enumerate(inputs))
        fn = cls()
        out = fn.forward(*(t.data for t in tensors), **options)
        out = Tensor(np.asarray(out), dtype=None if isinstance(out, np.ndarray) else _dtype_of(tensors))
        if _grad_enabled and any(t.requires_grad for t in tensors):
            out.requires_grad = True
            out._fn = fn
            fn.inputs = tensors
            fn.needs_grad = tuple(t.requires_grad for t in tensors)
        return out


def _dtype_of(tensors: Sequence[Tensor]) -> np.dtype:
    return np.result_type(*(t.dtype for t in tensors)) if tensors else DEFAULT_DTYPE


from . import ops as _ops  # noqa: E402  (ops imports Tensor and Function from here)
