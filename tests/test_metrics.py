"""Tests of tinydl.metrics against hand-computed cases, and of tinydl.utils.to_categorical
(the labels the metrics and losses expect)."""
import numpy as np
import pytest

from tinydl import Tensor, metrics
from tinydl.utils import to_categorical

PROBS = np.array([[0.7, 0.2, 0.1],    # predicts 0
                  [0.1, 0.3, 0.6],    # predicts 2
                  [0.2, 0.5, 0.3],    # predicts 1
                  [0.4, 0.4, 0.2]])   # a tie: the first maximum, class 0
LABELS = np.array([0, 1, 1, 0])       # right, wrong, right, right -> 3/4


def test_categorical_accuracy_one_hot_and_integer_labels():
    one_hot = np.eye(3)[LABELS]
    assert metrics.categorical_accuracy(one_hot, PROBS) == 0.75
    assert metrics.categorical_accuracy(LABELS, PROBS) == 0.75
    assert metrics.categorical_accuracy(LABELS[:, None], PROBS) == 0.75
    assert metrics.categorical_accuracy(LABELS.astype(np.float32), PROBS) == 0.75
    assert metrics.accuracy(one_hot, PROBS) == 0.75
    assert metrics.accuracy(Tensor(one_hot), Tensor(PROBS)) == 0.75
    assert isinstance(metrics.accuracy(one_hot, PROBS), float)


def test_accuracy_is_not_exact_equality():
    # Keras 2's keras.metrics.accuracy would count equal elements: 0 here
    y = np.eye(2)[[0, 1]]
    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    assert metrics.accuracy(y, p) == 1.0


def test_binary_accuracy_threshold_half():
    p = np.array([[0.9], [0.4], [0.6], [0.5]])   # > 0.5: 1, 0, 1, 0 (0.5 is not > 0.5)
    y = np.array([1, 1, 1, 0])
    assert metrics.binary_accuracy(y, p) == 0.75
    assert metrics.binary_accuracy(y[:, None], p) == 0.75
    assert metrics.accuracy(y, p) == 0.75                 # one unit -> binary
    assert metrics.accuracy(y, p[:, 0]) == 0.75
    assert metrics.binary_accuracy(y, p, threshold=0.45) == 0.5
    # multi-label: elementwise, 5 of 6 right
    assert metrics.binary_accuracy([[1, 0, 1], [0, 0, 1]], [[0.8, 0.1, 0.7], [0.6, 0.2, 0.9]]) == 5 / 6


def test_regression_metrics():
    y, p = np.array([[1.0, 2.0]]), np.array([[2.0, 0.0]])
    assert metrics.mean_squared_error(y, p) == 2.5
    assert metrics.mean_absolute_error(y, p) == 1.5


def test_get_by_name():
    assert metrics.get("accuracy") is metrics.accuracy
    assert metrics.get("acc") is metrics.accuracy
    assert metrics.get("mse") is metrics.mean_squared_error
    assert metrics.get(len) is len
    with pytest.raises(ValueError, match=r"unknown metric 'acuracy'; expected one of 'accuracy'"):
        metrics.get("acuracy")


def test_metric_shape_errors():
    with pytest.raises(ValueError, match=r"y_true has shape \(4, 2\).*integer labels of shape \(4,\)"):
        metrics.categorical_accuracy(np.zeros((4, 2)), PROBS)
    with pytest.raises(ValueError, match="expected the same shape"):
        metrics.binary_accuracy(np.zeros(3), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="non-empty batch"):
        metrics.accuracy(np.zeros((0, 3)), np.zeros((0, 3)))


def test_to_categorical():
    out = to_categorical([2, 0, 1], num_classes=4)
    np.testing.assert_array_equal(out, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    assert out.dtype == np.float32
    assert to_categorical(np.array([1, 3])).shape == (2, 4)            # K = max + 1
    assert to_categorical(np.array([[1], [0]]), 2).shape == (2, 2)     # (N, 1) like (N,)
    assert to_categorical(np.array([[1, 0]]), 2).shape == (1, 2, 2)    # any shape
    assert to_categorical(np.array([1.0, 0.0]), 2, dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(to_categorical(np.array([1, 2], np.uint8), 3).argmax(-1), [1, 2])


@pytest.mark.parametrize("labels, num_classes, message", [
    ([0, 10], 10, r"label 10 is out of range for num_classes=10 \(labels must be 0..9\)"),
    ([0, -1], 3, "labels must be >= 0, got -1"),
    ([0.5, 1], 3, "whole numbers"),
    ([0, 1], 0, "num_classes must be a positive int"),
])
def test_to_categorical_errors(labels, num_classes, message):
    with pytest.raises(ValueError, match=message):
        to_categorical(np.array(labels), num_classes)


def test_accuracy_of_predicted_labels_compares_them_exactly():
    # two label vectors: 2 of 4 equal. Thresholding at 0.5 would call every nonzero
    # label "1" and report 0.75.
    assert metrics.accuracy(np.array([3, 7, 0, 2]), np.array([3, 1, 0, 5])) == 0.5
    # probabilities of one sigmoid unit are still thresholded
    assert metrics.accuracy(np.array([1, 0, 1]), np.array([0.9, 0.2, 0.4])) == 2 / 3
