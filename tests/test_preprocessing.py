"""Tests of the preprocessing layers: identity at inference, flips / shifts / rotations
against NumPy's np.flip / hand-shifted arrays / np.rot90, seeds, gradients, and a model
that trains with them in front."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinydl import gradcheck
from tinydl.layers import Dense, Flatten
from tinydl.models import Sequential
from tinydl.layers import RandomFlip, RandomRotation, RandomTranslation, Rescaling
from tinydl.testing import strategies as tst

X = np.arange(4 * 5 * 5 * 2, dtype=np.float32).reshape(4, 5, 5, 2)   # NHWC, distinct values

RANDOM_LAYERS = [lambda: RandomFlip(seed=0), lambda: RandomTranslation(0.3, 0.3, seed=0),
                 lambda: RandomRotation(0.2, seed=0)]


@pytest.mark.parametrize("make", RANDOM_LAYERS)
def test_random_layers_are_the_identity_at_inference(make):
    layer = make()
    np.testing.assert_array_equal(layer(X).data, X)
    np.testing.assert_array_equal(layer(X, training=False).data, X)
    assert layer.compute_output_shape((None, 5, 5, 2)) == (None, 5, 5, 2)
    assert type(layer)(**layer.get_config()).get_config() == layer.get_config()


@pytest.mark.parametrize("make", RANDOM_LAYERS)
def test_same_seed_same_output_and_draws_differ_per_call(make):
    first, second = make()(X, training=True).data, make()(X, training=True).data
    np.testing.assert_array_equal(first, second)
    layer = make()
    assert not np.array_equal(layer(X, training=True).data, layer(X, training=True).data)


@pytest.mark.parametrize("make", RANDOM_LAYERS)
def test_wrong_rank_names_the_layer(make):
    layer = make()
    with pytest.raises(ValueError, match=rf"{layer.name} \({type(layer).__name__}\): "
                                         r"expected images of shape \(N, H, W, C\)"):
        layer(np.zeros((2, 5, 5)), training=True)


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_flip_flips_exactly_the_drawn_samples(mode):
    x = np.random.default_rng(1).random((8, 4, 3, 2)).astype(np.float32)
    out = RandomFlip(mode, seed=7)(x, training=True).data
    rng = np.random.default_rng(7)                  # the layer's documented draws
    flip_w = rng.random(8) < 0.5 if mode != "vertical" else np.zeros(8, bool)
    flip_h = rng.random(8) < 0.5 if mode != "horizontal" else np.zeros(8, bool)
    assert flip_w.any() or flip_h.any()
    expected = np.where(flip_w[:, None, None, None], np.flip(x, axis=2), x)
    expected = np.where(flip_h[:, None, None, None], np.flip(expected, axis=1), expected)
    np.testing.assert_array_equal(out, expected)


def test_translation_by_a_forced_shift_with_zero_fill():
    # height (0.4, 0.4) of H=5 -> dy = 2 (down); width (-0.2, -0.2) of W=5 -> dx = -1 (left)
    out = RandomTranslation((0.4, 0.4), (-0.2, -0.2))(X, training=True).data
    expected = np.zeros_like(X)
    expected[:, 2:, :4] = X[:, :3, 1:]              # out[i, j] = x[i - 2, j + 1]
    np.testing.assert_array_equal(out, expected)
    filled = RandomTranslation((0.4, 0.4), 0.0, fill_value=-1.0)(X, training=True).data
    assert np.all(filled[:, :2] == -1) and np.array_equal(filled[:, 2:], X[:, :3])


def test_translation_seeded_draw_read_back():
    out = RandomTranslation(0.4, 0.4, seed=3)(X, training=True).data
    rng = np.random.default_rng(3)
    dy = np.round(rng.uniform(-0.4, 0.4, 4) * 5).astype(int)
    dx = np.round(rng.uniform(-0.4, 0.4, 4) * 5).astype(int)
    for n in range(4):                              # the test may loop; the layer does not
        padded = np.pad(X[n], ((5, 5), (5, 5), (0, 0)))
        expected = padded[5 - dy[n]:10 - dy[n], 5 - dx[n]:10 - dx[n]]
        np.testing.assert_array_equal(out[n], expected)


@pytest.mark.parametrize("size", [5, 6])
def test_rotation_by_90_degrees_is_rot90(size):
    x = np.random.default_rng(0).random((3, size, size, 2)).astype(np.float32)
    left = RandomRotation((0.25, 0.25))(x, training=True).data       # +90°: counter-clockwise
    right = RandomRotation((-0.25, -0.25))(x, training=True).data
    np.testing.assert_array_equal(left[:, 1:-1, 1:-1], np.rot90(x, 1, axes=(1, 2))[:, 1:-1, 1:-1])
    np.testing.assert_allclose(left, np.rot90(x, 1, axes=(1, 2)), atol=1e-6)   # border too
    np.testing.assert_allclose(right, np.rot90(x, -1, axes=(1, 2)), atol=1e-6)


def test_rotation_by_zero_is_identity_and_180_is_a_double_flip():
    np.testing.assert_array_equal(RandomRotation((0.0, 0.0))(X, training=True).data, X)
    half = RandomRotation((0.5, 0.5))(X, training=True).data
    np.testing.assert_allclose(half, X[:, ::-1, ::-1], atol=1e-4)


def test_rotation_interpolates_and_fills():
    # 45° about the centre of a constant image: the centre stays, the corners are fill
    x = np.ones((1, 7, 7, 1), np.float32)
    out = RandomRotation((0.125, 0.125), fill_value=0.0)(x, training=True).data[0, :, :, 0]
    assert out[3, 3] == pytest.approx(1.0) and out[0, 0] == 0.0 and out[6, 6] == 0.0
    assert np.all((out >= 0) & (out <= 1 + 1e-6))


def test_factor_errors():
    with pytest.raises(ValueError, match=r"RandomRotation: factor lower bound 0.3 exceeds"):
        RandomRotation((0.3, 0.1))
    with pytest.raises(ValueError, match=r"RandomTranslation: height_factor must be a float"):
        RandomTranslation("big", 0.1)
    with pytest.raises(ValueError, match=r"RandomFlip: mode must be one of"):
        RandomFlip("diagonal")


def test_rescaling_values():
    layer = Rescaling(1 / 127.5, offset=-1.0)
    out = layer(np.array([[0.0, 127.5, 255.0]]), training=False).data
    np.testing.assert_allclose(out, [[-1.0, 0.0, 1.0]], atol=1e-6)
    assert layer(X, training=True).shape == X.shape
    assert Rescaling(**layer.get_config()).get_config() == layer.get_config()


@given(st.data())
def test_grad_rescaling(data):
    x = data.draw(tst.arrays(data.draw(tst.shapes())))
    scale = data.draw(st.floats(-3, 3))
    layer = Rescaling(scale, offset=0.5, dtype="float64")
    gradcheck(lambda t: layer(t), x)


@pytest.mark.parametrize("make", [lambda: RandomFlip(), lambda: RandomTranslation(0.4, 0.4),
                                  lambda: RandomRotation(0.3)])
def test_backward_of_random_layers(make):
    # the output is linear in x (a fixed gather per draw): re-seed so every call draws alike
    layer = make()
    layer.dtype = np.dtype("float64")

    def fn(t):
        layer.rng = np.random.default_rng(5)
        return layer(t, training=True)
    gradcheck(fn, np.random.default_rng(0).standard_normal((3, 4, 5, 2)))


def test_a_model_with_preprocessing_layers_trains():
    rng = np.random.default_rng(0)
    x = rng.random((16, 6, 6, 1)).astype(np.float32) * 255
    y = np.eye(2, dtype=np.float32)[(x.mean(axis=(1, 2, 3)) > 127.5).astype(int)]
    model = Sequential([Rescaling(1 / 255, input_shape=(6, 6, 1)), RandomFlip("horizontal"),
                        RandomTranslation(0.2, 0.2), RandomRotation(0.1), Flatten(),
                        Dense(2, activation="softmax")], seed=0)
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    assert model.predict(x, verbose=0).shape == (16, 2)
