"""Tests of Adagrad, Adadelta, AdamW and Nadam: a few steps against each published
(Keras 3) rule written out literally in plain Python floats; against torch.optim where
the formula is the same (only when torch is importable); state round trip, get(),
and validation of every hyper-parameter's type and range."""
import math

import numpy as np
import pytest

from tinydl import Tensor, optimizers
from tinydl.optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, Nadam, RMSprop

import test_optimizers

THETA0 = [1.0, -0.5, 2.0]
GRADS = [[0.3, -1.2, 2.0], [0.1, 0.4, -3.0], [-0.7, 0.0, 1.5], [0.2, -0.3, 0.5]]


def run(opt, grads=GRADS, theta0=THETA0):
    p = Tensor(np.array(theta0), requires_grad=True)
    for g in grads:
        p.grad = np.array(g)
        opt.step([p])
    return p.data


# -- the rules, one number at a time -------------------------------------------------------

def adagrad_literal(lr, init, eps):
    out = []
    for i, theta in enumerate(THETA0):
        a = init
        for g in (step[i] for step in GRADS):
            a = a + g * g
            theta = theta - lr * g / math.sqrt(a + eps)
        out.append(theta)
    return out


def adadelta_literal(lr, rho, eps):
    out = []
    for i, theta in enumerate(THETA0):
        eg2 = ed2 = 0.0
        for g in (step[i] for step in GRADS):
            eg2 = rho * eg2 + (1 - rho) * g * g
            delta = -math.sqrt(ed2 + eps) / math.sqrt(eg2 + eps) * g
            ed2 = rho * ed2 + (1 - rho) * delta * delta
            theta = theta + lr * delta
        out.append(theta)
    return out


def adamw_literal(lr, wd, b1, b2, eps):
    out = []
    for i, theta in enumerate(THETA0):
        m = v = 0.0
        for t, g in enumerate((step[i] for step in GRADS), start=1):
            theta = theta - lr * wd * theta
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            theta = theta - lr * (m / (1 - b1 ** t)) / (math.sqrt(v / (1 - b2 ** t)) + eps)
        out.append(theta)
    return out


def nadam_literal(lr, b1, b2, eps):
    out = []
    for i, theta in enumerate(THETA0):
        m = v = 0.0
        u_product = 1.0
        for t, g in enumerate((step[i] for step in GRADS), start=1):
            u_t = b1 * (1 - 0.5 * 0.96 ** t)
            u_next = b1 * (1 - 0.5 * 0.96 ** (t + 1))
            u_product = u_product * u_t
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
            v_hat = v / (1 - b2 ** t)
            theta = theta - lr * m_hat / (math.sqrt(v_hat) + eps)
        out.append(theta)
    return out


def test_adagrad_steps_by_the_rule():
    np.testing.assert_allclose(run(Adagrad(0.1, initial_accumulator_value=0.2, epsilon=1e-3)),
                               adagrad_literal(0.1, 0.2, 1e-3), rtol=1e-13)
    # first step by hand: a = 0.1 + 0.09, θ = 1 - 0.001·0.3/√(0.19 + 1e-7)
    p = Tensor(np.array([1.0]), requires_grad=True)
    p.grad = np.array([0.3])
    Adagrad().step([p])
    assert p.data[0] == pytest.approx(1 - 0.001 * 0.3 / math.sqrt(0.19 + 1e-7), rel=1e-14)


def test_adadelta_steps_by_the_rule():
    np.testing.assert_allclose(run(Adadelta(1.0, rho=0.8, epsilon=1e-4)),
                               adadelta_literal(1.0, 0.8, 1e-4), rtol=1e-13)
    np.testing.assert_allclose(run(Adadelta()), adadelta_literal(0.001, 0.95, 1e-7), rtol=1e-13)


def test_adamw_steps_by_the_rule():
    np.testing.assert_allclose(run(AdamW(0.05, weight_decay=0.1, beta_1=0.8, beta_2=0.99,
                                         epsilon=1e-3)),
                               adamw_literal(0.05, 0.1, 0.8, 0.99, 1e-3), rtol=1e-12)


