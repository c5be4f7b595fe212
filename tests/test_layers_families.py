"""The layers added for the functional API: each against its op or its formula, its output
shape (symbolic and real), its gradient through the layer, and its errors."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinydl.functional as F
from tinydl import Input, Model, gradcheck
from tinydl.layers import (Add, Average, Concatenate, Conv2D, Cropping2D, DepthwiseConv2D,
                           GlobalAveragePooling2D, GlobalMaxPooling2D, Multiply,
                           SeparableConv2D, Subtract, UpSampling2D, ZeroPadding2D)

RNG = np.random.default_rng(0)


def images(n=2, h=7, w=6, c=3):
    return RNG.standard_normal((n, h, w, c))


def check_shapes(layer, x):
    """The shape inferred on a symbolic input is the shape computed on data."""
    symbolic = layer(Input(x.shape[1:], dtype=x.dtype)) if not isinstance(x, list) else \
        layer([Input(a.shape[1:], dtype=a.dtype) for a in x])
    real = layer(x)
    assert symbolic.shape == (None, *real.shape[1:])
    return real


def test_conv2d_dilation_rate_is_the_dilated_op():
    x = images()
    layer = Conv2D(4, 3, dilation_rate=2, padding="same", dtype="float64")
    y = check_shapes(layer, x)
    np.testing.assert_allclose(
        y.data, F.conv2d(x, layer.kernel, layer.bias, 1, "same", dilation_rate=2).data)
    assert check_shapes(Conv2D(2, 3, dilation_rate=2, dtype="float64"), x).shape == (2, 3, 2, 2)
    with pytest.raises(ValueError, match=r"strides=\(2, 2\) and dilation_rate=\(2, 2\) cannot "
                                         r"both exceed 1"):
        Conv2D(2, 3, strides=2, dilation_rate=2)


def test_depthwise_conv2d_layer():
    x = images()
    layer = DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu",
                            dtype="float64")
    y = check_shapes(layer, x)
    assert layer.kernel.shape == (3, 3, 3, 2) and layer.bias.shape == (6,)
    expected = F.depthwise_conv2d(x, layer.kernel, layer.bias, 1, "same").data
    np.testing.assert_allclose(y.data, np.maximum(expected, 0))
    assert layer.count_params() == 3 * 3 * 3 * 2 + 6


def test_separable_conv2d_is_depthwise_then_pointwise_written_out():
    x = images(c=2)
    layer = SeparableConv2D(4, 3, depth_multiplier=2, dtype="float64")
    y = check_shapes(layer, x)
    dw, pw, b = layer.depthwise_kernel.data, layer.pointwise_kernel.data, layer.bias.data
    n, h, w, c = x.shape
    expected = np.zeros((n, h - 2, w - 2, 4))
    for i in range(h - 2):                      # the literal formula: true convolution per
        for j in range(w - 2):                  # channel, then a 1×1 mix of the C·M maps
            for ch in range(c):
                for m in range(2):
                    depth = sum(dw[a, bb, ch, m] * x[:, i + 2 - a, j + 2 - bb, ch]
                                for a in range(3) for bb in range(3))
                    expected[:, i, j, :] += depth[:, None] * pw[0, 0, ch * 2 + m, :]
    np.testing.assert_allclose(y.data, expected + b, rtol=1e-10, atol=1e-12)
    assert layer.count_params() == 3 * 3 * 2 * 2 + 4 * 4 + 4


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_upsampling2d_layer(interpolation):
    x = images(h=3, w=4)
    y = check_shapes(UpSampling2D((2, 3), interpolation=interpolation), x)
    assert y.shape == (2, 6, 12, 3)
    np.testing.assert_array_equal(y.data, F.upsampling2d(x, (2, 3), interpolation).data)
    with pytest.raises(ValueError, match="interpolation must be 'nearest' or 'bilinear'"):
        UpSampling2D(interpolation="cubic")


def test_zero_padding_and_cropping_undo_each_other():
    x = images()
    padded = check_shapes(ZeroPadding2D(((1, 2), (3, 0))), x)
    assert padded.shape == (2, 10, 9, 3)
    assert not padded.data[:, 0].any() and not padded.data[:, -2:].any()
    cropped = check_shapes(Cropping2D(((1, 2), (3, 0))), padded.data)
    np.testing.assert_array_equal(cropped.data, x)
    assert check_shapes(Cropping2D(1), x).shape == (2, 5, 4, 3)
    with pytest.raises(ValueError, match=r"cropping 4 \+ 4 off a height of 7 leaves nothing"):
        Cropping2D(4)(Input((7, 6, 3)))
    with pytest.raises(ValueError, match="must be a non-negative int"):
        ZeroPadding2D(-1)


def test_global_pooling():
    x = images()
    np.testing.assert_allclose(check_shapes(GlobalAveragePooling2D(), x).data, x.mean(axis=(1, 2)))
    np.testing.assert_array_equal(check_shapes(GlobalMaxPooling2D(), x).data, x.max(axis=(1, 2)))
    kept = check_shapes(GlobalAveragePooling2D(keepdims=True), x)
    assert kept.shape == (2, 1, 1, 3)


def test_merging_layers_compute_their_formulas():
    a, b, c = images(), images(), images()
    np.testing.assert_allclose(check_shapes(Add(), [a, b, c]).data, a + b + c)
    np.testing.assert_allclose(check_shapes(Subtract(), [a, b]).data, a - b)
    np.testing.assert_allclose(check_shapes(Multiply(), [a, b]).data, a * b)
    np.testing.assert_allclose(check_shapes(Average(), [a, b]).data, (a + b) / 2)
    joined = check_shapes(Concatenate(), [a, b[..., :2]])
    np.testing.assert_array_equal(joined.data, np.concatenate([a, b[..., :2]], axis=-1))
    np.testing.assert_array_equal(check_shapes(Concatenate(axis=1), [a, b]).data,
                                  np.concatenate([a, b], axis=1))
    with pytest.raises(ValueError, match="expected exactly 2 inputs"):
        Subtract()([a, b, c])
    with pytest.raises(ValueError, match="expected a list of at least 2 inputs"):
        Add()(a)
    with pytest.raises(ValueError, match="axis 0 is the batch"):
        Concatenate(axis=0)([Input((3,)), Input((3,))])


def test_symbolic_arithmetic_builds_merging_layers():
    a, b = Input((3,)), Input((3,))
    model = Model([a, b], [a + b, a - b, a * b])
    x, y = RNG.standard_normal((2, 4, 3)).astype(np.float32)
    total, diff, product = model.predict([x, y])
    np.testing.assert_allclose(total, x + y, rtol=1e-6)
    np.testing.assert_allclose(diff, x - y, rtol=1e-6)
    np.testing.assert_allclose(product, x * y, rtol=1e-6)


LAYERS = {
    "depthwise": lambda: DepthwiseConv2D(2, depth_multiplier=2, dtype="float64"),
    "separable": lambda: SeparableConv2D(2, 2, padding="same", dtype="float64"),
    "dilated": lambda: Conv2D(2, 2, dilation_rate=2, dtype="float64"),
    "upsampling_bilinear": lambda: UpSampling2D(interpolation="bilinear", dtype="float64"),
    "padding": lambda: ZeroPadding2D(1, dtype="float64"),
    "cropping": lambda: Cropping2D(((1, 0), (0, 1)), dtype="float64"),
    "global_average": lambda: GlobalAveragePooling2D(dtype="float64"),
}


@settings(max_examples=5, deadline=None)
@given(name=st.sampled_from(sorted(LAYERS)), seed=st.integers(0, 2**16))
def test_gradients_flow_through_each_layer(name, seed):
    """dL/dx through the layer object (its op's own gradient test is in test_*.py)."""
    layer = LAYERS[name]()
    x = np.random.default_rng(seed).standard_normal((2, 5, 4, 2))
    layer(x)                                            # build the weights
    gradcheck(lambda t: layer(t), x, atol=1e-6, rtol=1e-5)
