"""The claims of the section-6 FAQ lessons on losses, overfitting and evaluation, checked on
what each lesson computed when it ran as a notebook in quick mode (`run_notebook`, its
globals) and on its functions (`lesson_definitions`, without running it)."""
from __future__ import annotations

import re

import numpy as np
import pytest

import tinydl.functional as F
from tinydl import Tensor
from tinydl.applications import article_cnn
from tinydl.losses import mse
from tinydl.metrics import classification_report, confusion_matrix, f1_score, precision, recall

from lesson_helpers import lesson_definitions, need_mnist, run_notebook


@pytest.fixture
def mnist_data():
    need_mnist()


# -- 06_faq_losses ---------------------------------------------------------------------

def test_logit_gradients_match_the_closed_forms_and_the_general_formula():
    lesson = lesson_definitions("06_faq_losses")
    p = np.random.default_rng(1).uniform(0.001, 0.999, 50)
    # cross-entropy: p - 1
    np.testing.assert_allclose(lesson.autograd_logit_gradient(p, "cross-entropy"), p - 1, atol=1e-12)
    # MSE through softmax, the two closed forms, derived independently of the lesson here
    np.testing.assert_allclose(lesson.autograd_logit_gradient(p, "MSE", "even"),
                               -2 * p * (1 - p) ** 2 / 9, atol=1e-12)
    np.testing.assert_allclose(lesson.autograd_logit_gradient(p, "MSE", "one"),
                               -0.4 * p * (1 - p) ** 2, atol=1e-12)
    for loss, spread in (("cross-entropy", "even"), ("MSE", "even"), ("MSE", "one")):
        np.testing.assert_allclose(lesson.closed_form_gradient(p, loss, spread),
                                   lesson.autograd_logit_gradient(p, loss, spread), atol=1e-12)
    # the general formula (2/K) p_t (2 p_t - 1 - Σ p_k²) for arbitrary logits
    z = Tensor(np.random.default_rng(2).normal(0, 3, (40, 10)), requires_grad=True)
    y = np.eye(10)[np.zeros(40, dtype=int)]
    mse(y, F.softmax(z, axis=-1)).backward()
    probs = np.exp(z.data) / np.exp(z.data).sum(axis=1, keepdims=True)
    pt = probs[:, 0]
    expected = 2 / 10 * pt * (2 * pt - 1 - (probs ** 2).sum(axis=1))
    np.testing.assert_allclose(z.grad[:, 0] * 40, expected, atol=1e-12)


def test_confidently_wrong_cross_entropy_pushes_and_mse_stalls():
    lesson = lesson_definitions("06_faq_losses")
    p = np.array([0.001])
    assert lesson.autograd_logit_gradient(p, "cross-entropy")[0] < -0.99
    for spread in ("even", "one"):
        assert abs(lesson.autograd_logit_gradient(p, "MSE", spread)[0]) < 1e-3


def test_sigmoid_mse_saturates_and_a_linear_output_does_not(mnist_data):
    run = run_notebook("06_faq_losses")
    z = np.array([-8.0, -6.0, -4.0, -2.0, 0.0, 2.0, 4.0])
    p = 1 / (1 + np.exp(-z))
    # one sigmoid output, label 1: 2(p - 1)p(1 - p) and p - 1, derived here
    np.testing.assert_allclose(run["sigmoid_grad"]["MSE"], 2 * (p - 1) * p * (1 - p), atol=1e-12)
    np.testing.assert_allclose(run["sigmoid_grad"]["cross-entropy"], p - 1, atol=1e-9)
    assert run["ratio_at_minus6"] > 100 and run["mse_fades"]
    assert "MSE's push shrinks as the mistake grows" in run.stdout
    # a linear output: MSE's gradient 2(ŷ - y) for errors 0.1, 1, 10
    np.testing.assert_allclose(run["regression_grad"], [-0.2, -2.0, -20.0], rtol=1e-6)


def test_losses_lesson_cross_entropy_trains_better_with_sgd(mnist_data):
    run = run_notebook("06_faq_losses")
    assert run["max_gradient_error"] < 1e-10
    # even against MSE with a 10x learning rate, cross-entropy is clearly ahead with SGD
    assert run["sgd_gain"] > 0.05, run["sgd_gain"]
    assert run["sgd_gain"] > run["noise"]
    assert f"SGD: cross-entropy is ahead of the best MSE run by {run['sgd_gain']:.4f}" in run.stdout
    verdict = "ahead of" if run["adam_gain"] > 0 else "behind"
    assert f"Adam: cross-entropy is {verdict} the best MSE run" in run.stdout
    figures = {path.name: path for path in run.figures}
    assert figures["logit_gradient.png"].stat().st_size > 1000
    assert figures["training_curves.png"].stat().st_size > 1000


# -- 06_faq_overfitting ----------------------------------------------------------------

