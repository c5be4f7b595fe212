"""All differentiable operations as plain functions: ``import tinydl.functional as F``.

Where each piece of the article lives:

* convolution, section 3.1.4's y(x,y) = ΣΣ w(x',y')·x(x-x', y-y'):  `conv2d`
  (and `correlate2d`, the kernel-flipped variant that Keras and PyTorch use);
* transposed convolution, the upsampling of a GAN generator:  `conv2d_transpose`
  (the adjoint of `conv2d`) and `correlate2d_transpose` (Keras' Conv2DTranspose);
* activations, section 3.1.4 (linear, sigmoid, ReLU, ...):  `tinydl.activations`;
* the dense layer z = Wx + b:  `matmul` and `add` (``x @ W + b`` on a batch of rows);
* pooling, dropout and flatten from the article's listing (section 4);
* batch normalization: `batch_norm` (training mode, batch statistics, a fused op) and
  `batch_norm_inference` (fixed statistics), in tinydl/normalization.py.
"""
from .activations import leaky_relu, linear, log_softmax, relu, sigmoid, softmax, tanh
from .conv import conv2d, conv2d_transpose, correlate2d, correlate2d_transpose
from .dropout import dropout
from .normalization import batch_norm, batch_norm_inference
from .ops import (abs, add, clip, concatenate, div, exp, flatten, getitem, log, matmul, max,
                  mean, mul, neg, pow, reshape, sqrt, stack, sub, sum, transpose)
from .pooling import avg_pool2d, max_pool2d

#: Every public differentiable op. tests/test_op_coverage.py fails when one of them has
#: no gradient property test (a test function named ``test_grad_<name>``).
DIFFERENTIABLE_OPS = (
    "add", "sub", "mul", "div", "pow", "matmul", "neg",
    "sum", "mean", "max", "reshape", "transpose", "getitem", "concatenate", "stack", "flatten",
    "exp", "log", "sqrt", "abs", "clip",
    "linear", "sigmoid", "relu", "tanh", "leaky_relu", "softmax", "log_softmax",
    "conv2d", "correlate2d", "conv2d_transpose", "correlate2d_transpose",
    "max_pool2d", "avg_pool2d", "dropout",
    "batch_norm", "batch_norm_inference",
)

__all__ = list(DIFFERENTIABLE_OPS)
