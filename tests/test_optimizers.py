"""Tests of tinydl.optimizers: steps computed by hand from the published rules,
convergence on a quadratic, in-place float32 updates, options, errors, state round trip."""
import math

import numpy as np
import pytest

from tinydl import Tensor, optimizers
from tinydl.optimizers import SGD, Adam


def param(values, grad=None, dtype=np.float64):
    p = Tensor(np.array(values, dtype=dtype), requires_grad=True)
    p.grad = None if grad is None else np.array(grad, dtype=dtype)
    return p


# -- SGD, by hand -----------------------------------------------------------------------

def test_plain_sgd_is_the_article_rule():
    p = param([1.0, -2.0], [0.5, -4.0])
    SGD(learning_rate=0.1).step([p])
    np.testing.assert_allclose(p.data, [1.0 - 0.1 * 0.5, -2.0 - 0.1 * -4.0])   # θ - α·g


GRADS = [[1.0, -2.0], [0.5, 0.5], [-1.0, 3.0]]   # three fixed gradients


def test_momentum_three_steps_by_hand():
    # α = 0.1, μ = 0.9, θ0 = [1, 1]; v ← μv - αg; θ ← θ + v
    v1 = [-0.1 * 1.0, -0.1 * -2.0]                              # [-0.1, 0.2]
    v2 = [0.9 * v1[0] - 0.1 * 0.5, 0.9 * v1[1] - 0.1 * 0.5]     # [-0.14, 0.13]
    v3 = [0.9 * v2[0] - 0.1 * -1.0, 0.9 * v2[1] - 0.1 * 3.0]    # [-0.026, -0.183]
    expected = [1 + v1[0] + v2[0] + v3[0], 1 + v1[1] + v2[1] + v3[1]]   # [0.734, 1.147]
    opt, p = SGD(learning_rate=0.1, momentum=0.9), param([1.0, 1.0])
    for g in GRADS:
        p.grad = np.array(g)
        opt.step([p])
    np.testing.assert_allclose(p.data, expected, rtol=1e-12)
    np.testing.assert_allclose(p.data, [0.734, 1.147], rtol=1e-12)
    np.testing.assert_allclose(opt.state[p]["velocity"], v3, rtol=1e-12)
    assert opt.iterations == 3


def test_nesterov_three_steps_by_hand():
    # v ← μv - αg; θ ← θ + μv - αg   (same v as above)
    v1, v2, v3 = [-0.1, 0.2], [-0.14, 0.13], [-0.026, -0.183]
    steps = [[0.9 * v[i] - 0.1 * g[i] for i in range(2)] for v, g in zip((v1, v2, v3), GRADS)]
    expected = [1 + sum(s[i] for s in steps) for i in range(2)]
    opt, p = SGD(learning_rate=0.1, momentum=0.9, nesterov=True), param([1.0, 1.0])
    for g in GRADS:
        p.grad = np.array(g)
        opt.step([p])
    np.testing.assert_allclose(p.data, expected, rtol=1e-12)


# -- Adam -------------------------------------------------------------------------------

def test_adam_first_step_is_lr_times_sign_of_gradient():
    # m̂1 = g, v̂1 = g², so the step is α·g/(|g| + ε) = α·sign(g)·(1 - ε/(|g| + ε))
    g = [0.5, -2.0, 3e3, -0.25]   # |g| ≥ 0.25: ε/|g| ≤ 4e-7, inside the 1e-6 tolerance
    p = param([0.0] * 4, g)
    Adam(learning_rate=0.01).step([p])
    np.testing.assert_allclose(p.data, -0.01 * np.sign(g), rtol=0, atol=1e-6 * 0.01)


def adam_plain_python(theta, grads, lr, b1, b2, eps):
    """Algorithm 1 of Kingma & Ba (2015), one number at a time."""
    m, v = [0.0] * len(theta), [0.0] * len(theta)
    theta = list(theta)
    for t, g in enumerate(grads, start=1):
        for i in range(len(theta)):
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
            m_hat = m[i] / (1 - b1 ** t)
            v_hat = v[i] / (1 - b2 ** t)
            theta[i] -= lr * m_hat / (math.sqrt(v_hat) + eps)
    return theta


