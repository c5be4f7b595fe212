"""Transposed convolution: conv2d_transpose is the adjoint of conv2d (and
correlate2d_transpose of correlate2d). Values against the literal scatter loops in
tests/reference.py, the adjoint identity <conv2d(x, w), y> = <x, conv2d_transpose(y, w)>,
output sizes against Keras' formula, gradients against central differences, the
Conv2DTranspose layer, and PyTorch's conv_transpose2d when torch is installed."""
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinydl.functional as F
from tinydl import gradcheck, layers, utils
from tinydl.models import Sequential
from tinydl.testing import strategies as tst

from reference import conv2d_transpose_loops, deconv_length, pads_1d


# -- geometries -----------------------------------------------------------------------

@dataclass(frozen=True)
class TransposeGeometry:
    """y is (n, h, w, c_in); the kernel (kh, kw, c_out, c_in), the layout of the conv2d
    kernel that maps c_out channels to c_in; the output is (n, H, W, c_out)."""
    n: int
    h: int
    w: int
    c_in: int
    c_out: int
    kh: int
    kw: int
    strides: Any
    padding: Any
    output_padding: Any

    @property
    def y_shape(self) -> tuple[int, int, int, int]:
        return (self.n, self.h, self.w, self.c_in)

    @property
    def w_shape(self) -> tuple[int, int, int, int]:
        return (self.kh, self.kw, self.c_out, self.c_in)

    @property
    def options(self) -> dict[str, Any]:
        return {"strides": self.strides, "padding": self.padding,
                "output_padding": self.output_padding}


def per_axis(value, axis):
    return value[axis] if isinstance(value, tuple) else value


def has_transpose(size, k, s, padding, output_padding) -> bool:
    """Whether the output size rule gives a size that conv2d maps back to `size`
    (computed with the reference helpers, not tinydl's)."""
    out = deconv_length(size, k, s, padding, output_padding)
    if out < 1:
        return False
    before, after = pads_1d(out, k, s, padding)
    return (out + before + after - k) // s + 1 == size


@st.composite
def transpose_geometries(draw, max_batch=2, max_size=4, max_channels=3, max_kernel=4,
                         max_stride=3):
    """Batch, channels, sizes, kernel, strides (int or pair), padding ('valid', 'same',
    int or pair) and output_padding (None, int or pair, below the strides) that fit."""
    kh, kw = draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel))
    strides = draw(st.one_of(st.integers(1, max_stride),
                             st.tuples(st.integers(1, max_stride), st.integers(1, max_stride))))
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    padding = draw(st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 2),
                             st.tuples(st.integers(0, 2), st.integers(0, 2))))
    output_padding = draw(st.one_of(st.none(), st.integers(0, min(sh, sw) - 1),
                                    st.tuples(st.integers(0, sh - 1), st.integers(0, sw - 1))))
    h, w = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    for axis, (size, k, s) in enumerate([(h, kh, sh), (w, kw, sw)]):
        assume(has_transpose(size, k, s, per_axis(padding, axis), per_axis(output_padding, axis)))
    return TransposeGeometry(draw(st.integers(1, max_batch)), h, w,
                             draw(st.integers(1, max_channels)), draw(st.integers(1, max_channels)),
                             kh, kw, strides, padding, output_padding)


def draw_transpose(data, g):
    y = data.draw(tst.arrays(g.y_shape))
    w = data.draw(tst.arrays(g.w_shape))
    b = data.draw(tst.arrays((g.c_out,)))
    return y, w, b


# -- values -------------------------------------------------------------------------------

@given(transpose_geometries(), st.data())
def test_conv2d_transpose_is_the_scatter_formula(g, data):
    y, w, b = draw_transpose(data, g)
    got = F.conv2d_transpose(y, w, b, **g.options).data
    want = conv2d_transpose_loops(y, w, b, **g.options)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("forward, transpose", [(F.conv2d, F.conv2d_transpose),
                                                (F.correlate2d, F.correlate2d_transpose)],
                         ids=["conv2d", "correlate2d"])