def test_adamw_without_decay_is_adam_and_decay_is_decoupled():
    np.testing.assert_array_equal(run(AdamW(0.01, weight_decay=0.0)), run(Adam(0.01)))
    # a zero gradient: Adam does not move; AdamW shrinks θ by (1 - αλ) every step
    zero = [[0.0, 0.0, 0.0]] * 3
    np.testing.assert_allclose(run(AdamW(0.1, weight_decay=0.5), grads=zero),
                               np.array(THETA0) * (1 - 0.05) ** 3, rtol=1e-14)


def test_nadam_steps_by_the_rule():
    np.testing.assert_allclose(run(Nadam(0.05, beta_1=0.8, beta_2=0.99, epsilon=1e-3)),
                               nadam_literal(0.05, 0.8, 0.99, 1e-3), rtol=1e-12)
    np.testing.assert_allclose(run(Nadam()), nadam_literal(0.001, 0.9, 0.999, 1e-7), rtol=1e-12)


def test_keras_defaults():
    assert Adagrad().get_config() == {"learning_rate": 0.001, "initial_accumulator_value": 0.1,
                                      "epsilon": 1e-7}
    assert Adadelta().get_config() == {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7}
    assert AdamW().get_config() == {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999,
                                    "epsilon": 1e-7, "weight_decay": 0.004}
    assert Nadam().get_config() == {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999,
                                    "epsilon": 1e-7}
    for cls in (Adagrad, Adadelta, AdamW, Nadam):
        assert cls(lr=0.5).learning_rate == 0.5
        config = cls(lr=0.02).get_config()
        assert cls.from_config(config).get_config() == config


def test_get_by_name():
    for name, cls in [("adagrad", Adagrad), ("adadelta", Adadelta), ("adamw", AdamW),
                      ("nadam", Nadam)]:
        assert type(optimizers.get(name)) is cls


@pytest.mark.parametrize("make", [lambda: Adagrad(0.1), lambda: Adadelta(1.0),
                                  lambda: AdamW(0.01, weight_decay=0.1), lambda: Nadam(0.01)],
                         ids=["adagrad", "adadelta", "adamw", "nadam"])
def test_state_dict_round_trip(make, tmp_path):
    test_optimizers.test_state_dict_round_trip_gives_a_bit_identical_next_step(make, tmp_path)


@pytest.mark.parametrize("make", [Adagrad, Adadelta, AdamW, Nadam])
def test_in_place_float32(make):
    p = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    p.grad = np.array([0.5, -0.5])
    before = p.data
    make().step([p])
    assert p.data is before and p.data.dtype == np.float32 and not np.all(p.data == [1, 2])


# -- against torch.optim, where the formula is the same -------------------------------------

def torch_run(make_torch, grads=GRADS):
    torch = pytest.importorskip("torch")
    # torch keeps scalar optimizer state (NAdam's μ product, step counts) in the default
    # dtype, float32 unless changed: that alone moves NAdam's result by ~1e-9 relative
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        p = torch.nn.Parameter(torch.tensor(THETA0, dtype=torch.float64))
        opt = make_torch(torch, [p])
        for g in grads:
            p.grad = torch.tensor(g, dtype=torch.float64)
            opt.step()
        return p.detach().numpy()
    finally:
        torch.set_default_dtype(previous)


def test_against_torch_adadelta():
    expected = torch_run(lambda torch, ps: torch.optim.Adadelta(ps, lr=0.5, rho=0.8, eps=1e-4))
    np.testing.assert_allclose(run(Adadelta(0.5, rho=0.8, epsilon=1e-4)), expected, rtol=1e-12)


