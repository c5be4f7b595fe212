"""Core layers: Input and InputLayer (the functional API's entry), Dense (the
article's z = Wx + b), Activation, LeakyReLU and Dropout.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import activations, backend, functional as F, initializers, regularizers
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


class Dropout(Layer):
    """Inverted dropout: in training, y = x · m / (1 - rate) with m_i ~ Bernoulli(1 - rate);
    at inference (evaluate, predict, model(x)), y = x. No weights.

    Args:
        rate: the fraction of units zeroed, 0 ≤ rate < 1.
        seed: seeds this layer's own mask generator; by default the masks come from the
            model's generator (`Sequential(seed=...)`) or tinydl's shared one.
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        self.rate, self.seed = float(rate), seed
        if seed is not None:
            self.rng = np.random.default_rng(seed)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return F.dropout(x, self.rate, training=training, rng=self.generator())

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class Activation(Layer):
    """Applies an activation function by name ('relu', 'softmax', ...), no weights."""

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        self.pre_activation = x
        return self.activation(x)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": activation_name(self.activation)}


class LeakyReLU(Layer):
    """Leaky ReLU as a layer: y = x for x > 0, negative_slope·x otherwise. No weights.

    negative_slope defaults to 0.3, Keras' LeakyReLU layer default; GANs usually use 0.2
    (Radford et al., 2016), which is also `tinydl.activations.leaky_relu`'s default.
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0 <= negative_slope < 1:
            raise ValueError(f"LeakyReLU: negative_slope must be in [0, 1), got {negative_slope!r}")
        self.negative_slope = float(negative_slope)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return activations.leaky_relu(x, self.negative_slope)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}
