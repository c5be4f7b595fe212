"""Tests of tinydl.optimizers.schedules (keras.optimizers.schedules): each schedule against its
formula, optimizers driven by a schedule, the learning_rate property, saving, errors."""
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinydl as keras
from tinydl import Tensor, optimizers
from tinydl.optimizers import schedules

STEPS = [0, 1, 2, 5, 9, 10, 11, 37, 100, 1000]


# -- formulas ----------------------------------------------------------------------------

def test_schedules_are_reachable_the_keras_way():
    assert keras.optimizers.schedules.ExponentialDecay is schedules.ExponentialDecay
    assert issubclass(schedules.CosineDecay, keras.optimizers.schedules.LearningRateSchedule)


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay_formula(staircase):
    s = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=staircase)
    for t in STEPS:
        p = math.floor(t / 10) if staircase else t / 10
        assert s(t) == pytest.approx(0.1 * 0.5 ** p, rel=1e-12)
    assert s(0) == 0.1 and s(10) == pytest.approx(0.05)
    assert (s(15) == pytest.approx(0.05)) == staircase      # flat between drops


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay_formula(staircase):
    s = schedules.InverseTimeDecay(0.2, decay_steps=4, decay_rate=0.5, staircase=staircase)
    for t in STEPS:
        p = math.floor(t / 4) if staircase else t / 4
        assert s(t) == pytest.approx(0.2 / (1 + 0.5 * p), rel=1e-12)
    assert s(8) == pytest.approx(0.1)


def test_piecewise_constant_decay_boundaries_belong_to_the_earlier_value():
    s = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [s(t) for t in (0, 9, 10, 11, 20, 21, 500)] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.1, 0.1]


def test_cosine_decay_formula_without_warmup():
    s = schedules.CosineDecay(0.1, decay_steps=100, alpha=0.1)
    for t in STEPS:
        c = 0.5 * (1 + math.cos(math.pi * min(t, 100) / 100))
        assert s(t) == pytest.approx(0.1 * ((1 - 0.1) * c + 0.1), rel=1e-12)
    assert s(0) == pytest.approx(0.1) and s(50) == pytest.approx(0.1 * (0.9 * 0.5 + 0.1))
    assert s(100) == pytest.approx(0.01) and s(10**6) == pytest.approx(0.01)


def test_cosine_decay_with_warmup():
    s = schedules.CosineDecay(0.0, decay_steps=10, alpha=0.0, warmup_target=0.1,
                              warmup_steps=5)
    for t in range(5):
        assert s(t) == pytest.approx(0.1 * t / 5)           # linear from 0 to the target
    for t in range(5, 20):
        c = 0.5 * (1 + math.cos(math.pi * min(t - 5, 10) / 10))
        assert s(t) == pytest.approx(0.1 * c, abs=1e-15)
    assert s(5) == pytest.approx(0.1) and s(15) == pytest.approx(0.0, abs=1e-15)


@settings(max_examples=40, deadline=None)
@given(lr0=st.floats(1e-4, 1.0), steps=st.integers(1, 1000), rate=st.floats(0.05, 0.99),
       t=st.integers(0, 5000))
def test_decays_never_increase_and_stay_positive(lr0, steps, rate, t):
    for s in (schedules.ExponentialDecay(lr0, steps, rate),
              schedules.InverseTimeDecay(lr0, steps, rate),
              schedules.CosineDecay(lr0, steps)):
        assert 0 <= s(t + 1) <= s(t) <= lr0 * (1 + 1e-12)


# -- optimizers driven by a schedule ---------------------------------------------------

MAKERS = {
    "SGD": lambda lr: optimizers.SGD(lr),
    "SGD-momentum": lambda lr: optimizers.SGD(lr, momentum=0.9, nesterov=True),
    "Adam": lambda lr: optimizers.Adam(lr),
    "AdamW": lambda lr: optimizers.AdamW(lr),
    "Nadam": lambda lr: optimizers.Nadam(lr),
    "RMSprop": lambda lr: optimizers.RMSprop(lr, momentum=0.5, centered=True),
    "Adagrad": lambda lr: optimizers.Adagrad(lr),
    "Adadelta": lambda lr: optimizers.Adadelta(lr),
}


