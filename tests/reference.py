"""Slow, literal reference implementations: the article's formulas in plain loops.

The fast vectorised code in tinydl must agree with these, index for index. They
re-derive the padding on purpose instead of importing tinydl's helper, so that a bug
there cannot hide in both.
"""
from __future__ import annotations

import math

import numpy as np


def pads_1d(size: int, k: int, s: int, padding) -> tuple[int, int]:
    """(before, after) padding along one axis; 'same' as Keras: output ceil(size / s)."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        total = max((math.ceil(size / s) - 1) * s + k - size, 0)
        return total // 2, total - total // 2
    return (padding, padding)


def _pads(x_shape, kh, kw, strides, padding):
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    ph = padding[0] if isinstance(padding, tuple) else padding
    pw = padding[1] if isinstance(padding, tuple) else padding
    return (sh, sw), pads_1d(x_shape[1], kh, sh, ph), pads_1d(x_shape[2], kw, sw, pw)


def conv2d_loops(x, w, b=None, strides=1, padding="valid"):
    """The article's y(x,y) = Σ_{x'}Σ_{y'} w(x',y') · x(x-x', y-y'), summed over input
    channels, for every sample, output channel and output position.

    Output (i, j) is the formula at the point (px, py) = (s_h·i + kh - 1, s_w·j + kw - 1)
    of the padded image: the first point where x(px - x', py - y') exists for all x', y'.
    """
    n, h, wd, cin = x.shape
    kh, kw, _, cout = w.shape
    (sh, sw), (top, bottom), (left, right) = _pads(x.shape, kh, kw, strides, padding)
    xp = np.zeros((n, h + top + bottom, wd + left + right, cin), dtype=np.float64)
    xp[:, top:top + h, left:left + wd, :] = x
    ho = (xp.shape[1] - kh) // sh + 1
    wo = (xp.shape[2] - kw) // sw + 1
    y = np.zeros((n, ho, wo, cout))
    for s in range(n):
        for o in range(cout):
            for i in range(ho):
                for j in range(wo):
                    px, py = sh * i + kh - 1, sw * j + kw - 1
                    total = 0.0 if b is None else b[o]
                    for xq in range(kh):            # x' in the article
                        for yq in range(kw):        # y' in the article
                            for c in range(cin):
                                total += w[xq, yq, c, o] * xp[s, px - xq, py - yq, c]
                    y[s, i, j, o] = total
    return y


def pool2d_loops(x, pool, strides=None, padding="valid", kind="max"):
    """Max or average over each window; padding pixels are skipped (not counted)."""
    n, h, wd, c = x.shape
    ph, pw = (pool, pool) if isinstance(pool, int) else pool
    strides = (ph, pw) if strides is None else strides
    (sh, sw), (top, bottom), (left, right) = _pads(x.shape, ph, pw, strides, padding)
    ho = (h + top + bottom - ph) // sh + 1
    wo = (wd + left + right - pw) // sw + 1
    y = np.zeros((n, ho, wo, c))
    for s in range(n):
        for i in range(ho):
            for j in range(wo):
                for ch in range(c):
                    window = []
                    for a in range(ph):
                        for bb in range(pw):
                            r, q = sh * i + a - top, sw * j + bb - left
                            if 0 <= r < h and 0 <= q < wd:
                                window.append(x[s, r, q, ch])
                    y[s, i, j, ch] = max(window) if kind == "max" else sum(window) / len(window)
    return y


def deconv_length(size: int, k: int, s: int, padding, output_padding=None) -> int:
    """Transposed-convolution output size: Keras' deconv_output_length for 'valid' and
    'same' (transcribed), PyTorch's conv_transpose2d rule for an int padding."""
    if padding == "valid":
        if output_padding is None:
            return size * s + max(k - s, 0)
        return (size - 1) * s + k + output_padding
    if padding == "same":
        if output_padding is None:
            return size * s
        return (size - 1) * s + k - 2 * (k // 2) + output_padding
    return (size - 1) * s + k - 2 * padding + (output_padding or 0)


def conv2d_transpose_loops(y, w, b=None, strides=1, padding="valid", output_padding=None):
    """The transpose of `conv2d_loops` written as a scatter: every y[n, i, j, o] is sent,
    through the kernel walked backwards, to the padded output pixels it was gathered
    from in conv2d,

        x_p[n, s_h·i + kh-1-a, s_w·j + kw-1-b, c] += w[a, b, c, o] · y[n, i, j, o],

    for y (N, h, w, C_in) and w (kh, kw, C_out, C_in); the output is x_p with the padding
    that conv2d would use for its size cut off, plus b[c].
    """
    n, h, wd, cin = y.shape
    kh, kw, cout, _ = w.shape
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    ph = padding[0] if isinstance(padding, tuple) else padding
    pw = padding[1] if isinstance(padding, tuple) else padding
    qh, qw = (output_padding, output_padding) if not isinstance(output_padding, tuple) \
        else output_padding
    out_h, out_w = deconv_length(h, kh, sh, ph, qh), deconv_length(wd, kw, sw, pw, qw)
    top, bottom = pads_1d(out_h, kh, sh, ph)
    left, right = pads_1d(out_w, kw, sw, pw)
    xp = np.zeros((n, top + out_h + bottom, left + out_w + right, cout))
    for s in range(n):
        for i in range(h):
            for j in range(wd):
                for o in range(cin):
                    for a in range(kh):
                        for bb in range(kw):
                            for c in range(cout):
                                xp[s, sh * i + kh - 1 - a, sw * j + kw - 1 - bb, c] += \
                                    w[a, bb, c, o] * y[s, i, j, o]
    x = xp[:, top:top + out_h, left:left + out_w, :]
    return x if b is None else x + b


def average_ranks_loops(values) -> np.ndarray:
    """Ranks 1..n, ties sharing the mean of their ranks: literally 1 + (number of smaller
    values) + (number of other equal values) / 2, one element at a time."""
    a = list(np.ravel(values))
    ranks = np.empty(len(a))
    for i, v in enumerate(a):
        smaller = sum(1 for w in a if w < v)
        equal_others = sum(1 for w in a if w == v) - 1
        ranks[i] = 1 + smaller + equal_others / 2
    return ranks
