"""2-D convolution exactly as the article writes it (section 3.1.4), and cross-correlation.

The article's formula, for one channel:

    y(x, y) = Σ_{x'=0}^{w-1} Σ_{y'=0}^{h-1} w(x', y') · x(x - x', y - y')

is a *true* convolution: the kernel is walked backwards over the image (x - x').
Keras' Conv2D and PyTorch's conv2d compute *cross-correlation* instead,

    y(i, j) = Σ_a Σ_b w(a, b) · x(i + a, j + b),

which is the same thing with the kernel flipped in both spatial axes:

    conv2d(x, w) == correlate2d(x, w[::-1, ::-1])

For a learned kernel the difference does not matter (the network learns the flipped
kernel), but for a hand-made asymmetric kernel, e.g. an edge detector, it does.

Layout is channels-last, as in the article's Keras listing:
    x: (N, H, W, C_in)   w: (kh, kw, C_in, C_out)   b: (C_out,)   y: (N, H_out, W_out, C_out)

Indexing (rows first; the article's (x, y) names the two spatial axes and the formula is
the same along both). With `strides` s and the input padded to x_p, output pixel (i, j) is

    y[n, i, j, o] = Σ_{a<kh} Σ_{b<kw} Σ_c w[a, b, c, o] · x_p[n, s·i + kh-1-a, s·j + kw-1-b, c] + b[o]

i.e. the article's formula evaluated at the point (s·i + kh - 1, s·j + kw - 1), the first
point at which the whole flipped kernel lies inside the padded image ('valid').

Padding: 'valid' (none), 'same' (Keras' rule: output size ceil(H / s), the padding split
evenly with the odd pixel at the bottom/right), an int p (p on every side) or a pair
(p_h, p_w). Implementation: im2col — every kh×kw×C_in patch becomes a row of a matrix,
so the whole convolution is a single matrix product (BLAS does the heavy lifting).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .autograd import Function, Tensor, to_array
from .parallel import over_batch


def as_pair(value: Any, name: str, op: str) -> tuple[int, int]:
    """An int or a pair of ints -> (rows, cols); each must be ≥ 1."""
    pair = (value, value) if isinstance(value, int | np.integer) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int | np.integer) and v >= 1 for v in pair):
        raise ValueError(f"{op}: {name} must be a positive int or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def padding_amounts(size: int, k: int, s: int, padding: Any, axis: int, op: str) -> tuple[int, int, int]:
    """(pad_before, pad_after, output_size) along one spatial axis.

    `padding` is 'valid', 'same', an int, or a pair (indexed by `axis`, 0 rows, 1 cols).
    Output size: floor((size + pad_before + pad_after - k) / s) + 1.
    """
    if padding == "valid":
        before = after = 0
    elif padding == "same":
        out = -(-size // s)  # ceil(size / s)
        total = max((out - 1) * s + k - size, 0)
        before, after = total // 2, total - total // 2
    elif isinstance(padding, int | np.integer) and padding >= 0:
        before = after = int(padding)
    elif (isinstance(padding, tuple | list) and len(padding) == 2
          and all(isinstance(p, int | np.integer) and p >= 0 for p in padding)):
        before = after = int(padding[axis])
    else:
        raise ValueError(f"{op}: padding must be 'valid', 'same', a non-negative int or a pair of "
                         f"them, got {padding!r}")
    padded = size + before + after
    if padded < k:
        raise ValueError(f"{op}: the {k}-wide window is larger than the padded input "
                         f"({size} + {before} + {after} = {padded}) along spatial axis {axis}")
    return before, after, (padded - k) // s + 1


def check_nhwc(x: np.ndarray, op: str) -> None:
    """Refuse anything that is not a channels-last batch (N, H, W, C)."""
    if x.ndim != 4:
        raise ValueError(f"{op}: x must be a batch of images of shape (N, H, W, C) (channels "
                         f"last); got shape {x.shape}. A single image of shape (H, W, C) needs "
                         f"x[None]; a grayscale batch (N, H, W) needs x[..., None].")


def _geometry(x: np.ndarray, w: np.ndarray, strides: Any, padding: Any, op: str):
    check_nhwc(x, op)
    if w.ndim != 4:
        raise ValueError(f"{op}: kernel must have shape (kh, kw, C_in, C_out); got shape {w.shape}")
    if w.shape[2] != x.shape[3]:
        hint = ""
        if x.shape[1] == w.shape[2]:
            hint = " (is x in NCHW layout? tinydl expects channels last: x.transpose(0, 2, 3, 1))"
        raise ValueError(f"{op}: x has {x.shape[3]} channels (shape {x.shape}, layout N,H,W,C) "
                         f"but the kernel expects {w.shape[2]} (shape {w.shape}, layout "
                         f"kh,kw,C_in,C_out){hint}")
    sh, sw = as_pair(strides, "strides", op)
    kh, kw = w.shape[:2]
    top, bottom, ho = padding_amounts(x.shape[1], kh, sh, padding, 0, op)
    left, right, wo = padding_amounts(x.shape[2], kw, sw, padding, 1, op)
    return (sh, sw), ((top, bottom), (left, right)), (ho, wo)


def window_offset(xp: np.ndarray, a: int, b: int, strides: tuple[int, int],
                  out_hw: tuple[int, int]) -> np.ndarray:
    """The pixel at offset (a, b) of every window: xp[:, s_h·i + a, s_w·j + b, :] for all
    output positions (i, j), as a strided view (N, Ho, Wo, C) of xp (no copy)."""
    (sh, sw), (ho, wo) = strides, out_hw
    return xp[:, a:a + sh * (ho - 1) + 1:sh, b:b + sw * (wo - 1) + 1:sw, :]


def im2col(xp: np.ndarray, kh: int, kw: int, strides: tuple[int, int], out_hw: tuple[int, int],
           ones_column: bool = False) -> np.ndarray:
    """Every kh×kw×C patch of a padded NHWC batch as a row of a matrix P.

    P has shape (N·Ho·Wo, kh·kw·C), row (n, i, j) holding xp[n, s_h·i + a, s_w·j + b, c]
    in (a, b, c) order. With `ones_column`, a last column of ones is appended: then
    [P 1] @ [W; bᵀ] = P @ W + b, so the bias rides along in the matrix product (the
    article's z = Wx + b written as z = [W b]·[x; 1]) instead of costing a pass of its own.
    """
    n, _, _, c = xp.shape
    (sh, sw), (ho, wo) = strides, out_hw
    k = kh * kw * c
    cols = np.empty((n, ho, wo, k + ones_column), dtype=xp.dtype)
    patches = cols[..., :k].reshape(n, ho, wo, kh, kw, c)  # a view into cols

    def copy_patches(s: slice) -> None:  # samples s of the batch
        if c >= 16:
            # one copy from a strided view of all patches: fast when each pixel's C
            # channels form a long contiguous run
            s0, s1, s2, s3 = xp.strides
            view = np.lib.stride_tricks.as_strided(
                xp[s], shape=patches[s].shape, strides=(s0, s1 * sh, s2 * sw, s1, s2, s3),
                writeable=False)
            np.copyto(patches[s], view)
        else:
            # few channels (e.g. a grayscale image): copy one kernel offset at a time
            for a in range(kh):
                for b in range(kw):
                    patches[s, :, :, a, b, :] = window_offset(xp[s], a, b, strides, out_hw)
    over_batch(copy_patches, n, patches.size)
    if ones_column:
        cols[..., k] = 1
    return cols.reshape(-1, k + ones_column)


class Correlate2D(Function):
    """Cross-correlation y[n,i,j,o] = Σ_{a,b,c} w[a,b,c,o] · x_p[n, s·i+a, s·j+b, c] (+ bias).

    Forward: one matrix product of the patches P (N·Ho·Wo, kh·kw·C_in), with a column of
    ones when there is a bias, and the kernel W (kh·kw·C_in, C_out) with the bias as a
    last row.
    Backward with G = dL/dy as (N·Ho·Wo, C_out): [dW; dbᵀ] = [P 1]ᵀ G (so db = Σ G comes
    out of the same product), and dx gets, from every kernel offset (a, b), G · w[a, b]ᵀ
    added where that offset's pixels came from (the padding is cut off at the end).
    """
    def forward(self, x, w, b=None, strides=1, padding="valid", op="correlate2d"):
        self.strides, pads, out_hw = _geometry(x, w, strides, padding, op)
        if b is not None and b.shape != (w.shape[3],):
            raise ValueError(f"{op}: bias must have shape ({w.shape[3]},) (one per output "
                             f"channel); got shape {b.shape}")
        self.pads, self.w, self.has_bias = pads, w, b is not None
        xp = np.pad(x, ((0, 0), *pads, (0, 0))) if any(map(any, pads)) else x
        self.padded_shape = xp.shape
        kh, kw, cin, cout = w.shape
        self.cols = im2col(xp, kh, kw, self.strides, out_hw, ones_column=self.has_bias)
        weights = w.reshape(-1, cout)
        if self.has_bias:
            weights = np.concatenate([weights, b[None, :].astype(w.dtype)])
        return (self.cols @ weights).reshape(x.shape[0], *out_hw, cout)

    def backward(self, grad):
        kh, kw, cin, cout = self.w.shape
        n, ho, wo, _ = grad.shape
        g = grad.reshape(-1, cout)
        dw = db = dx = None
        if self.needs_grad[1] or (self.has_bias and self.needs_grad[2]):
            dwb = self.cols.T @ g                       # (kh·kw·C_in [+ 1], C_out)
            dw = dwb[:kh * kw * cin].reshape(self.w.shape)
            db = dwb[-1] if self.has_bias else None
        if self.needs_grad[0]:
            # dx_p[n, s·i + a, s·j + b, :] += Σ_o g[n, i, j, o] · w[a, b, :, o]: one matrix
            # product per kernel offset (a, b), added into the strided slab it came from
            # (the adjoint of im2col, without building the big patch-gradient matrix)
            (top, bottom), (left, right) = self.pads
            dxp = np.zeros(self.padded_shape, dtype=grad.dtype)
            for a in range(kh):
                for b in range(kw):
                    window_offset(dxp, a, b, self.strides, (ho, wo))[...] += \
                        (g @ self.w[a, b].T).reshape(n, ho, wo, cin)
            dx = dxp[:, top:dxp.shape[1] - bottom, left:dxp.shape[2] - right, :]
        return (dx, dw, db) if self.has_bias else (dx, dw)


class Conv2D(Function):
    """True convolution (the article's formula): correlation with the kernel flipped,
    conv2d(x, w) = correlate2d(x, w[::-1, ::-1]); the kernel gradient is flipped back."""
    def forward(self, x, w, b=None, strides=1, padding="valid"):
        self.corr = Correlate2D()
        return self.corr.forward(x, w[::-1, ::-1], b, strides, padding, op="conv2d")

    def backward(self, grad):
        self.corr.needs_grad = self.needs_grad
        grads = self.corr.backward(grad)
        dw = grads[1][::-1, ::-1] if grads[1] is not None else None
        return (grads[0], dw) + tuple(grads[2:])


def _inputs(x: Any, w: Any, b: Any, op: str) -> tuple:
    x = x if isinstance(x, Tensor) else Tensor(to_array(x, op, "x"))
    w = w if isinstance(w, Tensor) else Tensor(to_array(w, op, "kernel w"))
    if b is None:
        return x, w
    return x, w, b if isinstance(b, Tensor) else Tensor(to_array(b, op, "bias b"))


def conv2d(x: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid") -> Tensor:
    """True 2-D convolution, the article's y(x,y) = Σ_{x'}Σ_{y'} w(x',y')·x(x-x', y-y').

    Args:
        x: (N, H, W, C_in) batch, channels last.
        w: (kh, kw, C_in, C_out) kernel.
        b: optional (C_out,) bias, added to every output pixel.
        strides: int or (s_h, s_w).
        padding: 'valid', 'same', an int or a pair (p_h, p_w).
    Returns:
        (N, H_out, W_out, C_out) with H_out = floor((H + pads - kh) / s_h) + 1
        (ceil(H / s_h) for 'same').

    Equals `correlate2d(x, w[::-1, ::-1], b, strides, padding)`: Keras and PyTorch
    "convolution" is correlate2d, not this.
    """
    return Conv2D.apply(*_inputs(x, w, b, "conv2d"), strides=strides, padding=padding)


def correlate2d(x: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid") -> Tensor:
    """2-D cross-correlation, what Keras' Conv2D and torch.nn.functional.conv2d compute:
    y[n,i,j,o] = Σ_{a,b,c} w[a,b,c,o] · x_p[n, s_h·i+a, s_w·j+b, c] + b[o].

    Same arguments, shapes and padding rules as `conv2d`; it equals
    `conv2d(x, w[::-1, ::-1], ...)` (the kernel flipped along both spatial axes).
    """
    return Correlate2D.apply(*_inputs(x, w, b, "correlate2d"), strides=strides, padding=padding)
