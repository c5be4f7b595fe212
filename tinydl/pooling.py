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

from .autograd import Function, Tensor, to_array
from .conv import as_pair, check_nhwc, padding_amounts


def _windows(xp: np.ndarray, pool: tuple[int, int], strides: tuple[int, int],
             out_hw: tuple[int, int]) -> np.ndarray:
    """A read-only strided view (N, Ho, Wo, ph, pw, C) of every pooling window (no copy)."""
    n, _, _, c = xp.shape
    s0, s1, s2, s3 = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp, shape=(n, *out_hw, *pool, c),
        strides=(s0, s1 * strides[0], s2 * strides[1], s1, s2, s3), writeable=False)


class _Pool2D(Function):
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
        self.overlapping = self.strides[0] < self.pool[0] or self.strides[1] < self.pool[1]
        xp = np.pad(x, ((0, 0), *self.pads, (0, 0)), constant_values=fill) if top + bottom + left + right else x
        self.padded_shape = xp.shape
        return xp

    def slab(self, xp: np.ndarray, a: int, b: int) -> np.ndarray:
        """The pixel at offset (a, b) of every window: a strided view (N, Ho, Wo, C)."""
        (sh, sw), (ho, wo) = self.strides, self.out_hw
        return xp[:, a:a + sh * (ho - 1) + 1:sh, b:b + sw * (wo - 1) + 1:sw, :]

    def crop(self, dxp: np.ndarray) -> np.ndarray:
        (top, bottom), (left, right) = self.pads
        return dxp[:, top:dxp.shape[1] - bottom, left:dxp.shape[2] - right, :]


class MaxPool2D(_Pool2D):
    """Forward: a running maximum over the ph·pw window offsets, each step one
    whole-batch np.maximum with the strided slab x_p[:, a::sh, b::sw, :].

    Backward: each output's gradient goes to one input pixel, the first maximum of its
    window in row-major order (as Keras and PyTorch do when values tie). Walking the
    offsets in that order, an offset claims the windows whose maximum it holds and that
    no earlier offset has claimed.
    """
    op = "max_pool2d"

    def forward(self, x, pool_size=2, strides=None, padding="valid"):
        self.xp = self.setup(x, pool_size, strides, padding, fill=-np.inf)
        self.out = self.slab(self.xp, 0, 0).copy()
        for k in range(1, self.pool[0] * self.pool[1]):
            np.maximum(self.out, self.slab(self.xp, *divmod(k, self.pool[1])), out=self.out)
        return self.out

    def backward(self, grad):
        dxp = np.zeros(self.padded_shape, dtype=grad.dtype)
        unclaimed = np.ones(self.out.shape, dtype=bool)
        offsets = [divmod(k, self.pool[1]) for k in range(self.pool[0] * self.pool[1])]
        for a, b in offsets:
            if (a, b) == offsets[-1]:
                hit = unclaimed                 # whatever is left is the last offset's
            else:
                hit = self.slab(self.xp, a, b) == self.out
                hit &= unclaimed
                unclaimed ^= hit
            view = self.slab(dxp, a, b)
            if self.overlapping:                # windows share pixels: gradients add up
                view += grad * hit
            else:                               # each pixel in one window: write in place
                np.multiply(grad, hit, out=view)
        return self.crop(dxp)


class AvgPool2D(_Pool2D):
    """y = (window sum) / (number of real pixels in the window); backward spreads
    g / count evenly over each window's pixels."""
    op = "avg_pool2d"

    def forward(self, x, pool_size=2, strides=None, padding="valid"):
        xp = self.setup(x, pool_size, strides, padding, fill=0)
        ones = np.pad(np.ones((1, *x.shape[1:3], 1), x.dtype), ((0, 0), *self.pads, (0, 0)))
        self.count = _windows(ones, self.pool, self.strides, self.out_hw).sum(axis=(3, 4))
        return _windows(xp, self.pool, self.strides, self.out_hw).sum(axis=(3, 4)) / self.count

    def backward(self, grad):
        g = grad / self.count
        dxp = np.zeros(self.padded_shape, dtype=grad.dtype)
        for a in range(self.pool[0]):
            for b in range(self.pool[1]):
                self.slab(dxp, a, b)[...] += g
        return self.crop(dxp)


def max_pool2d(x: Any, pool_size: Any = 2, strides: Any = None, padding: Any = "valid") -> Tensor:
    """Max over each pool_size window of an (N, H, W, C) batch -> (N, Ho, Wo, C).

    strides default to pool_size; Ho = floor((H + pads - ph) / sh) + 1.
    """
    x = x if isinstance(x, Tensor) else Tensor(to_array(x, "max_pool2d", "x"))
    return MaxPool2D.apply(x, pool_size=pool_size, strides=strides, padding=padding)


def avg_pool2d(x: Any, pool_size: Any = 2, strides: Any = None, padding: Any = "valid") -> Tensor:
    """Mean over each pool_size window of an (N, H, W, C) batch -> (N, Ho, Wo, C).

    strides default to pool_size; padded pixels are not counted in the mean.
    """
    x = x if isinstance(x, Tensor) else Tensor(to_array(x, "avg_pool2d", "x"))
    return AvgPool2D.apply(x, pool_size=pool_size, strides=strides, padding=padding)