@given(g=transpose_geometries(), data=st.data())
def test_the_transpose_is_the_adjoint_of_its_forward_op(forward, transpose, g, data):
    """<forward(x, w), y> == <x, transpose(y, w)> for every x and y."""
    y, w, _ = draw_transpose(data, g)
    out = transpose(y, w, **g.options).data
    x = data.draw(tst.arrays(out.shape))
    conv = forward(x, w, strides=g.strides, padding=g.padding).data
    assert conv.shape == y.shape          # the forward op maps the output size back to y's
    np.testing.assert_allclose(np.sum(conv * y), np.sum(x * out), rtol=1e-12, atol=1e-10)


@given(transpose_geometries(), st.data())
def test_correlate2d_transpose_is_conv2d_transpose_with_flipped_kernel(g, data):
    y, w, b = draw_transpose(data, g)
    got = F.correlate2d_transpose(y, w, b, **g.options).data
    want = F.conv2d_transpose(y, w[::-1, ::-1], b, **g.options).data
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_a_single_pixel_spreads_the_flipped_kernel():
    # y = one 1 at (1, 0); stride 2: the kernel, walked backwards, lands at rows 2-3, cols 0-1
    y = np.zeros((1, 2, 2, 1))
    y[0, 1, 0, 0] = 1.0
    w = np.arange(1.0, 5.0).reshape(2, 2, 1, 1)        # [[1, 2], [3, 4]]
    out = F.conv2d_transpose(y, w, strides=2).data[0, :, :, 0]
    want = np.zeros((4, 4))
    want[2:4, 0:2] = [[4, 3], [2, 1]]
    np.testing.assert_array_equal(out, want)
    want[2:4, 0:2] = [[1, 2], [3, 4]]                  # correlation: the kernel as written
    np.testing.assert_array_equal(F.correlate2d_transpose(y, w, strides=2).data[0, :, :, 0], want)


def test_float32_stays_float32():
    y = np.ones((2, 3, 3, 4), np.float32)
    w = np.ones((3, 3, 2, 4), np.float32)
    assert F.conv2d_transpose(y, w, np.ones(2, np.float32), strides=2).dtype == np.float32
    assert F.correlate2d_transpose(y, w, strides=2, padding="same").dtype == np.float32


# -- output sizes -----------------------------------------------------------------------

def keras_deconv_output_length(input_length, filter_size, padding, output_padding=None,
                               stride=0, dilation=1):
    """keras.src.utils.conv_utils.deconv_output_length, copied (minus 'full')."""
    assert padding in {"same", "valid"}
    if input_length is None:
        return None
    filter_size = filter_size + (filter_size - 1) * (dilation - 1)
    pad = 0
    if output_padding is None:
        if padding == "valid":
            length = input_length * stride + max(filter_size - stride, 0)
        elif padding == "same":
            length = input_length * stride
    else:
        if padding == "same":
            pad = filter_size // 2
        elif padding == "valid":
            pad = 0
        length = (input_length - 1) * stride + filter_size - 2 * pad + output_padding
    return length


@pytest.mark.parametrize("h, k, s, padding, output_padding, expected", [
    (7, 3, 1, "valid", None, 9), (7, 3, 2, "valid", None, 15), (7, 4, 2, "valid", None, 16),
    (7, 2, 3, "valid", None, 21), (7, 3, 2, "valid", 1, 16), (7, 2, 3, "valid", 0, 20),
    (7, 3, 1, "same", None, 7), (7, 3, 2, "same", None, 14), (7, 4, 2, "same", None, 14),
    (7, 5, 3, "same", None, 21), (7, 3, 2, "same", 0, 13), (7, 3, 2, "same", 1, 14),
    (7, 4, 2, "same", 1, 13), (7, 4, 3, "same", 2, 20),
    (7, 4, 2, 1, None, 14), (7, 3, 2, 1, 1, 14), (7, 5, 1, 2, None, 7), (7, 3, 3, 0, 2, 23),
])
def test_output_size(h, k, s, padding, output_padding, expected):
    if isinstance(padding, str):
        assert keras_deconv_output_length(h, k, padding, output_padding, s) == expected
    y = np.zeros((1, h, h, 1))
    out = F.conv2d_transpose(y, np.zeros((k, k, 1, 1)), strides=s, padding=padding,
                             output_padding=output_padding)
    assert out.shape == (1, expected, expected, 1)
    # and conv2d takes that size back to h
    assert F.conv2d(out.data, np.zeros((k, k, 1, 1)), strides=s, padding=padding).shape[1] == h


