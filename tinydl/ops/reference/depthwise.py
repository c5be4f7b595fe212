"""Depthwise convolution as its formula reads: every input channel convolved with M kernels
of its own. Read this first; tinydl/ops/depthwise.py is the fast kernel
(tests/test_reference_conv.py proves them equal).

x (N, H, W, C), w (kh, kw, C, M) (Keras' DepthwiseConv2D layout), b (C·M,) -> y (N, Ho, Wo, C·M).
The article's true convolution, channel by channel (wf = w[::-1, ::-1], the kernel flipped):

    y[n, i, j, c·M + m] = Σ_{a<kh} Σ_{b<kw} wf[a, b, c, m] · x_p[n, s·i + d·a, s·j + d·b, c]
                          + b[c·M + m]

Kernel tap (a, b) meets the slice X_ab = x_p[:, s·i + d·a, s·j + d·b, :] (N, Ho, Wo, C): its
channel c times wf[a, b, c, :], by broadcasting (no sum over channels, unlike conv2d).
Backward, with g = dL/dy as (N, Ho, Wo, C, M):

    dwf[a, b, c, m] = Σ_{n,i,j} X_ab[n, i, j, c] · g[n, i, j, c, m]
    dx_p[slice (a, b)][..., c] += Σ_m g[..., c, m] · wf[a, b, c, m]      db = Σ_{n,i,j} g

and dw = dwf flipped back. Strides, dilation, padding and output sizes as conv2d's.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd import Function, Tensor
from .._geometry import depthwise_kernel, op_inputs, spatial_geometry
from .conv import pad, tap, unpad


class DepthwiseConv2dRef(Function):
    """The loops of the module docstring, one vectorised product per kernel tap."""
    op = "depthwise_conv2d"

    def forward(self, x, w, bias=None, strides=1, padding="valid", dilation_rate=1):
        op = self.op
        kh, kw, c, m = depthwise_kernel(x, w, bias, op)
        self.strides, self.dilation, self.pads, self.out_hw = spatial_geometry(
            x, kh, kw, strides, padding, dilation_rate, op)
        self.xp, self.wf, self.has_bias = pad(x, self.pads), w[::-1, ::-1], bias is not None
        y = np.zeros((x.shape[0], *self.out_hw, c, m), dtype=np.result_type(x, w))
        for a, b in np.ndindex(kh, kw):
            y += self.x_ab(self.xp, a, b)[..., None] * self.wf[a, b]
        y = y.reshape(x.shape[0], *self.out_hw, c * m)
        return y if bias is None else y + bias.astype(y.dtype)

    def x_ab(self, xp: np.ndarray, a: int, b: int) -> np.ndarray:
        """The slice X_ab of xp that kernel tap (a, b) meets, (N, Ho, Wo, C), a view."""
        return tap(xp, a, b, self.strides, self.dilation, self.out_hw)

    def backward(self, g):
        kh, kw, c, m = self.wf.shape
        g5 = g.reshape(*g.shape[:3], c, m)
        dxp = np.zeros(self.xp.shape, dtype=np.result_type(g, self.wf))
        dwf = np.zeros(self.wf.shape, dtype=np.result_type(g, self.xp))
        for a, b in np.ndindex(kh, kw):
            dwf[a, b] = (self.x_ab(self.xp, a, b)[..., None] * g5).sum(axis=(0, 1, 2))
            self.x_ab(dxp, a, b)[...] += (g5 * self.wf[a, b]).sum(axis=-1)
        dx, dw = unpad(dxp, self.pads), dwf[::-1, ::-1]
        return (dx, dw, g.sum(axis=(0, 1, 2))) if self.has_bias else (dx, dw)


def depthwise_conv2d(x: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
                     dilation_rate: Any = 1) -> Tensor:
    """Depthwise true convolution: output channel c·M + m is conv2d(x[..., c:c+1],
    w[:, :, c:c+1, m:m+1]) + b[c·M + m]. Arguments and output sizes of
    tinydl.ops.depthwise.depthwise_conv2d."""
    return DepthwiseConv2dRef.apply(*op_inputs(x, w, b, "depthwise_conv2d"), strides=strides,
                                    padding=padding, dilation_rate=dilation_rate)
