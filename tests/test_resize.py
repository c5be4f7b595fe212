"""upsampling2d (nearest, and bilinear as tf.image.resize / Keras 3 do it) and pad2d:
values against independent constructions and the literal loop in tests/reference.py,
PyTorch when it is installed, and gradients."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl.functional as F
from tinydl import gradcheck
from tinydl.ops.resize import interpolation_matrix
from tinydl.testing import strategies as tst

from reference import bilinear_loops

nhwc = tst.shapes(min_dims=4, max_dims=4, max_side=4)
sizes = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))
paddings = st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)),
                     st.tuples(st.tuples(st.integers(0, 2), st.integers(0, 2)),
                               st.tuples(st.integers(0, 2), st.integers(0, 2))))


def pair(size):
    return (size, size) if isinstance(size, int) else size


# -- upsampling ---------------------------------------------------------------------

@given(tst.arrays(nhwc), sizes)
def test_nearest_repeats_every_pixel(x, size):
    sh, sw = pair(size)
    want = np.repeat(np.repeat(x, sh, axis=1), sw, axis=2)
    np.testing.assert_array_equal(F.upsampling2d(x, size).data, want)


@given(tst.arrays(nhwc), sizes)
def test_bilinear_matches_loops(x, size):
    got = F.upsampling2d(x, size, interpolation="bilinear").data
    np.testing.assert_allclose(got, bilinear_loops(x, size), rtol=1e-12, atol=1e-12)


def test_bilinear_by_hand():
    # tf.image.resize([0, 1] -> 4 pixels, bilinear, half-pixel centres): source positions
    # -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
    x = np.array([0.0, 1.0]).reshape(1, 1, 2, 1)
    got = F.upsampling2d(x, (1, 2), interpolation="bilinear").data.ravel()
    np.testing.assert_allclose(got, [0.0, 0.25, 0.75, 1.0], rtol=0, atol=1e-15)
    # rows alike, and the two axes multiply
    y = F.upsampling2d(np.array([[0.0, 1.0], [2.0, 3.0]])[None, ..., None], 2,
                       interpolation="bilinear").data[0, ..., 0]
    np.testing.assert_allclose(y[:, 0], [0.0, 0.5, 1.5, 2.0], atol=1e-15)
    np.testing.assert_allclose(y[1], [0.5, 0.75, 1.25, 1.5], atol=1e-15)


@given(st.integers(1, 6), st.integers(1, 4))
def test_interpolation_matrix_rows_are_convex_weights(length, scale):
    a = interpolation_matrix(length, length * scale)
    assert a.shape == (length * scale, length)
    assert (a >= 0).all() and (np.count_nonzero(a, axis=1) <= 2).all()
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    if scale == 1:
        np.testing.assert_array_equal(a, np.eye(length))


def test_bilinear_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 5, 3, 4))
    for size in [(2, 2), (3, 1), (1, 4)]:
        want = torch.nn.functional.interpolate(torch.from_numpy(x.transpose(0, 3, 1, 2)),
                                               scale_factor=size, mode="bilinear",
                                               align_corners=False).numpy().transpose(0, 2, 3, 1)
        got = F.upsampling2d(x, size, interpolation="bilinear").data
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@given(tst.arrays(nhwc), sizes, st.sampled_from(["nearest", "bilinear"]))
def test_grad_upsampling2d(x, size, interpolation):
    gradcheck(lambda x: F.upsampling2d(x, size, interpolation), x)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"size": 0}, ValueError, r"upsampling2d: size must be a positive int or a pair of them, got 0"),
    ({"size": (2, 1.5)}, ValueError, r"upsampling2d: size must be a positive int"),
    ({"interpolation": "bicubic"}, ValueError,
     r"upsampling2d: interpolation must be one of \('nearest', 'bilinear'\), got 'bicubic'"),
])
def test_upsampling_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        F.upsampling2d(np.zeros((1, 2, 2, 1)), **kwargs)


def test_upsampling_wrong_rank():
    with pytest.raises(ValueError, match=r"upsampling2d: x must be a batch of images"):
        F.upsampling2d(np.zeros((4, 4, 1)))


# -- padding ------------------------------------------------------------------------

def as_pairs(padding):
    if isinstance(padding, int):
        return (padding, padding), (padding, padding)
    if isinstance(padding[0], int):
        return (padding[0],) * 2, (padding[1],) * 2
    return padding


@given(tst.arrays(nhwc), paddings, st.sampled_from([0.0, -1.5]))
def test_pad2d_puts_the_image_inside_a_border(x, padding, value):
    (top, bottom), (left, right) = as_pairs(padding)
    n, h, w, c = x.shape
    got = F.pad2d(x, padding, value).data
    assert got.shape == (n, top + h + bottom, left + w + right, c)
    np.testing.assert_array_equal(got[:, top:top + h, left:left + w], x)
    border = np.ones(got.shape, bool)
    border[:, top:top + h, left:left + w] = False
    assert (got[border] == value).all()


def test_pad2d_forms_of_padding():
    x = np.ones((1, 1, 1, 1))
    assert F.pad2d(x).shape == (1, 3, 3, 1)                      # Keras' default (1, 1)
    assert F.pad2d(x, 2).shape == (1, 5, 5, 1)
    assert F.pad2d(x, (2, 0)).shape == (1, 5, 1, 1)
    y = F.pad2d(x, ((0, 1), (2, 0))).data[0, ..., 0]
    np.testing.assert_array_equal(y, [[0, 0, 1], [0, 0, 0]])


@given(tst.arrays(nhwc), paddings)
def test_grad_pad2d(x, padding):
    gradcheck(lambda x: F.pad2d(x, padding, value=0.5), x)


@pytest.mark.parametrize("padding", [-1, (1, -1), (1, 2, 3), ((1, 2), 3), ((1, 2), (3,)), 1.5, "same"])
def test_pad2d_bad_padding(padding):
    with pytest.raises(ValueError, match=r"pad2d: padding must be a non-negative int, a pair"):
        F.pad2d(np.zeros((1, 2, 2, 1)), padding)


def test_pad2d_bad_value_and_rank():
    with pytest.raises(TypeError, match=r"pad2d: value must be a real number, got str"):
        F.pad2d(np.zeros((1, 2, 2, 1)), 1, value="0")
    with pytest.raises(ValueError, match=r"pad2d: x must be a batch of images"):
        F.pad2d(np.zeros((2, 2)), 1)


def test_float32_stays_float32():
    x = np.ones((2, 3, 3, 2), np.float32)
    assert F.upsampling2d(x).dtype == np.float32
    assert F.upsampling2d(x, 3, "bilinear").dtype == np.float32
    assert F.pad2d(x, 1, value=0.5).dtype == np.float32
