"""The convolution's input gradient dx (the transposed convolution's forward pass), by
three algorithms chosen by size: a correlation with the flipped kernel, sub-pixel phases,
and scattering each output pixel's window.

Private to tinydl.ops."""
from __future__ import annotations

import numpy as np

from ._geometry import pad_or_crop
from ._patches import patch_product

#: A strided input gradient takes the sub-pixel form for C_in in this range (set with
#: bench_gan.py --dcgan; bench/README.md, "constants").
SUBPIXEL_CHANNELS = range(8, 33)


def input_gradient(g: np.ndarray, w: np.ndarray, strides: tuple[int, int],
                   pads: tuple[tuple[int, int], tuple[int, int]],
                   padded_shape: tuple[int, int, int, int], out_hw: tuple[int, int],
                   dilation: tuple[int, int] = (1, 1)) -> np.ndarray:
    """dL/dx of y = correlate(x_p, w) with g = dL/dy (N, Ho, Wo, C_out): the adjoint
    of cross-correlation with respect to its input, (N, H, W, C_in) with the padding
    `pads` cut off.

    Stride 1: the adjoint is itself a correlation, of g padded by d·(k-1) on each side
    with the kernel turned half a turn and its channel axes swapped,

        dx_p[n, q, r, c] = Σ_{a,b,o} w[kh-1-a, kw-1-b, c, o] · g_full[n, q + d_h·a, r + d_w·b, o],

    computed like the forward pass (`patch_product`); padding g by d·(k-1) - top (and so
    on) instead gives dx without the padding directly. Its patches hold kh·kw·C_out
    values per pixel, so it is used when C_out ≤ C_in; otherwise `scatter_windows`,
    whose products make kh·kw·C_in values per pixel.

    Strides > 1: `subpixel_gradient` when the strides divide the kernel size and C_in is
    in SUBPIXEL_CHANNELS, where it measured faster; `scatter_windows` otherwise (one input
    channel, 64 or more, kernels the strides do not divide: the sub-pixel products would
    be too narrow, as wide anyway, or padded with zero taps).
    """
    kh, kw, cin, cout = w.shape
    strided = strides != (1, 1)
    if (strided and dilation == (1, 1) and kh % strides[0] == 0 and kw % strides[1] == 0
            and cin in SUBPIXEL_CHANNELS):
        return subpixel_gradient(g, w, strides, pads, padded_shape)
    if strided or cout > cin:
        return scatter_windows(g.reshape(-1, cout), w, strides, pads, padded_shape, out_hw,
                               dilation)
    (top, bottom), (left, right) = pads
    dh, dw = dilation
    h, wd = padded_shape[1] - top - bottom, padded_shape[2] - left - right
    gp = pad_or_crop(g, (dh * (kh - 1) - top, dh * (kh - 1) - bottom),
                     (dw * (kw - 1) - left, dw * (kw - 1) - right))
    turned = np.ascontiguousarray(w[::-1, ::-1].transpose(0, 1, 3, 2))
    return patch_product(gp, turned, None, (1, 1), dilation, (h, wd))