def test_adam_five_steps_match_plain_python():
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(5, 3)).tolist()
    hyper = dict(lr=0.05, b1=0.8, b2=0.99, eps=1e-3)   # non-defaults, so each one matters
    expected = adam_plain_python([1.0, -1.0, 0.5], grads, **hyper)
    opt = Adam(learning_rate=0.05, beta_1=0.8, beta_2=0.99, epsilon=1e-3)
    p = param([1.0, -1.0, 0.5])
    for g in grads:
        p.grad = np.array(g)
        opt.step([p])
    np.testing.assert_allclose(p.data, expected, rtol=1e-12)
    assert opt.state[p]["t"] == 5


# -- behaviour ------------------------------------------------------------------------

@pytest.mark.parametrize("opt", [SGD(learning_rate=0.1), SGD(learning_rate=0.05, momentum=0.9),
                                 SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
                                 Adam(learning_rate=0.1)],
                         ids=["sgd", "momentum", "nesterov", "adam"])
def test_minimises_a_quadratic(opt):
    # f(θ) = ½ Σ a_i (θ_i - c_i)², minimum at c; gradient a ⊙ (θ - c)
    a, c = np.array([1.0, 4.0, 0.5]), np.array([3.0, -1.0, 2.0])
    p = param([0.0, 0.0, 0.0])
    for _ in range(500):
        opt.zero_grad([p])
        assert p.grad is None
        p.grad = a * (p.data - c)
        opt.step([p])
    np.testing.assert_allclose(p.data, c, atol=1e-2)


@pytest.mark.parametrize("make", [lambda: SGD(momentum=0.9, nesterov=True), Adam])
def test_updates_in_place_and_keeps_float32(make):
    p = param([1.0, 2.0], [0.5, -0.5], dtype=np.float32)
    p.grad = p.grad.astype(np.float64)   # even a float64 gradient leaves the param float32
    array = p.data
    opt = make()
    opt.step([p])
    assert p.data is array and p.data.dtype == np.float32
    assert all(a.dtype == np.float32 for a in opt.state[p].values() if isinstance(a, np.ndarray))


def test_skips_parameters_without_gradient():
    with_grad, without = param([1.0], [1.0]), param([1.0])
    opt = Adam()
    opt.step([with_grad, without])
    assert without.data[0] == 1.0 and without not in opt.state and with_grad.data[0] < 1.0


def test_state_is_per_parameter():
    a, b = param([1.0], [1.0]), param([1.0], [-1.0])
    opt = SGD(learning_rate=0.1, momentum=0.5)
    opt.step([a, b])
    opt.step([a, b])
    assert opt.state[a]["velocity"][0] == pytest.approx(-0.15)
    assert opt.state[b]["velocity"][0] == pytest.approx(0.15)


def test_lr_alias_and_defaults():
    assert SGD(lr=0.5).learning_rate == 0.5 and Adam(lr=0.001).learning_rate == 0.001
    assert SGD().learning_rate == 0.01 and Adam().learning_rate == 0.001
    with pytest.raises(TypeError, match="both learning_rate=0.1 and lr=0.2"):
        Adam(learning_rate=0.1, lr=0.2)


def test_get_config_rebuilds_an_equal_optimizer():
    for opt in (SGD(0.2, momentum=0.5, nesterov=True), Adam(0.01, 0.8, 0.9, 1e-5)):
        config = opt.get_config()
        assert type(opt).from_config(config).get_config() == config
    assert Adam().get_config() == {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999,
                                   "epsilon": 1e-7}


