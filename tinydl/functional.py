"""All differentiable operations as plain functions: ``import tinydl.functional as F``.

Each op has two kernels: the fast one named below (tinydl/ops/<module>.py), which the
framework runs by default, and its reference twin, written as the formula reads
(tinydl/ops/reference/<module>.py, the same module name): read the reference first.
`tinydl.set_kernels("reference")` runs every op on the reference; the tests prove the two
equal, values and gradients.

Where each piece of the article lives:

* convolution, section 3.1.4's y(x,y) = ΣΣ w(x',y')·x(x-x', y-y'):  `conv2d`
  (and `correlate2d`, the kernel-flipped variant that Keras and PyTorch use), both with
  Keras' `dilation_rate` (taps d apart: x(x - d·x', y - d·y')), in tinydl/ops/conv.py;
* depthwise convolution (each channel with kernels of its own; with a 1×1 conv2d after
  it, a separable convolution):  `depthwise_conv2d`, in tinydl/ops/depthwise.py;
* upsampling (nearest or bilinear, Keras' UpSampling2D) and constant padding of the
  spatial axes (Keras' ZeroPadding2D):  `upsampling2d` and `pad2d`, in tinydl/ops/resize.py;
* transposed convolution, the upsampling of a GAN generator:  `conv2d_transpose`
  (the adjoint of `conv2d`) and `correlate2d_transpose` (Keras' Conv2DTranspose);
* activations, section 3.1.4 (linear, sigmoid, ReLU, ...):  `tinydl/ops/activations.py`;
* the dense layer z = Wx + b:  `matmul` and `add` (``x @ W + b`` on a batch of rows);
* pooling, dropout and flatten from the article's listing (section 4);
* ops fused for speed, the same values as the ops they join: `conv2d_relu`
  (max(0, conv2d + b), what Conv2D(activation='relu') runs) and `conv2d_relu_max_pool`
  (that followed by tiling max pooling, tinydl/ops/fused.py; `Model` runs it for such a
  pair of layers, tinydl/models/fusion.py);
* batch normalization: `batch_norm` (training mode, batch statistics, a fused op) and
  `batch_norm_inference` (fixed statistics), in tinydl/ops/batch_norm.py;
* layer normalization (each sample over its own features): `layer_norm`, in
  tinydl/ops/layer_norm.py; resizing images to a given size: `resize2d`, in tinydl/ops/resize.py;
  the ELU activation `elu` (and relu's Keras options), in tinydl/ops/activations.py.
"""
from .ops import (elu, leaky_relu, linear, log_softmax, relu, sigmoid, softmax, tanh,
                  conv2d, conv2d_relu, conv2d_transpose, correlate2d, correlate2d_transpose,
                  conv2d_relu_max_pool, depthwise_conv2d, dropout, layer_norm, batch_norm,
                  batch_norm_inference, avg_pool2d, max_pool2d, pad2d, upsampling2d, resize2d,
                  abs, add, clip, concatenate, div, exp, flatten, getitem, log, matmul, max,
                  mean, mul, neg, pow, reshape, sqrt, stack, sub, sum, transpose)

#: Every public differentiable op. tests/test_op_coverage.py fails when one of them has
#: no gradient property test (a test function named ``test_grad_<name>``).
DIFFERENTIABLE_OPS = (
    "add", "sub", "mul", "div", "pow", "matmul", "neg",
    "sum", "mean", "max", "reshape", "transpose", "getitem", "concatenate", "stack", "flatten",
    "exp", "log", "sqrt", "abs", "clip",
    "linear", "sigmoid", "relu", "tanh", "leaky_relu", "softmax", "log_softmax",
    "conv2d", "correlate2d", "conv2d_transpose", "correlate2d_transpose", "depthwise_conv2d",
    "conv2d_relu", "conv2d_relu_max_pool",
    "upsampling2d", "pad2d",
    "max_pool2d", "avg_pool2d", "dropout",
    "batch_norm", "batch_norm_inference",
    "elu", "layer_norm", "resize2d",
)

__all__ = list(DIFFERENTIABLE_OPS)
