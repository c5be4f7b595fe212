"""Accuracy metrics (which prediction counts as correct) and the two regression means, as
functions of (y_true, y_pred) -> float and as Keras' metric objects.

    categorical_accuracy  argmax of y_pred == argmax of the one-hot y_true
                          (or == y_true itself when y_true holds integer labels)
    binary_accuracy       (y_pred > 0.5) == (y_true > 0.5), elementwise
    accuracy              binary_accuracy for a single output unit (y_pred of shape
                          (N,) or (N, 1)), categorical_accuracy otherwise; inside a
                          model compiled with binary_crossentropy, binary_accuracy.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Tensor
from .metric import Mean, _samplewise

def _arrays(name: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    y_true = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)
    y_pred = y_pred.data if isinstance(y_pred, Tensor) else np.asarray(y_pred)
    if y_pred.ndim == 0 or len(y_pred) == 0:
        raise ValueError(f"{name}: y_pred has shape {y_pred.shape}; expected a non-empty batch")
    return y_true, y_pred


def same_shape_but_a_unit_axis(t: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(t, p), with a trailing axis of size 1 dropped from one of them when that alone makes
    their shapes equal ((N, 1) labels against (N,) scores, or the other way round)."""
    if t.shape + (1,) == p.shape:
        return t, p[..., 0]
    if p.shape + (1,) == t.shape:
        return t[..., 0], p
    return t, p


def _categorical_hits(name: str, y_true: Any, y_pred: Any) -> np.ndarray:
    """1.0 where argmax y_pred == the true class, else 0.0; shape y_pred.shape[:-1]."""
    y_true, y_pred = _arrays(name, y_true, y_pred)
    predicted = y_pred.argmax(axis=-1)
    if y_true.shape == y_pred.shape:
        true = y_true.argmax(axis=-1)
    elif y_true.shape in (predicted.shape, predicted.shape + (1,)):
        true = y_true.reshape(predicted.shape)
    else:
        raise ValueError(f"{name}: y_true has shape {y_true.shape} and y_pred "
                         f"{y_pred.shape}; expected y_true one-hot of shape {y_pred.shape} "
                         f"or integer labels of shape {predicted.shape}")
    return (predicted == true).astype(np.float64)


def categorical_accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose most probable class is the true one.

    Shapes: y_pred (N, K); y_true (N, K) one-hot (its argmax is the class) or (N,) /
    (N, 1) integer labels. Ties in y_pred go to the first maximum, as np.argmax does.
    """
    return float(np.mean(_categorical_hits("categorical_accuracy", y_true, y_pred)))


def _sparse_categorical_hits(name: str, y_true: Any, y_pred: Any) -> np.ndarray:
    """1.0 where argmax_k y_pred[..., k] == y_true, else 0.0; shape y_pred.shape[:-1]."""
    y_true, y_pred = _arrays(name, y_true, y_pred)
    predicted = y_pred.argmax(axis=-1)
    if y_true.shape not in (predicted.shape, predicted.shape + (1,)):
        hint = (f"; y_true looks one-hot: use categorical_accuracy / CategoricalAccuracy"
                if y_true.shape == y_pred.shape else "")
        raise ValueError(f"{name}: y_true has shape {y_true.shape} and y_pred {y_pred.shape}; "
                         f"expected integer labels of shape {predicted.shape}{hint}")
    return (predicted == y_true.reshape(predicted.shape)).astype(np.float64)


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of positions whose most probable class is the integer label:
    mean over all positions i of [argmax_k y_pred[i, k] == y_true[i]].

    Shapes: y_pred (..., K), classes on the last axis; y_true integer labels of shape
    y_pred.shape[:-1] ((N,) for classification, (N, H, W) for segmentation, where it is
    the pixel accuracy), a trailing axis of 1 accepted.
    """
    return float(np.mean(_sparse_categorical_hits("sparse_categorical_accuracy",
                                                  y_true, y_pred)))


