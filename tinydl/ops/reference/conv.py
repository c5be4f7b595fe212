"""The convolution as its formula reads: the cross-correlation, and the article's true
convolution (section 3.1.4) as the correlation with the kernel flipped. Read this first;
tinydl/ops/conv.py is the fast kernel of the same op (tests/test_reference_conv.py proves
the two equal, values and gradients).

Layout, channels last:  x (N, H, W, C_in)   w (kh, kw, C_in, C_out)   b (C_out,)
y (N, Ho, Wo, C_out). With x_p the zero-padded input, strides s and dilation d:

    correlate2d:  y[n, i, j, o] = Σ_{a,b,c} w[a, b, c, o] · x_p[n, s·i + d·a, s·j + d·b, c] + b[o]

    conv2d:       the article's y(x, y) = Σ_{x'} Σ_{y'} w(x', y') · x(x - x', y - y'), the
                  kernel walked backwards: conv2d(x, w) = correlate2d(x, w[::-1, ::-1])

Kernel tap (a, b) meets, for every output pixel at once, the strided slice
X_ab = x_p[:, d·a + s·i, d·b + s·j, :] over i < Ho, j < Wo, an (N, Ho, Wo, C_in) array, so
the sum over c is one matrix product X_ab @ w[a, b] with w[a, b] (C_in, C_out), and y is kh·kw
such products added up. The backward, with g = dL/dy (N, Ho, Wo, C_out), runs the same loop:

    dx_p[slice (a, b)] += g @ w[a, b]ᵀ      dw[a, b] = Σ_{n,i,j} X_ab[n, i, j]ᵀ g[n, i, j]
    db = Σ_{n,i,j} g                          dx = dx_p with the padding cut off

Padding: 'valid', 'same' (Keras' rule), an int or a pair, as tinydl/ops/_geometry.py computes
it; the argument checks are the fast op's, with the same messages.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd import Function, Tensor
from .._geometry import kernel_geometry, op_inputs
from . import activations


def tap(xp: np.ndarray, a: int, b: int, strides, dilation, out_hw) -> np.ndarray:
    """X_ab = xp[:, s_h·i + d_h·a, s_w·j + d_w·b, :] for all i < Ho, j < Wo: the pixels kernel
    tap (a, b) meets, (N, Ho, Wo, C), a strided view (writing into it writes into xp)."""
    (sh, sw), (ho, wo) = strides, out_hw
    top, left = dilation[0] * a, dilation[1] * b
    return xp[:, top:top + sh * (ho - 1) + 1:sh, left:left + sw * (wo - 1) + 1:sw, :]


def correlate(xp, w, strides, dilation, out_hw):
    """Σ_{a,b} X_ab @ w[a, b]: the correlation of the padded xp, (N, Ho, Wo, C_out), no bias."""
    taps = np.ndindex(*w.shape[:2])
    return sum(tap(xp, a, b, strides, dilation, out_hw) @ w[a, b] for a, b in taps)


def correlate_input_grad(g, w, strides, dilation, xp_shape):
    """dL/dx_p, the adjoint of `correlate`: each tap sends g back through w[a, b]ᵀ to the
    pixels it read, X_ab += g @ w[a, b]ᵀ (pixels that several taps read add up)."""
    dxp = np.zeros(xp_shape, dtype=np.result_type(g, w))
    for a, b in np.ndindex(*w.shape[:2]):
        tap(dxp, a, b, strides, dilation, g.shape[1:3])[...] += g @ w[a, b].T
    return dxp


def correlate_kernel_grad(xp, g, kernel_hw, strides, dilation):
    """dL/dw[a, b] = Σ_{n,i,j} X_ab[n, i, j]ᵀ g[n, i, j], (kh, kw, C_in, C_out)."""
    cin, cout = xp.shape[3], g.shape[3]
    dw = np.zeros((*kernel_hw, cin, cout), dtype=np.result_type(xp, g))
    for a, b in np.ndindex(*kernel_hw):
        x_ab = tap(xp, a, b, strides, dilation, g.shape[1:3])
        dw[a, b] = x_ab.reshape(-1, cin).T @ g.reshape(-1, cout)
    return dw


class Correlate2dRef(Function):
    """y = correlate(x_p, w) + b; backward dx, dw, db as in the module docstring."""
    op = "correlate2d"

    def forward(self, x, w, bias=None, strides=1, padding="valid", dilation_rate=1,
                op="correlate2d"):
        self.strides, self.dilation, self.pads, out_hw = kernel_geometry(
            x, w, strides, padding, dilation_rate, op)          # checks x, w and the sizes
        check_bias(bias, w.shape[3], op)
        self.xp, self.w, self.has_bias = pad(x, self.pads), w, bias is not None
        y = correlate(self.xp, w, self.strides, self.dilation, out_hw)
        return y if bias is None else y + bias.astype(y.dtype)

    def backward(self, g):
        s, d = self.strides, self.dilation
        dx = unpad(correlate_input_grad(g, self.w, s, d, self.xp.shape), self.pads)
        dw = correlate_kernel_grad(self.xp, g, self.w.shape[:2], s, d)
        return (dx, dw, g.sum(axis=(0, 1, 2))) if self.has_bias else (dx, dw)


class Conv2dRef(Correlate2dRef):
    """The article's true convolution: conv2d(x, w) = correlate2d(x, w[::-1, ::-1]); the
    kernel gradient is flipped back."""
    op = "conv2d"

    def forward(self, x, w, bias=None, strides=1, padding="valid", dilation_rate=1,
                op="conv2d"):
        return super().forward(x, w[::-1, ::-1], bias, strides, padding, dilation_rate, op)

    def backward(self, g):
        dx, dw, *db = super().backward(g)
        return (dx, dw[::-1, ::-1], *db)


# -- small helpers the reference ops share -----------------------------------------------

def pad(x: np.ndarray, pads, value: float = 0.0) -> np.ndarray:
    """x (N, H, W, C) with pads ((top, bottom), (left, right)) of `value` around each image."""
    return np.pad(x, ((0, 0), *pads, (0, 0)), constant_values=value)


def unpad(xp: np.ndarray, pads) -> np.ndarray:
    """`pad` undone: the border cut off again."""
    (top, bottom), (left, right) = pads
    return xp[:, top:xp.shape[1] - bottom, left:xp.shape[2] - right, :]


def check_bias(bias, channels: int, op: str, axis: str = "") -> None:
    """The fast ops' check of the bias's shape, with their message."""
    if bias is not None and bias.shape != (channels,):
        raise ValueError(f"{op}: bias must have shape ({channels},) (one per output channel"
                         f"{axis}); got shape {bias.shape}")


# -- the public functions ----------------------------------------------------------------

def conv2d(x: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
           dilation_rate: Any = 1) -> Tensor:
    """True 2-D convolution, y(x,y) = Σ_{x'}Σ_{y'} w(x',y')·x(x - d·x', y - d·y') (+ b):
    x (N, H, W, C_in), w (kh, kw, C_in, C_out), b (C_out,) -> (N, Ho, Wo, C_out).
    The arguments and output sizes of tinydl.ops.conv.conv2d."""
    return Conv2dRef.apply(*op_inputs(x, w, b, "conv2d"), strides=strides, padding=padding,
                           dilation_rate=dilation_rate)


def correlate2d(x: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
                dilation_rate: Any = 1) -> Tensor:
    """Cross-correlation (Keras' Conv2D), y[n,i,j,o] = Σ_{a,b,c} w[a,b,c,o] ·
    x_p[n, s_h·i + d_h·a, s_w·j + d_w·b, c] + b[o]; arguments as `conv2d`."""
    return Correlate2dRef.apply(*op_inputs(x, w, b, "correlate2d"), strides=strides,
                                padding=padding, dilation_rate=dilation_rate)


def conv2d_relu(x: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
                dilation_rate: Any = 1) -> Tensor:
    """max(0, conv2d(x, w, b, ...)): the two reference ops one after the other."""
    return activations.relu(conv2d(x, w, b, strides, padding, dilation_rate))
