"""Upsampling, resizing and padding as their formulas read. Read this first;
tinydl/ops/resize.py is the fast kernel (interpolation matrices, threads);
tests/test_reference_resize.py proves them equal.

Resizing (N, H, W, C) to (N, Ho, Wo, C): output row i reads one or two source rows r[i],
each with a weight weight_r[i] (the weights of a row sum to 1); columns alike. Then

    y[n, i, j, c] = Σ_(r, weight_r) Σ_(q, weight_q) weight_r[i]·weight_q[j]·x[n, r[i], q[j], c]

    bilinear (tf.image.resize, Keras 3; half-pixel centres, no antialiasing): with
        u = (i + 0.5)·H/Ho - 0.5 clamped to [0, H - 1], rows r0 = ⌊u⌋ with weight 1 - (u - r0)
        and r1 = min(r0 + 1, H - 1) with weight u - r0 (four corners in all)
    nearest: the one row min(⌊(i + 0.5)·H/Ho⌋, H - 1), with weight 1 (one corner)

upsampling2d by integer factors (s_h, s_w) is the resize to (H·s_h, W·s_w): its nearest rows
are ⌊i / s_h⌋, every pixel repeated s_h×s_w times. Backward: each corner sends
weight_r[i]·weight_q[j]·g[n, i, j, c] back to x[n, r[i], q[j], c], added up
(np.add.at, since many outputs read the same pixel).

pad2d: out[n, top + r, left + t, c] = x[n, r, t, c], `value` elsewhere; backward: g with
the border cut off.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd import Function, Tensor, to_array
from .. import resize as fast  # the argument rules (padding_pairs, INTERPOLATIONS), shared
from .._geometry import as_pair, check_nhwc
from .conv import unpad

def sources(length: int, new_length: int, interpolation: str):
    """[(r, weight), ...]: output i reads source index r[i] with weight weight[i], for each
    pair; 'nearest' has one pair (weight 1), 'bilinear' two, (r0, 1 - fr) and (r1, fr)."""
    i = np.arange(new_length)
    if interpolation == "nearest":
        r = np.minimum(np.floor((i + 0.5) * length / new_length).astype(np.intp), length - 1)
        return [(r, np.ones(new_length))]
    u = np.clip((i + 0.5) * length / new_length - 0.5, 0.0, length - 1.0)
    r0 = np.floor(u).astype(np.intp)
    return [(r0, 1.0 - (u - r0)), (np.minimum(r0 + 1, length - 1), u - r0)]


class Resize2dRef(Function):
    """The corner formula of the module docstring, and its adjoint."""
    op = "resize2d"

    def forward(self, x, size=(1, 1), interpolation="bilinear"):
        n, h, w, c = self.x_shape = x.shape
        rows, cols = sources(h, size[0], interpolation), sources(w, size[1], interpolation)
        # one corner per (row source, column source): indices r (Ho, 1), q (1, Wo) and the
        # weight weight_r[i]·weight_q[j] as (Ho, Wo, 1), to broadcast over n and c
        self.corners = [(r[:, None], q[None, :], np.outer(wr, wq)[..., None].astype(x.dtype))
                        for r, wr in rows for q, wq in cols]
        y = np.zeros((n, *size, c), dtype=x.dtype)
        for r, q, weight in self.corners:
            y += weight * x[:, r, q, :]
        return y

    def backward(self, g):
        dx = np.zeros(self.x_shape, dtype=g.dtype)
        for r, q, weight in self.corners:
            np.add.at(dx, (slice(None), r, q), weight * g)
        return dx


class Upsampling2dRef(Resize2dRef):
    """upsampling2d by (s_h, s_w): the resize to (H·s_h, W·s_w)."""
    op = "upsampling2d"

    def forward(self, x, size=(2, 2), interpolation="nearest"):
        op = self.op
        check_nhwc(x, op)
        sh, sw = as_pair(size, "size", op)
        if interpolation not in fast.INTERPOLATIONS:
            raise ValueError(f"{op}: interpolation must be one of {fast.INTERPOLATIONS}, got "
                             f"{interpolation!r}")
        return super().forward(x, (x.shape[1] * sh, x.shape[2] * sw), interpolation)


class Pad2dRef(Function):
    """out = `value` everywhere, x written inside the border; backward: g unpadded."""
    op = "pad2d"

    def forward(self, x, padding=(1, 1), value=0.0):
        check_nhwc(x, self.op)
        (top, bottom), (left, right) = self.pads = fast.padding_pairs(padding, self.op)
        if not isinstance(value, int | float | np.integer | np.floating) or isinstance(value, bool):
            raise TypeError(f"pad2d: value must be a real number, got {type(value).__name__}")
        n, h, w, c = x.shape
        out = np.full((n, top + h + bottom, left + w + right, c), value, dtype=x.dtype)
        out[:, top:top + h, left:left + w, :] = x
        return out

    def backward(self, g):
        return unpad(g, self.pads)


def _input(x: Any, op: str) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(to_array(x, op, "x"))


def upsampling2d(x: Any, size: Any = (2, 2), interpolation: str = "nearest") -> Tensor:
    """(N, H, W, C) -> (N, H·s_h, W·s_w, C), 'nearest' or 'bilinear'; arguments of
    tinydl.ops.resize.upsampling2d."""
    return Upsampling2dRef.apply(_input(x, "upsampling2d"), size=size,
                                 interpolation=interpolation)


def pad2d(x: Any, padding: Any = (1, 1), value: float = 0.0) -> Tensor:
    """A border of `value` around each image; arguments of tinydl.ops.resize.pad2d."""
    return Pad2dRef.apply(_input(x, "pad2d"), padding=padding, value=value)


def resize2d(x: Any, size: Any, interpolation: str = "bilinear") -> Tensor:
    """(N, H, W, C) -> (N, height, width, C), 'bilinear' or 'nearest'; arguments and checks
    of tinydl.ops.resize.resize2d."""
    x, size = fast.resize2d_inputs(x, size, interpolation)
    return Resize2dRef.apply(x, size=size, interpolation=interpolation)
