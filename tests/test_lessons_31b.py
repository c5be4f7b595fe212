"""Substantive claims of lessons 03 (dense layer, losses, gradient descent) and
05 (preprocessing), checked through each lesson's `main(argv)` and its functions."""
import os

import numpy as np
import pytest

from tinydl import Tensor, losses
from tinydl.preprocessing import RandomFlip, RandomRotation

from lesson_helpers import HAVE_MNIST, load_lesson


@pytest.fixture(scope="module")
def lesson3():
    return load_lesson("03_dense_losses_gradient_descent")


@pytest.fixture(scope="module")
def run3(lesson3, tmp_path_factory):
    return lesson3.main(["--quick", "--out", str(tmp_path_factory.mktemp("l03"))])


# -- lesson 3 ---------------------------------------------------------------------------

def test_dense_column_form_equals_tinydl_dense(run3):
    assert run3["dense"]["max_abs_diff"] < 1e-12
    assert run3["dense"]["kernel_shape"] == run3["dense"]["W_shape"][::-1]


def test_numpy_loss_formulas_equal_tinydl_losses(run3):
    for name, (mine, theirs) in run3["losses"]["rows"].items():
        assert mine == pytest.approx(theirs, rel=1e-9), name


def test_the_forward_graph_is_drawn_before_backward_and_its_gradient_is_the_formula(run3):
    graph = run3["graph"]
    assert graph["path"].stat().st_size > 1000
    # X, w, MatMul, b, Add, y, the fused loss: 7 nodes, the weights marked
    assert graph["nodes"] == 7 and graph["dot"].count("requires_grad") == 2
    assert "BinaryCrossentropyFromLogits" in graph["dot"]
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
    printed, bracketed = run3["losses"]["printed"], run3["losses"]["bracketed"]
    assert printed["good"] < 0 < bracketed["good"]            # negative "loss"
    assert printed["bad"] < printed["good"]                   # lower for worse predictions
    assert bracketed["bad"] > bracketed["good"]
    # one sample with y = 0: the printed form is log(1 - ŷ), the true one −log(1 - ŷ)
    y, p = np.array([0.0]), np.array([0.3])
    assert lesson3.bce_as_printed(y, p) == pytest.approx(np.log(0.7))
    assert lesson3.bce_numpy(y, p) == pytest.approx(-np.log(0.7))
    # minimising the printed form trains a classifier that is mostly wrong
    literal = run3["logistic"]["literal"]
    assert literal["accuracy"] < 0.5 < run3["logistic"]["runs"]["about right"]["accuracy"]


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


# -- lesson 5 ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lesson5():
    return load_lesson("05_preprocessing")


needs_mnist = pytest.mark.skipif(not HAVE_MNIST and os.environ.get("CI") != "true",
                                 reason="needs MNIST: set TINYDL_DATA to a folder holding mnist/")


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


def test_augmentation_grid_shapes(lesson5):
    x = np.random.default_rng(2).random((6, 28, 28, 1)).astype(np.float32)
    grid, names = lesson5.augmentation_grid(x, seed=0)
    assert grid.shape == (len(names), 6, 28, 28)
    np.testing.assert_array_equal(grid[0], x[..., 0])
    flipped = names.index("flip left–right")
    np.testing.assert_array_equal(grid[flipped], x[:, :, ::-1, 0])   # each shown flipped
    assert lesson5.mosaic(grid).shape == (len(names) * 30, 6 * 30)


def test_a_mirrored_asymmetric_digit_is_another_picture(lesson5):
    """A '7'-like stroke pattern is not invariant under flipping, a '0'-like ring is."""
    rows, cols = np.indices((28, 28))
    ring = ((rows - 13.5) ** 2 + (cols - 13.5) ** 2 - 64) ** 2 < 200
    seven = (rows == 6) & (cols > 6) & (cols < 21) | (np.abs(cols - (20 - (rows - 6) // 2)) < 1) & (rows > 6)
    for shape, symmetric in ((ring, True), (seven, False)):
        x = shape[None, :, :, None].astype(np.float32)
        assert np.array_equal(lesson5.flip_left_right(x), x) == symmetric


@needs_mnist
def test_lesson5_flipped_digits_lose_accuracy_and_grid_shape(lesson5, tmp_path):
    result = lesson5.main(["--quick", "--out", str(tmp_path)])
    flip = result["flip"]
    assert flip["original"] > 0.5                               # it learned something
    assert flip["flipped left–right"] < flip["original"] - 0.1
    assert flip["turned 180°"] < flip["original"] - 0.1
    assert result["grid_shape"] == (len(result["grid_names"]), 10, 28, 28)
    scaling = result["scaling"]
    assert scaling["raw floats (0..255)"]["first_epoch_loss"] > \
        scaling["x / 255 (0..1)"]["first_epoch_loss"]
    assert set(result["augmentation"]) == {"none", "shift", "shift + rotation",
                                           "shift + rotation + flip"}
