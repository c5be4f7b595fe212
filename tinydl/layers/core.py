"""Core layers: Input and InputLayer (the functional API's entry), Dense (the article's
z = Wx + b), Identity and Lambda (a function of yours as a layer).
"""
from __future__ import annotations

import importlib
from typing import Any, Callable

import numpy as np

from .. import activations, backend, initializers, regularizers
from ..autograd import DEFAULT_DTYPE, Tensor
from .layer import Layer, Shape, activation_name
from .node import Node, SymbolicTensor


class InputLayer(Layer):
    """The first layer of a functional graph: it holds the input's shape and passes
    its input through unchanged. Made by `tinydl.Input`; a model's `layers` list it
    (as in Keras 3's functional models; a Sequential model's do not)."""

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None,
                 name: str | None = None, **kwargs: Any) -> None:
        if name is None:
            name = backend.unique_name("input_layer")
        super().__init__(name=name, dtype=dtype if dtype is not None else DEFAULT_DTYPE,
                         **kwargs)
        if isinstance(shape, int | np.integer):
            shape = (int(shape),)
        if not isinstance(shape, tuple | list) or not all(
                d is None or (isinstance(d, int | np.integer) and d >= 1) for d in shape):
            raise ValueError(f"Input: shape must be a tuple of positive ints (or None for a "
                             f"size that varies), without the batch axis, e.g. (28, 28, 1); "
                             f"got {shape!r}")
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"Input: dtype must be float32 or float64, got {self.dtype}")
        self.batch_shape = (batch_size, *(None if d is None else int(d) for d in shape))
        self.input_shape = self.output_shape = self.batch_shape
        self.built = True
        node = Node(self, [], input_is_list=False)
        node.outputs = [SymbolicTensor(self.batch_shape, self.dtype, node)]
        self._inbound_nodes.append(node)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return x

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("trainable")
        return {**config, "shape": self.batch_shape[1:], "batch_size": self.batch_shape[0]}


def Input(shape: Any, batch_size: int | None = None, dtype: Any = None,
          name: str | None = None) -> SymbolicTensor:
    """A symbolic input of `shape` (without the batch axis) for the functional API:

        inputs = Input(shape=(28, 28, 1))          # SymbolicTensor, shape (None, 28, 28, 1)
        outputs = Dense(10)(Flatten()(inputs))
        model = Model(inputs, outputs)

    A None in `shape` is a size that may vary from batch to batch (Input((None, None, 1))
    for images of any size). dtype: float32 (default) or float64. As the first element of
    a `Sequential` list it fixes the model's input shape.
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name).output


class Dense(Layer):
    """Fully connected layer: y = activation(x @ W + b).

    This is the article's z = Wx + b written for a batch of row vectors: x (N, in) holds
    one sample per row, the kernel W has layout (in, out) (Keras' layout: the article's
    W acting on a column vector is this kernel transposed), b is (out,), y is (N, out):
    z[n, j] = Σ_i x[n, i]·W[i, j] + b[j]. Inputs of higher rank (N, ..., in) are
    transformed along the last axis, as in Keras.

    kernel_regularizer (e.g. `tinydl.regularizers.l2(0.01)` or 'l2') adds its penalty
    of the kernel to the model's training loss (see `Layer.losses`).
    """

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        if not (isinstance(units, int | np.integer) and units >= 1):
            raise ValueError(f"Dense: units must be a positive int, got {units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        initializers.get(kernel_initializer), initializers.get(bias_initializer)

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"{self.name} (Dense): expected inputs of shape (batch, features); "
                             f"got {tuple(input_shape)}")
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units),
                                      self.kernel_initializer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        z = x @ self.kernel
        self.pre_activation = z + self.bias if self.bias is not None else z
        return self.activation(self.pre_activation)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units,
                "activation": activation_name(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer,
                "bias_initializer": self.bias_initializer,
                "kernel_regularizer": self.kernel_regularizer}


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
