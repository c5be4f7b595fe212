"""Convolution layers: Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D.

Every one computes the article's TRUE convolution (section 3.1.4's formula, the kernel
walked backwards: `tinydl.functional.conv2d`), where Keras computes cross-correlation.
A learned kernel does not care (it learns the flipped kernel); a kernel copied from
Keras must be flipped, `w[::-1, ::-1]`. Images are channels-last (N, H, W, C).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import activations, backend, functional as F, initializers, regularizers
from ..autograd import Tensor
from ..ops._geometry import as_pair, output_padding_pair, padding_amounts, transposed_size
from ..ops.conv import conv2d_relu
from .layer import Layer, Shape, activation_name, require_rank


def check_channels_last(op: str, data_format: str | None) -> None:
    """tinydl's images are (N, H, W, C): data_format may only be None or 'channels_last'."""
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{op}: data_format={data_format!r}; tinydl is channels-last only "
                         f"(images (N, H, W, C)): leave data_format out or pass "
                         f"'channels_last'")


def _geometry(op: str, kernel_size: Any, strides: Any, dilation_rate: Any, padding: Any,
              data_format: str | None) -> tuple[tuple[int, int], tuple[int, int],
                                                  tuple[int, int], Any]:
    """(kernel_size, strides, dilation_rate, padding) checked, as Keras checks them."""
    check_channels_last(op, data_format)
    kernel, stride = as_pair(kernel_size, "kernel_size", op), as_pair(strides, "strides", op)
    dilation = as_pair(dilation_rate, "dilation_rate", op)
    if max(stride) > 1 and max(dilation) > 1:
        raise ValueError(f"{op}: strides={stride} and dilation_rate={dilation} cannot both "
                         f"exceed 1 (as in Keras)")
    return kernel, stride, dilation, padding.lower() if isinstance(padding, str) else padding


def conv_output_hw(layer: Any, input_shape: Shape,
                   window: tuple[int, int]) -> tuple[int | None, int | None]:
    """(H_out, W_out) of a convolution or pooling window layer (None stays None):
    H_out = floor((H + pads - k_d) / s) + 1, k_d = d·(k - 1) + 1 its dilated span."""
    dilation = getattr(layer, "dilation_rate", (1, 1))
    sizes = []
    for axis in (0, 1):
        size = input_shape[1 + axis]
        span = dilation[axis] * (window[axis] - 1) + 1
        sizes.append(None if size is None else
                     padding_amounts(size, span, layer.strides[axis], layer.padding, axis,
                                     layer.name)[2])
    return sizes[0], sizes[1]


