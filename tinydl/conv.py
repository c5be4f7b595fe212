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

Dilation ("atrous" convolution, Keras' `dilation_rate` d): the kernel taps are spread d
pixels apart, so a k-wide kernel covers d·(k-1)+1 pixels without more weights:

    correlate2d:  y[n, i, j, o] = Σ_{a,b,c} w[a, b, c, o] · x_p[n, s·i + d·a, s·j + d·b, c]
    conv2d:       y[n, i, j, o] = Σ_{a,b,c} w[a, b, c, o]
                                    · x_p[n, s·i + d·(kh-1-a), s·j + d·(kw-1-b), c]

(the article's formula with x(x - d·x', y - d·y') in place of x(x - x', y - y')). The
output size and 'same' padding follow from the effective kernel size d·(k-1)+1 (Keras'
rule). Strides and dilation may both exceed 1 here; Keras' layer refuses that, the op
does not.

Padding: 'valid' (none), 'same' (Keras' rule: output size ceil(H / s), the padding split
evenly with the odd pixel at the bottom/right), an int p (p on every side) or a pair
(p_h, p_w). Implementation: im2col — every kh×kw×C_in patch becomes a row of a matrix,
so the convolution is a matrix product (BLAS does the heavy lifting), done a few samples
at a time so that each piece of the patch matrix is still in the cache when BLAS reads it
(`patch_product`, `CHUNK_BYTES`).

Transposed convolution (`conv2d_transpose`, `correlate2d_transpose`; "deconvolution",
the upsampling layer of a GAN generator) is the adjoint of the convolution with respect
to its input: for the same kernel, strides and padding,

    <conv2d(x, w), y> = <x, conv2d_transpose(y, w)>      for all x, y,

so it maps the convolution's output shape back to its input shape, each pixel of y
spreading into a kh×kw window, windows s pixels apart. It is the convolution's dx
(the backward pass) used as a forward pass, and its backward is a forward convolution.
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


def padding_amounts(size: int, k: int, s: int, padding: Any, axis: int, op: str,
                    dilation: int = 1) -> tuple[int, int, int]:
    """(pad_before, pad_after, output_size) along one spatial axis.

    `padding` is 'valid', 'same', an int, or a pair (indexed by `axis`, 0 rows, 1 cols).
    Output size: floor((size + pad_before + pad_after - k_eff) / s) + 1, where the window
    spans k_eff = dilation·(k - 1) + 1 pixels (k itself without dilation).
    """
    span = dilation * (k - 1) + 1
    if padding == "valid":
        before = after = 0
    elif padding == "same":
        out = -(-size // s)  # ceil(size / s)
        total = max((out - 1) * s + span - size, 0)
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
    if padded < span:
        window = f"{k}-wide window" if dilation == 1 else \
            f"{k}-wide kernel dilated by {dilation} (spanning {span} pixels)"
        raise ValueError(f"{op}: the {window} is larger than the padded input "
                         f"({size} + {before} + {after} = {padded}) along spatial axis {axis}")
    return before, after, (padded - span) // s + 1


def check_nhwc(x: np.ndarray, op: str, arg: str = "x") -> None:
    """Refuse anything that is not a channels-last batch (N, H, W, C); `arg` names it."""
    if x.ndim != 4:
        raise ValueError(f"{op}: {arg} must be a batch of images of shape (N, H, W, C) (channels "
                         f"last); got shape {x.shape}. A single image of shape (H, W, C) needs "
                         f"{arg}[None]; a grayscale batch (N, H, W) needs {arg}[..., None].")


def spatial_geometry(x: np.ndarray, kh: int, kw: int, strides: Any, padding: Any,
                     dilation_rate: Any, op: str):
    """Strides, dilation, pads ((top, bottom), (left, right)) and output size (Ho, Wo) of a
    kh×kw window sliding over the NHWC batch x."""
    sh, sw = as_pair(strides, "strides", op)
    dh, dw = as_pair(dilation_rate, "dilation_rate", op)
    top, bottom, ho = padding_amounts(x.shape[1], kh, sh, padding, 0, op, dh)
    left, right, wo = padding_amounts(x.shape[2], kw, sw, padding, 1, op, dw)
    return (sh, sw), (dh, dw), ((top, bottom), (left, right)), (ho, wo)


def kernel_geometry(x: np.ndarray, w: np.ndarray, strides: Any, padding: Any,
                    dilation_rate: Any, op: str):
    """`spatial_geometry` for the kernel w (kh, kw, C_in, C_out) over the NHWC batch x,
    after checking that both are 4-D and that x has the C_in channels w expects."""
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
    return spatial_geometry(x, w.shape[0], w.shape[1], strides, padding, dilation_rate, op)


def window_offset(xp: np.ndarray, a: int, b: int, strides: tuple[int, int],
                  out_hw: tuple[int, int]) -> np.ndarray:
    """The pixel at offset (a, b) of every window: xp[:, s_h·i + a, s_w·j + b, :] for all
    output positions (i, j), as a strided view (N, Ho, Wo, C) of xp (no copy)."""
    (sh, sw), (ho, wo) = strides, out_hw
    return xp[:, a:a + sh * (ho - 1) + 1:sh, b:b + sw * (wo - 1) + 1:sw, :]


#: Patch matrices are built and multiplied a few samples at a time, in pieces of about
#: this many bytes. A piece stays in the CPU's cache from the moment im2col writes it to
#: the moment BLAS reads it, and the whole (N·Ho·Wo, kh·kw·C) matrix, which reaches
#: hundreds of MB on a U-Net's batch (too large for malloc to reuse: each step would
#: page-fault it back in), is never allocated. Measured on 2 cores: the 3×3 convolution
#: over 96 channels at 32×42 (batch 32) took 31 ms in one piece and 16 ms in pieces.
CHUNK_BYTES = 4 << 20

#: Patch matrices up to this size in all (a layer's whole batch) are kept from the forward
#: pass for the kernel gradient; larger ones are built again, piece by piece, in the
#: backward pass. Keeping them spares a second im2col (the article's CNN: about 10% of
#: a step) at the price of the memory.
KEEP_BYTES = 64 << 20


#: A patch matrix up to this size in all is built and multiplied in one piece: it fits
#: the L3 cache anyway, and a larger product runs closer to BLAS's peak (the DCGAN's
#: 6 MB matrices: their kernel gradients 1.0 ms in two pieces, 0.7 ms in one).
WHOLE_BYTES = 8 << 20


def sample_chunks(n: int, bytes_per_sample: int) -> list[slice]:
    """Consecutive slices of range(n): all of it when n·bytes_per_sample ≤ WHOLE_BYTES,
    else each about CHUNK_BYTES / bytes_per_sample samples (at least one)."""
    if n * bytes_per_sample <= WHOLE_BYTES:
        return [slice(0, n)]
    step = max(1, CHUNK_BYTES // max(bytes_per_sample, 1))
    return [slice(s, min(s + step, n)) for s in range(0, n, step)]


def im2col(xp: np.ndarray, kh: int, kw: int, strides: tuple[int, int], out_hw: tuple[int, int],
           ones_column: bool = False, dilation: tuple[int, int] = (1, 1)) -> np.ndarray:
    """Every kh×kw×C patch of a padded NHWC batch as a row of a matrix P.

    P has shape (N·Ho·Wo, kh·kw·C), row (n, i, j) holding
    xp[n, s_h·i + d_h·a, s_w·j + d_w·b, c] in (a, b, c) order (d the dilation). With
    `ones_column`, a last column of ones is appended: then [P 1] @ [W; bᵀ] = P @ W + b,
    the article's z = Wx + b written as z = [W b]·[x; 1].
    """
    n, _, _, c = xp.shape
    (sh, sw), (dh, dw), (ho, wo) = strides, dilation, out_hw
    k = kh * kw * c
    cols = np.empty((n, ho, wo, k + ones_column), dtype=xp.dtype)
    patches = cols[..., :k].reshape(n, ho, wo, kh, kw, c)  # a view into cols

    def copy_patches(s: slice) -> None:  # output rows s of every sample
        if c >= 16:
            # one copy from a strided view of all patches: fast when each pixel's C
            # channels form a long contiguous run
            s0, s1, s2, s3 = xp.strides
            view = np.lib.stride_tricks.as_strided(
                xp[:, s.start * sh:], shape=patches[:, s].shape,
                strides=(s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3), writeable=False)
            np.copyto(patches[:, s], view)
        else:
            # few channels (e.g. a grayscale image): copy one kernel offset at a time
            for a in range(kh):
                for b in range(kw):
                    patches[:, s, :, a, b, :] = window_offset(xp, dh * a, dw * b, strides,
                                                              out_hw)[:, s]
    # split between the threads along the output rows: a piece often holds one sample
    over_batch(copy_patches, ho, patches.size)
    if ones_column:
        cols[..., k] = 1
    return cols.reshape(-1, k + ones_column)


def is_pointwise(kh: int, kw: int, strides: tuple[int, int]) -> bool:
    """A 1×1 kernel with stride 1: P is the input itself, no patches needed."""
    return kh == kw == 1 and strides == (1, 1)


def kernel_matrix(w: np.ndarray, b: np.ndarray | None, dtype: np.dtype,
                  ones: bool) -> np.ndarray:
    """W = w as (kh·kw·C_in, C_out) in `dtype`; with `ones`, bᵀ appended as a last row
    (to meet P's column of ones)."""
    weights = w.reshape(-1, w.shape[3]).astype(dtype, copy=False)
    return np.concatenate([weights, b.astype(dtype, copy=False)[None, :]]) if ones else weights


def patch_rows(xp: np.ndarray, s: slice, kh: int, kw: int, strides: tuple[int, int],
               dilation: tuple[int, int], out_hw: tuple[int, int], ones: bool) -> np.ndarray:
    """The rows of P for the samples s: im2col(xp[s]), or xp[s] itself as
    (n·H·W, C_in) for a pointwise kernel."""
    if is_pointwise(kh, kw, strides):
        return xp[s, :out_hw[0], :out_hw[1]].reshape(-1, xp.shape[3])
    return im2col(xp[s], kh, kw, strides, out_hw, ones_column=ones, dilation=dilation)


def patch_product(xp: np.ndarray, w: np.ndarray, b: np.ndarray | None,
                  strides: tuple[int, int], dilation: tuple[int, int],
                  out_hw: tuple[int, int], keep: list | None = None,
                  relu: bool = False) -> np.ndarray:
    """Cross-correlation of a padded NHWC batch as patch matrix times kernel:
    y[n, i, j] = P[(n, i, j)] @ W + b with P = im2col(xp) and W = w as (kh·kw·C_in, C_out),
    computed piece by piece (`sample_chunks`) into one (N, Ho, Wo, C_out) array. The bias
    rides in the product as a row of W against a column of ones in P. A 1×1 kernel with
    stride 1 needs no patches: P is xp itself, seen as (N·H·W, C_in), and b is added.
    With a list `keep`, the pieces of P are appended to it as (samples, piece) pairs (for
    `patch_gradient`). With
    `relu`, y = max(0, P @ W + b), each piece while it is still in the cache."""
    n, cin = xp.shape[0], xp.shape[3]
    kh, kw, _, cout = w.shape
    ho, wo = out_hw
    dtype = np.result_type(xp.dtype, w.dtype)
    pointwise = is_pointwise(kh, kw, strides)
    ones = b is not None and not pointwise
    weights = kernel_matrix(w, b, dtype, ones)
    bias = None if b is None else b.astype(dtype, copy=False)
    y = np.empty((n, ho, wo, cout), dtype=dtype)
    for s in sample_chunks(n, ho * wo * kh * kw * cin * xp.itemsize):
        rows = y[s].reshape(-1, cout)
        cols = patch_rows(xp, s, kh, kw, strides, dilation, out_hw, ones)
        np.matmul(cols, weights, out=rows)
        if keep is not None:
            keep.append((s, cols))
        if b is not None and pointwise:
            rows += bias
        if relu:
            np.maximum(rows, 0, out=rows)
    return y


#: The kernel gradient Pᵀ·G sums many rows into a small matrix. OpenBLAS runs that
#: shape slowly when P has very few columns (a grayscale image's 3×3 patches: 45 GFLOP/s
#: over 86k rows × 10 columns on 2 cores here) and 2-2.5 times faster in blocks of this
#: many rows; from 16 columns on one product is as fast or faster (1025 columns: 20%).
GRADIENT_BLOCK_ROWS = 2048


def add_transposed_product(p: np.ndarray, g: np.ndarray, acc: np.ndarray) -> None:
    """acc += pᵀ·g for p (R, K) and g (R, C); in blocks of GRADIENT_BLOCK_ROWS rows when
    K < 16."""
    step = GRADIENT_BLOCK_ROWS if p.shape[1] < 16 else len(p)
    part = np.empty_like(acc)
    for i in range(0, len(p), max(step, 1)):
        np.matmul(p[i:i + step].T, g[i:i + step], out=part)
        acc += part


def patch_gradient(xp: np.ndarray, g: np.ndarray, kh: int, kw: int, strides: tuple[int, int],
                   dilation: tuple[int, int], bias: bool = False, kept: list | None = None,
                   relu_out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """(dL/dW, dL/db) of `patch_product`: dW = Pᵀ G (kh·kw·C_in, C_out) with P = im2col(xp)
    and G = g as (N·Ho·Wo, C_out), summed piece by piece; with `bias`, db = Σ G over the
    pixels comes out of the same product as the row of P's column of ones (else None).
    `kept`: the (samples, piece) pairs of P that `patch_product` kept, or None to build
    the pieces again.
    `relu_out`: the output y = max(0, ·) of a product made with relu=True; then g is the
    gradient with respect to y, and each piece of G is masked by y > 0 (the ReLU's
    backward) just before its product."""
    n, cin = xp.shape[0], xp.shape[3]
    ho, wo, cout = g.shape[1:]
    k = kh * kw * cin
    dtype = np.result_type(xp.dtype, g.dtype)
    pointwise = is_pointwise(kh, kw, strides)
    ones = bias and not pointwise
    dwb = np.zeros((k + ones, cout), dtype=dtype)
    db = np.zeros(cout, dtype=dtype) if bias and not ones else None
    pieces = kept or [(s, None) for s in sample_chunks(n, ho * wo * k * xp.itemsize)]
    for s, cols in pieces:
        if cols is None:
            cols = patch_rows(xp, s, kh, kw, strides, dilation, (ho, wo), ones)
        gs = g[s].reshape(-1, cout)
        if relu_out is not None:
            gs = gs * (relu_out[s].reshape(-1, cout) > 0)
        add_transposed_product(cols, gs, dwb)
        if db is not None:
            db += channel_sums(gs)
    if not bias:
        return dwb, None
    return (dwb[:k], dwb[k]) if ones else (dwb, db)


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

    Strides > 1: `subpixel_gradient` when the strides divide the kernel size and
    8 ≤ C_in ≤ 32, where it measured faster (the DCGAN's 4×4 stride-2 layers from 64 to
    32 channels: 1.08 against 1.42 ms); `scatter_windows` otherwise (one input channel,
    64 or more, kernels the strides do not divide: the sub-pixel products would be too
    narrow, as wide anyway, or padded with zero taps).
    """
    kh, kw, cin, cout = w.shape
    strided = strides != (1, 1)
    if (strided and dilation == (1, 1) and kh % strides[0] == 0 and kw % strides[1] == 0
            and 8 <= cin <= 32):
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


def pad_or_crop(g: np.ndarray, rows: tuple[int, int], cols: tuple[int, int]) -> np.ndarray:
    """g (N, H, W, C) with rows[0] zero rows added at the top and rows[1] at the bottom
    (cols: left and right); a negative amount cuts that many off instead."""
    (top, bottom), (left, right) = rows, cols
    g = g[:, max(-top, 0):g.shape[1] - max(-bottom, 0),
          max(-left, 0):g.shape[2] - max(-right, 0)]
    pads = ((0, 0), (max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0)), (0, 0))
    return np.pad(g, pads) if any(map(any, pads)) else g


def channel_sums(g: np.ndarray) -> np.ndarray:
    """Σ of g over every axis but the last (a bias gradient, a batch norm's sums), as
    one matrix-vector product: numpy's own sum over the leading axes of an (N·H·W, C)
    array with few channels runs a short loop per row, about ten times slower here."""
    g2 = g.reshape(-1, g.shape[-1])
    return np.ones(g2.shape[0], dtype=g.dtype) @ g2


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
    end (measured on the DCGAN's 4×4, stride-2 layer: the adds 0.98 → 0.59 ms).
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


class Correlate2D(Function):
    """Cross-correlation y[n,i,j,o] = Σ_{a,b,c} w[a,b,c,o] · x_p[n, s·i+d·a, s·j+d·b, c]
    (+ bias), d the dilation (1: the plain correlation).

    Forward: the matrix product of the patches P (N·Ho·Wo, kh·kw·C_in) and the kernel W
    (kh·kw·C_in, C_out), plus the bias (`patch_product`, a few samples at a time).
    Backward with G = dL/dy as (N·Ho·Wo, C_out): [dW; dbᵀ] = [P 1]ᵀ G (`patch_gradient`:
    P's pieces kept from the forward pass up to KEEP_BYTES, else built again, and db = Σ G
    out of the same product), and dx the adjoint of the correlation (`input_gradient`).
    """
    def forward(self, x, w, b=None, strides=1, padding="valid", dilation_rate=1, op="correlate2d",
                relu=False):
        self.strides, self.dilation, pads, out_hw = kernel_geometry(x, w, strides, padding,
                                                              dilation_rate, op)
        if b is not None and b.shape != (w.shape[3],):
            raise ValueError(f"{op}: bias must have shape ({w.shape[3]},) (one per output "
                             f"channel); got shape {b.shape}")
        self.pads, self.w, self.has_bias = pads, w, b is not None
        self.xp = pad_or_crop(x, *pads)
        kh, kw, cin, _ = w.shape
        size = x.shape[0] * out_hw[0] * out_hw[1] * kh * kw * cin * x.itemsize
        self.kept = [] if size <= KEEP_BYTES and (kh, kw) != (1, 1) else None
        y = patch_product(self.xp, w, b, self.strides, self.dilation, out_hw, self.kept, relu)
        self.relu_out = y if relu else None
        return y

    def backward(self, grad):
        kh, kw, cin, cout = self.w.shape
        dw = db = dx = None
        relu_out = self.relu_out
        if relu_out is not None and self.needs_grad[0]:
            # dx needs the whole masked gradient anyway: mask it once, here
            grad, relu_out = grad * (relu_out > 0), None
        if self.needs_grad[1] or (self.has_bias and self.needs_grad[2]):
            dw, db = patch_gradient(self.xp, grad, kh, kw, self.strides, self.dilation,
                                    self.has_bias, self.kept, relu_out)
            self.kept = None
            dw = dw.reshape(self.w.shape)
        if self.needs_grad[0]:
            dx = input_gradient(grad, self.w, self.strides, self.pads, self.xp.shape,
                                grad.shape[1:3], self.dilation)
        return (dx, dw, db) if self.has_bias else (dx, dw)


class Conv2D(Function):
    """True convolution (the article's formula): correlation with the kernel flipped,
    conv2d(x, w) = correlate2d(x, w[::-1, ::-1]); the kernel gradient is flipped back.

    relu=True (what the Conv2D layer asks for with activation='relu') returns
    max(0, conv2d(x, w) + b) as one op: the ReLU runs on each piece of the output while
    it is in the cache, and its backward is folded into the kernel gradient's pieces."""
    def forward(self, x, w, b=None, strides=1, padding="valid", dilation_rate=1, relu=False):
        self.corr = Correlate2D()
        return self.corr.forward(x, w[::-1, ::-1], b, strides, padding, dilation_rate,
                                 op="conv2d", relu=relu)

    def backward(self, grad):
        self.corr.needs_grad = self.needs_grad
        grads = self.corr.backward(grad)
        dw = grads[1][::-1, ::-1] if grads[1] is not None else None
        return (grads[0], dw) + tuple(grads[2:])


def output_padding_pair(value: Any, strides: tuple[int, int],
                        op: str) -> tuple[int | None, int | None]:
    """A transposed convolution's output_padding -> (q_h, q_w): None -> (None, None) (the
    default size), else an int or a pair of ints with 0 ≤ q < stride along each axis."""
    if value is None:
        return None, None
    pair = (value, value) if isinstance(value, int | np.integer) else value
    if not (isinstance(pair, tuple | list) and len(pair) == 2
            and all(isinstance(q, int | np.integer) and q >= 0 for q in pair)):
        raise ValueError(f"{op}: output_padding must be None, a non-negative int or a pair of "
                         f"them, got {value!r}")
    if pair[0] >= strides[0] or pair[1] >= strides[1]:
        # a stride-s convolution maps s consecutive input sizes to the same output size;
        # output_padding picks one of those s, so it is 0..s-1
        raise ValueError(f"{op}: output_padding {tuple(pair)} must be smaller than the strides "
                         f"{strides} along each axis")
    return int(pair[0]), int(pair[1])


def transposed_size(size: int, k: int, s: int, padding: Any, output_padding: int | None,
                    axis: int, op: str) -> tuple[int, int, int]:
    """(pad_before, pad_after, output_size) of a transposed convolution along one axis,
    whose input y has `size` pixels there.

    Output size, Keras' deconv_output_length for 'valid' and 'same' (PyTorch's
    conv_transpose2d rule for an int padding p), with q the output_padding:

        'valid':  (size - 1)·s + max(k, s)   with q: (size - 1)·s + k + q
        'same':   size·s                      with q: (size - 1)·s + (k mod 2) + q
        p:        (size - 1)·s + k - 2p + q   (q = 0 when None)

    The pads are the ones conv2d uses for an input of output_size (`padding_amounts`),
    and conv2d must map that size back to `size`, or there is no transpose: a
    ValueError (e.g. 'same' with an even kernel and q = 0, or p too large).
    """
    if padding == "same":
        out = size * s if output_padding is None else (size - 1) * s + k % 2 + output_padding
    else:
        # 'valid', an int or a pair: the pads do not depend on the image size (size k just
        # lets the window fit), and padding_amounts validates `padding` for us
        before, after, _ = padding_amounts(k, k, s, padding, axis, op)
        if output_padding is not None:
            extra = output_padding
        else:
            extra = max(s - k, 0) if padding == "valid" else 0
        out = (size - 1) * s + k - before - after + extra
    before, after, back = (padding_amounts(out, k, s, padding, axis, op) if out >= 1
                           else (0, 0, None))
    if back != size:
        got = "no image" if back is None else f"size {back}"
        hint = (" With 'same' padding and an even kernel, use output_padding ≥ 1 (or None)."
                if padding == "same" else " The padding is too large for this kernel.")
        raise ValueError(f"{op}: along spatial axis {axis} the output size would be {out} "
                         f"(input size {size}, kernel {k}, stride {s}, padding {padding!r}, "
                         f"output_padding {output_padding}), but conv2d maps that to {got}, "
                         f"not {size}.{hint}")
    return before, after, out


def _transpose_geometry(y: np.ndarray, w: np.ndarray, strides: Any, padding: Any,
                        output_padding: Any, op: str):
    check_nhwc(y, op, "y")
    if w.ndim != 4:
        raise ValueError(f"{op}: kernel must have shape (kh, kw, C_out, C_in) (the layout of "
                         f"the conv2d kernel it transposes); got shape {w.shape}")
    if w.shape[3] != y.shape[3]:
        hint = ""
        if y.shape[1] == w.shape[3]:
            hint = " (is y in NCHW layout? tinydl expects channels last: y.transpose(0, 2, 3, 1))"
        elif y.shape[3] == w.shape[2]:
            hint = (" (kernel axes 2 and 3 swapped? the transpose reads its input channels "
                    "from the last axis: w.transpose(0, 1, 3, 2))")
        raise ValueError(f"{op}: y has {y.shape[3]} channels (shape {y.shape}, layout N,H,W,C) "
                         f"but the kernel expects {w.shape[3]} (shape {w.shape}, layout "
                         f"kh,kw,C_out,C_in){hint}")
    sh, sw = as_pair(strides, "strides", op)
    qh, qw = output_padding_pair(output_padding, (sh, sw), op)
    kh, kw = w.shape[:2]
    top, bottom, ho = transposed_size(y.shape[1], kh, sh, padding, qh, 0, op)
    left, right, wo = transposed_size(y.shape[2], kw, sw, padding, qw, 1, op)
    return (sh, sw), ((top, bottom), (left, right)), (ho, wo)


class Correlate2DTranspose(Function):
    """The adjoint of Correlate2D with respect to x. Kernel w (kh, kw, C_out, C_in), y
    (N, h, w, C_in); into zeros x_p (N, H + top + bottom, W + left + right, C_out):

        x_p[n, s_h·i + a, s_w·j + b, c] += Σ_o w[a, b, c, o] · y[n, i, j, o]

    then out = x_p with the padding cut off, + bias[c].
    Forward: `input_gradient`, the very code of Correlate2D's dx.
    Backward with G = dL/d(out) padded like x_p and P = im2col(G_p) (N·h·w, kh·kw·C_out):
    dL/dy = P·W (the forward correlation correlate2d(G, w), same strides and padding),
    dL/dW = Pᵀ·Y with Y = y as (N·h·w, C_in), and dL/db = Σ G over n and the pixels.
    """
    def forward(self, y, w, b=None, strides=1, padding="valid", output_padding=None,
                op="correlate2d_transpose"):
        self.strides, self.pads, (ho, wo) = _transpose_geometry(y, w, strides, padding,
                                                                output_padding, op)
        if b is not None and b.shape != (w.shape[2],):
            raise ValueError(f"{op}: bias must have shape ({w.shape[2]},) (one per output "
                             f"channel, kernel axis 2); got shape {b.shape}")
        self.y, self.w, self.has_bias = y, w, b is not None
        (top, bottom), (left, right) = self.pads
        padded_shape = (y.shape[0], ho + top + bottom, wo + left + right, w.shape[2])
        out = input_gradient(y, w, self.strides, self.pads, padded_shape, y.shape[1:3])
        return out + b.astype(w.dtype) if self.has_bias else out

    def backward(self, grad):
        kh, kw, cout, cin = self.w.shape
        dy = dw = db = None
        if self.needs_grad[0] or self.needs_grad[1]:
            gp = pad_or_crop(grad, *self.pads)
            n, h, w = self.y.shape[:3]
            size = n * h * w * kh * kw * cout * gp.itemsize        # bytes of P
            kept = [] if self.needs_grad[1] and size <= KEEP_BYTES else None
            if self.needs_grad[0]:      # dW below reuses these patches of G_p
                dy = patch_product(gp, self.w, None, self.strides, (1, 1), self.y.shape[1:3],
                                   kept)
            if self.needs_grad[1]:
                dw = patch_gradient(gp, self.y, kh, kw, self.strides, (1, 1),
                                    kept=kept)[0].reshape(self.w.shape)
        if self.has_bias and self.needs_grad[2]:
            db = channel_sums(grad)
        return (dy, dw, db) if self.has_bias else (dy, dw)


class Conv2DTranspose(Function):
    """The adjoint of Conv2D with respect to x: Correlate2DTranspose with the kernel
    flipped, conv2d_transpose(y, w) = correlate2d_transpose(y, w[::-1, ::-1]); the kernel
    gradient is flipped back."""
    def forward(self, y, w, b=None, strides=1, padding="valid", output_padding=None):
        self.corr = Correlate2DTranspose()
        return self.corr.forward(y, w[::-1, ::-1], b, strides, padding, output_padding,
                                 op="conv2d_transpose")

    def backward(self, grad):
        self.corr.needs_grad = self.needs_grad
        grads = self.corr.backward(grad)
        dw = grads[1][::-1, ::-1] if grads[1] is not None else None
        return (grads[0], dw) + tuple(grads[2:])


def op_inputs(x: Any, w: Any, b: Any, op: str, arg: str = "x") -> tuple:
    """(x, w) or (x, w, b) as Tensors (arrays are wrapped, errors name `op` and the
    argument), for a convolution op's `apply`."""
    x = x if isinstance(x, Tensor) else Tensor(to_array(x, op, arg))
    w = w if isinstance(w, Tensor) else Tensor(to_array(w, op, "kernel w"))
    if b is None:
        return x, w
    return x, w, b if isinstance(b, Tensor) else Tensor(to_array(b, op, "bias b"))


def conv2d(x: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
           dilation_rate: Any = 1) -> Tensor:
    """True 2-D convolution, the article's y(x,y) = Σ_{x'}Σ_{y'} w(x',y')·x(x-x', y-y').

    Args:
        x: (N, H, W, C_in) batch, channels last.
        w: (kh, kw, C_in, C_out) kernel.
        b: optional (C_out,) bias, added to every output pixel.
        strides: int or (s_h, s_w).
        padding: 'valid', 'same', an int or a pair (p_h, p_w).
        dilation_rate: int or (d_h, d_w): kernel taps d pixels apart (Keras' meaning),
            y(x,y) = Σ_{x'}Σ_{y'} w(x',y')·x(x - d·x', y - d·y').
    Returns:
        (N, H_out, W_out, C_out) with H_out = floor((H + pads - k_eff) / s_h) + 1,
        k_eff = d_h·(kh - 1) + 1 (ceil(H / s_h) for 'same').

    Equals `correlate2d(x, w[::-1, ::-1], b, strides, padding, dilation_rate)`: Keras and
    PyTorch "convolution" is correlate2d, not this.
    """
    return Conv2D.apply(*op_inputs(x, w, b, "conv2d"), strides=strides, padding=padding,
                        dilation_rate=dilation_rate)


def conv2d_relu(x: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
                dilation_rate: Any = 1) -> Tensor:
    """max(0, conv2d(x, w, b, ...)) as one op (`Conv2D` with relu=True): what the Conv2D
    layer runs for activation='relu'. Same arguments and shapes as `conv2d`; the ReLU is
    applied to each piece of the output while it is in the cache, and its backward is
    folded into the kernel gradient's pieces when x needs no gradient."""
    return Conv2D.apply(*op_inputs(x, w, b, "conv2d"), strides=strides, padding=padding,
                        dilation_rate=dilation_rate, relu=True)


def correlate2d(x: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
                dilation_rate: Any = 1) -> Tensor:
    """2-D cross-correlation, what Keras' Conv2D and torch.nn.functional.conv2d compute:
    y[n,i,j,o] = Σ_{a,b,c} w[a,b,c,o] · x_p[n, s_h·i + d_h·a, s_w·j + d_w·b, c] + b[o]
    (d = dilation_rate, 1 by default).

    Same arguments, shapes and padding rules as `conv2d`; it equals
    `conv2d(x, w[::-1, ::-1], ...)` (the kernel flipped along both spatial axes).
    """
    return Correlate2D.apply(*op_inputs(x, w, b, "correlate2d"), strides=strides, padding=padding,
                             dilation_rate=dilation_rate)


def conv2d_transpose(y: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
                     output_padding: Any = None) -> Tensor:
    """Transposed true convolution: the adjoint of `conv2d` with respect to its input x.

    For the same kernel, strides and padding, <conv2d(x, w), y> = <x, conv2d_transpose(y, w)>
    for every x of the output's shape and every y: conv2d maps (N, H, W, C_out) to
    (N, h, w, C_in), this maps (N, h, w, C_in) back to (N, H, W, C_out). Each pixel of y
    is spread, through the kernel walked backwards, over a kh×kw window of the output,
    the windows s pixels apart (upsampling by s).

    Args:
        y: (N, h, w, C_in) batch, channels last.
        w: (kh, kw, C_out, C_in) kernel: the very kernel of the conv2d it transposes (which
            maps C_out channels to C_in), also Keras' Conv2DTranspose layout
            (kh, kw, filters, in_channels).
        b: optional (C_out,) bias, added to every output pixel.
        strides: int or (s_h, s_w).
        padding: 'valid', 'same', an int or a pair (p_h, p_w): the padding of that conv2d.
        output_padding: None, or an int or pair q with 0 ≤ q < stride, added to the
            output size (a stride-s conv2d maps s input sizes to the same h; q picks one).
    Returns:
        (N, H, W, C_out), along each axis (Keras' deconv_output_length; PyTorch's rule
        for an int padding p):
            'valid': (h-1)·s + max(k, s), or (h-1)·s + k + q with output_padding q
            'same':  h·s,                  or (h-1)·s + (k mod 2) + q
            p:       (h-1)·s + k - 2p + q
        H is always a size that conv2d maps back to h; a ValueError when none exists.

    The formula: with (top, bottom, left, right) the padding conv2d uses for an input of
    size (H, W), x_p zeros of shape (N, top + H + bottom, left + W + right, C_out),

        x_p[n, s_h·i + kh-1-a, s_w·j + kw-1-b, c] += Σ_o w[a, b, c, o] · y[n, i, j, o]

    for all n, i < h, j < w, a < kh, b < kw, c; then
    out[n, r, t, c] = x_p[n, top + r, left + t, c] + b[c]. This is conv2d's own indexing
    (pixel s·i + kh-1-a of the padded input meets kernel entry a for output i) run
    backwards: conv2d gathers x_p into y, this scatters y into x_p.

    Equals `correlate2d_transpose(y, w[::-1, ::-1], b, ...)`. Keras' Conv2DTranspose and
    torch.nn.functional.conv_transpose2d compute correlate2d_transpose, not this.
    """
    return Conv2DTranspose.apply(*op_inputs(y, w, b, "conv2d_transpose", "y"), strides=strides,
                                 padding=padding, output_padding=output_padding)


def correlate2d_transpose(y: Any, w: Any, b: Any = None, strides: Any = 1, padding: Any = "valid",
                          output_padding: Any = None) -> Tensor:
    """Transposed cross-correlation: the adjoint of `correlate2d` with respect to its input,
    what Keras' Conv2DTranspose and torch.nn.functional.conv_transpose2d compute:

        x_p[n, s_h·i + a, s_w·j + b, c] += Σ_o w[a, b, c, o] · y[n, i, j, o],
        out = x_p with the padding cut off, + b[c].

    Same arguments, shapes, output sizes and padding rules as `conv2d_transpose`, and
    conv2d_transpose(y, w) == correlate2d_transpose(y, w[::-1, ::-1]). A PyTorch weight
    (C_in, C_out, kh, kw) is w_torch.transpose(2, 3, 1, 0) here (NCHW data: transpose
    (0, 2, 3, 1)); PyTorch's int padding p and output_padding q mean the same as here.
    """
    return Correlate2DTranspose.apply(*op_inputs(y, w, b, "correlate2d_transpose", "y"),
                                      strides=strides, padding=padding,
                                      output_padding=output_padding)
