"""The reference upsampling2d, resize2d and pad2d (tinydl/ops/reference/resize.py):
(a) gradchecked, (b) equal to per-pixel loops (tests/reference.py's bilinear loops, and
literal nearest-neighbour and padding loops here), (c) equal to the fast kernels, values and
gradients, float64 and float32, (d) what tinydl.functional runs inside
use_kernels("reference"); bad arguments get the same error from both kernels."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinydl.functional as F
from tinydl import Tensor, gradcheck
from tinydl.ops import use_kernels
from tinydl.ops.reference import resize as ref_resize
from tinydl.testing import strategies as tst

from kernel_helpers import assert_kernels_agree, assert_same_error
from reference import bilinear_loops, resize_bilinear_loops

GRAD_TOL = dict(atol=1e-6, rtol=1e-5)      # gradcheck: per element, float64, ε = 1e-6
DTYPES = [np.float64, np.float32]
INTERPOLATIONS = ["nearest", "bilinear"]

nhwc = tst.shapes(min_dims=4, max_dims=4, max_side=4)
factors = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))
new_sizes = st.tuples(st.integers(1, 7), st.integers(1, 7))     # smaller or larger
paddings = st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)),
                     st.tuples(st.tuples(st.integers(0, 2), st.integers(0, 2)),
                               st.tuples(st.integers(0, 2), st.integers(0, 2))))
values = st.sampled_from([0.0, -1.5])

gradchecks = settings(max_examples=10, deadline=None)
examples = settings(max_examples=20, deadline=None)


def pair(size):
    return (size, size) if isinstance(size, int) else size


def nearest_loops(x, size):
    """tf.image.resize's nearest neighbour (half-pixel centres) to size (Ho, Wo), pixel by
    pixel: output (i, j) copies source pixel (⌊(i + 0.5)·H/Ho⌋, ⌊(j + 0.5)·W/Wo⌋), each
    index at most its axis' last."""
    n, h, w, c = x.shape
    y = np.zeros((n, *size, c))
    for i in range(size[0]):
        for j in range(size[1]):
            r = min(math.floor((i + 0.5) * h / size[0]), h - 1)
            q = min(math.floor((j + 0.5) * w / size[1]), w - 1)
            y[:, i, j, :] = x[:, r, q, :]
    return y


def pad_loops(x, padding, value):
    """x inside a border of `value`, pixel by pixel: ((top, bottom), (left, right))."""
    (top, bottom), (left, right) = padding
    n, h, w, c = x.shape
    y = np.full((n, top + h + bottom, left + w + right, c), value)
    for r in range(h):
        for t in range(w):
            y[:, top + r, left + t, :] = x[:, r, t, :]
    return y


def as_pairs(padding):
    if isinstance(padding, int):
        return (padding, padding), (padding, padding)
    if isinstance(padding[0], int):
        return (padding[0],) * 2, (padding[1],) * 2
    return padding


# -- (b) against the loops ---------------------------------------------------------------------

@examples
@given(tst.arrays(nhwc), factors)
def test_reference_upsampling_is_the_loops(x, size):
    sh, sw = pair(size)
    bilinear = ref_resize.upsampling2d(x, size, "bilinear").data
    np.testing.assert_allclose(bilinear, bilinear_loops(x, size), rtol=1e-12, atol=1e-12)
    # nearest upsampling repeats each pixel: row i reads ⌊i / s_h⌋, the nearest loop's rule
    nearest = ref_resize.upsampling2d(x, size, "nearest").data
    want = nearest_loops(x, (x.shape[1] * sh, x.shape[2] * sw))
    np.testing.assert_array_equal(nearest, want)
    np.testing.assert_array_equal(nearest, x.repeat(sh, axis=1).repeat(sw, axis=2))


