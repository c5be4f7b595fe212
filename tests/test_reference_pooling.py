"""The reference max and average pooling (tinydl/ops/reference/pooling.py): (a) gradchecked,
(b) equal to the literal window loop of tests/reference.py, (c) equal to the fast kernel,
values and gradients, ties included (the gradient goes to the first maximum of a window in
row-major order on both), (d) what tinydl.functional runs inside use_kernels("reference");
bad arguments get the same error from both kernels."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinydl.functional as F
from tinydl import Tensor, gradcheck
from tinydl.ops import use_kernels
from tinydl.ops.reference import pooling as ref_pooling
from tinydl.testing import strategies as tst

from kernel_helpers import assert_kernels_agree, assert_same_error
from reference import pads_1d, pool2d_loops

GRAD_TOL = dict(atol=1e-6, rtol=1e-5)      # gradcheck: per element, float64, ε = 1e-6
DTYPES = [np.float64, np.float32]
KINDS = {"max": (F.max_pool2d, ref_pooling.max_pool2d),
         "avg": (F.avg_pool2d, ref_pooling.avg_pool2d)}


def options(g):
    return dict(pool_size=(g.kh, g.kw), strides=g.strides, padding=g.padding)


def ties(shape):
    """Arrays of a few small integers: windows full of ties (and of equal maxima)."""
    return tst.arrays(shape, -1.0, 2.0).map(np.round)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=20, deadline=None)
@given(g=tst.pool_geometries(), data=st.data())
def test_reference_pooling_is_the_window_loop(kind, g, data):
    x = data.draw(tst.arrays(g.x_shape))
    got = KINDS[kind][1](x, **options(g)).data
    want = pool2d_loops(x, (g.kh, g.kw), g.strides, g.padding, kind)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@settings(max_examples=10, deadline=None)
@given(g=tst.pool_geometries(), data=st.data())
def test_grad_reference_max_pool2d(g, data):
    # distinct values: one maximum per window, a gap of 1e-2 ≫ ε between it and the rest
    x = data.draw(tst.distinct_arrays(g.x_shape))
    gradcheck(lambda x: ref_pooling.max_pool2d(x, **options(g)), x, **GRAD_TOL)


@settings(max_examples=10, deadline=None)
@given(g=tst.pool_geometries(), data=st.data())
def test_grad_reference_avg_pool2d(g, data):
    x = data.draw(tst.arrays(g.x_shape))
    gradcheck(lambda x: ref_pooling.avg_pool2d(x, **options(g)), x, **GRAD_TOL)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=20, deadline=None)
@given(g=tst.pool_geometries(max_size=8), tied=st.booleans(), data=st.data())
def test_fast_pooling_equals_the_reference(dtype, kind, g, tied, data):
    # with tied=True most windows hold several equal maxima: the gradient must reach the
    # same pixel on both kernels (the fast one's tiled path when strides = pool size and
    # 'valid', its two-pass path otherwise)
    x = data.draw(ties(g.x_shape) if tied else tst.arrays(g.x_shape))
    assert_kernels_agree(lambda x: KINDS[kind][0](x, **options(g)), x, dtype=dtype)


@pytest.mark.parametrize("kernels", ["reference", "fast"])
@pytest.mark.parametrize("pool, strides, padding", [((2, 2), None, "valid"),
                                                    ((2, 3), (1, 2), "same")])
def test_a_tie_goes_to_the_first_maximum_in_row_major_order(kernels, pool, strides, padding):
    # most windows of this image hold their maximum 5 twice or more; the gradient goes to
    # the earliest in window order (row by row), found here by a plain search
    x = np.array([[5, 1, 5, 5, 0],
                  [5, 5, 2, 5, 5],
                  [0, 5, 5, 1, 5],
                  [5, 3, 5, 5, 0]], dtype=np.float64)
    t = Tensor(x[None, :, :, None], requires_grad=True)
    with use_kernels(kernels):
        y = F.max_pool2d(t, pool, strides, padding)
    g = np.arange(1.0, 1.0 + y.size).reshape(y.shape)
    y.backward(g)
    (ph, pw), (sh, sw) = pool, strides or pool
    top, left = pads_1d(x.shape[0], ph, sh, padding)[0], pads_1d(x.shape[1], pw, sw, padding)[0]
    want = np.zeros_like(x)
    for i in range(y.shape[1]):
        for j in range(y.shape[2]):
            window = [(r, c) for r in range(sh * i - top, sh * i - top + ph)
                      for c in range(sw * j - left, sw * j - left + pw)
                      if 0 <= r < x.shape[0] and 0 <= c < x.shape[1]]
            best = max(x[r, c] for r, c in window)
            first = next((r, c) for r, c in window if x[r, c] == best)
            want[first] += g[0, i, j, 0]
    np.testing.assert_array_equal(t.grad[0, :, :, 0], want)


@pytest.mark.parametrize("kind", KINDS)
def test_the_public_op_runs_the_reference_only_inside_the_block(kind):
    x = Tensor(np.random.default_rng(0).standard_normal((2, 6, 6, 3)), requires_grad=True)
    with use_kernels("reference"):
        inside = F.max_pool2d(x, 3, 2, "same") if kind == "max" else F.avg_pool2d(x, 2)
    outside = F.max_pool2d(x, 3, 2, "same") if kind == "max" else F.avg_pool2d(x, 2)
    name = f"{kind.capitalize()}Pool2d"
    assert type(inside._fn).__name__ == f"{name}Ref"
    assert type(outside._fn).__name__ == f"{name}Op"


X = np.zeros((1, 4, 4, 2))
BAD = [
    ("x not 4-D", (X[0],), {}),
    ("pool size", (X,), {"pool_size": 0}),
    ("strides", (X,), {"strides": (1, 0)}),
    ("padding", (X,), {"padding": "full"}),
    ("padding as large as the pool", (X,), {"pool_size": 2, "padding": 2}),
    ("pool larger than the image", (X,), {"pool_size": 5}),
    ("uint8 x", (X.astype(np.uint8),), {}),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name, args, kwargs", BAD, ids=[case[0] for case in BAD])
def test_bad_arguments_get_the_fast_ops_error(kind, name, args, kwargs):
    assert_same_error(KINDS[kind][0], *args, **kwargs)
