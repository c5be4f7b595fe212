"""Tests of tinydl.layers: output shapes (declared = computed), gradients through every
layer (gradcheck in float64, hypothesis-driven), the article's convolution, names,
configs, dropout modes, a learner-written layer, and the errors for bad shapes."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinydl.functional as F
from tinydl import Tensor, gradcheck, layers, utils
from tinydl.models import Sequential
from tinydl.testing import strategies as tst


def check_shape(layer, x):
    """Run the layer and compare with its declared output shape."""
    y = layer(x)
    declared = layer.compute_output_shape((None, *x.shape[1:]))
    assert declared[0] is None and y.shape == (len(x), *declared[1:]), (declared, y.shape)
    assert layer.output_shape == declared
    return y


# -- output shapes ----------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, out_hw", [
    ({"kernel_size": 3}, (8, 6)),
    ({"kernel_size": (3, 1)}, (8, 8)),
    ({"kernel_size": 3, "strides": 2}, (4, 3)),
    ({"kernel_size": 3, "strides": (1, 2)}, (8, 3)),
    ({"kernel_size": 3, "padding": "same"}, (10, 8)),
    ({"kernel_size": 3, "padding": "same", "strides": 3}, (4, 3)),
    ({"kernel_size": (2, 4), "padding": "SAME", "strides": 2}, (5, 4)),
    ({"kernel_size": 5, "padding": 1}, (8, 6)),
])
def test_conv2d_output_shapes(kwargs, out_hw):
    layer = layers.Conv2D(5, **kwargs)
    y = check_shape(layer, np.random.rand(2, 10, 8, 3))
    assert y.shape == (2, *out_hw, 5)
    assert layer.kernel.shape == (*layer.kernel_size, 3, 5) and layer.bias.shape == (5,)


@pytest.mark.parametrize("cls", [layers.MaxPooling2D, layers.AveragePooling2D])
@pytest.mark.parametrize("kwargs, out_hw", [
    ({}, (5, 3)),
    ({"pool_size": 3}, (3, 2)),
    ({"pool_size": (2, 2), "strides": 1}, (9, 6)),
    ({"pool_size": 2, "padding": "same"}, (5, 4)),
    ({"pool_size": 3, "strides": 2, "padding": "same"}, (5, 4)),
])
def test_pooling_output_shapes(cls, kwargs, out_hw):
    assert check_shape(cls(**kwargs), np.random.rand(2, 10, 7, 3)).shape == (2, *out_hw, 3)


def test_shapes_of_the_other_layers():
    x = np.random.rand(4, 3, 5, 2)
    assert check_shape(layers.Flatten(), x).shape == (4, 30)
    assert check_shape(layers.Dense(7), x.reshape(4, 30)).shape == (4, 7)
    assert check_shape(layers.Dense(7), x).shape == (4, 3, 5, 7)   # last axis, as Keras
    assert check_shape(layers.Dropout(0.3), x).shape == x.shape
    assert check_shape(layers.Activation("relu"), x).shape == x.shape


# -- gradients (float64 layers, hypothesis) ------------------------------------------------

@settings(max_examples=15)
@given(tst.conv_geometries(max_size=6, max_channels=2, max_kernel=3), st.data())
def test_conv2d_layer_shape_and_gradients(g, data):
    layer = layers.Conv2D(g.c_out, (g.kh, g.kw), strides=g.strides, padding=g.padding,
                          activation="tanh", dtype="float64", bias_initializer="ones")
    x = data.draw(tst.arrays(g.x_shape))
    check_shape(layer, x)

    def forward(x, kernel, bias):
        layer.kernel, layer.bias = kernel, bias
        return layer(x)
    gradcheck(forward, x, layer.kernel.data.copy(), layer.bias.data.copy())


@settings(max_examples=15)
@given(tst.shapes(min_dims=2, max_dims=3), st.integers(1, 4),
       st.sampled_from([None, "sigmoid", "tanh", "softmax"]), st.data())
def test_dense_layer_shape_and_gradients(shape, units, activation, data):
    layer = layers.Dense(units, activation=activation, dtype="float64")
    x = data.draw(tst.arrays(shape))
    check_shape(layer, x)

    def forward(x, kernel, bias):
        layer.kernel, layer.bias = kernel, bias
        return layer(x)
    gradcheck(forward, x, layer.kernel.data.copy(), data.draw(tst.arrays((units,))))


@settings(max_examples=15)
@given(tst.pool_geometries(max_size=6, max_channels=2), st.data())
def test_pooling_layers_shape_and_gradients(g, data):
    for cls in (layers.MaxPooling2D, layers.AveragePooling2D):
        layer = cls((g.kh, g.kw), strides=g.strides, padding=g.padding, dtype="float64")
        x = data.draw(tst.distinct_arrays(g.x_shape))   # no ties: max has one winner
        check_shape(layer, x)
        gradcheck(layer, x)


def test_flatten_dropout_activation_gradients():
    x = np.random.default_rng(0).standard_normal((3, 2, 2, 2))
    gradcheck(layers.Flatten(dtype="float64"), x)
    gradcheck(layers.Activation("sigmoid", dtype="float64"), x)
    drop = layers.Dropout(0.5, dtype="float64")

    def dropout(x):
        drop.rng = np.random.default_rng(1)   # the same mask at every evaluation
        return drop(x, training=True)
    gradcheck(dropout, x)


# -- the article's convolution ---------------------------------------------------------------

def test_conv2d_layer_is_the_articles_true_convolution():
    rng = np.random.default_rng(0)
    x = rng.random((2, 6, 6, 3)).astype(np.float32)
    layer = layers.Conv2D(4, 3, activation="relu", padding="same")
    y = layer(x).data
    k, b = layer.kernel.data, layer.bias.data
    np.testing.assert_allclose(y, F.relu(F.conv2d(x, k, b, padding="same")).data, rtol=1e-6)
    # a Keras (cross-correlation) kernel must be flipped to give the same outputs here
    keras_kernel = k[::-1, ::-1]
    np.testing.assert_allclose(y, F.relu(F.correlate2d(x, keras_kernel, b, padding="same")).data,
                               rtol=1e-5, atol=1e-6)


def test_dense_is_x_at_w_plus_b():
    layer = layers.Dense(3, activation="relu", bias_initializer="ones")
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    y = layer(x).data
    assert layer.kernel.shape == (4, 3)                      # (in, out)
    np.testing.assert_allclose(y, np.maximum(x @ layer.kernel.data + 1, 0), rtol=1e-6)
    np.testing.assert_allclose(layer.pre_activation.data, x @ layer.kernel.data + 1, rtol=1e-6)


# -- the layer API ---------------------------------------------------------------------

def test_automatic_names_like_keras():
    utils.clear_session()
    names = [layers.Conv2D(1, 3).name, layers.Conv2D(1, 3).name, layers.MaxPooling2D().name,
             layers.AveragePooling2D().name, layers.Dense(2).name, layers.Dense(2).name,
             layers.Flatten().name, layers.Dropout(0.1).name, layers.Activation("relu").name,
             layers.Dense(2, name="logits").name]
    assert names == ["conv2d", "conv2d_1", "max_pooling2d", "average_pooling2d", "dense",
                     "dense_1", "flatten", "dropout", "activation", "logits"]


def test_weights_count_params_and_config():
    layer = layers.Conv2D(8, (3, 2), strides=2, padding="same", activation="relu", use_bias=False,
                          input_shape=(9, 9, 3))
    assert layer.input_shape == (None, 9, 9, 3)
    with pytest.raises(ValueError, match="count_params.. needs a built layer"):
        layer.count_params()
    layer(np.zeros((1, 9, 9, 3)))
    assert [name for name, _ in layer.named_weights()] == ["kernel"]
    assert layer.count_params() == 3 * 2 * 3 * 8
    assert all(w.requires_grad for w in layer.weights) and layer.trainable_weights == layer.weights
    config = layer.get_config()
    assert config["activation"] == "relu" and config["strides"] == (2, 2)
    copy = layers.Conv2D.from_config({**config, "name": "copy"})
    assert copy.get_config() == {**config, "name": "copy"}
    layer.trainable = False
    assert layer.trainable_weights == [] and layer.non_trainable_weights == layer.weights
    assert layers.Dense(3).get_config()["activation"] == "linear"
    assert layers.Dropout(0.25, seed=3).get_config()["rate"] == 0.25


def test_initialisation_is_seeded():
    def kernel(seed):
        layer = layers.Dense(4)
        layer.rng = np.random.default_rng(seed)
        layer(np.zeros((1, 3)))
        return layer.kernel.data
    np.testing.assert_array_equal(kernel(5), kernel(5))
    assert not np.array_equal(kernel(5), kernel(6))
    def two_kernels():
        a, b = layers.Dense(4), layers.Dense(4)
        a(np.zeros((1, 3))), b(np.zeros((1, 3)))
        return a.kernel.data, b.kernel.data
    utils.set_random_seed(11)
    first = two_kernels()
    utils.set_random_seed(11)
    second = two_kernels()
    np.testing.assert_array_equal(first, second)           # the shared generator, reseeded
    assert not np.array_equal(*first)


def test_dropout_training_and_inference():
    x = np.ones((200, 50), np.float32)
    drop = layers.Dropout(0.5, seed=0)
    np.testing.assert_array_equal(drop(x).data, x)                    # inference: identity
    y = drop(x, training=True).data
    assert set(np.unique(y)) == {0.0, 2.0}                            # kept units scaled by 2
    assert abs((y == 0).mean() - 0.5) < 0.02
    again = layers.Dropout(0.5, seed=0)(x, training=True).data
    np.testing.assert_array_equal(y, again)                           # seeded masks repeat
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        layers.Dropout(1.0)


def test_a_learners_own_layer():
    class Scale(layers.Layer):
        """y = x · s, one learned scale per feature."""
        def build(self, input_shape):
            self.s = self.add_weight("scale", (input_shape[-1],), "ones")

        def call(self, x, training=False):
            return x * self.s

    utils.clear_session()
    layer = Scale()
    assert layer.name == "scale"
    model = Sequential([layers.Dense(3, input_shape=(2,)), layer, layers.Dense(1)])
    assert layer.output_shape == (None, 3)           # found by the default compute_output_shape
    assert model.count_params() == 9 + 3 + 4
    model.compile("sgd", "mse")
    model.fit(np.random.rand(8, 2), np.random.rand(8, 1), verbose=0)
    assert layer.s.grad is not None


@pytest.mark.parametrize("make, x, message", [
    (lambda: layers.Conv2D(4, 3), np.zeros((2, 8, 8)),
     r"conv2d.* \(Conv2D\): expected inputs of shape \(batch, height, width, channels\); got "
     r"\(None, 8, 8\)\. A batch of grayscale images \(N, H, W\) needs a channel axis: x\[\.\.\., None\]"),
    (lambda: layers.MaxPooling2D(), np.zeros((2, 8)), r"max_pooling2d.*expected inputs of shape"),
    (lambda: layers.Conv2D(4, 5), np.zeros((1, 3, 3, 1)), r"5-wide window is larger"),
    (lambda: layers.Dense(4), np.zeros(3), r"expected inputs of shape \(batch, features\)"),
])
def test_bad_input_shapes(make, x, message):
    with pytest.raises(ValueError, match=message):
        make()(x)


def test_bad_arguments():
    with pytest.raises(ValueError, match="filters must be a positive int"):
        layers.Conv2D(0, 3)
    with pytest.raises(ValueError, match="kernel_size must be a positive int or a pair"):
        layers.Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="units must be a positive int"):
        layers.Dense(2.5)
    with pytest.raises(ValueError, match="unknown activation 'rleu'"):
        layers.Dense(2, activation="rleu")
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        layers.Dense(2, kernel_initializer="glorot")
    with pytest.raises(TypeError, match="uint8.*divide by 255.0"):
        layers.Dense(2)(np.zeros((1, 3), np.uint8))


def test_an_array_is_cast_to_the_layer_dtype_and_a_tensor_is_kept():
    assert layers.Dense(2)(np.zeros((1, 3))).dtype == np.float32
    assert layers.Dense(2, dtype="float64")(np.zeros((1, 3), np.float32)).dtype == np.float64
    x = Tensor(np.ones((1, 3), np.float32), requires_grad=True)
    layers.Dense(2)(x).sum().backward()
    assert x.grad.shape == (1, 3)