@pytest.mark.parametrize("name", MAKERS)
def test_a_scheduled_optimizer_takes_the_steps_of_a_plain_one_at_the_scheduled_rates(name):
    schedule = schedules.ExponentialDecay(0.05, decay_steps=2, decay_rate=0.5)
    rng = np.random.default_rng(0)
    start = rng.normal(size=(3, 4)).astype(np.float32)
    a, b = Tensor(start.copy(), requires_grad=True), Tensor(start.copy(), requires_grad=True)
    scheduled, plain = MAKERS[name](schedule), MAKERS[name](0.05)
    rates = []
    for t in range(6):
        a.grad = b.grad = rng.normal(size=(3, 4)).astype(np.float32)
        assert scheduled.learning_rate == pytest.approx(schedule(t))   # the next step's rate
        plain.learning_rate = schedule(t)
        rates.append(scheduled.learning_rate)
        scheduled.step([a])
        plain.step([b])
        assert a.data.tobytes() == b.data.tobytes()
    assert rates == [schedule(t) for t in range(6)] and scheduled.iterations == 6
    assert rates[0] == 0.05 and rates[2] == pytest.approx(0.025)   # step t uses schedule(t)


def test_sgd_with_a_schedule_is_theta_minus_schedule_t_times_g():
    s = schedules.PiecewiseConstantDecay([1], [0.5, 0.1])
    p = Tensor(np.array([1.0]), requires_grad=True)
    opt = optimizers.SGD(learning_rate=s)
    for _ in range(3):
        p.grad = np.array([1.0])
        opt.step([p])
    np.testing.assert_allclose(p.data, [1.0 - 0.5 - 0.5 - 0.1])     # t = 0, 1 use 0.5


def test_fit_with_a_schedule_and_compile_by_object():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    lr = schedules.CosineDecay(0.1, decay_steps=8)
    model.compile(optimizer=optimizers.SGD(learning_rate=lr), loss="mse")
    h = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert model.optimizer.iterations == 12
    assert model.optimizer.learning_rate == pytest.approx(0.0)     # past decay_steps: α·lr0
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_learning_rate_is_settable_to_a_float_or_a_schedule():
    opt = optimizers.Adam(0.01)
    assert isinstance(opt.learning_rate, float) and opt.learning_rate_schedule is None
    opt.learning_rate = 0.002
    assert opt.learning_rate == 0.002
    s = schedules.ExponentialDecay(0.1, 1, 0.5)
    opt.learning_rate = s
    assert opt.learning_rate_schedule is s and opt.learning_rate == 0.1
    opt.iterations = 3
    assert opt.learning_rate == pytest.approx(0.0125)
    with pytest.raises(ValueError, match="learning_rate must be >= 0"):
        opt.learning_rate = -1.0
    with pytest.raises(TypeError, match="LearningRateSchedule subclass"):
        opt.learning_rate = lambda step: 0.1


# -- saving ----------------------------------------------------------------------------

@pytest.mark.parametrize("schedule", [
    schedules.ExponentialDecay(0.1, 3, 0.9, staircase=True),
    schedules.InverseTimeDecay(0.1, 3, 0.5),
    schedules.PiecewiseConstantDecay([2, 4], [0.1, 0.05, 0.01]),
    schedules.CosineDecay(0.0, 10, alpha=0.1, warmup_target=0.1, warmup_steps=3),
])
def test_config_round_trips_through_json(schedule):
    config = json.loads(json.dumps(optimizers.Adam(schedule).get_config()))
    rebuilt = optimizers.Adam(**config).learning_rate_schedule
    assert type(rebuilt) is type(schedule)
    assert [rebuilt(t) for t in range(20)] == [schedule(t) for t in range(20)]


