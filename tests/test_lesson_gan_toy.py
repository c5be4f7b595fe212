"""The claims of lesson 07 (article section 3.2.4, the GAN formulas on a 1-D toy), checked
through the numbers its main() returns (run once, --quick), plus a seeded end-state test of
the toy GAN trained through tinydl.gan.GAN.fit, independent of the lesson's code.

Tolerances. Every reported mean/std is over 20 000 samples, so its sampling error is
about 1.25/√20000 ≈ 0.009 (mean) and 1.25/√40000 ≈ 0.006 (std): what the tolerances
absorb is the training's own residual oscillation. In a sweep of the lesson's recipe
(hidden-layer D, SGD with α = 0.1, batch 64; 5 seeds × 3 starting spreads), G's spread
stayed within 0.06 of 1.25 from step 2000 on, and its mean within 0.05 of 4 at the end
(4000 steps). So "close" is 0.15 (12 % of the real std): safely above that oscillation,
and below the spread errors of part A's runs with the article's loss (0.33 to 3.3).
"""
import math
import warnings

import numpy as np
import pytest

from tinydl.gan import GAN, GANWarning
from tinydl.layers import Dense
from tinydl.models import Sequential
from tinydl.optimizers import SGD

from lesson_helpers import load_lesson

REAL_MEAN, REAL_STD = 4.0, 1.25
CLOSE = 0.15


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    lesson = load_lesson("07_gan_toy_formulas")
    return lesson.main(["--quick", "--out", str(tmp_path_factory.mktemp("l07"))])


def runs(results, part, loss="saturating"):
    found = [run for run in results[part] if run["loss"] == loss]
    assert found, f"no {loss} run in {part}"
    return found


def test_reference_sample_is_the_stated_gaussian(results):
    assert abs(results["real_mean"] - REAL_MEAN) < 0.05
    assert abs(results["real_std"] - REAL_STD) < 0.05


def test_article_affine_d_is_not_a_probability(results):
    affine = results["affine_d"]
    # the article's L_d with D(x) = W_d x + b_d becomes undefined (log of a number ≤ 0)
    # within a step or two of its own gradient descent
    assert affine["undefined_after"] and affine["finite_steps"] <= 3
    assert math.isnan(affine["L_d_values"][-1])


def test_part_b_hidden_layer_d_matches_mean_and_spread(results):
    for run in runs(results, "part_b"):
        assert abs(run["gen_mean"] - results["real_mean"]) < CLOSE, run
        assert abs(run["gen_std"] - results["real_std"]) < CLOSE, run
        # G is affine, so its samples are exactly N(b_g, W_g²): parameters and samples agree
        assert abs(run["param_sd"] - run["gen_std"]) < 0.02


def test_part_a_logistic_d_matches_the_mean_but_not_the_spread(results):
    saturating = runs(results, "part_a")
    assert {run["start_sd"] for run in saturating} == {0.3, 1.0, 3.0}
    for run in saturating:
        assert abs(run["gen_mean"] - results["real_mean"]) < 0.3, run     # the mean: learned
        assert abs(run["gen_std"] - results["real_std"]) > 0.3, run       # the spread: not
        assert run["param_sd"] > run["start_sd"] + 0.3, run               # it grew (Stein)
        assert run["d_range_end"] < 0.1, run                              # D ended flat
    ends = sorted(run["gen_std"] for run in saturating)
    assert ends[-1] - ends[0] > 1.5          # where the spread ends depends on where it began
    for run in runs(results, "part_a", "non_saturating"):
        assert run["param_sd"] < 0.5 * run["start_sd"], run               # it shrank (collapse)


def test_part_c_saturating_gradient_vanishes_while_d_rejects(results):
    c = results["part_c"]
    assert c["grad_formula_error"] < 1e-12          # autograd: −D and −(1 − D) w.r.t. the logit
    sat, ns = c["early"]["saturating"], c["early"]["non_saturating"]
    assert sat["d_fake_first"] < 0.1                # D rejects G's samples early on
    assert c["grad_ratio"] > 10                     # measured ≈ 40
    assert sat["mean_after_first"] < -3.5           # the article's loss: G has barely moved
    assert ns["mean_after_first"] > sat["mean_after_first"] + 2
    assert ns["steps_to_reach"] is not None and ns["steps_to_reach"] < c["steps"]
    assert sat["steps_to_reach"] is None or sat["steps_to_reach"] > 3 * ns["steps_to_reach"]


def test_figures_exist(results):
    assert len(results["figures"]) == 4
    for path in results["figures"]:
        assert path.exists() and path.stat().st_size > 10_000, path


def fit_toy_gan(d_layers):
    """Affine G against D = Sequential(d_layers), the article's losses and SGD (α = 0.1),
    through GAN.fit on 4096 real samples, 32 epochs of batch 64 (2048 steps), seeded."""
    rng = np.random.default_rng(11)
    x = rng.normal(REAL_MEAN, REAL_STD, (4096, 1))
    G = Sequential([Dense(1, input_shape=(1,))], dtype="float64", seed=11)
    D = Sequential(d_layers, dtype="float64", seed=12)
    gan = GAN(G, D, SGD(0.1), SGD(0.1), generator_loss="saturating", seed=13)
    start = gan.generate(20_000).ravel()
    assert abs(start.mean() - REAL_MEAN) > 3          # G starts far from the data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GANWarning)
        history = gan.fit(x, epochs=32, batch_size=64, verbose=0)
    assert len(history["d_loss"]) == 32 and len(gan.batch_history["d_loss"]) == 32 * 64
    return x, gan.generate(20_000).ravel(), history


def test_toy_gan_end_state_through_fit():
    """The toy GAN with a one-hidden-layer D ends with G's samples distributed like the
    data, and D unable to tell them apart."""
    x, samples, history = fit_toy_gan([Dense(16, activation="tanh", input_shape=(1,)),
                                       Dense(1, activation="sigmoid")])
    assert abs(samples.mean() - x.mean()) < CLOSE, samples.mean()
    assert abs(samples.std() - x.std()) < CLOSE, samples.std()
    # at the end D(x) ≈ D(G(z)) ≈ 1/2 and L_d ≈ 2 log 2
    assert abs(history["d_real"][-1] - 0.5) < 0.05 and abs(history["d_fake"][-1] - 0.5) < 0.05
    assert abs(history["d_loss"][-1] - 2 * math.log(2)) < 0.05


def test_toy_gan_with_logistic_d_misses_the_spread_through_fit():
    """The same run with the article's D (plus sigmoid): the mean is right, the spread is
    not, so the end-state check above does discriminate (measured std ≈ 3.0)."""
    x, samples, _ = fit_toy_gan([Dense(1, activation="sigmoid", input_shape=(1,))])
    assert abs(samples.mean() - x.mean()) < 0.3, samples.mean()
    assert abs(samples.std() - x.std()) > 1.0, samples.std()
