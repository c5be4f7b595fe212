"""Tests of tinydl.adversarial on a small trained linear classifier (softmax regression):
attacks stay in the ε-ball and in [0, 1], FGSM and every PGD step raise the loss (the
cross-entropy of a linear model is convex in x), PGD with one step of size ε is FGSM,
ε = 0 changes nothing, the robustness curve and the adversarial training batch."""
import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinydl.adversarial import (adversarial_batch, fgsm, loss_gradient, pgd, robustness_curve,
                                sample_losses)
from tinydl.layers import Dense
from tinydl.models import Sequential
from tinydl.optimizers import Adam
from tinydl.utils import to_categorical

N, D, K = 90, 8, 3


@functools.cache
def trained_linear(dtype="float64"):
    """Softmax regression trained on three noisy prototypes in [0, 1]^8; (model, x, y)."""
    rng = np.random.default_rng(0)
    prototypes = rng.random((K, D))
    y = np.arange(N) % K
    x = np.clip(prototypes[y] + rng.normal(0, 0.15, (N, D)), 0, 1).astype(dtype)
    model = Sequential([Dense(K, activation="softmax", input_shape=(D,))], dtype=dtype, seed=1)
    model.compile(Adam(0.05), "categorical_crossentropy")
    model.fit(x, to_categorical(y, K), batch_size=30, epochs=40, verbose=0)
    return model, x, y


def numpy_losses(model, x, y):
    """Cross-entropy per sample of z = x W + b, written out: logsumexp(z) − z_y."""
    z = x.astype(np.float64) @ model.layers[0].kernel.data + model.layers[0].bias.data
    top = z.max(axis=1, keepdims=True)
    return (np.log(np.exp(z - top).sum(axis=1)) + top[:, 0]) - z[np.arange(len(z)), y]


def test_the_fixture_model_has_learned():
    model, x, y = trained_linear()
    assert (model.predict(x).argmax(axis=1) == y).mean() > 0.9


@settings(max_examples=20)
@given(st.floats(0.0, 0.5), st.sampled_from(["fgsm", "pgd"]),
       st.sampled_from(["float32", "float64"]), st.integers(0, 2**16))
def test_attacks_stay_in_the_eps_ball_and_in_the_unit_interval(eps, attack, dtype, seed):
    model, x, y = trained_linear(dtype)
    if attack == "fgsm":
        x_adv = fgsm(model, x, y, eps)
    else:
        x_adv = pgd(model, x, y, eps, alpha=eps / 2, steps=3, random_start=True, rng=seed)
    assert x_adv.shape == x.shape and x_adv.dtype == x.dtype
    # x ± ε is rounded to the dtype: a perturbation may exceed ε by an ulp of 1
    assert np.abs(x_adv.astype(np.float64) - x).max() <= eps + 2 * np.finfo(dtype).eps
    assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0


@pytest.mark.parametrize("eps", [0.01, 0.05, 0.2])
def test_fgsm_never_lowers_the_loss_of_a_linear_model(eps):
    # L is convex in x, so L(x + δ) ≥ L(x) + ∇L·δ, and every δ_i has the sign of ∇L_i or
    # is 0 (clipping to [0, 1] only shortens the step): the loss cannot go down
    # and strictly where the step moved x along a non-zero gradient
    model, x, y = trained_linear()
    x_adv = fgsm(model, x, y, eps)
    clean, attacked = numpy_losses(model, x, y), numpy_losses(model, x_adv, y)
    assert np.all(attacked >= clean)
    moved = np.any(x_adv != x, axis=1)
    assert moved.sum() > N // 2 and np.all(attacked[moved] > clean[moved])
    np.testing.assert_allclose(sample_losses(model, x, y), clean, rtol=1e-12)