def _binary_hits(name: str, y_true: Any, y_pred: Any, threshold: float = 0.5,
                 keras: bool = False) -> np.ndarray:
    """1.0 where (y_pred > threshold) == (y_true > threshold), else 0.0; y_pred's shape.
    keras=True: where (y_pred > threshold) == y_true, Keras' rule (the same for 0/1
    labels and threshold < 1)."""
    y_true, y_pred = _arrays(name, y_true, y_pred)
    if y_true.shape != y_pred.shape:
        if y_true.size != y_pred.size or len(y_true) != len(y_pred):
            raise ValueError(f"{name}: y_true has shape {y_true.shape} but y_pred has "
                             f"shape {y_pred.shape}; expected the same shape")
        y_true = y_true.reshape(y_pred.shape)
    true = (y_true == 1) if keras else (y_true > threshold)
    return ((y_pred > threshold) == true).astype(np.float64)


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> float:
    """Fraction of elements with (y_pred > threshold) == (y_true > threshold).

    For 0/1 targets this is Keras' binary_accuracy. y_true of shape (N,) is accepted
    against y_pred of shape (N, 1) (and the other way round).
    """
    return float(np.mean(_binary_hits("binary_accuracy", y_true, y_pred, threshold)))


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Classification accuracy, as Keras resolves the string 'accuracy'.

    y_pred of shape (N,) or (N, 1) (one sigmoid unit): `binary_accuracy`, threshold
    0.5; but when its values are whole numbers they are predicted labels, compared
    with y_true for equality. y_pred of shape (N, K), K > 1: `categorical_accuracy` (argmax against the
    argmax of one-hot labels, or against integer labels).

    Why not Keras' own function: the article imports `keras.metrics.accuracy`, which
    (in Keras 2) compares y_true and y_pred for *exact equality*, element by element
    (Keras resolves only the *string* 'accuracy' to a classification accuracy). Softmax
    probabilities equal the one-hot 0s and 1s only where float32 saturates, so the
    listing reports a meaningless number, not the fraction of digits recognised. Keras 3 has no
    `keras.metrics.accuracy` to import at all, and its Adam rejects `lr=`. tinydl
    accepts both, and this function reports what the article means, so the listing
    runs as printed and its number is the classification accuracy.

    Keras 3's exact-match metric is the object `Accuracy()` (predicted labels against
    true labels, element by element); for scores use `SparseCategoricalAccuracy()`,
    `CategoricalAccuracy()` or `BinaryAccuracy()`, the per-sample values of the
    functions this one dispatches to.
    """
    y_true_array, y_pred_array = _arrays("accuracy", y_true, y_pred)
    if y_pred_array.ndim == 1 or y_pred_array.shape[-1] == 1:
        if np.all(y_pred_array == np.round(y_pred_array)) and y_true_array.size == y_pred_array.size:
            # predicted class labels (whole numbers, e.g. argmax results): the share equal
            # to the true labels; thresholding them at 0.5 would call 3 and 7 both "1"
            return float(np.mean(y_pred_array.ravel() == y_true_array.ravel()))
        return binary_accuracy(y_true, y_pred)
    return categorical_accuracy(y_true, y_pred)


def mean_squared_error(y_true: Any, y_pred: Any) -> float:
    """(1/n) Σ (ŷ - y)² over all n elements (as a metric: a float, no gradient)."""
    y_true, y_pred = _arrays("mean_squared_error", y_true, y_pred)
    return float(np.mean((y_pred - y_true.reshape(y_pred.shape)) ** 2))


def mean_absolute_error(y_true: Any, y_pred: Any) -> float:
    """(1/n) Σ |ŷ - y| over all n elements."""
    y_true, y_pred = _arrays("mean_absolute_error", y_true, y_pred)
    return float(np.mean(np.abs(y_pred - y_true.reshape(y_pred.shape))))




class _MeanOfHits(Mean):
    """A Mean over per-sample values of (y_true, y_pred) (Keras' MeanMetricWrapper)."""

    def _values(self, y_true: Any, y_pred: Any) -> np.ndarray:
        raise NotImplementedError

    def update_state(self, y_true: Any, y_pred: Any,  # type: ignore[override]
                     sample_weight: Any = None) -> None:
        total, count = _samplewise(type(self).__name__, self._values(y_true, y_pred),
                                   sample_weight)
        self.total += total
        self.count += count

    def __call__(self, y_true: Any, y_pred: Any,  # type: ignore[override]
                 sample_weight: Any = None) -> float:
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()


class SparseCategoricalAccuracy(_MeanOfHits):
    """Fraction of samples whose argmax of y_pred is the integer label, over all batches,
    as keras.metrics.SparseCategoricalAccuracy:

        result = Σ_i w_i [argmax_k y_pred[i, k] == y_true[i]] / Σ_i w_i

    update_state(y_true, y_pred, sample_weight=None): y_pred (N, K) scores or logits
    (or (N, ..., K)), y_true integer labels (N,) or (N, 1) (y_pred.shape[:-1]);
    sample_weight (N,). The per-sample values are `sparse_categorical_accuracy`'s.
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(name)

    def _values(self, y_true: Any, y_pred: Any) -> np.ndarray:
        return _sparse_categorical_hits(type(self).__name__, y_true, y_pred)


class CategoricalAccuracy(_MeanOfHits):
    """Fraction of samples whose argmax of y_pred is the argmax of the one-hot y_true,
    as keras.metrics.CategoricalAccuracy:

        result = Σ_i w_i [argmax y_pred[i] == argmax y_true[i]] / Σ_i w_i

    y_true, y_pred (N, K) (integer labels (N,) are accepted too, as by
    `categorical_accuracy`, whose per-sample values these are); sample_weight (N,).
    """

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(name)

    def _values(self, y_true: Any, y_pred: Any) -> np.ndarray:
        return _categorical_hits(type(self).__name__, y_true, y_pred)


def _check_threshold(name: str, threshold: Any) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, int | float | np.number) \
            or not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"{name}: threshold must be a number in [0, 1] (the probability "
                         f"above which a prediction counts as 1), got {threshold!r}")
    return float(threshold)


class BinaryAccuracy(_MeanOfHits):
    """Fraction of elements with (y_pred > threshold) == y_true, as
    keras.metrics.BinaryAccuracy (the per-element values of `binary_accuracy`, except
    that y_true is compared as it is, as Keras does, where the function thresholds it
    too; the two agree for 0/1 labels and a threshold below 1):

        result = Σ_i w_i · mean_j [(y_pred[i, j] > t) == y_true[i, j]] / Σ_i w_i

    y_true, y_pred (N,) or (N, d) (a trailing axis of 1 on either side is accepted);
    threshold t in [0, 1], default 0.5; sample_weight (N,) or (N, d). dtype is accepted
    for Keras' argument order and ignored (results are Python floats).
    """

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None,
                 threshold: float = 0.5) -> None:
        self.threshold = _check_threshold("BinaryAccuracy", threshold)
        super().__init__(name)

    def _values(self, y_true: Any, y_pred: Any) -> np.ndarray:
        return _binary_hits(type(self).__name__, y_true, y_pred, self.threshold, keras=True)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "threshold": self.threshold}


class Accuracy(_MeanOfHits):
    """How often y_pred *equals* y_true exactly, element by element, as
    keras.metrics.Accuracy:

        result = Σ w·[y_pred == y_true] / Σ w

    For predicted labels (e.g. argmax results) against true labels. It is not tinydl's
    `accuracy` function (nor the string 'accuracy' in compile), which takes the argmax
    of probabilities (or thresholds a sigmoid) first: Keras' Accuracy on softmax outputs
    compares 0.93 with 1 and reports about 0, so tinydl refuses y_pred that are not
    whole numbers and names the metric to use instead. Shapes must agree (a trailing
    axis of 1 on either side is accepted); sample_weight (N,) or the labels' shape.
    """

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(name)

    def _values(self, y_true: Any, y_pred: Any) -> np.ndarray:
        name = type(self).__name__
        t, p = same_shape_but_a_unit_axis(*_arrays(name, y_true, y_pred))
        if t.shape != p.shape:
            raise ValueError(f"{name}: y_true has shape {t.shape} and y_pred {p.shape}; "
                             f"Accuracy compares labels element by element, so they "
                             f"must have the same shape. For class scores (N, K) against "
                             f"labels use SparseCategoricalAccuracy() (or "
                             f"metrics=['accuracy'])")
        if np.issubdtype(p.dtype, np.floating) and not np.all(p == np.round(p)):
            raise ValueError(f"{name}: y_pred holds values that are not whole numbers "
                             f"(probabilities?); Accuracy counts exact matches of labels, "
                             f"which probabilities almost never are. Use "
                             f"SparseCategoricalAccuracy() / CategoricalAccuracy() / "
                             f"BinaryAccuracy() (or metrics=['accuracy']) for scores")
        return (p == t).astype(np.float64)
