"""The reference kernels of the convolution family (tinydl/ops/reference/conv.py,
conv_transpose.py, depthwise.py, fused.py) and the chain of trust

    literal loops (tests/reference.py, and a correlation loop here)  →  reference  →  fast

(a) every reference op is gradchecked (float64, central differences, every element);
(b) the reference equals the per-pixel loops; (c) the fast kernel equals the reference,
values and every gradient, float64 and float32; (d) `use_kernels("reference")` makes the
public ops and the layers run the reference, and only inside the block; (e) correlate2d,
reference and fast, against a correlation loop of its own (not conv2d with a flipped kernel);
bad arguments get the same error from both kernels."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinydl.functional as F
from tinydl import Tensor, gradcheck
from tinydl.layers import (AveragePooling2D, Conv2D, Conv2DTranspose, DepthwiseConv2D, Flatten,
                           Input, MaxPooling2D, Resizing, UpSampling2D, ZeroPadding2D)
from tinydl.models import Sequential
from tinydl.ops import use_kernels
from tinydl.ops.reference import conv as ref_conv
from tinydl.ops.reference import conv_transpose as ref_transpose
from tinydl.ops.reference import depthwise as ref_depthwise
from tinydl.ops.reference import fused as ref_fused
from tinydl.testing import strategies as tst

from kernel_helpers import assert_kernels_agree, assert_same_error
from reference import (conv2d_loops, conv2d_transpose_loops, deconv_length,
                       depthwise_conv2d_loops, pads_1d)

#: gradcheck's tolerance here: |analytic - numeric| ≤ 1e-6 + 1e-5·|numeric| per element,
#: float64 with ε = 1e-6 (the difference quotient's own error is about 1e-9 at these sizes)
GRAD_TOL = dict(atol=1e-6, rtol=1e-5)
#: Pre-activations and pooled maxima are kept this far from ReLU's kink and from ties:
#: far beyond what ε moves them (ε·Σ|w| < 1e-4) and beyond float32 rounding (< 1e-4)
MARGIN = 1e-3

gradchecks = settings(max_examples=8, deadline=None)
comparisons = settings(max_examples=20, deadline=None)
loops = settings(max_examples=15, deadline=None)

DTYPES = [np.float64, np.float32]


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def draw_conv(data, g, bias=True, distinct=False):
    """x, w and (or None) b for the geometry g; distinct values (no ties) when asked."""
    arrays = tst.distinct_arrays if distinct else tst.arrays
    x = data.draw(arrays(g.x_shape))
    w = data.draw(tst.distinct_arrays(g.w_shape, gap=0.1) if distinct else tst.arrays(g.w_shape))
    b = data.draw(tst.arrays((g.c_out,))) if bias else None
    return x, w, b


def conv_options(g):
    return dict(strides=g.strides, padding=g.padding, dilation_rate=g.dilation)


def with_bias(fn, b):
    """fn(x, w, b) as a function of the tensors it differentiates: (x, w, b) or (x, w)."""
    return fn if b is not None else (lambda x, w: fn(x, w, None))


def inputs(x, w, b):
    return (x, w) if b is None else (x, w, b)


# -- (e) correlate2d against a correlation loop of its own -------------------------------------

def correlation_loops(x, w, b, strides, padding, dilation):
    """y[n, i, j, o] = Σ_{a,b,c} w[a, b, c, o] · x_p[n, s_h·i + d_h·a, s_w·j + d_w·b, c] + b[o],
    one output element at a time; x_p zero-padded by tests/reference.py's rule (`pads_1d`,
    derived apart from tinydl's), for a window spanning d·(k-1)+1 pixels."""
    n, h, wd, cin = x.shape
    kh, kw, _, cout = w.shape
    (sh, sw), (dh, dw) = pair(strides), pair(dilation)
    ph, pw = padding if isinstance(padding, tuple) else (padding, padding)
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    top, bottom = pads_1d(h, span_h, sh, ph)
    left, right = pads_1d(wd, span_w, sw, pw)
    xp = np.zeros((n, top + h + bottom, left + wd + right, cin))
    xp[:, top:top + h, left:left + wd] = x
    ho, wo = (xp.shape[1] - span_h) // sh + 1, (xp.shape[2] - span_w) // sw + 1
    y = np.zeros((n, ho, wo, cout))
    for s in range(n):
        for i in range(ho):
            for j in range(wo):
                for o in range(cout):
                    total = 0.0 if b is None else b[o]
                    for a in range(kh):
                        for bb in range(kw):
                            for c in range(cin):
                                r, q = sh * i + dh * a, sw * j + dw * bb
                                total += w[a, bb, c, o] * xp[s, r, q, c]
                    y[s, i, j, o] = total
    return y