@settings(max_examples=25)
@given(transpose_geometries(max_size=5))
def test_output_size_follows_keras_and_the_layer_declares_it(g):
    out = F.conv2d_transpose(np.zeros(g.y_shape), np.zeros(g.w_shape), **g.options)
    for axis in (0, 1):
        padding, q = per_axis(g.padding, axis), per_axis(g.output_padding, axis)
        if isinstance(padding, str):
            k, s = (g.kh, g.kw)[axis], per_axis(g.strides, axis)
            assert out.shape[1 + axis] == keras_deconv_output_length(g.y_shape[1 + axis], k,
                                                                     padding, q, s)
    layer = layers.Conv2DTranspose(g.c_out, (g.kh, g.kw), **g.options)
    assert layer.compute_output_shape((None, *g.y_shape[1:])) == (None, *out.shape[1:])
    assert layer(np.zeros(g.y_shape)).shape == out.shape


# -- gradients (every element, random upstream gradient; see tinydl.gradcheck) --------

small_geometries = transpose_geometries(max_size=3, max_channels=2, max_kernel=3)


@given(small_geometries, st.data())
def test_grad_conv2d_transpose(g, data):
    y, w, b = draw_transpose(data, g)
    gradcheck(lambda y, w, b: F.conv2d_transpose(y, w, b, **g.options), y, w, b)


@given(small_geometries, st.data())
def test_grad_correlate2d_transpose(g, data):
    y, w, b = draw_transpose(data, g)
    gradcheck(lambda y, w, b: F.correlate2d_transpose(y, w, b, **g.options), y, w, b)


@settings(max_examples=15)
@given(small_geometries, st.data())
def test_grad_conv2d_transpose_without_bias_and_a_constant_kernel(g, data):
    y, w, _ = draw_transpose(data, g)
    gradcheck(lambda y: F.conv2d_transpose(y, w, **g.options), y)
    gradcheck(lambda w: F.conv2d_transpose(y, w, **g.options), w)


# -- bad input: each error names the op, what it got and what it expected --------------

def test_mismatched_channels():
    with pytest.raises(ValueError, match=r"conv2d_transpose: y has 3 channels \(shape \(1, 5, 5, "
                                         r"3\), layout N,H,W,C\) but the kernel expects 4 .*"
                                         r"layout kh,kw,C_out,C_in"):
        F.conv2d_transpose(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 2, 4)))
    with pytest.raises(ValueError, match=r"correlate2d_transpose: y has 2 channels.*axes 2 and "
                                         r"3 swapped.*w.transpose\(0, 1, 3, 2\)"):
        F.correlate2d_transpose(np.zeros((1, 5, 5, 2)), np.zeros((3, 3, 2, 4)))
    with pytest.raises(ValueError, match=r"y has 5 channels.*NCHW"):
        F.conv2d_transpose(np.zeros((8, 4, 5, 5)), np.zeros((3, 3, 1, 4)))


@pytest.mark.parametrize("output_padding, strides", [(2, 2), (1, 1), ((0, 3), (2, 3))])
def test_output_padding_must_be_smaller_than_the_strides(output_padding, strides):
    with pytest.raises(ValueError, match=r"conv2d_transpose: output_padding \(\d, \d\) must be "
                                         r"smaller than the strides"):
        F.conv2d_transpose(np.zeros((1, 3, 3, 1)), np.zeros((3, 3, 1, 1)), strides=strides,
                           output_padding=output_padding)
    with pytest.raises(ValueError, match=r"Conv2DTranspose: output_padding .* smaller than"):
        layers.Conv2DTranspose(2, 3, strides=strides, output_padding=output_padding)


