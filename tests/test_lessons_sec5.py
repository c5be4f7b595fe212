"""The section-5 lessons (10 data and compute, 11 explainability, 12 adversarial examples,
13 membership inference) with --quick: their printed figures are sane and their pictures
exist; lesson 13's AUC against the pairwise definition on hypothesis-drawn scores."""
from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lesson_helpers import load_lesson, need_mnist
from reference import auc_pairs_loops


def one_blas_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def run(stem, tmp_path, *extra):
    need_mnist()
    with one_blas_thread():
        return load_lesson(stem).main(["--quick", "--out", str(tmp_path), *extra])


def without_weights(tmp_path):
    """--weights pointing nowhere: the lesson must train its own network."""
    return ("--weights", str(tmp_path / "no_such.weights.npz"))


def picture(path):
    assert path.stat().st_size > 5000, path
    return path


# -- lesson 10 --------------------------------------------------------------------------------

def test_lesson10_more_data_gives_more_accuracy_and_more_time(tmp_path):
    rows = run("10_data_and_compute", tmp_path)["rows"]
    assert [r["n"] for r in rows] == [100, 300, 1000]
    accuracy = [r["accuracy"] for r in rows]
    assert all(0.1 < a <= 1 for a in accuracy)
    assert accuracy[-1] > accuracy[0] + 0.1          # 10× the data, same epochs
    assert rows[-1]["seconds"] > rows[0]["seconds"]
    assert [r["steps"] for r in rows] == [2, 6, 16]  # epochs × ceil(n / 128)
    picture(tmp_path / "accuracy_and_time_vs_data.png")


# -- lesson 11 --------------------------------------------------------------------------------

def test_lesson11_maps_completeness_and_sanity_check(tmp_path):
    result = run("11_explainability", tmp_path, *without_weights(tmp_path))
    assert "trained here" in result["how"]
    assert result["worst_completeness"] < 0.05          # integrated gradients at 50 steps
    labels, predicted = result["labels"], result["predicted"]
    assert (labels == predicted).any() and (labels != predicted).any()   # right and wrong
    for name, maps in result["maps"].items():
        assert maps.shape == (len(labels), 28, 28) and np.isfinite(maps).all(), name
    assert result["maps"]["Grad-CAM"].min() >= 0
    assert len(result["layers"]) == 4          # conv, conv, dense, dense: top first
    for table in (result["sanity"], result["ink_sanity"]):
        assert set(table) == {"saliency", "gradient × input", "integrated gradients", "Grad-CAM"}
        for rhos in table.values():
            assert len(rhos) == 4
            assert all(np.isnan(r) or -1 <= r <= 1 for r in rhos)
    # randomising the weights changes the saliency map: well below an unchanged 1
    assert result["sanity"]["saliency"][-1] < 0.9
    # the zero background ties inflate the all-pixel correlation of x ⊙ g
    assert result["ink_sanity"]["gradient × input"][-1] < result["sanity"]["gradient × input"][-1]
    picture(tmp_path / "attributions.png")
    picture(tmp_path / "randomization_check.png")


# -- lesson 12 --------------------------------------------------------------------------------

def test_lesson12_curves_fall_with_eps_and_pgd_is_at_least_as_strong(tmp_path):
    result = run("12_security_adversarial", tmp_path, *without_weights(tmp_path))
    for curves in (result["before"], result["after"]):
        for name in ("FGSM", "PGD"):
            c = curves[name]
            assert len(c) == 7 and ((0 <= c) & (c <= 1)).all()
            assert c[-1] < c[0]                            # ε = 0.3 hurts
        assert curves["FGSM"][0] == curves["PGD"][0]      # ε = 0: both the clean accuracy
    assert result["before"]["PGD"][-1] <= result["before"]["FGSM"][-1] + 0.02
    assert result["clean_lost"] == pytest.approx(result["before"]["FGSM"][0]
                                                 - result["after"]["FGSM"][0])
    assert np.isfinite(result["adv_losses"]).all()
    picture(tmp_path / "adversarial_examples.png")
    picture(tmp_path / "robustness_curves.png")


# -- lesson 13 --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lesson13():
    return load_lesson("13_privacy_membership")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=15),
       st.lists(st.integers(-5, 5), min_size=1, max_size=15), st.booleans())
def test_auc_is_the_pairwise_probability_with_ties_counting_half(lesson13, pos, neg, spread):
    # small integers make ties common; `spread` turns some into distinct floats
    pos = np.array(pos, float) * (1.37 if spread else 1.0)
    neg = np.array(neg, float)
    assert lesson13.auc(pos, neg) == pytest.approx(auc_pairs_loops(pos, neg), abs=1e-12)
    # the trapezoid area under the ROC curve is the same number
    fpr, tpr = lesson13.roc_curve(pos, neg)
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    area = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    assert area == pytest.approx(auc_pairs_loops(pos, neg), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=15),
       st.lists(st.integers(-5, 5), min_size=1, max_size=15))
def test_advantage_is_the_best_threshold_rule(lesson13, pos, neg):
    # max over thresholds τ of TPR(τ) − FPR(τ) for the rule "member when score ≥ τ",
    # every candidate τ tried by a loop (τ above every score: both rates 0)
    pos, neg = np.array(pos, float), np.array(neg, float)
    best = 0.0
    for tau in np.unique(np.concatenate([pos, neg])):
        best = max(best, np.mean(pos >= tau) - np.mean(neg >= tau))
    assert lesson13.advantage(*lesson13.roc_curve(pos, neg)) == pytest.approx(best, abs=1e-12)


def test_auc_extremes_and_errors(lesson13):
    assert lesson13.auc([3, 4], [1, 2]) == 1.0 and lesson13.auc([1, 2], [3, 4]) == 0.0
    assert lesson13.auc([1, 1], [1]) == 0.5
    with pytest.raises(ValueError, match="auc: need at least one positive"):
        lesson13.auc([], [1.0])


def test_lesson13_the_overfitted_model_leaks_membership(tmp_path):
    result = run("13_privacy_membership", tmp_path, *without_weights(tmp_path))["results"]
    # no lesson-4 weights given: no CNN row
    assert set(result) == {"overfitted", "regularised", "strongly regularised"}
    over = result["overfitted"]
    assert over["acc_in"] > over["acc_out"]                 # it overfits
    assert np.mean(over["loss_in"]) < np.mean(over["loss_out"])
    assert over["auc"] > 0.65                               # and the attack sees it
    for r in result.values():
        assert 0 <= r["auc"] <= 1 and 0 <= r["advantage"] <= 1
    picture(tmp_path / "membership_inference.png")
