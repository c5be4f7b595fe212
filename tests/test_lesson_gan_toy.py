"""The claims of lesson 7 (article §3.2.4, the GAN formulas on a 1-D toy) and of its deep
dive, lesson 7b, checked through the globals of a quick notebook run of each; plus a
seeded end-state test of the toy GAN trained through tinydl.gan.GAN.fit, independent of
the lessons' code.

Tolerances. Every reported mean/std is over 20 000 samples, so its sampling error is
about 1.25/√20000 ≈ 0.009 (mean) and 1.25/√40000 ≈ 0.006 (std): what the tolerances
absorb is the training's own residual oscillation. In a sweep of the lesson's recipe
(hidden-layer D, SGD with α = 0.1, batch 64; 5 seeds × 3 starting spreads), G's spread
stayed within 0.06 of 1.25 from step 2000 on, and its mean within 0.05 of 4 at the end
(4000 steps). So "close" is 0.15 (12 % of the real std): safely above that oscillation,
and below the spread errors of part A's runs with the saturating loss (0.33 to 3.3).
"""
import math
import warnings

import numpy as np
import pytest

from tinydl.gan import GAN, GANWarning
from tinydl.layers import Dense
from tinydl.models import Sequential
from tinydl.optimizers import SGD

from lesson_helpers import lesson_definitions, run_notebook

REAL_MEAN, REAL_STD = 4.0, 1.25
CLOSE = 0.15
CORE, DEEP = "07_gan_toy_formulas", "07b_gan_toy_deep_dive"


@pytest.fixture(scope="module")
def core():
    return run_notebook(CORE)


@pytest.fixture(scope="module")
def deep():
    return run_notebook(DEEP)


# -- lesson 7: the three messages ----------------------------------------------------------

def test_reference_sample_is_the_stated_gaussian(core, deep):
    for run in (core, deep):
        assert abs(run["real_mean"] - REAL_MEAN) < 0.05
        assert abs(run["real_std"] - REAL_STD) < 0.05


def test_affine_generator_makes_the_gaussian_n_bg_wg2(core):
    assert core["affine_g_std_error"] < 1e-12


def test_article_affine_d_is_not_a_probability(core):
    values = core["affine_l_d"]
    # the article's L_d with D(x) = W_d x + b_d is finite at the start, then becomes
    # undefined (log of a number ≤ 0) within a step or two of its own gradient descent
    assert math.isfinite(values[0]) and math.isnan(values[-1])
    assert len(values) <= 3
    assert core["finite"] == len(values) - 1


def test_sigmoid_loss_is_the_formula(core):
    assert abs(core["by_hand"] - 0.4402) < 1e-4
    assert "by hand 0.4402, losses.discriminator_loss 0.4402" in core.stdout


def test_literal_l_d_scores_a_bad_generator_as_real(core):
    literal, correct = core["d_scores"]["z"], core["d_scores"]["G(z)"]
    assert literal["d_fake"] > literal["d_real"]         # fooled by G at N(8, 1)
    assert correct["d_fake"] < correct["d_real"] - 0.3   # rejects it
    assert "look MORE real than the data" in core.stdout


def test_literal_l_d_leads_g_away_from_the_data(core):
    ends = core["g_mean_end"]
    assert ends["z"] > REAL_MEAN + 10, ends              # measured ≈ 40 after 300 steps
    assert abs(ends["G(z)"] - REAL_MEAN) < 1.0, ends     # measured ≈ 4.5
    assert "the L_d that judges G(z) brings G closer" in core.stdout


def test_literal_l_d_does_not_depend_on_g():
    """G does not occur in the literal L_d: D ends the same whatever G is."""
    train_toy = lesson_definitions(CORE).train_toy
    a = train_toy(100, "z", g_start=(1.0, 8.0), train_g=False)
    b = train_toy(100, "z", g_start=(0.3, -4.0), train_g=False)
    assert (a["W_d"], a["b_d"]) == (b["W_d"], b["b_d"])
    c = train_toy(100, "G(z)", g_start=(0.3, -4.0), train_g=False)
    assert (c["W_d"], c["b_d"]) != (b["W_d"], b["b_d"])