def test_against_torch_adamw():
    expected = torch_run(lambda torch, ps: torch.optim.AdamW(
        ps, lr=0.05, betas=(0.8, 0.99), eps=1e-3, weight_decay=0.1))
    np.testing.assert_allclose(run(AdamW(0.05, 0.1, 0.8, 0.99, 1e-3)), expected, rtol=1e-12)


def test_against_torch_nadam():
    # torch's μ_t = β1·(1 - 0.5·0.96^(t·ψ)): Keras' schedule is ψ = momentum_decay = 1
    expected = torch_run(lambda torch, ps: torch.optim.NAdam(
        ps, lr=0.05, betas=(0.8, 0.99), eps=1e-3, momentum_decay=1.0))
    np.testing.assert_allclose(run(Nadam(0.05, 0.8, 0.99, 1e-3)), expected, rtol=1e-12)


def test_against_torch_adagrad():
    # torch divides by √a + ε, Keras by √(a + ε): with ε = 1e-12 and a ≥ 0.1 the two
    # differ by < 1e-11 relative, far below the tolerance
    expected = torch_run(lambda torch, ps: torch.optim.Adagrad(
        ps, lr=0.1, initial_accumulator_value=0.1, eps=1e-12))
    np.testing.assert_allclose(run(Adagrad(0.1, 0.1, epsilon=1e-12)), expected, rtol=1e-10)


# -- hyper-parameter validation ---------------------------------------------------------------

ALL = [SGD, Adam, RMSprop, Adagrad, Adadelta, AdamW, Nadam]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
@pytest.mark.parametrize("bad, error", [("0.001", TypeError), (True, TypeError),
                                        ([0.001], TypeError), (float("nan"), ValueError),
                                        (float("inf"), ValueError), (-0.1, ValueError),
                                        (0, ValueError)])
def test_learning_rate_must_be_a_positive_real_number(cls, bad, error):
    with pytest.raises(error, match=rf"^{cls.__name__}: learning_rate must be"):
        cls(learning_rate=bad)
    with pytest.raises(error, match=rf"^{cls.__name__}: learning_rate must be"):
        cls(lr=bad)


def test_the_confusing_string_case_is_named():
    with pytest.raises(TypeError, match=r"Adam: learning_rate must be a real number > 0, got "
                                        r"str '0.001'"):
        Adam(learning_rate="0.001")
    assert Adam(learning_rate=np.float32(0.01)).learning_rate == pytest.approx(0.01)
    assert SGD(learning_rate=1).learning_rate == 1.0


@pytest.mark.parametrize("make, error, message", [
    (lambda: Adam(beta_1=None), TypeError, "Adam: beta_1 must be a real number"),
    (lambda: Adam(epsilon="1e-7"), TypeError, "Adam: epsilon must be a real number"),
    (lambda: SGD(momentum=True), TypeError, "SGD: momentum must be a real number"),
    (lambda: RMSprop(rho=None), TypeError, "RMSprop: rho"),
    (lambda: Adagrad(initial_accumulator_value=-1.0), ValueError,
     r"Adagrad: initial_accumulator_value must be >= 0, got -1.0"),
    (lambda: Adagrad(epsilon=0.0), ValueError, "Adagrad: epsilon must be > 0"),
    (lambda: Adadelta(rho=1.0), ValueError, r"Adadelta: rho must be in \[0, 1\)"),
    (lambda: Adadelta(epsilon=None), TypeError, "Adadelta: epsilon"),
    (lambda: AdamW(weight_decay=None), TypeError, "AdamW: weight_decay must be a real number"),
    (lambda: AdamW(weight_decay=-0.1), ValueError, "AdamW: weight_decay must be >= 0"),
    (lambda: AdamW(beta_2=1.0), ValueError, "AdamW: beta_2"),
    (lambda: Nadam(beta_1=float("nan")), ValueError, "Nadam: beta_1"),
    (lambda: Nadam(epsilon=-1.0), ValueError, "Nadam: epsilon must be > 0"),
])
def test_other_hyper_parameters(make, error, message):
    with pytest.raises(error, match=message):
        make()
