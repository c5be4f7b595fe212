"""The reference kernels of dropout, batch and layer normalization and of the fused losses
(tinydl/ops/reference/dropout.py, batch_norm.py, layer_norm.py, losses.py) against central
differences and against the fast kernels; stability of the cross-entropies at ±1e4.

(a) test_grad_reference_norms_losses: each reference op's backward matches central
    differences (tinydl.gradcheck, float64, every element of every input, atol 1e-5 +
    rtol 1e-4);
(b) test_fast_equals_reference: the fast kernel's value and the gradient of every input,
    for the same upstream gradient, equal the reference kernel's (float64 to 1e-12,
    float32 to 1e-6, relatively; in absolute terms that much of the values' size times
    the rounding a computation may amplify: the terms a value sums, a normalization's
    1/√ε; see kernel_helpers.RTOL); dropout draws the same mask;
    batch_norm_with_moments returns the same moments;
(e) the reference cross-entropies stay finite, with finite gradients, at logits of ±1e4
    in float32.

The losses are called through tinydl.losses (functions and Keras objects, with sample
weights, ignore_class, reduction="none"), which hands the fused part to
tinydl/ops/reference/losses.py inside use_kernels("reference").
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinydl.functional as F
from tinydl import Tensor, gradcheck, losses
from tinydl.ops import use_kernels
from tinydl.ops.batch_norm import batch_norm_with_moments
from tinydl.ops.reference import batch_norm as ref_batch_norm
from tinydl.ops.reference import losses as ref_losses
from tinydl.testing import strategies as tst

from kernel_helpers import RTOL, assert_close, assert_kernels_agree_conditioned, values


# -- the cases ---------------------------------------------------------------------------

def dropout_case(data, gradcheck):
    rate, seed = data.draw(st.floats(0.0, 0.9)), data.draw(st.integers(0, 2**32 - 1))
    x = data.draw(values(tst.shapes()))
    return (lambda x: F.dropout(x, rate, training=True, rng=seed)), [x]


def features_shape(data):
    """(N, C) or (N, H, W, C) with at least 2 values per feature."""
    n = data.draw(st.integers(2, 4))
    spatial = data.draw(st.sampled_from([(), (2, 3), (1, 2)]))
    return (n,) + spatial + (data.draw(st.integers(1, 3)),)


def amplification(x, epsilon):
    """How much a normalization may amplify a rounding error: x̂ = (x - μ)/√(σ² + ε)
    divides x - μ, whose rounding error is of the order of |x|, by as little as √ε (a
    group of nearly equal values), so the two kernels' x̂ may differ by max|x|/√ε roundings
    (kernel_helpers.RTOL)."""
    return max(1.0, float(np.abs(x).max())) / np.sqrt(epsilon)


def batch_norm_case(data, gradcheck):
    shape = features_shape(data)
    c = shape[-1]
    x, gamma, beta = (data.draw(values(s)) for s in (shape, (c,), (c,)))
    epsilon = data.draw(st.sampled_from([1e-3, 0.1]))
    return ((lambda x, g, b: F.batch_norm(x, g, b, epsilon)), [x, gamma, beta],
            amplification(x, epsilon))


def batch_norm_inference_case(data, gradcheck):
    shape = features_shape(data)
    c = (shape[-1],)
    x, mean, variance, gamma, beta = arrays = [
        data.draw(values(shape)), data.draw(values(c)), data.draw(values(c, 0.1, 3.0)),
        data.draw(values(c)), data.draw(values(c))]
    # the variance's gradient -γ(x - μ)/(2 s³) is the other terms times (x - μ)/s²
    amplification = max(1.0, float(np.abs(x - mean).max())) / (variance.min() + 1e-3)
    return ((lambda x, m, v, g, b: F.batch_norm_inference(x, m, v, g, b, 1e-3)), arrays,
            amplification)


def layer_norm_case(data, gradcheck):
    shape = data.draw(tst.shapes(min_dims=1, max_dims=3, max_side=3))
    axes = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1,
                              max_size=len(shape), unique_by=lambda a: a % len(shape)))
    param = tuple(shape[a % len(shape)] for a in sorted(a % len(shape) for a in axes))
    arrays = [data.draw(values(shape)), data.draw(values(param)), data.draw(values(param))]
    return ((lambda x, g, b: F.layer_norm(x, g, b, axis=axes)), arrays,
            amplification(arrays[0], 1e-3))


def weights(data, positions):
    """None, one weight per sample or one per position, in [0, 2]."""
    kind = data.draw(st.sampled_from(["none", "sample", "position"]))
    if kind == "none" or not positions:
        return None
    return data.draw(values(positions[:1] if kind == "sample" else positions, 0.0, 2.0))


def binary_crossentropy_case(data, gradcheck):
    shape = data.draw(tst.shapes(min_dims=1, max_dims=3))
    z = data.draw(values(shape, -8.0, 8.0, special=(0.0,)))
    y = data.draw(values(shape, 0.0, 1.0, special=(0.0, 1.0)))
    w = weights(data, shape if len(shape) <= 1 else shape[:-1])
    if data.draw(st.booleans()):
        return (lambda z, y: losses.binary_crossentropy(y, z, from_logits=True,
                                                        sample_weight=w)), [z, y]
    per_position = losses.BinaryCrossentropy(from_logits=True, reduction="none")
    return (lambda z, y: per_position(y, z, sample_weight=w)), [z, y]


def categorical_crossentropy_case(data, gradcheck):
    shape = data.draw(tst.shapes(min_dims=1, max_dims=3))
    z = data.draw(values(shape, -8.0, 8.0))
    y = data.draw(values(shape, 0.0, 1.0))       # soft targets; one-hot is a special case
    w = weights(data, shape[:-1])
    if data.draw(st.booleans()):
        return (lambda z, y: losses.categorical_crossentropy(y, z, from_logits=True,
                                                             sample_weight=w)), [z, y]
    per_position = losses.CategoricalCrossentropy(from_logits=True, reduction="none")
    return (lambda z, y: per_position(y, z, sample_weight=w)), [z, y]


def sparse_crossentropy_case(data, gradcheck):
    shape = data.draw(tst.shapes(min_dims=1, max_dims=3))
    k = shape[-1]
    z = data.draw(values(shape, -8.0, 8.0))
    ignore = data.draw(st.sampled_from([None, -1]))
    labels = np.array(data.draw(st.lists(st.integers(-1 if ignore else 0, k - 1),
                                         min_size=int(np.prod(shape[:-1])),
                                         max_size=int(np.prod(shape[:-1]))))).reshape(shape[:-1])
    w = weights(data, shape[:-1])
    if data.draw(st.booleans()):
        return (lambda z: losses.sparse_categorical_crossentropy(
            labels, z, from_logits=True, ignore_class=ignore, sample_weight=w)), [z]
    reduction = data.draw(st.sampled_from(["none", "sum"]))
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=ignore,
                                                reduction=reduction)
    return (lambda z: loss(labels, z, sample_weight=w)), [z]


def dice_case(data, gradcheck):
    shape = data.draw(tst.shapes(min_dims=1, max_dims=3))
    k = shape[-1]
    if data.draw(st.booleans()):
        targets = data.draw(values(shape, 0.0, 1.0))
    else:
        size = int(np.prod(shape[:-1]))
        targets = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=size,
                                              max_size=size))).reshape(shape[:-1])
    from_logits = data.draw(st.booleans())
    p = data.draw(values(shape, -4.0, 4.0) if from_logits else values(shape, 0.05, 1.0))
    ignore = data.draw(st.sampled_from([(), (0,)])) if k > 1 else ()
    smooth = data.draw(st.sampled_from([1.0, 0.5]))
    w = weights(data, shape[:-1])
    return (lambda p: losses.dice(targets, p, from_logits=from_logits, smooth=smooth,
                                  ignore_classes=ignore, sample_weight=w)), [p]


CASES = {
    "dropout": dropout_case, "batch_norm": batch_norm_case,
    "batch_norm_inference": batch_norm_inference_case, "layer_norm": layer_norm_case,
    "binary_crossentropy": binary_crossentropy_case,
    "categorical_crossentropy": categorical_crossentropy_case,
    "sparse_categorical_crossentropy": sparse_crossentropy_case, "dice": dice_case,
}


# -- (a) the reference kernels against central differences ---------------------------------

@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=15)
@given(data=st.data())
def test_grad_reference_norms_losses(name, data):
    fn, arrays, *_ = CASES[name](data, gradcheck=True)
    with use_kernels("reference"):
        gradcheck(fn, *arrays)


# -- (b) fast equals reference ---------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=15)
@given(data=st.data())
def test_fast_equals_reference(name, dtype, data):
    fn, arrays, *amplification = CASES[name](data, gradcheck=False)   # the norms give one
    assert_kernels_agree_conditioned(fn, arrays, dtype, *amplification)


@given(st.integers(0, 2**32 - 1), st.floats(0.05, 0.95))
def test_dropout_draws_the_same_mask_on_both_kernels(seed, rate):
    x = np.ones((7, 5))
    masks = []
    for kernels in ("fast", "reference"):
        with use_kernels(kernels):
            masks.append(F.dropout(x, rate, rng=np.random.default_rng(seed)).data != 0)
    np.testing.assert_array_equal(masks[0], masks[1])
    # and the mask is the generator's first draw, u ≥ rate: both kernels read it the same way
    np.testing.assert_array_equal(masks[1], np.random.default_rng(seed).random(x.shape) >= rate)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=15)
@given(data=st.data())
def test_batch_norm_with_moments_returns_the_same_moments(dtype, data):
    shape = features_shape(data)
    x = data.draw(values(shape)).astype(dtype)
    gamma, beta = np.ones(shape[-1], dtype), np.zeros(shape[-1], dtype)
    _, fast_mean, fast_var = batch_norm_with_moments(x, gamma, beta)
    _, ref_mean, ref_var = ref_batch_norm.batch_norm_with_moments(x, gamma, beta)
    assert ref_mean.dtype == fast_mean.dtype and ref_var.dtype == fast_var.dtype
    assert_close(ref_mean, fast_mean, RTOL[np.dtype(dtype)], "mean")
    assert_close(ref_var, fast_var, RTOL[np.dtype(dtype)], "variance")
    assert_close(ref_var, x.astype(np.float64).reshape(-1, shape[-1]).var(axis=0),
                 RTOL[np.dtype(dtype)], "variance against NumPy's")


def test_batch_norm_refuses_one_value_per_feature_on_both_kernels():
    messages = []
    for kernels in ("fast", "reference"):
        with use_kernels(kernels), pytest.raises(ValueError, match="only 1 value") as caught:
            F.batch_norm(np.ones((1, 3)), np.ones(3), np.zeros(3))
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


# -- (e) stability of the cross-entropies at ±1e4 ---------------------------------------------

def test_reference_crossentropies_are_finite_at_plus_minus_1e4():
    z = np.array([[-1e4, 0.0, 1e4], [1e4, 1e4, -1e4]], dtype=np.float32)
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    labels = np.array([0, 1])
    weight = np.ones((2, 1), dtype=np.float32)
    calls = {
        "binary": lambda z: ref_losses.binary_crossentropy_from_logits(z, Tensor(y)),
        "binary, per element": lambda z: ref_losses.binary_crossentropy_from_logits(
            z, Tensor(y), weight=weight, reduce=False),
        "categorical": lambda z: ref_losses.categorical_crossentropy_from_logits(z, Tensor(y)),
        "sparse": lambda z: ref_losses.sparse_categorical_crossentropy_from_logits(
            z, labels, np.full(2, 0.5, dtype=np.float32)),
    }
    values_ = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # an overflow in exp would warn
        for name, call in calls.items():
            zt = Tensor(z, requires_grad=True)
            loss = call(zt)
            loss.backward(np.ones(loss.shape, dtype=np.float32))
            assert loss.dtype == np.float32 and np.all(np.isfinite(loss.data)), name
            assert np.all(np.isfinite(zt.grad)), name
            values_[name] = loss.data
    # ℓ = max(z, 0) - z·y + log(1 + e^{-|z|}): 1e4 where a 1e4 logit is wrong, else 0 or log 2
    np.testing.assert_allclose(values_["binary, per element"],
                               [[1e4, np.log(2), 1e4], [1e4, 0.0, 0.0]], rtol=1e-6)
    # -log softmax at the label: 2e4 (row 0, label 0 at -1e4), log 2 (row 1, a tie of two)
    np.testing.assert_allclose(values_["categorical"], (2e4 + np.log(2)) / 2, rtol=1e-6)
    np.testing.assert_allclose(values_["sparse"], (2e4 + np.log(2)) / 2, rtol=1e-6)
