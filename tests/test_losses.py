"""Tests of tinydl.losses: gradients (hypothesis + gradcheck, float64), values against
direct NumPy formulas (Keras' definitions), stability at extreme inputs, errors."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinydl import Tensor, gradcheck, losses
from tinydl.testing import strategies as tst

EPS = 1e-7


def np_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def np_log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


@st.composite
def target_and_input(draw, lo=-3.0, hi=3.0, min_dims=1, min_side=1):
    """(y_true, y_pred) of one shape: soft targets in [0, 1], y_pred in [lo, hi]."""
    shape = draw(tst.shapes(min_dims=min_dims, min_side=min_side))
    return draw(tst.arrays(shape, 0.0, 1.0)), draw(tst.arrays(shape, lo, hi))


# -- gradients ------------------------------------------------------------------------
# y_true is differentiated too: it gets the correct gradient when it is a Tensor.

@settings(max_examples=30)
@given(target_and_input())
def test_grad_mse(pair):
    gradcheck(losses.mse, *pair)


@settings(max_examples=30)
@given(target_and_input(0.05, 0.95), st.booleans())
def test_grad_binary_crossentropy(pair, from_logits):
    # probabilities stay in [0.05, 0.95], far inside the clip range [1e-7, 1 - 1e-7]
    y, x = pair
    if from_logits:
        x = 8 * x - 4  # logits in [-3.6, 3.6]
    gradcheck(lambda t, p: losses.binary_crossentropy(t, p, from_logits=from_logits), y, x)


@settings(max_examples=30)
@given(target_and_input(0.05, 0.95, min_side=2), st.booleans())
def test_grad_categorical_crossentropy(pair, from_logits):
    # at least 2 classes: positive values renormalised stay in [0.05/(0.05+0.95·3), 0.95]
    y, x = pair
    if from_logits:
        x = 8 * x - 4
    gradcheck(lambda t, p: losses.categorical_crossentropy(t, p, from_logits=from_logits), y, x)


# -- values ---------------------------------------------------------------------------

RNG = np.random.default_rng(0)
Y = (RNG.random((4, 3)) > 0.5).astype(np.float64)
P = RNG.uniform(0.01, 0.99, (4, 3))
Z = RNG.normal(0, 3, (4, 3))
ONE_HOT = np.eye(3)[[0, 2, 1, 2]]


def test_mse_value_and_alias():
    assert losses.mse(Y, Tensor(P)).item() == pytest.approx(np.mean((P - Y) ** 2), rel=1e-12)
    assert losses.mean_squared_error is losses.mse


def test_binary_crossentropy_values():
    expected = -np.mean(Y * np.log(P) + (1 - Y) * np.log(1 - P))
    assert losses.binary_crossentropy(Y, Tensor(P)).item() == pytest.approx(expected, rel=1e-12)
    p = np_sigmoid(Z)
    expected = -np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p))
    got = losses.binary_crossentropy(Y, Tensor(Z), from_logits=True).item()
    assert got == pytest.approx(expected, rel=1e-12)


def test_categorical_crossentropy_values():
    p = P / P.sum(axis=-1, keepdims=True)
    expected = -np.mean(np.sum(ONE_HOT * np.log(p), axis=-1))
    got = losses.categorical_crossentropy(ONE_HOT, Tensor(P)).item()
    assert got == pytest.approx(expected, rel=1e-12)
    expected = -np.mean(np.sum(ONE_HOT * np_log_softmax(Z), axis=-1))
    got = losses.categorical_crossentropy(ONE_HOT, Tensor(Z), from_logits=True).item()
    assert got == pytest.approx(expected, rel=1e-12)


def test_logits_and_probabilities_agree():
    p = np_sigmoid(Z)
    got = losses.binary_crossentropy(Y, Tensor(Z), from_logits=True).item()
    assert got == pytest.approx(losses.binary_crossentropy(Y, Tensor(p)).item(), rel=1e-9)
    s = np.exp(np_log_softmax(Z))
    got = losses.categorical_crossentropy(ONE_HOT, Tensor(Z), from_logits=True).item()
    expected = losses.categorical_crossentropy(ONE_HOT, Tensor(s)).item()
    assert got == pytest.approx(expected, rel=1e-9)


def test_article_formula_without_brackets_is_wrong():
    """Article section 3.1.4 reads L = -(1/n) Σ y log ŷ + (1-y) log(1-ŷ): the minus sign and
    1/n reach only the first term. For y = 0, ŷ = 0.2 it gives log 0.8 < 0, a negative
    "loss"; the bracketed formula gives -log 0.8 > 0."""
    y, p = np.array([0.0]), np.array([0.2])
    article = -np.mean(y * np.log(p)) + np.sum((1 - y) * np.log(1 - p))
    ours = losses.binary_crossentropy(y, Tensor(p)).item()
    assert article == pytest.approx(np.log(0.8)) and article < 0
    assert ours == pytest.approx(-np.log(0.8)) and ours > 0


def test_scalar_output_dtype_and_forms_of_y_true():
    y32, p32 = Y.astype(np.float32), Tensor(P.astype(np.float32))
    for loss in (losses.mse, losses.binary_crossentropy, losses.categorical_crossentropy):
        out = loss(y32, p32)
        assert out.shape == () and out.dtype == np.float32
        # y_true as a Tensor, a list, or integer 0/1 labels: all cast to y_pred's dtype
        assert loss(Tensor(y32), p32).item() == out.item()
        assert loss(Y.astype(np.int64), p32).item() == out.item()
        assert loss(y32.tolist(), p32).item() == out.item()


def test_mse_gradient_on_a_small_case():
    p = Tensor(np.array([[1.0, 2.0], [3.0, 5.0]]), requires_grad=True)
    losses.mse(np.zeros((2, 2)), p).backward()
    np.testing.assert_allclose(p.grad, 2 * p.data / 4)


def test_fused_gradients_formulas():
    z = Tensor(Z, requires_grad=True)
    losses.binary_crossentropy(Y, z, from_logits=True).backward()
    np.testing.assert_allclose(z.grad, (np_sigmoid(Z) - Y) / Y.size, rtol=1e-12)
    z = Tensor(Z, requires_grad=True)
    soft = np.abs(ONE_HOT - 0.1)  # unnormalised soft targets: the Σy factor matters
    losses.categorical_crossentropy(soft, z, from_logits=True).backward()
    softmax = np.exp(np_log_softmax(Z))
    expected = (softmax * soft.sum(-1, keepdims=True) - soft) / 4   # 4 samples
    np.testing.assert_allclose(z.grad, expected, rtol=1e-12)


# -- numerical stability --------------------------------------------------------------

@pytest.fixture
def strict_numpy():
    """Any overflow, invalid operation, division by zero or RuntimeWarning fails the test
    (underflow of exp(-1e4) to 0 is expected and harmless)."""
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        yield


def loss_and_grad(loss, y, x, **kw):
    x = Tensor(x, requires_grad=True)
    out = loss(y, x, **kw)
    out.backward()
    assert np.isfinite(out.item()) and np.all(np.isfinite(x.grad))
    return out.item(), x.grad


def test_binary_from_huge_logits(strict_numpy):
    z = np.array([1e4, -1e4], np.float32)
    loss, grad = loss_and_grad(losses.binary_crossentropy, np.float32([0, 1]), z, from_logits=True)
    assert loss == pytest.approx(1e4)          # both confidently wrong, by a margin of 1e4
    np.testing.assert_allclose(grad, [0.5, -0.5])  # (σ(z) - y) / 2
    loss, grad = loss_and_grad(losses.binary_crossentropy, np.float32([1, 0]), z, from_logits=True)
    assert loss == 0 and np.all(grad == 0)    # both confidently right


def test_categorical_from_huge_logits(strict_numpy):
    z = np.array([[1e4, -1e4, 0], [1e4, -1e4, 0]], np.float32)
    loss, grad = loss_and_grad(losses.categorical_crossentropy, np.float32([[0, 1, 0], [1, 0, 0]]),
                               z, from_logits=True)
    assert loss == pytest.approx(2e4 / 2)     # sample 0 loses 2e4, sample 1 loses 0
    np.testing.assert_allclose(grad, [[0.5, -0.5, 0], [0, 0, 0]])


def test_exact_zero_and_one_probabilities_are_finite(strict_numpy):
    y = np.float32([0, 1, 1, 0])
    loss, _ = loss_and_grad(losses.binary_crossentropy, y, np.float32([0, 1, 0, 1]))
    assert 7.5 < loss < 8.5                   # ≈ -log(1e-7) / 2: two of four are wrong
    loss, _ = loss_and_grad(losses.binary_crossentropy, y, np.float32([0, 1, 1, 0]))
    assert 0 <= loss < 1e-6
    loss, _ = loss_and_grad(losses.categorical_crossentropy, np.float32([[0, 1], [1, 0]]),
                            np.float32([[1, 0], [1, 0]]))
    assert loss == pytest.approx(-np.log(1e-7) / 2, rel=1e-3)


# -- errors ---------------------------------------------------------------------------

ALL = [losses.mse, losses.binary_crossentropy, losses.categorical_crossentropy]


@pytest.mark.parametrize("loss", ALL)
def test_shape_mismatch_names_loss_and_shapes(loss):
    with pytest.raises(ValueError, match=rf"{loss.__name__}: y_true has shape \(4, 1\) but "
                                         rf"y_pred has shape \(4,\); expected the same shape"):
        loss(np.zeros((4, 1)), Tensor(np.full(4, 0.5)))


def test_integer_labels_hint_for_categorical():
    with pytest.raises(ValueError, match="one-hot encode the labels into shape \\(4, 3\\)"):
        losses.categorical_crossentropy(np.array([0, 2, 1, 2]), Tensor(P))


def test_integer_y_pred_is_refused():
    with pytest.raises(TypeError, match="binary_crossentropy: y_pred has dtype int64"):
        losses.binary_crossentropy(Y, np.ones((4, 3), dtype=np.int64))


@pytest.mark.parametrize("arg", ["y_pred", "y_true"])
def test_nan_is_refused(arg):
    bad = P.copy()
    bad[1, 2] = np.nan
    y, p = (Y, bad) if arg == "y_pred" else (bad, P)
    with pytest.raises(ValueError, match=f"mse: {arg} contains NaN"):
        losses.mse(y, Tensor(p))


def test_categorical_rows_that_are_not_probabilities():
    with pytest.raises(ValueError, match="from_logits=True"):
        losses.categorical_crossentropy(ONE_HOT, Tensor(np.zeros((4, 3))))


def test_get():
    assert losses.get("mse") is losses.get("mean_squared_error") is losses.mse
    assert losses.get("binary_crossentropy") is losses.binary_crossentropy
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    assert losses.get(losses.mse) is losses.mse
    with pytest.raises(ValueError, match="unknown loss 'hinge'; expected one of 'mse'"):
        losses.get("hinge")
