"""The claims of lessons 01 (convolution) and 02 (activations), article sections 3.1.2/3.1.4,
checked through the globals each lesson leaves when it runs as a notebook (quick mode, one
run per lesson per session) and through its functions (`lesson_definitions`)."""
import math

import numpy as np
import pytest

import tinydl.functional as F

from lesson_helpers import lesson_definitions, need_mnist, run_notebook

CONV, ACT = "01_convolution", "02_activations"


@pytest.fixture(scope="module")
def conv_lesson():
    return lesson_definitions(CONV)


@pytest.fixture(scope="module")
def act_lesson():
    return lesson_definitions(ACT)


@pytest.fixture(scope="module")
def conv_results():
    need_mnist()
    return run_notebook(CONV)


@pytest.fixture(scope="module")
def act_results():
    need_mnist()
    return run_notebook(ACT)


# --- lesson 01: convolution -------------------------------------------------------------

def test_literal_loop_is_conv2d_on_random_asymmetric_input(conv_lesson):
    rng = np.random.default_rng(1)
    image, kernel = rng.normal(size=(9, 11)), rng.normal(size=(3, 4))
    loop = conv_lesson.article_convolution(image, kernel)
    assert loop.shape == (7, 8)
    np.testing.assert_allclose(loop, conv_lesson.conv(image, kernel), atol=1e-12)
    # and it is not the correlation (that would pass a loop written with x + x')
    assert np.abs(loop - conv_lesson.conv(image, kernel, F.correlate2d)).max() > 0.1


def test_literal_loop_equals_conv2d_on_the_digit(conv_results):
    diffs = conv_results["loop_vs_conv2d_max_diff"]
    assert set(diffs) == {"sobel", "gaussian blur", "sharpen"}
    assert max(diffs.values()) < 1e-5
    assert min(conv_results["speedup"].values()) > 1


def test_one_pixel_by_hand_is_the_flipped_kernel(conv_lesson, conv_results):
    """The worked example: conv2d at (r, c) is Σ flip(K)·window, correlate2d Σ K·window."""
    image, r, c = conv_results["image"], conv_results["r"], conv_results["c"]
    sobel = conv_lesson.KERNELS["sobel"]
    assert conv_results["by_hand_conv"] == pytest.approx(conv_lesson.conv(image, sobel)[r, c],
                                                         abs=1e-12)
    assert conv_results["by_hand_corr"] == pytest.approx(
        conv_lesson.conv(image, sobel, F.correlate2d)[r, c], abs=1e-12)
    assert conv_results["by_hand_conv"] == pytest.approx(-conv_results["by_hand_corr"])
    assert abs(conv_results["by_hand_conv"]) > 1          # a pixel on an edge, not background


def test_conv_and_correlation_differ_for_sobel_and_agree_after_flipping(conv_results):
    table = conv_results["conv_vs_corr"]
    assert table["sobel"]["conv_minus_corr"] > 1         # a very different map...
    assert table["sobel"]["conv_plus_corr"] < 1e-6       # ...exactly the negative
    assert table["emboss"]["conv_minus_corr"] > 1
    for name in ("gaussian blur", "sharpen"):            # flip-symmetric kernels: no difference
        assert table[name]["conv_minus_corr"] < 1e-6
    for row in table.values():
        assert row["corr_minus_conv_flipped"] < 1e-6
    assert conv_results["shift_conv_reads"] and conv_results["shift_corr_reads"]


def test_learned_kernel_is_the_flip(conv_results):
    fits = conv_results["fits"]
    for name in ("sobel", "emboss"):
        d_true, d_flip = fits[(name, "correlate2d", "least squares")]
        assert d_true < 1e-8 and d_flip > 1
        d_true, d_flip = fits[(name, "conv2d", "least squares")]
        assert d_flip < 1e-8 and d_true > 1
        d_true, d_flip = fits[(name, "conv2d", "Adam")]    # trained through autograd
        assert d_flip < 0.05 and d_true > 1
    assert conv_results["flipped"]
    assert "with conv2d every fit is the 180° flip" in conv_results.stdout


def test_output_size_table_matches_formula(conv_lesson, conv_results):
    rows = conv_results["output_sizes"]
    assert len(rows) == 48 and conv_results["output_size_mismatches"] == 0
    for padding, s, k, formula, actual in rows:
        p = {"valid": 0}.get(padding, padding)
        expected = math.ceil(28 / s) if padding == "same" else math.floor((28 + 2 * p - k) / s) + 1
        assert formula == actual == expected, (padding, s, k)
        assert conv_lesson.out_size_formula(28, k, s, padding) == expected


def test_conv_lesson_writes_its_figures(conv_results):
    assert {p.name for p in conv_results.figures} == {
        "kernels_and_feature_maps.png", "convolution_vs_correlation.png",
        "learned_kernels_flip.png", "output_size.png"}


# --- lesson 02: activations -------------------------------------------------------------

def test_autograd_derivatives_equal_closed_forms_on_a_fresh_grid(act_lesson):
    z = np.random.default_rng(3).normal(0, 4, 500)
    for name, (fn, closed) in act_lesson.ACTIVATIONS.items():
        _, d = act_lesson.autograd_derivative(fn, z)
        np.testing.assert_allclose(d, closed(z), atol=1e-12, err_msg=name)


def test_lesson_reports_derivatives_match(act_results):
    errors = act_results["derivative_max_error"]
    assert set(errors) == {"linear", "sigmoid", "relu", "tanh", "leaky_relu"}
    assert max(errors.values()) < 1e-10


def test_sigmoid_and_relu_outputs_are_not_binary(act_results):
    sig = act_results["stats"]["sigmoid(z)"]
    assert sig["frac_in_0.01_0.99"] > 0.5           # a binary map would have none in between
    assert sig["frac_exact_0"] == 0 and sig["frac_exact_1"] == 0
    assert sig["distinct"] > 100
    rel = act_results["stats"]["relu(z)"]
    assert 0 < rel["frac_exact_0"] < 1              # ReLU zeroes the negatives...
    low, high = rel["positive_range"]
    assert rel["distinct"] > 100 and high - low > 1  # ...but keeps a continuum of positives
    assert act_results["binary"] == {"z (conv2d)": False, "sigmoid(z)": False, "relu(z)": False}
    assert "-> not binary" in act_results.stdout and "-> binary" not in act_results.stdout


def test_a_step_activation_gives_gradient_descent_nothing(act_results):
    """The binary step's slope is 0, so w stays where it started; sigmoid's moves it."""
    step, sig = act_results["step_vs_sigmoid"]["step"], act_results["step_vs_sigmoid"]["sigmoid"]
    assert step["first_slope"] == 0 and step["w"] == -1.0 and step["accuracy"] == 0
    assert sig["first_slope"] < 0 and sig["w"] > 0 and sig["accuracy"] == 1
    assert sig["loss"] < 0.01 < step["loss"]
