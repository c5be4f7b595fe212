"""The literal formulas the exercises are graded against: plain loops, one line per symbol.

These mirror tests/reference.py (the package cannot import the tests). They are slow on
purpose and share no code with tinydl's vectorised ops, nor with any reference solution:
a student's op is compared with the formula itself, never with another implementation
that could carry the same bug.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np


def pads_1d(size: int, k: int, s: int, padding: Any) -> tuple[int, int]:
    """(before, after) padding along one axis: 'valid' none; 'same' Keras' rule (output
    ceil(size / s), the odd pixel after); an int p on both sides."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        total = max((math.ceil(size / s) - 1) * s + k - size, 0)
        return total // 2, total - total // 2
    return padding, padding


def conv_pads(x_shape: tuple[int, ...], kh: int, kw: int, strides: Any,
              padding: Any) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """((s_h, s_w), (top, bottom), (left, right)) for an (N, H, W, C) input."""
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    ph = padding[0] if isinstance(padding, tuple) else padding
    pw = padding[1] if isinstance(padding, tuple) else padding
    return (sh, sw), pads_1d(x_shape[1], kh, sh, ph), pads_1d(x_shape[2], kw, sw, pw)


def pad_image(x: np.ndarray, top: int, bottom: int, left: int, right: int) -> np.ndarray:
    n, h, w, c = x.shape
    xp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=np.float64)
    xp[:, top:top + h, left:left + w, :] = x
    return xp


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, strides: Any = 1,
           padding: Any = "valid") -> np.ndarray:
    """Article §3.1.4: y(x, y) = Σ_{x'} Σ_{y'} w(x', y') · x(x - x', y - y'), summed over the
    input channels, at the point (s_h·i + kh - 1, s_w·j + kw - 1) of the padded image for
    output pixel (i, j). x (N, H, W, C_in), w (kh, kw, C_in, C_out), b (C_out,)."""
    n, _, _, cin = x.shape
    kh, kw, _, cout = w.shape
    (sh, sw), (top, bottom), (left, right) = conv_pads(x.shape, kh, kw, strides, padding)
    xp = pad_image(x, top, bottom, left, right)
    ho = (xp.shape[1] - kh) // sh + 1
    wo = (xp.shape[2] - kw) // sw + 1
    y = np.zeros((n, ho, wo, cout))
    for s in range(n):
        for o in range(cout):
            for i in range(ho):
                for j in range(wo):
                    px, py = sh * i + kh - 1, sw * j + kw - 1
                    total = 0.0 if b is None else float(b[o])
                    for xq in range(kh):
                        for yq in range(kw):
                            for c in range(cin):
                                total += w[xq, yq, c, o] * xp[s, px - xq, py - yq, c]
                    y[s, i, j, o] = total
    return y


def patches(xp: np.ndarray, kh: int, kw: int, strides: Any) -> np.ndarray:
    """im2col of an already padded batch: row (n, i, j), column (a, b, c) holds
    xp[n, s_h·i + a, s_w·j + b, c]; shape (N·Ho·Wo, kh·kw·C)."""
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    n, hp, wp, c = xp.shape
    ho, wo = (hp - kh) // sh + 1, (wp - kw) // sw + 1
    rows = []
    for s in range(n):
        for i in range(ho):
            for j in range(wo):
                rows.append([xp[s, sh * i + a, sw * j + bb, ch]
                             for a in range(kh) for bb in range(kw) for ch in range(c)])
    return np.array(rows, dtype=np.float64).reshape(n * ho * wo, kh * kw * c)


def max_pool2d(x: np.ndarray, p: int) -> np.ndarray:
    """y[n, i, j, c] = max over the p×p window starting at (p·i, p·j); 'valid'."""
    n, h, w, c = x.shape
    y = np.zeros((n, h // p, w // p, c))
    for s in range(n):
        for i in range(h // p):
            for j in range(w // p):
                for ch in range(c):
                    y[s, i, j, ch] = max(x[s, p * i + a, p * j + bb, ch]
                                         for a in range(p) for bb in range(p))
    return y


def max_pool2d_backward(x: np.ndarray, p: int, grad: np.ndarray) -> np.ndarray:
    """Each window's gradient goes to the first maximum in row-major order (ties: the
    earliest row, then the earliest column), as Keras and PyTorch do."""
    n, h, w, c = x.shape
    dx = np.zeros(x.shape)
    for s in range(n):
        for i in range(h // p):
            for j in range(w // p):
                for ch in range(c):
                    best, where = -math.inf, None
                    for a in range(p):
                        for bb in range(p):
                            value = x[s, p * i + a, p * j + bb, ch]
                            if value > best:
                                best, where = value, (p * i + a, p * j + bb)
                    dx[s, where[0], where[1], ch] += grad[s, i, j, ch]
    return dx


def log_sigmoid(v: float) -> float:
    """log σ(v) = -log(1 + e^{-v}) for one number, without overflow."""
    return -(max(-v, 0.0) + math.log1p(math.exp(-abs(v))))