def test_correlation_loop_by_hand():
    # the loop itself, on numbers worked out by hand: a 2×2 kernel read as written (not
    # flipped), stride 2 and padding 1 (a zero border) on a 3×3 image
    x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)          # [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    w = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(2, 2, 1, 1)
    y = correlation_loops(x, w, np.array([0.5]), 2, 1, 1)[0, :, :, 0]
    # windows of the padded image at rows/cols 0 and 2: [[0,0],[0,1]], [[0,0],[2,3]], ...
    want = np.array([[4 * 1, 3 * 2 + 4 * 3], [2 * 4 + 4 * 7, 1 * 5 + 2 * 6 + 3 * 8 + 4 * 9]]) + 0.5
    np.testing.assert_array_equal(y, want)


@loops
@given(tst.conv_geometries(max_dilation=3), st.booleans(), st.data())
def test_correlate2d_is_the_correlation_loop(g, bias, data):
    # (e): the reference and the fast correlate2d, each against the loop (float64, 1e-12)
    x, w, b = draw_conv(data, g, bias)
    want = correlation_loops(x, w, b, g.strides, g.padding, g.dilation)
    for kernels in ("reference", "fast"):
        with use_kernels(kernels):
            got = F.correlate2d(x, w, b, **conv_options(g)).data
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=kernels)


# -- (b) the reference against the literal loops of tests/reference.py -------------------------

@loops
@given(tst.conv_geometries(max_dilation=3), st.booleans(), st.data())
def test_reference_conv2d_is_the_articles_formula(g, bias, data):
    x, w, b = draw_conv(data, g, bias)
    got = ref_conv.conv2d(x, w, b, **conv_options(g)).data
    want = conv2d_loops(x, w, b, g.strides, g.padding, g.dilation)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@loops
@given(tst.conv_geometries(max_dilation=3), st.booleans(), st.data())
def test_reference_depthwise_conv2d_is_its_loop(g, bias, data):
    x = data.draw(tst.arrays(g.x_shape))
    w = data.draw(tst.arrays((g.kh, g.kw, g.c_in, g.c_out)))       # c_out: depth multiplier
    b = data.draw(tst.arrays((g.c_in * g.c_out,))) if bias else None
    got = ref_depthwise.depthwise_conv2d(x, w, b, **conv_options(g)).data
    want = depthwise_conv2d_loops(x, w, b, g.strides, g.padding, g.dilation)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def has_transpose(size, k, s, padding, output_padding) -> bool:
    """Whether a transposed convolution exists along one axis: its output size (Keras' rule,
    tests/reference.py) is one that the convolution maps back to `size`."""
    out = deconv_length(size, k, s, padding, output_padding)
    if out < 1:
        return False
    before, after = pads_1d(out, k, s, padding)
    return (out + before + after - k) // s + 1 == size


@st.composite
def transpose_cases(draw, max_size=4, max_channels=3, max_kernel=4, max_stride=3):
    """(y shape (n, h, w, c_in), kernel shape (kh, kw, c_out, c_in), options) of a transposed
    convolution that exists: strides an int or a pair, padding 'valid', 'same', an int or a
    pair, output_padding None or a pair below the strides."""
    kh, kw = draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel))
    sh, sw = draw(st.integers(1, max_stride)), draw(st.integers(1, max_stride))
    strides = draw(st.sampled_from([(sh, sw), sh] if sh == sw else [(sh, sw)]))
    padding = draw(st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 2),
                             st.tuples(st.integers(0, 2), st.integers(0, 2))))
    output_padding = draw(st.one_of(st.none(), st.tuples(st.integers(0, sh - 1),
                                                         st.integers(0, sw - 1))))
    h, w = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    for axis, (size, k, s) in enumerate([(h, kh, sh), (w, kw, sw)]):
        p = padding[axis] if isinstance(padding, tuple) else padding
        q = None if output_padding is None else output_padding[axis]
        assume(has_transpose(size, k, s, p, q))
    n, cin, cout = (draw(st.integers(1, m)) for m in (2, max_channels, max_channels))
    options = dict(strides=strides, padding=padding, output_padding=output_padding)
    return (n, h, w, cin), (kh, kw, cout, cin), options


