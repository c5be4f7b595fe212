"""Keras' loss objects (tinydl.losses.SparseCategoricalCrossentropy, ...): each equals its
function for every reduction (values and gradients), label smoothing follows Keras'
formula, the new functions (mae, huber, kl_divergence) match NumPy formulas and pass
gradcheck, bad input gets clear errors, and a Keras-tutorial-shaped program learns."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinydl as keras
from tinydl import Tensor, gradcheck, losses

REDUCTIONS = ("sum_over_batch_size", "sum", "none", None)


def _data(kind, rng, n=6):
    """(y_true, y_pred) float64 for a loss of `kind`."""
    if kind == "labels":                      # integer labels, scores (N, 4)
        return rng.integers(0, 4, n), rng.normal(size=(n, 4))
    if kind == "onehot":
        return np.eye(4)[rng.integers(0, 4, n)], rng.normal(size=(n, 4))
    if kind == "binary":
        return rng.integers(0, 2, (n, 3)).astype(float), rng.normal(size=(n, 3))
    if kind == "dist":                        # distributions (N, 4)
        t, p = rng.random((n, 4)) + 0.1, rng.random((n, 4)) + 0.1
        return t / t.sum(1, keepdims=True), p / p.sum(1, keepdims=True)
    return rng.normal(size=(n, 3)), rng.normal(size=(n, 3))     # regression


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# (object factory, the function with the same options, kind of data, y_pred transform)
CASES = {
    "scce_logits": (lambda r: losses.SparseCategoricalCrossentropy(from_logits=True, reduction=r),
                    lambda t, p, **k: losses.sparse_categorical_crossentropy(t, p, True, **k),
                    "labels", None),
    "scce_probs": (lambda r: losses.SparseCategoricalCrossentropy(reduction=r),
                   losses.sparse_categorical_crossentropy, "labels", _softmax),
    "cce_logits": (lambda r: losses.CategoricalCrossentropy(from_logits=True, reduction=r),
                   lambda t, p, **k: losses.categorical_crossentropy(t, p, True, **k),
                   "onehot", None),
    "cce_probs": (lambda r: losses.CategoricalCrossentropy(reduction=r),
                  losses.categorical_crossentropy, "onehot", _softmax),
    "bce_logits": (lambda r: losses.BinaryCrossentropy(from_logits=True, reduction=r),
                   lambda t, p, **k: losses.binary_crossentropy(t, p, True, **k), "binary", None),
    "bce_probs": (lambda r: losses.BinaryCrossentropy(reduction=r),
                  losses.binary_crossentropy, "binary", _sigmoid),
    "mse": (lambda r: losses.MeanSquaredError(reduction=r), losses.mse, "regression", None),
    "mae": (lambda r: losses.MeanAbsoluteError(reduction=r), losses.mae, "regression", None),
    "huber": (lambda r: losses.Huber(delta=0.7, reduction=r),
              lambda t, p, **k: losses.huber(t, p, delta=0.7, **k), "regression", None),
    "kld": (lambda r: losses.KLDivergence(reduction=r), losses.kl_divergence, "dist", None),
}


def _grad(fn, t, p):
    x = Tensor(p.copy(), requires_grad=True)
    value = fn(t, x)
    value.sum().backward()
    return value.data, x.grad


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_each_object_equals_its_function(case, reduction, weighted):
    make, fn, kind, transform = CASES[case]
    rng = np.random.default_rng(len(case) + 7 * weighted)
    t, p = _data(kind, rng)
    p = transform(p) if transform else p
    w = rng.random(len(p)) + 0.2 if weighted else None
    n = len(p)
    obj = make(reduction)
    value, grad = _grad(lambda a, b: obj(a, b, sample_weight=w), t, p)
    ref, ref_grad = _grad(lambda a, b: fn(a, b, sample_weight=w), t, p)
    if reduction == "sum_over_batch_size":
        assert value.shape == ()
        np.testing.assert_allclose(value, ref, rtol=1e-12)
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-14)
    elif reduction == "sum":
        assert value.shape == ()
        np.testing.assert_allclose(value, n * ref, rtol=1e-12)
        np.testing.assert_allclose(grad, n * ref_grad, rtol=1e-10, atol=1e-14)
    else:                            # per sample: the function on that sample alone, × w_i
        assert value.shape == (n,)
        alone = np.array([fn(t[i:i + 1], p[i:i + 1]).data for i in range(n)])
        np.testing.assert_allclose(value, alone * (1 if w is None else w), rtol=1e-10)
        np.testing.assert_allclose(grad, n * ref_grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ignore_class_per_reduction_as_keras(reduction):
    """Keras 3: 'sum_over_batch_size' divides by the valid positions, 'sum' and 'none'
    just give the ignored positions 0."""
    rng = np.random.default_rng(3)
    z = rng.normal(size=(2, 3, 3, 4))
    y = rng.integers(0, 4, (2, 3, 3))
    y[0, 0] = 255
    valid = y != 255
    obj = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255,
                                               reduction=reduction)
    log_p = z - z.max(-1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(-1, keepdims=True))
    ell = -np.take_along_axis(log_p, np.where(valid, y, 0)[..., None], -1)[..., 0] * valid
    expected = {"sum_over_batch_size": ell.sum() / valid.sum(), "sum": ell.sum()}.get(
        reduction, ell)
    np.testing.assert_allclose(obj(y, z).data, expected, rtol=1e-12)
    np.testing.assert_allclose(
        losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255)(y, z).data,
        losses.sparse_categorical_crossentropy(y, z, True, ignore_class=255).data)


def test_dice_object_equals_dice_for_every_reduction():
    rng = np.random.default_rng(4)
    z, y = rng.normal(size=(2, 4, 4, 3)), rng.integers(0, 3, (2, 4, 4))
    ref = losses.dice(y, z, from_logits=True, smooth=0.5, ignore_classes=[0])
    for reduction in REDUCTIONS:
        obj = losses.Dice(from_logits=True, smooth=0.5, ignore_classes=[0], reduction=reduction)
        assert obj(y, z).data == ref.data
    assert losses.base_function(losses.Dice()) is losses.dice


# -- label smoothing ---------------------------------------------------------------------

@settings(max_examples=20)
@given(st.floats(0.0, 1.0), st.integers(0, 2**31 - 1), st.booleans())
def test_categorical_label_smoothing_is_keras_formula(alpha, seed, from_logits):
    rng = np.random.default_rng(seed)
    y, z = np.eye(5)[rng.integers(0, 5, 4)], rng.normal(size=(4, 5))
    p = _softmax(z)
    smoothed = y * (1 - alpha) + alpha / 5
    expected = -(smoothed * np.log(np.clip(p, 1e-7, 1 - 1e-7))).sum(-1).mean()
    obj = losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=alpha)
    np.testing.assert_allclose(obj(y, z if from_logits else p).data, expected, rtol=1e-9)
    np.testing.assert_allclose(
        losses.categorical_crossentropy(y, z, from_logits=True, label_smoothing=alpha).data,
        -(smoothed * np.log(p)).sum(-1).mean(), rtol=1e-9)


@settings(max_examples=20)
@given(st.floats(0.0, 1.0), st.integers(0, 2**31 - 1), st.booleans())
def test_binary_label_smoothing_is_keras_formula(alpha, seed, from_logits):
    rng = np.random.default_rng(seed)
    y, z = rng.integers(0, 2, (4, 3)).astype(float), rng.normal(size=(4, 3))
    p = _sigmoid(z)
    s = y * (1 - alpha) + alpha / 2
    expected = -(s * np.log(p) + (1 - s) * np.log(1 - p)).mean()
    obj = losses.BinaryCrossentropy(from_logits=from_logits, label_smoothing=alpha)
    np.testing.assert_allclose(obj(y, z if from_logits else p).data, expected, rtol=1e-7)


def test_label_smoothing_changes_the_gradient_as_the_formula_says():
    """∂L/∂z = (softmax(z) - y_smoothed)/N for categorical cross-entropy from logits."""
    rng = np.random.default_rng(5)
    y, z = np.eye(3)[[0, 2, 1]], rng.normal(size=(3, 3))
    x = Tensor(z, requires_grad=True)
    losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.3)(y, x).backward()
    np.testing.assert_allclose(x.grad, (_softmax(z) - (y * 0.7 + 0.1)) / 3, atol=1e-12)


# -- the new functions: NumPy formulas and gradcheck ----------------------------------------

def _away_from(values, kinks, gap=0.05):
    """Push each value at least `gap` away from every kink (a finite difference across a
    kink is not the derivative)."""
    values = values.copy()
    for k in kinks:
        near = np.abs(np.abs(values) - k) < gap
        values[near] = np.sign(values[near] + 1e-12) * (k + 2 * gap)
    return values


def _regression_pair(draw_seed, shape=(3, 4), kinks=(0.0,)):
    rng = np.random.default_rng(draw_seed)
    y = rng.normal(size=shape)
    err = _away_from(rng.normal(scale=1.5, size=shape), kinks)
    return y, y + err


@settings(max_examples=25)
@given(st.integers(0, 2**31 - 1), st.floats(0.2, 2.0))
def test_huber_matches_numpy(seed, delta):
    y, p = _regression_pair(seed, kinks=(delta,))
    e = p - y
    h = np.where(np.abs(e) <= delta, 0.5 * e**2, delta * np.abs(e) - 0.5 * delta**2)
    np.testing.assert_allclose(losses.huber(y, p, delta=delta).data, h.mean(), rtol=1e-12)
    np.testing.assert_allclose(losses.Huber(delta, reduction=None)(y, p).data, h.mean(-1),
                               rtol=1e-12)


@settings(max_examples=25)
@given(st.integers(0, 2**31 - 1))
def test_mae_matches_numpy(seed):
    y, p = _regression_pair(seed)
    np.testing.assert_allclose(losses.mae(y, p).data, np.abs(p - y).mean(), rtol=1e-12)
    assert losses.mean_absolute_error is losses.mae


@settings(max_examples=25)
@given(st.integers(0, 2**31 - 1))
def test_kl_divergence_matches_numpy(seed):
    y, p = _data("dist", np.random.default_rng(seed))
    y[0, 0], p[1, 1] = 0.0, 0.0               # clipped to ε = 1e-7, as Keras does
    t, q = np.clip(y, 1e-7, 1), np.clip(p, 1e-7, 1)
    expected = (t * np.log(t / q)).sum(-1)
    np.testing.assert_allclose(losses.kl_divergence(y, p).data, expected.mean(), rtol=1e-12)
    np.testing.assert_allclose(losses.KLDivergence(reduction="sum")(y, p).data, expected.sum(),
                               rtol=1e-12)
    assert losses.kl_divergence(p, p).data == pytest.approx(0.0, abs=1e-6)


@settings(max_examples=20)
@given(st.integers(0, 2**31 - 1), st.booleans())
def test_grad_mae(seed, weighted):
    y, p = _regression_pair(seed)
    w = np.random.default_rng(seed).random(3) + 0.1 if weighted else None
    gradcheck(lambda a, b: losses.mae(a, b, sample_weight=w), y, p)


@settings(max_examples=20)
@given(st.integers(0, 2**31 - 1), st.floats(0.3, 2.0))
def test_grad_huber(seed, delta):
    y, p = _regression_pair(seed, kinks=(delta,))     # away from |e| = delta
    gradcheck(lambda a, b: losses.huber(a, b, delta=delta), y, p)
    gradcheck(lambda b: losses.Huber(delta, reduction="none")(y, b), p)


@settings(max_examples=20)
@given(st.integers(0, 2**31 - 1))
def test_grad_kl_divergence(seed):
    y, p = _data("dist", np.random.default_rng(seed))   # inside (ε, 1): no clipping
    gradcheck(losses.kl_divergence, y, p)
    gradcheck(lambda b: losses.KLDivergence(reduction=None)(y, b), p)


@settings(max_examples=15)
@given(st.integers(0, 2**31 - 1), st.sampled_from(sorted(CASES)),
       st.sampled_from(["sum", "none"]))
def test_grad_loss_objects_per_sample(seed, case, reduction):
    """The per-sample path ('none', 'sum') runs the fused Functions unreduced: gradcheck it."""
    make, _, kind, transform = CASES[case]
    rng = np.random.default_rng(seed)
    t, p = _data(kind, rng, n=3)
    if case == "mae":
        p = t + _away_from(p - t, (0.0,))
    if case == "huber":
        p = t + _away_from(p - t, (0.7,))
    if transform is not None:                       # probabilities, well inside (0, 1)
        p = transform(p)
    obj = make(reduction)
    gradcheck(lambda b: obj(t, b), p)


# -- get, compile and the fused path -----------------------------------------------------

def test_get_and_config():
    obj = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1,
                                               reduction=None, name="scce")
    assert losses.get(obj) is obj
    config = obj.get_config()
    assert config == {"name": "scce", "reduction": "none", "from_logits": True,
                      "ignore_class": -1}
    copy = losses.SparseCategoricalCrossentropy.from_config(config)
    assert copy.get_config() == config
    assert isinstance(losses.get("Huber"), losses.Huber)
    assert losses.get("mae") is losses.mae and losses.get("kld") is losses.kl_divergence
    assert losses.Huber().name == "huber_loss" and losses.Loss().name == "loss"
    assert keras.losses.SparseCategoricalCrossentropy is losses.SparseCategoricalCrossentropy


def test_a_loss_subclass_with_call():
    class Cubic(losses.Loss):
        def call(self, y_true, y_pred):
            d = y_pred - Tensor(np.asarray(y_true, float))
            return (d * d * d).abs().mean(axis=-1)

    y, p = np.zeros((4, 2)), np.arange(8.0).reshape(4, 2)
    per = np.abs(p**3).mean(-1)
    assert Cubic(reduction=None)(y, p).data.tolist() == per.tolist()
    np.testing.assert_allclose(Cubic()(y, p, sample_weight=[1, 0, 1, 0]).data,
                               (per * [1, 0, 1, 0]).mean())
    np.testing.assert_allclose(Cubic(reduction="sum")(y, p).data, per.sum())


def _classifier(activation, seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(16, activation="relu"),
                             keras.layers.Dense(3, activation=activation)])


def test_softmax_model_with_a_loss_object_takes_the_fused_path():
    """A confidently wrong softmax output: the probability form caps the loss at
    -log(1e-7) ≈ 16.1; the fused path gives the true, larger value."""
    model = _classifier("softmax")
    model.compile("sgd", loss=losses.SparseCategoricalCrossentropy())
    assert model._from_logits(0)
    dense = model.layers[-1]
    dense.kernel.data[...] = 0
    dense.bias.data[...] = np.array([0.0, 0.0, 40.0], dtype=dense.bias.data.dtype)
    x, y = np.ones((4, 2), np.float32), np.zeros(4, int)
    loss_obj = model.evaluate(x, y, verbose=0)
    model.compile("sgd", loss="sparse_categorical_crossentropy")
    loss_name = model.evaluate(x, y, verbose=0)
    loss_obj = loss_obj[0] if isinstance(loss_obj, list) else loss_obj
    loss_name = loss_name[0] if isinstance(loss_name, list) else loss_name
    assert loss_obj == pytest.approx(loss_name, rel=1e-5) and loss_obj > 30


@pytest.mark.parametrize("activation, loss, fused", [
    ("softmax", losses.CategoricalCrossentropy(), True),
    ("softmax", losses.SparseCategoricalCrossentropy(ignore_class=-1), True),
    ("softmax", losses.Dice(), True),
    ("softmax", losses.combine({losses.SparseCategoricalCrossentropy(): 1.0,
                                losses.Dice(ignore_classes=[0]): 0.5}), True),
    ("sigmoid", losses.BinaryCrossentropy(label_smoothing=0.1), True),
    ("sigmoid", losses.MeanSquaredError(), False),
    ("softmax", losses.KLDivergence(), False),
])
def test_which_outputs_are_trained_from_their_logits(activation, loss, fused):
    model = _classifier(activation)
    model.compile("sgd", loss=loss)
    assert model._from_logits(0) is fused
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 2)).astype(np.float32)
    takes_labels = isinstance(loss, (losses.SparseCategoricalCrossentropy, losses.CombinedLoss,
                                     losses.Dice))
    y = rng.integers(0, 3, 8) if takes_labels else np.eye(3)[rng.integers(0, 3, 8)]
    reported = model.evaluate(x, y, verbose=0)
    reported = reported[0] if isinstance(reported, list) else reported
    probabilities = model.predict(x, verbose=0)
    np.testing.assert_allclose(reported, float(loss(y, probabilities).data), rtol=1e-4)


def test_compile_refuses_a_per_sample_reduction():
    model = _classifier(None)
    model.compile("sgd", loss=losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                   reduction=None))
    with pytest.raises(ValueError, match="reduction='sum_over_batch_size'"):
        model.fit(np.ones((8, 2), np.float32), np.zeros(8, int), epochs=1, verbose=0)


def test_keras_tutorial_program_learns():
    """The shape of Keras' beginner tutorial: Dense layers, no softmax, a from-logits loss
    object and metrics=['accuracy'] (which becomes sparse categorical accuracy)."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    centers = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    y = rng.integers(0, 3, 300)
    x = (centers[y] + rng.normal(scale=0.5, size=(300, 2))).astype(np.float32)
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3)])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    first = loss_fn(y[:5], model(x[:5]))
    assert first.shape == () and first.data > 0
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss=loss_fn,
                  metrics=["accuracy"])
    assert not model._from_logits(0)                  # no softmax: the output is the logits
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9            # chance: 1/3
    assert model.evaluate(x, y, verbose=0)[1] > 0.9


