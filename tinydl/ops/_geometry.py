"""Shared geometry of the convolution-like ops: argument pairs, padding rules, output
sizes, window offsets, and two small array helpers (pad or crop, per-channel sums).

Private to tinydl.ops: each op module takes its geometry from here, never from another op."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Tensor, to_array


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


def depthwise_kernel(x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
                     op: str) -> tuple[int, int, int, int]:
    """(kh, kw, C, depth_multiplier) of a depthwise kernel, checked against x (N, H, W, C)
    and the bias (C·depth_multiplier,)."""
    check_nhwc(x, op)
    if w.ndim != 4:
        raise ValueError(f"{op}: kernel must have shape (kh, kw, C, depth_multiplier); got "
                         f"shape {w.shape}")
    if w.shape[2] != x.shape[3]:
        raise ValueError(f"{op}: x has {x.shape[3]} channels (shape {x.shape}, layout "
                         f"N,H,W,C) but the kernel has {w.shape[2]} (shape {w.shape}, layout "
                         f"kh,kw,C,depth_multiplier)")
    kh, kw, c, m = w.shape
    if b is not None and b.shape != (c * m,):
        raise ValueError(f"{op}: bias must have shape ({c * m},) (one per output channel, "
                         f"C·depth_multiplier = {c}·{m}); got shape {b.shape}")
    return kh, kw, c, m


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
    one matrix-vector product (numpy's own sum over the leading axes of an (N·H·W, C)
    array with few channels loops per row: bench/README.md, "constants")."""
    g2 = g.reshape(-1, g.shape[-1])
    return np.ones(g2.shape[0], dtype=g.dtype) @ g2



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



def op_inputs(x: Any, w: Any, b: Any, op: str, arg: str = "x") -> tuple:
    """(x, w) or (x, w, b) as Tensors (arrays are wrapped, errors name `op` and the
    argument), for a convolution op's `apply`."""
    x = x if isinstance(x, Tensor) else Tensor(to_array(x, op, arg))
    w = w if isinstance(w, Tensor) else Tensor(to_array(w, op, "kernel w"))
    if b is None:
        return x, w
    return x, w, b if isinstance(b, Tensor) else Tensor(to_array(b, op, "bias b"))


