"""Substantive claims of lessons 03 (dense layer, losses, gradient descent) and
05 (preprocessing), checked on what each lesson computed when run as a notebook
(quick mode) and on its functions (lesson_definitions, without running it)."""
import sys

import numpy as np
import pytest

from tinydl import Tensor, losses
from tinydl.layers import RandomFlip, RandomRotation

from lesson_helpers import LESSONS, lesson_definitions, need_mnist, run_notebook

L03 = "03_dense_losses_gradient_descent"
L05 = "05_preprocessing"


@pytest.fixture(scope="module")
def lesson3():
    return lesson_definitions(L03)


@pytest.fixture(scope="module")
def run3():
    return run_notebook(L03)


@pytest.fixture(scope="module")
def plots5():
    if str(LESSONS) not in sys.path:
        sys.path.insert(0, str(LESSONS))
    import _preprocessing_plots
    return _preprocessing_plots


# -- lesson 3 ---------------------------------------------------------------------------

def test_dense_column_form_equals_tinydl_dense(run3):
    dense = run3["dense_check"]
    assert dense["max_abs_diff"] < 1e-12
    assert dense["kernel_shape"] == dense["W_shape"][::-1]


def test_activation_outputs_are_not_binary(run3):
    relu_out = run3["relu_out"]
    np.testing.assert_array_equal(relu_out, np.maximum(run3["conv_out"], 0))
    assert len(np.unique(relu_out)) > 2
    assert f"{len(np.unique(relu_out))} distinct values after ReLU" in run3.stdout


def test_numpy_loss_formulas_equal_tinydl_losses(run3):
    for name, (mine, theirs) in run3["loss_rows"].items():
        assert mine == pytest.approx(theirs, rel=1e-9), name


