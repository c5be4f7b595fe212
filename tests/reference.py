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


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _pads(x_shape, kh, kw, strides, padding):
    sh, sw = _pair(strides)
    ph = padding[0] if isinstance(padding, tuple) else padding
    pw = padding[1] if isinstance(padding, tuple) else padding
    return (sh, sw), pads_1d(x_shape[1], kh, sh, ph), pads_1d(x_shape[2], kw, sw, pw)


def _padded(x, kh_eff, kw_eff, strides, padding):
    """x zero-padded, the strides and the output size, for a window spanning
    kh_eff × kw_eff pixels (a dilated kernel spans d·(k-1)+1)."""
    n, h, wd, c = x.shape
    (sh, sw), (top, bottom), (left, right) = _pads(x.shape, kh_eff, kw_eff, strides, padding)
    xp = np.zeros((n, h + top + bottom, wd + left + right, c), dtype=np.float64)
    xp[:, top:top + h, left:left + wd, :] = x
    ho = (xp.shape[1] - kh_eff) // sh + 1
    wo = (xp.shape[2] - kw_eff) // sw + 1
    return xp, (sh, sw), (ho, wo)


def conv2d_loops(x, w, b=None, strides=1, padding="valid", dilation_rate=1):
    """The article's y(x,y) = Σ_{x'}Σ_{y'} w(x',y') · x(x-x', y-y'), summed over input
    channels, for every sample, output channel and output position.

    Output (i, j) is the formula at the point (px, py) = (s_h·i + kh - 1, s_w·j + kw - 1)
    of the padded image: the first point where x(px - x', py - y') exists for all x', y'.
    With dilation d the taps are d apart: x(px - d·x', py - d·y'), at the point
    (s_h·i + d_h·(kh - 1), s_w·j + d_w·(kw - 1)).
    """
    n, _, _, cin = x.shape
    kh, kw, _, cout = w.shape
    dh, dw = _pair(dilation_rate)
    xp, (sh, sw), (ho, wo) = _padded(x, dh * (kh - 1) + 1, dw * (kw - 1) + 1, strides, padding)
    y = np.zeros((n, ho, wo, cout))
    for s in range(n):
        for o in range(cout):
            for i in range(ho):
                for j in range(wo):
                    px, py = sh * i + dh * (kh - 1), sw * j + dw * (kw - 1)
                    total = 0.0 if b is None else b[o]
                    for xq in range(kh):            # x' in the article
                        for yq in range(kw):        # y' in the article
                            for c in range(cin):
                                total += w[xq, yq, c, o] * xp[s, px - dh * xq, py - dw * yq, c]
                    y[s, i, j, o] = total
    return y


def depthwise_conv2d_loops(x, w, b=None, strides=1, padding="valid", dilation_rate=1):
    """Each input channel c convolved (the article's true convolution, as conv2d_loops)
    with each of its own M kernels w[:, :, c, m], into output channel c·M + m."""
    n, _, _, cin = x.shape
    kh, kw, _, mult = w.shape
    dh, dw = _pair(dilation_rate)
    xp, (sh, sw), (ho, wo) = _padded(x, dh * (kh - 1) + 1, dw * (kw - 1) + 1, strides, padding)
    y = np.zeros((n, ho, wo, cin * mult))
    for s in range(n):
        for c in range(cin):
            for m in range(mult):
                for i in range(ho):
                    for j in range(wo):
                        px, py = sh * i + dh * (kh - 1), sw * j + dw * (kw - 1)
                        total = 0.0 if b is None else b[c * mult + m]
                        for xq in range(kh):
                            for yq in range(kw):
                                total += w[xq, yq, c, m] * xp[s, px - dh * xq, py - dw * yq, c]
                        y[s, i, j, c * mult + m] = total
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


def bilinear_loops(x, size):
    """tf.image.resize / Keras 3 bilinear upsampling by integer factors (half-pixel
    centres, no corner alignment, no antialiasing), pixel by pixel: output row i reads
    the source row u = (i + 0.5)/s_h - 0.5, clamped to [0, H-1], mixing rows floor(u)
    and floor(u) + 1 with weights 1 - (u - floor(u)) and u - floor(u); columns alike."""
    n, h, wd, c = x.shape
    sh, sw = _pair(size)

    def source(i, s, length):
        u = min(max((i + 0.5) / s - 0.5, 0.0), length - 1.0)
        lo = math.floor(u)
        return lo, min(lo + 1, length - 1), u - lo

    y = np.zeros((n, h * sh, wd * sw, c))
    for i in range(h * sh):
        r0, r1, fr = source(i, sh, h)
        for j in range(wd * sw):
            q0, q1, fq = source(j, sw, wd)
            y[:, i, j, :] = ((1 - fr) * (1 - fq) * x[:, r0, q0, :] + (1 - fr) * fq * x[:, r0, q1, :]
                             + fr * (1 - fq) * x[:, r1, q0, :] + fr * fq * x[:, r1, q1, :])
    return y


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


def resize_bilinear_loops(maps, size) -> np.ndarray:
    """Bilinear resize of (N, h, w) maps to (N, H, W), any sizes, one pixel at a time:
    output row i reads u = (i + 0.5)·h/H - 0.5 clamped to [0, h-1], mixing rows floor(u)
    and floor(u) + 1 with weights 1 - (u - floor(u)) and u - floor(u); columns alike."""
    n, h, w = maps.shape
    big_h, big_w = size

    def source(i, new, length):
        u = min(max((i + 0.5) * length / new - 0.5, 0.0), length - 1.0)
        lo = math.floor(u)
        return lo, min(lo + 1, length - 1), u - lo

    y = np.zeros((n, big_h, big_w))
    for i in range(big_h):
        r0, r1, fr = source(i, big_h, h)
        for j in range(big_w):
            q0, q1, fq = source(j, big_w, w)
            y[:, i, j] = ((1 - fr) * (1 - fq) * maps[:, r0, q0] + (1 - fr) * fq * maps[:, r0, q1]
                          + fr * (1 - fq) * maps[:, r1, q0] + fr * fq * maps[:, r1, q1])
    return y


def auc_pairs_loops(positive, negative) -> float:
    """The area under the ROC curve as its definition in pairs: the probability that a
    random positive scores above a random negative, ties counting one half."""
    wins = 0.0
    for p in positive:
        for q in negative:
            wins += 1.0 if p > q else 0.5 if p == q else 0.0
    return wins / (len(positive) * len(negative))
