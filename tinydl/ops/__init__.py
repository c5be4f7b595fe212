"""Every differentiable op of tinydl, one concept per module (public face: `tinydl.functional`).

    math.py            arithmetic, reductions, elementwise math (add, matmul, sum, exp, ...)
    shape.py           reshape, transpose, indexing, concatenate, stack, flatten
    activations.py     sigmoid, relu, tanh, leaky_relu, softmax, log_softmax, elu
    conv.py            conv2d (the article's formula), correlate2d, conv2d_relu
    conv_transpose.py  conv2d_transpose, correlate2d_transpose
    depthwise.py       depthwise_conv2d
    pooling.py         max_pool2d, avg_pool2d
    resize.py          upsampling2d, pad2d, resize2d
    dropout.py         dropout
    batch_norm.py      batch_norm, batch_norm_inference
    layer_norm.py      layer_norm
    fused.py           conv2d_relu_max_pool (conv, bias, ReLU and max pooling in one pass)

Machinery the fast kernels share lives in private modules, so no op reaches into another
op's module: _geometry.py (argument pairs, padding rules, output sizes), _patches.py (im2col
and the patch products), _input_grad.py (the convolution's input-gradient algorithms).

Every op also has a reference kernel, written as its formula reads (tinydl/ops/reference/):
`set_kernels("reference")` (or TINYDL_KERNELS=reference) runs the whole framework on them.
"""
from ._kernels import KERNELS, get_kernels, set_kernels, use_kernels
from .activations import elu, leaky_relu, linear, log_softmax, relu, sigmoid, softmax, tanh
from .batch_norm import batch_norm, batch_norm_inference
from .conv import conv2d, conv2d_relu, correlate2d
from .conv_transpose import conv2d_transpose, correlate2d_transpose
from .depthwise import depthwise_conv2d
from .dropout import dropout
from .fused import conv2d_relu_max_pool
from .layer_norm import layer_norm
from .math import (abs, add, clip, div, exp, log, matmul, max, mean, mul, neg, pow, sqrt, sub,
                   sum)
from .pooling import avg_pool2d, max_pool2d
from .resize import pad2d, resize2d, upsampling2d
from .shape import concatenate, flatten, getitem, reshape, stack, transpose
