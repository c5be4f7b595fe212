"""Tests of tinydl.explain: saliency of a linear model is its weight column (also behind a
softmax: logits, not probabilities), integrated gradients against the exact path integral
of hypothesis-drawn Dense-ReLU-Dense networks (with a bound that shrinks like 1/steps),
completeness, the randomisation sanity check (weights restored bit for bit), ranks."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference import average_ranks_loops
from tinydl import Tensor
from tinydl.explain import (RULES, gradient_x_input, heatmap, integrated_gradients, logits,
                            randomization_check, rank, saliency, spearman)
from tinydl.layers import Activation, Dense, Flatten
from tinydl.models import Sequential
from tinydl.testing import strategies as tst


def linear_model(d=4, k=3, activation=None, seed=0):
    return Sequential([Dense(k, activation=activation, input_shape=(d,))], dtype="float64",
                      seed=seed)


# -- logits ------------------------------------------------------------------------------

def test_logits_prefers_model_then_last_layer_pre_activation_then_output():
    x = np.array([[1.0, -2.0]])

    class WithPreActivation:
        def __call__(self, x, training=False):
            self.pre_activation = x * 3.0
            return x * 5.0
    model = WithPreActivation()
    np.testing.assert_array_equal(logits(model, Tensor(x)).data, 3 * x)

    def plain(x, training=False):
        return x * 5.0
    np.testing.assert_array_equal(logits(plain, Tensor(x)).data, 5 * x)

    seq = Sequential([Dense(3, input_shape=(2,)), Activation("softmax")], dtype="float64", seed=1)
    z = logits(seq, x)
    np.testing.assert_allclose(z.data, x @ seq.layers[0].kernel.data, rtol=1e-12)


# -- saliency and gradient × input ---------------------------------------------------------

@pytest.mark.parametrize("activation", [None, "softmax"])
def test_saliency_of_a_linear_model_is_its_weight_column(activation):
    model = linear_model(activation=activation)
    rng = np.random.default_rng(3)
    model.layers[0].bias.data[...] = rng.normal(size=3)
    x = rng.normal(size=(5, 4))
    target = np.array([0, 2, 1, 2, 0])
    kernel = model.layers[0].kernel.data
    np.testing.assert_array_equal(saliency(model, x, target), kernel[:, target].T)
    np.testing.assert_array_equal(saliency(model, x, 1), np.tile(kernel[:, 1], (5, 1)))


def test_attributions_leave_the_weights_alone():
    model = linear_model()
    flags = [w.requires_grad for w in model.weights]
    saliency(model, np.ones((2, 4)), 0)
    integrated_gradients(model, np.ones((2, 4)), 0, steps=3)
    assert all(w.grad is None for w in model.weights)
    assert [w.requires_grad for w in model.weights] == flags


def test_gradient_x_input_of_a_linear_model_without_bias_sums_to_the_logit():
    model = Sequential([Dense(3, use_bias=False, input_shape=(4,))], dtype="float64", seed=2)
    x = np.random.default_rng(4).normal(size=(6, 4))
    target = np.arange(6) % 3
    attr = gradient_x_input(model, x, target)
    assert attr.shape == x.shape
    z = x @ model.layers[0].kernel.data
    np.testing.assert_allclose(attr.sum(axis=1), z[np.arange(6), target], rtol=1e-12)


def test_saliency_of_an_image_model_has_the_image_shape():
    model = Sequential([Flatten(input_shape=(3, 3, 2)), Dense(4, activation="softmax")], seed=5)
    x = np.random.default_rng(6).random((2, 3, 3, 2)).astype(np.float32)
    s = saliency(model, x, [1, 3])
    assert s.shape == x.shape and s.dtype == np.float32
    np.testing.assert_array_equal(s[1].ravel(), model.layers[1].kernel.data[:, 3])
    h = heatmap(s)
    assert h.shape == (2, 3, 3) and h.max() == 1.0 and h.min() >= 0.0


# -- integrated gradients ------------------------------------------------------------------

@st.composite
def relu_networks(draw):
    """(model, W1, b1, W2, b2, x, baseline, target): Dense(h, relu) -> Dense(k), float64,
    with drawn biases so that hidden units switch on or off along the path."""
    d, h, k, n = (draw(st.integers(1, 4)), draw(st.integers(1, 6)), draw(st.integers(2, 4)),
                  draw(st.integers(1, 3)))
    model = Sequential([Dense(h, activation="relu", input_shape=(d,)), Dense(k)],
                       dtype="float64", seed=draw(st.integers(0, 2**16)))
    model.layers[0].bias.data[...] = draw(tst.arrays((h,), -1.0, 1.0))
    model.layers[1].bias.data[...] = draw(tst.arrays((k,), -1.0, 1.0))
    x = draw(tst.arrays((n, d), -2.0, 2.0))
    baseline = draw(st.one_of(st.none(), tst.arrays((n, d), -2.0, 2.0)))
    target = draw(tst.arrays((n,), 0, k - 1).map(lambda t: np.round(t).astype(int)))
    W1, b1 = model.layers[0].kernel.data, model.layers[0].bias.data
    W2, b2 = model.layers[1].kernel.data, model.layers[1].bias.data
    return model, W1, b1, W2, b2, x, baseline, target


def exact_path_integral(W1, b1, W2, x, base, t):
    """Exact IG of z = relu(v W1 + b1) W2 + b2 and a bound on each unit's switch fraction.

    Along v(α) = x' + α(x - x'), hidden unit j has the pre-activation a_j + α c_j, so it
    is on for a fraction f_j of α in [0, 1]; ∂z_t/∂v_i = Σ_j W1[i,j] W2[j,t] [unit j on],
    hence A_i = (x - x')_i Σ_j W1[i,j] W2[j,t] f_j exactly.
    """
    a = base @ W1 + b1
    c = (x - base) @ W1
    with np.errstate(divide="ignore", invalid="ignore"):
        root = -a / c
    f = np.where(c > 0, np.clip(1 - root, 0, 1), np.where(c < 0, np.clip(root, 0, 1),
                                                          (a > 0).astype(float)))
    coupling = W1[None, :, :] * W2[:, t].T[:, None, :]          # (n, d, h): W1[i,j] W2[j,t]
    return (x - base) * (coupling * f[:, None, :]).sum(-1), coupling, c * W2[:, t].T


@settings(max_examples=30)
@given(relu_networks(), st.sampled_from([4, 32, 256]), st.sampled_from(RULES))
def test_integrated_gradients_match_the_exact_integral_within_the_quadrature_bound(net, steps,
                                                                                    rule):
    # One quadrature cell that contains a unit's switch point is off by at most half a
    # cell, 1/(2·steps), of that unit's on-fraction (midpoint and trapezoid alike): the
    # tolerance shrinks like 1/steps. 1e-9 covers float64 rounding.
    model, W1, b1, W2, b2, x, baseline, t = net
    base = np.zeros_like(x) if baseline is None else baseline
    result = integrated_gradients(model, x, t, baseline=baseline, steps=steps, rule=rule,
                                  batch_size=7)
    exact, coupling, _ = exact_path_integral(W1, b1, W2, x, base, t)
    bound = np.abs(x - base) * np.abs(coupling).sum(-1) / (2 * steps)
    assert np.all(np.abs(result.attributions - exact) <= bound + 1e-9)


@settings(max_examples=30)
@given(relu_networks(), st.sampled_from([4, 32, 256]), st.sampled_from(RULES))
def test_integrated_gradients_completeness_error_shrinks_like_one_over_steps(net, steps, rule):
    # Σ_i A_i is the quadrature of dz_t/dα = Σ_j W2[j,t] c_j [unit j on], a step function
    # with one jump of |W2[j,t] c_j| per unit: |Σ A − Δ| ≤ Σ_j |W2[j,t] c_j| / (2·steps).
    model, W1, b1, W2, b2, x, baseline, t = net
    base = np.zeros_like(x) if baseline is None else baseline
    attr, relative_error, delta = integrated_gradients(model, x, t, baseline=baseline,
                                                       steps=steps, rule=rule)
    rows = np.arange(len(x))
    z = lambda v: (np.maximum(v @ W1 + b1, 0) @ W2 + b2)[rows, t]   # noqa: E731
    np.testing.assert_allclose(delta, z(x) - z(base), rtol=1e-12, atol=1e-12)
    _, _, jumps = exact_path_integral(W1, b1, W2, x, base, t)
    error = np.abs(attr.sum(axis=1) - delta)
    assert np.all(error <= np.abs(jumps).sum(-1) / (2 * steps) + 1e-9)
    nonzero = delta != 0
    np.testing.assert_allclose(relative_error[nonzero], error[nonzero] / np.abs(delta[nonzero]),
                               rtol=1e-9, atol=1e-15)
    assert np.all(np.isnan(relative_error[~nonzero]))


def test_integrated_gradients_of_a_linear_model_are_exact_at_any_step_count():
    model = linear_model(seed=7)
    rng = np.random.default_rng(8)
    x, base = rng.normal(size=(3, 4)), rng.normal(size=4)
    kernel = model.layers[0].kernel.data
    for steps, rule in ((1, "midpoint"), (2, "trapezoid"), (50, "midpoint")):
        attr, err, delta = integrated_gradients(model, x, 2, baseline=base, steps=steps,
                                                rule=rule)
        np.testing.assert_allclose(attr, (x - base) * kernel[:, 2], rtol=1e-12, atol=1e-14)
        assert np.all(err < 1e-12)


# -- the randomisation sanity check ---------------------------------------------------------

def mlp(seed=0):
    return Sequential([Dense(8, activation="relu", input_shape=(6,)), Dense(8, activation="relu"),
                       Dense(3, activation="softmax")], seed=seed)


def snapshot(model):
    return [(w, w.data.copy(), w.requires_grad) for w in model.weights]


def assert_restored(before):
    for w, data, flag in before:
        assert w.data.tobytes() == data.tobytes() and w.requires_grad == flag


@pytest.mark.parametrize("mode", ["cascading", "independent"])
def test_randomization_check_restores_the_weights_bit_for_bit(mode):
    model, x = mlp(), np.random.default_rng(9).random((4, 6)).astype(np.float32)
    before = snapshot(model)
    steps = randomization_check(model, x, 0, "saliency", mode=mode, rng=0)
    assert_restored(before)
    assert [s.layer for s in steps] == [layer.name for layer in reversed(model.layers)]
    # the output layer's weights decide which hidden units matter: randomising them
    # reorders the saliency map
    assert steps[0].mean_spearman < 0.9
    assert all(s.attributions.shape == x.shape and s.spearman.shape == (4,) for s in steps)


def test_randomization_check_restores_the_weights_when_the_method_fails():
    model, x = mlp(), np.ones((2, 6), np.float32)
    before = snapshot(model)
    calls = []

    def failing(model, x, target):
        calls.append(1)
        if len(calls) == 2:          # after the first layer was randomised
            raise ArithmeticError("boom")
        return saliency(model, x, target)

    with pytest.raises(ArithmeticError, match="boom"):
        randomization_check(model, x, 1, failing, rng=1)
    assert_restored(before)


def test_randomization_check_exposes_a_map_that_ignores_the_model():
    # Adebayo et al.'s point: a "map" computed from the image alone survives every
    # randomisation unchanged (rank correlation exactly 1)
    model, x = mlp(), np.random.default_rng(10).random((3, 6)).astype(np.float32)
    steps = randomization_check(model, x, 2, lambda m, x, t: x * 2.0, rng=2)
    assert len(steps) == 3 and all(np.all(s.spearman == 1.0) for s in steps)


# -- ranks -----------------------------------------------------------------------------------

@given(st.lists(st.integers(-3, 3), min_size=1, max_size=20))
def test_rank_averages_ties_like_the_literal_definition(values):
    np.testing.assert_array_equal(rank(values), average_ranks_loops(values))


@given(tst.distinct_arrays((12,)), tst.distinct_arrays((12,)))
def test_spearman_without_ties_is_the_classic_formula(a, b):
    d = average_ranks_loops(a) - average_ranks_loops(b)
    n = len(a)
    assert spearman(a, b) == pytest.approx(1 - 6 * (d * d).sum() / (n * (n * n - 1)), abs=1e-12)
    assert spearman(a, np.exp(a)) == pytest.approx(1.0)
    assert spearman(a, -a) == pytest.approx(-1.0)


def test_spearman_of_a_constant_is_nan():
    assert np.isnan(spearman([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]))


# -- errors -------------------------------------------------------------------------------------

def test_errors_name_the_function_and_the_argument():
    model = linear_model()
    with pytest.raises(ValueError, match="saliency: target holds class 3.*3 classes"):
        saliency(model, np.ones((2, 4)), 3)
    with pytest.raises(ValueError, match=r"saliency: target has shape \(3,\)"):
        saliency(model, np.ones((2, 4)), [0, 1, 2])
    with pytest.raises(ValueError, match="must be a batch.*x\\[None\\]"):
        saliency(model, np.ones(4), 0)
    with pytest.raises(TypeError, match="gradient_x_input: x has dtype int64"):
        gradient_x_input(model, np.ones((2, 4), dtype=np.int64), 0)
    with pytest.raises(ValueError, match="integrated_gradients: baseline has shape"):
        integrated_gradients(model, np.ones((2, 4)), 0, baseline=np.zeros(3))
    with pytest.raises(ValueError, match="integrated_gradients: rule"):
        integrated_gradients(model, np.ones((2, 4)), 0, rule="simpson")
    with pytest.raises(ValueError, match="integrated_gradients: steps"):
        integrated_gradients(model, np.ones((2, 4)), 0, steps=0)
    with pytest.raises(ValueError, match="randomization_check: unknown method"):
        randomization_check(model, np.ones((2, 4)), 0, "occlusion")
    with pytest.raises(ValueError, match="randomization_check: method 'grad_cam' needs"):
        randomization_check(model, np.ones((2, 4)), 0, "grad_cam")
