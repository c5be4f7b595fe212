"""Resizing images to a given size (Keras' Resizing layer), as one linear op.

Both interpolations act on rows and columns separately, so a resize is two small
matrices, A_h (H_out × H) and A_w (W_out × W):  y[n] = A_h · x[n] · A_wᵀ per channel,
backward dx[n] = A_hᵀ · dy[n] · A_w.

* 'bilinear': A = `tinydl.resize.interpolation_matrix` (tf.image.resize's half-pixel
  centres, align_corners=False, no antialiasing), the same matrices UpSampling2D uses.
* 'nearest': row i of A picks source row ⌊(i + 0.5)·H/H_out⌋ (tf.image.resize's
  nearest neighbour with half-pixel centres), clamped to H - 1.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .autograd import Function, Tensor, to_array
from .conv import check_nhwc
from .resize import INTERPOLATIONS, interpolation_matrix


def nearest_matrix(length: int, new_length: int) -> np.ndarray:
    """(new_length, length) 0/1 matrix: row i has its 1 at ⌊(i + 0.5)·length/new_length⌋."""
    rows = np.arange(new_length)
    src = np.minimum(np.floor((rows + 0.5) * length / new_length).astype(np.intp), length - 1)
    a = np.zeros((new_length, length))
    a[rows, src] = 1.0
    return a


class Resize2D(Function):
    """y[n] = A_h · x[n] · A_wᵀ per channel (see the module)."""
    def forward(self, x, size=(1, 1), interpolation="bilinear"):
        n, h, w, c = self.x_shape = x.shape
        ho, wo = size
        make = interpolation_matrix if interpolation == "bilinear" else nearest_matrix
        self.a_h, self.a_w = make(h, ho).astype(x.dtype), make(w, wo).astype(x.dtype)
        rows = self.a_h @ x.reshape(n, h, w * c)                          # (n, ho, w·c)
        return (self.a_w @ rows.reshape(n * ho, w, c)).reshape(n, ho, wo, c)

    def backward(self, grad):
        n, h, w, c = self.x_shape
        _, ho, wo, _ = grad.shape
        cols = self.a_w.T @ grad.reshape(n * ho, wo, c)                   # (n·ho, w, c)
        return (self.a_h.T @ cols.reshape(n, ho, w * c)).reshape(n, h, w, c)


def resize2d(x: Any, size: Any, interpolation: str = "bilinear") -> Tensor:
    """Resize an (N, H, W, C) batch to (N, height, width, C).

    Args:
        x: (N, H, W, C), channels last.
        size: (height, width), positive ints.
        interpolation: 'bilinear' (default, as Keras' Resizing) or 'nearest'; see the
            module docstring for the formulas.
    """
    op = "resize2d"
    x = x if isinstance(x, Tensor) else Tensor(to_array(x, op, "x"))
    check_nhwc(x.data, op)
    if (not isinstance(size, tuple | list) or len(size) != 2
            or not all(isinstance(s, int | np.integer) and not isinstance(s, bool) and s >= 1
                       for s in size)):
        raise ValueError(f"{op}: size must be a pair (height, width) of positive ints, got "
                         f"{size!r}")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"{op}: interpolation must be one of {INTERPOLATIONS}, got "
                         f"{interpolation!r}")
    return Resize2D.apply(x, size=(int(size[0]), int(size[1])), interpolation=interpolation)
