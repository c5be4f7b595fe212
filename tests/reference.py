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
