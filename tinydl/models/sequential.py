"""`Sequential`: a stack of layers, each feeding the next: a `Model` whose graph is a chain.

    model = Sequential([Input(shape=(784,)),            # or input_shape= on the first layer
                        Dense(64, activation="relu"),
                        Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])

As soon as the input shape is known (an `Input` first in the list, `input_shape=` on the
first layer, `model.build(shape)`, or the first data the model sees), the chain is built
as a functional graph: input → layer 1 → layer 2 → ...; everything else (fit, evaluate,
predict, summary, weights) is `Model`'s.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..layers.core import Input, InputLayer
from ..layers.layer import Layer, Shape
from ..layers.node import SymbolicTensor
from .functional import Model


class Sequential(Model):
    """A linear stack of layers: the output of each is the input of the next.

    Args:
        layers: optional list of layers (same as calling `add` for each); the first may
            be `tinydl.Input(shape)`, which fixes the input shape.
        name: default 'sequential', 'sequential_1', ...
        seed: seeds the model's own random generator, used for its weights, dropout
            masks and fit's shuffling: the same seed reproduces a run bit for bit. None
            uses tinydl's shared generator (`tinydl.utils.set_random_seed`).
        dtype: float32 (default) or float64 (e.g. to check gradients numerically).

    `layers` lists the stacked layers (no InputLayer, as in Keras 3).
    """

    _graph_built_later = True

    def __init__(self, layers: Sequence[Any] | None = None, name: str | None = None,
                 seed: int | None = None, dtype: Any = "float32",
                 trainable: bool = True) -> None:
        super().__init__(name=name, trainable=trainable)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"Sequential: dtype must be float32 or float64, got {self.dtype}")
        self.rng = None if seed is None else np.random.default_rng(seed)
        self.layers: list[Layer] = []
        self._input_tensor: SymbolicTensor | None = None
        self._chain_nodes: list[Any] = []
        for layer in layers or []:
            self.add(layer)

    def _default_name(self) -> str:
        return "sequential"

    def add(self, layer: Any) -> None:
        """Append a layer (and build the model if the input shape is known). An `Input`
        (or InputLayer) is accepted only first, and fixes the input shape."""
        if isinstance(layer, SymbolicTensor | InputLayer):
            if self.layers or self._input_tensor is not None:
                raise ValueError(f"{self.name}.add: an Input can only come first")
            tensor = layer if isinstance(layer, SymbolicTensor) else layer.output
            if not isinstance(tensor.node.layer, InputLayer):
                raise TypeError(f"{self.name}.add: expected a Layer or tinydl.Input(...), got "
                                f"the output of layer {tensor.name}")
            self._input_tensor = tensor
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"{self.name}.add: expected a Layer (e.g. Dense(10)), got "
                            f"{type(layer).__name__}")
        if self.rng is not None and layer.rng is None:
            layer.rng = self.rng
        self.layers.append(layer)
        if self.built:
            self.build(self.input_shape)
        elif len(self.layers) == 1 and self._input_tensor is not None:
            self.build(self._input_tensor.shape)
        elif len(self.layers) == 1 and layer.input_shape is not None:
            self.build(layer.input_shape)

    def build(self, input_shape: Sequence[int | None] | None = None) -> None:
        """Build every layer for inputs of `input_shape`, batch axis included:
        model.build((None, 28, 28, 1)). The chain becomes a functional graph."""
        if not self.layers:
            raise ValueError(f"{self.name}: the model has no layers yet; add them first with "
                             f"model.add(...)")
        shape = tuple(input_shape)
        for layer, nodes in self._chain_nodes:          # forget the previous chain's calls
            layer._inbound_nodes = [n for n in layer._inbound_nodes if n not in nodes]
        inputs = Input(shape=shape[1:], dtype=self.dtype,
                       name=self._input_tensor.name if self._input_tensor is not None else None)
        x = inputs
        before = {id(layer): len(layer._inbound_nodes) for layer in self.layers}
        for layer in self.layers:
            x = layer(x)
        self._chain_nodes = [(layer, layer._inbound_nodes[before[id(layer)]:])
                             for layer in self.layers]
        layers = self.layers
        self._init_graph(inputs, x)
        self.layers = layers                 # Keras 3: a Sequential's layers have no InputLayer
        self.dtype = np.dtype(self.dtype)

    def _build_for(self, input_shape: tuple) -> None:
        if not self.built:
            self.build((None, *input_shape[1:]))

    def _output_layer(self, k: int) -> Layer:
        if not self.layers:
            raise ValueError(f"{self.name}: the model has no layers yet; add them first with "
                             f"model.add(...)")
        return self.layers[-1]

    @property
    def input_names(self) -> list[str]:
        return [t.name for t in self.inputs] if self.built else ["input"]

    @property
    def output_names(self) -> list[str]:
        return [t.name for t in self.outputs] if self.built else [self._output_layer(0).name]

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if not self.built:
            self.build(input_shape)
        return super().compute_output_shape(input_shape)