def draw_transpose(data, case, bias=True):
    y_shape, w_shape, _ = case
    y, w = data.draw(tst.arrays(y_shape)), data.draw(tst.arrays(w_shape))
    return y, w, data.draw(tst.arrays((w_shape[2],))) if bias else None


@loops
@given(transpose_cases(), st.booleans(), st.data())
def test_reference_conv2d_transpose_is_the_scatter_loop(case, bias, data):
    y, w, b = draw_transpose(data, case, bias)
    got = ref_transpose.conv2d_transpose(y, w, b, **case[2]).data
    want = conv2d_transpose_loops(y, w, b, **case[2])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@loops
@given(transpose_cases(), st.data())
def test_correlate2d_transpose_is_the_adjoint_of_the_correlation_loop(case, data):
    # <correlation(x, w), y> = <x, correlate2d_transpose(y, w)> for all x, y, with the
    # correlation computed by the loop above: reference and fast
    y, w, _ = draw_transpose(data, case, bias=False)
    options = case[2]
    for kernels in ("reference", "fast"):
        with use_kernels(kernels):
            out = F.correlate2d_transpose(y, w, **options).data
        x = data.draw(tst.arrays(out.shape))
        conv = correlation_loops(x, w, None, options["strides"], options["padding"], 1)
        assert conv.shape == y.shape
        np.testing.assert_allclose(np.sum(conv * y), np.sum(x * out), rtol=1e-12, atol=1e-10)


# -- (a) gradchecks of the reference ops -------------------------------------------------------

@gradchecks
@given(tst.conv_geometries(max_batch=2, max_size=5, max_channels=2, max_kernel=3,
                           max_dilation=2), st.booleans(), st.data())
def test_grad_reference_conv2d(g, bias, data):
    x, w, b = draw_conv(data, g, bias)
    fn = with_bias(lambda x, w, b: ref_conv.conv2d(x, w, b, **conv_options(g)), b)
    gradcheck(fn, *inputs(x, w, b), **GRAD_TOL)


@gradchecks
@given(tst.conv_geometries(max_batch=2, max_size=5, max_channels=2, max_kernel=3,
                           max_dilation=2), st.booleans(), st.data())
def test_grad_reference_correlate2d(g, bias, data):
    x, w, b = draw_conv(data, g, bias)
    fn = with_bias(lambda x, w, b: ref_conv.correlate2d(x, w, b, **conv_options(g)), b)
    gradcheck(fn, *inputs(x, w, b), **GRAD_TOL)


@gradchecks
@given(tst.conv_geometries(max_batch=2, max_size=5, max_channels=2, max_kernel=3,
                           max_dilation=2), st.booleans(), st.data())
def test_grad_reference_conv2d_relu(g, bias, data):
    x, w, b = draw_conv(data, g, bias)
    # steer clear of the kink: every pre-activation at least MARGIN from 0
    assume(np.abs(ref_conv.conv2d(x, w, b, **conv_options(g)).data).min() > MARGIN)
    fn = with_bias(lambda x, w, b: ref_conv.conv2d_relu(x, w, b, **conv_options(g)), b)
    gradcheck(fn, *inputs(x, w, b), **GRAD_TOL)


@gradchecks
@given(transpose_cases(max_size=3, max_channels=2, max_kernel=3), st.booleans(), st.data())
def test_grad_reference_conv2d_transpose(case, bias, data):
    y, w, b = draw_transpose(data, case, bias)
    fn = with_bias(lambda y, w, b: ref_transpose.conv2d_transpose(y, w, b, **case[2]), b)
    gradcheck(fn, *inputs(y, w, b), **GRAD_TOL)


@gradchecks
@given(transpose_cases(max_size=3, max_channels=2, max_kernel=3), st.booleans(), st.data())
def test_grad_reference_correlate2d_transpose(case, bias, data):
    y, w, b = draw_transpose(data, case, bias)
    fn = with_bias(lambda y, w, b: ref_transpose.correlate2d_transpose(y, w, b, **case[2]), b)
    gradcheck(fn, *inputs(y, w, b), **GRAD_TOL)