# -- bad input ---------------------------------------------------------------------------

def test_unknown_reduction_is_named():
    with pytest.raises(ValueError, match=r"unknown reduction 'mean_over_batch'.*'sum'"):
        losses.MeanSquaredError(reduction="mean_over_batch")


def test_wrong_label_formats():
    z = np.zeros((4, 3))
    with pytest.raises(ValueError, match="one-hot encode"):
        losses.CategoricalCrossentropy(from_logits=True)(np.array([0, 1, 2, 1]), z)
    with pytest.raises(ValueError, match="expected integer labels of shape"):
        losses.SparseCategoricalCrossentropy(from_logits=True)(np.eye(3)[[0, 1, 2, 1]][:, :2], z)
    with pytest.raises(ValueError, match="not a whole number"):
        losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([0, 1.5, 2, 1]), z)
    with pytest.raises(ValueError, match="out of range"):
        losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([0, 1, 3, 1]), z)


@pytest.mark.parametrize("make", [losses.SparseCategoricalCrossentropy,
                                  losses.CategoricalCrossentropy, losses.BinaryCrossentropy])
def test_scores_given_as_probabilities_say_from_logits(make):
    z = np.array([[2.5, -1.0, 0.3], [0.1, 0.2, -3.0]])
    y = np.array([0, 1]) if make is losses.SparseCategoricalCrossentropy else np.eye(3)[[0, 1]]
    with pytest.raises(ValueError, match=r"not a probability.*from_logits=True"):
        make()(y, z)
    make(from_logits=True)(y, z)                       # fine as logits