def test_overfitting_table_and_more_data_shrinks_the_gap(mnist_data):
    run = run_notebook("06_faq_overfitting")
    rows = run["results"]
    assert list(rows) == list(lesson_definitions("06_faq_overfitting").REMEDIES)
    for name, r in rows.items():
        assert {"train acc", "val acc", "gap", "best_epoch", "epochs_run"} <= set(r)
        assert r["gap"] == pytest.approx(r["train acc"] - r["val acc"])
        assert 1 <= r["best_epoch"] <= r["epochs_run"] <= run["epochs"]
        if name != "early stopping":
            assert r["epochs_run"] == run["epochs"]
    assert rows["5x data"]["images"] == 5 * rows["baseline"]["images"]
    assert rows["baseline"]["gap"] > 0.1                 # 100 images: a clear overfit
    assert rows["5x data"]["gap"] < rows["baseline"]["gap"] - 0.05
    assert rows["5x data"]["val acc"] > rows["baseline"]["val acc"]
    spread = run["baseline_val_over_seeds"]
    assert spread[0] == rows["baseline"]["val acc"] and len(spread) == 3
    assert run["seed_spread"] == pytest.approx(max(spread) - min(spread))


def test_penalties_keep_every_weight_and_shrink_them(mnist_data):
    run = run_notebook("06_faq_overfitting")
    stats = run["weight_stats"]
    assert stats["L1 1e-4"]["parameters"] == stats["L2 1e-3"]["parameters"] \
        == stats["baseline"]["parameters"] > stats["smaller model"]["parameters"]
    for name in ("L1 1e-4", "L2 1e-3"):
        assert stats[name]["sum w²"] < stats["baseline"]["sum w²"]
    assert stats["L1 1e-4"]["share < 1e-3"] > stats["baseline"]["share < 1e-3"]
    less = run["dependence"]["dropout 0.5"] < run["dependence"]["baseline"]
    assert f"depends {'less' if less else 'no less'} on single units" in run.stdout


def test_early_stopping_stops_early_and_restores_the_best_epoch(mnist_data):
    epochs, patience = 30, 2
    run = run_notebook("06_faq_overfitting", args=f'--remedies "baseline,early stopping" '
                       f"--n-train 100 --epochs {epochs} --patience {patience}")
    assert list(run["results"]) == ["baseline", "early stopping"]
    base, early = run["results"]["baseline"], run["results"]["early stopping"]
    assert base["epochs_run"] == epochs
    assert early["epochs_run"] < epochs                          # it stopped before the end
    assert early["stopped_epoch"] == early["epochs_run"]
    assert early["epochs_run"] - early["best_epoch"] == patience  # patience epochs after the best
    assert early["best_epoch"] - 1 == int(np.argmin(early["val_loss"]))
    # the restored weights are the best epoch's: their validation accuracy is that epoch's
    assert early["val acc"] == pytest.approx(early["val_curve"][early["best_epoch"] - 1], abs=1e-9)
    # same seed, so the two runs agree epoch for epoch until the stop
    np.testing.assert_allclose(early["val_loss"], base["val_loss"][:early["epochs_run"]])


# -- 06_faq_evaluation -----------------------------------------------------------------

def test_evaluation_metrics_equal_tinydl_metrics_recomputed(mnist_data):
    run = run_notebook("06_faq_evaluation")
    labels, predicted, table = run["labels"], run["predicted"], run["table"]
    np.testing.assert_array_equal(predicted, run["probabilities"].argmax(axis=1))
    counts = confusion_matrix(labels, predicted, num_classes=10)
    np.testing.assert_array_equal(run["confusion"], counts)
    for name, fn in (("precision", precision), ("recall", recall), ("f1", f1_score)):
        np.testing.assert_allclose(table[f"{name}_per_class"], fn(labels, predicted, average=None))
        assert table[f"{name}_macro"] == pytest.approx(fn(labels, predicted, average="macro"))
        # one label per image: micro P = R = F1 = accuracy
        assert table[f"{name}_micro"] == pytest.approx(table["accuracy"])
    accuracy = np.mean(labels == predicted)
    assert table["accuracy"] == pytest.approx(accuracy)
    assert run["errors"]["test"]["error"] == pytest.approx(1 - accuracy, abs=1e-9)
    assert run["report"] == classification_report(labels, predicted, num_classes=10)
    for digit in range(10):                                      # a row for every class
        assert re.search(rf"^\s+{digit}\s+\d\.\d{{4}}", run["report"], flags=re.M), digit
    assert table["accuracy"] > 0.5                               # it learned (chance: 0.1)
    # both readings of 准确率 are printed, and they are different numbers
    assert f"{table['accuracy']:.4f}" in run.stdout and f"{table['precision_macro']:.4f}" in run.stdout
    assert table["precision_macro"] != pytest.approx(table["accuracy"])
    figures = {path.name: path for path in run.figures}
    assert figures["confusion_matrix.png"].stat().st_size > 1000


def test_choosing_on_the_test_set_is_optimistic(mnist_data):
    run = run_notebook("06_faq_evaluation")
    for e in run["errors"].values():
        assert e["± s.e."] == pytest.approx(np.sqrt(e["error"] * (1 - e["error"]) / e["images"]))
    # the best of 20 equally good models, scored on the same images, looks better than it is
    assert run["selection_bias"] > run["errors"]["test"]["± s.e."]
    assert abs(run["fresh"].mean() - run["true_accuracy"]) < 0.005


def test_evaluation_loads_section4_weights(mnist_data, tmp_path):
    model = article_cnn()
    path = tmp_path / "w.weights.npz"
    model.save_weights(str(path))
    run = run_notebook("06_faq_evaluation", args=f"--weights {path}")
    assert set(run["errors"]) == {"training", "validation", "test"}
    assert run["confusion"].sum() == 500
    assert "lesson 4's weights" in run.stdout and "a second training error" in run.stdout
