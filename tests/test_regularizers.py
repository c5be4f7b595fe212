"""Tests of tinydl.regularizers and kernel_regularizer: penalties computed by hand, their
gradients checked numerically, and one SGD step of a regularized model worked out by
hand (the kernel moves by lr·(data gradient + penalty gradient); the reported loss and
evaluate include the penalty, as in Keras)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinydl import Tensor, gradcheck, regularizers
from tinydl.layers import Conv2D, Dense
from tinydl.models import Sequential
from tinydl.optimizers import SGD
from tinydl.regularizers import L1, L1L2, L2, l1, l1_l2, l2
from tinydl.testing import strategies as tst

W = np.array([[0.5, -1.0], [2.0, 0.25]])


def test_penalties_by_hand():
    w = Tensor(W)
    # Σ|W| = 0.5 + 1 + 2 + 0.25 = 3.75;  Σ W² = 0.25 + 1 + 4 + 0.0625 = 5.3125
    assert float(L1(0.1)(w).data) == pytest.approx(0.375)
    assert float(L2(0.1)(w).data) == pytest.approx(0.53125)          # no 1/2, as in Keras
    assert float(L1L2(0.1, 0.01)(w).data) == pytest.approx(0.375 + 0.053125)
    assert L2(0.1)(w).shape == ()


def test_gradients_by_hand():
    w = Tensor(W, requires_grad=True)
    L1L2(0.1, 0.01)(w).backward()
    np.testing.assert_allclose(w.grad, 0.1 * np.sign(W) + 2 * 0.01 * W)   # l1·sign + 2·l2·W


def test_keras_defaults_get_and_errors():
    assert l1().l1 == 0.01 and l2().l2 == 0.01
    assert l1_l2().get_config() == {"l1": 0.01, "l2": 0.01}
    assert L1L2().get_config() == {"l1": 0.0, "l2": 0.0}       # Keras' class defaults
    assert isinstance(regularizers.get("l1"), L1) and isinstance(regularizers.get("l2"), L2)
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}
    reg = l2(0.5)
    assert regularizers.get(reg) is reg and regularizers.get(None) is None
    assert L2.from_config(reg.get_config()).l2 == 0.5
    with pytest.raises(ValueError, match="unknown regularizer 'l3'"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="l2 must be a finite number >= 0"):
        l2(-1.0)
    with pytest.raises(TypeError):
        regularizers.get(3)


# -- gradients (|w| has a kink at 0: values are kept away from it) --------------------------

@given(tst.arrays(tst.shapes(), away_from=(0.0,)), st.floats(0.0, 2.0))
def test_grad_l1(w, factor):
    gradcheck(lambda x: L1(factor)(x), w)


@given(tst.arrays(tst.shapes()), st.floats(0.0, 2.0))
def test_grad_l2(w, factor):
    gradcheck(lambda x: L2(factor)(x), w)


@given(tst.arrays(tst.shapes(), away_from=(0.0,)), st.floats(0.0, 2.0), st.floats(0.0, 2.0))
def test_grad_l1_l2(w, a, b):
    gradcheck(lambda x: L1L2(a, b)(x), w)


# -- in layers and models ----------------------------------------------------------------

def dense_model(regularizer):
    model = Sequential([Dense(2, use_bias=False, kernel_regularizer=regularizer,
                              input_shape=(2,))], dtype="float64")
    model.layers[0].kernel.data[...] = W
    model.compile(optimizer=SGD(learning_rate=0.1), loss="mse")
    return model


def test_model_losses_lists_current_penalties():
    model = dense_model(l2(0.1))
    assert len(model.losses) == 1
    assert float(model.losses[0].data) == pytest.approx(0.53125)
    model.layers[0].kernel.data[...] = 2 * W                     # recomputed at each access
    assert float(model.losses[0].data) == pytest.approx(4 * 0.53125)
    assert Sequential([Dense(2, input_shape=(3,))]).losses == []
    conv = Sequential([Conv2D(2, 3, kernel_regularizer="l1", input_shape=(5, 5, 1))])
    kernel = conv.layers[0].kernel.data
    assert float(conv.losses[0].data) == pytest.approx(0.01 * np.abs(kernel).sum(), rel=1e-6)


def test_one_sgd_step_by_hand():
    # x = [1, 2], y = [0, 1], ŷ = xW = [4.5, -0.5]; mse = ((4.5)² + (1.5)²)/2 = 11.25
    # ∂mse/∂ŷ = (ŷ - y)·2/2 = [4.5, -1.5];  ∂mse/∂W = xᵀ(ŷ - y) = [[4.5, -1.5], [9, -3]]
    # penalty 0.1·ΣW² = 0.53125, its gradient 0.2·W = [[0.1, -0.2], [0.4, 0.05]]
    x, y = np.array([[1.0, 2.0]]), np.array([[0.0, 1.0]])
    model = dense_model(l2(0.1))
    history = model.fit(x, y, batch_size=1, epochs=1, verbose=0, shuffle=False)
    data_grad = np.array([[4.5, -1.5], [9.0, -3.0]])
    expected = W - 0.1 * (data_grad + 0.2 * W)                   # [[0.04, -0.83], [1.06, 0.545]]
    np.testing.assert_allclose(model.layers[0].kernel.data, expected, rtol=1e-12)
    np.testing.assert_allclose(expected, [[0.04, -0.83], [1.06, 0.545]], rtol=1e-12)
    assert history.history["loss"] == [pytest.approx(11.25 + 0.53125)]  # penalty reported
    # evaluate (and val_loss) include the penalty of the new kernel, as in Keras
    mse = np.mean((x @ expected - y) ** 2)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(mse + 0.1 * np.sum(expected ** 2))


def test_l1_and_l2_on_two_layers_add_up():
    model = Sequential([Dense(3, kernel_regularizer=l1(0.2), input_shape=(2,)),
                        Dense(1, kernel_regularizer=l1_l2(0.1, 0.3))], dtype="float64")
    k1, k2 = model.layers[0].kernel.data, model.layers[1].kernel.data
    total = sum(float(p.data) for p in model.losses)
    assert total == pytest.approx(0.2 * np.abs(k1).sum() + 0.1 * np.abs(k2).sum()
                                  + 0.3 * np.sum(k2 ** 2))
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 2)), np.zeros((4, 1))
    with_penalty = model.evaluate(x, y, verbose=0)
    assert with_penalty == pytest.approx(np.mean(model.predict(x) ** 2) + total)


def test_layer_config_keeps_the_regularizer():
    reg = l2(0.3)
    layer = Dense(4, kernel_regularizer=reg)
    assert layer.get_config()["kernel_regularizer"] is reg
    assert Dense.from_config(layer.get_config()).kernel_regularizer is reg