def test_each_pgd_step_never_lowers_the_loss_of_a_linear_model():
    # the same convexity argument for every step: the projection onto the ε-ball and
    # [0, 1] only shortens each coordinate's move, never reverses it
    model, x, y = trained_linear()
    losses = [numpy_losses(model, pgd(model, x, y, 0.1, 0.03, steps, random_start=False), y)
              for steps in range(5)]
    for before, after in zip(losses, losses[1:]):
        assert np.all(after >= before - 1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pgd_with_one_step_of_size_eps_and_no_random_start_is_fgsm(dtype):
    model, x, y = trained_linear(dtype)
    for eps in (0.03, 0.3):
        np.testing.assert_array_equal(pgd(model, x, y, eps, eps, 1, random_start=False),
                                      fgsm(model, x, y, eps))


def test_eps_zero_leaves_x_unchanged():
    model, x, y = trained_linear()
    np.testing.assert_array_equal(fgsm(model, x, y, 0.0), x)
    np.testing.assert_array_equal(pgd(model, x, y, 0.0, 0.1, 3, random_start=True, rng=0), x)


def test_integer_and_one_hot_labels_give_the_same_attack_and_the_weights_stay():
    model, x, y = trained_linear()
    before = [(w, w.data.copy(), w.grad.copy()) for w in model.weights]   # grads from fit
    np.testing.assert_array_equal(fgsm(model, x, y, 0.1), fgsm(model, x, to_categorical(y, K), 0.1))
    for w, data, grad in before:
        assert np.array_equal(w.data, data) and np.array_equal(w.grad, grad) and w.requires_grad
    grad, per_sample = loss_gradient(model, x[:2], y[:2])
    W = model.layers[0].kernel.data            # ∂L/∂x = (softmax(z) − onehot) Wᵀ
    p = model.predict(x[:2])
    np.testing.assert_allclose(grad, (p - to_categorical(y[:2], K)) @ W.T, rtol=1e-10)


@pytest.mark.parametrize("attack", ["fgsm", "pgd"])
def test_robustness_curve_starts_at_the_clean_accuracy_and_falls(attack):
    model, x, y = trained_linear()
    clean = (model.predict(x).argmax(axis=1) == y).mean()
    curve = robustness_curve(model, x, y, [0.0, 0.05, 0.3], attack=attack, batch_size=32,
                             steps=5, rng=0)
    assert curve.shape == (3,) and curve[0] == clean
    assert curve[2] < curve[0] - 0.3
    if attack == "fgsm":          # deterministic: batching does not change the result
        np.testing.assert_array_equal(
            curve, robustness_curve(model, x, to_categorical(y, K), [0.0, 0.05, 0.3],
                                    batch_size=7))


def test_adversarial_batch_replaces_the_chosen_fraction_by_fgsm_examples():
    model, x, y = trained_linear()
    xb, yb = x[:20], y[:20]
    mixed = adversarial_batch(model, xb, yb, eps=0.1, fraction=0.5, rng=3)
    changed = np.flatnonzero(np.any(mixed != xb, axis=1))
    assert len(changed) == 10      # every chosen sample moves: its gradient is not zero
    np.testing.assert_array_equal(mixed[changed], fgsm(model, xb[changed], yb[changed], 0.1))
    np.testing.assert_array_equal(adversarial_batch(model, xb, yb, 0.1, fraction=0.0), xb)
    pgd_mixed = adversarial_batch(model, xb, yb, eps=0.1, attack="pgd", fraction=1.0, rng=4,
                                  steps=2)
    assert np.abs(pgd_mixed - xb).max() <= 0.1 + 1e-15


def test_errors_name_the_function_and_the_argument():
    model, x, y = trained_linear()
    with pytest.raises(ValueError, match="fgsm: eps must be a finite number >= 0"):
        fgsm(model, x, y, -0.1)
    with pytest.raises(ValueError, match=r"fgsm: x has values in \[0, 2\].*x / 255"):
        fgsm(model, x * 2, y, 0.1)
    with pytest.raises(ValueError, match="pgd: steps must be an int"):
        pgd(model, x, y, 0.1, 0.01, 1.5)
    with pytest.raises(ValueError, match="robustness_curve: attack must be one of"):
        robustness_curve(model, x, y, [0.1], attack="cw")
    with pytest.raises(ValueError, match="adversarial_batch: fraction"):
        adversarial_batch(model, x, y, 0.1, fraction=2)
    with pytest.raises(ValueError, match=r"fgsm: y has shape \(90, 2, 1\)"):
        fgsm(model, x, np.zeros((N, 2, 1)), 0.1)
    with pytest.raises(ValueError, match="fgsm: target holds class 5"):
        fgsm(model, x, np.full(N, 5), 0.1)
