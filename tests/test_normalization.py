"""Batch normalization: the fused op's gradient (gradcheck, hypothesis), its forward
against plain loops and PyTorch, the normalised moments, the errors; the layer's moving
averages (closed form and numbers worked by hand), inference mode, non-trainable
weights in the Layer base, summary, save/load and training with fit."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinydl.functional as F
from tinydl import gradcheck, layers, utils
from tinydl.layers import Activation, BatchNormalization, Conv2D, Dense, Flatten
from tinydl.models import Sequential
from tinydl.optimizers import Adam
from tinydl.ops.batch_norm import batch_norm_with_moments
from tinydl.testing import strategies as tst
from tinydl.utils import to_categorical


@st.composite
def bn_shapes(draw):
    """(N, C) with N ≥ 2, or channels-last (N, H, W, C) with N·H·W ≥ 2."""
    c = draw(st.integers(1, 3))
    if draw(st.booleans()):
        return (draw(st.integers(2, 5)), c)
    n, h, w = (draw(st.integers(1, 3)) for _ in range(3))
    return (max(n, 2 if h * w == 1 else 1), h, w, c)


def batch_norm_loops(x, gamma, beta, eps):
    """The formula for one feature at a time, in plain Python over the m values."""
    y = np.empty_like(x)
    positions = list(np.ndindex(x.shape[:-1]))          # every index but the feature's
    for c in range(x.shape[-1]):
        values = [x[p + (c,)] for p in positions]
        mu = sum(values) / len(values)
        var = sum((v - mu) ** 2 for v in values) / len(values)
        for p, v in zip(positions, values):
            y[p + (c,)] = gamma[c] * (v - mu) / math.sqrt(var + eps) + beta[c]
    return y


# -- the ops: gradients ----------------------------------------------------------------

@given(bn_shapes(), st.sampled_from([1e-3, 1e-5]), st.data())
def test_grad_batch_norm(shape, eps, data):
    x = data.draw(tst.arrays(shape))
    gamma, beta = data.draw(tst.arrays(shape[-1:])), data.draw(tst.arrays(shape[-1:]))
    gradcheck(lambda x, gamma, beta: F.batch_norm(x, gamma, beta, eps), x, gamma, beta)


@given(bn_shapes(), st.data())
def test_grad_batch_norm_inference(shape, data):
    c = shape[-1:]
    x, mean, gamma, beta = (data.draw(tst.arrays(s)) for s in (shape, c, c, c))
    variance = data.draw(tst.positive_arrays(c))
    gradcheck(lambda *args: F.batch_norm_inference(*args, epsilon=1e-3),
              x, mean, variance, gamma, beta)


def test_gradient_through_x_only_or_the_parameters_only():
    x = np.random.default_rng(0).standard_normal((4, 2, 2, 3))
    gamma, beta = np.array([0.5, -2.0, 1.5]), np.array([0.1, 0.2, 0.3])
    gradcheck(lambda x: F.batch_norm(x, gamma, beta), x)
    gradcheck(lambda gamma, beta: F.batch_norm(x, gamma, beta), gamma, beta)


# -- the ops: forward ------------------------------------------------------------------

@settings(max_examples=20)
@given(bn_shapes(), st.sampled_from([1e-3, 1e-5, 0.5]), st.data())
def test_batch_norm_equals_the_formula_in_loops(shape, eps, data):
    x = data.draw(tst.arrays(shape, -10, 10))
    gamma, beta = data.draw(tst.arrays(shape[-1:])), data.draw(tst.arrays(shape[-1:]))
    np.testing.assert_allclose(F.batch_norm(x, gamma, beta, eps).data,
                               batch_norm_loops(x, gamma, beta, eps), rtol=1e-10, atol=1e-10)


@given(bn_shapes(), st.sampled_from([1e-3, 1e-5, 1.0]), st.floats(0.01, 100), st.data())
def test_each_feature_comes_out_with_mean_0_and_variance_1_over_1_plus_eps_over_var(
        shape, eps, scale, data):
    """With γ = 1, β = 0: mean(y) = 0 and var(y) = σ²/(σ² + ε) = 1/(1 + ε/σ²), exactly
    (up to rounding), per feature: ε keeps the variance just below 1."""
    x = data.draw(tst.arrays(shape)) * scale
    c = shape[-1]
    y = F.batch_norm(x, np.ones(c), np.zeros(c), eps).data
    axes = tuple(range(x.ndim - 1))
    sigma2 = x.var(axis=axes)
    np.testing.assert_allclose(y.mean(axis=axes), 0, atol=1e-9)
    np.testing.assert_allclose(y.var(axis=axes), sigma2 / (sigma2 + eps), rtol=1e-9, atol=1e-12)


def test_with_moments_returns_the_batch_mean_and_the_biased_variance():
    x = np.array([[1.0, 0.0], [3.0, 4.0]])
    y, mean, variance = batch_norm_with_moments(x, np.ones(2), np.zeros(2), epsilon=1e-3)
    np.testing.assert_array_equal(mean, [2, 2])
    np.testing.assert_array_equal(variance, [1, 4])                 # /m, not /(m - 1)
    np.testing.assert_allclose(y.data, [[-1 / math.sqrt(1.001), -2 / math.sqrt(4.001)],
                                        [1 / math.sqrt(1.001), 2 / math.sqrt(4.001)]])


def test_inference_uses_the_given_statistics():
    x = np.array([[1.0, 2.0], [5.0, -2.0], [0.0, 0.0]])
    y = F.batch_norm_inference(x, [1.0, 0.0], [4.0, 0.25], [2.0, 1.0], [0.5, -1.0], epsilon=0.0001)
    expected = np.array([2.0, 1.0]) * (x - [1.0, 0.0]) / np.sqrt([4.0001, 0.2501]) + [0.5, -1.0]
    np.testing.assert_allclose(y.data, expected, rtol=1e-6)          # float32 lists: gamma etc.
    one = F.batch_norm_inference(x[:1], [1.0, 0.0], [4.0, 0.25], [2.0, 1.0], [0.5, -1.0], 0.0001)
    np.testing.assert_allclose(one.data, expected[:1], rtol=1e-6)    # a batch of one is fine


def test_dtype_is_kept():
    x32 = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    ones, zeros = np.ones(3, np.float32), np.zeros(3, np.float32)
    assert F.batch_norm(x32, ones, zeros).dtype == np.float32
    assert F.batch_norm_inference(x32, zeros, ones, ones, zeros).dtype == np.float32
    assert F.batch_norm(x32.astype(np.float64), ones, zeros).dtype == np.float64


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3, 2), (1, 3, 1, 4)])
def test_agrees_with_pytorch(shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape) * 3 + 1
    gamma, beta = rng.standard_normal(shape[-1]), rng.standard_normal(shape[-1])
    x_nc = np.moveaxis(x, -1, 1)                   # PyTorch normalises axis 1 (NCHW)
    expected = torch.nn.functional.batch_norm(
        torch.from_numpy(np.ascontiguousarray(x_nc)), None, None, torch.from_numpy(gamma),
        torch.from_numpy(beta), training=True, eps=1e-5).numpy()
    y = F.batch_norm(x, gamma, beta, epsilon=1e-5).data
    np.testing.assert_allclose(y, np.moveaxis(expected, 1, -1), rtol=1e-10, atol=1e-12)


# -- the ops: errors -------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: F.batch_norm(np.zeros((4, 3)), np.ones(2), np.zeros(3)),
     r"batch_norm: gamma has shape \(2,\); expected \(3,\), one value per feature"),
    (lambda: F.batch_norm(np.zeros((4, 2, 2, 3)), np.ones(3), np.zeros((1, 3))),
     r"beta has shape \(1, 3\); expected \(3,\).*\(4, 2, 2, 3\)"),
    (lambda: F.batch_norm(np.zeros((1, 3)), np.ones(3), np.zeros(3)),
     r"x has shape \(1, 3\), so each feature has only 1 value.*at least 2 values per feature"),
    (lambda: F.batch_norm(np.zeros((1, 1, 1, 3)), np.ones(3), np.zeros(3)),
     r"only 1 value"),
    (lambda: F.batch_norm(np.zeros(3), np.ones(3), np.zeros(3)),
     r"x has shape \(3,\); expected \(batch, \.\.\., features\)"),
    (lambda: F.batch_norm(np.zeros((2, 3)), np.ones(3), np.zeros(3), epsilon=0.0),
     r"epsilon must be > 0"),
    (lambda: F.batch_norm_inference(np.zeros((2, 3)), np.zeros(3), np.ones(4), np.ones(3),
                                    np.zeros(3)),
     r"batch_norm_inference: variance has shape \(4,\); expected \(3,\)"),
])
def test_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_two_values_per_feature_are_enough():
    y = F.batch_norm(np.array([[[[1.0]], [[3.0]]]]), np.ones(1), np.zeros(1))   # (1, 2, 1, 1)
    np.testing.assert_allclose(y.data.ravel(), [-1 / math.sqrt(1.001), 1 / math.sqrt(1.001)])


# -- non-trainable weights in the Layer base -------------------------------------------

def test_add_weight_trainable_false_and_the_keras_order_of_weights():
    class Counter(layers.Layer):
        def build(self, input_shape):
            self.count = self.add_weight("count", (1,), "zeros", trainable=False)
            self.s = self.add_weight("scale", (input_shape[-1],), "ones")
            self.t = self.add_weight("shift", (input_shape[-1],), "zeros")

        def call(self, x, training=False):
            return x * self.s + self.t

    layer = Counter()
    layer(np.zeros((1, 2)))
    assert [name for name, _ in layer.named_weights()] == ["scale", "shift", "count"]
    assert layer.weights == [layer.s, layer.t, layer.count]
    assert layer.trainable_weights == [layer.s, layer.t]
    assert layer.non_trainable_weights == [layer.count]
    assert not layer.count.requires_grad and layer.s.requires_grad
    assert layer.count_params() == 5
    layer.trainable = False
    assert layer.trainable_weights == [] and layer.non_trainable_weights == layer.weights


# -- the layer -------------------------------------------------------------------------

def test_layer_weights_names_and_config():
    utils.clear_session()
    bn = BatchNormalization(momentum=0.9, epsilon=1e-4)
    assert bn.name == "batch_normalization"
    bn(np.zeros((2, 2, 2, 3)))
    assert [name for name, _ in bn.named_weights()] == ["gamma", "beta", "moving_mean",
                                                       "moving_variance"]
    assert bn.trainable_weights == [bn.gamma, bn.beta]
    assert bn.non_trainable_weights == [bn.moving_mean, bn.moving_variance]
    assert all(w.shape == (3,) for w in bn.weights) and bn.count_params() == 12
    np.testing.assert_array_equal(bn.moving_variance.data, 1)
    assert bn.output_shape == (None, 2, 2, 3)
    config = bn.get_config()
    assert config["momentum"] == 0.9 and config["epsilon"] == 1e-4 and config["axis"] == -1
    assert BatchNormalization.from_config({**config, "name": "copy"}).get_config() == {
        **config, "name": "copy"}
    plain = BatchNormalization(center=False, scale=False)
    y = plain(np.array([[1.0], [3.0]]), training=True)
    assert plain.trainable_weights == [] and len(plain.non_trainable_weights) == 2
    np.testing.assert_allclose(y.data.ravel(), [-1 / math.sqrt(1.001), 1 / math.sqrt(1.001)],
                               rtol=1e-6)


def test_moving_statistics_worked_by_hand():
    """momentum 0.5, from mean 0 and variance 1. Batch 1: μ = (2, 2), σ² = (1, 4);
    batch 2: μ = (6, 0), σ² = (1, 1) (biased: the unbiased ones would be twice that)."""
    bn = BatchNormalization(momentum=0.5, dtype="float64")
    bn(np.array([[1.0, 0.0], [3.0, 4.0]]), training=True)
    np.testing.assert_array_equal(bn.moving_mean.data, [1.0, 1.0])        # ½·0 + ½·2
    np.testing.assert_array_equal(bn.moving_variance.data, [1.0, 2.5])    # ½·1 + ½·(1, 4)
    bn(np.array([[5.0, -1.0], [7.0, 1.0]]), training=True)
    np.testing.assert_array_equal(bn.moving_mean.data, [3.5, 0.5])
    np.testing.assert_array_equal(bn.moving_variance.data, [1.0, 1.75])


def test_moving_statistics_are_the_exponential_average_of_the_batch_moments():
    """After k batches: moving = m^k · initial + (1 - m) · Σ_i m^(k-i) · statistic_i."""
    rng = np.random.default_rng(3)
    batches = [rng.standard_normal((6, 2, 2, 3)) * (i + 1) + i for i in range(4)]
    m, k = 0.9, len(batches)
    bn = BatchNormalization(momentum=m, dtype="float64")
    for x in batches:
        bn(x, training=True)
    axes = (0, 1, 2)
    mean = m ** k * 0 + (1 - m) * sum(m ** (k - i) * x.mean(axes) for i, x in enumerate(batches, 1))
    var = m ** k * 1 + (1 - m) * sum(m ** (k - i) * x.var(axes) for i, x in enumerate(batches, 1))
    np.testing.assert_allclose(bn.moving_mean.data, mean, rtol=1e-12)
    np.testing.assert_allclose(bn.moving_variance.data, var, rtol=1e-12)


def test_inference_uses_the_moving_statistics_and_leaves_them_unchanged():
    rng = np.random.default_rng(0)
    bn = BatchNormalization(momentum=0.8, dtype="float64")
    x = rng.standard_normal((8, 3)) * 2 + 5
    for _ in range(3):
        train_out = bn(x, training=True).data
    bn.gamma.data[...] = [1.5, -0.5, 2.0]
    bn.beta.data[...] = [0.1, 0.2, -0.3]
    mean, var = bn.moving_mean.data.copy(), bn.moving_variance.data.copy()
    y = bn(x).data                                              # training=False
    expected = bn.gamma.data * (x - mean) / np.sqrt(var + 1e-3) + bn.beta.data
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    bn(x[:1])                                                   # one sample: fine here
    np.testing.assert_array_equal(bn.moving_mean.data, mean)
    np.testing.assert_array_equal(bn.moving_variance.data, var)
    assert not np.allclose(y, bn(x, training=True).data)        # training: batch statistics
    assert not np.allclose(train_out, y)


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@given(shape=bn_shapes(), data=st.data())
@settings(max_examples=25)
def test_grad_through_the_layer_in_both_modes(training, shape, data):
    """dL/dx through the layer itself, in float64, against central differences: batch
    statistics in training mode, moving statistics in inference (γ and β are checked
    through the ops above). The moving statistics are put back after every call, so the
    many calls of gradcheck all see the same function."""
    x = data.draw(tst.arrays(shape))
    bn = BatchNormalization(momentum=0.5, dtype="float64")
    bn(x + 1.0, training=True)                 # moving statistics that are not 0 and 1
    bn.gamma.data[...] = data.draw(tst.arrays((shape[-1],), 0.5, 2.0))
    bn.beta.data[...] = data.draw(tst.arrays((shape[-1],)))
    mean, var = bn.moving_mean.data.copy(), bn.moving_variance.data.copy()

    def through_layer(x):
        out = bn(x, training=training)
        bn.moving_mean.data[...], bn.moving_variance.data[...] = mean, var
        return out

    gradcheck(through_layer, x)


def test_a_frozen_layer_runs_in_inference_mode_even_in_training():
    bn = BatchNormalization(dtype="float64")
    x = np.random.default_rng(0).standard_normal((4, 2)) + 3
    bn.build((None, 2))
    bn.trainable = False
    y = bn(x, training=True).data
    np.testing.assert_array_equal(bn.moving_mean.data, 0)
    np.testing.assert_allclose(y, x / np.sqrt(1 + 1e-3))
    assert bn.trainable_weights == [] and len(bn.non_trainable_weights) == 4


def test_layer_errors():
    with pytest.raises(ValueError, match=r"only axis=-1 .* got axis=1 for inputs of shape "
                                         r"\(None, 3, 4, 4\)"):
        BatchNormalization(axis=1)(np.zeros((2, 3, 4, 4)))
    assert BatchNormalization(axis=3)(np.zeros((2, 3, 4, 4))).shape == (2, 3, 4, 4)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\]"):
        BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="epsilon must be > 0"):
        BatchNormalization(epsilon=0)
    with pytest.raises(ValueError, match="unknown initializer 'one'"):
        BatchNormalization(gamma_initializer="one")
    with pytest.raises(ValueError, match=r"expected inputs of shape \(batch, \.\.\., features\)"):
        BatchNormalization()(np.zeros(3))
    with pytest.raises(ValueError, match="only 1 value"):
        BatchNormalization()(np.zeros((1, 3)), training=True)


# -- the layer in a Sequential model ---------------------------------------------------

def bn_model(seed=0):
    return Sequential([Dense(4, input_shape=(3,)), BatchNormalization(momentum=0.9),
                       Activation("relu"), Dense(2, activation="softmax")], seed=seed)


def test_summary_counts_the_moving_statistics_as_non_trainable():
    utils.clear_session()
    model = bn_model()
    lines = []
    model.summary(print_fn=lines.append)
    assert any(line.split() == ["batch_normalization", "(BatchNormalization)", "(None,", "4)",
                                "16"] for line in lines)
    # Dense 3·4 + 4, BatchNormalization 4·4 (γ, β, moving mean, moving variance), Dense 4·2 + 2
    assert "Total params: 42" in lines
    assert "Trainable params: 34" in lines and "Non-trainable params: 8" in lines
    bn = model.layers[1]
    assert bn.moving_mean not in model.trainable_weights
    assert model.non_trainable_weights == [bn.moving_mean, bn.moving_variance]
    conv = Sequential([Conv2D(2, 3, input_shape=(5, 5, 1)), BatchNormalization(), Flatten(),
                       Dense(2)])
    assert conv.layers[1].count_params() == 8                       # 4 per channel
    assert conv.predict(np.zeros((3, 5, 5, 1))).shape == (3, 2)


def blobs(n=120, seed=0):
    """Two Gaussian blobs, off-centre and unevenly scaled: BN has something to normalise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    x = rng.standard_normal((n, 3)) + np.where(labels[:, None] == 1, 1.0, -1.0)
    return x * [5.0, 0.1, 1.0] + [10.0, -3.0, 0.0], to_categorical(labels, 2)


