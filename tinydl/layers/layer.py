"""`Layer`: the base class of every layer, with Keras' names and habits.

A layer is a function of a batch with its own weights:

    layer = Dense(10, activation="softmax")
    y = layer(x)              # builds the weights from x.shape at the first call and computes
    s = layer(tinydl.Input((784,)))   # on a symbolic input: records a Node, computes nothing

Called on a Tensor or an array, a layer computes. Called on symbolic tensors (from
`tinydl.Input` or from other layers called on them), it builds its weights from their
shape, records one `Node` of the graph (tinydl/layers/node.py) and returns a symbolic
tensor of the output shape: that is the functional API (`tinydl.Model`).

Shapes follow Keras: `input_shape` given to a layer's constructor leaves out the batch
axis, (28, 28, 1); shapes passed to `build` and `compute_output_shape` include it as
None, (None, 28, 28, 1). Images are channels-last (N, H, W, C), as in the article.

Write your own layer by subclassing `Layer`:

    class Scale(Layer):
        '''y = x · s, one learned scale per feature.'''
        def build(self, input_shape):              # input_shape = (None, features)
            self.s = self.add_weight("scale", (input_shape[-1],), "ones")

        def call(self, x, training=False):         # x: a Tensor (N, features)
            return x * self.s

        def compute_output_shape(self, input_shape):
            return input_shape
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from .. import activations, backend, initializers
from ..autograd import DEFAULT_DTYPE, Tensor, no_grad, to_array
from ..ops.layer_norm import normalize_axes
from .node import Node, Shape, SymbolicTensor, is_symbolic


class Layer:
    """Base class of every layer.

    Subclasses write:
        build(input_shape)           create the weights with `add_weight` (optional)
        call(x, training) -> Tensor  the forward computation on a Tensor batch
        compute_output_shape(input_shape) -> shape (optional: by default, `call` is run
                                     on a batch of one zero sample to find it)

    Attributes:
        name: 'conv2d', 'conv2d_1', ... (Keras' automatic names) or the one given.
        weights: the weight Tensors, as Keras orders them: the trainable ones, then the
            non-trainable ones (`add_weight(..., trainable=False)`, e.g. batch norm's
            moving statistics), each in creation order. `trainable_weights` holds the
            trainable ones, or none when `trainable` is False; `non_trainable_weights`
            the others (all of them when `trainable` is False).
        built: whether `build` has run; input_shape / output_shape once it has.
        dtype: as given; else the model's (a Sequential passes its own dtype), else the
            dtype of the first Tensor the layer is called on; float32 for arrays.
        rng: the random generator for initializers and dropout; None means tinydl's
            shared one (`tinydl.utils.set_random_seed`).
        pre_activation: layers with an `activation` keep the last value before it (the
            logits of a softmax output layer), for the model's fused loss.
    """

    pre_activation: Tensor | None = None

    def __init__(self, name: str | None = None, input_shape: Any = None, dtype: Any = None,
                 trainable: bool = True) -> None:
        snake = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", type(self).__name__).lower()
        self.name = name if name is not None else backend.unique_name(snake)
        if isinstance(input_shape, int | np.integer):
            input_shape = (int(input_shape),)
        self.input_shape: Shape | None = None if input_shape is None else (None, *input_shape)
        self.output_shape: Shape | None = None
        self.dtype = None if dtype is None else np.dtype(dtype)
        self.trainable = trainable
        self.built = False
        self.rng: np.random.Generator | None = None
        self._weights: dict[str, Tensor] = {}
        self._non_trainable: set[str] = set()   # names of weights added with trainable=False
        self._inbound_nodes: list[Node] = []      # one per call on symbolic tensors

    # -- what subclasses write ------------------------------------------------------
    def build(self, input_shape: Shape) -> None:
        """Create the weights for inputs of `input_shape` (batch axis included, None)."""

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        """The forward pass on a batch. `training` is True inside `fit` (dropout on)."""
        raise NotImplementedError(f"{type(self).__name__}.call")

    def compute_output_shape(self, input_shape: Shape | list[Shape]) -> Shape:
        """The output shape for an input shape (batch axis None; a list of shapes for a
        layer called on a list). This default runs the layer on one zero sample; override
        it when that is slow or not a valid input."""
        self.ensure_built(input_shape)

        def zeros(shape: Shape) -> Tensor:
            return Tensor(np.zeros((1, *shape[1:]), self.dtype))
        with no_grad():
            x = ([zeros(shape) for shape in input_shape] if isinstance(input_shape, list)
                 else zeros(input_shape))
            out = self.call(x, training=False)
        return (None, *out.shape[1:])

    # -- the machinery -------------------------------------------------------------------
    def add_weight(self, name: str, shape: tuple[int, ...],
                   initializer: Any = "glorot_uniform", trainable: bool = True) -> Tensor:
        """Create, register and return a weight Tensor, initialised by `initializer` (a
        name from tinydl.initializers or a function) from `self.rng`.

        trainable=True: a parameter (requires_grad=True) that fit's optimizer updates.
        trainable=False: state that the layer updates itself, in place (requires_grad
        False), e.g. batch norm's moving mean; it is still counted, saved and loaded."""
        init = initializers.get(initializer)
        data = init(tuple(shape), rng=self.generator(), dtype=self.dtype)
        weight = Tensor(np.asarray(data, dtype=self.dtype), requires_grad=trainable)
        self._weights[name] = weight
        if trainable:
            self._non_trainable.discard(name)
        else:
            self._non_trainable.add(name)
        return weight

    def generator(self) -> np.random.Generator:
        """This layer's random generator, or tinydl's shared one."""
        return self.rng if self.rng is not None else backend.get_rng()

    def ensure_built(self, input_shape: Shape | list[Shape], dtype: Any = None) -> None:
        """Build once, for `input_shape` (with the batch axis; a list of shapes for a layer
        called on a list), in `dtype` if none was set."""
        if self.dtype is None:
            self.dtype = np.dtype(dtype) if dtype is not None else DEFAULT_DTYPE
        if not self.built:
            input_shape = ([tuple(shape) for shape in input_shape]
                           if isinstance(input_shape, list) else tuple(input_shape))
            self.build(input_shape)
            self.input_shape, self.built = input_shape, True
            self.output_shape = self.compute_output_shape(input_shape)

    def __call__(self, x: Any, training: bool = False) -> Any:
        """Apply the layer to a batch, or to a list of batches for a merging layer.

        On Tensors or arrays (an array is cast to the layer's dtype) it computes and
        returns a Tensor. On symbolic tensors (`tinydl.Input`, or the output of a layer
        called on one) it records a Node and returns a SymbolicTensor: see `Model`."""
        if is_symbolic(x):
            return self._call_symbolic(x)
        if isinstance(x, list | tuple):
            x = [self._as_tensor(t, f"x[{i}]") for i, t in enumerate(x)]
            shape: Shape | list[Shape] = [(None, *t.shape[1:]) for t in x]
            dtype = x[0].dtype if x else None
        else:
            x = self._as_tensor(x, "x")
            shape, dtype = (None, *x.shape[1:]), x.dtype
        self._check_input_compatible(shape)
        self.ensure_built(shape, dtype)
        return self.call(x, training)

    def _as_tensor(self, x: Any, arg: str) -> Tensor:
        if isinstance(x, Tensor):
            return x
        if isinstance(x, SymbolicTensor):
            raise TypeError(f"{self.name} ({type(self).__name__}): {arg} is a symbolic tensor "
                            f"mixed with real data; call the layer on symbolic tensors only "
                            f"(to build a model) or on arrays/Tensors only (to compute)")
        return Tensor(to_array(x, self.name, arg).astype(self.dtype or DEFAULT_DTYPE, copy=False))

    def _check_input_compatible(self, shape: Shape | list[Shape]) -> None:
        """A built layer with weights keeps its last-axis size: Dense(10) built for 5
        features cannot take 7 (a layer called twice shares its weights)."""
        built_for = self.input_shape
        if (not self.built or not self._weights or isinstance(shape, list)
                or built_for is None or isinstance(built_for, list)):
            return
        if len(shape) < 2 or shape[-1] != built_for[-1]:
            raise ValueError(f"{self.name} ({type(self).__name__}): the layer was built for "
                             f"inputs of shape {tuple(built_for)} and is now called on shape "
                             f"{tuple(shape)}; its weights fix the last axis at "
                             f"{built_for[-1]} (a layer called twice shares its weights)")

    def _call_symbolic(self, x: SymbolicTensor | list[SymbolicTensor]) -> Any:
        """Record one call of this layer in the graph: shapes checked, weights built, a
        Node made, and symbolic outputs of the inferred shape returned."""
        is_list = isinstance(x, list | tuple)
        inputs = list(x) if is_list else [x]
        shape = [t.shape for t in inputs] if is_list else inputs[0].shape
        try:
            self._check_input_compatible(shape)
            self.ensure_built(shape, inputs[0].dtype)
            out_shape = self.compute_output_shape(shape)
        except ValueError as exc:
            where = ", ".join(f"{t.name}: {t.shape}" for t in inputs)
            raise ValueError(f"{self.name} ({type(self).__name__}) cannot be called on "
                             f"{'[' + where + ']' if is_list else where}: {exc}") from None
        node = Node(self, inputs, is_list)
        shapes = out_shape if isinstance(out_shape, list) else [out_shape]
        node.outputs = [SymbolicTensor(s, self.dtype, node, i) for i, s in enumerate(shapes)]
        self._inbound_nodes.append(node)
        return node.outputs if isinstance(out_shape, list) else node.outputs[0]

    @property
    def input(self) -> Any:
        """The symbolic input of the layer's first call on symbolic tensors (Keras 3: the
        first call when a layer is shared), e.g. to build a model on part of another."""
        node = self._first_node("input")
        return node.inputs if node.input_is_list else node.inputs[0]

    @property
    def output(self) -> Any:
        """The symbolic output of the layer's first call on symbolic tensors:
        `Model(model.inputs, model.get_layer("conv2d_1").output)` is a feature extractor
        that shares its weights with `model`."""
        outputs = self._first_node("output").outputs
        return outputs[0] if len(outputs) == 1 else outputs

    def _first_node(self, what: str) -> Node:
        if not self._inbound_nodes:
            raise AttributeError(f"{self.name} ({type(self).__name__}) has no {what}: it has not "
                                 f"been called on a symbolic tensor (tinydl.Input) yet, nor is it "
                                 f"part of a built model")
        return self._inbound_nodes[0]

    @property
    def weights(self) -> list[Tensor]:
        return [weight for _, weight in self.named_weights()]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights' values, in the order of `weights` (Keras' get_weights)."""
        return [weight.data.copy() for weight in self.weights]

    def set_weights(self, values: Any) -> None:
        """Overwrite the weights, in place, from arrays in the order of `weights`; the
        count and every shape are checked first, so a mistake changes nothing."""
        set_weight_values(self.name, self.weights, values)

    def _weights_made_trainable(self, trainable: bool) -> list[Tensor]:
        return [weight for name, weight in self._weights.items()
                if (name not in self._non_trainable) == trainable]

    @property
    def trainable_weights(self) -> list[Tensor]:
        return self._weights_made_trainable(True) if self.trainable else []

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        return self._weights_made_trainable(False) if self.trainable else self.weights

    @property
    def losses(self) -> list[Tensor]:
        """The layer's current weight penalties, each a 0-d Tensor: [kernel_regularizer(kernel)]
        when the layer has a kernel_regularizer and is built, else []. Computed afresh
        at each access from the current weights, so gradients flow to them."""
        reg = getattr(self, "kernel_regularizer", None)
        if reg is None or not self.built or "kernel" not in self._weights:
            return []
        return [reg(self._weights["kernel"])]

    def named_weights(self) -> list[tuple[str, Tensor]]:
        """[(weight name, Tensor)], e.g. [('kernel', ...), ('bias', ...)], in the order of
        `weights` (trainable ones first)."""
        # a stable sort: False (trainable) before True, creation order kept within each
        return sorted(self._weights.items(), key=lambda item: item[0] in self._non_trainable)

    def count_params(self) -> int:
        """The number of weight values (scalars) in this layer."""
        if not self.built:
            raise ValueError(f"{self.name}: count_params() needs a built layer; give it an "
                             f"input_shape or call it on data first")
        return sum(w.size for w in self._weights.values())

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments: `type(layer)(**layer.get_config())` is a fresh copy."""
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable}
        if self.dtype is not None:
            config["dtype"] = self.dtype.name
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"