def test_the_forward_graph_is_drawn_before_backward_and_its_gradient_is_the_formula(run3):
    graph = run3["graph"]
    assert graph["path"].stat().st_size > 1000
    assert graph["path"] in run3.figures                       # announced (and shown)
    # X, w, matmul, b, add, y, the fused loss: 7 nodes, the weights marked
    assert graph["nodes"] == 7 and graph["dot"].count("requires_grad") == 2
    assert "binary_crossentropy" in graph["dot"]        # the fused loss node names its op
    # at w = 0, b = 0: σ(z) = ½, so ∂loss/∂w = Xᵀ(½ − y)/n
    expected = graph["X"].T @ (0.5 - graph["y"]) / len(graph["y"])
    np.testing.assert_allclose(graph["grad_w"], expected, rtol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_numpy_bce_equals_tinydl_on_random_cases(lesson3, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 20).astype(np.float64)
    p = rng.uniform(0.01, 0.99, 20)
    assert lesson3.bce_numpy(y, p) == pytest.approx(
        float(losses.binary_crossentropy(y, Tensor(p, dtype="float64")).data), rel=1e-9)
    assert lesson3.mse_numpy(y, p) == pytest.approx(
        float(losses.mse(y, Tensor(p, dtype="float64")).data), rel=1e-9)


def test_printed_crossentropy_differs_and_rewards_wrong_answers(run3, lesson3):
    printed, bracketed = run3["printed"], run3["bracketed"]
    assert printed["good"] < 0 < bracketed["good"]            # negative "loss"
    assert printed["bad"] < printed["good"]                   # lower for worse predictions
    assert bracketed["bad"] > bracketed["good"]
    assert "negative for the good ŷ, and LOWER for the bad ŷ" in run3.stdout
    # one sample with y = 0: the printed form is log(1 - ŷ), the true one −log(1 - ŷ)
    y, p = np.array([0.0]), np.array([0.3])
    assert lesson3.bce_as_printed(y, p) == pytest.approx(np.log(0.7))
    assert lesson3.bce_numpy(y, p) == pytest.approx(-np.log(0.7))
    # minimising the printed form trains a classifier that is mostly wrong
    literal = run3["logistic"]["literal"]
    assert literal["accuracy"] < 0.5 < run3["logistic"]["runs"]["about right"]["accuracy"]
    assert literal["curve"][-1] < literal["curve"][0] < 0     # the printed "loss" sinks
    assert literal["cross_entropy"] > run3["logistic"]["runs"]["about right"]["curve"][-1]


def test_the_printed_formula_trained_in_the_lesson_is_bce_as_printed(run3, lesson3):
    """train_logistic(as_printed=True) minimises the same formula as bce_as_printed."""
    X, y = run3["logistic"]["X"], run3["logistic"]["y"]
    run = lesson3.train_logistic(X, y, 1.0, 1, as_printed=True)   # curve[0]: at w = b = 0
    assert run["curve"][0] == pytest.approx(lesson3.bce_as_printed(y, np.full(len(y), 0.5)))
    assert run3["logistic"]["literal"]["curve"][0] == pytest.approx(run["curve"][0])


def test_critical_learning_rate_is_two_over_lambda_max(run3):
    line = run3["line"]
    lam = np.linalg.eigvalsh(line["H_autograd"])[-1]            # from autograd gradients
    assert np.allclose(line["H"], line["H_autograd"], rtol=1e-9)
    assert line["alpha_crit"] == pytest.approx(2.0 / lam, rel=1e-9)
    assert line["alpha_crit"] == pytest.approx(2.0 / line["lam_max"], rel=1e-12)


def test_too_large_learning_rate_diverges_and_good_one_converges(run3):
    table = run3["line_table"]
    large = table["too large (1.05·2/λmax)"]
    assert large["alpha"] > run3["line"]["alpha_crit"]
    assert large["last"] > 100 * large["first"]               # grows geometrically
    for name in ("about right (1/λmax)", "just below (0.98·2/λmax)"):
        assert table[name]["alpha"] < run3["line"]["alpha_crit"]
        assert table[name]["last"] < table[name]["first"] / 10
    right = table["about right (1/λmax)"]
    assert right["last"] == pytest.approx(run3["line"]["J_star"], rel=1e-3)


def test_threshold_is_sharp_on_a_fresh_line(lesson3):
    rng = np.random.default_rng(7)
    x, y = lesson3.make_line(40, rng)
    crit = 2.0 / np.linalg.eigvalsh(lesson3.line_hessian(x))[-1]
    start = np.array([0.0, 0.0])
    below, _ = lesson3.gradient_descent(x, y, 0.97 * crit, 300, start)
    above, _ = lesson3.gradient_descent(x, y, 1.03 * crit, 300, start)
    assert below[-1] < below[0] and above[-1] > above[0]


def test_lesson3_writes_its_four_figures(run3):
    assert {p.name for p in run3.figures} == {
        "crossentropy_brackets.png", "line_fit_gradient_descent.png",
        "logistic_gradient_descent.png", "forward_graph.png"}


# -- lesson 5 ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lesson5():
    return lesson_definitions(L05)


@pytest.fixture(scope="module")
def run5():
    need_mnist()
    return run_notebook(L05)


def test_turn_180_is_random_rotation_by_half_a_turn(lesson5):
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype(np.float32)
    turned = RandomRotation((0.5, 0.5), seed=0)(Tensor(x), training=True).data
    np.testing.assert_allclose(turned, lesson5.turn_180(x), atol=1e-6)


def test_random_flip_gives_the_image_or_its_mirror(lesson5):
    x = np.random.default_rng(1).random((64, 28, 28, 1)).astype(np.float32)
    out = RandomFlip("horizontal", seed=0)(Tensor(x), training=True).data
    same = np.all(out == x, axis=(1, 2, 3))
    mirrored = np.all(out == lesson5.flip_left_right(x), axis=(1, 2, 3))
    assert np.all(same | mirrored) and same.any() and mirrored.any()


def test_augmentation_grid_shapes(plots5):
    x = np.random.default_rng(2).random((6, 28, 28, 1)).astype(np.float32)
    grid, names = plots5.augmentation_grid(x, seed=0)
    assert grid.shape == (len(names), 6, 28, 28)
    np.testing.assert_array_equal(grid[0], x[..., 0])
    flipped = names.index("flip left–right")
    np.testing.assert_array_equal(grid[flipped], x[:, :, ::-1, 0])   # each shown flipped
    assert plots5.mosaic(grid).shape == (len(names) * 30, 6 * 30)


def test_a_mirrored_asymmetric_digit_is_another_picture(lesson5):
    """A '7'-like stroke pattern is not invariant under flipping, a '0'-like ring is."""
    rows, cols = np.indices((28, 28))
    ring = ((rows - 13.5) ** 2 + (cols - 13.5) ** 2 - 64) ** 2 < 200
    seven = (rows == 6) & (cols > 6) & (cols < 21) | (np.abs(cols - (20 - (rows - 6) // 2)) < 1) & (rows > 6)
    for shape, symmetric in ((ring, True), (seven, False)):
        x = shape[None, :, :, None].astype(np.float32)
        assert np.array_equal(lesson5.flip_left_right(x), x) == symmetric


def test_lesson5_flipped_digits_lose_accuracy_and_grid_shape(run5):
    flip = run5["flip"]
    assert flip["original"] > 0.5                               # it learned something
    assert flip["flipped left–right"] < flip["original"] - 0.1
    assert flip["turned 180°"] < flip["original"] - 0.1
    assert run5["grid"].shape == (len(run5["grid_names"]), 10, 28, 28)
    scaling = run5["scaling"]
    assert scaling["raw floats (0..255)"]["first_epoch_loss"] > \
        scaling["x / 255 (0..1)"]["first_epoch_loss"]
    assert set(run5["augmentation"]) == {"none", "shift", "shift + rotation",
                                         "shift + rotation + flip"}


def test_lesson5_preprocessing_layers_act_at_inference_augmentation_does_not(run5):
    raw = run5["raw"][:4]
    same = run5["same"]
    np.testing.assert_allclose(same["Rescaling(1/255)"], raw / 255, rtol=1e-6)
    np.testing.assert_array_equal(same["RandomRotation(0.04)"], raw)
    np.testing.assert_array_equal(same["RandomFlip"], raw)
    assert "fit on the uint8 pixels: TypeError" in run5.stdout


def test_lesson5_verdicts_follow_the_numbers(run5):
    acc = {k: v["test_accuracy"] for k, v in run5["augmentation"].items()}
    helped = "helped" if acc["shift + rotation"] > acc["none"] else "did not help"
    hurt = "hurt" if acc["shift + rotation + flip"] < acc["shift + rotation"] else "did not hurt"
    assert f"shifts and small rotations {helped}:" in run5.stdout
    assert f"adding flips {hurt}:" in run5.stdout
    turned = run5["study"]["turned 180°"]["counts"]
    assert run5["six_as_nine"] == pytest.approx(turned[6, 9] / max(turned[6].sum(), 1))
    assert {p.name for p in run5.figures} == {"augmentation_grid.png", "flipped_digits.png",
                                              "augmentation_curves.png"}