@gradchecks
@given(tst.conv_geometries(max_batch=2, max_size=5, max_channels=2, max_kernel=3,
                           max_dilation=2), st.booleans(), st.data())
def test_grad_reference_depthwise_conv2d(g, bias, data):
    x = data.draw(tst.arrays(g.x_shape))
    w = data.draw(tst.arrays((g.kh, g.kw, g.c_in, g.c_out)))
    b = data.draw(tst.arrays((g.c_in * g.c_out,))) if bias else None
    fn = with_bias(lambda x, w, b: ref_depthwise.depthwise_conv2d(x, w, b, **conv_options(g)), b)
    gradcheck(fn, *inputs(x, w, b), **GRAD_TOL)


def steered(z, pool) -> bool:
    """Every pre-activation z (N, Ho, Wo, C) at least MARGIN from ReLU's kink, and in every
    tiling pool window the largest value MARGIN above the next (no near-tie)."""
    ph, pw = pool
    n, ho, wo, c = z.shape
    hp, wp = ho // ph, wo // pw
    windows = (z[:, :hp * ph, :wp * pw].reshape(n, hp, ph, wp, pw, c)
               .transpose(0, 1, 3, 5, 2, 4).reshape(-1, ph * pw))
    top = np.sort(windows, axis=1)
    gaps = top[:, -1] - top[:, -2] if ph * pw > 1 else np.full(len(top), np.inf)
    return np.abs(z).min() > MARGIN and gaps.min(initial=np.inf) > MARGIN


def draw_fused(data, g, bias):
    """x, w, b (or None) and a pool size whose windows fit the convolution's output, with
    no kink or near-tie (`steered`)."""
    x, w, b = draw_conv(data, g, bias, distinct=True)
    z = ref_conv.conv2d(x, w, b, **conv_options(g)).data
    pool = (data.draw(st.integers(1, min(3, z.shape[1]))),
            data.draw(st.integers(1, min(3, z.shape[2]))))
    assume(steered(z, pool))
    return x, w, b, pool


@gradchecks
@given(tst.conv_geometries(max_batch=2, max_size=6, max_channels=2, max_kernel=3,
                           max_dilation=2), st.booleans(), st.data())
def test_grad_reference_conv2d_relu_max_pool(g, bias, data):
    x, w, b, pool = draw_fused(data, g, bias)
    fn = with_bias(lambda x, w, b: ref_fused.conv2d_relu_max_pool(
        x, w, b, pool_size=pool, **conv_options(g)), b)
    gradcheck(fn, *inputs(x, w, b), **GRAD_TOL)


