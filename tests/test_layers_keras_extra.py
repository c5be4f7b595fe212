"""Issue 22, item 3: the extra Keras layers (in tinydl/layers/ activations.py, core.py,
regularization.py, normalization.py, preprocessing.py, augmentation.py) against their formulas
in numpy, in training and inference, with seeds, config round trips and bad input; and
the gradient property tests of the new ops (elu, layer_norm, resize2d, relu's options).

Gradient checks: float64, central differences (tinydl.gradcheck: ε = 1e-6, an element
passes when |analytic - numeric| ≤ 1e-5 + 1e-4·|numeric|); kinks steered away from by
tst.KINK_MARGIN = 1e-3: ELU at 0, ReLU at its threshold and at max_value.
"""
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinydl as keras
import tinydl.functional as F
from tinydl import Tensor, gradcheck
from tinydl.testing import strategies as tst
from tinydl.layers import (ELU, GaussianNoise, Identity, Lambda, LayerNormalization,
                           Normalization, RandomContrast, RandomZoom, ReLU, Resizing, Softmax,
                           SpatialDropout2D)

RNG = np.random.default_rng(0)


def images(n=2, h=5, w=6, c=3, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, h, w, c))


# -- gradient property tests of the new ops --------------------------------------------

@given(st.data(), st.floats(0.1, 2.0))
def test_grad_elu(data, alpha):
    x = data.draw(tst.arrays(tst.shapes(), away_from=(0.0,)))
    gradcheck(lambda x: F.elu(x, alpha), x)


@given(st.data(), st.floats(0.0, 0.5), st.floats(0.0, 1.0), st.floats(1.5, 2.5))
def test_grad_relu_with_keras_options(data, slope, threshold, max_value):
    x = data.draw(tst.arrays(tst.shapes(), away_from=(threshold, max_value)))
    gradcheck(lambda x: F.relu(x, negative_slope=slope, threshold=threshold,
                               max_value=max_value), x)


@given(st.data())
def test_grad_layer_norm(data):
    shape = data.draw(tst.shapes(min_dims=2, max_dims=3, min_side=2))
    axes = data.draw(st.sampled_from([[-1], [1], list(range(1, len(shape)))]))
    norm_shape = tuple(shape[a] for a in sorted(a % len(shape) for a in axes))
    x = data.draw(tst.arrays(shape))
    gamma = data.draw(tst.arrays(norm_shape))
    beta = data.draw(tst.arrays(norm_shape))
    gradcheck(lambda x, g, b: F.layer_norm(x, g, b, axis=axes, epsilon=1e-3), x, gamma, beta)


@given(st.data(), st.sampled_from(["bilinear", "nearest"]))
def test_grad_resize2d(data, interpolation):
    x = data.draw(tst.arrays((data.draw(st.integers(1, 2)), data.draw(st.integers(1, 4)),
                              data.draw(st.integers(1, 4)), data.draw(st.integers(1, 2)))))
    size = (data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6)))
    gradcheck(lambda x: F.resize2d(x, size, interpolation), x)


# -- activations --------------------------------------------------------------------------

def test_softmax_layer_matches_the_formula_on_any_axis():
    x = RNG.standard_normal((2, 3, 4))
    for axis in (-1, 1, 0):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        np.testing.assert_allclose(Softmax(axis=axis)(x).data, e / e.sum(axis, keepdims=True),
                                   rtol=1e-6)


def test_relu_layer_matches_keras_piecewise_formula():
    x = np.linspace(-4, 4, 81)
    y = ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5)(x[None]).data[0]
    expected = np.where(x > 0.5, np.minimum(x, 2.0), 0.1 * (x - 0.5))
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ReLU()(x[None]).data[0], np.maximum(x, 0), rtol=1e-6)
    np.testing.assert_allclose(ReLU(max_value=6)(10 * x[None]).data[0],
                               np.clip(10 * x, 0, 6), rtol=1e-6)


def test_elu_layer_matches_the_formula():
    x = np.linspace(-5, 5, 41)
    np.testing.assert_allclose(ELU(alpha=0.5)(x[None]).data[0],
                               np.where(x > 0, x, 0.5 * (np.exp(x) - 1)), rtol=1e-6, atol=1e-7)
    assert np.isfinite(F.elu(np.array([-1e4, 1e4], np.float32)).data).all()


