"""im2col and the patch products of the fast convolution kernels, done a few samples
at a time so that each piece of the patch matrix is still in the cache when BLAS reads it.

Private to tinydl.ops (the convolution, transposed convolution, depthwise and fused ops)."""
from __future__ import annotations

import numpy as np

from ..parallel import over_batch
from ._geometry import channel_sums, window_offset

# The constants below are measured, not derived: bench/README.md, "The constants of the
# fast kernels", gives each one's figures; the comment names the benchmark that sets it.

#: Patch matrices are built and multiplied in pieces of about this many bytes, each still
#: in the cache when BLAS reads it (set with bench_segmentation.py --profile).
CHUNK_BYTES = 4 << 20

#: Patch matrices up to this size in all are kept from the forward pass for the kernel
#: gradient, larger ones built again piece by piece (set with bench_mnist_cnn.py).
KEEP_BYTES = 64 << 20

#: A patch matrix up to this size in all is built and multiplied in one piece (set with
#: bench_gan.py --dcgan).
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


#: The kernel gradient Pᵀ·G of a patch matrix with fewer than 16 columns is summed in
#: blocks of this many rows, which OpenBLAS runs faster (set with profile_cnn.py).
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


