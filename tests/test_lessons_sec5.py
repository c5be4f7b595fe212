"""The section-5 lessons (10 data and compute, 11 explainability, 12 adversarial examples,
13 membership inference) run as notebooks in quick mode: their printed figures are sane,
their verdicts follow from the numbers and their pictures exist; lesson 13's AUC against
the pairwise definition on hypothesis-drawn scores.

Lessons 11-13 use lesson 4's weights when they exist; a notebook run puts every lesson's
output under a fresh $TINYDL_LESSON_OUT, where there are none, so they train their own
network (the tests check that they say so)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinydl.applications import article_cnn

from lesson_helpers import lesson_definitions, need_mnist, run_notebook, run_script
from reference import auc_pairs_loops


def run(stem):
    need_mnist()
    return run_notebook(stem)


def picture(run_, name):
    path = run_.out / name
    assert path in run_.figures, f"{name} not announced: {run_.figures}"
    assert path.stat().st_size > 5000, path
    return path


# -- lesson 10 --------------------------------------------------------------------------------

def test_lesson10_more_data_gives_more_accuracy_and_more_time():
    lesson = run("10_data_and_compute")
    rows = lesson["rows"]
    assert [r["n"] for r in rows] == [100, 300, 1000]
    accuracy = [r["accuracy"] for r in rows]
    assert all(0.1 < a <= 1 for a in accuracy)
    assert accuracy[-1] > accuracy[0] + 0.1          # 10× the data, same epochs
    assert rows[-1]["seconds"] > rows[0]["seconds"]
    assert [r["steps"] for r in rows] == [2, 6, 16]  # epochs × ceil(n / 128)
    for r in rows:
        assert 0 <= r["train_accuracy"] <= 1
        assert r["us_per_image"] == pytest.approx(1e6 * r["seconds"] / (r["n"] * r["epochs"]))
    assert {r["parameters"] for r in rows} == {225_034}   # one model at every size
    # the printed verdicts are the numbers' verdicts
    proportional = all(0.7 < q < 1.3 for q in lesson["time_per_work"])
    assert ("grows in proportion to" if proportional else "is not proportional to") in lesson.stdout
    gaps = [r["train_accuracy"] - r["accuracy"] for r in rows]
    assert ("shrank" if gaps[-1] < gaps[0] else "did not shrink") + " with data" in lesson.stdout
    picture(lesson, "accuracy_and_time_vs_data.png")


# -- lesson 11 --------------------------------------------------------------------------------

METHODS = {"saliency", "gradient × input", "integrated gradients", "Grad-CAM"}


def test_lesson11_maps_completeness_and_sanity_check():
    lesson = run("11_explainability")
    assert "trained here" in lesson["how"]
    assert lesson["worst_completeness"] < 0.05          # integrated gradients at 50 steps
    labels, predicted = lesson["labels"], lesson["predicted"]
    assert (labels == predicted).any() and (labels != predicted).any()   # right and wrong
    assert set(lesson["maps"]) == METHODS
    for name, maps in lesson["maps"].items():
        assert maps.shape == (len(labels), 28, 28) and np.isfinite(maps).all(), name
    assert lesson["maps"]["Grad-CAM"].min() >= 0
    assert len(lesson["layers"]) == 4          # conv, conv, dense, dense: top first
    for table in (lesson["sanity"], lesson["ink_sanity"]):
        assert set(table) == METHODS
        for rhos in table.values():
            assert len(rhos) == 4
            assert all(np.isnan(r) or -1 <= r <= 1 for r in rhos)
    # randomising the weights changes the saliency map: well below an unchanged 1
    assert lesson["sanity"]["saliency"][-1] < 0.9
    # the zero background ties inflate the all-pixel correlation of x ⊙ g
    assert lesson["ink_sanity"]["gradient × input"][-1] < lesson["sanity"]["gradient × input"][-1]
    assert 0.5 < lesson["background"] < 1                # most of MNIST is blank
    picture(lesson, "attributions.png")
    picture(lesson, "randomization_check.png")


def test_lesson11_verdicts_follow_the_ink_correlations():
    lesson = run("11_explainability")
    for name in METHODS:
        rho = lesson["ink_sanity"][name][-1]
        verdict = ("no correlation defined" if np.isnan(rho) else
                   "changes: it depends" if rho < 0.3 else
                   "partly: much of the map" if rho < 0.7 else "barely changes")
        line = next(l for l in lesson.stdout.splitlines()
                    if l.startswith(f"{name} ") and "all pixels" in l)
        assert verdict in line, line
    assert ("under 5%" if lesson["worst_completeness"] < 0.05 else "NOT under") in lesson.stdout


# -- lesson 12 --------------------------------------------------------------------------------

def test_lesson12_curves_fall_with_eps_and_pgd_is_at_least_as_strong():
    lesson = run("12_security_adversarial")
    assert "trained here" in lesson["how"]
    for curves in (lesson["before"], lesson["after"]):
        for name in ("FGSM", "PGD"):
            c = curves[name]
            assert len(c) == 7 and ((0 <= c) & (c <= 1)).all()
            assert c[-1] < c[0]                            # ε = 0.3 hurts
        assert curves["FGSM"][0] == curves["PGD"][0]      # ε = 0: both the clean accuracy
    before, after = lesson["before"], lesson["after"]
    assert before["PGD"][-1] <= before["FGSM"][-1] + 0.02
    assert lesson["clean_lost"] == pytest.approx(before["FGSM"][0] - after["FGSM"][0])
    assert np.isfinite(lesson["adv_losses"]).all()
    assert ("lost" if lesson["clean_lost"] > 0 else "gained") in lesson.stdout
    picture(lesson, "adversarial_examples.png")
    picture(lesson, "robustness_curves.png")


def test_lesson12_fgsm_written_out_is_tinydls_and_stays_in_the_ball():
    lesson = run("12_security_adversarial")
    x, x_adv, eps = lesson["x8"], lesson["x_adv"], lesson["eps"]
    assert "largest difference from tinydl's fgsm: 0.0" in lesson.stdout
    assert np.abs(x_adv - x).max() <= eps + 1e-6 and x_adv.min() >= 0 and x_adv.max() <= 1
    assert (lesson["loss_after"] > lesson["loss_before"]).mean() >= 0.75   # the loss goes up


# -- lesson 13 --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lesson13():
    return lesson_definitions("13_privacy_membership")


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


def test_lesson13_the_overfitted_model_leaks_membership():
    lesson = run("13_privacy_membership")
    results = lesson["results"]
    # no lesson-4 weights in the run's output folder: no CNN row
    assert set(results) == {"overfitted", "regularised", "strongly regularised"}
    over = results["overfitted"]
    assert over["acc_in"] > over["acc_out"]                 # it overfits
    assert np.mean(over["loss_in"]) < np.mean(over["loss_out"])
    assert over["auc"] > 0.65                               # and the attack sees it
    for name, r in results.items():
        assert 0 <= r["auc"] <= 1 and 0 <= r["advantage"] <= 1
        assert r["auc"] == pytest.approx(auc_pairs_loops(-r["loss_in"], -r["loss_out"]))
    for name in ("regularised", "strongly regularised"):   # the verdict is the numbers'
        word = "lower" if results[name]["auc"] < over["auc"] else "not lower"
        assert f"→ {results[name]['auc']:.3f} ({word})" in lesson.stdout
    assert lesson["example_ranks"].tolist() == [4, 2, 3, 1]   # the worked example
    assert "= 0.75; pairs ordered right: 3 of 4" in lesson.stdout
    picture(lesson, "membership_inference.png")


def test_lesson13_runs_as_a_script_and_attacks_lesson4s_cnn_when_its_weights_exist(tmp_path):
    """As a script, with --weights pointing at a (here untrained) section-4 CNN: the CNN
    gets its own row."""
    need_mnist()
    weights = tmp_path / "cnn.weights.npz"
    article_cnn().save_weights(str(weights))
    script = run_script("13_privacy_membership", "--weights", str(weights), out=tmp_path / "out")
    cnn = script["results"]["section-4 CNN (lesson 4)"]
    assert 0 <= cnn["auc"] <= 1 and len(cnn["loss_in"]) == len(cnn["loss_out"])
    assert (tmp_path / "out" / "membership_inference.png").stat().st_size > 5000
