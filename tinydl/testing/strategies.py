"""Hypothesis strategies for property-testing ops and their gradients.

Use them for your own ops too::

    from hypothesis import given
    from tinydl import gradcheck
    from tinydl.testing import strategies as tst

    @given(tst.arrays(tst.shapes(), away_from=(0.0,)))
    def test_my_relu(x):
        gradcheck(my_relu, x)

Values are float64 (gradient checks need the precision), finite and bounded, so that
central differences are meaningful. Functions with kinks (ReLU and |x| at 0, clip at
its bounds, ties in max) are not differentiable there: `away_from` and
`distinct_arrays` steer generated values a safe margin away from such points instead
of ignoring the failures.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

#: Margin kept between generated values and kinks: far larger than gradcheck's ε = 1e-6,
#: so that x ± ε never straddles the kink.
KINK_MARGIN = 1e-3


def shapes(min_dims: int = 1, max_dims: int = 3, min_side: int = 1, max_side: int = 4) -> st.SearchStrategy:
    """Array shapes, e.g. (3,), (2, 4), (1, 3, 2)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def steer_away(x: np.ndarray, points: Sequence[float], margin: float = KINK_MARGIN) -> np.ndarray:
    """Move every value closer than `margin` to one of `points` out to point ± margin."""
    x = np.array(x, dtype=np.float64)
    for p in points:
        near = np.abs(x - p) < margin
        x[near] = np.where(x[near] >= p, p + margin, p - margin)
    return x


def arrays(shape: Any, min_value: float = -3.0, max_value: float = 3.0,
           away_from: Sequence[float] = (), dtype: Any = np.float64) -> st.SearchStrategy:
    """Arrays of `shape` (a tuple or a strategy of tuples) with finite values in
    [min_value, max_value], kept KINK_MARGIN away from every point in `away_from`."""
    elements = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False, width=64)
    strategy = hnp.arrays(np.float64, shape, elements=elements)
    if away_from:
        strategy = strategy.map(lambda x: steer_away(x, away_from))
    return strategy.map(lambda x: x.astype(dtype))


def positive_arrays(shape: Any, min_value: float = 0.1, max_value: float = 3.0) -> st.SearchStrategy:
    """Arrays with values in [min_value, max_value], e.g. for log, sqrt and division."""
    return arrays(shape, min_value, max_value)


def distinct_arrays(shape: Any, gap: float = 1e-2, min_value: float = -3.0,
                    max_value: float = 3.0) -> st.SearchStrategy:
    """Arrays whose values all differ by at least `gap`: no ties, so max, max-pool and
    argmax have a unique winner and a well-defined gradient.

    Sorts the drawn values and adds gap·rank, which spreads ties apart and keeps order.
    """
    def spread(x: np.ndarray) -> np.ndarray:
        flat = x.ravel().copy()
        order = np.argsort(flat, kind="stable")
        flat[order] = flat[order] + gap * np.arange(flat.size)
        return flat.reshape(x.shape)
    return arrays(shape, min_value, max_value).map(spread)


def axes(ndim: int) -> st.SearchStrategy:
    """An `axis` argument for a reduction over an ndim-array: None, one axis (possibly
    negative), or a tuple of distinct axes."""
    if ndim == 0:
        return st.none()
    one = st.integers(-ndim, ndim - 1)
    many = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)
    return st.one_of(st.none(), one, many)


@st.composite
def broadcastable_pairs(draw: Any, max_dims: int = 3, max_side: int = 3) -> tuple[tuple, tuple]:
    """Two shapes that broadcast together, e.g. ((3, 1), (2, 1, 4))."""
    result = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=max_dims,
                                                    max_side=max_side))
    return result.input_shapes


@dataclass(frozen=True)
class ConvGeometry:
    """One convolution / pooling problem that fits: x is (n, h, w, c_in), the window
    (kh, kw), the kernel (kh, kw, c_in, c_out); `dilation` an int or a pair (1: none)."""
    n: int
    h: int
    w: int
    c_in: int
    c_out: int
    kh: int
    kw: int
    strides: Any
    padding: Any
    dilation: Any = 1

    @property
    def x_shape(self) -> tuple[int, int, int, int]:
        return (self.n, self.h, self.w, self.c_in)

    @property
    def w_shape(self) -> tuple[int, int, int, int]:
        return (self.kh, self.kw, self.c_in, self.c_out)