def test_a_model_with_batch_norm_trains_with_fit():
    x, y = blobs()
    model = bn_model(seed=0)
    model.compile(Adam(learning_rate=0.01), "categorical_crossentropy", metrics=["accuracy"])
    bn = model.layers[1]
    gamma = bn.gamma.data.copy()
    history = model.fit(x, y, batch_size=16, epochs=10, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.6 * losses[0], losses
    assert not np.array_equal(bn.gamma.data, gamma)                 # the optimizer steps γ
    assert bn.moving_mean.grad is None                              # but not the statistics
    # the moving mean has moved from 0 towards the mean of the Dense outputs
    hidden = model.layers[0](x).data.mean(axis=0)
    assert np.all(np.abs(bn.moving_mean.data - hidden) < np.abs(hidden))
    before = bn.moving_mean.data.copy()
    loss, accuracy = model.evaluate(x, y, verbose=0)
    model.predict(x)
    np.testing.assert_array_equal(bn.moving_mean.data, before)     # inference: unchanged
    assert accuracy > 0.8


def test_save_and_load_weights_restores_the_moving_statistics(tmp_path):
    x, y = blobs(64)
    model = bn_model(seed=1)
    model.compile("sgd", "categorical_crossentropy")
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    path = tmp_path / "bn.weights.npz"
    model.save_weights(path)
    with np.load(path) as data:
        saved = {key.split("/")[1] for key in data.files if key.startswith("1_")}
    assert saved == {"gamma", "beta", "moving_mean", "moving_variance"}
    fresh = bn_model(seed=2)
    bn, moving_mean = fresh.layers[1], fresh.layers[1].moving_mean
    assert not np.allclose(bn.moving_variance.data, model.layers[1].moving_variance.data)
    fresh.load_weights(path)
    assert bn.moving_mean is moving_mean                                  # in place
    for name in ("gamma", "beta", "moving_mean", "moving_variance"):
        np.testing.assert_array_equal(getattr(bn, name).data, getattr(model.layers[1], name).data)
    np.testing.assert_array_equal(fresh.predict(x), model.predict(x))
