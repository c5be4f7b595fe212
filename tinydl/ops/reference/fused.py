"""conv2d → ReLU → max pooling, the block the article's network repeats (§4), as what it is:
the three reference ops one after the other, no Function of its own (their backward passes
chain through the autograd graph). tinydl/ops/fused.py is the fast kernel, one op that never
writes the full-size activation to memory (tests/test_reference_conv.py proves them equal).

    y = max_pool2d(relu(conv2d(x, w) + b), pool_size)     pooling windows tiling the image
                                                          (strides = pool size, 'valid')
"""
from __future__ import annotations

from typing import Any

from ...autograd import Tensor
from .._geometry import as_pair, op_inputs
from . import activations
from .conv import Conv2dRef
from .pooling import max_pool2d

#: The fast op's limit (it keeps each window's winning tap in a uint8), kept so that both
#: kernels accept the same arguments.
MAX_POOL_OFFSETS = 255


def conv2d_relu_max_pool(x: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
                         dilation_rate: Any = 1, pool_size: Any = 2) -> Tensor:
    """max_pool2d(max(0, conv2d(x, w, b, strides, padding, dilation_rate)), pool_size):
    x (N, H, W, C_in), w (kh, kw, C_in, C_out), b (C_out,) -> (N, Ho // ph, Wo // pw, C_out),
    (Ho, Wo) the convolution's output size. Arguments and checks of
    tinydl.ops.fused.conv2d_relu_max_pool (errors name that op)."""
    op = "conv2d_relu_max_pool"
    z = Conv2dRef.apply(*op_inputs(x, w, b, op), strides=strides, padding=padding,
                        dilation_rate=dilation_rate, op=op)
    ph, pw = pool = as_pair(pool_size, "pool_size", op)
    if z.shape[1] < ph or z.shape[2] < pw:
        raise ValueError(f"{op}: the {ph}×{pw} pooling window is larger than the "
                         f"convolution's output ({z.shape[1]}×{z.shape[2]})")
    if ph * pw > MAX_POOL_OFFSETS:
        raise ValueError(f"{op}: pool_size {pool} has more than {MAX_POOL_OFFSETS} offsets")
    return max_pool2d(activations.relu(z), pool)