def _pad(padding: Any, axis: int) -> int:
    """The padding on each side along `axis` of an int or pair padding (0 for 'valid')."""
    if padding == "valid":
        return 0
    return padding if isinstance(padding, int) else padding[axis]


def _fits(size: int, k: int, padding: Any, axis: int) -> bool:
    return padding == "same" or size + 2 * _pad(padding, axis) >= k


def _min_size(span: int, padding: Any, axis: int) -> int:
    """The smallest image a window of `span` pixels fits with this padding."""
    return 1 if padding == "same" else max(1, span - 2 * _pad(padding, axis))


def _dilation(draw: Any, k: int, max_size: int, padding: Any, axis: int, max_dilation: int) -> int:
    """A dilation d ≤ max_dilation whose window d·(k-1)+1 still fits some image of at
    most max_size pixels with this padding."""
    if k > 1 and padding != "same":
        room = max_size + 2 * _pad(padding, axis)
        max_dilation = max(1, min(max_dilation, (room - 1) // (k - 1)))
    return draw(st.integers(1, max_dilation))


@st.composite
def conv_geometries(draw: Any, max_batch: int = 2, max_size: int = 7, max_channels: int = 3,
                    max_kernel: int = 4, max_stride: int = 3,
                    max_dilation: int = 1) -> ConvGeometry:
    """Batch, image size, channels, kernel size, strides and padding that fit together:
    'valid', 'same', an int or a pair of paddings, square or rectangular kernels and
    strides given as an int or a pair. With max_dilation > 1 also a dilation (an int or
    a pair, together with any strides), the image large enough for the dilated kernel
    d·(k-1)+1."""
    kh, kw = draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel))
    padding = draw(st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 2),
                             st.tuples(st.integers(0, 2), st.integers(0, 2))))
    if max_dilation > 1:
        dh = _dilation(draw, kh, max_size, padding, 0, max_dilation)
        dw = _dilation(draw, kw, max_size, padding, 1, max_dilation)
        dilation: Any = draw(st.sampled_from([dh, (dh, dh)])) if dh == dw else (dh, dw)
        # draw the sizes the dilated window fits directly (a filter would reject too often)
        h = draw(st.integers(_min_size(dh * (kh - 1) + 1, padding, 0), max_size))
        w = draw(st.integers(_min_size(dw * (kw - 1) + 1, padding, 1), max_size))
    else:
        dilation = 1
        h = draw(st.integers(1, max_size).filter(lambda s: _fits(s, kh, padding, 0)))
        w = draw(st.integers(1, max_size).filter(lambda s: _fits(s, kw, padding, 1)))
    strides = draw(st.one_of(st.integers(1, max_stride),
                             st.tuples(st.integers(1, max_stride), st.integers(1, max_stride))))
    return ConvGeometry(draw(st.integers(1, max_batch)), h, w, draw(st.integers(1, max_channels)),
                        draw(st.integers(1, max_channels)), kh, kw, strides, padding, dilation)


@st.composite
def pool_geometries(draw: Any, max_batch: int = 2, max_size: int = 7, max_channels: int = 3,
                    max_pool: int = 3) -> ConvGeometry:
    """Like `conv_geometries` for pooling: c_out == c_in; strides None (= pool size) or
    drawn; pool padding kept below the window size (Keras' 'same' always is)."""
    ph, pw = draw(st.integers(1, max_pool)), draw(st.integers(1, max_pool))
    padding = draw(st.one_of(st.sampled_from(["valid", "same"]),
                             st.tuples(st.integers(0, ph - 1), st.integers(0, pw - 1))))
    h = draw(st.integers(1, max_size).filter(lambda s: _fits(s, ph, padding, 0)))
    w = draw(st.integers(1, max_size).filter(lambda s: _fits(s, pw, padding, 1)))
    strides = draw(st.one_of(st.none(), st.integers(1, max_pool),
                             st.tuples(st.integers(1, max_pool), st.integers(1, max_pool))))
    c = draw(st.integers(1, max_channels))
    return ConvGeometry(draw(st.integers(1, max_batch)), h, w, c, c, ph, pw, strides, padding)