@examples
@given(tst.arrays(nhwc), new_sizes)
def test_reference_resize2d_is_the_loops(x, size):
    n, h, w, c = x.shape
    bilinear = ref_resize.resize2d(x, size, "bilinear").data
    maps = x.transpose(0, 3, 1, 2).reshape(n * c, h, w)         # one (h, w) map per channel
    want = resize_bilinear_loops(maps, size).reshape(n, c, *size).transpose(0, 2, 3, 1)
    np.testing.assert_allclose(bilinear, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(ref_resize.resize2d(x, size, "nearest").data,
                                  nearest_loops(x, size))


@examples
@given(tst.arrays(nhwc), paddings, values)
def test_reference_pad2d_is_the_loop(x, padding, value):
    got = ref_resize.pad2d(x, padding, value).data
    np.testing.assert_array_equal(got, pad_loops(x, as_pairs(padding), value))


# -- (a) gradchecks ----------------------------------------------------------------------------

@gradchecks
@given(tst.arrays(nhwc), factors, st.sampled_from(INTERPOLATIONS))
def test_grad_reference_upsampling2d(x, size, interpolation):
    gradcheck(lambda x: ref_resize.upsampling2d(x, size, interpolation), x, **GRAD_TOL)


@gradchecks
@given(tst.arrays(nhwc), new_sizes, st.sampled_from(INTERPOLATIONS))
def test_grad_reference_resize2d(x, size, interpolation):
    gradcheck(lambda x: ref_resize.resize2d(x, size, interpolation), x, **GRAD_TOL)


@gradchecks
@given(tst.arrays(nhwc), paddings, values)
def test_grad_reference_pad2d(x, padding, value):
    gradcheck(lambda x: ref_resize.pad2d(x, padding, value), x, **GRAD_TOL)


# -- (c) fast equals reference -----------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@examples
@given(x=tst.arrays(nhwc), size=factors, new_size=new_sizes)
def test_fast_upsampling_and_resize_equal_the_reference(dtype, interpolation, x, size,
                                                        new_size):
    assert_kernels_agree(lambda x: F.upsampling2d(x, size, interpolation), x, dtype=dtype)
    assert_kernels_agree(lambda x: F.resize2d(x, new_size, interpolation), x, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@examples
@given(x=tst.arrays(nhwc), padding=paddings, value=values)
def test_fast_pad2d_equals_the_reference(dtype, x, padding, value):
    assert_kernels_agree(lambda x: F.pad2d(x, padding, value), x, dtype=dtype)


# -- (d) the switch, and bad arguments ---------------------------------------------------------

CALLS = {"upsampling2d": lambda x: F.upsampling2d(x, (2, 3), "bilinear"),
         "resize2d": lambda x: F.resize2d(x, (5, 2)),
         "pad2d": lambda x: F.pad2d(x, ((1, 0), (2, 1)), 0.5)}


@pytest.mark.parametrize("name", CALLS)
def test_the_public_op_runs_the_reference_only_inside_the_block(name):
    x = Tensor(np.random.default_rng(0).standard_normal((2, 3, 4, 2)), requires_grad=True)
    with use_kernels("reference"):
        inside = CALLS[name](x)
    outside = CALLS[name](x)
    stem = name.capitalize()
    assert type(inside._fn).__name__ == f"{stem}Ref"
    assert type(outside._fn).__name__ == f"{stem}Op"


X = np.zeros((1, 3, 3, 2))
BAD = [
    ("upsampling x not 4-D", F.upsampling2d, (X[0],), {}),
    ("upsampling size", F.upsampling2d, (X,), {"size": 0}),
    ("upsampling interpolation", F.upsampling2d, (X,), {"interpolation": "bicubic"}),
    ("upsampling uint8", F.upsampling2d, (X.astype(np.uint8),), {}),
    ("resize x not 4-D", F.resize2d, (X[0], (2, 2)), {}),
    ("resize size", F.resize2d, (X, (2, 0)), {}),
    ("resize size not a pair", F.resize2d, (X, 4), {}),
    ("resize interpolation", F.resize2d, (X, (2, 2)), {"interpolation": "area"}),
    ("pad x not 4-D", F.pad2d, (X[0],), {}),
    ("pad negative", F.pad2d, (X,), {"padding": (1, -1)}),
    ("pad three numbers", F.pad2d, (X,), {"padding": (1, 2, 3)}),
    ("pad value", F.pad2d, (X,), {"value": "zero"}),
]


@pytest.mark.parametrize("name, op, args, kwargs", BAD, ids=[case[0] for case in BAD])
def test_bad_arguments_get_the_fast_ops_error(name, op, args, kwargs):
    assert_same_error(op, *args, **kwargs)
