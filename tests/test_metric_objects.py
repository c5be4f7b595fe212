"""Keras' metric objects (tinydl.metrics.SparseCategoricalAccuracy, ..., AUC): each against
its formula and the existing function, accumulated over batches with sample weights
(hypothesis: the accumulated result equals the result on the concatenation),
reset_state, their names in History after fit, and bad input."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinydl
from tinydl import Tensor, layers, metrics

# -- the examples of Keras 3's docstrings -------------------------------------------------


def test_keras_docstring_examples():
    m = metrics.Mean()
    assert m([1, 3, 5, 7]) == 4.0
    m.reset_state()
    assert m([1, 3, 5, 7], sample_weight=[1, 1, 0, 0]) == 2.0
    assert metrics.Sum()([1, 3, 5, 7]) == 16.0
    m = metrics.SparseCategoricalAccuracy()
    assert m([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]) == 0.5
    m.reset_state()
    m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    assert m.result() == pytest.approx(0.3)
    m = metrics.CategoricalAccuracy()
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
                   sample_weight=[0.7, 0.3])
    assert m.result() == pytest.approx(0.3)
    m = metrics.BinaryAccuracy()
    assert m([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]) == 0.75
    m.reset_state()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1])
    assert m.result() == 0.5
    m = metrics.Accuracy()
    assert m([[1], [2], [3], [4]], [[0], [2], [3], [4]]) == 0.75
    m.reset_state()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
    assert m.result() == 0.5
    for cls in (metrics.Precision, metrics.Recall):
        m = cls()
        assert m([0, 1, 1, 1], [1, 0, 1, 1]) == pytest.approx(2 / 3)
        m.reset_state()
        m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
        assert m.result() == 1.0
    assert metrics.AUC(num_thresholds=3)([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]) == 0.75


def test_keras_names_and_name_override():
    expected = {metrics.SparseCategoricalAccuracy: "sparse_categorical_accuracy",
                metrics.CategoricalAccuracy: "categorical_accuracy",
                metrics.BinaryAccuracy: "binary_accuracy", metrics.Accuracy: "accuracy",
                metrics.Mean: "mean", metrics.Sum: "sum", metrics.Precision: "precision",
                metrics.Recall: "recall", metrics.AUC: "auc"}
    for cls, name in expected.items():
        assert cls().name == name
        assert cls(name="mine").name == "mine"


# -- against the existing functions and the formulas, accumulated over batches ------------

def _batches(draw, make, max_batches=4):
    return [make(draw) for _ in range(draw(st.integers(1, max_batches)))]


@st.composite
def class_batches(draw):
    k = draw(st.integers(2, 4))

    def one(draw):
        n = draw(st.integers(1, 6))
        scores = np.array(draw(st.lists(st.integers(0, 9), min_size=n * k, max_size=n * k)),
                          float).reshape(n, k) + np.arange(k) * 0.01     # no ties
        labels = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
        weights = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), float)
        return labels, scores, weights
    return _batches(draw, one)


def _accumulate(metric, batches, weighted=True):
    metric.reset_state()
    for t, p, w in batches:
        metric.update_state(t, p, sample_weight=w if weighted else None)
    return metric.result()


def _concat(batches):
    return [np.concatenate(part) for part in zip(*batches)]


@given(class_batches())
def test_accuracies_accumulate_to_the_weighted_formula(batches):
    t, p, w = _concat(batches)
    hits = (p.argmax(axis=1) == t).astype(float)
    want = (hits * w).sum() / w.sum() if w.sum() else 0.0
    one_hot = [(np.eye(p.shape[1])[tb], pb, wb) for tb, pb, wb in batches]
    for metric, data in ((metrics.SparseCategoricalAccuracy(), batches),
                         (metrics.CategoricalAccuracy(), one_hot)):
        assert _accumulate(metric, data) == pytest.approx(want)
        # without weights: the existing function on all the data at once
        assert _accumulate(metric, data, weighted=False) == pytest.approx(
            metrics.sparse_categorical_accuracy(t, p))
    assert _accumulate(metrics.Accuracy(), [(tb, pb.argmax(axis=1), wb)
                                            for tb, pb, wb in batches]) == pytest.approx(want)


@st.composite
def binary_batches(draw, d=1):
    def one(draw):
        n = draw(st.integers(1, 8))
        probs = np.array(draw(st.lists(st.integers(0, 10), min_size=n * d, max_size=n * d)),
                         float).reshape(n, d) / 10
        labels = np.array(draw(st.lists(st.integers(0, 1), min_size=n * d, max_size=n * d))
                          ).reshape(n, d)
        weights = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), float)
        return labels, probs, weights
    return _batches(draw, one)


@given(binary_batches(d=3), st.sampled_from([0.0, 0.3, 0.5, 1.0]))
def test_binary_accuracy_accumulates(batches, threshold):
    t, p, w = _concat(batches)
    per_sample = ((p > threshold) == (t == 1)).mean(axis=1)
    want = (per_sample * w).sum() / w.sum() if w.sum() else 0.0
    m = metrics.BinaryAccuracy(threshold=threshold)
    assert _accumulate(m, batches) == pytest.approx(want)
    if threshold < 1:       # the function thresholds y_true too: the same for 0/1 labels
        assert _accumulate(m, batches, weighted=False) == pytest.approx(
            metrics.binary_accuracy(t, p, threshold))


@given(binary_batches(d=2), st.sampled_from([0.0, 0.25, 0.5, 0.7]))
def test_precision_recall_accumulate_to_the_confusion_matrix(batches, threshold):
    t, p, w = _concat(batches)
    predicted = (p > threshold).astype(int)
    # weighted counts by the formula
    tp = (w[:, None] * (t == 1) * predicted).sum()
    fp = (w[:, None] * (t == 0) * predicted).sum()
    fn = (w[:, None] * (t == 1) * (1 - predicted)).sum()
    precision, recall = (metrics.Precision(threshold), metrics.Recall(threshold))
    assert _accumulate(precision, batches) == pytest.approx(tp / (tp + fp) if tp + fp else 0)
    assert _accumulate(recall, batches) == pytest.approx(tp / (tp + fn) if tp + fn else 0)
    # unweighted: class 1 of the existing per-class functions (confusion matrix)
    cm = metrics.confusion_matrix(t.ravel(), predicted.ravel(), num_classes=2)
    assert np.array_equal(_counts_of(batches, threshold), cm)
    assert _accumulate(precision, batches, weighted=False) == pytest.approx(
        metrics.precision(t.ravel(), predicted.ravel(), average=None, num_classes=2)[1])
    assert _accumulate(recall, batches, weighted=False) == pytest.approx(
        metrics.recall(t.ravel(), predicted.ravel(), average=None, num_classes=2)[1])
    # class_id: column 1 only
    m = metrics.Precision(threshold, class_id=1)
    assert _accumulate(m, batches, weighted=False) == pytest.approx(
        metrics.precision(t[:, 1], predicted[:, 1], average=None, num_classes=2)[1])


def _counts_of(batches, threshold):
    m = metrics.Precision(thresholds=threshold)
    _accumulate(m, batches, weighted=False)
    return m.counts[0]


def _exact_auc(t, p, w):
    """P(score of a positive > score of a negative), ties 1/2, pairs weighted w_i·w_j."""
    pos, neg = t == 1, t == 0
    wp, wn = w[pos][:, None], w[neg][None, :]
    sp, sn = p[pos][:, None], p[neg][None, :]
    total = (wp * wn).sum()
    if total == 0:
        return 0.0
    return float(((sp > sn) * wp * wn + 0.5 * (sp == sn) * wp * wn).sum() / total)


@given(binary_batches(d=1))
def test_auc_equals_the_exact_auc_on_a_grid(batches):
    # predictions at the bin centres (k + 0.5)/10 with num_thresholds=11 (thresholds
    # i/10): every distinct score has its own bin between two thresholds, so Keras'
    # trapezoids give the exact (rank) AUC, ties counted 1/2
    batches = [(tb, (np.minimum(np.round(pb * 10), 9) + 0.5) / 10, wb)
               for tb, pb, wb in batches]
    t, p, w = _concat(batches)
    t, p = t.ravel(), p.ravel()
    want = _exact_auc(t, p, w) if (t == 1).any() and (t == 0).any() else 0.0
    m = metrics.AUC(num_thresholds=11)
    assert _accumulate(m, batches) == pytest.approx(want)


def test_auc_against_keras_trapezoid_formula_and_rank_auc():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 2, 300)
    p = np.clip(0.3 * t + 0.7 * rng.random(300), 0, 1)
    thresholds = np.array([-1e-7, *[(i + 1) / 199 for i in range(198)], 1 + 1e-7])
    tpr = np.array([((p > th) & (t == 1)).sum() / (t == 1).sum() for th in thresholds])
    fpr = np.array([((p > th) & (t == 0)).sum() / (t == 0).sum() for th in thresholds])
    want = sum((fpr[i] - fpr[i + 1]) * (tpr[i] + tpr[i + 1]) / 2 for i in range(199))
    m = metrics.AUC()
    for part in np.array_split(np.arange(300), 7):
        m.update_state(t[part], p[part])
    assert m.result() == pytest.approx(want, abs=1e-12)
    assert m.result() == pytest.approx(_exact_auc(t, p, np.ones(300)), abs=5e-3)
    # from_logits: a sigmoid first
    logits = np.log(np.clip(p, 1e-6, 1 - 1e-6) / (1 - np.clip(p, 1e-6, 1 - 1e-6)))
    assert metrics.AUC(from_logits=True)(t, logits) == pytest.approx(
        metrics.AUC()(t, np.clip(p, 1e-6, 1 - 1e-6)))


def test_top_k_and_class_id():
    y_true = np.array([[0, 0, 1, 1], [1, 0, 0, 0]])
    scores = np.array([[0.1, 0.4, 0.3, 0.2], [0.5, 0.2, 0.2, 0.1]])
    # top 2 of each row positive: row 0 -> classes 1, 2 (TP 1, FP 1), row 1 -> 0, 1 (tie
    # between 1 and 2 goes to the lower index; TP 1, FP 1); positives missed: class 3
    assert metrics.Precision(top_k=2)(y_true, scores) == 0.5
    assert metrics.Recall(top_k=2)(y_true, scores) == pytest.approx(2 / 3)
    # with a threshold as well: 0.4 and 0.5 only
    assert metrics.Precision(thresholds=0.35, top_k=2)(y_true, scores) == 0.5
    # class_id 2: column 2 after top-k: row 0 positive and right, row 1 dropped by top_k
    assert metrics.Precision(top_k=2, class_id=2)(y_true, scores) == 1.0
    assert metrics.Recall(class_id=0)(y_true, scores) == 0.0      # 0.5 > 0.5 is false
    assert metrics.Recall(class_id=0, thresholds=0.4)(y_true, scores) == 1.0
    with pytest.raises(ValueError, match=r"top_k=5 but y_pred has shape \(2, 4\)"):
        metrics.Precision(top_k=5)(y_true, scores)
    with pytest.raises(ValueError, match=r"top_k must be an int >= 1"):
        metrics.Precision(top_k=0)


def test_multiple_thresholds_give_a_list():
    m = metrics.Precision(thresholds=[0.2, 0.5, 0.8])
    result = m([0, 1, 1, 1], [0.3, 0.4, 0.6, 0.9])
    assert result == pytest.approx([3 / 4, 1.0, 1.0])   # TP 3 FP 1; 2, 0; 1, 0


@given(st.lists(st.lists(st.integers(-5, 5), min_size=1, max_size=5), min_size=1,
                max_size=4))
def test_mean_and_sum_accumulate(chunks):
    values = [np.array(c, float) for c in chunks]
    weights = [np.arange(len(c)) % 3 for c in chunks]
    mean, total = metrics.Mean(), metrics.Sum()
    for v, w in zip(values, weights):
        mean.update_state(Tensor(v), sample_weight=w)
        total.update_state(v, sample_weight=w)
    v, w = np.concatenate(values), np.concatenate(weights)
    assert mean.result() == pytest.approx((v * w).sum() / w.sum() if w.sum() else 0.0)
    assert total.result() == pytest.approx((v * w).sum())


def test_mean_of_rows_and_scalars():
    m = metrics.Mean()
    m.update_state(3.0)
    m.update_state([[1.0, 3.0], [5.0, 7.0]])       # rows count as their means: 2, 6
    assert m.result() == pytest.approx((3 + 2 + 6) / 3)


def test_reset_state_forgets_everything():
    data = {
        metrics.SparseCategoricalAccuracy(): ([1, 0], [[0.2, 0.8], [0.9, 0.1]]),
        metrics.CategoricalAccuracy(): ([[0, 1]], [[0.2, 0.8]]),
        metrics.BinaryAccuracy(): ([1, 0], [0.7, 0.2]),
        metrics.Accuracy(): ([1, 2], [1, 2]),
        metrics.Precision(): ([1, 0], [0.7, 0.2]),
        metrics.Recall(): ([1, 0], [0.7, 0.2]),
        metrics.AUC(): ([1, 0], [0.7, 0.2]),
    }
    for m, (t, p) in data.items():
        assert m.result() == 0.0
        assert m(t, p) == 1.0
        m.reset_state()
        assert m.result() == 0.0, type(m).__name__
    for m in (metrics.Mean(), metrics.Sum()):
        m.update_state([1.0, 2.0])
        m.reset_state()
        assert m.result() == 0.0


# -- in compile / fit / evaluate -----------------------------------------------------------

def _data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x[:, 0] + 0.3 * x[:, 1] > 0).astype(int)


def test_names_in_history_after_fit():
    x, y = _data(48, 0)
    xv, yv = _data(16, 1)
    model = tinydl.Sequential([layers.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy",
                  metrics=[metrics.SparseCategoricalAccuracy(),
                           metrics.SparseCategoricalAccuracy(name="acc")])
    history = model.fit(x, y, epochs=2, batch_size=16, validation_data=(xv, yv), verbose=0)
    assert list(history.history) == ["loss", "sparse_categorical_accuracy", "acc", "val_loss",
                                     "val_sparse_categorical_accuracy", "val_acc"]
    assert all(len(v) == 2 for v in history.history.values())
    # the last validation value is the metric on the validation data
    assert history.history["val_acc"][-1] == pytest.approx(
        metrics.sparse_categorical_accuracy(yv, model.predict(xv, verbose=0)))

    binary = tinydl.Sequential([layers.Input((3,)), layers.Dense(1, activation="sigmoid")])
    binary.compile("adam", "binary_crossentropy",
                   metrics=[metrics.BinaryAccuracy(), metrics.Precision(), metrics.Recall(),
                            metrics.AUC(), metrics.Precision(0.7, name="p70")])
    history = binary.fit(x, y, epochs=2, batch_size=16, validation_data=(xv, yv), verbose=0)
    names = ["binary_accuracy", "precision", "recall", "auc", "p70"]
    assert list(history.history) == ["loss", *names, "val_loss", *[f"val_{n}" for n in names]]
    probs = binary.predict(xv, verbose=0)
    got = binary.evaluate(xv, yv, verbose=0, return_dict=True)
    assert got["auc"] == pytest.approx(metrics.AUC()(yv, probs))
    assert got["precision"] == pytest.approx(
        metrics.precision(yv, (probs[:, 0] > 0.5).astype(int), average=None,
                          num_classes=2)[1])


def test_compile_refuses_mean_and_several_thresholds():
    model = tinydl.Sequential([layers.Input((3,)), layers.Dense(1, activation="sigmoid")])
    with pytest.raises(ValueError, match=r"Mean\(\).*update_state\(values\).*train_step"):
        model.compile("adam", "binary_crossentropy", metrics=[metrics.Mean()])
    with pytest.raises(ValueError, match=r"one value per threshold"):
        model.compile("adam", "binary_crossentropy", metrics=[metrics.Recall([0.3, 0.6])])


# -- bad input -----------------------------------------------------------------------------

def test_wrong_label_format():
    with pytest.raises(ValueError, match=r"SparseCategoricalAccuracy.*integer labels of "
                                         r"shape \(2,\).*one-hot.*CategoricalAccuracy"):
        metrics.SparseCategoricalAccuracy()([[0, 1], [1, 0]], [[0.2, 0.8], [0.9, 0.1]])
    for cls in (metrics.Precision, metrics.Recall, metrics.AUC):
        with pytest.raises(ValueError, match=rf"{cls.__name__}: y_true holds 2.*0/1.*class_id"):
            cls().update_state([0, 1, 2], [0.1, 0.8, 0.5])
    with pytest.raises(ValueError, match=r"Precision: y_true has shape \(3,\) and y_pred "
                                         r"\(3, 4\).*class_id"):
        metrics.Precision().update_state([0, 1, 3], np.full((3, 4), 0.25))
    with pytest.raises(ValueError, match=r"AUC: y_pred holds values outside \[0, 1\].*"
                                         r"from_logits=True"):
        metrics.AUC().update_state([0, 1], [-2.0, 3.0])
    with pytest.raises(ValueError, match=r"Accuracy: y_pred holds values that are not whole "
                                         r"numbers.*SparseCategoricalAccuracy"):
        metrics.Accuracy()([[0, 1]], [[0.3, 0.7]])


def test_shapes_that_differ():
    with pytest.raises(ValueError, match=r"CategoricalAccuracy: y_true has shape \(2, 3\)"):
        metrics.CategoricalAccuracy()(np.eye(3)[:2], np.full((2, 4), 0.25))
    with pytest.raises(ValueError, match=r"BinaryAccuracy: y_true has shape \(3,\) but y_pred "
                                         r"has shape \(2,\)"):
        metrics.BinaryAccuracy()([1, 0, 1], [0.2, 0.9])
    with pytest.raises(ValueError, match=r"Accuracy: y_true has shape \(2,\) and y_pred "
                                         r"\(2, 3\).*SparseCategoricalAccuracy"):
        metrics.Accuracy()([1, 2], np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"sample_weight has shape \(3,\).*\(2,\)"):
        metrics.SparseCategoricalAccuracy().update_state([0, 1], np.eye(2), sample_weight=[1, 1, 1])
    with pytest.raises(ValueError, match=r"Recall: sample_weight has shape \(3,\)"):
        metrics.Recall().update_state([0, 1], [0.2, 0.9], sample_weight=[1, 1, 1])
    with pytest.raises(ValueError, match=r"Precision: class_id=5 .* 0 <= class_id < K"):
        metrics.Precision(class_id=5).update_state(np.eye(3), np.eye(3))
    with pytest.raises(ValueError, match=r"Mean: sample_weight has shape \(2,\)"):
        metrics.Mean().update_state([1.0, 2.0, 3.0], sample_weight=[1, 1])
    with pytest.raises(ValueError, match=r"expected a non-empty batch"):
        metrics.SparseCategoricalAccuracy().update_state([], np.zeros((0, 3)))


@pytest.mark.parametrize("make", [
    lambda: metrics.Precision(thresholds=1.5), lambda: metrics.Recall(thresholds=-0.1),
    lambda: metrics.Precision(thresholds=[0.2, 2.0]), lambda: metrics.BinaryAccuracy(threshold=2),
    lambda: metrics.Recall(thresholds=math.nan)])
def test_thresholds_out_of_range(make):
    with pytest.raises(ValueError, match=r"[0, 1]"):
        make()


def test_other_bad_arguments():
    with pytest.raises(ValueError, match=r"num_thresholds must be an int > 1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"summation_method='majoring' is not supported"):
        metrics.AUC(summation_method="majoring")
    with pytest.raises(ValueError, match=r"curve='PR' is not supported"):
        metrics.AUC(curve="PR")
    with pytest.raises(ValueError, match=r"class_id must be an int >= 0"):
        metrics.Recall(class_id=-1)
    with pytest.raises(ValueError, match=r"sample_weight must hold finite numbers >= 0"):
        metrics.Mean().update_state([1.0], sample_weight=[-1.0])


def test_get_config_rebuilds_an_equal_fresh_metric():
    made = [metrics.SparseCategoricalAccuracy(name="a"), metrics.CategoricalAccuracy(),
            metrics.BinaryAccuracy(threshold=0.3), metrics.Accuracy(), metrics.Mean("m"),
            metrics.Sum(), metrics.Precision([0.2, 0.6], class_id=1, name="p"),
            metrics.Recall(0.4), metrics.Recall(top_k=2), metrics.Accuracy(dtype="float32"),
            metrics.AUC(num_thresholds=50, from_logits=True)]
    for m in made:
        copy = type(m)(**m.get_config())
        assert copy.get_config() == m.get_config() and copy.name == m.name
    assert metrics.Precision([0.2, 0.6]).get_config()["thresholds"] == [0.2, 0.6]


def test_strings_resolve_to_fresh_objects():
    a, b = metrics.get("auc"), metrics.get("AUC")
    assert isinstance(a, metrics.AUC) and a is not b
    assert isinstance(metrics.get("precision"), metrics.Precision)
    assert isinstance(metrics.get("recall"), metrics.Recall)


def test_against_keras_when_installed():
    keras_metrics = pytest.importorskip("keras").metrics
    t = np.array([0, 1, 1, 0, 1, 0])
    p = np.array([0.1, 0.8, 0.4, 0.6, 0.9, 0.2])
    w = np.array([1.0, 2.0, 1.0, 0.5, 1.0, 3.0])
    for name in ("BinaryAccuracy", "Precision", "Recall", "AUC"):
        ours, theirs = getattr(metrics, name)(), getattr(keras_metrics, name)()
        ours.update_state(t, p, sample_weight=w)
        theirs.update_state(t, p, sample_weight=w)
        assert ours.result() == pytest.approx(float(theirs.result()), abs=1e-5)