def test_state_dict_with_a_schedule_resumes_bit_for_bit(tmp_path):
    schedule = schedules.ExponentialDecay(0.01, 2, 0.7)
    rng = np.random.default_rng(2)
    p = Tensor(rng.normal(size=(5,)).astype(np.float32), requires_grad=True)
    opt = optimizers.Adam(schedule)
    for _ in range(3):
        p.grad = rng.normal(size=5).astype(np.float32)
        opt.step([p])
    np.savez(tmp_path / "o.npz", **opt.state_dict([p]))
    q = Tensor(p.data.copy(), requires_grad=True)
    restored = optimizers.Adam(**opt.get_config())
    with np.load(tmp_path / "o.npz") as f:
        restored.load_state_dict(dict(f), [q])
    assert restored.learning_rate == opt.learning_rate == pytest.approx(schedule(3))
    p.grad = q.grad = rng.normal(size=5).astype(np.float32)
    opt.step([p])
    restored.step([q])
    assert p.data.tobytes() == q.data.tobytes()


def test_state_dict_keeps_a_changed_fixed_rate():
    p = Tensor(np.ones(2), requires_grad=True)
    opt = optimizers.SGD(0.1, momentum=0.9)
    p.grad = np.ones(2)
    opt.step([p])
    opt.learning_rate = 0.01                      # as ReduceLROnPlateau does
    restored = optimizers.SGD(0.1, momentum=0.9)
    restored.load_state_dict(opt.state_dict([p]), [p])
    assert restored.learning_rate == 0.01


# -- bad input -------------------------------------------------------------------------

class Negative(schedules.LearningRateSchedule):
    def __call__(self, step):
        return 0.1 - 0.05 * step

    def get_config(self):
        return {}


class Broken(schedules.LearningRateSchedule):
    def __call__(self, step):
        return float("nan") if step >= 1 else 0.1


def test_a_schedule_giving_a_negative_or_nan_rate_is_a_clear_error_and_no_step():
    for bad, at in ((Negative(), 3), (Broken(), 1)):
        p = Tensor(np.ones(2), requires_grad=True)
        opt = optimizers.SGD(bad)
        for _ in range(at):
            p.grad = np.ones(2)
            opt.step([p])
        before = p.data.copy()
        with pytest.raises(ValueError, match=f"at step {at}; a rate must be finite and >= 0"):
            opt.step([p])
        assert np.array_equal(p.data, before) and opt.iterations == at   # nothing changed


@pytest.mark.parametrize("make, message", [
    (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), "decay_steps must be > 0"),
    (lambda: schedules.ExponentialDecay(-0.1, 10, 0.5), "initial_learning_rate must be > 0"),
    (lambda: schedules.InverseTimeDecay(0.1, 10, -1), "decay_rate must be >= 0"),
    (lambda: schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2]), "one more entry"),
    (lambda: schedules.PiecewiseConstantDecay([2, 1], [0.1, 0.2, 0.3]), "strictly increasing"),
    (lambda: schedules.CosineDecay(0.1, 10, alpha=2), r"alpha must be in \[0, 1\]"),
    (lambda: schedules.CosineDecay(0.1, 10, warmup_target=-1.0), "warmup_target must be > 0"),
])
def test_bad_schedule_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_unknown_schedule_in_a_config_names_custom_objects():
    with pytest.raises(ValueError, match="custom_objects"):
        schedules.deserialize({"class_name": "MyDecay", "config": {}})
    s = schedules.deserialize({"class_name": "Negative", "config": {}},
                              custom_objects={"Negative": Negative})
    assert isinstance(s, Negative)
    config = optimizers.SGD(Negative()).get_config()
    assert config["learning_rate"] == {"class_name": "Negative", "config": {}}
    with pytest.raises(ValueError, match="unknown learning-rate schedule 'Negative'"):
        optimizers.SGD.from_config(config)
    again = optimizers.SGD.from_config(config, custom_objects={"Negative": Negative})
    assert isinstance(again.learning_rate_schedule, Negative)
    with pytest.raises(ValueError, match="step must be a number >= 0"):
        schedules.ExponentialDecay(0.1, 1, 0.5)(-1)
