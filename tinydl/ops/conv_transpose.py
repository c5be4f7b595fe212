"""Transposed convolution: the adjoint of conv2d / correlate2d with respect to its input
(see tinydl/ops/conv.py for the formulas), the upsampling layer of a GAN generator."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, Tensor
from ._geometry import (as_pair, channel_sums, check_nhwc, op_inputs, output_padding_pair,
                        pad_or_crop, transposed_size)
from ._input_grad import input_gradient
from . import _patches
from ._patches import patch_gradient, patch_product
from . import _kernels
from .reference import conv_transpose as reference_conv_transpose


def _transpose_geometry(y: np.ndarray, w: np.ndarray, strides: Any, padding: Any,
                        output_padding: Any, op: str):
    check_nhwc(y, op, "y")
    if w.ndim != 4:
        raise ValueError(f"{op}: kernel must have shape (kh, kw, C_out, C_in) (the layout of "
                         f"the conv2d kernel it transposes); got shape {w.shape}")
    if w.shape[3] != y.shape[3]:
        hint = ""
        if y.shape[1] == w.shape[3]:
            hint = " (is y in NCHW layout? tinydl expects channels last: y.transpose(0, 2, 3, 1))"
        elif y.shape[3] == w.shape[2]:
            hint = (" (kernel axes 2 and 3 swapped? the transpose reads its input channels "
                    "from the last axis: w.transpose(0, 1, 3, 2))")
        raise ValueError(f"{op}: y has {y.shape[3]} channels (shape {y.shape}, layout N,H,W,C) "
                         f"but the kernel expects {w.shape[3]} (shape {w.shape}, layout "
                         f"kh,kw,C_out,C_in){hint}")
    sh, sw = as_pair(strides, "strides", op)
    qh, qw = output_padding_pair(output_padding, (sh, sw), op)
    kh, kw = w.shape[:2]
    top, bottom, ho = transposed_size(y.shape[1], kh, sh, padding, qh, 0, op)
    left, right, wo = transposed_size(y.shape[2], kw, sw, padding, qw, 1, op)
    return (sh, sw), ((top, bottom), (left, right)), (ho, wo)


class Correlate2dTransposeOp(Function):
    """The adjoint of Correlate2dOp with respect to x. Kernel w (kh, kw, C_out, C_in), y
    (N, h, w, C_in); into zeros x_p (N, H + top + bottom, W + left + right, C_out):

        x_p[n, s_h·i + a, s_w·j + b, c] += Σ_o w[a, b, c, o] · y[n, i, j, o]

    then out = x_p with the padding cut off, + bias[c].
    Forward: `input_gradient`, the very code of Correlate2dOp's dx.
    Backward with G = dL/d(out) padded like x_p and P = im2col(G_p) (N·h·w, kh·kw·C_out):
    dL/dy = P·W (the forward correlation correlate2d(G, w), same strides and padding),
    dL/dW = Pᵀ·Y with Y = y as (N·h·w, C_in), and dL/db = Σ G over n and the pixels.

    Read first: tinydl/ops/reference/conv_transpose.py (the same op as its formula reads;
    tests/test_reference_conv.py proves them equal).
    """
    op = "correlate2d_transpose"

    def forward(self, y, w, b=None, strides=1, padding="valid", output_padding=None,
                op="correlate2d_transpose"):
        self.strides, self.pads, (ho, wo) = _transpose_geometry(y, w, strides, padding,
                                                                output_padding, op)
        if b is not None and b.shape != (w.shape[2],):
            raise ValueError(f"{op}: bias must have shape ({w.shape[2]},) (one per output "
                             f"channel, kernel axis 2); got shape {b.shape}")
        self.y, self.w, self.has_bias = y, w, b is not None
        (top, bottom), (left, right) = self.pads
        padded_shape = (y.shape[0], ho + top + bottom, wo + left + right, w.shape[2])
        out = input_gradient(y, w, self.strides, self.pads, padded_shape, y.shape[1:3])
        return out + b.astype(w.dtype) if self.has_bias else out

    def backward(self, grad):
        kh, kw, cout, cin = self.w.shape
        dy = dw = db = None
        if self.needs_grad[0] or self.needs_grad[1]:
            gp = pad_or_crop(grad, *self.pads)
            n, h, w = self.y.shape[:3]
            size = n * h * w * kh * kw * cout * gp.itemsize        # bytes of P
            kept = [] if self.needs_grad[1] and size <= _patches.KEEP_BYTES else None
            if self.needs_grad[0]:      # dW below reuses these patches of G_p
                dy = patch_product(gp, self.w, None, self.strides, (1, 1), self.y.shape[1:3],
                                   kept)
            if self.needs_grad[1]:
                dw = patch_gradient(gp, self.y, kh, kw, self.strides, (1, 1),
                                    kept=kept)[0].reshape(self.w.shape)
        if self.has_bias and self.needs_grad[2]:
            db = channel_sums(grad)
        return (dy, dw, db) if self.has_bias else (dy, dw)


class Conv2dTransposeOp(Function):
    """The adjoint of Conv2D with respect to x: Correlate2DTranspose with the kernel
    flipped, conv2d_transpose(y, w) = correlate2d_transpose(y, w[::-1, ::-1]); the kernel
    gradient is flipped back.

    Read first: tinydl/ops/reference/conv_transpose.py (the same op as its formula reads;
    tests/test_reference_conv.py proves them equal)."""
    op = "conv2d_transpose"

    def forward(self, y, w, b=None, strides=1, padding="valid", output_padding=None):
        self.corr = Correlate2dTransposeOp()
        return self.corr.forward(y, w[::-1, ::-1], b, strides, padding, output_padding,
                                 op="conv2d_transpose")

    def backward(self, grad):
        self.corr.needs_grad = self.needs_grad
        grads = self.corr.backward(grad)
        dw = grads[1][::-1, ::-1] if grads[1] is not None else None
        return (grads[0], dw) + tuple(grads[2:])



def conv2d_transpose(y: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
                     output_padding: Any = None) -> Tensor:
    """Transposed true convolution: the adjoint of `conv2d` with respect to its input x.

    For the same kernel, strides and padding, <conv2d(x, w), y> = <x, conv2d_transpose(y, w)>
    for every x of the output's shape and every y: conv2d maps (N, H, W, C_out) to
    (N, h, w, C_in), this maps (N, h, w, C_in) back to (N, H, W, C_out). Each pixel of y
    is spread, through the kernel walked backwards, over a kh×kw window of the output,
    the windows s pixels apart (upsampling by s).

    Args:
        y: (N, h, w, C_in) batch, channels last.
        w: (kh, kw, C_out, C_in) kernel: the very kernel of the conv2d it transposes (which
            maps C_out channels to C_in), also Keras' Conv2DTranspose layout
            (kh, kw, filters, in_channels).
        b: optional (C_out,) bias, added to every output pixel.
        strides: int or (s_h, s_w).
        padding: 'valid', 'same', an int or a pair (p_h, p_w): the padding of that conv2d.
        output_padding: None, or an int or pair q with 0 ≤ q < stride, added to the
            output size (a stride-s conv2d maps s input sizes to the same h; q picks one).
    Returns:
        (N, H, W, C_out), along each axis (Keras' deconv_output_length; PyTorch's rule
        for an int padding p):
            'valid': (h-1)·s + max(k, s), or (h-1)·s + k + q with output_padding q
            'same':  h·s,                  or (h-1)·s + (k mod 2) + q
            p:       (h-1)·s + k - 2p + q
        H is always a size that conv2d maps back to h; a ValueError when none exists.

    The formula: with (top, bottom, left, right) the padding conv2d uses for an input of
    size (H, W), x_p zeros of shape (N, top + H + bottom, left + W + right, C_out),

        x_p[n, s_h·i + kh-1-a, s_w·j + kw-1-b, c] += Σ_o w[a, b, c, o] · y[n, i, j, o]

    for all n, i < h, j < w, a < kh, b < kw, c; then
    out[n, r, t, c] = x_p[n, top + r, left + t, c] + b[c]. This is conv2d's own indexing
    (pixel s·i + kh-1-a of the padded input meets kernel entry a for output i) run
    backwards: conv2d gathers x_p into y, this scatters y into x_p.

    Equals `correlate2d_transpose(y, w[::-1, ::-1], b, ...)`. Keras' Conv2DTranspose and
    torch.nn.functional.conv_transpose2d compute correlate2d_transpose, not this.
    """
    if _kernels.reference():
        return reference_conv_transpose.conv2d_transpose(y, w, b, strides, padding,
                                                         output_padding)
    return Conv2dTransposeOp.apply(*op_inputs(y, w, b, "conv2d_transpose", "y"), strides=strides,
                                 padding=padding, output_padding=output_padding)


def correlate2d_transpose(y: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
                          output_padding: Any = None) -> Tensor:
    """Transposed cross-correlation: the adjoint of `correlate2d` with respect to its input,
    what Keras' Conv2DTranspose and torch.nn.functional.conv_transpose2d compute:

        x_p[n, s_h·i + a, s_w·j + b, c] += Σ_o w[a, b, c, o] · y[n, i, j, o],
        out = x_p with the padding cut off, + b[c].

    Same arguments, shapes, output sizes and padding rules as `conv2d_transpose`, and
    conv2d_transpose(y, w) == correlate2d_transpose(y, w[::-1, ::-1]). A PyTorch weight
    (C_in, C_out, kh, kw) is w_torch.transpose(2, 3, 1, 0) here (NCHW data: transpose
    (0, 2, 3, 1)); PyTorch's int padding p and output_padding q mean the same as here.
    """
    if _kernels.reference():
        return reference_conv_transpose.correlate2d_transpose(y, w, b, strides, padding,
                                                              output_padding)
    return Correlate2dTransposeOp.apply(*op_inputs(y, w, b, "correlate2d_transpose", "y"),
                                      strides=strides, padding=padding,
                                      output_padding=output_padding)
