"""Symbolic tensors and nodes: what a layer records when it is called on `Input`s.

The functional API describes a network by calling layers on placeholders:

    inputs = tinydl.Input(shape=(28, 28, 1))        # a SymbolicTensor, shape (None, 28, 28, 1)
    x = Conv2D(32, 3, activation="relu")(inputs)    # records a Node; x is symbolic too
    outputs = Dense(10, activation="softmax")(Flatten()(x))
    model = tinydl.Model(inputs, outputs)           # the graph between them

A `SymbolicTensor` holds no numbers, only a shape (batch axis None), a dtype and the
`Node` that produced it. A `Node` is one call of one layer: the layer, the symbolic
tensors it was called on, the ones it returned. Calling the same layer twice makes two
nodes that share the layer's weights. `tinydl.Model` walks the nodes back from its
outputs to its inputs and replays them, in topological order, on real Tensors.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .layer import Layer

Shape = tuple[int | None, ...]


class SymbolicTensor:
    """A placeholder for a batch in a layer graph: a shape and a dtype, no values.

    Attributes:
        shape: (None, ...) with the batch axis None (other axes may be None too, e.g.
            Input((None, None, 1)) for images of any size).
        dtype: the dtype the layers will see (float32 unless the Input said otherwise).
        node: the Node (one layer call) that produced it; `index` which of its outputs.
        name: for messages and `summary`: the producing layer's name.
    """

    def __init__(self, shape: Shape, dtype: Any, node: Node, index: int = 0) -> None:
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.node, self.index = node, index

    @property
    def name(self) -> str:
        return self.node.layer.name

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return (f"<SymbolicTensor shape={self.shape} dtype={self.dtype.name} "
                f"from={self.node.layer.name!r}>")

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise TypeError(f"{self!r} has no values: it is a placeholder of the functional API. "
                        f"Build a model with tinydl.Model(inputs, outputs) and call the model "
                        f"on data instead.")

    # a + b and a * b between symbolic tensors, as Keras allows: the merging layers
    def __add__(self, other: Any) -> SymbolicTensor:
        from .merging import Add
        return Add()([self, other])

    def __sub__(self, other: Any) -> SymbolicTensor:
        from .merging import Subtract
        return Subtract()([self, other])

    def __mul__(self, other: Any) -> SymbolicTensor:
        from .merging import Multiply
        return Multiply()([self, other])


class Node:
    """One call of `layer` in a graph: `inputs` (symbolic tensors) → `outputs`.

    `input_is_list` remembers whether the layer was called on a list (a merging layer,
    Concatenate()([a, b])) or on one tensor, so the call can be replayed the same way.
    """

    def __init__(self, layer: Layer, inputs: list[SymbolicTensor], input_is_list: bool) -> None:
        self.layer = layer
        self.inputs = inputs
        self.input_is_list = input_is_list
        self.outputs: list[SymbolicTensor] = []

    @property
    def parents(self) -> list[Node]:
        """The nodes that produced this node's inputs."""
        return [t.node for t in self.inputs]

    def __repr__(self) -> str:
        return f"<Node {self.layer.name} ({type(self.layer).__name__})>"


def is_symbolic(x: Any) -> bool:
    """True for a SymbolicTensor or a non-empty list/tuple made only of them."""
    if isinstance(x, SymbolicTensor):
        return True
    return (isinstance(x, list | tuple) and len(x) > 0
            and all(isinstance(t, SymbolicTensor) for t in x))