class Conv2D(Layer):
    """2-D convolution layer: y = activation(conv2d(x, kernel) + bias).

    Shapes: x (N, H, W, C_in) channels-last; kernel (kh, kw, C_in, filters); bias
    (filters,); y (N, H_out, W_out, filters), H_out = floor((H - k_d) / s) + 1 for
    'valid' padding, ceil(H / s) for 'same', with k_d = d·(kh - 1) + 1 the span of a
    kernel whose taps are dilation_rate d apart (d = 1: the ordinary kernel). As in
    Keras, strides and dilation_rate cannot both exceed 1.

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
                 data_format: str | None = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        op = type(self).__name__
        if not (isinstance(filters, int | np.integer) and filters >= 1):
            raise ValueError(f"{op}: filters must be a positive int, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size, self.strides, self.dilation_rate, self.padding = _geometry(
            op, kernel_size, strides, dilation_rate, padding, data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        initializers.get(kernel_initializer), initializers.get(bias_initializer)  # fail early

    def kernel_shape(self, channels_in: int) -> tuple[int, int, int, int]:
        """(kh, kw, C_in, filters): the kernel for inputs with channels_in channels."""
        return (*self.kernel_size, channels_in, self.filters)

    def build(self, input_shape: Shape) -> None:
        require_rank(self, input_shape, 4, "(batch, height, width, channels)",
                      ". A batch of grayscale images (N, H, W) needs a channel axis: x[..., None]"
                      if len(input_shape) == 3 else "")
        self.kernel = self.add_weight("kernel", self.kernel_shape(input_shape[-1]),
                                      self.kernel_initializer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        if self.activation is activations.relu:
            self.pre_activation = None          # one fused op: no pre-activation exists
            return conv2d_relu(x, self.kernel, self.bias, self.strides, self.padding,
                               self.dilation_rate)
        self.pre_activation = F.conv2d(x, self.kernel, self.bias, self.strides, self.padding,
                                       self.dilation_rate)
        return self.activation(self.pre_activation)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        require_rank(self, input_shape, 4, "(batch, height, width, channels)")
        return (input_shape[0], *conv_output_hw(self, input_shape, self.kernel_size),
                self.filters)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding,
                "dilation_rate": self.dilation_rate,
                "activation": activation_name(self.activation), "use_bias": self.use_bias,
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
            kwargs["name"] = backend.unique_name("conv2d_transpose")
        super().__init__(filters, kernel_size, strides, padding, **kwargs)
        if self.dilation_rate != (1, 1):
            raise ValueError("Conv2DTranspose: dilation_rate is not supported (only 1)")
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
        require_rank(self, input_shape, 4, "(batch, height, width, channels)")
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        qh, qw = self.output_padding or (None, None)
        ho, wo = input_shape[1:3]
        if ho is not None:
            ho = transposed_size(ho, kh, sh, self.padding, qh, 0, self.name)[2]
        if wo is not None:
            wo = transposed_size(wo, kw, sw, self.padding, qw, 1, self.name)[2]
        return (input_shape[0], ho, wo, self.filters)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "output_padding": self.output_padding}


class DepthwiseConv2D(Layer):
    """Depthwise convolution: each input channel convolved with its own kernels, no
    mixing between channels: y = activation(depthwise_conv2d(x, kernel) + bias).

    Shapes: x (N, H, W, C); kernel (kh, kw, C, M) with M = depth_multiplier; bias (C·M,);
    y (N, H_out, W_out, C·M), output channel c·M + m = channel c convolved (true
    convolution, `tinydl.functional.depthwise_conv2d`) with kernel[:, :, c, m]. Output
    sizes as Conv2D. It costs C·M·kh·kw multiplications per pixel where a Conv2D to
    C·M channels costs C·C·M·kh·kw.
    """

    def __init__(self, kernel_size: Any, strides: Any = 1, padding: Any = "valid",
                 depth_multiplier: int = 1, data_format: str | None = None,
                 dilation_rate: Any = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        op = type(self).__name__
        if not (isinstance(depth_multiplier, int | np.integer) and depth_multiplier >= 1):
            raise ValueError(f"{op}: depth_multiplier must be a positive int, got "
                             f"{depth_multiplier!r}")
        self.depth_multiplier = int(depth_multiplier)
        self.kernel_size, self.strides, self.dilation_rate, self.padding = _geometry(
            op, kernel_size, strides, dilation_rate, padding, data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer, self.bias_initializer = depthwise_initializer, bias_initializer
        initializers.get(depthwise_initializer), initializers.get(bias_initializer)

    def build(self, input_shape: Shape) -> None:
        require_rank(self, input_shape, 4, "(batch, height, width, channels)")
        channels = input_shape[-1]
        self.kernel = self.add_weight("kernel", (*self.kernel_size, channels,
                                                 self.depth_multiplier),
                                      self.depthwise_initializer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (channels * self.depth_multiplier,),
                                        self.bias_initializer)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        self.pre_activation = F.depthwise_conv2d(x, self.kernel, self.bias, self.strides,
                                                 self.padding, self.dilation_rate)
        return self.activation(self.pre_activation)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        require_rank(self, input_shape, 4, "(batch, height, width, channels)")
        return (input_shape[0], *conv_output_hw(self, input_shape, self.kernel_size),
                input_shape[-1] * self.depth_multiplier)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "depth_multiplier": self.depth_multiplier,
                "dilation_rate": self.dilation_rate,
                "activation": activation_name(self.activation), "use_bias": self.use_bias,
                "depthwise_initializer": self.depthwise_initializer,
                "bias_initializer": self.bias_initializer}


class SeparableConv2D(Layer):
    """Depthwise separable convolution: a DepthwiseConv2D, then a 1×1 Conv2D that mixes
    the channels (the pointwise step), one bias, one activation:

        y = activation(conv2d(depthwise_conv2d(x, depthwise_kernel), pointwise_kernel) + b)

    Shapes: x (N, H, W, C); depthwise_kernel (kh, kw, C, M); pointwise_kernel
    (1, 1, C·M, filters); bias (filters,); y (N, H_out, W_out, filters), sizes as Conv2D.
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: Any = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1,
                 depth_multiplier: int = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        op = type(self).__name__
        if not (isinstance(filters, int | np.integer) and filters >= 1):
            raise ValueError(f"{op}: filters must be a positive int, got {filters!r}")
        if not (isinstance(depth_multiplier, int | np.integer) and depth_multiplier >= 1):
            raise ValueError(f"{op}: depth_multiplier must be a positive int, got "
                             f"{depth_multiplier!r}")
        self.filters, self.depth_multiplier = int(filters), int(depth_multiplier)
        self.kernel_size, self.strides, self.dilation_rate, self.padding = _geometry(
            op, kernel_size, strides, dilation_rate, padding, data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.bias_initializer = bias_initializer
        for init in (depthwise_initializer, pointwise_initializer, bias_initializer):
            initializers.get(init)

    def build(self, input_shape: Shape) -> None:
        require_rank(self, input_shape, 4, "(batch, height, width, channels)")
        middle = input_shape[-1] * self.depth_multiplier
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", (*self.kernel_size, input_shape[-1], self.depth_multiplier),
            self.depthwise_initializer)
        self.pointwise_kernel = self.add_weight("pointwise_kernel", (1, 1, middle, self.filters),
                                                self.pointwise_initializer)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer)

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        depthwise = F.depthwise_conv2d(x, self.depthwise_kernel, None, self.strides,
                                       self.padding, self.dilation_rate)
        self.pre_activation = F.conv2d(depthwise, self.pointwise_kernel, self.bias)
        return self.activation(self.pre_activation)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        require_rank(self, input_shape, 4, "(batch, height, width, channels)")
        return (input_shape[0], *conv_output_hw(self, input_shape, self.kernel_size),
                self.filters)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "dilation_rate": self.dilation_rate,
                "depth_multiplier": self.depth_multiplier,
                "activation": activation_name(self.activation), "use_bias": self.use_bias,
                "depthwise_initializer": self.depthwise_initializer,
                "pointwise_initializer": self.pointwise_initializer,
                "bias_initializer": self.bias_initializer}