def activation_name(fn: Any) -> str:
    return "linear" if fn is activations.linear else getattr(fn, "__name__", repr(fn))


def require_rank(layer: Layer, input_shape: Shape, rank: int, layout: str, hint: str = "") -> None:
    """A ValueError naming the layer unless the shape has `rank` axes and a known last
    (channel/feature) axis; other axes may be None (images of any size)."""
    if isinstance(input_shape, list) or len(input_shape) != rank or input_shape[-1] is None:
        raise ValueError(f"{layer.name} ({type(layer).__name__}): expected inputs of shape "
                         f"{layout}; got {tuple(input_shape)}{hint}")


def sample_axes(layer: Layer, axis: Any, ndim: int, hint: str) -> tuple[int, ...]:
    """`axis` (an int or a list of ints, negative counting from the end) as sorted axes of an
    ndim-dimensional input, none of them the batch axis 0 (`hint` says what to pass instead);
    errors name the layer."""
    kind = type(layer).__name__
    try:
        axes = normalize_axes(axis, ndim, kind)
    except ValueError as exc:
        raise ValueError(f"{layer.name} ({kind}): {exc}") from None
    if 0 in axes:
        raise ValueError(f"{layer.name} ({kind}): axis {axis!r} includes the batch axis 0; "
                         f"{hint}")
    return axes


def set_weight_values(owner: str, weights: list[Tensor], values: Any) -> None:
    """weights[i].data[...] = values[i] for all i, after checking count and shapes."""
    values = list(values)
    if len(values) != len(weights):
        raise ValueError(f"{owner}.set_weights: expected {len(weights)} arrays (the order of "
                         f"`weights`), got {len(values)}")
    arrays = []
    for i, (weight, value) in enumerate(zip(weights, values)):
        value = np.asarray(value)
        if value.shape != weight.shape:
            raise ValueError(f"{owner}.set_weights: array {i} has shape {value.shape} but "
                             f"weight {i} has shape {weight.shape}")
        if not np.issubdtype(value.dtype, np.number):
            raise TypeError(f"{owner}.set_weights: array {i} has dtype {value.dtype}; "
                            f"expected numbers")
        arrays.append(value)
    for weight, value in zip(weights, arrays):
        weight.data[...] = value        # in place: an optimizer's state stays attached
