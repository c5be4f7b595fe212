"""Layers: the building blocks of a `Sequential` model, with Keras' names and arguments.

A layer is a function of a batch with its own weights:

    layer = Dense(10, activation="softmax")
    y = layer(x)              # builds the weights from x.shape at the first call

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

import math
import re
from typing import Any

import numpy as np

from . import activations, initializers, regularizers, utils
from . import functional as F
from .autograd import DEFAULT_DTYPE, Tensor, no_grad, to_array
from .conv import as_pair, output_padding_pair, padding_amounts, transposed_size

Shape = tuple[int | None, ...]


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
        self.name = name if name is not None else utils.unique_name(snake)
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

    # -- what subclasses write ------------------------------------------------------
    def build(self, input_shape: Shape) -> None:
        """Create the weights for inputs of `input_shape` (batch axis included, None)."""

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        """The forward pass on a batch. `training` is True inside `fit` (dropout on)."""
        raise NotImplementedError(f"{type(self).__name__}.call")

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape for an input shape (batch axis None). This default runs the
        layer on one zero sample; override it when that is slow or not a valid input."""
        self.ensure_built(input_shape)
        with no_grad():
            out = self.call(Tensor(np.zeros((1, *input_shape[1:]), self.dtype)), training=False)
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
        return self.rng if self.rng is not None else utils.get_rng()

    def ensure_built(self, input_shape: Shape, dtype: Any = None) -> None:
        """Build once, for `input_shape` (with the batch axis), in `dtype` if none was set."""
        if self.dtype is None:
            self.dtype = np.dtype(dtype) if dtype is not None else DEFAULT_DTYPE
        if not self.built:
            input_shape = tuple(input_shape)
            self.build(input_shape)
            self.input_shape, self.built = input_shape, True
            self.output_shape = self.compute_output_shape(input_shape)

    def __call__(self, x: Any, training: bool = False) -> Tensor:
        """Apply the layer to a batch (an array is cast to the layer's dtype)."""
        if not isinstance(x, Tensor):
            x = Tensor(to_array(x, self.name, "x").astype(self.dtype or DEFAULT_DTYPE, copy=False))
        self.ensure_built((None, *x.shape[1:]), x.dtype)
        return self.call(x, training)

    @property
    def weights(self) -> list[Tensor]:
        return [weight for _, weight in self.named_weights()]

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


def _activation_name(fn: Any) -> str:
    return "linear" if fn is activations.linear else getattr(fn, "__name__", repr(fn))


def _require_rank(layer: Layer, input_shape: Shape, rank: int, layout: str, hint: str = "") -> None:
    if len(input_shape) != rank or any(d is None for d in input_shape[1:]):
        raise ValueError(f"{layer.name} ({type(layer).__name__}): expected inputs of shape "
                         f"{layout}; got {tuple(input_shape)}{hint}")


class Conv2D(Layer):
    """2-D convolution layer: y = activation(conv2d(x, kernel) + bias).

    Shapes: x (N, H, W, C_in) channels-last; kernel (kh, kw, C_in, filters); bias
    (filters,); y (N, H_out, W_out, filters), H_out = floor((H - kh) / s) + 1 for
    'valid' padding, ceil(H / s) for 'same'.

    The convolution is the article's formula (section 3.1.4), a *true* convolution
    (`tinydl.functional.conv2d`): y(i, j) = Σ_a Σ_b w(a, b)·x(i - a, j - b), the kernel
    walked backwards. Keras' Conv2D computes cross-correlation (the kernel flipped). A
    learned kernel does not care: it learns the flipped kernel and the network computes
    the same function. But a kernel trained in Keras (or a hand-made edge detector
    written for it) must be flipped in both spatial axes, `w[::-1, ::-1]`, to give the
    same outputs here.

    kernel_regularizer (e.g. `tinydl.regularizers.l2(0.01)` or 'l2') adds its penalty
    of the kernel to the model's training loss (see `Layer.losses`).
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: Any = "valid",
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        op = type(self).__name__
        if not (isinstance(filters, int | np.integer) and filters >= 1):
            raise ValueError(f"{op}: filters must be a positive int, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = as_pair(kernel_size, "kernel_size", op)
        self.strides = as_pair(strides, "strides", op)
        self.padding = padding.lower() if isinstance(padding, str) else padding
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        initializers.get(kernel_initializer), initializers.get(bias_initializer)  # fail early

    def kernel_shape(self, channels_in: int) -> tuple[int, int, int, int]:
        """(kh, kw, C_in, filters): the kernel for inputs with channels_in channels."""
        return (*self.kernel_size, channels_in, self.filters)

    def build(self, input_shape: Shape) -> None:
        _require_rank(self, input_shape, 4, "(batch, height, width, channels)",
                      ". A batch of grayscale images (N, H, W) needs a channel axis: x[..., None]"
                      if len(input_shape) == 3 else "")
        self.kernel = self.add_weight("kernel", self.kernel_shape(input_shape[-1]),
                                      self.kernel_initializer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        self.pre_activation = F.conv2d(x, self.kernel, self.bias, self.strides, self.padding)
        return self.activation(self.pre_activation)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self, input_shape, 4, "(batch, height, width, channels)")
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        ho = padding_amounts(input_shape[1], kh, sh, self.padding, 0, self.name)[2]
        wo = padding_amounts(input_shape[2], kw, sw, self.padding, 1, self.name)[2]
        return (input_shape[0], ho, wo, self.filters)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding,
                "activation": _activation_name(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer,
                "bias_initializer": self.bias_initializer,
                "kernel_regularizer": self.kernel_regularizer}


class Conv2DTranspose(Conv2D):
    """Transposed convolution layer ("deconvolution", a GAN generator's upsampling):
    y = activation(conv2d_transpose(x, kernel) + bias).

    Shapes: x (N, h, w, C_in) channels-last; kernel (kh, kw, filters, C_in) (Keras'
    Conv2DTranspose layout); bias (filters,); y (N, H, W, filters) with, along each axis,
    H = (h - 1)·s + max(k, s) for 'valid', h·s for 'same' (Keras' rule, see
    `tinydl.functional.conv2d_transpose`); an output_padding q (0 ≤ q < s) makes it
    (h - 1)·s + k + q ('valid') or (h - 1)·s + (k mod 2) + q ('same').

    It is the adjoint (transpose) of Conv2D's convolution with respect to its input: a
    Conv2D(C_in, kernel_size, strides, padding) on (N, H, W, filters) images gives back
    (N, h, w, C_in), and this layer with the same kernel goes the other way. Like Conv2D
    it uses the article's *true* convolution (`tinydl.functional.conv2d_transpose`);
    Keras' Conv2DTranspose (and PyTorch's ConvTranspose2d) transpose the cross-correlation
    instead, so a kernel trained in Keras must be flipped in both spatial axes,
    `w[::-1, ::-1]`, to give the same outputs here (the layout itself is the same).

    kernel_regularizer adds its penalty of the kernel to the model's training loss (see
    `Layer.losses`).
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: Any = "valid",
                 output_padding: Any = None, **kwargs: Any) -> None:
        if kwargs.get("name") is None:
            # Keras' name; the automatic CamelCase rule would give 'conv2dtranspose'
            kwargs["name"] = utils.unique_name("conv2d_transpose")
        super().__init__(filters, kernel_size, strides, padding, **kwargs)
        pair = output_padding_pair(output_padding, self.strides, "Conv2DTranspose")
        self.output_padding = None if output_padding is None else pair

    def kernel_shape(self, channels_in: int) -> tuple[int, int, int, int]:
        """(kh, kw, filters, C_in): the kernel of the Conv2D this layer transposes."""
        return (*self.kernel_size, self.filters, channels_in)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        self.pre_activation = F.conv2d_transpose(x, self.kernel, self.bias, self.strides,
                                                 self.padding, self.output_padding)
        return self.activation(self.pre_activation)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self, input_shape, 4, "(batch, height, width, channels)")
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        qh, qw = self.output_padding or (None, None)
        ho = transposed_size(input_shape[1], kh, sh, self.padding, qh, 0, self.name)[2]
        wo = transposed_size(input_shape[2], kw, sw, self.padding, qw, 1, self.name)[2]
        return (input_shape[0], ho, wo, self.filters)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "output_padding": self.output_padding}


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
                "activation": _activation_name(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer,
                "bias_initializer": self.bias_initializer,
                "kernel_regularizer": self.kernel_regularizer}


