"""The claims of the section-6 FAQ lessons on losses, overfitting and evaluation, checked
through each lesson's main(argv) return value (--quick, a temporary --out)."""
from __future__ import annotations

import contextlib
import pathlib
import re

import numpy as np
import pytest

import tinydl.functional as F
from tinydl import Tensor
from tinydl.losses import mse
from tinydl.metrics import classification_report, confusion_matrix, f1_score, precision, recall

from lesson_helpers import load_lesson, need_mnist

load = load_lesson


@pytest.fixture
def mnist_data():
    need_mnist()


def one_blas_thread():
    """The lessons ask for one BLAS thread through the environment, which only works before
    NumPy loads; inside pytest NumPy is loaded already, so limit it here (if threadpoolctl
    is installed): small matrix products are far slower with threads on a busy machine."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def run(stem: str, tmp_path: pathlib.Path, *extra: str) -> dict:
    with one_blas_thread():
        return load(stem).main(["--quick", "--out", str(tmp_path), *extra])


# -- 06_faq_losses ---------------------------------------------------------------------

def test_logit_gradients_match_the_closed_forms_and_the_general_formula():
    lesson = load("06_faq_losses")
    p = np.random.default_rng(1).uniform(0.001, 0.999, 50)
    # cross-entropy: p - 1
    np.testing.assert_allclose(lesson.autograd_logit_gradient(p, "cross-entropy"), p - 1, atol=1e-12)
    # MSE through softmax, the two closed forms, derived independently of the lesson here
    np.testing.assert_allclose(lesson.autograd_logit_gradient(p, "MSE", "even"),
                               -2 * p * (1 - p) ** 2 / 9, atol=1e-12)
    np.testing.assert_allclose(lesson.autograd_logit_gradient(p, "MSE", "one"),
                               -0.4 * p * (1 - p) ** 2, atol=1e-12)
    # the general formula (2/K) p_t (2 p_t - 1 - Σ p_k²) for arbitrary logits
    z = Tensor(np.random.default_rng(2).normal(0, 3, (40, 10)), requires_grad=True)
    y = np.eye(10)[np.zeros(40, dtype=int)]
    mse(y, F.softmax(z, axis=-1)).backward()
    probs = np.exp(z.data) / np.exp(z.data).sum(axis=1, keepdims=True)
    pt = probs[:, 0]
    expected = 2 / 10 * pt * (2 * pt - 1 - (probs ** 2).sum(axis=1))
    np.testing.assert_allclose(z.grad[:, 0] * 40, expected, atol=1e-12)


def test_confidently_wrong_cross_entropy_pushes_and_mse_stalls():
    lesson = load("06_faq_losses")
    p = np.array([0.001])
    assert lesson.autograd_logit_gradient(p, "cross-entropy")[0] < -0.99
    for spread in ("even", "one"):
        assert abs(lesson.autograd_logit_gradient(p, "MSE", spread)[0]) < 1e-3


def test_losses_lesson_cross_entropy_trains_better_with_sgd(mnist_data, tmp_path):
    result = run("06_faq_losses", tmp_path)
    assert result["max_gradient_error"] < 1e-10
    # even against MSE with a 10x learning rate, cross-entropy is clearly ahead with SGD
    assert result["sgd_gain"] > 0.05, result["sgd_gain"]
    assert (tmp_path / "logit_gradient.png").stat().st_size > 1000


# -- 06_faq_overfitting ----------------------------------------------------------------

def test_overfitting_table_and_more_data_shrinks_the_gap(mnist_data, tmp_path):
    result = run("06_faq_overfitting", tmp_path, "--remedies", "baseline,5x data")
    rows = result["results"]
    assert list(rows) == ["baseline", "5x data"]
    for r in rows.values():
        assert {"train_acc", "val_acc", "gap", "best_epoch", "epochs_run"} <= set(r)
        assert r["gap"] == pytest.approx(r["train_acc"] - r["val_acc"])
        assert 1 <= r["best_epoch"] <= r["epochs_run"] == result["epochs"]
    assert rows["5x data"]["n_images"] == 5 * rows["baseline"]["n_images"]
    assert rows["baseline"]["gap"] > 0.1                 # 100 images: a clear overfit
    assert rows["5x data"]["gap"] < rows["baseline"]["gap"] - 0.05
    assert rows["5x data"]["val_acc"] > rows["baseline"]["val_acc"]


def test_early_stopping_stops_early_and_restores_the_best_epoch(mnist_data, tmp_path):
    epochs, patience = 30, 2
    result = run("06_faq_overfitting", tmp_path, "--remedies", "baseline,early stopping",
                 "--n-train", "100", "--epochs", str(epochs), "--patience", str(patience))
    base, early = result["results"]["baseline"], result["results"]["early stopping"]
    assert base["epochs_run"] == epochs
    assert early["epochs_run"] < epochs                          # it stopped before the end
    assert early["stopped_epoch"] == early["epochs_run"]
    assert early["epochs_run"] - early["best_epoch"] == patience  # patience epochs after the best
    assert early["best_epoch"] - 1 == int(np.argmin(early["val_loss"]))
    # the restored weights are the best epoch's: their validation accuracy is that epoch's
    assert early["val_acc"] == pytest.approx(early["val_curve"][early["best_epoch"] - 1], abs=1e-9)
    # same seed, so the two runs agree epoch for epoch until the stop
    np.testing.assert_allclose(early["val_loss"], base["val_loss"][:early["epochs_run"]])


# -- 06_faq_evaluation -----------------------------------------------------------------

def test_evaluation_metrics_equal_tinydl_metrics_recomputed(mnist_data, tmp_path):
    result = run("06_faq_evaluation", tmp_path)
    labels, predicted, table = result["labels"], result["predicted"], result["table"]
    np.testing.assert_array_equal(predicted, result["probabilities"].argmax(axis=1))
    counts = confusion_matrix(labels, predicted, num_classes=10)
    np.testing.assert_array_equal(result["confusion"], counts)
    for name, fn in (("precision", precision), ("recall", recall), ("f1", f1_score)):
        np.testing.assert_allclose(table[f"{name}_per_class"], fn(labels, predicted, average=None))
        assert table[f"{name}_macro"] == pytest.approx(fn(labels, predicted, average="macro"))
        # one label per image: micro P = R = F1 = accuracy
        assert table[f"{name}_micro"] == pytest.approx(table["accuracy"])
    accuracy = np.mean(labels == predicted)
    assert table["accuracy"] == pytest.approx(accuracy)
    assert result["errors"]["test"]["error"] == pytest.approx(1 - accuracy, abs=1e-9)
    assert result["report"] == classification_report(labels, predicted, num_classes=10)
    for digit in range(10):                                      # a row for every class
        assert re.search(rf"^\s+{digit}\s+\d\.\d{{4}}", result["report"], flags=re.M), digit
    assert result["table"]["accuracy"] > 0.5                     # it learned (chance: 0.1)
    assert (tmp_path / "confusion_matrix.png").stat().st_size > 1000


def test_evaluation_loads_section4_weights(mnist_data, tmp_path):
    lesson = load("06_faq_evaluation")
    model = lesson.section4_cnn()
    path = tmp_path / "w.weights.npz"
    model.save_weights(str(path))
    result = run("06_faq_evaluation", tmp_path, "--weights", str(path))
    assert set(result["errors"]) == {"training", "validation", "test"}
    assert result["confusion"].sum() == 500
