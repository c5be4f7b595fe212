"""Tests of the per-class metrics (confusion matrix, precision, recall, F1, report) against
a small case worked out by hand, edge cases and error messages."""
import numpy as np
import pytest

from tinydl import Tensor, metrics

# scikit-learn's own classification_report example:
#   y_true = [0, 1, 2, 2, 2], y_pred = [0, 0, 2, 2, 1]
# confusion matrix C (rows: true class, columns: predicted class)
#            pred 0  pred 1  pred 2   support (row sum)
#   true 0      1       0       0        1
#   true 1      1       0       0        1
#   true 2      0       1       2        3
#   predicted   2       1       2   (column sums)
# precision P_k = C[k,k] / column sum: 1/2, 0/1, 2/2  = 0.5, 0, 1
# recall    R_k = C[k,k] / row sum:    1/1, 0/1, 2/3  = 1, 0, 0.6667
# F1_k = 2PR/(P+R):                    2/3, 0,   0.8
# macro:    P = 1.5/3 = 0.5, R = (5/3)/3 = 5/9, F1 = (2/3 + 0.8)/3 = 22/45
# micro = accuracy = trace / N = 3/5
# weighted (by support 1, 1, 3 of 5): P = (0.5 + 0 + 3)/5 = 0.7, R = 0.6,
#                                     F1 = (2/3 + 0 + 2.4)/5 = 0.61333
Y_TRUE = np.array([0, 1, 2, 2, 2])
Y_PRED = np.array([0, 0, 2, 2, 1])
CM = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 2]])


def test_confusion_matrix_by_hand():
    cm = metrics.confusion_matrix(Y_TRUE, Y_PRED)
    assert cm.shape == (3, 3) and np.issubdtype(cm.dtype, np.integer)
    np.testing.assert_array_equal(cm, CM)


def test_confusion_matrix_accepts_one_hot_probabilities_and_tensors():
    one_hot = np.eye(3)[Y_TRUE]
    probs = np.eye(3)[Y_PRED] * 0.6 + 0.1                   # rows whose argmax is Y_PRED
    np.testing.assert_array_equal(metrics.confusion_matrix(one_hot, probs), CM)
    np.testing.assert_array_equal(metrics.confusion_matrix(Y_TRUE[:, None], probs), CM)
    np.testing.assert_array_equal(metrics.confusion_matrix(Tensor(one_hot), Tensor(probs)), CM)
    np.testing.assert_array_equal(metrics.confusion_matrix(Y_TRUE.astype(np.float32), Y_PRED), CM)


def test_confusion_matrix_num_classes_pads_and_matches_a_loop():
    cm = metrics.confusion_matrix(Y_TRUE, Y_PRED, num_classes=5)
    assert cm.shape == (5, 5) and cm[3:].sum() == 0 and cm[:, 3:].sum() == 0
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 7, 500), rng.integers(0, 7, 500)
    expected = np.zeros((7, 7), int)
    for i, j in zip(t, p):
        expected[i, j] += 1
    np.testing.assert_array_equal(metrics.confusion_matrix(t, p), expected)


def test_precision_recall_f1_by_hand():
    np.testing.assert_allclose(metrics.precision(Y_TRUE, Y_PRED, average=None), [0.5, 0, 1])
    np.testing.assert_allclose(metrics.recall(Y_TRUE, Y_PRED, average=None), [1, 0, 2 / 3])
    np.testing.assert_allclose(metrics.f1_score(Y_TRUE, Y_PRED, average=None), [2 / 3, 0, 0.8])
    assert metrics.precision(Y_TRUE, Y_PRED) == pytest.approx(0.5)
    assert metrics.recall(Y_TRUE, Y_PRED) == pytest.approx(5 / 9)
    assert metrics.f1_score(Y_TRUE, Y_PRED, average="macro") == pytest.approx(22 / 45)
    for fn in (metrics.precision, metrics.recall, metrics.f1_score):
        assert fn(Y_TRUE, Y_PRED, average="micro") == pytest.approx(0.6)
        assert isinstance(fn(Y_TRUE, Y_PRED), float)


