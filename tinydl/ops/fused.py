"""Convolution, ReLU and max pooling as one op: the block the article's network repeats (§4).

    y = max_pool2d(relu(conv2d(x, w) + b), pool_size)      windows that tile the image
                                                          (strides = pool size, 'valid')

Three ops in a row each write a whole activation to memory and read it back: on the
article's first block, (128, 26, 26, 32) floats, 11 MB, written by the convolution, read
and written by the ReLU, read by the pooling, and the same again, gradients this time, in
the backward pass. Here the convolution runs a few samples at a time (as `conv2d` does,
tinydl/ops/conv.py) and each piece of its output z is pooled while it is still in the cache;
only the pooled map (ph·pw times smaller), the offset of each window's maximum and the
patches stay. Since the ReLU is monotone, relu(max(z)) = max(relu(z)): the pooling runs
on z and the ReLU on the pooled values.

Backward, with g = dL/dy (N, Ho', Wo', C_out):

    G  = g · [y > 0]                                   the ReLU's backward
    dz = G at each window's winning offset, 0 elsewhere  max pooling's (`route_tiled`)
    dW, db, dx from dz exactly as conv2d's backward      (`patch_gradient`, `input_gradient`)

each piece's dz rebuilt in the cache just before its product. The values and gradients
are those of the three ops (`tests/test_conv_pool.py` checks both, and gradcheck). A
`Model` runs this op for a Conv2D(activation='relu') whose only consumer is a tiling
MaxPooling2D (tinydl/models/fusion.py).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, Tensor
from . import _patches
from ._geometry import as_pair, channel_sums, kernel_geometry, op_inputs, pad_or_crop
from ._input_grad import input_gradient
from ._patches import (add_transposed_product, is_pointwise, kernel_matrix, patch_rows,
                       sample_chunks)
from .pooling import MAX_TILED_OFFSETS, route_tiled, tiled_max
from . import _kernels
from .reference import fused as reference_fused


class Conv2dReluMaxPoolOp(Function):
    """The op of `conv2d_relu_max_pool` (see the module docstring for the math): the
    forward keeps the pooled map y, the winner offsets and (up to _patches.KEEP_BYTES) the
    patch pieces; the backward returns (dx, dw[, db]), each only where asked for.

    Read first: tinydl/ops/reference/fused.py (the same op as its formula reads;
    tests/test_reference_conv.py proves them equal)."""
    op = "conv2d_relu_max_pool"

    def forward(self, x, w, b=None, strides=1, padding="valid", dilation_rate=1, pool_size=2):
        op = self.op
        wf = w[::-1, ::-1]                         # conv2d = correlation, kernel turned
        self.strides, self.dilation, self.pads, self.out_hw = kernel_geometry(
            x, wf, strides, padding, dilation_rate, op)
        ph, pw = self.pool = as_pair(pool_size, "pool_size", op)
        (ho, wo), (kh, kw, cin, cout) = self.out_hw, w.shape
        if ho < ph or wo < pw:
            raise ValueError(f"{op}: the {ph}×{pw} pooling window is larger than the "
                             f"convolution's output ({ho}×{wo})")
        if ph * pw > MAX_TILED_OFFSETS:
            raise ValueError(f"{op}: pool_size {self.pool} has more than {MAX_TILED_OFFSETS} "
                             f"offsets")
        if b is not None and b.shape != (cout,):
            raise ValueError(f"{op}: bias must have shape ({cout},) (one per output channel); "
                             f"got shape {b.shape}")
        self.w, self.has_bias = w, b is not None
        self.xp = pad_or_crop(x, *self.pads)
        dtype = np.result_type(x.dtype, w.dtype)
        self.ones = b is not None and not is_pointwise(kh, kw, self.strides)
        weights = kernel_matrix(wf, b, dtype, self.ones)
        n, k = x.shape[0], kh * kw * cin + self.ones
        keep = n * ho * wo * k * x.itemsize <= _patches.KEEP_BYTES
        # a piece holds its patches and its output z: both should stay in the cache
        self.pieces = sample_chunks(n, ho * wo * (k + cout) * x.itemsize)
        self.kept: list[np.ndarray | None] = []
        z = np.empty((self.pieces[0].stop, ho, wo, cout), dtype=dtype)
        self.y = np.empty((n, ho // ph, wo // pw, cout), dtype=dtype)
        self.winner = np.empty(self.y.shape, dtype=np.uint8)
        for s in self.pieces:
            zs = z[:s.stop - s.start]
            cols = patch_rows(self.xp, s, kh, kw, self.strides, self.dilation, self.out_hw,
                              self.ones)
            np.matmul(cols, weights, out=zs.reshape(-1, cout))
            if b is not None and not self.ones:
                zs += b.astype(dtype, copy=False)
            tiled_max(zs, self.pool, self.y[s], self.winner[s])
            self.kept.append(cols if keep else None)
        np.maximum(self.y, 0, out=self.y)
        return self.y

    def backward(self, grad):
        kh, kw, cin, cout = self.w.shape
        (ho, wo), n = self.out_hw, len(grad)
        need_x = self.needs_grad[0]
        need_wb = self.needs_grad[1] or (self.has_bias and self.needs_grad[2])
        g = grad * (self.y > 0)
        dz_all = np.empty((n, ho, wo, cout), dtype=g.dtype) if need_x else None
        scratch = np.empty((self.pieces[0].stop, ho, wo, cout), dtype=g.dtype)
        k = kh * kw * cin
        dwb = np.zeros((k + self.ones, cout), dtype=np.result_type(self.xp.dtype, g.dtype))
        db = np.zeros(cout, dtype=dwb.dtype) if self.has_bias and not self.ones else None
        for s, cols in zip(self.pieces, self.kept):
            dz = dz_all[s] if need_x else scratch[:s.stop - s.start]
            route_tiled(g[s], self.winner[s], self.pool, dz)
            if not need_wb:
                continue
            if cols is None:
                cols = patch_rows(self.xp, s, kh, kw, self.strides, self.dilation,
                                  self.out_hw, self.ones)
            rows = dz.reshape(-1, cout)
            add_transposed_product(cols, rows, dwb)
            if db is not None:
                db += channel_sums(rows)
        self.kept = []
        dw = dwb[:k].reshape(self.w.shape)[::-1, ::-1] if self.needs_grad[1] else None
        dx = None
        if need_x:
            dx = input_gradient(dz_all, self.w[::-1, ::-1], self.strides, self.pads,
                                self.xp.shape, self.out_hw, self.dilation)
        if not self.has_bias:
            return dx, dw
        return dx, dw, (dwb[k] if self.ones else db) if self.needs_grad[2] else None


def conv2d_relu_max_pool(x: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
                         dilation_rate: Any = 1, pool_size: Any = 2) -> Tensor:
    """max_pool2d(max(0, conv2d(x, w, b, strides, padding, dilation_rate)), pool_size) as
    one op, the pooling windows tiling the convolution's output (pooling strides = pool
    size, 'valid': rows and columns past the last whole window are left out).

    Args:
        x: (N, H, W, C_in); w: (kh, kw, C_in, C_out); b: optional (C_out,).
        strides, padding, dilation_rate: the convolution's, as for `conv2d`.
        pool_size: int or (ph, pw), at most 255 offsets.
    Returns:
        (N, Ho // ph, Wo // pw, C_out), (Ho, Wo) the convolution's output size.
    """
    if _kernels.reference():
        return reference_fused.conv2d_relu_max_pool(x, w, b, strides, padding, dilation_rate,
                                                    pool_size)
    return Conv2dReluMaxPoolOp.apply(*op_inputs(x, w, b, Conv2dReluMaxPoolOp.op), strides=strides,
                                   padding=padding, dilation_rate=dilation_rate,
                                   pool_size=pool_size)
