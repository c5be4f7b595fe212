"""Reference solution of exercise `conv2d_loops`."""
import math

import numpy as np


def same_pads(size, k, s):
    total = max((math.ceil(size / s) - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def conv2d(x, w, b=None, strides=1, padding="valid"):
    n, h, width, c_in = x.shape
    kh, kw, _, c_out = w.shape
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    if padding == "valid":
        pads = [(0, 0), (0, 0)]
    elif padding == "same":
        pads = [same_pads(h, kh, sh), same_pads(width, kw, sw)]
    elif isinstance(padding, int):
        pads = [(padding, padding), (padding, padding)]
    else:
        pads = [(padding[0], padding[0]), (padding[1], padding[1])]
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    h_out = (xp.shape[1] - kh) // sh + 1
    w_out = (xp.shape[2] - kw) // sw + 1
    y = np.zeros((n, h_out, w_out, c_out))
    for s in range(n):
        for o in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    px, py = sh * i + kh - 1, sw * j + kw - 1
                    total = 0.0 if b is None else b[o]
                    for a in range(kh):
                        for bb in range(kw):
                            for c in range(c_in):
                                total += w[a, bb, c, o] * xp[s, px - a, py - bb, c]
                    y[s, i, j, o] = total
    return y