# -- (c) fast equals reference -----------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@comparisons
@given(g=tst.conv_geometries(max_dilation=3), bias=st.booleans(), data=st.data())
def test_fast_conv2d_and_correlate2d_equal_the_reference(dtype, g, bias, data):
    x, w, b = draw_conv(data, g, bias)
    for op in (F.conv2d, F.correlate2d):
        fn = with_bias(lambda x, w, b: op(x, w, b, **conv_options(g)), b)
        assert_kernels_agree(fn, *inputs(x, w, b), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@comparisons
@given(g=tst.conv_geometries(max_dilation=2), bias=st.booleans(), data=st.data())
def test_fast_conv2d_relu_equals_the_reference(dtype, g, bias, data):
    x, w, b = draw_conv(data, g, bias)
    assume(np.abs(F.conv2d(x, w, b, **conv_options(g)).data).min() > MARGIN)
    fn = with_bias(lambda x, w, b: F.conv2d_relu(x, w, b, **conv_options(g)), b)
    assert_kernels_agree(fn, *inputs(x, w, b), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@comparisons
@given(case=transpose_cases(), bias=st.booleans(), data=st.data())
def test_fast_transposed_convolutions_equal_the_reference(dtype, case, bias, data):
    y, w, b = draw_transpose(data, case, bias)
    for op in (F.conv2d_transpose, F.correlate2d_transpose):
        fn = with_bias(lambda y, w, b: op(y, w, b, **case[2]), b)
        assert_kernels_agree(fn, *inputs(y, w, b), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@comparisons
@given(g=tst.conv_geometries(max_dilation=3), bias=st.booleans(), data=st.data())
def test_fast_depthwise_conv2d_equals_the_reference(dtype, g, bias, data):
    x = data.draw(tst.arrays(g.x_shape))
    w = data.draw(tst.arrays((g.kh, g.kw, g.c_in, g.c_out)))
    b = data.draw(tst.arrays((g.c_in * g.c_out,))) if bias else None
    fn = with_bias(lambda x, w, b: F.depthwise_conv2d(x, w, b, **conv_options(g)), b)
    assert_kernels_agree(fn, *inputs(x, w, b), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@comparisons
@given(g=tst.conv_geometries(max_batch=3, max_dilation=2), bias=st.booleans(), data=st.data())
def test_fast_conv2d_relu_max_pool_equals_the_reference(dtype, g, bias, data):
    x, w, b, pool = draw_fused(data, g, bias)
    fn = with_bias(lambda x, w, b: F.conv2d_relu_max_pool(x, w, b, pool_size=pool,
                                                          **conv_options(g)), b)
    assert_kernels_agree(fn, *inputs(x, w, b), dtype=dtype)


# -- (d) the switch ----------------------------------------------------------------------------

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 6, 6, 2))
W = RNG.standard_normal((3, 3, 2, 2))
B = RNG.standard_normal(2)

#: op, call, the reference Functions its graph must hold, the fast Function it must not
DISPATCH = [
    ("conv2d", lambda x: F.conv2d(x, W, B, padding="same"), {"Conv2dRef"}, "Conv2dOp"),
    ("correlate2d", lambda x: F.correlate2d(x, W, B, strides=2), {"Correlate2dRef"},
     "Correlate2dOp"),
    ("conv2d_relu", lambda x: F.conv2d_relu(x, W, B), {"Conv2dRef", "ReluRef"}, "Conv2dOp"),
    ("conv2d_transpose", lambda x: F.conv2d_transpose(x, W, B, strides=2),
     {"Conv2dTransposeRef"}, "Conv2dTransposeOp"),
    ("correlate2d_transpose", lambda x: F.correlate2d_transpose(x, W, B, padding="same"),
     {"Correlate2dTransposeRef"}, "Correlate2dTransposeOp"),
    ("depthwise_conv2d", lambda x: F.depthwise_conv2d(x, W, dilation_rate=2, padding="same"),
     {"DepthwiseConv2dRef"}, "DepthwiseConv2dOp"),
    ("conv2d_relu_max_pool", lambda x: F.conv2d_relu_max_pool(x, W, B),
     {"Conv2dRef", "ReluRef", "MaxPool2dRef"}, "Conv2dReluMaxPoolOp"),
]


def graph_functions(y: Tensor) -> set[type]:
    """The classes of the Functions that made y, walking back through its graph."""
    seen, stack, found = set(), [y], set()
    while stack:
        t = stack.pop()
        if id(t) in seen or t._fn is None:
            continue
        seen.add(id(t))
        found.add(type(t._fn))
        stack.extend(t._fn.inputs)
    return found


FAST_MODULES = tuple(f"tinydl.ops.{m}" for m in ("conv", "conv_transpose", "depthwise",
                                                  "pooling", "resize", "fused"))


@pytest.mark.parametrize("name, call, ref_functions, fast_function", DISPATCH,
                         ids=[case[0] for case in DISPATCH])
def test_the_public_op_runs_the_reference_only_inside_the_block(name, call, ref_functions,
                                                                  fast_function):
    x = Tensor(X, requires_grad=True)
    with use_kernels("reference"):
        inside = {cls.__name__ for cls in graph_functions(call(x))}
    outside = graph_functions(call(x))
    assert ref_functions <= inside and fast_function not in inside, inside
    assert {cls.__name__ for cls in outside} == {fast_function}


def test_the_layers_run_the_reference_kernels():
    # a model using every op of the family: Conv2D(relu) + MaxPooling2D (fused into
    # conv2d_relu_max_pool by the Model), Conv2DTranspose, DepthwiseConv2D, UpSampling2D,
    # ZeroPadding2D, AveragePooling2D, Resizing. Under the reference kernels no Function of
    # the fast modules is in the output's graph, and the output is the fast one's
    model = Sequential([Input((8, 8, 2)), Conv2D(3, 3, activation="relu"), MaxPooling2D(),
                        Conv2DTranspose(2, 3, strides=2), DepthwiseConv2D(3, depth_multiplier=2),
                        UpSampling2D(interpolation="bilinear"), ZeroPadding2D(1),
                        AveragePooling2D(3, strides=2, padding="same"), Resizing(5, 4),
                        Flatten()])
    x = Tensor(np.random.default_rng(1).standard_normal((2, 8, 8, 2)).astype(np.float32))
    fast = model(x)
    with use_kernels("reference"):
        ref = model(x)
    fast_kinds, ref_kinds = graph_functions(fast), graph_functions(ref)
    assert {cls.__name__ for cls in fast_kinds} >= {"Conv2dReluMaxPoolOp", "Conv2dTransposeOp"}
    leaked = {cls.__name__ for cls in ref_kinds if cls.__module__.startswith(FAST_MODULES)}
    assert not leaked, leaked
    assert {cls.__name__ for cls in ref_kinds} >= {
        "Conv2dRef", "MaxPool2dRef", "Conv2dTransposeRef", "DepthwiseConv2dRef",
        "Upsampling2dRef", "Pad2dRef", "AvgPool2dRef", "Resize2dRef"}
    np.testing.assert_allclose(ref.data, fast.data, rtol=1e-5, atol=1e-5)


# -- bad arguments: the same error from both kernels -------------------------------------------

Y = np.zeros((1, 3, 3, 2))
BAD = [
    ("x not 4-D", F.conv2d, (X[0], W), {}),
    ("NCHW x", F.conv2d, (np.zeros((1, 2, 5, 5)), W), {}),
    ("channels", F.correlate2d, (np.zeros((1, 6, 6, 3)), W), {}),
    ("kernel not 4-D", F.conv2d, (X, W[..., 0]), {}),
    ("bias shape", F.conv2d, (X, W, np.zeros(3)), {}),
    ("strides", F.conv2d, (X, W), {"strides": 0}),
    ("padding", F.correlate2d, (X, W), {"padding": "full"}),
    ("kernel larger than image", F.conv2d, (X[:, :2, :2], W), {}),
    ("dilation", F.conv2d, (X, W), {"dilation_rate": (1, 0)}),
    ("dilated kernel too wide", F.correlate2d, (X, W), {"dilation_rate": 3}),
    ("uint8 x", F.conv2d, (X.astype(np.uint8), W), {}),
    ("conv2d_relu channels", F.conv2d_relu, (np.zeros((1, 6, 6, 3)), W), {}),
    ("transpose y not 4-D", F.conv2d_transpose, (Y[0], W), {}),
    ("transpose kernel axes swapped", F.conv2d_transpose, (Y, np.zeros((3, 3, 2, 4))), {}),
    ("transpose NCHW y", F.correlate2d_transpose, (np.zeros((1, 4, 3, 3)), np.zeros((3, 3, 2, 4))),
     {}),
    ("transpose bias", F.correlate2d_transpose, (Y, W, np.zeros(4)), {}),
    ("output_padding ≥ strides", F.conv2d_transpose, (Y, W), {"strides": 2, "output_padding": 2}),
    ("same with an even kernel", F.conv2d_transpose, (Y, np.zeros((2, 2, 2, 2))),
     {"padding": "same", "output_padding": 0}),
    ("transpose padding too large", F.correlate2d_transpose, (Y, W), {"padding": 3}),
    ("depthwise channels", F.depthwise_conv2d, (X, np.zeros((3, 3, 3, 1))), {}),
    ("depthwise kernel not 4-D", F.depthwise_conv2d, (X, np.zeros((3, 3, 2))), {}),
    ("depthwise bias", F.depthwise_conv2d, (X, np.zeros((3, 3, 2, 2)), np.zeros(2)), {}),
    ("fused pool larger than the output", F.conv2d_relu_max_pool, (X, W), {"pool_size": 5}),
    ("fused pool of too many offsets", F.conv2d_relu_max_pool, (np.zeros((1, 18, 18, 2)), W),
     {"pool_size": 16}),
    ("fused bias", F.conv2d_relu_max_pool, (X, W, np.zeros(5)), {}),
    ("fused channels", F.conv2d_relu_max_pool, (np.zeros((1, 6, 6, 3)), W), {}),
]


@pytest.mark.parametrize("name, op, args, kwargs", BAD, ids=[case[0] for case in BAD])
def test_bad_arguments_get_the_fast_ops_error(name, op, args, kwargs):
    assert_same_error(op, *args, **kwargs)