def test_activation_by_name_elu():
    x = RNG.standard_normal((3, 4))
    np.testing.assert_allclose(keras.layers.Activation("elu")(x).data, ELU()(x).data)


# -- Identity and Lambda -------------------------------------------------------------------

def test_identity_returns_its_input():
    x = Tensor(RNG.standard_normal((2, 3)))
    assert Identity()(x) is x


def test_lambda_applies_the_function_with_arguments_and_shape():
    layer = Lambda(lambda x, k: x * k, arguments={"k": 3.0})
    x = RNG.standard_normal((2, 4))
    np.testing.assert_allclose(layer(x).data, 3 * x, rtol=1e-6)
    inp = keras.Input((4,))
    assert Lambda(lambda x: F.reshape(x, (-1, 2, 2)))(inp).shape == (None, 2, 2)
    assert Lambda(lambda x: x, output_shape=(4,))(inp).shape == (None, 4)


def test_lambda_rejects_numpy_results():
    with pytest.raises(TypeError, match="must return a Tensor"):
        Lambda(lambda x: np.asarray(x.data) * 2)(np.ones((1, 2)))


# -- SpatialDropout2D and GaussianNoise ------------------------------------------------------

def test_spatial_dropout_drops_whole_channels_with_the_seeded_generator():
    x = images(n=4, c=8) + 1
    y = SpatialDropout2D(0.5, seed=3)(x, training=True).data
    keep = np.random.default_rng(3).random((4, 8)) >= 0.5
    np.testing.assert_allclose(y, x * (keep / 0.5)[:, None, None, :].astype(np.float32),
                               rtol=1e-6)
    assert ((y == 0).all(axis=(1, 2)) == ~keep).all()     # whole maps zeroed, the rest kept
    np.testing.assert_array_equal(SpatialDropout2D(0.5, seed=3)(x, training=True).data, y)
    np.testing.assert_array_equal(SpatialDropout2D(0.5)(x).data, x.astype(np.float32))


def test_gaussian_noise_adds_seeded_noise_in_training_only():
    x = RNG.standard_normal((3, 4))
    y = GaussianNoise(0.3, seed=5)(x, training=True).data
    expected = x + 0.3 * np.random.default_rng(5).standard_normal((3, 4))
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(GaussianNoise(0.3, seed=5)(x).data, x.astype(np.float32))


# -- LayerNormalization --------------------------------------------------------------------

def test_layer_normalization_matches_the_formula_in_both_modes():
    x = RNG.standard_normal((4, 3, 5)) * 3 + 1
    layer = LayerNormalization(axis=[1, 2], epsilon=1e-3)
    y_train = layer(x, training=True).data
    layer.gamma.data[...] = RNG.standard_normal((3, 5))
    layer.beta.data[...] = RNG.standard_normal((3, 5))
    x32 = x.astype(np.float32)
    mu = x32.mean(axis=(1, 2), keepdims=True)
    var = x32.var(axis=(1, 2), keepdims=True)
    x_hat = (x32 - mu) / np.sqrt(var + 1e-3)
    np.testing.assert_allclose(y_train, x_hat, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer(x).data, x_hat * layer.gamma.data + layer.beta.data,
                               rtol=1e-4, atol=1e-5)
    assert [w.shape for w in layer.weights] == [(3, 5), (3, 5)]
    assert LayerNormalization(center=False, scale=False)(x).shape == x.shape