@pytest.mark.parametrize("output_padding", [-1, 1.0, (1, 1, 1), "1"])
def test_bad_output_padding(output_padding):
    with pytest.raises(ValueError, match=r"output_padding must be None, a non-negative int"):
        F.conv2d_transpose(np.zeros((1, 3, 3, 1)), np.zeros((3, 3, 1, 1)), strides=2,
                           output_padding=output_padding)


def test_geometries_without_a_transpose():
    # 'same', even kernel, output_padding 0: (h-1)·s, which conv2d maps to h - 1
    with pytest.raises(ValueError, match=r"conv2d_transpose: along spatial axis 0 the output size "
                                         r"would be 4 .*maps that to size 2, not 3.*even kernel"):
        F.conv2d_transpose(np.zeros((1, 3, 3, 1)), np.zeros((2, 2, 1, 1)), strides=2,
                           padding="same", output_padding=0)
    # padding 2 crops more than a 1×1 kernel on one pixel covers
    with pytest.raises(ValueError, match=r"axis 1 the output size would be -3 .*no image"):
        F.conv2d_transpose(np.zeros((1, 3, 1, 1)), np.zeros((3, 1, 1, 1)), padding=(1, 2))


def test_other_bad_arguments():
    with pytest.raises(ValueError, match=r"conv2d_transpose: y must be a batch of images of shape "
                                         r"\(N, H, W, C\).*y\[None\]"):
        F.conv2d_transpose(np.zeros((5, 5, 1)), np.zeros((3, 3, 1, 1)))
    with pytest.raises(ValueError, match=r"kernel must have shape \(kh, kw, C_out, C_in\)"):
        F.conv2d_transpose(np.zeros((1, 5, 5, 1)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"conv2d_transpose: bias must have shape \(2,\)"):
        F.conv2d_transpose(np.zeros((1, 5, 5, 4)), np.zeros((3, 3, 2, 4)), np.zeros(4))
    with pytest.raises(ValueError, match=r"padding must be 'valid', 'same'"):
        F.correlate2d_transpose(np.zeros((1, 5, 5, 1)), np.zeros((3, 3, 1, 1)), padding="full")
    with pytest.raises(TypeError, match=r"conv2d_transpose: y has dtype uint8"):
        F.conv2d_transpose(np.zeros((1, 5, 5, 1), np.uint8), np.zeros((3, 3, 1, 1)))


# -- the Conv2DTranspose layer -------------------------------------------------------------

def test_layer_shapes_weights_and_the_flipped_keras_kernel():
    utils.clear_session()
    layer = layers.Conv2DTranspose(4, (3, 2), strides=2, padding="same", activation="relu",
                                   input_shape=(5, 6, 3))
    assert layer.name == "conv2d_transpose" and layer.input_shape == (None, 5, 6, 3)
    x = np.random.default_rng(0).standard_normal((2, 5, 6, 3)).astype(np.float32)
    y = layer(x)
    assert y.shape == (2, 10, 12, 4) == (2, *layer.output_shape[1:])
    assert layer.kernel.shape == (3, 2, 4, 3)        # (kh, kw, filters, C_in)
    assert layer.bias.shape == (4,)
    assert [name for name, _ in layer.named_weights()] == ["kernel", "bias"]
    assert layer.count_params() == 3 * 2 * 4 * 3 + 4
    k, b = layer.kernel.data, layer.bias.data
    np.testing.assert_allclose(layer.pre_activation.data,
                               F.conv2d_transpose(x, k, b, 2, "same").data, rtol=1e-6)
    np.testing.assert_allclose(y.data, np.maximum(layer.pre_activation.data, 0))
    # a Keras kernel (cross-correlation) must be flipped to give the same outputs here
    np.testing.assert_allclose(y.data, F.relu(F.correlate2d_transpose(x, k[::-1, ::-1], b, 2,
                                                                      "same")).data,
                               rtol=1e-5, atol=1e-6)
    assert layers.Conv2DTranspose(1, 3).name == "conv2d_transpose_1"


@pytest.mark.parametrize("strides, padding, output_padding", [
    (2, "valid", (0, 1)),      # 11 -> 5 -> 4·2 + 3 = 11;  8 -> 3 -> 2·2 + 3 + 1 = 8
    (2, "same", (0, 1)),       # 11 -> 6 -> 5·2 + 1 = 11;  8 -> 4 -> 3·2 + 1 + 1 = 8
    (3, 1, (1, 1)),            # 11 -> 4 -> 3·3 + 3 - 2 + 1 = 11;  8 -> 3 -> 2·3 + 3 - 2 + 1 = 8
])
def test_layer_undoes_the_shape_of_a_conv2d(strides, padding, output_padding):
    x = np.zeros((2, 11, 8, 3))
    down = layers.Conv2D(5, 3, strides=strides, padding=padding)(x)
    up = layers.Conv2DTranspose(3, 3, strides=strides, padding=padding,
                                output_padding=output_padding)(down)
    assert up.shape == x.shape


@settings(max_examples=15)
@given(transpose_geometries(max_size=3, max_channels=2, max_kernel=3), st.data())
def test_layer_gradients(g, data):
    layer = layers.Conv2DTranspose(g.c_out, (g.kh, g.kw), activation="tanh", dtype="float64",
                                   bias_initializer="ones", **g.options)
    y = data.draw(tst.arrays(g.y_shape))
    assert layer(y).shape == (g.n, *layer.compute_output_shape((None, *g.y_shape[1:]))[1:])

    def forward(y, kernel, bias):
        layer.kernel, layer.bias = kernel, bias
        return layer(y)
    gradcheck(forward, y, layer.kernel.data.copy(), layer.bias.data.copy())


def test_layer_config_round_trip():
    layer = layers.Conv2DTranspose(8, (3, 2), strides=(2, 3), padding="valid", output_padding=1,
                                   activation="sigmoid", use_bias=False, kernel_regularizer="l2")
    layer(np.zeros((1, 4, 4, 2)))
    assert [name for name, _ in layer.named_weights()] == ["kernel"]
    assert layer.count_params() == 3 * 2 * 8 * 2 and len(layer.losses) == 1
    config = layer.get_config()
    assert config["output_padding"] == (1, 1) and config["strides"] == (2, 3)
    assert config["activation"] == "sigmoid" and config["use_bias"] is False
    copy = layers.Conv2DTranspose.from_config({**config, "name": "copy"})
    assert copy.get_config() == {**config, "name": "copy"}
    assert copy(np.zeros((1, 4, 4, 2))).shape == (1, 10, 12, 8)
    assert layers.Conv2DTranspose(2, 3).get_config()["output_padding"] is None


def test_layer_trains_in_a_sequential_model():
    model = Sequential([layers.Conv2DTranspose(2, 3, strides=2, padding="same",
                                               activation="relu", input_shape=(3, 3, 1)),
                        layers.Conv2D(1, 3, padding="same")], seed=0)
    model.compile("adam", "mse")
    x = np.random.default_rng(0).random((8, 3, 3, 1)).astype(np.float32)
    target = np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)         # nearest-neighbour upsampling
    history = model.fit(x, target, epochs=30, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.layers[0].kernel.grad is not None


# -- PyTorch ------------------------------------------------------------------------------

@pytest.mark.parametrize("k, padding, output_padding, torch_padding", [
    (3, "valid", None, 0), (3, 1, 1, 1), (4, 1, None, 1), (4, "same", None, 1), (5, 2, 0, 2)])
def test_correlate2d_transpose_matches_torch_conv_transpose2d(k, padding, output_padding,
                                                              torch_padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    y = rng.standard_normal((2, 4, 5, 3))                 # (N, h, w, C_in)
    w = rng.standard_normal((k, k, 2, 3))                 # (kh, kw, C_out, C_in)
    b = rng.standard_normal(2)
    ours = F.correlate2d_transpose(y, w, b, strides=2, padding=padding,
                                   output_padding=output_padding).data
    theirs = torch.nn.functional.conv_transpose2d(
        torch.from_numpy(y.transpose(0, 3, 1, 2)),        # NHWC -> NCHW
        torch.from_numpy(w.transpose(3, 2, 0, 1).copy()),  # (C_in, C_out, kh, kw)
        torch.from_numpy(b), stride=2, padding=torch_padding,
        output_padding=output_padding or 0).numpy().transpose(0, 2, 3, 1)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)