def test_bad_options():
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.CategoricalCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match="delta"):
        losses.Huber(delta=0)
    with pytest.raises(TypeError, match="from_logits"):
        losses.BinaryCrossentropy(from_logits="yes")
    with pytest.raises(TypeError, match="ignore_class"):
        losses.SparseCategoricalCrossentropy(ignore_class=1.5)
    with pytest.raises(ValueError, match="sample_weight has shape"):
        losses.MeanSquaredError()(np.zeros((4, 2)), np.ones((4, 2)), sample_weight=np.ones(3))
    with pytest.raises(NotImplementedError, match="call"):
        losses.Loss()(np.zeros(2), np.zeros(2))


def test_the_numbers_of_keras_documentation_examples():
    """Keras' own doc examples (SparseCategoricalCrossentropy, Huber), to three decimals."""
    y, p = [1, 2], np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    scce = losses.SparseCategoricalCrossentropy
    assert scce()(y, p).item() == pytest.approx(1.177, abs=1e-3)
    assert scce()(y, p, sample_weight=np.array([0.3, 0.7])).item() == pytest.approx(0.814, abs=1e-3)
    assert scce(reduction="sum")(y, p).item() == pytest.approx(2.354, abs=1e-3)
    np.testing.assert_allclose(scce(reduction=None)(y, p).data, [0.0513, 2.303], atol=1e-3)
    y, p = np.array([[0, 1], [0, 0]]), np.array([[0.6, 0.4], [0.4, 0.6]])
    assert losses.Huber()(y, p).item() == pytest.approx(0.155, abs=1e-3)
    assert losses.Huber()(y, p, sample_weight=[1, 0]).item() == pytest.approx(0.09, abs=1e-3)
    assert losses.Huber(reduction="sum")(y, p).item() == pytest.approx(0.31, abs=1e-3)


