"""conv2d is the article's formula (section 3.1.4), dilated or not; correlate2d is it with
the kernel flipped; pooling matches its loop definition. Values against the literal loops in
tests/reference.py, gradients against central differences."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinydl
import tinydl.functional as F
from tinydl.ops import _geometry, _input_grad, conv
from tinydl import Tensor, gradcheck
from tinydl.testing import strategies as tst

from conv_helpers import pieces_of
from reference import conv2d_loops, pool2d_loops


def draw_conv(data, geometry):
    x = data.draw(tst.arrays(geometry.x_shape))
    w = data.draw(tst.arrays(geometry.w_shape))
    b = data.draw(tst.arrays((geometry.c_out,)))
    return x, w, b


@given(tst.conv_geometries(max_dilation=3), st.data())
def test_conv2d_is_the_articles_formula(g, data):
    x, w, b = draw_conv(data, g)
    got = F.conv2d(x, w, b, strides=g.strides, padding=g.padding, dilation_rate=g.dilation).data
    want = conv2d_loops(x, w, b, g.strides, g.padding, g.dilation)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@given(tst.conv_geometries(max_dilation=3), st.data())
def test_correlate2d_is_conv2d_with_flipped_kernel(g, data):
    x, w, b = draw_conv(data, g)
    kwargs = dict(strides=g.strides, padding=g.padding, dilation_rate=g.dilation)
    got = F.correlate2d(x, w, b, **kwargs).data
    want = F.conv2d(x, w[::-1, ::-1], b, **kwargs).data
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def spread_kernel(w, dh, dw):
    """The kernel with d-1 zeros between neighbouring taps: (d·(k-1)+1, ...) wide."""
    kh, kw = w.shape[:2]
    out = np.zeros((dh * (kh - 1) + 1, dw * (kw - 1) + 1) + w.shape[2:])
    out[::dh, ::dw] = w
    return out


@given(tst.conv_geometries(max_dilation=3), st.data())
def test_dilation_is_a_kernel_with_zeros_between_its_taps(g, data):
    # Keras' meaning of dilation_rate, checked without the loop reference: a dilated
    # kernel is an undilated one with d-1 zeros inserted between taps (same sizes, same
    # 'same' padding, since both span d·(k-1)+1 pixels)
    x, w, b = draw_conv(data, g)
    dh, dw = (g.dilation, g.dilation) if isinstance(g.dilation, int) else g.dilation
    for op in (F.correlate2d, F.conv2d):
        got = op(x, w, b, strides=g.strides, padding=g.padding, dilation_rate=g.dilation).data
        want = op(x, spread_kernel(w, dh, dw), b, strides=g.strides, padding=g.padding).data
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_dilated_convolution_by_hand():
    # taps 2 apart: correlate y(j) = 1·x(j) - 1·x(j+2); convolve y(j) = 1·x(j+2) - 1·x(j)
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0]).reshape(1, 1, 5, 1)
    w = np.array([1.0, -1.0]).reshape(1, 2, 1, 1)
    np.testing.assert_array_equal(F.correlate2d(x, w, dilation_rate=2).data.ravel(),
                                  [1 - 4, 2 - 8, 4 - 16])
    np.testing.assert_array_equal(F.conv2d(x, w, dilation_rate=(1, 2)).data.ravel(),
                                  [4 - 1, 8 - 2, 16 - 4])


def test_convolution_and_correlation_differ_on_an_asymmetric_kernel():
    # x = [[1, 2, 3]], kernel [[1, -1]] ("right minus left" only after flipping).
    x = np.array([1.0, 2.0, 4.0]).reshape(1, 1, 3, 1)
    w = np.array([1.0, -1.0]).reshape(1, 2, 1, 1)
    # convolution: y(j) = w(0)·x(j+1) + w(1)·x(j)  (x(x - x') walks backwards)
    np.testing.assert_array_equal(F.conv2d(x, w).data.ravel(), [2 - 1, 4 - 2])
    # correlation: y(j) = w(0)·x(j) + w(1)·x(j+1)
    np.testing.assert_array_equal(F.correlate2d(x, w).data.ravel(), [1 - 2, 2 - 4])


@pytest.mark.parametrize("h, k, s, padding, expected", [
    (28, 3, 1, "valid", 26), (28, 3, 1, "same", 28), (28, 3, 2, "same", 14),
    (7, 3, 2, "same", 4), (5, 2, 2, "valid", 2), (5, 3, 1, 1, 5), (4, 5, 1, (1, 1), 2)])
def test_output_size(h, k, s, padding, expected):
    y = F.conv2d(np.zeros((1, h, h, 1)), np.zeros((k, k, 1, 1)), strides=s, padding=padding)
    assert y.shape == (1, expected, expected, 1)


@pytest.mark.parametrize("h, k, s, d, padding, expected", [
    (28, 3, 1, 2, "valid", 24), (28, 3, 1, 2, "same", 28), (28, 3, 1, 4, "valid", 20),
    (7, 3, 2, 2, "valid", 2), (7, 3, 2, 2, "same", 4), (5, 2, 1, 3, 1, 4), (5, 3, 1, 3, "same", 5)])
def test_dilated_output_size(h, k, s, d, padding, expected):
    # Keras' rule: the window spans k_eff = d·(k-1)+1 pixels, so 'valid' gives
    # floor((h - k_eff)/s) + 1 and 'same' ceil(h/s)
    y = F.correlate2d(np.zeros((1, h, h, 1)), np.zeros((k, k, 1, 1)), strides=s, padding=padding,
                      dilation_rate=d)
    assert y.shape == (1, expected, expected, 1)


@given(tst.pool_geometries(), st.data())
def test_max_pool2d_matches_loops(g, data):
    x = data.draw(tst.arrays(g.x_shape))
    got = F.max_pool2d(x, (g.kh, g.kw), g.strides, g.padding).data
    np.testing.assert_array_equal(got, pool2d_loops(x, (g.kh, g.kw), g.strides, g.padding, "max"))


@given(tst.pool_geometries(), st.data())
def test_avg_pool2d_matches_loops(g, data):
    x = data.draw(tst.arrays(g.x_shape))
    got = F.avg_pool2d(x, (g.kh, g.kw), g.strides, g.padding).data
    np.testing.assert_allclose(got, pool2d_loops(x, (g.kh, g.kw), g.strides, g.padding, "avg"),
                               rtol=1e-12, atol=1e-12)


def test_pool_strides_default_to_pool_size():
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(F.max_pool2d(x, 2).data.ravel(), [5, 7, 13, 15])
    np.testing.assert_array_equal(F.avg_pool2d(x, 2).data.ravel(), [2.5, 4.5, 10.5, 12.5])


def test_max_pool_gradient_goes_to_first_maximum_on_ties():
    x = Tensor(np.zeros((1, 2, 2, 1)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.ravel(), [1, 0, 0, 0])


# -- gradients (every element, random upstream gradient; see tinydl.gradcheck) --------

@given(tst.conv_geometries(max_size=6, max_dilation=3), st.data())
def test_grad_conv2d(g, data):
    x, w, b = draw_conv(data, g)
    gradcheck(lambda x, w, b: F.conv2d(x, w, b, strides=g.strides, padding=g.padding,
                                       dilation_rate=g.dilation), x, w, b)


@given(tst.conv_geometries(max_size=6, max_dilation=3), st.data())
def test_grad_correlate2d(g, data):
    x, w, b = draw_conv(data, g)
    gradcheck(lambda x, w, b: F.correlate2d(x, w, b, strides=g.strides, padding=g.padding,
                                            dilation_rate=g.dilation), x, w, b)


@given(tst.conv_geometries(max_size=5), st.data())
def test_grad_conv2d_without_bias(g, data):
    x, w, _ = draw_conv(data, g)
    gradcheck(lambda x, w: F.conv2d(x, w, strides=g.strides, padding=g.padding), x, w)


@given(tst.pool_geometries(), st.data())
def test_grad_max_pool2d(g, data):
    # distinct values: a tie inside a window has no unique derivative
    x = data.draw(tst.distinct_arrays(g.x_shape))
    gradcheck(lambda x: F.max_pool2d(x, (g.kh, g.kw), g.strides, g.padding), x)


@given(tst.pool_geometries(), st.data())
def test_grad_avg_pool2d(g, data):
    x = data.draw(tst.arrays(g.x_shape))
    gradcheck(lambda x: F.avg_pool2d(x, (g.kh, g.kw), g.strides, g.padding), x)


# -- bad input: each error names the op, what it got and what it expected --------------

def test_nchw_input_is_refused_with_a_layout_hint():
    x = np.zeros((8, 1, 28, 28))          # PyTorch layout
    w = np.zeros((3, 3, 1, 32))
    with pytest.raises(ValueError, match=r"conv2d: x has 28 channels.*NCHW"):
        F.conv2d(x, w)


def test_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"conv2d: the 5-wide window is larger than the padded input"):
        F.conv2d(np.zeros((1, 3, 3, 1)), np.zeros((5, 5, 1, 1)))
    with pytest.raises(ValueError, match=r"correlate2d: the 3-wide kernel dilated by 3 \(spanning 7 "
                                         r"pixels\) is larger than the padded input \(4 \+ 1 \+ 1 = 6\)"):
        F.correlate2d(np.zeros((1, 4, 9, 1)), np.zeros((3, 3, 1, 1)), padding=(1, 0),
                      dilation_rate=(3, 1))
    with pytest.raises(ValueError, match=r"max_pool2d: the 4-wide window"):
        F.max_pool2d(np.zeros((1, 3, 3, 1)), 4)


def test_mismatched_channels():
    with pytest.raises(ValueError, match=r"correlate2d: x has 3 channels.*expects 2"):
        F.correlate2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 2, 4)))


@pytest.mark.parametrize("x_shape", [(28, 28), (28, 28, 1), (1, 1, 28, 28, 1)])
def test_wrong_rank(x_shape):
    with pytest.raises(ValueError, match=r"conv2d: x must be a batch of images of shape \(N, H, W, C\)"):
        F.conv2d(np.zeros(x_shape), np.zeros((3, 3, 1, 1)))
    with pytest.raises(ValueError, match=r"max_pool2d: x must be a batch"):
        F.max_pool2d(np.zeros(x_shape))


def test_kernel_of_wrong_rank_and_bias_of_wrong_shape():
    with pytest.raises(ValueError, match=r"conv2d: kernel must have shape \(kh, kw, C_in, C_out\)"):
        F.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(4,\)"):
        F.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 4)), np.zeros(3))


def test_integer_and_object_arrays_are_refused():
    with pytest.raises(TypeError, match=r"conv2d: x has dtype uint8 and shape \(1, 5, 5, 1\).*255"):
        F.conv2d(np.zeros((1, 5, 5, 1), np.uint8), np.zeros((3, 3, 1, 1)))
    with pytest.raises(TypeError, match=r"max_pool2d: x has dtype object"):
        F.max_pool2d(np.zeros((1, 4, 4, 1), dtype=object))


@pytest.mark.parametrize("kwargs, message", [
    ({"padding": "full"}, "padding must be 'valid', 'same'"),
    ({"padding": -1}, "padding must be"),
    ({"strides": 0}, "strides must be a positive int"),
    ({"strides": (1, 2, 3)}, "strides must be a positive int"),
    ({"dilation_rate": 0}, r"conv2d: dilation_rate must be a positive int or a pair of them, got 0"),
    ({"dilation_rate": (2, -1)}, "dilation_rate must be a positive int"),
])
def test_bad_strides_and_padding(kwargs, message):
    with pytest.raises(ValueError, match=message):
        F.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), **kwargs)


def test_pool_padding_must_be_smaller_than_window():
    with pytest.raises(ValueError, match=r"max_pool2d: padding \(2, 0\) must be smaller than the pool size"):
        F.max_pool2d(np.zeros((1, 4, 4, 1)), 2, padding=(2, 0))


def test_float32_stays_float32():
    x = np.ones((2, 6, 6, 3), np.float32)
    w = np.ones((3, 3, 3, 4), np.float32)
    assert F.conv2d(x, w).dtype == np.float32
    assert F.conv2d(x, w, dilation_rate=2, padding="same").dtype == np.float32
    assert F.max_pool2d(x).dtype == np.float32
    assert F.avg_pool2d(x).dtype == np.float32


@pytest.mark.parametrize("strides, dilation", [(1, 2), ((2, 1), (1, 3))])
def test_dilated_convolution_with_many_channels(strides, dilation):
    # 16+ channels take im2col's other path (one strided copy of all patches)
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 9, 8, 16)), rng.standard_normal((3, 2, 16, 2)), rng.standard_normal(2)
    got = F.conv2d(x, w, b, strides=strides, padding="same", dilation_rate=dilation).data
    want = conv2d_loops(x, w, b, strides, "same", dilation)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    xt = Tensor(x, requires_grad=True)
    y = F.conv2d(xt, w, strides=strides, padding="same", dilation_rate=dilation)
    u = rng.standard_normal(y.shape)
    y.backward(u)
    # the input gradient is the adjoint: <conv(x + e), u> - <conv(x), u> = <dx, e>
    e = rng.standard_normal(x.shape)
    moved = F.conv2d(x + e, w, strides=strides, padding="same", dilation_rate=dilation).data
    np.testing.assert_allclose(np.sum((moved - y.data) * u), np.sum(xt.grad * e), rtol=1e-10)


# -- the convolution in pieces (tinydl.ops._patches.CHUNK_BYTES) and split between threads --------

@given(tst.conv_geometries(max_batch=4, max_size=6, max_dilation=2), st.booleans(), st.data())
def test_grad_correlate2d_one_sample_per_piece(g, keep, data):
    # CHUNK_BYTES = 1: every sample is its own piece, in the forward pass, the kernel
    # gradient (summed over pieces, kept from the forward pass or built again) and the
    # input gradient
    x, w, b = draw_conv(data, g)
    with pieces_of(1, keep):
        got = F.conv2d(x, w, b, strides=g.strides, padding=g.padding, dilation_rate=g.dilation)
        np.testing.assert_allclose(got.data, conv2d_loops(x, w, b, g.strides, g.padding,
                                                          g.dilation), rtol=1e-12, atol=1e-12)
        gradcheck(lambda x, w, b: F.correlate2d(x, w, b, strides=g.strides, padding=g.padding,
                                                dilation_rate=g.dilation), x, w, b)


def min_image(k, padding, axis):
    """The smallest image a k-wide window fits with this padding."""
    if padding == "same":
        return 1
    p = 0 if padding == "valid" else padding if isinstance(padding, int) else padding[axis]
    return max(1, k - 2 * p)


@given(st.integers(1, 2), st.tuples(st.integers(1, 3), st.integers(1, 3)),
       st.tuples(st.integers(1, 3), st.integers(1, 3)),
       st.sampled_from(["valid", "same", 1, (2, 0)]), st.integers(1, 3), st.integers(1, 3),
       st.data())
def test_subpixel_gradient_is_the_adjoint(n, strides, taps, padding, c_in, c_out, data):
    # the sub-pixel form of a strided convolution's input gradient (kernels of K·s taps,
    # s the strides) is the adjoint of the correlation, <corr(x), g> = <x, dx>, and
    # equals the per-offset scatter; drawn directly, whatever input_gradient would pick
    (sh, sw), (kh, kw) = strides, (taps[0] * strides[0], taps[1] * strides[1])
    h, w_ = (data.draw(st.integers(min_image(k, padding, axis), 9))
             for axis, k in ((0, kh), (1, kw)))
    x = data.draw(tst.arrays((n, h, w_, c_in)))
    w = data.draw(tst.arrays((kh, kw, c_in, c_out)))
    y = F.correlate2d(x, w, strides=strides, padding=padding).data
    g = data.draw(tst.arrays(y.shape))
    top, bottom, _ = _geometry.padding_amounts(h, kh, sh, padding, 0, "test")
    left, right, _ = _geometry.padding_amounts(w_, kw, sw, padding, 1, "test")
    pads, padded = ((top, bottom), (left, right)), (n, h + top + bottom, w_ + left + right, c_in)
    dx = _input_grad.subpixel_gradient(g, w, strides, pads, padded)
    assert dx.shape == x.shape
    np.testing.assert_allclose(np.vdot(y, g), np.vdot(x, dx), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx, _input_grad.scatter_windows(g.reshape(-1, c_out), w, strides, pads,
                                                        padded, y.shape[1:3]),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_strided_gradients_through_the_subpixel_path(padding, monkeypatch):
    # 8 input channels and a 4x4 kernel with stride 2: input_gradient takes the sub-pixel
    # form (for conv2d's dx and for conv2d_transpose's forward); gradcheck both ops
    calls = []
    original = _input_grad.subpixel_gradient
    monkeypatch.setattr(_input_grad, "subpixel_gradient", lambda *a: calls.append(1) or original(*a))
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 6, 7, 8)), rng.standard_normal((4, 4, 8, 2))
    gradcheck(lambda x, w: F.conv2d(x, w, strides=2, padding=padding), x, w)
    y = F.conv2d(x, w, strides=2, padding=padding).data
    gradcheck(lambda y, w: F.conv2d_transpose(y, w, strides=2, padding=padding), y, w)
    assert calls


@pytest.mark.parametrize("c_in, c_out", [(16, 4), (3, 5)])
def test_patches_split_between_threads(c_in, c_out):
    # large enough for im2col to split its rows between two threads (both of its copy
    # paths: C >= 16 one strided copy, fewer channels one copy per kernel offset); the
    # result must not depend on the split (up to BLAS's rounding: with pieces of one
    # sample the products differ in shape); one thread is checked against the loops
    # in the tests above
    rng = np.random.default_rng(1)
    n = 2 if c_in >= 16 else 6
    x = rng.standard_normal((n, 128, 125, c_in))
    w, b = rng.standard_normal((3, 3, c_in, c_out)), rng.standard_normal(c_out)
    assert n * 128 * 125 * 9 * c_in >= 2 * tinydl.parallel.MIN_ELEMENTS_PER_THREAD
    saved = tinydl.get_num_threads()
    try:
        tinydl.set_num_threads(2)
        assert tinydl.parallel.threads_in_use() == 2
        with pieces_of(64 << 20):
            two = F.conv2d(x, w, b, padding="same").data
        tinydl.set_num_threads(1)
        with pieces_of(1):
            one = F.conv2d(x, w, b, padding="same").data
    finally:
        tinydl.set_num_threads(saved)
    np.testing.assert_allclose(two, one, rtol=1e-12, atol=1e-12)


# -- the Conv2D layer's fused convolution + ReLU (tinydl.ops.conv.Conv2dOp with relu=True) -----

@given(tst.conv_geometries(max_batch=3, max_size=6, max_dilation=2), st.booleans(), st.data())
def test_grad_conv2d_relu(g, keep, data):
    # max(0, conv2d(x, w) + b) as one op: the same values as the two ops, and gradients
    # by central differences, the kink at 0 steered around (no pre-activation within
    # 1e-3 of it; the differences move them by ~1e-5). Pieces of one sample, kept or not,
    # so the masked kernel gradient is summed over pieces.
    x, w, b = draw_conv(data, g)
    kwargs = dict(strides=g.strides, padding=g.padding, dilation_rate=g.dilation)
    pre = F.conv2d(x, w, b, **kwargs).data
    unbiased = F.conv2d(x, w, **kwargs).data
    assume(np.abs(pre).min() > 1e-3 and np.abs(unbiased).min() > 1e-3)
    with pieces_of(1, keep):
        fused = conv.Conv2dOp.apply(Tensor(x), Tensor(w), Tensor(b), relu=True, **kwargs)
        np.testing.assert_allclose(fused.data, np.maximum(pre, 0), rtol=1e-12, atol=1e-12)
        gradcheck(lambda x, w, b: conv.Conv2dOp.apply(x, w, b, relu=True, **kwargs), x, w, b)
        # the first layer of a network: no input gradient, the mask folded into the
        # kernel gradient's pieces
        gradcheck(lambda w, b: conv.Conv2dOp.apply(Tensor(x), w, b, relu=True, **kwargs), w, b)
        gradcheck(lambda w: conv.Conv2dOp.apply(Tensor(x), w, relu=True, **kwargs), w)


def test_conv2d_layer_with_relu_is_the_fused_op():
    layer = tinydl.layers.Conv2D(3, 3, padding="same", activation="relu")
    x = np.random.default_rng(2).standard_normal((2, 5, 5, 2))
    y = layer(Tensor(x, requires_grad=True))
    assert isinstance(y._fn, conv.Conv2dOp)
    want = np.maximum(F.conv2d(x, layer.kernel.data, layer.bias.data, padding="same").data, 0)
    np.testing.assert_allclose(y.data, want, rtol=1e-6, atol=1e-6)