def subpixel_gradient(g: np.ndarray, w: np.ndarray, strides: tuple[int, int],
                      pads: tuple[tuple[int, int], tuple[int, int]],
                      padded_shape: tuple[int, int, int, int]) -> np.ndarray:
    """The adjoint of a strided correlation (no dilation) with respect to its input, as
    one stride-1 correlation ("sub-pixel convolution"). Pixel (s_h·q + r, s_w·u + v) of
    x_p, with phase (r, v) and 0 ≤ r < s_h, 0 ≤ v < s_w, gets

        x_p[n, s_h·q + r, s_w·u + v, c] = Σ_{t<K_h, t'<K_w, o} g_p[n, q + t, u + t', o]
                                          · w[s_h·(K_h-1-t) + r, s_w·(K_w-1-t') + v, c, o]

    with K = ceil(k / s) (taps past the kernel are 0) and g_p = g with K - 1 zero rows
    (columns) in front: the windows s pixels apart that reach one pixel of x_p are
    K_h·K_w neighbouring pixels of g, the same for every phase. So one K_h×K_w
    correlation of g_p (`patch_product`) with s_h·s_w·C_in output channels gives all
    phases of each pixel, which are then put in place (depth to space) and the padding
    `pads` cut off. Returns (N, H, W, C_in) like `scatter_windows`."""
    kh, kw, cin, cout = w.shape
    (sh, sw), (n, hp, wp, _) = strides, padded_shape
    big_h, big_w = -(-kh // sh), -(-kw // sw)
    hq, wq = -(-hp // sh), -(-wp // sw)
    gp = pad_or_crop(g, (big_h - 1, hq - g.shape[1]), (big_w - 1, wq - g.shape[2]))
    taps = np.zeros((big_h * sh, big_w * sw, cin, cout), dtype=w.dtype)
    taps[:kh, :kw] = w
    # kernel[t, t', o, (r, v, c)] = taps[s_h·(K_h-1-t) + r, s_w·(K_w-1-t') + v, c, o]
    kernel = taps.reshape(big_h, sh, big_w, sw, cin, cout)[::-1, :, ::-1]
    kernel = np.ascontiguousarray(kernel.transpose(0, 2, 5, 1, 3, 4)).reshape(
        big_h, big_w, cout, sh * sw * cin)
    phases = patch_product(gp, kernel, None, (1, 1), (1, 1), (hq, wq))
    xp = phases.reshape(n, hq, wq, sh, sw, cin).transpose(0, 1, 3, 2, 4, 5).reshape(
        n, hq * sh, wq * sw, cin)
    (top, bottom), (left, right) = pads
    return xp[:, top:hp - bottom, left:wp - right]



def scatter_windows(g: np.ndarray, w: np.ndarray, strides: tuple[int, int],
                    pads: tuple[tuple[int, int], tuple[int, int]],
                    padded_shape: tuple[int, int, int, int], out_hw: tuple[int, int],
                    dilation: tuple[int, int] = (1, 1)) -> np.ndarray:
    """The adjoint of cross-correlation with respect to its input: every output pixel's
    value sent back through the kernel to the input pixels of its window.

    g is (N·Ho·Wo, C_out), rows in (n, i, j) order; w is (kh, kw, C_in, C_out). With x_p
    a zero array of `padded_shape` (N, H_p, W_p, C_in),

        x_p[n, s_h·i + d_h·a, s_w·j + d_w·b, c] += Σ_o w[a, b, c, o] · g[(n, i, j), o]

    (d the dilation), then the padding `pads` ((top, bottom), (left, right)) is cut off.
    One matrix product per kernel offset (a, b), added into the strided slab it came
    from (col2im without building the big (N·Ho·Wo, kh·kw·C_in) matrix). Pixels no
    window reaches stay 0.

    With strides > 1 a slab is every s-th pixel, and numpy's add would walk it in runs
    of C_in floats. So the sums go into x_p stored phase by phase: pixel
    (s_h·q + r, s_w·u + v) at buf[r, v, n, q, u], where each slab is a block of whole
    rows (runs of Wo·C_in floats); x_p is put together from the s_h·s_w phases at the
    end (faster: bench/README.md, "constants").
    """
    kh, kw, cin, _ = w.shape
    n, (ho, wo) = padded_shape[0], out_hw
    (top, bottom), (left, right) = pads
    (sh, sw), (dh, dw) = strides, dilation
    dtype = np.result_type(g.dtype, w.dtype)
    hp, wp = padded_shape[1:3]
    buf = np.zeros((sh, sw, n, -(-hp // sh), -(-wp // sw), cin), dtype=dtype)
    for a in range(kh):
        q, r = divmod(dh * a, sh)          # row s_h·i + d_h·a = s_h·(i + q) + r
        for b in range(kw):
            u, v = divmod(dw * b, sw)
            buf[r, v, :, q:q + ho, u:u + wo] += (g @ w[a, b].T).reshape(n, ho, wo, cin)
    if (sh, sw) == (1, 1):
        xp = buf[0, 0]                     # one phase: x_p itself
    else:
        xp = np.empty(padded_shape, dtype=dtype)
        for r in range(sh):
            for v in range(sw):
                phase = xp[:, r::sh, v::sw]
                phase[...] = buf[r, v, :, :phase.shape[1], :phase.shape[2]]
    return xp[:, top:xp.shape[1] - bottom, left:xp.shape[2] - right, :]


