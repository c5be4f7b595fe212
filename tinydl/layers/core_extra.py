"""More core layers of Keras 3: Identity and Lambda (kept apart from core.py, which
holds Input, Dense, Activation, LeakyReLU and Dropout)."""
from __future__ import annotations

import importlib
from typing import Any, Callable

import numpy as np

from ..autograd import Tensor
from .layer import Layer, Shape


class Identity(Layer):
    """y = x: a placeholder layer (e.g. to switch a block off without changing the model's
    structure). No weights."""

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return x

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)


def _resolve(function: Any) -> Callable:
    """A callable, or 'module:qualname' naming a module-level function (get_config's form)."""
    if callable(function):
        return function
    if isinstance(function, str) and ":" in function:
        module, _, qualname = function.partition(":")
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        if callable(obj):
            return obj
    raise TypeError(f"Lambda: function must be a callable (or 'module:name' of one), got "
                    f"{function!r}")


class Lambda(Layer):
    """y = function(x, **arguments): wraps any function of Tensors (built from tinydl ops,
    so that gradients flow) as a weight-free layer, e.g. Lambda(lambda x: x ** 2).

    Args:
        function: a callable taking the input Tensor (a list of Tensors when the layer is
            called on a list); or 'module:name' of a module-level function.
        output_shape: the output shape without the batch axis (a tuple), or a function of
            the input shape (with the batch axis) returning the full output shape. None:
            found by running `function` on one zero sample.
        arguments: keyword arguments passed to `function` (a dict, or None).

    get_config: a module-level named function is given as 'module:name' (JSON-able, and
    the constructor accepts it); a lambda or closure cannot be written as text, so the
    config then holds the callable itself (as in Keras, such a layer cannot be saved as
    JSON without the code).
    """

    def __init__(self, function: Any, output_shape: Any = None,
                 arguments: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.function = _resolve(function)
        if output_shape is not None and not callable(output_shape):
            if isinstance(output_shape, int | np.integer):
                output_shape = (int(output_shape),)
            if not isinstance(output_shape, tuple | list) or not all(
                    d is None or (isinstance(d, int | np.integer) and d >= 1)
                    for d in output_shape):
                raise ValueError(f"Lambda: output_shape must be a tuple of positive ints "
                                 f"(without the batch axis), a function of the input shape, "
                                 f"or None; got {output_shape!r}")
            output_shape = tuple(output_shape)
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"Lambda: arguments must be a dict of keyword arguments, got "
                            f"{type(arguments).__name__}")
        self.output_shape_arg = output_shape
        self.arguments = dict(arguments or {})

    def call(self, x: Any, training: bool = False) -> Tensor:
        out = self.function(x, **self.arguments)
        if not isinstance(out, Tensor):
            raise TypeError(f"{self.name} (Lambda): the function returned "
                            f"{type(out).__name__}; it must return a Tensor (use tinydl ops, "
                            f"not numpy, so that gradients flow)")
        return out

    def compute_output_shape(self, input_shape: Any) -> Shape:
        if self.output_shape_arg is None:
            return super().compute_output_shape(input_shape)
        if callable(self.output_shape_arg):
            return tuple(self.output_shape_arg(input_shape))
        return (None, *self.output_shape_arg)

    def get_config(self) -> dict[str, Any]:
        fn = self.function
        name = getattr(fn, "__qualname__", "")
        module = getattr(fn, "__module__", None)
        if module and name and "<" not in name and module != "__main__":
            fn = f"{module}:{name}"
        shape = self.output_shape_arg
        return {**super().get_config(), "function": fn,
                "output_shape": list(shape) if isinstance(shape, tuple) else shape,
                "arguments": self.arguments or None}
