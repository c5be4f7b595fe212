"""conv2d → ReLU → tiling max pooling as one op (tinydl/ops/fused.py) computes what the three
ops compute, values and gradients; `Model` runs it for exactly the pairs of layers it may
(tinydl/models/fusion.py), and a model trains the same with and without it."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinydl
import tinydl.functional as F
from tinydl import Tensor, gradcheck
from tinydl.ops.fused import Conv2dReluMaxPoolOp
from tinydl.layers import (Concatenate, Conv2D, Conv2DTranspose, Dense, Flatten, Input,
                           MaxPooling2D)
from tinydl.models import Model, Sequential, fusion
from tinydl.testing import strategies as tst

from conv_helpers import pieces_of

MARGIN = 1e-3    # central differences move values by ~1e-6 (eps) times a few weights


def separate(x, w, b, g, pool):
    return F.max_pool2d(F.relu(F.conv2d(x, w, b, strides=g.strides, padding=g.padding,
                                        dilation_rate=g.dilation)), pool)


def steered(z, pool):
    """True when every pre-activation is at least MARGIN from the ReLU's kink at 0 and
    every pooling window's largest value leads the next one by MARGIN (a tie has no
    derivative): z is the convolution's output (N, Ho, Wo, C)."""
    ph, pw = pool
    n, ho, wo, c = z.shape
    hp, wp = ho // ph, wo // pw
    windows = (z[:, :hp * ph, :wp * pw].reshape(n, hp, ph, wp, pw, c)
               .transpose(0, 1, 3, 5, 2, 4).reshape(-1, ph * pw))
    top = np.sort(windows, axis=1)
    gaps = top[:, -1] - top[:, -2] if ph * pw > 1 else np.full(len(top), np.inf)
    return np.abs(z).min() > MARGIN and gaps.min() > MARGIN


@given(tst.conv_geometries(max_batch=3, max_size=7, max_dilation=2), st.booleans(), st.data())
def test_grad_conv2d_relu_max_pool(g, keep, data):
    # values equal to the three ops; gradients by central differences (float64, every
    # element, gradcheck's atol 1e-5 + rtol 1e-4), kinks steered around (distinct inputs
    # and kernel values make ties rare; `steered` rejects the rest); pieces of one sample
    # each, the patches kept from the forward pass or built again
    x = data.draw(tst.distinct_arrays(g.x_shape))
    w = data.draw(tst.distinct_arrays(g.w_shape, gap=0.1))
    b = data.draw(tst.arrays((g.c_out,)))
    kwargs = dict(strides=g.strides, padding=g.padding, dilation_rate=g.dilation)
    z = F.conv2d(x, w, b, **kwargs).data
    pool = (data.draw(st.integers(1, min(3, z.shape[1]))),
            data.draw(st.integers(1, min(3, z.shape[2]))))
    assume(steered(z, pool) and steered(F.conv2d(x, w, **kwargs).data, pool))
    with pieces_of(1, keep):
        fused = F.conv2d_relu_max_pool(x, w, b, pool_size=pool, **kwargs)
        np.testing.assert_allclose(fused.data, separate(x, w, b, g, pool).data,
                                   rtol=1e-12, atol=1e-12)
        gradcheck(lambda x, w, b: F.conv2d_relu_max_pool(x, w, b, pool_size=pool, **kwargs),
                  x, w, b)
        # the first layer of a network: no input gradient; and no bias
        gradcheck(lambda w: F.conv2d_relu_max_pool(Tensor(x), w, pool_size=pool, **kwargs), w)


@pytest.mark.parametrize("needs", [(True, True, True), (False, True, True),
                                   (True, False, False), (False, False, True)])
