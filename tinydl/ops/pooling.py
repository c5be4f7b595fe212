"""Max and average pooling over NHWC batches (the MaxPooling2D of the article's listing).

For window size (ph, pw), strides (sh, sw) and the input padded to x_p:
    max:  y[n, i, j, c] = max_{a<ph, b<pw} x_p[n, sh·i + a, sw·j + b, c]
    avg:  y[n, i, j, c] = mean of the same window over the *real* (unpadded) pixels
Strides default to the pool size (non-overlapping windows), as in Keras. Padding is
'valid', 'same' (Keras' rule, as for conv2d), an int or a pair; max pooling pads with -∞
and average pooling leaves the padding out of the count, both as Keras does.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, Tensor, to_array
from ..parallel import over_batch
from ._geometry import as_pair, check_nhwc, padding_amounts, window_offset
from . import _kernels
from .reference import pooling as reference_pooling


#: Tiled max pooling records each window's winning offset as a uint8: windows of at most
#: this many pixels (a 15×17 window); larger ones take the comparing backward.
MAX_TILED_OFFSETS = 255


class Pool2dOp(Function):
    op = "pool2d"

    def setup(self, x, pool_size, strides, padding, fill):
        check_nhwc(x, self.op)
        self.pool = as_pair(pool_size, "pool_size", self.op)
        self.strides = self.pool if strides is None else as_pair(strides, "strides", self.op)
        top, bottom, ho = padding_amounts(x.shape[1], self.pool[0], self.strides[0], padding, 0, self.op)
        left, right, wo = padding_amounts(x.shape[2], self.pool[1], self.strides[1], padding, 1, self.op)
        if max(top, bottom) >= self.pool[0] or max(left, right) >= self.pool[1]:
            raise ValueError(f"{self.op}: padding {padding!r} must be smaller than the pool size "
                             f"{self.pool}, or some windows would hold only padding")
        self.pads, self.out_hw = ((top, bottom), (left, right)), (ho, wo)
        xp = np.pad(x, ((0, 0), *self.pads, (0, 0)), constant_values=fill) if top + bottom + left + right else x
        self.padded_shape = xp.shape
        return xp

    def offsets(self) -> list[tuple[int, int]]:
        """Every (a, b) position inside a window, row by row."""
        return [(a, b) for a in range(self.pool[0]) for b in range(self.pool[1])]

    def crop(self, dxp: np.ndarray) -> np.ndarray:
        (top, bottom), (left, right) = self.pads
        return dxp[:, top:dxp.shape[1] - bottom, left:dxp.shape[2] - right, :]


def _offset(x: np.ndarray, axis: int, j: int, stride: int, n: int) -> np.ndarray:
    """Element j of every window along `axis` (1 rows, 2 columns): x[..., j::stride, ...]
    cut to n windows. A strided view, no copy."""
    index = [slice(None)] * 4
    index[axis] = slice(j, j + stride * (n - 1) + 1, stride)
    return x[tuple(index)]


def _max_along(x: np.ndarray, axis: int, k: int, stride: int, out: np.ndarray) -> None:
    """out = the maximum over windows of k elements along one axis: a running maximum
    over the k offsets, one np.maximum over the whole (part of the) batch per offset."""
    n = out.shape[axis]
    if k == 1:
        out[...] = _offset(x, axis, 0, stride, n)
        return
    np.maximum(_offset(x, axis, 0, stride, n), _offset(x, axis, 1, stride, n), out=out)
    for j in range(2, k):
        np.maximum(out, _offset(x, axis, j, stride, n), out=out)


def _route_along(grad: np.ndarray, x: np.ndarray, best: np.ndarray, axis: int, k: int,
                 stride: int, out: np.ndarray) -> None:
    """Adjoint of _max_along: each window's gradient goes to the first of its elements
    that equals the window's maximum (ties: the earliest offset wins). `out` has x's
    shape and must start at zero where no window reaches.

    Walking the offsets in order, offset j claims the windows not claimed yet whose
    maximum it holds; the last offset gets what is left. Windows that overlap
    (stride < k) share elements, whose gradients add up; otherwise each element is in
    at most one window and is written once."""
    n = grad.shape[axis]
    unclaimed = None
    for j in range(k):
        if j < k - 1:
            winners = _offset(x, axis, j, stride, n) == best
            if unclaimed is None:
                unclaimed = ~winners
            else:
                winners &= unclaimed
                unclaimed ^= winners
        else:
            winners = unclaimed if unclaimed is not None else np.ones(best.shape, dtype=bool)
        view = _offset(out, axis, j, stride, n)
        if stride < k:
            view += grad * winners
        else:
            np.multiply(grad, winners, out=view)


def _gradient_buffer(shape: tuple[int, ...], axis: int, k: int, stride: int, n: int,
                     dtype: np.dtype) -> np.ndarray:
    """Room for a gradient routed back along `axis`: uninitialised when the windows tile
    that axis exactly (every element gets written), zeros otherwise."""
    tiled = stride == k and n * k == shape[axis]
    return (np.empty if tiled else np.zeros)(shape, dtype=dtype)


class MaxPool2dOp(Pool2dOp):
    """A 2-D window's maximum is the maximum of its rows' maxima, so max-pooling runs as
    two 1-D passes: across each window's columns (one maximum per image row and window
    column), then down each window's rows. Each pass is a running maximum over the
    window offsets, one whole-batch np.maximum per offset on a strided view; the batch
    is shared out between the cores (tinydl.parallel).

    Backward routes each output's gradient back through the two passes to a single input
    pixel: the first maximum of its window in row-major order (the first winning row,
    then the first winning column in it), as Keras and PyTorch do when values tie.

    Read first: tinydl/ops/reference/pooling.py (the same op as its formula reads;
    tests/test_reference_pooling.py proves them equal).
    """
    op = "max_pool2d"

    def forward(self, x, pool_size=2, strides=None, padding="valid"):
        xp = self.xp = self.setup(x, pool_size, strides, padding, fill=-np.inf)
        (ph, pw), (sh, sw), (ho, wo) = self.pool, self.strides, self.out_hw
        n, hp, _, c = xp.shape
        if (sh, sw) == (ph, pw) and ph * pw <= MAX_TILED_OFFSETS:
            return self._forward_tiled()
        self.row_max = np.empty((n, hp, wo, c), dtype=x.dtype)    # max across columns
        self.out = np.empty((n, ho, wo, c), dtype=x.dtype)        # then down the rows

        def work(s):
            _max_along(xp[s], 2, pw, sw, self.row_max[s])
            _max_along(self.row_max[s], 1, ph, sh, self.out[s])
        over_batch(work, n, xp.size)
        return self.out

    def backward(self, grad):
        (ph, pw), (sh, sw), (ho, wo) = self.pool, self.strides, self.out_hw
        if self.winner is not None:
            return self.crop(self._route_tiled(grad))
        g_rows = _gradient_buffer(self.row_max.shape, 1, ph, sh, ho, grad.dtype)
        dxp = _gradient_buffer(self.padded_shape, 2, pw, sw, wo, grad.dtype)

        def work(s):
            _route_along(grad[s], self.row_max[s], self.out[s], 1, ph, sh, g_rows[s])
            _route_along(g_rows[s], self.xp[s], self.row_max[s], 2, pw, sw, dxp[s])
        over_batch(work, len(grad), dxp.size)
        return self.crop(dxp)


    winner = None    # tiled windows: the offset of each window's first maximum

    def _forward_tiled(self):
        """Forward when the windows tile the image (strides = pool size, Keras' default):
        `tiled_max`, the batch shared out between the cores."""
        n, c = self.padded_shape[0], self.padded_shape[3]
        self.out = np.empty((n, *self.out_hw, c), dtype=self.xp.dtype)
        self.winner = np.empty((n, *self.out_hw, c), dtype=np.uint8)
        over_batch(lambda s: tiled_max(self.xp[s], self.pool, self.out[s], self.winner[s]),
                   n, self.xp.size)
        return self.out

    def _route_tiled(self, grad):
        """Backward of `_forward_tiled`: `route_tiled`, the batch shared out."""
        dxp = np.empty(self.padded_shape, grad.dtype)
        over_batch(lambda s: route_tiled(grad[s], self.winner[s], self.pool, dxp[s]),
                   len(grad), dxp.size)
        return dxp


def tiled_max(x: np.ndarray, pool: tuple[int, int], out: np.ndarray,
              winner: np.ndarray) -> None:
    """Max pooling with windows that tile the image (strides = pool size, 'valid').

    x (N, H, W, C) is viewed as (N, Ho, ph, Wo, pw, C), Ho = H // ph, Wo = W // pw (rows
    and columns past the last whole window are left out, as Keras does), so each window
    is one (ph, pw) block. Into out (N, Ho, Wo, C) goes each window's maximum, and into
    winner (same shape, uint8) the index k = ph·a + b of the offset (a, b) that holds the
    first maximum in row-major order: a running maximum over the offsets in which a later
    offset takes over only when strictly larger, so ties go to the earliest, as in Keras
    and PyTorch. The backward (`route_tiled`) then needs no comparison with x again."""
    (ph, pw), (n, ho, wo, c) = pool, out.shape
    blocks = x[:, :ho * ph, :wo * pw].reshape(n, ho, ph, wo, pw, c)
    np.copyto(out, blocks[:, :, 0, :, 0])
    winner[...] = 0
    larger = np.empty(out.shape, dtype=bool)
    taken = larger.view(np.uint8)              # the same bytes as 0/1 numbers
    for k in range(1, ph * pw):
        candidate = blocks[:, :, k // pw, :, k % pw]
        np.greater(candidate, out, out=larger)
        np.maximum(out, candidate, out=out)
        # winner = k where larger: k exceeds every earlier index, so a maximum does it
        # (a masked write is branchy and slow on a patternless mask)
        taken *= np.uint8(k)
        np.maximum(winner, taken, out=winner)


def route_tiled(grad: np.ndarray, winner: np.ndarray, pool: tuple[int, int],
                dx: np.ndarray) -> None:
    """The adjoint of `tiled_max`: dx (N, H, W, C) gets, at offset k of every window,
    grad (N, Ho, Wo, C) where k won and 0 elsewhere (one product per offset); rows and
    columns that no window covers get 0. Every element of dx is written."""
    (ph, pw), (n, ho, wo, c) = pool, grad.shape
    if dx.shape[1] != ho * ph:
        dx[:, ho * ph:] = 0
    if dx.shape[2] != wo * pw:
        dx[:, :, wo * pw:] = 0
    blocks = dx[:, :ho * ph, :wo * pw].reshape(n, ho, ph, wo, pw, c)
    won = np.empty(grad.shape, dtype=bool)
    for k in range(ph * pw):
        np.equal(winner, k, out=won)
        np.multiply(grad, won, out=blocks[:, :, k // pw, :, k % pw])


class AvgPool2dOp(Pool2dOp):
    """y = (window sum) / (number of real pixels in the window); backward spreads
    g / count evenly over each window's pixels.

    Read first: tinydl/ops/reference/pooling.py (the same op as its formula reads;
    tests/test_reference_pooling.py proves them equal)."""
    op = "avg_pool2d"

    def forward(self, x, pool_size=2, strides=None, padding="valid"):
        xp = self.setup(x, pool_size, strides, padding, fill=0)
        real = np.pad(np.ones((1, *x.shape[1:3], 1), x.dtype), ((0, 0), *self.pads, (0, 0)))
        total = np.zeros((x.shape[0], *self.out_hw, x.shape[3]), dtype=x.dtype)
        self.count = np.zeros((1, *self.out_hw, 1), dtype=x.dtype)
        for a, b in self.offsets():
            total += window_offset(xp, a, b, self.strides, self.out_hw)
            self.count += window_offset(real, a, b, self.strides, self.out_hw)
        return total / self.count

    def backward(self, grad):
        g = grad / self.count
        dxp = np.zeros(self.padded_shape, dtype=grad.dtype)
        for a, b in self.offsets():
            window_offset(dxp, a, b, self.strides, self.out_hw)[...] += g
        return self.crop(dxp)


def max_pool2d(x: Any, pool_size: Any = 2, strides: Any = None, padding: Any = "valid") -> Tensor:
    """Max over each pool_size window of an (N, H, W, C) batch -> (N, Ho, Wo, C).

    strides default to pool_size; Ho = floor((H + pads - ph) / sh) + 1.
    """
    if _kernels.reference():
        return reference_pooling.max_pool2d(x, pool_size, strides, padding)
    x = x if isinstance(x, Tensor) else Tensor(to_array(x, "max_pool2d", "x"))
    return MaxPool2dOp.apply(x, pool_size=pool_size, strides=strides, padding=padding)


def avg_pool2d(x: Any, pool_size: Any = 2, strides: Any = None, padding: Any = "valid") -> Tensor:
    """Mean over each pool_size window of an (N, H, W, C) batch -> (N, Ho, Wo, C).

    strides default to pool_size; padded pixels are not counted in the mean.
    """
    if _kernels.reference():
        return reference_pooling.avg_pool2d(x, pool_size, strides, padding)
    x = x if isinstance(x, Tensor) else Tensor(to_array(x, "avg_pool2d", "x"))
    return AvgPool2dOp.apply(x, pool_size=pool_size, strides=strides, padding=padding)
