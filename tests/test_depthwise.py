"""depthwise_conv2d: every channel convolved (the article's true convolution) with its own
kernels. Values against the literal loops in tests/reference.py, against conv2d for one
channel, as the first half of a separable convolution, and gradients."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl.functional as F
from tinydl import gradcheck
from tinydl.testing import strategies as tst

from reference import conv2d_loops, depthwise_conv2d_loops


def draw_depthwise(data, g):
    """x (n, h, w, C), kernel (kh, kw, C, M) with M = g.c_out, bias (C·M,)."""
    x = data.draw(tst.arrays(g.x_shape))
    w = data.draw(tst.arrays((g.kh, g.kw, g.c_in, g.c_out)))
    b = data.draw(tst.arrays((g.c_in * g.c_out,)))
    return x, w, b


def options(g):
    return dict(strides=g.strides, padding=g.padding, dilation_rate=g.dilation)


@given(tst.conv_geometries(max_dilation=3), st.data())
def test_depthwise_conv2d_matches_loops(g, data):
    x, w, b = draw_depthwise(data, g)
    got = F.depthwise_conv2d(x, w, b, **options(g)).data
    want = depthwise_conv2d_loops(x, w, b, g.strides, g.padding, g.dilation)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@given(tst.conv_geometries(max_channels=1, max_dilation=2), st.data())
def test_depthwise_with_one_channel_is_conv2d(g, data):
    x = data.draw(tst.arrays(g.x_shape))
    w = data.draw(tst.arrays((g.kh, g.kw, 1, 3)))       # depth multiplier 3
    np.testing.assert_allclose(F.depthwise_conv2d(x, w, **options(g)).data,
                               F.conv2d(x, w, **options(g)).data, rtol=1e-12, atol=1e-12)


@given(tst.conv_geometries(max_size=5, max_dilation=2), st.data())
def test_depthwise_then_pointwise_is_a_separable_convolution(g, data):
    x, w, _ = draw_depthwise(data, g)
    c, m, c_out = g.c_in, g.c_out, 2
    p = data.draw(tst.arrays((1, 1, c * m, c_out)))
    got = F.conv2d(F.depthwise_conv2d(x, w, **options(g)), p).data
    # literally: output o = Σ_c Σ_m p[c·M+m, o] · (channel c convolved with w[:, :, c, m])
    want = sum(conv2d_loops(x[..., ci:ci + 1], w[:, :, ci:ci + 1, mi:mi + 1], None, g.strides,
                            g.padding, g.dilation) * p[0, 0, ci * m + mi]
               for ci in range(c) for mi in range(m))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # ... which is one conv2d whose kernel K[a, b, c, o] = Σ_m w[a, b, c, m]·p[c·M+m, o]
    k = np.einsum("abcm,cmo->abco", w, p[0, 0].reshape(c, m, c_out))
    np.testing.assert_allclose(got, F.conv2d(x, k, **options(g)).data, rtol=1e-12, atol=1e-12)


def test_depthwise_keeps_channels_apart_and_walks_the_kernel_backwards():
    # channel 0 is [1, 2, 4], channel 1 is [10, 20, 40]; kernel [1, -1] on channel 0 and
    # multiplier 2 ([1, -1] and [0, 1]), [2, 0] and [0, 0] on channel 1.
    x = np.stack([np.array([1.0, 2.0, 4.0]), np.array([10.0, 20.0, 40.0])], axis=-1)[None, None]
    w = np.zeros((1, 2, 2, 2))
    w[0, :, 0, 0], w[0, :, 0, 1], w[0, :, 1, 0] = [1, -1], [0, 1], [2, 0]
    y = F.depthwise_conv2d(x, w).data[0, 0]              # (2 positions, 4 channels)
    # true convolution: y(j) = w(0)·x(j+1) + w(1)·x(j)
    np.testing.assert_array_equal(y[:, 0], [2 - 1, 4 - 2])
    np.testing.assert_array_equal(y[:, 1], [1, 2])
    np.testing.assert_array_equal(y[:, 2], [40, 80])
    np.testing.assert_array_equal(y[:, 3], [0, 0])


@given(tst.conv_geometries(max_size=6, max_dilation=3), st.data())
def test_grad_depthwise_conv2d(g, data):
    x, w, b = draw_depthwise(data, g)
    gradcheck(lambda x, w, b: F.depthwise_conv2d(x, w, b, **options(g)), x, w, b)


@given(tst.conv_geometries(max_size=5, max_dilation=2), st.data())
def test_grad_depthwise_conv2d_without_bias(g, data):
    x, w, _ = draw_depthwise(data, g)
    gradcheck(lambda x, w: F.depthwise_conv2d(x, w, **options(g)), x, w)


@pytest.mark.parametrize("x_shape, w_shape, b_shape, message", [
    ((1, 5, 5, 3), (3, 3, 2, 1), None, r"depthwise_conv2d: x has 3 channels.*kernel has 2"),
    ((1, 5, 5, 2), (3, 3, 2), None, r"depthwise_conv2d: kernel must have shape \(kh, kw, C, "
                                    r"depth_multiplier\)"),
    ((1, 5, 5, 2), (3, 3, 2, 3), (3,), r"depthwise_conv2d: bias must have shape \(6,\)"),
    ((5, 5, 2), (3, 3, 2, 1), None, r"depthwise_conv2d: x must be a batch of images"),
    ((1, 3, 3, 1), (2, 2, 1, 1), None, r"depthwise_conv2d: the 2-wide kernel dilated by 3"),
])
def test_bad_input(x_shape, w_shape, b_shape, message):
    b = None if b_shape is None else np.zeros(b_shape)
    with pytest.raises(ValueError, match=message):
        F.depthwise_conv2d(np.zeros(x_shape), np.zeros(w_shape), b, dilation_rate=3)


def test_float32_stays_float32():
    x, w = np.ones((2, 6, 6, 3), np.float32), np.ones((3, 3, 3, 2), np.float32)
    y = F.depthwise_conv2d(x, w, np.zeros(6, np.float32), padding="same")
    assert y.dtype == np.float32 and y.shape == (2, 6, 6, 6)