def test_layer_normalization_trains_in_a_model():
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8),
                              LayerNormalization(), keras.layers.Dense(1)], seed=0)
    model.compile(optimizer="adam", loss="mse")
    x = RNG.standard_normal((32, 6)).astype(np.float32)
    history = model.fit(x, x[:, :1], epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# -- Resizing, Normalization, RandomZoom, RandomContrast ----------------------------------

def test_resizing_matches_tf_image_resize_formulas():
    x = images(n=1, h=4, w=4, c=1)
    near = Resizing(2, 2, interpolation="nearest")(x).data
    np.testing.assert_array_equal(near, x[:, [1, 3]][:, :, [1, 3]].astype(np.float32))
    bil = Resizing(2, 2)(x).data                    # halving: the mean of each 2x2 block
    blocks = x.reshape(1, 2, 2, 2, 2, 1).mean(axis=(2, 4))
    np.testing.assert_allclose(bil, blocks, rtol=1e-5)
    # an integer upscale is UpSampling2D's bilinear op (the same interpolation matrices)
    np.testing.assert_allclose(Resizing(8, 12)(images(1, 4, 6, 2)).data,
                               F.upsampling2d(images(1, 4, 6, 2).astype(np.float32), 2,
                                              "bilinear").data, rtol=1e-5)
    assert Resizing(3, 7)(keras.Input((5, 5, 2))).shape == (None, 3, 7, 2)


def test_normalization_adapt_and_given_statistics():
    data = RNG.standard_normal((100, 3)) * [1, 2, 3] + [4, 5, 6]
    layer = Normalization()
    layer.adapt(data)
    np.testing.assert_allclose(layer.mean.data, data.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.variance.data, data.var(0), rtol=1e-5)
    y = layer(data).data
    np.testing.assert_allclose(y, (data - data.mean(0)) / data.std(0), rtol=1e-4, atol=1e-5)
    given = Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0])
    np.testing.assert_allclose(given(np.array([[3.0, 8.0]])).data, [[1.0, 2.0]], rtol=1e-6)
    back = Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True)
    np.testing.assert_allclose(back(np.array([[1.0, 2.0]])).data, [[3.0, 8.0]], rtol=1e-6)
    scalar = Normalization(axis=None)
    scalar.adapt(data)
    np.testing.assert_allclose(scalar(data).data, (data - data.mean()) / data.std(),
                               rtol=1e-4, atol=1e-5)
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2


def test_random_zoom_is_identity_at_inference_and_zooms_with_its_seed():
    x = images(n=3, h=7, w=7, c=2)
    np.testing.assert_array_equal(RandomZoom(0.3)(x).data, x.astype(np.float32))
    y = RandomZoom((0.0, 0.0), seed=1)(x, training=True).data     # z = 1: no change
    np.testing.assert_allclose(y, x, rtol=1e-6)
    a = RandomZoom(0.3, seed=4)(x, training=True).data
    np.testing.assert_array_equal(a, RandomZoom(0.3, seed=4)(x, training=True).data)
    # zoom out by 2 (z = 2): output pixel (i, j) reads (3 + 2(i - 3), 3 + 2(j - 3))
    out = RandomZoom((1.0, 1.0), interpolation="nearest", seed=0)(x, training=True).data
    np.testing.assert_allclose(out[:, 2:5, 2:5], x[:, 1:6:2, 1:6:2], rtol=1e-6)
    assert (out[:, 0] == 0).all() and (out[:, :, 0] == 0).all()


def test_random_contrast_matches_the_formula():
    x = images(n=3, c=2) * 255
    y = RandomContrast(0.5, seed=2)(x, training=True).data
    a = np.random.default_rng(2).uniform(0.5, 1.5, 3)[:, None, None, None]
    m = x.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(y, np.clip((x - m) * a + m, 0, 255), rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal(RandomContrast(0.5)(x).data, x.astype(np.float32))


# -- configs --------------------------------------------------------------------------------

def double(x):
    return x * 2.0


CONFIGURED = [Softmax(axis=1), ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5),
              ELU(alpha=0.7), Identity(), Lambda(double, output_shape=(3,)),
              SpatialDropout2D(0.25, seed=1), GaussianNoise(0.1, seed=2),
              LayerNormalization(axis=[1, 2], epsilon=1e-4, center=False),
              Resizing(4, 5, interpolation="nearest"), RandomZoom(0.2, (-0.1, 0.3), seed=3),
              RandomContrast((0.1, 0.4), value_range=(0, 1), seed=4),
              Normalization(axis=-1, mean=[1.0, 2.0], variance=[3.0, 4.0], invert=True)]


@pytest.mark.parametrize("layer", CONFIGURED, ids=lambda layer: type(layer).__name__)
def test_config_is_json_and_rebuilds_the_layer(layer):
    config = layer.get_config()
    text = json.dumps(config)
    again = type(layer)(**json.loads(text))
    assert again.get_config() == json.loads(text)
    assert again.name == layer.name