class MaxPooling2D(Layer):
    """Max over each pool_size window: (N, H, W, C) -> (N, H_out, W_out, C), no weights.

    strides default to pool_size (windows side by side); H_out = floor((H - ph) / sh) + 1
    for 'valid', ceil(H / sh) for 'same'.
    """
    pool = staticmethod(F.max_pool2d)

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        op = type(self).__name__
        self.pool_size = as_pair(pool_size, "pool_size", op)
        self.strides = self.pool_size if strides is None else as_pair(strides, "strides", op)
        self.padding = padding.lower() if isinstance(padding, str) else padding

    def build(self, input_shape: Shape) -> None:
        _require_rank(self, input_shape, 4, "(batch, height, width, channels)")

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return self.pool(x, self.pool_size, self.strides, self.padding)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        _require_rank(self, input_shape, 4, "(batch, height, width, channels)")
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        ho = padding_amounts(input_shape[1], ph, sh, self.padding, 0, self.name)[2]
        wo = padding_amounts(input_shape[2], pw, sw, self.padding, 1, self.name)[2]
        return (input_shape[0], ho, wo, input_shape[3])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


class AveragePooling2D(MaxPooling2D):
    """Mean over each pool_size window (padding not counted); otherwise as MaxPooling2D."""
    pool = staticmethod(F.avg_pool2d)


class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1·d2·...), row-major (C order), no weights."""

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return F.flatten(x)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if any(d is None for d in input_shape[1:]):
            raise ValueError(f"{self.name} (Flatten): needs a fully known input shape, got "
                             f"{tuple(input_shape)}")
        return (input_shape[0], math.prod(input_shape[1:]))


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
        return {**super().get_config(), "activation": _activation_name(self.activation)}


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


class Reshape(Layer):
    """(N, ...) -> (N, *target_shape), row-major (C order), no weights; the sample count
    N stays, so target_shape must hold as many values as one sample. Used by a DCGAN
    generator to turn a Dense output (N, 7·7·64) into feature maps (N, 7, 7, 64)."""

    def __init__(self, target_shape: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if not self.target_shape or any(d < 1 for d in self.target_shape):
            raise ValueError(f"Reshape: target_shape must be positive ints, got {target_shape!r}")

    def build(self, input_shape: Shape) -> None:
        if math.prod(input_shape[1:]) != math.prod(self.target_shape):
            raise ValueError(f"{self.name} (Reshape): a sample of shape {tuple(input_shape[1:])} "
                             f"has {math.prod(input_shape[1:])} values, but target_shape "
                             f"{self.target_shape} holds {math.prod(self.target_shape)}")

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return F.reshape(x, (x.shape[0], *self.target_shape))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], *self.target_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": self.target_shape}


# Defined in its own module, which needs Layer from here: imported once Layer exists.
from .normalization_layers import BatchNormalization  # noqa: E402
