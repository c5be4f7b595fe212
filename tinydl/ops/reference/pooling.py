"""Max and average pooling as their formulas read, one loop over the window's taps. Read this
first; tinydl/ops/pooling.py is the fast kernel (tests/test_reference_pooling.py proves them
equal, ties included).

For an (N, H, W, C) batch, window (ph, pw), strides (sh, sw) (default: the window) and x_p
the padded input, tap (a, b) of every window is the slice X_ab = x_p[:, sh·i + a, sw·j + b, :]:

    max:  y = max over the taps (a, b) of X_ab           (padding: -∞, it never wins)
    avg:  y = Σ_{a,b} X_ab / count,  count[i, j] = the number of real (unpadded) pixels
          in window (i, j)                               (padding: 0, and not counted)

Backward, with g = dL/dy:
    max:  g goes to one pixel per window, the FIRST maximum in window order (row by row,
          a then b): tap k = a·pw + b wins when it is strictly larger than taps 0..k-1,
          so a later tap equal to the maximum does not take over. This is how the fast
          kernel, Keras and PyTorch break ties.
    avg:  every tap of window (i, j) gets g[i, j] / count[i, j].
Overlapping windows (strides < window) add their gradients on the pixels they share.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd import Function, Tensor, to_array
from .._geometry import as_pair, check_nhwc, padding_amounts
from .conv import pad, tap, unpad


class PoolWindows:
    """What both poolings share: the window geometry and its checks (the fast op's, with the
    same messages). Not a Function itself: MaxPool2dRef and AvgPool2dRef are."""
    op = "pool2d"

    def setup(self, x, pool_size, strides, padding, fill: float) -> np.ndarray:
        """x padded with `fill`; sets self.pool, self.strides, self.pads, self.out_hw."""
        op = self.op
        check_nhwc(x, op)
        self.pool = ph, pw = as_pair(pool_size, "pool_size", op)
        self.strides = self.pool if strides is None else as_pair(strides, "strides", op)
        top, bottom, ho = padding_amounts(x.shape[1], ph, self.strides[0], padding, 0, op)
        left, right, wo = padding_amounts(x.shape[2], pw, self.strides[1], padding, 1, op)
        if max(top, bottom) >= ph or max(left, right) >= pw:
            raise ValueError(f"{op}: padding {padding!r} must be smaller than the pool size "
                             f"{self.pool}, or some windows would hold only padding")
        self.pads, self.out_hw = ((top, bottom), (left, right)), (ho, wo)
        return pad(x, self.pads, fill)

    def x_ab(self, xp: np.ndarray, a: int, b: int) -> np.ndarray:
        """Tap (a, b) of every window, X_ab (N, Ho, Wo, C), a view of xp."""
        return tap(xp, a, b, self.strides, (1, 1), self.out_hw)


class MaxPool2dRef(PoolWindows, Function):
    """y = the first maximum over the taps; `winner` keeps which tap k = a·pw + b it was."""
    op = "max_pool2d"

    def forward(self, x, pool_size=2, strides=None, padding="valid"):
        xp = self.setup(x, pool_size, strides, padding, -np.inf)
        self.xp_shape = xp.shape
        y = self.x_ab(xp, 0, 0)
        self.winner = np.zeros(y.shape, dtype=np.intp)
        for k, (a, b) in enumerate(np.ndindex(*self.pool)):
            x_ab = self.x_ab(xp, a, b)
            larger = x_ab > y                 # strictly: a tie stays with the earlier tap
            y = np.where(larger, x_ab, y)
            self.winner[larger] = k
        return y

    def backward(self, g):
        dxp = np.zeros(self.xp_shape, dtype=g.dtype)
        for k, (a, b) in enumerate(np.ndindex(*self.pool)):
            self.x_ab(dxp, a, b)[...] += np.where(self.winner == k, g, 0)
        return unpad(dxp, self.pads)


class AvgPool2dRef(PoolWindows, Function):
    """y = Σ_{a,b} X_ab / count, count the real pixels of each window."""
    op = "avg_pool2d"

    def forward(self, x, pool_size=2, strides=None, padding="valid"):
        xp = self.setup(x, pool_size, strides, padding, 0.0)
        real = pad(np.ones((1, *x.shape[1:3], 1), dtype=x.dtype), self.pads)  # 1: a real pixel
        total = np.zeros((x.shape[0], *self.out_hw, x.shape[3]), dtype=x.dtype)
        self.count = np.zeros((1, *self.out_hw, 1), dtype=x.dtype)
        for a, b in np.ndindex(*self.pool):
            total += self.x_ab(xp, a, b)
            self.count += self.x_ab(real, a, b)
        self.xp_shape = xp.shape
        return total / self.count

    def backward(self, g):
        dxp = np.zeros(self.xp_shape, dtype=g.dtype)
        for a, b in np.ndindex(*self.pool):
            self.x_ab(dxp, a, b)[...] += g / self.count
        return unpad(dxp, self.pads)


def max_pool2d(x: Any, pool_size: Any = 2, strides: Any = None, padding: Any = "valid") -> Tensor:
    """Max over each pool_size window of an (N, H, W, C) batch -> (N, Ho, Wo, C); arguments
    and output sizes of tinydl.ops.pooling.max_pool2d."""
    x = x if isinstance(x, Tensor) else Tensor(to_array(x, "max_pool2d", "x"))
    return MaxPool2dRef.apply(x, pool_size=pool_size, strides=strides, padding=padding)


def avg_pool2d(x: Any, pool_size: Any = 2, strides: Any = None, padding: Any = "valid") -> Tensor:
    """Mean over the real pixels of each pool_size window of an (N, H, W, C) batch; arguments
    and output sizes of tinydl.ops.pooling.avg_pool2d."""
    x = x if isinstance(x, Tensor) else Tensor(to_array(x, "avg_pool2d", "x"))
    return AvgPool2dRef.apply(x, pool_size=pool_size, strides=strides, padding=padding)
