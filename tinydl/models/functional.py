"""`Model`: a graph of layers between symbolic inputs and outputs (the functional API).

    inputs = Input(shape=(64, 84, 1))
    c1 = Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = MaxPooling2D()(c1)
    x = Conv2D(32, 3, padding="same", activation="relu")(x)
    x = UpSampling2D()(x)
    x = Concatenate()([x, c1])                       # a skip connection
    outputs = Conv2D(11, 1, activation="softmax")(x)
    model = Model(inputs, outputs)                   # compile / fit / evaluate / predict

Calling layers on symbolic tensors recorded one Node per call (tinydl/layers/node.py).
`Model` walks those nodes back from the outputs to the inputs, keeps them in
topological order (every node after the nodes that feed it) and, when called on data,
replays them on real Tensors through the same autograd engine: `backward()` then flows
through the whole graph, skip connections included (a tensor used twice receives the
sum of its two gradients). One pattern is replayed as a single op, for speed and with
the same results: a Conv2D(activation='relu') whose output feeds only a tiling
MaxPooling2D (tinydl/models/fusion.py).

A model is itself a layer: it can be called on symbolic tensors inside a bigger model,
and a layer that appears in two models (a feature extractor made from
`model.get_layer(name).output`) shares its weights between them.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import utils
from ..autograd import Tensor
from ..layers.core import InputLayer
from ..layers.layer import Layer, Shape, set_weight_values
from ..layers.node import Node, SymbolicTensor, is_symbolic
from . import fusion, saving, summary
from .input_sizes import InputSizeError, input_size_hint
from .trainer import Trainer


class Model(Trainer, Layer):
    """A network defined by its symbolic inputs and outputs.

    Args:
        inputs: a SymbolicTensor from `tinydl.Input`, a list of them, or a dict
            {name: SymbolicTensor}; x given to fit/predict/call has the same structure.
        outputs: a SymbolicTensor computed from the inputs by layers, a list or a dict.
        name: default 'functional', 'functional_1', ...

    Attributes (as in Keras): `inputs`, `outputs` (lists of SymbolicTensors), `layers`
    (every layer once, in topological order, InputLayers included), `input_shape`,
    `output_shape`, `weights`, `trainable_weights`, `non_trainable_weights`, `losses`
    (weight penalties), `get_layer(name)`; and `compile`, `fit`, `evaluate`, `predict`,
    `summary`, `save_weights`, `load_weights`, `get_weights`, `set_weights`.

    Build-time errors name the layer and the shapes: a layer called on a shape it cannot
    take, outputs that do not come from the inputs, an input no output uses, two layers
    with one name.
    """

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None,
                 trainable: bool = True) -> None:
        Layer.__init__(self, name=name if name is not None else utils.unique_name(
            self._default_name()), trainable=trainable)
        self._init_trainer()
        self.rng: np.random.Generator | None = None
        self._output_logits: list[Tensor | None] = []
        if type(self) is Model:
            if inputs is None or outputs is None:
                raise TypeError("Model(inputs, outputs): give the symbolic inputs (from "
                                "tinydl.Input) and the outputs computed from them; tinydl has "
                                "no subclassing API")
            self._init_graph(inputs, outputs)

    def _default_name(self) -> str:
        return "functional"

    # -- the graph -------------------------------------------------------------------
    def _init_graph(self, inputs: Any, outputs: Any) -> None:
        self._input_struct, self.inputs = _flatten(inputs, "inputs", self.name)
        self._output_struct, self.outputs = _flatten(outputs, "outputs", self.name)
        for t in self.inputs:
            if not isinstance(t.node.layer, InputLayer):
                raise ValueError(f"{self.name}: every input must come from tinydl.Input(...); "
                                 f"{t.name} is the output of layer {t.node.layer.name} "
                                 f"({type(t.node.layer).__name__})")
        if len({id(t) for t in self.inputs}) != len(self.inputs):
            raise ValueError(f"{self.name}: an input appears twice in inputs")
        self._nodes = self._topological_nodes()
        self._fused = fusion.conv_pool_pairs(self._nodes, self.outputs)   # pool -> conv
        self._fused_away = {id(conv) for conv in self._fused.values()}
        self.layers = list({id(node.layer): node.layer for node in self._nodes}.values())
        names: dict[str, Layer] = {}
        for layer in self.layers:
            if layer.name in names:
                raise ValueError(f"{self.name}: two layers are named {layer.name!r} "
                                 f"({type(names[layer.name]).__name__} and "
                                 f"{type(layer).__name__}); layer names must be unique")
            names[layer.name] = layer
        self.dtype = self.inputs[0].dtype
        shapes = [t.shape for t in self.inputs]
        self.input_shape = shapes[0] if len(shapes) == 1 else shapes
        shapes = [t.shape for t in self.outputs]
        self.output_shape = shapes[0] if len(shapes) == 1 else shapes
        self.built = True

    def _topological_nodes(self) -> list[Node]:
        """The nodes between inputs and outputs, each after the nodes it depends on
        (an iterative depth-first search from the outputs), the input nodes first."""
        input_nodes = {id(t.node) for t in self.inputs}
        order: list[Node] = []
        done: set[int] = set()
        stack: list[tuple[Node, bool]] = [(t.node, False) for t in reversed(self.outputs)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                if id(node) not in done:
                    done.add(id(node))
                    order.append(node)
                continue
            if id(node) in done:
                continue
            if isinstance(node.layer, InputLayer) and id(node) not in input_nodes:
                raise ValueError(f"{self.name}: the outputs depend on the input "
                                 f"{node.layer.name!r}, which is not among the model's inputs "
                                 f"({[t.name for t in self.inputs]})")
            stack.append((node, True))
            stack.extend((parent, False) for parent in reversed(node.parents)
                         if id(parent) not in done)
        unused = [t.name for t in self.inputs if id(t.node) not in done]
        if unused:
            raise ValueError(f"{self.name}: the input(s) {unused} are not used by any output; "
                             f"remove them from inputs or connect them")
        # the inputs first, in the order given (as Keras lists them), then the rest
        return ([t.node for t in self.inputs]
                + [node for node in order if id(node) not in input_nodes])

    @property
    def input_names(self) -> list[str]:
        return [t.name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [t.name for t in self.outputs]

    @property
    def input(self) -> Any:
        """The symbolic input(s), as given to the constructor (Keras' model.input)."""
        self._require_graph("input")
        return _restructure(self.inputs, self._input_struct, self.input_names)

    @property
    def output(self) -> Any:
        """The symbolic output(s), as given to the constructor: Keras' Grad-CAM recipe
        builds Model(model.inputs, [model.get_layer(name).output, model.output])."""
        self._require_graph("output")
        return _restructure(self.outputs, self._output_struct, self.output_names)

    def _require_graph(self, what: str) -> None:
        if not self.built:
            raise AttributeError(f"{self.name} has no {what} yet: it is not built (give the "
                                 f"first layer an input_shape, start with tinydl.Input, or call "
                                 f"model.build((None, ...)))")

    def _input_shapes(self) -> list[Shape]:
        return [t.shape for t in self.inputs]

    def _output_shapes(self) -> list[Shape]:
        return [t.shape for t in self.outputs]

    def _output_layer(self, k: int) -> Layer:
        return self.outputs[k].node.layer

    def _build_for(self, input_shape: tuple) -> None:
        """A functional model is built at creation; only Sequential builds from data."""

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """The layer called `name` (or at position `index` of `layers`)."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"{self.name}.get_layer: index {index} is out of range; the "
                                 f"model has {len(self.layers)} layers")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"{self.name}.get_layer: no layer named {name!r}; the layers are "
                         f"{[layer.name for layer in self.layers]}")

    # -- forward ---------------------------------------------------------------------
    def _forward(self, xs: list[Tensor], training: bool) -> list[Tensor]:
        """Replay the nodes on real tensors; returns the outputs in order and leaves each
        output layer's pre-activation (its logits, or None) in `_output_logits`.

        When a layer refuses the batch because of the inputs' image size (a U-Net's
        pooled and upsampled sizes that no longer match its skips, say), the error says
        which sizes the network takes (`input_size_hint`)."""
        try:
            return self._replay(xs, training)
        except InputSizeError:
            raise                                  # from a nested model: already explained
        except ValueError as exc:
            shapes = [tuple(x.shape) for x in xs]
            hint = input_size_hint(self, shapes)
            if hint is None:
                raise
            given = ", ".join(map(str, shapes))
            raise InputSizeError(f"{self.name}: inputs of shape {given} cannot go through "
                                 f"this network ({exc}). {hint}") from exc

    def _replay(self, xs: list[Tensor], training: bool) -> list[Tensor]:
        values: dict[int, Tensor] = {id(t): x for t, x in zip(self.inputs, xs)}
        wanted = {id(t.node) for t in self.outputs}
        logits: dict[int, Tensor | None] = {}
        fuse = fusion.ENABLED
        for node in self._nodes:
            if isinstance(node.layer, InputLayer) or (fuse and id(node) in self._fused_away):
                continue
            if id(node) in wanted:
                node.layer.pre_activation = None       # no stale value from another call
            conv = self._fused.get(id(node)) if fuse else None
            if conv is not None:                       # Conv2D(relu) + this MaxPooling2D
                out = fusion.conv_relu_pool(conv.layer, node.layer,
                                            values[id(conv.inputs[0])])
            else:
                args = [values[id(t)] for t in node.inputs]
                out = node.layer(args if node.input_is_list else args[0], training=training)
            for t, value in zip(node.outputs, out if isinstance(out, list) else [out]):
                values[id(t)] = value
            if id(node) in wanted:
                logits[id(node)] = node.layer.pre_activation
        self._output_logits = [logits[id(t.node)] for t in self.outputs]
        self.pre_activation = self._output_logits[0] if len(self.outputs) == 1 else None
        return [values[id(t)] for t in self.outputs]

    def call(self, x: Any, training: bool = False) -> Any:
        """Run the graph on Tensors (one, a list, or a dict, as the inputs were given)."""
        xs = _leaves(x, self._input_struct, self.input_names)
        return _restructure(self._forward(xs, training), self._output_struct, self.output_names)

    def __call__(self, x: Any, training: bool = False) -> Any:
        """On data: the outputs (Tensors) for a batch; arrays are checked against the input
        shapes and cast to the model's dtype, Tensors are used as they are (gradients flow
        to them). On symbolic tensors: the model used as a layer of a bigger model."""
        if isinstance(x, dict) and is_symbolic(list(x.values())):
            x = _leaves(x, self._input_struct, self.input_names)   # in the inputs' order
        if is_symbolic(x):
            return Layer.__call__(self, x)
        leaves = _leaves(x, self._input_struct if self.built else "single",
                         self.input_names if self.built else ["x"])
        if not all(isinstance(t, Tensor) for t in leaves):
            arrays = self._check_x(leaves if len(leaves) > 1 else leaves[0], "call")
            leaves = [t if isinstance(t, Tensor) else Tensor(a.astype(self.dtype, copy=False))
                      for t, a in zip(leaves, arrays)]
        elif not self.built:
            self._build_for((None, *leaves[0].shape[1:]))
        return _restructure(self._forward(leaves, training), self._output_struct,
                            self.output_names)

    def compute_output_shape(self, input_shape: Any) -> Any:
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        for shape, expected in zip(shapes, self._input_shapes()):
            if len(shape) != len(expected) or any(
                    e is not None and d is not None and e != d
                    for e, d in zip(expected[1:], shape[1:])):
                raise ValueError(f"{self.name}: the model takes inputs of shape "
                                 f"{[t.shape for t in self.inputs]}; got {input_shape}")
        outputs = self._output_shapes()
        return outputs[0] if len(outputs) == 1 else outputs

    # -- weights ---------------------------------------------------------------------
    def named_weights(self) -> list[tuple[str, Tensor]]:
        """[("{i}_{layer name}/{weight name}", Tensor)] over `layers` in order: the keys
        of the weights file (see `save_weights`)."""
        return [(f"{i}_{layer.name}/{name}", weight) for i, layer in enumerate(self.layers)
                for name, weight in layer.named_weights()]

    @property
    def weights(self) -> list[Tensor]:
        """Every layer's weights, layer by layer in the order of `layers`."""
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list[Tensor]:
        if not self.trainable:
            return []
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        if not self.trainable:
            return self.weights
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    @property
    def losses(self) -> list[Tensor]:
        """The layers' current weight penalties (0-d Tensors, see `kernel_regularizer`),
        recomputed from the current weights at each access. `fit` and `evaluate` add
        their sum to the loss: loss = data loss + Σ penalties, as Keras does."""
        return [penalty for layer in self.layers for penalty in layer.losses]

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"{self.name}.count_params: the model is not built yet")
        return sum(layer.count_params() for layer in self.layers)

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every weight, in the order of `weights` (layer by layer; within a
        layer the trainable weights first, e.g. kernel, bias, then moving statistics)."""
        return [w.data.copy() for w in self.weights]

    def set_weights(self, values: Any) -> None:
        """Set every weight from arrays in the order of `get_weights`; the count and every
        shape are checked first (the message names the layer), so a mistake changes
        nothing."""
        weights = self.weights
        values = list(values)
        owners = [layer.name for layer in self.layers for _ in layer.weights]
        if len(values) == len(weights):
            for i, (weight, value) in enumerate(zip(weights, values)):
                if np.shape(value) != weight.shape:
                    raise ValueError(f"{self.name}.set_weights: array {i} has shape "
                                     f"{np.shape(value)} but it is a weight of layer "
                                     f"{owners[i]!r} of shape {weight.shape}")
        set_weight_values(self.name, weights, values)

    def save_weights(self, filepath: Any) -> None:
        """Save every weight to the .npz file `filepath` (see tinydl/models/saving.py)."""
        saving.save_weights(self, filepath)

    def load_weights(self, filepath: Any) -> None:
        """Load weights saved by `save_weights` into this (built) model, in place; the
        file is checked completely before any weight changes (tinydl/models/saving.py)."""
        saving.load_weights(self, filepath)

    def summary(self, print_fn: Callable[[str], Any] = print) -> None:
        """Print each layer's name (type), output shape and parameter count (and, for a
        graph, the layers it is connected to), then the totals."""
        summary.print_summary(self, print_fn)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype.name,
                "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                           for layer in self.layers]}


# -- structures of inputs and outputs: one, a list, or a dict --------------------------------

def _flatten(value: Any, arg: str, model: str) -> tuple[Any, list[SymbolicTensor]]:
    """(structure, flat list): structure is 'single', 'list' or the dict's keys."""
    if isinstance(value, dict):
        struct, items = list(value), list(value.values())
    elif isinstance(value, list | tuple):
        struct, items = "list", list(value)
    else:
        struct, items = "single", [value]
    if not items or not all(isinstance(t, SymbolicTensor) for t in items):
        raise TypeError(f"{model}: {arg} must be symbolic tensors (from tinydl.Input and "
                        f"layers called on it), a list or a dict of them; got {value!r}")
    return struct, items


def _leaves(x: Any, struct: Any, names: list[str]) -> list[Any]:
    """The model's inputs as a flat list, from one value, a list or a dict."""
    if isinstance(x, dict):
        missing = [n for n in names if n not in x]
        if missing:
            raise ValueError(f"the model's inputs are {names}; the dict has no {missing}")
        return [x[n] for n in names]
    if isinstance(x, list | tuple) and len(names) > 1:
        return list(x)
    return [x]


def _restructure(values: list[Tensor], struct: Any, names: list[str]) -> Any:
    if struct == "single":
        return values[0]
    if struct == "list":
        return list(values)
    return dict(zip(struct, values))