def test_zero_division_counts_as_zero():
    # class 1 is never predicted: P_1 = 0/0 -> 0; R_1 = 0/2 = 0; F1_1 = 0
    # class 0: predicted 3 times, right once: P = 1/3, R = 1/1, F1 = 2·(1/3)/(4/3) = 1/2
    t, p = [0, 1, 1], [0, 0, 0]
    np.testing.assert_allclose(metrics.precision(t, p, average=None), [1 / 3, 0])
    np.testing.assert_allclose(metrics.recall(t, p, average=None), [1, 0])
    np.testing.assert_allclose(metrics.f1_score(t, p, average=None), [0.5, 0])
    # a class absent from both (class 2) enters the macro mean as 0
    assert metrics.recall(t, p, num_classes=3) == pytest.approx(1 / 3)


def test_perfect_predictions():
    assert metrics.f1_score(Y_TRUE, Y_TRUE) == 1.0
    assert metrics.precision(Y_TRUE, Y_TRUE, average="micro") == 1.0


def test_classification_report_layout_like_scikit_learn():
    report = metrics.classification_report(Y_TRUE, Y_PRED,
                                           target_names=["class 0", "class 1", "class 2"],
                                           digits=2)
    expected = ("              precision    recall  f1-score   support\n"
                "\n"
                "     class 0       0.50      1.00      0.67         1\n"
                "     class 1       0.00      0.00      0.00         1\n"
                "     class 2       1.00      0.67      0.80         3\n"
                "\n"
                "    accuracy                           0.60         5\n"
                "   macro avg       0.50      0.56      0.49         5\n"
                "weighted avg       0.70      0.60      0.61         5\n")
    assert report == expected


def test_classification_report_default_names_and_digits():
    lines = metrics.classification_report(Y_TRUE, Y_PRED).splitlines()
    assert lines[2].split() == ["0", "0.5000", "1.0000", "0.6667", "1"]
    assert lines[8].split() == ["weighted", "avg", "0.7000", "0.6000", "0.6133", "5"]


@pytest.mark.parametrize("call, message", [
    (lambda: metrics.confusion_matrix([0, 1], [0, 1, 1]),
     r"confusion_matrix: y_true has 2 samples but y_pred has 3"),
    (lambda: metrics.confusion_matrix([0, 3], [0, 1], num_classes=3),
     r"confusion_matrix: y_true holds label 3, out of range for 3 classes"),
    (lambda: metrics.confusion_matrix([0, 1], [-1, 1]),
     r"confusion_matrix: y_pred holds label -1, out of range"),
    (lambda: metrics.confusion_matrix([0, 1], [0.3, 0.8]),
     r"confusion_matrix: y_pred holds values that are not whole numbers"),
    (lambda: metrics.confusion_matrix(np.eye(3), np.eye(4)[:3]),
     r"confusion_matrix: y_true has 3 classes \(columns\) but y_pred 4"),
    (lambda: metrics.confusion_matrix(np.zeros((2, 2, 2)), [0, 1]),
     r"confusion_matrix: y_true has shape \(2, 2, 2\)"),
    (lambda: metrics.confusion_matrix([], []), r"confusion_matrix: empty inputs"),
    (lambda: metrics.precision([0, 5], [0, 1], num_classes=2),
     r"precision: y_true holds label 5, out of range for 2 classes"),
    (lambda: metrics.recall([0, 1], [0, 1], average="weighted"),
     r"recall: average must be 'macro', 'micro' or None, got 'weighted'"),
    (lambda: metrics.f1_score([0, 1], [0, 1, 0]),
     r"f1_score: y_true has 2 samples but y_pred has 3"),
    (lambda: metrics.classification_report([0, 1], [0.5, 1]),
     r"classification_report: y_pred holds values that are not whole numbers"),
    (lambda: metrics.classification_report([0, 1], [0, 1], target_names=["a"]),
     r"classification_report: 1 target_names for 2 classes"),
])
def test_errors_name_the_function(call, message):
    with pytest.raises(ValueError, match=message):
        call()