@pytest.mark.parametrize("make, message", [
    (lambda: SGD(learning_rate=0), "SGD: learning_rate must be > 0, got 0"),
    (lambda: SGD(lr=-1.0), "SGD: learning_rate must be > 0"),
    (lambda: SGD(momentum=1.0), r"SGD: momentum must be in \[0, 1\), got 1.0"),
    (lambda: SGD(momentum=-0.1), "SGD: momentum"),
    (lambda: Adam(beta_1=1.0), "Adam: beta_1"),
    (lambda: Adam(beta_2=-0.5), "Adam: beta_2"),
    (lambda: Adam(epsilon=0.0), "Adam: epsilon must be > 0"),
    (lambda: Adam(learning_rate=float("nan")), "Adam: learning_rate"),
])
def test_invalid_hyper_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_gradient_of_the_wrong_shape():
    p = param([[1.0, 2.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"shape \(1, 2\) has a gradient of shape \(2,\)"):
        SGD().step([p])


def test_get():
    assert isinstance(optimizers.get("sgd"), SGD) and isinstance(optimizers.get("adam"), Adam)
    assert optimizers.get("adam") is not optimizers.get("adam")   # a fresh instance each time
    opt = Adam(lr=0.1)
    assert optimizers.get(opt) is opt
    with pytest.raises(ValueError, match="unknown optimizer 'lion'; expected one of 'sgd'"):
        optimizers.get("lion")


# -- saving and restoring ---------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda: SGD(0.1, momentum=0.9), lambda: Adam(0.01)])
def test_state_dict_round_trip_gives_a_bit_identical_next_step(make, tmp_path):
    rng = np.random.default_rng(0)
    params = [param(rng.normal(size=shape), dtype=np.float32) for shape in [(2, 3), (4,), (1,)]]
    # the last parameter never gets a gradient, so it has no state
    opt = make()
    for _ in range(3):
        for p in params[:2]:
            p.grad = rng.normal(size=p.shape).astype(np.float32)
        opt.step(params)
    np.savez(tmp_path / "opt.npz", **opt.state_dict(params))

    # a fresh optimizer and copies of the parameters, restored from the file
    copies = [param(p.data.copy(), dtype=np.float32) for p in params]
    restored = make()
    with np.load(tmp_path / "opt.npz") as f:
        restored.load_state_dict(dict(f), copies)
    assert restored.iterations == opt.iterations == 3

    for p, q in zip(params[:2], copies):
        p.grad = q.grad = rng.normal(size=p.shape).astype(np.float32)
    opt.step(params)
    restored.step(copies)
    for p, q in zip(params, copies):
        assert p.data.tobytes() == q.data.tobytes()
    assert restored.state_dict(copies).keys() == opt.state_dict(params).keys()


def test_state_dict_is_a_snapshot_and_load_checks_shapes():
    p = param([1.0, 2.0], [1.0, 1.0])
    opt = SGD(momentum=0.9)
    opt.step([p])
    snapshot = opt.state_dict([p])
    assert set(snapshot) == {"iterations", "learning_rate", "0.velocity"}
    opt.step([p])
    assert snapshot["0.velocity"][0] == pytest.approx(-0.01)   # not changed by later steps
    with pytest.raises(ValueError, match=r"'0.velocity' has shape \(2,\) but parameter 0"):
        SGD(momentum=0.9).load_state_dict(snapshot, [param([1.0, 2.0, 3.0])])
    with pytest.raises(ValueError, match="unexpected key '1.velocity' for 1 parameters"):
        SGD(momentum=0.9).load_state_dict({"iterations": 1, "1.velocity": np.zeros(2)}, [p])


# -- RMSprop (Keras 3's update_step), by hand ---------------------------------------------

def test_rmsprop_keras_docstring_example():
    # Keras' own example: var = 10, loss = var²/2 (g = 10), lr = 0.1 → 9.683772
    p = param([10.0], [10.0])
    optimizers.RMSprop(learning_rate=0.1).step([p])
    np.testing.assert_allclose(p.data, [10.0 - 0.1 * 10.0 / math.sqrt(0.1 * 100.0 + 1e-7)])
    np.testing.assert_allclose(p.data, [9.683772], atol=1e-6)


def rmsprop_by_hand(centered, mu, lr=0.1, rho=0.5, eps=1e-3):
    """Three steps on θ0 = [1, 1] with GRADS, the Keras rule written out in plain floats."""
    theta, out = [1.0, 1.0], []
    for i in range(2):
        v = mg = m = 0.0
        th = theta[i]
        for g in (GRADS[0][i], GRADS[1][i], GRADS[2][i]):
            v = rho * v + (1 - rho) * g * g
            if centered:
                mg = rho * mg + (1 - rho) * g
                d = v - mg * mg + eps
            else:
                d = v + eps
            inc = lr * g / math.sqrt(d)
            m = mu * m + inc
            th -= m if mu else inc
        out.append(th)
    return out


def test_rmsprop_three_steps_by_hand_plain():
    # α = 0.1, ρ = 0.5, ε = 1e-3, element 0 with g = 1, 0.5, -1:
    # v1 = 0.5, θ1 = 1 - 0.1/√0.501;  v2 = 0.375, θ2 = θ1 - 0.05/√0.376;
    # v3 = 0.6875, θ3 = θ2 + 0.1/√0.6885
    t0 = 1 - 0.1 / math.sqrt(0.501) - 0.05 / math.sqrt(0.376) + 0.1 / math.sqrt(0.6885)
    assert rmsprop_by_hand(False, 0.0)[0] == pytest.approx(t0, rel=1e-12)
    opt, p = optimizers.RMSprop(learning_rate=0.1, rho=0.5, epsilon=1e-3), param([1.0, 1.0])
    for g in GRADS:
        p.grad = np.array(g)
        opt.step([p])
    np.testing.assert_allclose(p.data, rmsprop_by_hand(False, 0.0), rtol=1e-12)
    np.testing.assert_allclose(p.data[0], t0, rtol=1e-12)


@pytest.mark.parametrize("centered, mu", [(True, 0.0), (False, 0.9), (True, 0.9)])
def test_rmsprop_three_steps_centered_and_momentum(centered, mu):
    opt = optimizers.RMSprop(learning_rate=0.1, rho=0.5, momentum=mu, epsilon=1e-3,
                             centered=centered)
    p = param([1.0, 1.0])
    for g in GRADS:
        p.grad = np.array(g)
        opt.step([p])
    np.testing.assert_allclose(p.data, rmsprop_by_hand(centered, mu), rtol=1e-12)


def test_rmsprop_centered_first_step_by_hand():
    # centered, g = 2, ρ = 0.9: v = 0.4, mg = 0.2, d = 0.4 - 0.04 + ε
    p = param([0.0], [2.0])
    optimizers.RMSprop(learning_rate=0.01, centered=True, epsilon=1e-7).step([p])
    np.testing.assert_allclose(p.data, [-0.01 * 2.0 / math.sqrt(0.36 + 1e-7)], rtol=1e-12)


def test_rmsprop_get_config_defaults_and_errors():
    opt = optimizers.get("rmsprop")
    assert isinstance(opt, optimizers.RMSprop)
    assert opt.get_config() == {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0,
                                "epsilon": 1e-7, "centered": False}
    config = optimizers.RMSprop(lr=0.01, rho=0.8, momentum=0.5, centered=True).get_config()
    assert optimizers.RMSprop.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="RMSprop: rho"):
        optimizers.RMSprop(rho=1.0)
    with pytest.raises(ValueError, match="RMSprop: epsilon"):
        optimizers.RMSprop(epsilon=0)


@pytest.mark.parametrize("make", [lambda: optimizers.RMSprop(0.01),
                                  lambda: optimizers.RMSprop(0.01, momentum=0.9, centered=True)])
def test_rmsprop_state_dict_round_trip(make, tmp_path):
    test_state_dict_round_trip_gives_a_bit_identical_next_step(make, tmp_path)


def test_rmsprop_updates_in_place_and_keeps_float32():
    p = param([1.0, 2.0], [0.5, -0.5], dtype=np.float32)
    before = p.data
    optimizers.RMSprop(momentum=0.9, centered=True).step([p])
    assert p.data is before and p.data.dtype == np.float32