def test_saturating_gradient_vanishes_while_d_rejects(core):
    assert core["curves"]["grad_error"] < 1e-12     # autograd: −D and −(1 − D) w.r.t. the logit
    sat, ns = core["early"]["saturating"], core["early"]["non_saturating"]
    assert sat["d_fake_first"] < 0.1                # D rejects G's samples early on
    assert core["grad_ratio"] > 10                  # measured ≈ 23
    assert sat["mean_after_first"] < -3.5           # the saturating loss: G has barely moved
    assert ns["mean_after_first"] > sat["mean_after_first"] + 2
    assert ns["steps_to_reach"] is not None and ns["steps_to_reach"] < core["c_steps"]
    assert sat["steps_to_reach"] is None or sat["steps_to_reach"] > 3 * ns["steps_to_reach"]
    assert "the saturating run stalls behind it" in core.stdout


def test_core_figures(core):
    assert {p.name for p in core.figures} == {"l_d_judges.png", "generator_losses.png",
                                              "saturating_vs_non_saturating.png"}
    for path in core.figures:
        assert path.stat().st_size > 10_000, path


# -- lesson 7b: what a logistic D can see ---------------------------------------------------

def runs(results, part, loss="saturating"):
    found = [run for run in results[part] if run["loss"] == loss]
    assert found, f"no {loss} run in {part}"
    return found


def test_optimal_d_is_a_bump_with_quadratic_log_odds(deep):
    assert deep["optimal_d_formula_error"] < 1e-9
    d = deep["d_star"]                                      # at x = 0, 2, 4, 6, 8
    assert d[2] > d[1] > d[0] and d[2] > d[3] > d[4]


def test_part_b_hidden_layer_d_matches_mean_and_spread(deep):
    for run in runs(deep, "part_b"):
        assert abs(run["gen_mean"] - deep["real_mean"]) < CLOSE, run
        assert abs(run["gen_std"] - deep["real_std"]) < CLOSE, run
        # G is affine, so its samples are exactly N(b_g, W_g²): parameters and samples agree
        assert abs(run["param_sd"] - run["gen_std"]) < 0.02


def test_part_a_logistic_d_matches_the_mean_but_not_the_spread(deep):
    saturating = runs(deep, "part_a")
    assert {run["start_sd"] for run in saturating} == {0.3, 1.0, 3.0}
    for run in saturating:
        assert abs(run["gen_mean"] - deep["real_mean"]) < 0.3, run     # the mean: learned
        assert abs(run["gen_std"] - deep["real_std"]) > 0.3, run       # the spread: not
        assert run["param_sd"] > run["start_sd"] + 0.3, run            # it grew (Stein)
        assert run["d_range_end"] < 0.1, run                           # D ended flat
    ends = sorted(run["gen_std"] for run in saturating)
    assert ends[-1] - ends[0] > 1.5          # where the spread ends depends on where it began
    for run in runs(deep, "part_a", "non_saturating"):
        assert run["param_sd"] < 0.5 * run["start_sd"], run            # it shrank (collapse)


def test_late_shrink_has_the_predicted_order(deep):
    """After the means meet, the spread shrinks at about α²/(4·batch) per step (a rough
    estimate: measured between a third of it and all of it)."""
    assert deep["predicted_late_rate"] == pytest.approx(0.1**2 / (4 * 64))
    for run in deep["part_a"]:
        assert 0.1 < run["late_rate"] / deep["predicted_late_rate"] < 3, run


def test_deep_dive_figures(deep):
    assert {p.name for p in deep.figures} == {"part_a_logistic_d.png",
                                              "part_b_hidden_layer_d.png"}
    for path in deep.figures:
        assert path.stat().st_size > 10_000, path


# -- the toy GAN through GAN.fit, independent of the lessons --------------------------------

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
    """The same run with the logistic D (the article's D plus sigmoid): the mean is right,
    the spread is not, so the end-state check above does discriminate (measured std ≈ 3.0)."""
    x, samples, _ = fit_toy_gan([Dense(1, activation="sigmoid", input_shape=(1,))])
    assert abs(samples.mean() - x.mean()) < 0.3, samples.mean()
    assert abs(samples.std() - x.std()) > 1.0, samples.std()
