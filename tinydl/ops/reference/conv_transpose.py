"""Transposed convolution as its formula reads: the adjoint of the correlation with respect to
its input, built from the very loops of tinydl/ops/reference/conv.py. Read this first;
tinydl/ops/conv_transpose.py is the fast kernel (tests/test_reference_conv.py proves them equal).

A correlation with kernel w (kh, kw, C_out, C_in) maps x (N, H, W, C_out) to y (N, h, w, C_in).
Its transpose maps y back: zeros x_p (N, top + H + bottom, left + W + right, C_out), then

    x_p[n, s_h·i + a, s_w·j + b, c] += Σ_o w[a, b, c, o] · y[n, i, j, o]
    out = x_p with the padding cut off, + b[c]

which is exactly the correlation's dL/dx_p with y in the place of g (`correlate_input_grad`).
So its backward, with G = dL/d(out) and G_p = G padded, is a forward correlation:

    dL/dy = correlate(G_p, w)      dL/dw[a, b] = Σ_{n,i,j} G_p-slice(a, b)ᵀ y      dL/db = Σ G

and conv2d_transpose(y, w) = correlate2d_transpose(y, w[::-1, ::-1]). Output sizes and the
argument checks are the fast op's own (fast._transpose_geometry: the same messages).
"""
from __future__ import annotations

from typing import Any

from ...autograd import Function, Tensor
from .. import conv_transpose as fast  # argument checks and output sizes, shared
from .._geometry import op_inputs
from .conv import check_bias, correlate, correlate_input_grad, correlate_kernel_grad, pad, unpad

NO_DILATION = (1, 1)


class Correlate2dTransposeRef(Function):
    """out = unpad(correlate_input_grad(y, w)) + b; backward: a forward correlation of G_p."""
    op = "correlate2d_transpose"

    def forward(self, y, w, bias=None, strides=1, padding="valid", output_padding=None,
                op="correlate2d_transpose"):
        self.strides, self.pads, (out_h, out_w) = fast._transpose_geometry(
            y, w, strides, padding, output_padding, op)
        check_bias(bias, w.shape[2], op, ", kernel axis 2")
        self.y, self.w, self.has_bias = y, w, bias is not None
        (top, bottom), (left, right) = self.pads
        xp_shape = (y.shape[0], top + out_h + bottom, left + out_w + right, w.shape[2])
        out = unpad(correlate_input_grad(y, w, self.strides, NO_DILATION, xp_shape), self.pads)
        return out if bias is None else out + bias.astype(out.dtype)

    def backward(self, g):
        gp = pad(g, self.pads)
        dy = correlate(gp, self.w, self.strides, NO_DILATION, self.y.shape[1:3])
        dw = correlate_kernel_grad(gp, self.y, self.w.shape[:2], self.strides, NO_DILATION)
        return (dy, dw, g.sum(axis=(0, 1, 2))) if self.has_bias else (dy, dw)


class Conv2dTransposeRef(Correlate2dTransposeRef):
    """The adjoint of the true convolution: correlate2d_transpose with the kernel flipped;
    the kernel gradient is flipped back."""
    op = "conv2d_transpose"

    def forward(self, y, w, bias=None, strides=1, padding="valid", output_padding=None,
                op="conv2d_transpose"):
        return super().forward(y, w[::-1, ::-1], bias, strides, padding, output_padding, op)

    def backward(self, g):
        dy, dw, *db = super().backward(g)
        return (dy, dw[::-1, ::-1], *db)


def conv2d_transpose(y: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
                     output_padding: Any = None) -> Tensor:
    """The adjoint of `conv2d` in its input: y (N, h, w, C_in), w (kh, kw, C_out, C_in),
    b (C_out,) -> (N, H, W, C_out), with x_p[n, s_h·i + kh-1-a, s_w·j + kw-1-b, c] +=
    Σ_o w[a, b, c, o]·y[n, i, j, o]. Arguments and output sizes of
    tinydl.ops.conv_transpose.conv2d_transpose."""
    return Conv2dTransposeRef.apply(*op_inputs(y, w, b, "conv2d_transpose", "y"),
                                    strides=strides, padding=padding,
                                    output_padding=output_padding)


def correlate2d_transpose(y: Any, w: Any, b: Any = None, strides: Any = 1,
                          padding: Any = "valid", output_padding: Any = None) -> Tensor:
    """The adjoint of `correlate2d` in its input (Keras' Conv2DTranspose):
    x_p[n, s_h·i + a, s_w·j + b, c] += Σ_o w[a, b, c, o]·y[n, i, j, o]; arguments as
    `conv2d_transpose`."""
    return Correlate2dTransposeRef.apply(*op_inputs(y, w, b, "correlate2d_transpose", "y"),
                                         strides=strides, padding=padding,
                                         output_padding=output_padding)
