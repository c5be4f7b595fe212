"""Tests of the losses for integer labels and segmentation (sparse categorical
cross-entropy with ignore_class, soft Dice) and of sample_weight on every loss:
gradients (hypothesis + gradcheck, float64), values against the literal formulas written
as loops over positions, stability at ±1e4, errors."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinydl import Tensor, gradcheck, losses
from tinydl.testing import strategies as tst

EPS = 1e-7


def np_log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def sparse_ce_by_loops(labels, y_pred, from_logits, ignore_class=None, weight=None):
    """L = Σ_i m_i w_i ℓ_i / Σ_i m_i, one position at a time (0 if nothing counts)."""
    if weight is None:
        weight = np.ones(labels.shape)
    weight = np.broadcast_to(np.reshape(weight, np.shape(weight) + (1,) * (labels.ndim
                                                                           - np.ndim(weight))),
                             labels.shape)
    total, count = 0.0, 0
    for i in np.ndindex(labels.shape):
        if ignore_class is not None and labels[i] == ignore_class:
            continue
        row = y_pred[i]
        if from_logits:
            log_p = np_log_softmax(row)[labels[i]]
        else:
            log_p = np.log(np.clip(row[labels[i]] / row.sum(), EPS, 1 - EPS))
        total += weight[i] * -log_p
        count += 1
    return total / count if count else 0.0


@st.composite
def sparse_problems(draw, max_side=3):
    """(labels, y_pred, from_logits, ignore_class, sample_weight): labels of rank 1-3,
    K = 2..4 classes, logits in [-4, 4] or probabilities in [0.05, 0.95] (far inside the
    clip range, so the clip's kink is never straddled), optional weights per sample or per
    position, optional ignore_class (a void value -1 or the real class 0)."""
    positions = draw(tst.shapes(min_dims=1, max_dims=3, max_side=max_side))
    k = draw(st.integers(2, 4))
    from_logits = draw(st.booleans())
    ignore_class = draw(st.sampled_from([None, -1, 0]))
    low = -1 if ignore_class == -1 else 0
    labels = draw(hnp.arrays(np.int64, positions, elements=st.integers(low, k - 1)))
    if from_logits:
        y_pred = draw(tst.arrays(positions + (k,), -4.0, 4.0))
    else:
        y_pred = draw(tst.arrays(positions + (k,), 0.05, 0.95))
    weight_shape = draw(st.sampled_from([None, positions[:1], positions]))
    weight = None if weight_shape is None else draw(tst.arrays(weight_shape, 0.0, 2.0))
    return labels, y_pred, from_logits, ignore_class, weight


# -- sparse categorical cross-entropy: gradients and values ------------------------------

@settings(max_examples=40, deadline=None)
@given(sparse_problems())
def test_sparse_crossentropy_gradient(problem):
    labels, y_pred, from_logits, ignore_class, weight = problem
    gradcheck(lambda z: losses.sparse_categorical_crossentropy(
        labels, z, from_logits=from_logits, ignore_class=ignore_class, sample_weight=weight),
        y_pred)


@settings(max_examples=40, deadline=None)
@given(sparse_problems())
def test_sparse_crossentropy_matches_the_loop_formula(problem):
    labels, y_pred, from_logits, ignore_class, weight = problem
    got = losses.sparse_categorical_crossentropy(labels, Tensor(y_pred), from_logits,
                                                 ignore_class, weight).item()
    expected = sparse_ce_by_loops(labels, y_pred, from_logits, ignore_class, weight)
    assert got == pytest.approx(expected, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_equals_categorical_on_one_hot_labels(from_logits):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, (2, 3, 5))                       # (N, H, W) masks
    z = rng.normal(0, 2, (2, 3, 5, 4))
    y_pred = z if from_logits else np.exp(np_log_softmax(z))
    sparse = losses.sparse_categorical_crossentropy(labels, Tensor(y_pred), from_logits)
    dense = losses.categorical_crossentropy(np.eye(4)[labels], Tensor(y_pred), from_logits)
    assert sparse.item() == pytest.approx(dense.item(), rel=1e-12)
    assert sparse.shape == ()


def test_sparse_fused_gradient_is_softmax_minus_onehot_weighted():
    # 5 positions, one ignored (label 9): denominator 4; weights 1, 2, 0.5, 3, 7
    labels = np.array([0, 2, 9, 1, 2])
    weight = np.array([1.0, 2.0, 0.5, 3.0, 7.0])
    z = Tensor(np.random.default_rng(0).normal(size=(5, 3)), requires_grad=True)
    losses.sparse_categorical_crossentropy(labels, z, from_logits=True, ignore_class=9,
                                           sample_weight=weight).backward()
    onehot = np.zeros((5, 3))
    onehot[[0, 1, 3, 4], [0, 2, 1, 2]] = 1
    mask = np.array([1, 1, 0, 1, 1.0])
    expected = (np.exp(np_log_softmax(z.data)) - onehot) * (mask * weight / 4)[:, None]
    np.testing.assert_allclose(z.grad, expected, rtol=1e-12, atol=1e-15)
    assert np.all(z.grad[2] == 0)                              # the ignored row


def test_sparse_trailing_axis_of_one_and_float_labels():
    z = np.random.default_rng(1).normal(size=(4, 3))
    base = losses.sparse_categorical_crossentropy(np.array([0, 2, 1, 1]), Tensor(z), True).item()
    for labels in (np.array([[0], [2], [1], [1]]), np.array([0.0, 2.0, 1.0, 1.0]), [0, 2, 1, 1],
                   Tensor(np.array([0.0, 2.0, 1.0, 1.0]))):
        assert losses.sparse_categorical_crossentropy(labels, Tensor(z), True).item() == base


# -- masks and stability -----------------------------------------------------------------

@pytest.fixture
def strict_numpy():
    """Any overflow, invalid operation, division by zero or RuntimeWarning fails the test."""
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        yield


def loss_and_grad(y, x, **kw):
    x = Tensor(x, requires_grad=True)
    out = losses.sparse_categorical_crossentropy(y, x, **kw)
    out.backward()
    assert np.isfinite(out.item()) and np.all(np.isfinite(x.grad))
    return out.item(), x.grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_from_huge_logits(strict_numpy, dtype):
    z = np.array([[1e4, -1e4, 0], [1e4, -1e4, 0], [-1e4, 1e4, -1e4]], dtype)
    loss, grad = loss_and_grad(np.array([1, 0, 1]), z, from_logits=True)
    assert loss == pytest.approx(2e4 / 3)        # row 0 loses 2e4, rows 1 and 2 lose 0
    np.testing.assert_allclose(grad, [[1 / 3, -1 / 3, 0], [0, 0, 0], [0, 0, 0]], atol=1e-7)
    assert grad.dtype == dtype
    # the same at every pixel of an (N, H, W, K) batch, with an ignored pixel
    seg = np.broadcast_to(z[:, None, None, :], (3, 2, 2, 3)).copy()
    labels = np.broadcast_to(np.array([1, 0, 1])[:, None, None], (3, 2, 2)).copy()
    labels[0, 0, 0] = 255
    loss, grad = loss_and_grad(labels, seg, from_logits=True, ignore_class=255)
    assert loss == pytest.approx(3 * 2e4 / 11)  # 3 of the 11 counted pixels lose 2e4
    assert np.all(grad[0, 0, 0] == 0)


def test_every_position_ignored_gives_zero_not_nan(strict_numpy):
    for from_logits in (True, False):
        z = np.full((2, 2, 3), 1 / 3)
        loss, grad = loss_and_grad(np.full((2, 2), -1), z, from_logits=from_logits,
                                   ignore_class=-1)
        assert loss == 0 and np.all(grad == 0)


def test_ignored_positions_change_nothing_but_the_denominator():
    rng = np.random.default_rng(2)
    z, labels = rng.normal(size=(6, 4)), rng.integers(0, 4, 6)
    masked = labels.copy()
    masked[[1, 4]] = 255
    kept = [0, 2, 3, 5]
    got = losses.sparse_categorical_crossentropy(masked, Tensor(z), True, ignore_class=255)
    expected = losses.sparse_categorical_crossentropy(labels[kept], Tensor(z[kept]), True)
    assert got.item() == pytest.approx(expected.item(), rel=1e-12)


def test_ignore_class_may_be_a_real_class():
    # Keras allows it: positions labelled 0 are left out, class 0 is still predictable
    z = np.array([[2.0, 0.0], [0.0, 2.0], [1.0, 0.0]])
    got = losses.sparse_categorical_crossentropy([0, 1, 0], Tensor(z), True, ignore_class=0)
    assert got.item() == pytest.approx(-np_log_softmax(z[1])[1], rel=1e-12)


# -- errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("labels, kw, message", [
    ([0, 3, 1], {}, r"sparse_categorical_crossentropy: y_true holds label 3, out of range "
                    r"for 3 classes \(expected 0..2\)"),
    ([0, -1, 1], {}, r"holds label -1, out of range"),
    ([0, 255, 7], {"ignore_class": 255}, r"holds label 7, out of range for 3 classes "
                                         r"\(expected 0..2 or ignore_class=255\)"),
    ([0, 1.5, 1], {}, r"y_true holds 1.5, which is not a whole number"),
    ([0, 1], {}, r"y_true has shape \(2,\) but y_pred has shape \(3, 3\); expected integer "
                 r"labels of shape \(3,\)"),
    (np.eye(3), {}, r"y_true has shape \(3, 3\)"),
    ([0, 1, 2], {"sample_weight": np.ones(2)},
     r"sparse_categorical_crossentropy: sample_weight has shape \(2,\) but the per-sample "
     r"losses have shape \(3,\)"),
])
def test_sparse_errors(labels, kw, message):
    with pytest.raises(ValueError, match=message):
        losses.sparse_categorical_crossentropy(np.array(labels), Tensor(np.ones((3, 3))), **kw)


def test_sparse_errors_on_y_pred():
    with pytest.raises(ValueError, match=r"y_pred has shape \(\); expected \(..., num_classes\)"):
        losses.sparse_categorical_crossentropy(0, Tensor(np.float64(1.0)))
    with pytest.raises(ValueError, match="y_pred contains NaN"):
        losses.sparse_categorical_crossentropy([0], Tensor(np.array([[np.nan, 1.0]])))
    with pytest.raises(ValueError, match="from_logits=True"):
        losses.sparse_categorical_crossentropy([0], Tensor(np.array([[0.0, 0.0]])))
    with pytest.raises(TypeError, match="ignore_class must be an int or None, got 'void'"):
        losses.sparse_categorical_crossentropy([0], Tensor(np.ones((1, 2))), ignore_class="void")


# -- sample_weight on the existing losses --------------------------------------------------

RNG = np.random.default_rng(7)
Y = (RNG.random((4, 5, 3)) > 0.5).astype(np.float64)          # (N, H, C)
P = RNG.uniform(0.05, 0.95, (4, 5, 3))
Z = RNG.normal(0, 2, (4, 5, 3))
W_SAMPLE = RNG.uniform(0, 2, 4)                                 # (N,)
W_POSITION = RNG.uniform(0, 2, (4, 5))                          # (N, H)


def per_position(loss_name, y, y_pred, from_logits):
    """ℓ_i: the per-position losses, one loop per position (shape y.shape[:-1])."""
    out = np.zeros(y.shape[:-1])
    for i in np.ndindex(out.shape):
        t, q = y[i], y_pred[i]
        if loss_name == "mse":
            out[i] = np.mean((q - t) ** 2)
        elif loss_name == "binary_crossentropy":
            p = 1 / (1 + np.exp(-q)) if from_logits else q
            out[i] = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
        else:
            log_p = np_log_softmax(q) if from_logits else np.log(q / q.sum())
            out[i] = -np.sum(t * log_p)
    return out


@pytest.mark.parametrize("loss_name, from_logits", [
    ("mse", False), ("binary_crossentropy", False), ("binary_crossentropy", True),
    ("categorical_crossentropy", False), ("categorical_crossentropy", True)])
@pytest.mark.parametrize("weight", [W_SAMPLE, W_POSITION, W_SAMPLE[:, None, None], 2.5],
                         ids=["per-sample", "per-position", "trailing-1", "scalar"])
def test_sample_weight_is_keras_sum_over_batch_size(loss_name, from_logits, weight):
    y = np.eye(3)[RNG.integers(0, 3, (4, 5))] if loss_name.startswith("cat") else Y
    y_pred = Z if from_logits else P
    kw = {} if loss_name == "mse" else {"from_logits": from_logits}
    loss = losses.get(loss_name)
    got = loss(y, Tensor(y_pred), sample_weight=weight, **kw).item()
    ell = per_position(loss_name, y, y_pred, from_logits)
    w = np.reshape(weight, np.shape(weight)[:2] + (1,) * (2 - len(np.shape(weight)[:2])))
    expected = np.sum(w * ell) / ell.size                      # Σ w_i ℓ_i / P
    assert got == pytest.approx(expected, rel=1e-12)
    unweighted = loss(y, Tensor(y_pred), **kw).item()
    assert loss(y, Tensor(y_pred), sample_weight=np.ones(4), **kw).item() == pytest.approx(
        unweighted, rel=1e-12)


def test_sample_weight_on_one_dimensional_inputs_weighs_each_element():
    y, p = np.array([0.0, 1.0, 1.0]), np.array([0.2, 0.9, 0.4])
    got = losses.binary_crossentropy(y, Tensor(p), sample_weight=[1.0, 0.0, 2.0]).item()
    assert got == pytest.approx((-np.log(0.8) + 2 * -np.log(0.4)) / 3, rel=1e-12)
    got = losses.mse(y, Tensor(p), sample_weight=[1.0, 0.0, 2.0]).item()
    assert got == pytest.approx((0.04 + 2 * 0.36) / 3, rel=1e-12)


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(["mse", "binary_crossentropy", "categorical_crossentropy"]),
       st.booleans(), tst.shapes(min_dims=2, max_dims=3, min_side=2, max_side=3), st.data())
def test_sample_weight_gradient(loss_name, from_logits, shape, data):
    y = data.draw(tst.arrays(shape, 0.0, 1.0))
    y_pred = data.draw(tst.arrays(shape, 0.05, 0.95))
    if from_logits:
        y_pred = 8 * y_pred - 4
    w = data.draw(tst.arrays(data.draw(st.sampled_from([shape[:1], shape[:-1]])), 0.0, 2.0))
    kw = {} if loss_name == "mse" else {"from_logits": from_logits}
    gradcheck(lambda t, p: losses.get(loss_name)(t, p, sample_weight=w, **kw), y, y_pred)


@pytest.mark.parametrize("loss", [losses.mse, losses.binary_crossentropy,
                                  losses.categorical_crossentropy, losses.dice])
def test_bad_weight_shape_names_loss_and_shapes(loss):
    with pytest.raises(ValueError, match=rf"{loss.__name__}: sample_weight has shape \(3,\) but "
                                         rf"the per-sample losses have shape \(4, 5\)"):
        loss(Y[:, :, :2] if loss is losses.dice else Y, Tensor(P[:, :, :2] if loss is losses.dice
                                                               else P), sample_weight=np.ones(3))


def test_weights_with_nan_are_refused():
    with pytest.raises(ValueError, match="mse: sample_weight contains NaN"):
        losses.mse(Y, Tensor(P), sample_weight=np.full(4, np.nan))


# -- Dice --------------------------------------------------------------------------------

def test_dice_by_hand():
    # 4 pixels, 2 classes; labels [0, 0, 1, 1]; p(class 1) = [0.1, 0.3, 0.8, 0.6]
    p1 = np.array([0.1, 0.3, 0.8, 0.6])
    probs = np.stack([1 - p1, p1], axis=-1)
    labels = np.array([0, 0, 1, 1])
    # class 0: Σp·t = 0.9 + 0.7 = 1.6, Σp = 1.6 + 0.2 + 0.4 = 2.2, Σt = 2
    # class 1: Σp·t = 0.8 + 0.6 = 1.4, Σp = 1.8, Σt = 2
    d0 = (2 * 1.6 + 1) / (2.2 + 2 + 1)
    d1 = (2 * 1.4 + 1) / (1.8 + 2 + 1)
    assert losses.dice(labels, Tensor(probs)).item() == pytest.approx(1 - (d0 + d1) / 2)
    assert losses.dice(np.eye(2)[labels], Tensor(probs)).item() == pytest.approx(1 - (d0 + d1) / 2)
    assert losses.dice(labels, Tensor(probs), ignore_classes=(0,)).item() == pytest.approx(1 - d1)
    d1_plain = 2 * 1.4 / (1.8 + 2)
    assert losses.dice(labels, Tensor(probs), smooth=0, ignore_classes=[0]).item() == \
        pytest.approx(1 - d1_plain)
    # weight 0 on pixel 1 removes it: class 0 Σp·t = 0.9, Σp = 0.9 + 0.2 + 0.4, Σt = 1
    d0_w = (2 * 0.9 + 1) / (1.5 + 1 + 1)
    got = losses.dice(labels, Tensor(probs), sample_weight=[1, 0, 1, 1], ignore_classes=[1])
    assert got.item() == pytest.approx(1 - d0_w)
    assert losses.get("dice") is losses.dice


def test_dice_perfect_prediction_and_from_logits():
    labels = np.random.default_rng(0).integers(0, 3, (2, 4, 4))
    assert losses.dice(labels, Tensor(np.eye(3)[labels]), smooth=0).item() == 0
    z = np.eye(3)[labels] * 40.0                                # softmax ≈ one-hot
    assert losses.dice(labels, Tensor(z), from_logits=True).item() == pytest.approx(0, abs=1e-12)


@st.composite
def dice_problems(draw):
    positions = draw(tst.shapes(min_dims=1, max_dims=3, max_side=3))
    k = draw(st.integers(1, 4))
    labels = draw(hnp.arrays(np.int64, positions, elements=st.integers(0, k - 1)))
    y_true = labels if draw(st.booleans()) else np.eye(k)[labels]
    from_logits = draw(st.booleans())
    y_pred = draw(tst.arrays(positions + (k,), -4.0, 4.0) if from_logits
                  else tst.arrays(positions + (k,), 0.0, 1.0))
    ignore = draw(st.lists(st.integers(0, k - 1), max_size=k - 1, unique=True))
    weight_shape = draw(st.sampled_from([None, positions[:1], positions]))
    weight = None if weight_shape is None else draw(tst.arrays(weight_shape, 0.0, 2.0))
    smooth = draw(st.sampled_from([1.0, 0.5]))
    return y_true, y_pred, from_logits, smooth, tuple(ignore), weight


@settings(max_examples=40, deadline=None)
@given(dice_problems())
def test_dice_gradient(problem):
    y_true, y_pred, from_logits, smooth, ignore, weight = problem
    gradcheck(lambda p: losses.dice(y_true, p, from_logits=from_logits, smooth=smooth,
                                    ignore_classes=ignore, sample_weight=weight), y_pred)


@pytest.mark.parametrize("kw, message", [
    ({"ignore_classes": (3,)}, r"dice: ignore_classes holds 3; expected class indices 0..2"),
    ({"ignore_classes": (0, 1, 2)}, r"dice: ignore_classes \(0, 1, 2\) leaves no class of 3"),
    ({"smooth": -1.0}, r"dice: smooth must be a finite number >= 0, got -1.0"),
])
def test_dice_errors(kw, message):
    with pytest.raises(ValueError, match=message):
        losses.dice(np.array([0, 1]), Tensor(np.ones((2, 3))), **kw)
    with pytest.raises(ValueError, match=r"dice: y_true holds label 5, out of range"):
        losses.dice(np.array([0, 5]), Tensor(np.ones((2, 3))))


def test_get_knows_the_new_names():
    assert losses.get("sparse_categorical_crossentropy") is losses.sparse_categorical_crossentropy
    assert losses.get("dice") is losses.dice
