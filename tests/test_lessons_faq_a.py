"""The claims of the section-6 FAQ lessons on kernels and strides, activations and
optimizers: their formulas through the lessons' own functions (`lesson_definitions`, no
run), and their measurements through one quick notebook run of each (`run_notebook`)."""

import re

import numpy as np
import pytest

import tinydl.functional as F
from tinydl import Tensor, no_grad

from lesson_helpers import lesson_definitions, need_mnist, run_notebook

KERNELS_STEM = "06_faq_kernels_and_strides"
ACTIVATIONS_STEM = "06_faq_activations"
OPTIMIZERS_STEM = "06_faq_optimizers"


@pytest.fixture(scope="module")
def kernels():
    return lesson_definitions(KERNELS_STEM)


@pytest.fixture(scope="module")
def activations():
    return lesson_definitions(ACTIVATIONS_STEM)


@pytest.fixture(scope="module")
def optimizers():
    return lesson_definitions(OPTIMIZERS_STEM)


@pytest.fixture(scope="module")
def kernels_run():
    need_mnist()
    return run_notebook(KERNELS_STEM)


@pytest.fixture(scope="module")
def activations_run():
    need_mnist()
    return run_notebook(ACTIVATIONS_STEM)


@pytest.fixture(scope="module")
def optimizers_run():
    need_mnist()
    return run_notebook(OPTIMIZERS_STEM)


# -- 06_faq_kernels_and_strides ---------------------------------------------------------

@pytest.mark.parametrize("k", [3, 5, 7])
@pytest.mark.parametrize("s", [1, 2, 3])
def test_output_size_formula_is_conv2d(kernels, k, s):
    y = F.conv2d(np.zeros((1, 28, 28, 1), np.float32), np.zeros((k, k, 1, 2), np.float32),
                 strides=s)
    assert y.shape[1:3] == (kernels.conv_output_size(28, k, s),) * 2


@pytest.mark.parametrize("k", [3, 5, 7])
@pytest.mark.parametrize("s", [1, 2, 3])
def test_receptive_field_formula_is_what_conv2d_sees(kernels, k, s):
    # measured by a gradient through tinydl's conv2d and pooling
    pool = kernels.POOL
    assert pool == (2, 2)
    assert kernels.measured_receptive_field([(k, s)]) == kernels.receptive_field([(k, s)])[0] == k
    assert kernels.measured_receptive_field([(k, s), pool]) == \
        kernels.receptive_field([(k, s), (2, 2)])[0] == k + s
    # a second 3×3 conv after a stride-s layer sees k + 2s: the stride widens later layers
    assert kernels.measured_receptive_field([(k, s), (3, 1)]) == \
        kernels.receptive_field([(k, s), (3, 1)])[0] == k + 2 * s
    assert kernels.measured_receptive_field([(k, s), pool, (3, 1)]) == \
        kernels.receptive_field([(k, s), pool, (3, 1)])[0] == k + s + 4 * s


