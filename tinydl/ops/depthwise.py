"""Depthwise 2-D convolution: every input channel convolved with kernels of its own.

An ordinary convolution (`tinydl.ops.conv.conv2d`) mixes all C_in channels into every output
channel. A depthwise convolution keeps the channels apart: channel c is convolved with
M kernels w[:, :, c, m] of its own (M, the depth multiplier), giving C·M output channels.
Followed by a 1×1 conv2d that mixes the channels, it is a *separable* convolution
(MobileNet, Xception): kh·kw·C·M + C·M·C_out weights instead of kh·kw·C·C_out.

Layout, channels last, the kernel in Keras' DepthwiseConv2D layout:
    x: (N, H, W, C)   w: (kh, kw, C, M)   b: (C·M,)   y: (N, H_out, W_out, C·M)

Like conv2d it is the article's TRUE convolution (section 3.1.4), the kernel walked
backwards; output channel c·M + m is

    y[n, i, j, c·M + m] = Σ_{a<kh} Σ_{b<kw} w[a, b, c, m]
                              · x_p[n, s·i + d·(kh-1-a), s·j + d·(kw-1-b), c]
                          + b[c·M + m]

with strides s, dilation d and x_p the padded input. Keras' DepthwiseConv2D computes the
cross-correlation, x_p[n, s·i + d·a, s·j + d·b, c], i.e. this with the kernel flipped in
both spatial axes: Keras' kernel K gives the same output here as K[::-1, ::-1].
Strides, dilation, padding and output sizes follow conv2d's rules.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, Tensor
from ._geometry import (channel_sums, depthwise_kernel, op_inputs, pad_or_crop,
                        spatial_geometry, window_offset)
from . import _kernels
from .reference import depthwise as reference_depthwise


class DepthwiseCorrelate2dOp(Function):
    """Depthwise cross-correlation,
    y[n, i, j, c, m] = Σ_{a,b} w[a, b, c, m] · x_p[n, s·i + d·a, s·j + d·b, c] (+ bias),
    returned with the last two axes merged into channel c·M + m.

    Forward: for each of the kh·kw kernel offsets (a, b), the strided view of the pixels
    at that offset of every window, X_ab (N, Ho, Wo, C), is multiplied by w[a, b] (C, M)
    channel by channel (broadcasting) and summed: kh·kw vectorised passes, no loop over
    pixels.
    Backward with G = dL/dy as (N, Ho, Wo, C, M):
        dw[a, b, c, m] = Σ_{n,i,j} X_ab[n, i, j, c] · G[n, i, j, c, m]
        dx_p at offset (a, b) += Σ_m G[..., c, m] · w[a, b, c, m]   (then the padding is cut off)
        db = Σ_{n,i,j} G

    Read first: tinydl/ops/reference/depthwise.py (the same op as its formula reads;
    tests/test_reference_conv.py proves them equal).
    """
    op = "depthwise_correlate2d"

    def forward(self, x, w, b=None, strides=1, padding="valid", dilation_rate=1,
                op="depthwise_correlate2d"):
        kh, kw, c, m = depthwise_kernel(x, w, b, op)
        self.strides, self.dilation, self.pads, self.out_hw = spatial_geometry(
            x, kh, kw, strides, padding, dilation_rate, op)
        self.xp = pad_or_crop(x, *self.pads)
        self.w, self.has_bias = w, b is not None
        n = x.shape[0]
        y = np.zeros((n, *self.out_hw, c, m), dtype=np.result_type(x.dtype, w.dtype))
        for a in range(kh):
            for bb in range(kw):
                y += self.window(a, bb, self.xp)[..., None] * w[a, bb]
        y = y.reshape(n, *self.out_hw, c * m)
        return y + b.astype(y.dtype) if self.has_bias else y

    def window(self, a: int, b: int, xp: np.ndarray) -> np.ndarray:
        """The pixels at kernel offset (a, b) of every window, (N, Ho, Wo, C), a view of xp."""
        dh, dw = self.dilation
        return window_offset(xp, dh * a, dw * b, self.strides, self.out_hw)

    def backward(self, grad):
        kh, kw, c, m = self.w.shape
        g = grad.reshape(*grad.shape[:3], c, m)
        dx = dw = db = None
        if self.needs_grad[0]:
            dxp = np.zeros(self.xp.shape, dtype=np.result_type(grad.dtype, self.w.dtype))
        if self.needs_grad[1]:
            dw = np.empty(self.w.shape, dtype=np.result_type(grad.dtype, self.xp.dtype))
        for a in range(kh):
            for b in range(kw):
                if self.needs_grad[1]:
                    dw[a, b] = np.einsum("nijc,nijcm->cm", self.window(a, b, self.xp), g)
                if self.needs_grad[0]:
                    self.window(a, b, dxp)[...] += np.einsum("nijcm,cm->nijc", g, self.w[a, b])
        if self.needs_grad[0]:
            (top, bottom), (left, right) = self.pads
            dx = dxp[:, top:dxp.shape[1] - bottom, left:dxp.shape[2] - right, :]
        if self.has_bias and self.needs_grad[2]:
            db = channel_sums(grad)
        return (dx, dw, db) if self.has_bias else (dx, dw)


class DepthwiseConv2dOp(Function):
    """Depthwise true convolution: DepthwiseCorrelate2dOp with the kernel flipped in both
    spatial axes; the kernel gradient is flipped back.

    Read first: tinydl/ops/reference/depthwise.py (the same op as its formula reads;
    tests/test_reference_conv.py proves them equal)."""
    op = "depthwise_conv2d"

    def forward(self, x, w, b=None, strides=1, padding="valid", dilation_rate=1):
        self.corr = DepthwiseCorrelate2dOp()
        return self.corr.forward(x, w[::-1, ::-1], b, strides, padding, dilation_rate,
                                 op="depthwise_conv2d")

    def backward(self, grad):
        self.corr.needs_grad = self.needs_grad
        grads = self.corr.backward(grad)
        dw = grads[1][::-1, ::-1] if grads[1] is not None else None
        return (grads[0], dw) + tuple(grads[2:])


def depthwise_conv2d(x: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
                     dilation_rate: Any = 1) -> Tensor:
    """Depthwise true convolution: each input channel convolved with its own kernels.

    y[n, i, j, c·M + m] = Σ_{a,b} w[a, b, c, m]
                              · x_p[n, s_h·i + d_h·(kh-1-a), s_w·j + d_w·(kw-1-b), c]
                          + b[c·M + m]

    i.e. output channel c·M + m is conv2d(x[..., c:c+1], w[:, :, c:c+1, m:m+1]).

    Args:
        x: (N, H, W, C) batch, channels last.
        w: (kh, kw, C, M) kernel, Keras' DepthwiseConv2D layout (M = depth_multiplier).
            It is walked backwards (true convolution, like `conv2d`): a Keras kernel K
            is K[::-1, ::-1] here.
        b: optional (C·M,) bias.
        strides: int or (s_h, s_w).
        padding: 'valid', 'same', an int or a pair (p_h, p_w), conv2d's rules.
        dilation_rate: int or (d_h, d_w), kernel taps d pixels apart.
    Returns:
        (N, H_out, W_out, C·M), the output sizes of `conv2d`.
    """
    if _kernels.reference():
        return reference_depthwise.depthwise_conv2d(x, w, b, strides, padding,
                                                    dilation_rate)
    return DepthwiseConv2dOp.apply(*op_inputs(x, w, b, "depthwise_conv2d"), strides=strides,
                                 padding=padding, dilation_rate=dilation_rate)