def test_only_the_gradients_asked_for(needs):
    # each combination of inputs needing a gradient gives exactly those, equal to the
    # three separate ops' (float32, a batch of several pieces)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((9, 12, 11, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 8)).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    u = rng.standard_normal((9, 6, 3, 8)).astype(np.float32)
    grads = []
    for fn in (lambda *t: F.conv2d_relu_max_pool(*t, padding="same", strides=(1, 1),
                                                 pool_size=(2, 3)),
               lambda *t: F.max_pool2d(F.relu(F.conv2d(*t, padding="same")), (2, 3))):
        ts = [Tensor(a, requires_grad=r) for a, r in zip((x, w, b), needs)]
        with pieces_of(20_000):
            y = fn(*ts)
            (y * Tensor(u)).sum().backward()
        assert y.shape == (9, 6, 3, 8)
        grads.append([t.grad for t in ts])
    for got, want, needed in zip(*grads, needs):
        assert (got is None) == (not needed)
        if needed:
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_bad_input_names_the_op():
    x, w = np.zeros((2, 4, 4, 1)), np.zeros((3, 3, 1, 2))
    with pytest.raises(ValueError, match=r"conv2d_relu_max_pool: the 3×3 pooling window is "
                                         r"larger than the convolution's output \(2×2\)"):
        F.conv2d_relu_max_pool(x, w, pool_size=3)
    with pytest.raises(ValueError, match=r"conv2d_relu_max_pool: bias must have shape \(2,\)"):
        F.conv2d_relu_max_pool(x, w, np.zeros(3))
    with pytest.raises(ValueError, match=r"conv2d_relu_max_pool: x has 4 channels"):
        F.conv2d_relu_max_pool(np.zeros((2, 1, 4, 4)), w)


# -- the pairs a Model fuses ---------------------------------------------------------------

def fused_ops(model, x):
    """The types of the ops that made the model's output, walking back through the graph."""
    seen, stack, kinds = set(), [model(Tensor(x))], set()
    while stack:
        t = stack.pop()
        if id(t) in seen or t._fn is None:
            continue
        seen.add(id(t))
        kinds.add(type(t._fn).__name__)
        stack.extend(t._fn.inputs)
    return kinds


def test_a_sequential_cnn_fuses_both_blocks():
    model = Sequential([Input((12, 12, 1)), Conv2D(4, 3, activation="relu"), MaxPooling2D(),
                        Conv2D(4, 3, activation="relu"), MaxPooling2D(), Flatten(), Dense(3)])
    x = np.random.default_rng(0).random((2, 12, 12, 1), dtype=np.float32)
    assert len(model._fused) == 2
    kinds = fused_ops(model, x)
    assert "Conv2dReluMaxPoolOp" in kinds and "MaxPool2dOp" not in kinds and "Conv2dOp" not in kinds


@pytest.mark.parametrize("case", ["skip", "output", "strides", "same", "activation",
                                  "transpose"])
def test_pairs_that_must_not_be_fused(case):
    inputs = Input((8, 8, 2))
    if case == "transpose":
        c = Conv2DTranspose(3, 3, activation="relu")(inputs)
    else:
        c = Conv2D(3, 3, padding="same", activation="tanh" if case == "activation" else "relu")(inputs)
    pool = MaxPooling2D(strides=1 if case == "strides" else None,
                        padding="same" if case == "same" else "valid")(c)
    if case == "skip":                        # the conv's output also feeds a second layer
        pool = Concatenate()([pool, MaxPooling2D()(c)])
    model = Model(inputs, [pool, c] if case == "output" else pool)
    assert model._fused == {}
    x = np.random.default_rng(1).random((2, 8, 8, 2), dtype=np.float32)
    out = model(Tensor(x))
    first = out[0] if isinstance(out, list) else out
    assert not isinstance(first._fn, Conv2dReluMaxPoolOp)


def lenet(seed):
    tinydl.utils.set_random_seed(seed)
    model = Sequential([Input((14, 14, 1)), Conv2D(6, 3, activation="relu"), MaxPooling2D(),
                        Conv2D(8, 3, activation="relu"), MaxPooling2D(), Flatten(),
                        Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_training_is_the_same_with_and_without_fusion(monkeypatch):
    # the same seed, data and steps: the weights after two epochs agree to float32
    # rounding (the products are summed in other pieces), and the fused run really fused
    rng = np.random.default_rng(5)
    x = rng.random((96, 14, 14, 1), dtype=np.float32)
    y = rng.integers(0, 10, 96)
    weights = []
    for enabled in (True, False):
        monkeypatch.setattr(fusion, "ENABLED", enabled)
        model = lenet(7)
        assert ("Conv2dReluMaxPoolOp" in fused_ops(model, x[:2])) == enabled
        history = model.fit(x, y, batch_size=32, epochs=2, verbose=0, shuffle=False)
        weights.append(model.get_weights())
        assert np.isfinite(history.history["loss"]).all()
    for got, want in zip(*weights):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert not all(np.array_equal(w, v) for w, v in zip(weights[0], lenet(7).get_weights()))