def test_kernels_table_params_match_the_formula(kernels_run):
    for row in kernels_run["rows"]:
        k, s = row["kernel"], row["stride"]
        pooled = ((28 - k) // s + 1) // 2
        assert row["params"] == 16 * (k * k + 1) + pooled * pooled * 16 * 10 + 10, row


def test_kernels_params_are_count_params(kernels):
    for k, s in [(3, 1), (7, 2)]:
        model = kernels.build_model(k, s, seed=0)
        assert model.count_params() == sum(w.size for w in model.weights)
        pooled = ((28 - k) // s + 1) // 2
        assert model.count_params() == 16 * (k * k + 1) + pooled * pooled * 160 + 10


def test_stride_widens_not_narrows_what_a_pooled_unit_sees(kernels_run):
    by = {(r["kernel"], r["stride"]): r for r in kernels_run["rows"]}
    assert len(by) == 6
    for k in (3, 5, 7):
        assert by[(k, 1)]["rf_conv"] == by[(k, 2)]["rf_conv"] == k
        assert by[(k, 2)]["rf_pool"] > by[(k, 1)]["rf_pool"]
        assert by[(k, 2)]["params"] < by[(k, 1)]["params"]
    # every configuration learns something in the quick run (chance is 0.1)
    assert all(r["accuracy"] > 0.2 for r in kernels_run["rows"])


def test_kernels_lesson_measures_and_states_the_verdict(kernels_run):
    assert kernels_run["measured"] == kernels_run["receptive_fields"]
    assert kernels_run["kernel_is_local"] and kernels_run["stride_keeps_first"]
    assert kernels_run["stride_is_global"]
    assert "right about the kernel and backwards about the stride" in kernels_run.stdout
    assert {p.name for p in kernels_run.figures} == {"accuracy.png",
                                                    "sampling_and_receptive_field.png"}


# -- 06_faq_activations -------------------------------------------------------------------

def _probe(n: int = 256, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 784)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]
    return x, y


def test_sigmoid_gradients_vanish_toward_the_input_relu_do_not(activations):
    x, y = _probe()
    ratio = {}
    for name in ("sigmoid", "relu", "tanh"):
        norms = activations.layer_gradient_norms(activations.build_model(name, seed=0), x, y)
        assert norms.shape == (activations.DEPTH + 1,) and np.all(norms > 0)
        ratio[name] = norms[1] / norms[activations.DEPTH - 1]   # two 64×64 kernels
    assert ratio["sigmoid"] < 0.01            # 7 layers × σ' ≤ 1/4
    assert ratio["relu"] > 0.1 and ratio["tanh"] > 0.1
    assert ratio["sigmoid"] < ratio["relu"] / 100


def test_layer_gradient_norms_leave_weights_and_grads_alone(activations):
    model = activations.build_model("tanh", seed=0)
    x, y = _probe(64)
    model.predict(x)
    before = [w.data.copy() for w in model.weights]
    activations.layer_gradient_norms(model, x, y)
    assert all(np.array_equal(b, w.data) for b, w in zip(before, model.weights))
    assert all(w.grad is None for w in model.weights)


def test_deep_linear_net_is_one_linear_map(activations):
    model = activations.build_model("linear", seed=3)
    x, _ = _probe(100, seed=2)
    W, b = activations.compose_linear(model)
    assert W.shape == (784, 10) and b.shape == (10,)
    with no_grad():
        single = F.softmax(Tensor(x.astype(np.float64) @ W + b)).data
    np.testing.assert_allclose(model.predict(x), single, atol=1e-5)
    # a nonlinear net is not: the same composition misses it
    relu_model = activations.build_model("relu", seed=3)
    W, b = activations.compose_linear(relu_model)
    with no_grad():
        wrong = F.softmax(Tensor(x.astype(np.float64) @ W + b)).data
    assert np.abs(relu_model.predict(x) - wrong).max() > 1e-3


def test_activations_lesson_measures_the_claims(activations_run):
    rows = activations_run["rows"]
    assert rows["sigmoid"]["ratio_init"] < rows["relu"]["ratio_init"] / 100
    assert rows["sigmoid"]["ratio_end"] < 0.1 < rows["relu"]["ratio_end"]
    assert activations_run["collapse_error"] < 1e-4
    assert activations_run["same_predictions"] == 1.0
    # sigmoid in depth barely moves off chance on the quick budget; tanh learns
    assert rows["sigmoid"]["test_accuracy"] < rows["tanh"]["test_accuracy"]


def test_activation_derivatives_and_the_sigmoid_output_unit(activations_run):
    slopes = activations_run["slopes"]            # f'(z) at z = -4, -1, 0, 1, 4
    sig = 1 / (1 + np.exp(-np.array([-4.0, -1.0, 0.0, 1.0, 4.0])))
    np.testing.assert_allclose(slopes["sigmoid"], sig * (1 - sig), atol=1e-12)
    assert slopes["sigmoid"].max() == 0.25
    np.testing.assert_allclose(slopes["tanh"][2], 1.0)
    np.testing.assert_array_equal(slopes["relu"], [0, 0, 0, 1, 1])
    # binary cross-entropy on a sigmoid output: dL/dz = p - y (here y = 1), no σ' factor
    p = 1 / (1 + np.exp(-np.array([-4.0, 0.0, 4.0])))
    np.testing.assert_allclose(activations_run["output_gradient"], p - 1, atol=1e-6)


def test_activations_verdict_is_read_from_the_numbers(activations_run):
    rows, out = activations_run["rows"], activations_run.stdout
    acc = {name: r["test_accuracy"] for name, r in rows.items()}
    ranking = ", ".join(f"{n} {acc[n]:.4f}" for n in sorted(acc, key=acc.get, reverse=True))
    assert f"test accuracy, best first: {ranking}" in out
    assert ("ReLU beats sigmoid" if acc["relu"] > acc["sigmoid"]
            else "ReLU does not beat sigmoid") in out
    assert "vanishing" in out and "not vanishing" not in out
    assert f"softmax regression {activations_run['softmax_regression_accuracy']:.4f}" in out


# -- 06_faq_optimizers --------------------------------------------------------------------

def test_every_optimizer_reduces_the_loss(optimizers_run):
    summary, runs = optimizers_run["summary"], optimizers_run["runs"]
    assert {name for _, name in summary} == {"SGD", "SGD+momentum", "RMSprop", "Adam"}
    for (kind, name), s in summary.items():
        for lr in (s["default_lr"], s["tuned_lr"]):
            r = runs[(kind, name, lr)]
            assert not r["diverged"], (kind, name, lr)
            assert r["final_loss"] < r["initial_loss"], (kind, name, lr, r)
        tuned = runs[(kind, name, s["tuned_lr"])]
        assert tuned["final_loss"] < 0.95 * tuned["initial_loss"], (kind, name)


def test_tuned_rate_is_chosen_on_validation_not_test(optimizers_run):
    runs = optimizers_run["runs"]
    for (kind, name), s in optimizers_run["summary"].items():
        tried = [r for (k, n, _), r in runs.items() if (k, n) == (kind, name)]
        assert len(tried) == 4
        best_val = max(r["history"]["val_accuracy"][-1] for r in tried if not r["diverged"])
        assert s["tuned_val"] == best_val
        assert s["tuned_test"] == runs[(kind, name, s["tuned_lr"])]["test_accuracy"]


def test_same_start_for_every_optimizer(optimizers):
    a, b = optimizers.build_model("deep", seed=5), optimizers.build_model("deep", seed=5)
    assert all(np.array_equal(u.data, v.data) for u, v in zip(a.weights, b.weights))


def test_first_steps_sgd_scales_with_the_gradient_adam_does_not(optimizers_run):
    steps = optimizers_run["first_steps"]          # gradients (0.01, 10), α = 0.1
    np.testing.assert_allclose(steps["SGD"], [-0.001, -1.0], rtol=1e-12)
    np.testing.assert_allclose(steps["SGD+momentum"], [-0.001, -1.0], rtol=1e-12)
    np.testing.assert_allclose(steps["Adam"], [-0.1, -0.1], rtol=1e-4)
    np.testing.assert_allclose(steps["RMSprop"], -0.1 / np.sqrt(0.1) * np.ones(2), rtol=1e-2)


def test_the_learning_rate_matters_more_than_the_optimizer(optimizers_run):
    """On the quick run, a rate 10× off its tuned value costs more accuracy than the
    spread between the four optimizers, each tuned; and the printed verdict says so."""
    rate, choice, out = (optimizers_run["rate_effect"], optimizers_run["optimizer_effect"],
                         optimizers_run.stdout)
    for kind in ("linear", "deep"):
        assert rate[kind] > choice[kind], (kind, rate, choice)
        line = re.search(rf"^\s*{kind}: tuned.*$", out, flags=re.M).group(0)
        assert f"up to {choice[kind] * 100:.1f} points, a rate 10× off up to " \
               f"{rate[kind] * 100:.1f}: the rate mattered more" in line
    assert {p.name for p in optimizers_run.figures} == {"curves.png", "learning_rates.png"}