def test_lambda_config_rebuilds_a_module_level_function():
    again = Lambda(**json.loads(json.dumps(Lambda(double).get_config())))
    np.testing.assert_allclose(again(np.ones((1, 2))).data, [[2.0, 2.0]])


def test_rebuilt_random_layer_reproduces_the_draws():
    x = images(n=2)
    layer = RandomZoom(0.3, seed=9)
    again = RandomZoom(**layer.get_config())
    np.testing.assert_array_equal(layer(x, training=True).data, again(x, training=True).data)


# -- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("make, message", [
    (lambda: SpatialDropout2D(-0.1), "rate must be in"),
    (lambda: SpatialDropout2D(1.0), "rate must be in"),
    (lambda: GaussianNoise(-1.0), "stddev must be in"),
    (lambda: ReLU(max_value=-1), "max_value must be"),
    (lambda: ReLU(negative_slope=-0.1), "negative_slope must be"),
    (lambda: ReLU(threshold=None), "threshold must be"),
    (lambda: Resizing(0, 4), "height must be a positive int"),
    (lambda: Resizing(4, 0), "width must be a positive int"),
    (lambda: Resizing(4, 4, interpolation="cubic"), "interpolation must be one of"),
    (lambda: LayerNormalization(epsilon=0), "epsilon must be"),
    (lambda: LayerNormalization(axis="last"), "axis must be"),
    (lambda: Normalization(mean=[0.0]), "give both mean and variance"),
    (lambda: RandomZoom(-1.5), "must be ≥ -1"),
    (lambda: RandomContrast(1.5), "must be in \\[0, 1\\]"),
    (lambda: Softmax(axis=1.5), "axis must be an int"),
])
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_wrong_axis_is_named_at_call():
    with pytest.raises(ValueError, match="axis=3 is out of range"):
        Softmax(axis=3)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="out of range"):
        LayerNormalization(axis=4)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="batch axis"):
        LayerNormalization(axis=0)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="out of range"):
        Normalization(axis=2, mean=0.0, variance=1.0)(np.ones((2, 3)))


def test_normalization_before_adapt_says_what_to_do():
    with pytest.raises(ValueError, match="call layer.adapt\\(data\\) first"):
        Normalization()(np.ones((2, 3)))


def test_image_layers_refuse_non_images():
    for layer in (Resizing(2, 2), SpatialDropout2D(0.1), RandomZoom(0.1), RandomContrast(0.1)):
        with pytest.raises(ValueError, match="\\(N, H, W, C\\)"):
            layer(np.ones((2, 3)), training=True)


def test_resize2d_op_refuses_a_zero_size():
    with pytest.raises(ValueError, match="positive ints"):
        F.resize2d(np.ones((1, 2, 2, 1)), (0, 3))


def test_normalization_statistics_travel_with_the_weights():
    data = RNG.standard_normal((50, 3)) * 2 + 1
    trained = Normalization()
    trained.adapt(data)
    fresh = Normalization()
    fresh.ensure_built((None, 3))
    with pytest.raises(ValueError, match="adapt"):
        fresh(data)
    fresh.set_weights(trained.get_weights())
    np.testing.assert_allclose(fresh(data).data, trained(data).data, rtol=1e-5, atol=1e-6)


def test_the_layers_train_together_in_a_sequential_model():
    x = images(n=16, h=6, w=6, c=1, seed=1).astype(np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype(np.float32)[:, None]
    norm = Normalization(axis=None)
    norm.adapt(x)
    model = keras.Sequential([
        keras.Input((6, 6, 1)), norm, Resizing(8, 8), RandomZoom(0.1), RandomContrast(0.2),
        keras.layers.Conv2D(4, 3), ReLU(max_value=6.0), SpatialDropout2D(0.25),
        keras.layers.Flatten(), GaussianNoise(0.05), LayerNormalization(), ELU(),
        Identity(), Lambda(lambda t: t * 0.5), keras.layers.Dense(2), Softmax()], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert model.predict(x, verbose=0).shape == (16, 2)
    np.testing.assert_allclose(model.predict(x, verbose=0).sum(-1), 1, rtol=1e-5)
