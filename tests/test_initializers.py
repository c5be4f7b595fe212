"""Tests of tinydl.initializers: fans, sample statistics, truncation, seeding, dtypes.

Statistical tolerances are 5 standard errors of the estimator (for n samples of a
distribution with variance σ²: the mean has standard error σ/√n, the sample variance
√(Var(X²))/√n). With fixed seeds the tests are deterministic; 5 standard errors keep
them valid for any seed with overwhelming probability.
"""
import math

import numpy as np
import pytest

from tinydl import initializers
from tinydl.initializers import compute_fans, glorot_uniform, he_normal, ones, zeros


@pytest.mark.parametrize("shape, fans", [
    ((3, 5), (3, 5)),                  # dense kernel (fan_in, fan_out)
    ((3, 3, 8, 16), (72, 144)),        # conv kernel: receptive field 3·3 = 9
    ((5, 1, 2, 4), (10, 20)),          # non-square kernel
    ((7,), (7, 7)),                    # a bias-like vector
    ((), (1, 1)),
])
def test_fans_as_keras(shape, fans):
    assert compute_fans(shape) == fans


def test_glorot_uniform_statistics():
    shape = (400, 600)
    n, limit = 400 * 600, math.sqrt(6 / (400 + 600))
    w = glorot_uniform(shape, rng=0)
    assert w.shape == shape and np.abs(w).max() <= limit
    variance = limit ** 2 / 3                       # of U(-L, L); here 2/(fan_in + fan_out)
    assert abs(w.mean()) < 5 * math.sqrt(variance / n)
    var_of_square = limit ** 4 / 5 - variance ** 2  # Var(X²) = E[X⁴] - E[X²]² = 4L⁴/45
    assert abs(w.var() - variance) < 5 * math.sqrt(var_of_square / n)


def test_glorot_uniform_uses_conv_fans():
    w = glorot_uniform((3, 3, 32, 64), rng=1)
    limit = math.sqrt(6 / (32 * 9 + 64 * 9))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit


def test_truncated_normal_constant():
    # std of a standard normal truncated to [-2, 2]: √(1 - 2·2·φ(2) / (Φ(2) - Φ(-2)))
    phi2 = math.exp(-2) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    expected = math.sqrt(1 - 4 * phi2 / mass)
    assert initializers.TRUNCATED_NORMAL_STD == pytest.approx(expected, rel=1e-12)


def test_he_normal_statistics_and_truncation():
    shape = (3, 3, 64, 128)
    n, fan_in = math.prod(shape), 3 * 3 * 64
    w = he_normal(shape, rng=0).astype(np.float64)
    target_std = math.sqrt(2 / fan_in)
    assert abs(w.mean()) < 5 * target_std / math.sqrt(n)
    # truncation lightens the tails, so Var(X²) < 2σ⁴, the normal's value: a safe bound
    assert abs(w.var() - target_std ** 2) < 5 * math.sqrt(2) * target_std ** 2 / math.sqrt(n)
    bound = 2 * target_std / initializers.TRUNCATED_NORMAL_STD   # 2 untruncated stddevs
    assert np.abs(w).max() <= bound * (1 + 1e-6)     # float32 rounding
    assert np.abs(w).max() > 0.99 * bound            # truncated, not squeezed


def test_seeding_is_bit_for_bit_reproducible():
    for init in (glorot_uniform, he_normal):
        a, b = init((30, 20), rng=42), init((30, 20), rng=42)
        assert a.tobytes() == b.tobytes()
        assert a.tobytes() != init((30, 20), rng=43).tobytes()
        assert a.tobytes() == init((30, 20), rng=np.random.default_rng(42)).tobytes()
        assert init((30, 20)).tobytes() != init((30, 20)).tobytes()   # None: fresh entropy


def test_a_generator_is_advanced():
    rng = np.random.default_rng(0)
    assert glorot_uniform((5,), rng=rng).tobytes() != glorot_uniform((5,), rng=rng).tobytes()


@pytest.mark.parametrize("init", [glorot_uniform, he_normal, zeros, ones])
def test_dtypes_and_plain_arrays(init):
    w = init((4, 3))
    assert type(w) is np.ndarray and w.dtype == np.float32 and w.shape == (4, 3)
    assert init((4, 3), dtype=np.float64).dtype == np.float64
    assert init(6).shape == (6,)
    with pytest.raises(TypeError, match=f"{init.__name__}: dtype must be a float dtype"):
        init((2,), dtype=np.int32)


def test_zeros_and_ones():
    assert not zeros((2, 3)).any() and (ones((2, 3)) == 1).all()
    assert zeros((2,), rng=0).shape == (2,)   # rng accepted and ignored: a uniform interface


def test_get():
    for name in ("glorot_uniform", "he_normal", "zeros", "ones"):
        assert initializers.get(name) is getattr(initializers, name)
    assert initializers.get(zeros) is zeros
    with pytest.raises(ValueError, match="unknown initializer 'kaiming_uniform'; expected one of"):
        initializers.get("kaiming_uniform")