def test_against_keras_when_installed():
    """Keras 3 is never a dependency; where it happens to be installed, every loss object
    gives Keras' value on the same inputs, for each reduction."""
    keras_losses = pytest.importorskip("keras").losses
    rng = np.random.default_rng(7)
    logits = rng.normal(size=(6, 4)).astype(np.float32)
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = rng.integers(0, 4, 6)
    onehot = np.eye(4, dtype=np.float32)[labels]
    binary, scores = rng.integers(0, 2, (6, 3)).astype(np.float32), rng.random((6, 3))
    target, guess = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    cases = [("SparseCategoricalCrossentropy", {"from_logits": True}, labels, logits),
             ("CategoricalCrossentropy", {"label_smoothing": 0.1}, onehot, probs),
             ("BinaryCrossentropy", {}, binary, scores),
             ("MeanSquaredError", {}, target, guess), ("MeanAbsoluteError", {}, target, guess),
             ("Huber", {"delta": 0.5}, target, guess),
             ("KLDivergence", {}, probs, np.roll(probs, 1, axis=0))]
    for name, options, y_true, y_pred in cases:
        for reduction in ("sum_over_batch_size", "sum", "none"):
            ours = getattr(losses, name)(reduction=reduction, **options)(y_true, y_pred)
            theirs = getattr(keras_losses, name)(reduction=reduction, **options)(y_true, y_pred)
            np.testing.assert_allclose(np.asarray(ours.data), np.asarray(theirs), rtol=1e-4,
                                       atol=1e-6, err_msg=f"{name} {reduction}")
