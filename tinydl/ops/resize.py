"""Resizing the spatial axes of an NHWC batch: upsampling, padding, resizing to a size.

`upsampling2d` enlarges each image by integer factors (s_h, s_w), as Keras' UpSampling2D
(the fixed, weight-free upsampling of a generator or a U-Net decoder):

* 'nearest' repeats each pixel s_h×s_w times: y[n, i, j, c] = x[n, ⌊i/s_h⌋, ⌊j/s_w⌋, c].
  Backward: every input pixel receives the sum of the gradient over its s_h×s_w block.
* 'bilinear' interpolates as tf.image.resize does for Keras 3 (half-pixel centres,
  align_corners=False, no antialiasing; also torch.nn.functional.interpolate(
  mode='bilinear', align_corners=False)). Output row i reads the source position

      u = (i + 0.5)/s_h - 0.5,   clamped to [0, H-1],

  mixing rows ⌊u⌋ and ⌊u⌋+1 (the last row at the border) with weights 1 - (u - ⌊u⌋) and
  u - ⌊u⌋; columns alike. The map is linear and acts on rows and columns separately, so
  it is two small matrices, A_h (H·s_h × H) and A_w (W·s_w × W), each row holding the
  two weights:  y[n] = A_h · x[n] · A_wᵀ per channel. Backward: dx[n] = A_hᵀ · dy[n] · A_w.

`pad2d` surrounds each image with a border of a constant (Keras' ZeroPadding2D for the
value 0); its backward cuts the border off the gradient. Cropping needs no op of its
own: slicing (`x[:, t:H-b, l:W-r, :]`) already has a gradient.

`resize2d` resizes images to a given size (Keras' Resizing layer), as one linear op.

Both interpolations act on rows and columns separately, so a resize is two small
matrices, A_h (H_out × H) and A_w (W_out × W):  y[n] = A_h · x[n] · A_wᵀ per channel,
backward dx[n] = A_hᵀ · dy[n] · A_w.

* 'bilinear': A = `interpolation_matrix` (tf.image.resize's half-pixel
  centres, align_corners=False, no antialiasing), the same matrices UpSampling2D uses.
* 'nearest': row i of A picks source row ⌊(i + 0.5)·H/H_out⌋ (tf.image.resize's
  nearest neighbour with half-pixel centres), clamped to H - 1.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, Tensor, to_array
from ..parallel import over_batch
from ._geometry import as_pair, check_nhwc
from . import _kernels
from .reference import resize as reference_resize

INTERPOLATIONS = ("nearest", "bilinear")


def interpolation_matrix(length: int, new_length: int) -> np.ndarray:
    """A (new_length, length) float64 matrix A with A @ v = v resized bilinearly to
    new_length values (half-pixel centres, tf.image.resize and torch's
    align_corners=False; the source position clamped to [0, length-1]).

    Row i holds 1 - f at column ⌊u⌋ and f at column min(⌊u⌋ + 1, length - 1), where
    u = clip((i + 0.5)·length/new_length - 0.5, 0, length - 1) and f = u - ⌊u⌋; each row
    sums to 1. An integer factor s (new_length = s·length) gives u = (i + 0.5)/s - 0.5.
    """
    rows = np.arange(new_length)
    u = np.clip((rows + 0.5) * length / new_length - 0.5, 0.0, length - 1.0)
    lo = np.floor(u).astype(np.intp)
    hi = np.minimum(lo + 1, length - 1)
    frac = u - lo
    a = np.zeros((new_length, length))
    np.add.at(a, (rows, lo), 1.0 - frac)   # add, not assign: lo == hi at the last row
    np.add.at(a, (rows, hi), frac)
    return a


def row_col_product(a_h: np.ndarray, a_w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """y[n] = A_h · x[n] · A_wᵀ for every sample and channel: x (N, H, W, C), A_h (H', H),
    A_w (W', W) -> (N, H', W', C), as two batched products (rows, then columns)."""
    n, h, w, c = x.shape
    rows = a_h @ x.reshape(n, h, w * c)                                   # (n, H', w·c)
    return (a_w @ rows.reshape(n * a_h.shape[0], w, c)).reshape(n, a_h.shape[0],
                                                                a_w.shape[0], c)


def row_col_product_transposed(a_h: np.ndarray, a_w: np.ndarray, g: np.ndarray) -> np.ndarray:
    """dx[n] = A_hᵀ · g[n] · A_w: the backward of `row_col_product`, g (N, H', W', C) ->
    (N, H, W, C)."""
    n, ho, wo, c = g.shape
    h, w = a_h.shape[1], a_w.shape[1]
    cols = a_w.T @ g.reshape(n * ho, wo, c)                               # (n·H', w, c)
    return (a_h.T @ cols.reshape(n, ho, w * c)).reshape(n, h, w, c)


class Upsampling2dOp(Function):
    """Nearest-neighbour or bilinear upsampling by integer factors (see the module).

    Read first: tinydl/ops/reference/resize.py (the same op as its formula reads;
    tests/test_reference_resize.py proves them equal)."""
    op = "upsampling2d"

    def forward(self, x, size=(2, 2), interpolation="nearest"):
        op = "upsampling2d"
        check_nhwc(x, op)
        self.size = as_pair(size, "size", op)
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"upsampling2d: interpolation must be one of {INTERPOLATIONS}, got "
                             f"{interpolation!r}")
        self.interpolation, self.x_shape = interpolation, x.shape
        n, h, w, c = x.shape
        sh, sw = self.size
        if interpolation == "nearest":
            # a broadcast view (n, h, sh, w, sw, c) of x: one copy, by reshape
            return np.broadcast_to(x[:, :, None, :, None, :], (n, h, sh, w, sw, c)).reshape(
                n, h * sh, w * sw, c)
        self.a_h = interpolation_matrix(h, h * sh).astype(x.dtype)
        self.a_w = interpolation_matrix(w, w * sw).astype(x.dtype)
        return row_col_product(self.a_h, self.a_w, x)

    def backward(self, grad):
        n, h, w, c = self.x_shape
        sh, sw = self.size
        if self.interpolation == "nearest":
            # dx[n, r, t] = Σ_{i<sh, j<sw} g[n, sh·r + i, sw·t + j]: one add per (i, j)
            # over all pixels (numpy's sum over the two inner axes loops per pixel, slower)
            blocks = grad.reshape(n, h, sh, w, sw, c)
            dx = np.empty(self.x_shape, dtype=grad.dtype)

            def work(s):
                np.copyto(dx[s], blocks[s, :, 0, :, 0])
                for i in range(sh):
                    for j in range(sw):
                        if i or j:
                            dx[s] += blocks[s, :, i, :, j]
            over_batch(work, n, grad.size)
            return dx
        return row_col_product_transposed(self.a_h, self.a_w, grad)


def padding_pairs(padding: Any, op: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """Keras' ZeroPadding2D padding -> ((top, bottom), (left, right)): an int p (p on every
    side), a pair (p_h, p_w) (symmetric), or a pair of pairs; all non-negative ints."""
    def is_count(v: Any) -> bool:
        return isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 0

    if is_count(padding):
        return (int(padding),) * 2, (int(padding),) * 2
    if isinstance(padding, tuple | list) and len(padding) == 2:
        if all(is_count(p) for p in padding):
            return (int(padding[0]),) * 2, (int(padding[1]),) * 2
        if all(isinstance(p, tuple | list) and len(p) == 2 and all(map(is_count, p))
               for p in padding):
            (t, b), (l, r) = padding
            return (int(t), int(b)), (int(l), int(r))
    raise ValueError(f"{op}: padding must be a non-negative int, a pair (p_h, p_w) or a pair of "
                     f"pairs ((top, bottom), (left, right)); got {padding!r}")


class Pad2dOp(Function):
    """x_p[n, top + r, left + t, c] = x[n, r, t, c], `value` elsewhere. Backward: the
    gradient with the border cut off.

    Read first: tinydl/ops/reference/resize.py (the same op as its formula reads;
    tests/test_reference_resize.py proves them equal)."""
    op = "pad2d"

    def forward(self, x, padding=(1, 1), value=0.0):
        op = "pad2d"
        check_nhwc(x, op)
        self.pads = padding_pairs(padding, op)
        if not isinstance(value, int | float | np.integer | np.floating) or isinstance(value, bool):
            raise TypeError(f"pad2d: value must be a real number, got {type(value).__name__}")
        return np.pad(x, ((0, 0), *self.pads, (0, 0)), constant_values=value)

    def backward(self, grad):
        (top, bottom), (left, right) = self.pads
        return grad[:, top:grad.shape[1] - bottom, left:grad.shape[2] - right, :]


def _input(x: Any, op: str) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(to_array(x, op, "x"))


def upsampling2d(x: Any, size: Any = (2, 2), interpolation: str = "nearest") -> Tensor:
    """Upsample an (N, H, W, C) batch by integer factors: (N, H·s_h, W·s_w, C).

    Args:
        x: (N, H, W, C) batch, channels last.
        size: int or (s_h, s_w), each ≥ 1.
        interpolation: 'nearest' (each pixel repeated s_h×s_w times, Keras' default) or
            'bilinear' (tf.image.resize's half-pixel bilinear interpolation, Keras 3's
            UpSampling2D(interpolation='bilinear')): see the module docstring for the
            formula.
    """
    if _kernels.reference():
        return reference_resize.upsampling2d(x, size, interpolation)
    return Upsampling2dOp.apply(_input(x, "upsampling2d"), size=size, interpolation=interpolation)


def pad2d(x: Any, padding: Any = (1, 1), value: float = 0.0) -> Tensor:
    """Pad the spatial axes of an (N, H, W, C) batch with a constant (Keras' ZeroPadding2D
    for value 0): out (N, top + H + bottom, left + W + right, C),
    out[n, top + r, left + t, c] = x[n, r, t, c], `value` elsewhere.

    Args:
        x: (N, H, W, C) batch, channels last.
        padding: an int p (p on every side), a pair (p_h, p_w) (p_h rows at the top and
            at the bottom, p_w columns left and right), or ((top, bottom), (left, right)).
        value: the constant of the border (not differentiated).
    """
    if _kernels.reference():
        return reference_resize.pad2d(x, padding, value)
    return Pad2dOp.apply(_input(x, "pad2d"), padding=padding, value=value)


# -- resizing to a given size ----------------------------------------------------


def nearest_matrix(length: int, new_length: int) -> np.ndarray:
    """(new_length, length) 0/1 matrix: row i has its 1 at ⌊(i + 0.5)·length/new_length⌋."""
    rows = np.arange(new_length)
    src = np.minimum(np.floor((rows + 0.5) * length / new_length).astype(np.intp), length - 1)
    a = np.zeros((new_length, length))
    a[rows, src] = 1.0
    return a


class Resize2dOp(Function):
    """y[n] = A_h · x[n] · A_wᵀ per channel (see the module).

    Read first: tinydl/ops/reference/resize.py (the same op as its formula reads;
    tests/test_reference_resize.py proves them equal)."""
    op = "resize2d"

    def forward(self, x, size=(1, 1), interpolation="bilinear"):
        _, h, w, _ = x.shape
        make = interpolation_matrix if interpolation == "bilinear" else nearest_matrix
        self.a_h, self.a_w = make(h, size[0]).astype(x.dtype), make(w, size[1]).astype(x.dtype)
        return row_col_product(self.a_h, self.a_w, x)

    def backward(self, grad):
        return row_col_product_transposed(self.a_h, self.a_w, grad)


def resize2d(x: Any, size: Any, interpolation: str = "bilinear") -> Tensor:
    """Resize an (N, H, W, C) batch to (N, height, width, C).

    Args:
        x: (N, H, W, C), channels last.
        size: (height, width), positive ints.
        interpolation: 'bilinear' (default, as Keras' Resizing) or 'nearest'; see the
            module docstring for the formulas.
    """
    if _kernels.reference():
        return reference_resize.resize2d(x, size, interpolation)
    x, size = resize2d_inputs(x, size, interpolation)
    return Resize2dOp.apply(x, size=size, interpolation=interpolation)


def resize2d_inputs(x: Any, size: Any, interpolation: str) -> tuple[Tensor, tuple[int, int]]:
    """(x as a Tensor, (height, width) as ints), checked: the argument rules of `resize2d`,
    shared with its reference kernel."""
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
    return x, (int(size[0]), int(size[1]))
