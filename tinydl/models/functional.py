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

A model is itself a layer: it can be called on symbolic tensors inside a bigger model
(or put in a Sequential: `Sequential([model, Activation('softmax')])`), and a layer that
appears in two models (a feature extractor made from `model.get_layer(name).output`, or
the inner model itself) shares its weights between them.

Subclassing (Keras 3's third way): create the layers in `__init__` (as attributes, or in
lists and dicts; nested models too) and write the forward pass in `call`:

    class MLP(tinydl.Model):
        def __init__(self):
            super().__init__()                       # first: it starts the layer tracking
            self.hidden = [Dense(64, activation="relu"), Dense(64, activation="relu")]
            self.out = Dense(10, activation="softmax")

        def call(self, inputs, training=False):
            x = inputs
            for layer in self.hidden:
                x = layer(x)
            return self.out(x)

`layers` lists the assigned layers in the order of assignment. The weights are created
on the first batch (fit/predict/evaluate/a call) or by `model.build((None, 784))`, which
runs `call` once on a zero sample; then compile/fit/evaluate/predict, summary (no
'Connected to' column: the graph is Python code), save_weights/load_weights, get_weights
and trainable_weights work as for any model. The loss is computed on the probabilities
(no fused logits: tinydl cannot see which layer made the output). Override `train_step`
/ `test_step` to train differently (tinydl/models/trainer.py).
"""
from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np

from .. import backend
from ..autograd import DEFAULT_DTYPE, Tensor, no_grad
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
    `summary`, `save_weights`, `load_weights`, `get_weights`, `set_weights`,
    `save` (the whole model, see tinydl/saving.py), `get_config`, `from_config`.

    Build-time errors name the layer and the shapes: a layer called on a shape it cannot
    take, outputs that do not come from the inputs, an input no output uses, two layers
    with one name.

    Model() without inputs and outputs in a subclass means subclassing (see the module
    docstring): a subclass that forgot `super().__init__()`, or whose `call` returns
    nothing, gets an error that says so.
    """

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None,
                 trainable: bool = True) -> None:
        object.__setattr__(self, "_tracked", {})     # attribute name -> layer(s), in order
        object.__setattr__(self, "_subclassed", inputs is None and outputs is None
                           and type(self) is not Model and not type(self)._graph_built_later)
        Layer.__init__(self, name=name if name is not None else backend.unique_name(
            self._default_name()), trainable=trainable)
        self._init_trainer()
        self.rng: np.random.Generator | None = None
        self._output_logits: list[Tensor | None] = []
        if self._subclassed:
            self.dtype = DEFAULT_DTYPE
            self._sub_input_shapes: list[Shape] = []
            self._sub_output_shapes: list[Shape] = []
            self._sub_output_struct: Any = "single"
        elif inputs is not None or outputs is not None or type(self) is Model:
            if inputs is None or outputs is None:
                raise TypeError(f"Model(inputs, outputs): give both the symbolic inputs (from "
                                f"tinydl.Input) and the outputs computed from them; got "
                                f"inputs={inputs!r}, outputs={outputs!r}. Or subclass Model: "
                                f"create the layers in __init__ and write call(self, inputs, "
                                f"training=False)")
            self._init_graph(inputs, outputs)

    # -- subclassing: layers assigned as attributes are tracked -----------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_tracked" not in self.__dict__ and _holds_layers(value):
            raise RuntimeError(f"{type(self).__name__}: set {name} before Model.__init__ ran: "
                               f"it looks like you are subclassing Model and forgot to call "
                               f"super().__init__() first in __init__")
        object.__setattr__(self, name, value)
        if self.__dict__.get("_subclassed") and name != "layers" and not name.startswith("__"):
            if _holds_layers(value):
                self._tracked[name] = value
            else:
                self._tracked.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        # only called for attributes that are missing
        if "_tracked" not in self.__dict__ and not name.startswith("__"):
            raise RuntimeError(f"{type(self).__name__}.{name}: the model was not initialised: "
                               f"it looks like you are subclassing Model and forgot to call "
                               f"super().__init__() at the start of __init__")
        if name in ("_nodes", "inputs", "outputs") and self.__dict__.get("_subclassed"):
            raise AttributeError(f"{self.name} is a subclassed model: it has no recorded graph "
                                 f"({name}); plotting or reading inner outputs needs a "
                                 f"functional Model(inputs, outputs)")
        prop = getattr(type(self), name, None)
        if isinstance(prop, property) and prop.fget is not None:
            return prop.fget(self)        # re-raise the property's own (clearer) error
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def layers(self) -> list[Layer]:
        """The model's layers: for a graph, in topological order; for a subclassed model,
        the layers (and nested models) assigned as attributes, directly or in lists, tuples
        and dicts, in the order of assignment (each once)."""
        if self.__dict__.get("_subclassed"):
            found: dict[int, Layer] = {}
            for value in self._tracked.values():
                for layer in _layers_in(value):
                    found.setdefault(id(layer), layer)
            return list(found.values())
        return self.__dict__.get("_layers", [])

    @layers.setter
    def layers(self, value: list[Layer]) -> None:
        if self.__dict__.get("_subclassed"):
            raise AttributeError(f"{self.name}: the layers of a subclassed model are the layers "
                                 f"assigned as its attributes; `layers` cannot be set")
        self.__dict__["_layers"] = value

    #: Sequential builds its graph later; any other Model() without inputs is subclassed.
    _graph_built_later = False

    def _default_name(self) -> str:
        if self.__dict__.get("_subclassed"):          # Keras: the class name in snake case
            return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", type(self).__name__).lower()
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
        if self._subclassed:
            n = len(self._sub_input_shapes)
            return ["input"] if n <= 1 else [f"input_{i + 1}" for i in range(n)]
        return [t.name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        if self._subclassed:
            n = len(self._sub_output_shapes)
            if isinstance(self._sub_output_struct, list):          # a dict's keys
                return list(self._sub_output_struct)
            return ["output"] if n <= 1 else [f"output_{k + 1}" for k in range(n)]
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
        if self._subclassed:
            raise AttributeError(f"{self.name} has no symbolic {what}: it is a subclassed model "
                                 f"(its graph is the Python code of call); build a functional "
                                 f"Model(inputs, outputs) to reach inner layers' outputs")
        if not self.built:
            raise AttributeError(f"{self.name} has no {what} yet: it is not built (give the "
                                 f"first layer an input_shape, start with tinydl.Input, or call "
                                 f"model.build((None, ...)))")

    def _input_shapes(self) -> list[Shape]:
        if self._subclassed:
            return list(self._sub_input_shapes)
        return [t.shape for t in self.inputs]

    def _output_shapes(self) -> list[Shape]:
        if self._subclassed:
            return list(self._sub_output_shapes)
        return [t.shape for t in self.outputs]

    def _output_layer(self, k: int) -> Any:
        if self._subclassed:
            return None          # the output's activation is unknown: no fused loss
        return self.outputs[k].node.layer

    def _build_for(self, input_shape: tuple) -> None:
        """A functional model is built at creation; only Sequential builds from data.
        A subclassed model builds by running `call` once on a batch of one zero sample of
        `input_shape` (inference mode, no gradient): every layer creates its weights, in
        the order `call` uses them, and the output shapes are recorded."""
        if not self._subclassed or self.built:
            return
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        shapes = [tuple(shape) for shape in shapes]
        for shape in shapes:
            if len(shape) < 2 or any(d is None for d in shape[1:]):
                raise ValueError(f"{self.name}.build: input_shape must include the batch axis "
                                 f"and known sizes, e.g. (None, 784); got {input_shape}")
        if type(self).build is not Model.build:        # the subclass' own build runs first
            type(self).build(self, shapes[0] if len(shapes) == 1 else shapes)
        zeros = [Tensor(np.zeros((1, *shape[1:]), self.dtype)) for shape in shapes]
        with no_grad():
            out = self._run_call(zeros[0] if len(zeros) == 1 else zeros, False)
        struct, outs = _output_leaves(out, self.name)
        self._sub_input_shapes = [(None, *shape[1:]) for shape in shapes]
        self._sub_output_shapes = [(None, *o.shape[1:]) for o in outs]
        self._sub_output_struct = struct
        self.input_shape = (self._sub_input_shapes[0] if len(shapes) == 1
                            else self._sub_input_shapes)
        self.output_shape = (self._sub_output_shapes[0] if len(outs) == 1
                             else self._sub_output_shapes)
        self.built = True
        pending = self.__dict__.get("_pending_compile")
        if pending is not None:           # compiled before the outputs were known
            self._pending_compile = None
            Trainer.compile(self, *pending)

    def build(self, input_shape: Any = None) -> None:
        """Subclassed models: create the weights for inputs of `input_shape` (batch axis
        included, e.g. model.build((None, 784))) by running `call` once; otherwise the
        first batch builds the model. A graph model is built at creation."""
        if self._subclassed and not self.built:
            if input_shape is None:
                raise ValueError(f"{self.name}.build: give the input shape with the batch "
                                 f"axis, e.g. model.build((None, 784))")
            self._build_for(input_shape if isinstance(input_shape, list) else tuple(input_shape))

    def _can_build_from_data(self) -> bool:
        """A subclassed model with a call of its own (a GAN with only a train_step has none)."""
        return self._subclassed and type(self).call is not Model.call

    def _run_call(self, x: Any, training: bool) -> Any:
        """The subclass' call, with a clear error when it returns nothing."""
        out = self.call(x, training=training)
        if out is None:
            raise TypeError(f"{type(self).__name__}.call returned None; it must return the "
                            f"output Tensor(s): end it with `return outputs`")
        return out

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
        if self._subclassed:
            out = self._run_call(xs[0] if len(xs) == 1 else xs, training)
            struct, outs = _output_leaves(out, self.name)
            self._output_logits = [None] * len(outs)
            return outs
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
        if self._subclassed:
            raise NotImplementedError(f"{type(self).__name__}: a subclassed Model must define "
                                      f"call(self, inputs, training=False), the forward pass "
                                      f"(or override train_step and never call the model)")
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
        if self._subclassed:
            return self._call_subclassed(x, training)
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

    def _call_subclassed(self, x: Any, training: bool) -> Any:
        """A subclassed model on data: arrays become Tensors of the model's dtype (after
        the checks of `predict`), the model is built on the first batch, then `call`."""
        several = isinstance(x, list | tuple)
        leaves = list(x) if several else [x]
        if not all(isinstance(t, Tensor) for t in leaves):
            if self.built and len(leaves) == len(self._sub_input_shapes):
                arrays = self._check_x(leaves if several else leaves[0], "call")
            else:
                arrays = [np.asarray(t.data if isinstance(t, Tensor) else t) for t in leaves]
            leaves = [t if isinstance(t, Tensor) else Tensor(np.asarray(a).astype(
                self.dtype, copy=False)) for t, a in zip(leaves, arrays)]
        if not self.built:
            self._build_for([(None, *t.shape[1:]) for t in leaves] if several
                            else (None, *leaves[0].shape[1:]))
        return self._run_call(leaves if several else leaves[0], training)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._subclassed and not self.built:
            self._build_for(input_shape)
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
        """The architecture as a JSON-able dict (tinydl/saving.py): a Sequential's layer
        configs in order ({"class_name", "config"} each); a functional model's layer
        configs and its graph (which node's output feeds which layer). A subclassed model
        must define its own get_config (its constructor arguments)."""
        from .. import saving as model_saving
        if self._subclassed:
            raise NotImplementedError(
                f"{type(self).__name__}.get_config: a subclassed model must define "
                f"get_config() returning its constructor arguments (e.g. "
                f"{{'units': self.units}}) to be saved with model.save or cloned")
        return model_saving.model_config(self)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
                    ) -> Model:
        """A new model (fresh weights) from `get_config()`'s dict; classes of your own
        (layers, models) go in custom_objects={'MyLayer': MyLayer}."""
        from .. import saving as model_saving
        return model_saving.model_from_config(config, custom_objects, cls)

    def save(self, filepath: Any, overwrite: bool = True) -> None:
        """Save the whole model to one ".keras" file: the architecture (JSON), the weights,
        and the compiled optimizer's config and state; `tinydl.models.load_model(filepath)`
        gives it back (tinydl/saving.py). Not Keras' file format: tinydl's own."""
        from .. import saving as model_saving
        model_saving.save_model(self, filepath, overwrite)


# -- structures of inputs and outputs: one, a list, or a dict --------------------------------

def _holds_layers(value: Any) -> bool:
    """A layer, or a list, tuple or dict with a layer in it (at any depth)."""
    return bool(_layers_in(value))


def _layers_in(value: Any) -> list[Layer]:
    if isinstance(value, Layer):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return [layer for item in value for layer in _layers_in(item)]
    return []


def _output_leaves(out: Any, model: str) -> tuple[Any, list[Tensor]]:
    """(structure, flat list) of what a subclassed model's call returned: 'single', a
    list, or a dict's keys (as a list of names)."""
    if isinstance(out, dict):
        struct, items = list(out), list(out.values())
    elif isinstance(out, list | tuple):
        struct, items = "list", list(out)
    else:
        struct, items = "single", [out]
    if not items or not all(isinstance(t, Tensor) for t in items):
        raise TypeError(f"{model}.call must return a Tensor, or a list or dict of Tensors "
                        f"(computed with tinydl layers and ops); got {out!r}")
    return struct, items

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
