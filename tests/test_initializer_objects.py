"""Tests of Keras 3's initializer objects (tinydl.initializers.HeNormal, ...): sample
statistics against each formula, seeds, layers, bad input; and the regularizer objects."""
import math

import numpy as np
import pytest

import tinydl as keras
from tinydl import initializers as I

SHAPE = (400, 500)                      # fan_in 400, fan_out 500: 200 000 samples
FAN_IN, FAN_OUT = 400, 500
# With n = 200 000 samples the standard error of the sample std is σ/√(2n) ≈ 0.16 % of σ
# and of the mean σ/√n ≈ 0.22 % of σ: a 2 % tolerance on the std and 1 % of σ on the
# mean are over 4 standard errors, so the checks pass for any seed yet catch a wrong
# formula (e.g. fan_in + fan_out instead of fan_in changes σ by 50 %).
STD_RTOL, MEAN_ATOL_SIGMAS = 0.02, 0.01


@pytest.mark.parametrize("init, std, bound", [
    (I.GlorotUniform(seed=1), math.sqrt(2 / (FAN_IN + FAN_OUT)),
     math.sqrt(6 / (FAN_IN + FAN_OUT))),
    (I.HeUniform(seed=2), math.sqrt(2 / FAN_IN), math.sqrt(6 / FAN_IN)),
    (I.GlorotNormal(seed=3), math.sqrt(2 / (FAN_IN + FAN_OUT)),
     2 * math.sqrt(2 / (FAN_IN + FAN_OUT)) / I.TRUNCATED_NORMAL_STD),
    (I.HeNormal(seed=4), math.sqrt(2 / FAN_IN), 2 * math.sqrt(2 / FAN_IN) / I.TRUNCATED_NORMAL_STD),
    (I.RandomNormal(mean=0.3, stddev=0.2, seed=5), 0.2, None),
    (I.RandomUniform(minval=-0.1, maxval=0.3, seed=6), 0.4 / math.sqrt(12), None),
])
def test_statistics_match_the_formula(init, std, bound):
    w = init(SHAPE)
    assert w.shape == SHAPE and w.dtype == np.float32
    mean = {"RandomNormal": 0.3, "RandomUniform": 0.1}.get(type(init).__name__, 0.0)
    assert abs(w.mean() - mean) < MEAN_ATOL_SIGMAS * std
    assert w.std() == pytest.approx(std, rel=STD_RTOL)
    if bound is not None:                           # uniform limit / truncation at 2σ'
        assert np.abs(w).max() <= bound * (1 + 1e-6)
        assert np.abs(w).max() > 0.95 * bound
    if type(init).__name__ == "RandomUniform":
        assert w.min() >= -0.1 and w.max() < 0.3


def test_objects_are_the_functions_underneath():
    for cls, fn in ((I.GlorotUniform, I.glorot_uniform), (I.HeNormal, I.he_normal),
                    (I.GlorotNormal, I.glorot_normal), (I.HeUniform, I.he_uniform)):
        assert np.array_equal(cls(seed=7)((3, 3, 2, 4)), fn((3, 3, 2, 4), rng=7))
    assert np.array_equal(I.RandomNormal(1.0, 2.0, seed=3)((5,)),
                          I.random_normal((5,), 3, mean=1.0, stddev=2.0))


def test_constant_zeros_ones():
    assert np.array_equal(I.Constant(0.25)((2, 3)), np.full((2, 3), 0.25, np.float32))
    assert np.array_equal(I.Zeros()((4,), dtype=np.float64), np.zeros(4))
    assert I.Ones()((2, 2)).dtype == np.float32 and I.Ones()((2, 2)).sum() == 4


def test_seeds_reproduce_and_differ():
    a, b = I.HeNormal(seed=0), I.HeNormal(seed=0)
    assert np.array_equal(a((10, 10)), b((10, 10)))
    assert np.array_equal(a((10, 10)), a((10, 10)))           # Keras 3: same on every call
    assert not np.array_equal(a((10, 10)), I.HeNormal(seed=1)((10, 10)))
    unseeded = I.GlorotUniform()
    keras.utils.set_random_seed(3)
    first = unseeded((4, 4))
    keras.utils.set_random_seed(3)
    assert np.array_equal(first, unseeded((4, 4)))             # tinydl's global seed
    assert not np.array_equal(first, unseeded((4, 4)))         # the next draw differs
    assert I.GlorotUniform(seed=2)((3,), dtype=np.float64).dtype == np.float64


def test_layers_accept_initializer_objects_and_names():
    dense = keras.layers.Dense(5, kernel_initializer=keras.initializers.HeNormal(seed=9),
                               bias_initializer=keras.initializers.Constant(0.1))
    conv = keras.layers.Conv2D(3, 3, kernel_initializer=I.RandomUniform(-1, 1, seed=2),
                               bias_initializer="Ones")
    keras.Sequential([keras.Input((4,)), dense])
    keras.Sequential([keras.Input((6, 6, 2)), conv])
    assert np.array_equal(dense.kernel.data, I.he_normal((4, 5), rng=9))
    assert np.array_equal(dense.bias.data, np.full(5, 0.1, np.float32))
    assert np.array_equal(conv.kernel.data, I.random_uniform((3, 3, 2, 3), 2, minval=-1,
                                                             maxval=1))
    assert np.array_equal(conv.bias.data, np.ones(3, np.float32))
    assert isinstance(I.get("HeUniform"), I.HeUniform) and I.get("he_uniform") is I.he_uniform


def test_config_round_trip():
    for init in (I.RandomNormal(0.5, 0.1, seed=4), I.RandomUniform(-2, 2), I.Constant(3.0),
                 I.HeNormal(seed=1), I.Zeros()):
        again = type(init).from_config(init.get_config())
        assert again.get_config() == init.get_config()


@pytest.mark.parametrize("make, message", [
    (lambda: I.HeNormal(seed=-1), "seed must be an int >= 0 or None"),
    (lambda: I.HeNormal(seed=1.5), "seed must be an int"),
    (lambda: I.RandomNormal(stddev=-1), "stddev must be a finite number >= 0"),
    (lambda: I.RandomUniform(1.0, 0.0), "must not exceed maxval"),
    (lambda: I.Constant("a"), "value must be a finite number"),
    (lambda: I.get("kaiming"), "unknown initializer 'kaiming'"),
    (lambda: I.GlorotUniform(seed=0)((2, 2), dtype=np.int32), "must be a float dtype"),
])
def test_bad_input(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


# -- regularizer objects (Keras 3: L1(l1=0.01), L2(l2=0.01), L1L2(l1=0.0, l2=0.0)) -------

def test_regularizer_objects_keras_names_and_defaults():
    w = keras.Tensor(np.array([[1.0, -2.0], [0.5, 0.0]]))
    assert float(keras.regularizers.L2(0.1)(w).data) == pytest.approx(0.1 * 5.25)
    assert float(keras.regularizers.L1(l1=0.1)(w).data) == pytest.approx(0.1 * 3.5)
    assert float(keras.regularizers.L1L2(l1=0.1, l2=0.2)(w).data) == pytest.approx(0.35 + 1.05)
    assert keras.regularizers.L1().l1 == 0.01 and keras.regularizers.L2().l2 == 0.01
    assert keras.regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
