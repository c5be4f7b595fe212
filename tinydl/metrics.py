"""Metrics: numbers reported during training that are not differentiated.

Each metric takes (y_true, y_pred) as NumPy arrays (Tensors are accepted too) and
returns a Python float averaged over the batch. `fit` averages the per-batch values
weighted by batch size, which for accuracy gives exactly the fraction of correct samples.

Which prediction counts as "correct":
    categorical_accuracy  argmax of y_pred == argmax of the one-hot y_true
                          (or == y_true itself when y_true holds integer labels)
    binary_accuracy       (y_pred > 0.5) == (y_true > 0.5), elementwise
    accuracy              binary_accuracy for a single output unit (y_pred of shape
                          (N,) or (N, 1)), categorical_accuracy otherwise; inside a
                          model compiled with binary_crossentropy, binary_accuracy.

Per-class metrics (computed on the whole evaluation set, not averaged per batch, so
they are not in METRICS): `confusion_matrix`, `precision`, `recall`, `f1_score`,
`classification_report`; for segmentation (labels of any rank, every pixel counts once)
`pixel_accuracy`, `iou_per_class`, `mean_iou`, `dice_per_class`, all read off the same
`confusion_matrix`.

Stateful metrics (Keras' Metric API: reset_state / update_state / result) accumulate
over the batches of an epoch: `MeanMetricWrapper` turns a function above into one,
`MeanIoU` sums the confusion matrix over the batches. `get('mean_iou')` returns a fresh
MeanIoU for softmax outputs.

Keras' metric objects (keras.metrics.*, same names, arguments and default names, usable
in compile(metrics=[...]) and named in History by their `name`, 'val_' + name for the
validation data): `SparseCategoricalAccuracy`, `CategoricalAccuracy`, `BinaryAccuracy`
(the per-sample values of the functions above, weighted by sample_weight), `Accuracy`
(exact equality of labels, Keras' meaning, unlike the `accuracy` function), `Mean`,
`Sum` (of values you pass, for custom training loops), `Precision`, `Recall` (binary,
at thresholds) and `AUC` (ROC, trapezoids over num_thresholds thresholds), whose counts
are confusion matrices summed over the batches.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Callable

import numpy as np

from .autograd import Tensor


def _arrays(name: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    y_true = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)
    y_pred = y_pred.data if isinstance(y_pred, Tensor) else np.asarray(y_pred)
    if y_pred.ndim == 0 or len(y_pred) == 0:
        raise ValueError(f"{name}: y_pred has shape {y_pred.shape}; expected a non-empty batch")
    return y_true, y_pred


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


# -- per-class metrics: the confusion matrix and what is read off it ---------------------

def _whole_labels(name: str, arg: str, y: np.ndarray) -> np.ndarray:
    """Integer labels (int64, any shape) from an array of whole numbers."""
    if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)
            or y.dtype == bool):
        raise TypeError(f"{name}: {arg} must hold class labels, got dtype {y.dtype}")
    if y.size and not np.all(np.isfinite(y) & (y == np.round(y))):
        raise ValueError(f"{name}: {arg} holds values that are not whole numbers; pass class "
                         f"labels 0..K-1, or scores with a class axis of length K "
                         f"(for one sigmoid unit: (y_pred > 0.5).astype(int))")
    return y.astype(np.int64)


def _one_hot_rows(y: np.ndarray) -> bool:
    """Every row along the last axis is one-hot (one 1, the rest 0)."""
    return bool(np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=-1) == 1))


def _label_pair(name: str, y_true: Any, y_pred: Any,
                sparse_y_true: bool = False) -> tuple[np.ndarray, np.ndarray, int | None]:
    """(true, pred, K or None): the two inputs as flat int64 label arrays of equal length,
    and the number of classes when a class axis says it.

    Which input has a class axis (its argmax over the last axis is the label) is read off
    the shapes: an array with one axis more than the other has one (if that axis has
    length 1 it is dropped instead, (N, 1) labels); two arrays of the same shape are
    labels, except for rows of scores (2+ axes, last axis > 1, and one of them not whole
    numbers, or both one-hot), as in (N, K) one-hot against (N, K) probabilities.
    sparse_y_true=True: y_true is always labels (the segmentation metrics' convention).
    """
    t = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)
    p = y_pred.data if isinstance(y_pred, Tensor) else np.asarray(y_pred)
    t_scores = p_scores = False
    if t.shape == p.shape:
        if (not sparse_y_true and t.ndim >= 2 and t.shape[-1] > 1 and t.size
                and (not (np.all(t == np.round(t)) and np.all(p == np.round(p)))
                     or (_one_hot_rows(t) and _one_hot_rows(p)))):
            t_scores = p_scores = True
    elif t.ndim == p.ndim + 1 and t.shape[:-1] == p.shape and not sparse_y_true:
        t_scores = t.shape[-1] > 1
        t = t if t_scores else t[..., 0]
    elif t.ndim == p.ndim + 1 and t.shape == p.shape + (1,):
        t = t[..., 0]
    elif p.ndim == t.ndim + 1 and p.shape[:-1] == t.shape:
        p_scores = p.shape[-1] > 1
        p = p if p_scores else p[..., 0]
    elif t.ndim == p.ndim and t.shape == p.shape[:-1] + (1,):     # (N, 1) labels, (N, K)
        t, p_scores = t[..., 0], True
    elif t.ndim == p.ndim and p.shape == t.shape[:-1] + (1,) and not sparse_y_true:
        p, t_scores = p[..., 0], True
    elif t.ndim == p.ndim == 1:
        raise ValueError(f"{name}: y_true has {len(t)} samples but y_pred has {len(p)}")
    elif t.ndim == p.ndim >= 2 and t.shape[:-1] == p.shape[:-1] and not sparse_y_true:
        raise ValueError(f"{name}: y_true has {t.shape[-1]} classes (columns) but "
                         f"y_pred {p.shape[-1]}")
    else:
        expected = ("y_true labels and y_pred labels of the same shape or scores of shape "
                    "y_true.shape + (K,)" if sparse_y_true else
                    "labels of one shape, or one of them with an extra last (class) axis")
        raise ValueError(f"{name}: y_true has shape {t.shape} and y_pred {p.shape}; "
                         f"expected {expected}")
    k = None
    if t_scores:
        k, t = t.shape[-1], t.argmax(axis=-1)
    if p_scores:
        k, p = p.shape[-1], p.argmax(axis=-1)
    true = _whole_labels(name, "y_true", t).reshape(-1)
    pred = _whole_labels(name, "y_pred", p).reshape(-1)
    if true.size == 0:
        raise ValueError(f"{name}: empty inputs; expected at least one sample")
    return true, pred, k


def _num_classes(name: str, num_classes: Any, k_hint: int | None, true: np.ndarray,
                 pred: np.ndarray) -> int:
    if num_classes is None:
        return k_hint or int(max(true.max(), pred.max())) + 1
    if isinstance(num_classes, bool) or not isinstance(num_classes, int | np.integer) \
            or num_classes < 1:
        raise ValueError(f"{name}: num_classes must be a positive int, got {num_classes!r}")
    return int(num_classes)


def _counts(name: str, true: np.ndarray, pred: np.ndarray, k: int,
            weights: np.ndarray | None = None) -> np.ndarray:
    """The (K, K) confusion matrix of two flat label arrays, in one pass with no loop:
    C = bincount(K·true + pred, minlength=K²) reshaped; int64, or float64 when weighted."""
    for arg, labels in (("y_true", true), ("y_pred", pred)):
        if labels.size and (labels.min() < 0 or labels.max() >= k):
            bad = labels.min() if labels.min() < 0 else labels.max()
            raise ValueError(f"{name}: {arg} holds label {bad}, out of range for {k} "
                             f"classes (labels must be 0..{k - 1})")
    counts = np.bincount(k * true + pred, weights=weights, minlength=k * k)
    return counts.reshape(k, k)


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """C[i, j] = number of samples (or pixels) of true class i predicted as class j;
    int64 (K, K).

    Row sums are the supports (samples per true class), column sums the number of
    predictions per class, the diagonal the correct ones: accuracy = trace(C) / N.
    The same matrix serves classification and segmentation: every position of the
    label arrays counts once (they are flattened).

    Args:
        y_true, y_pred: integer labels of any shape ((N,) classes, (N, H, W) masks; a
            trailing axis of 1 is dropped), or one-hot / probability scores with the class
            on an extra last axis ((N, K), (N, H, W, K)), whose argmax is the class; the
            two may differ in form. Two arrays of the same shape are labels unless their
            last axis holds rows of scores (one of them not whole numbers, or both
            one-hot), e.g. (N, K) one-hot against (N, K) probabilities.
        num_classes: K; default the length of the class axis if given, else max label + 1.
    Computed in one pass with no loop: C = bincount(K·true + pred, minlength=K²)
    reshaped to (K, K).
    """
    return _confusion_matrix("confusion_matrix", y_true, y_pred, num_classes)


def _confusion_matrix(name: str, y_true: Any, y_pred: Any, num_classes: int | None,
                      sparse_y_true: bool = False) -> np.ndarray:
    """`confusion_matrix`, its errors naming the public function `name` that was called."""
    true, pred, k_hint = _label_pair(name, y_true, y_pred, sparse_y_true)
    return _counts(name, true, pred, _num_classes(name, num_classes, k_hint, true, pred))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den elementwise, 0 where den == 0 (scikit-learn's zero_division=0)."""
    return np.divide(num, den, out=np.zeros(np.shape(num), np.float64), where=den != 0)


def _per_class(name: str, y_true: Any, y_pred: Any, average: str | None,
               num_classes: int | None) -> tuple[np.ndarray, ...]:
    """(precision, recall, f1, support, micro P=R=F1) from the confusion matrix."""
    if average not in ("macro", "micro", None):
        raise ValueError(f"{name}: average must be 'macro', 'micro' or None, got {average!r}")
    cm = _confusion_matrix(name, y_true, y_pred, num_classes)
    tp, predicted, support = np.diag(cm), cm.sum(axis=0), cm.sum(axis=1)
    p, r = _ratio(tp, predicted), _ratio(tp, support)
    f1 = _ratio(2 * p * r, p + r)
    micro = tp.sum() / cm.sum()
    return p, r, f1, support, micro


def _average(values: np.ndarray, micro: float, average: str | None) -> float | np.ndarray:
    if average is None:
        return values
    return float(micro) if average == "micro" else float(values.mean())


_AVERAGE_DOC = """
    Args:
        y_true, y_pred: as for `confusion_matrix`.
        average: 'macro' (default): the unweighted mean over the K classes 0..K-1;
            'micro': from the totals, Σ_k TP_k / Σ_k (TP_k + FP_k); for single-label data
            every wrong sample is one FP and one FN, so micro P = R = F1 = accuracy;
            None: the per-class values, an array (K,).
        num_classes: K (see `confusion_matrix`). Every class 0..K-1 enters the macro
            mean, even one absent from both y_true and y_pred (scikit-learn's
            labels=range(K)).
    Zero division: a class never predicted has precision 0, a class absent from y_true
    recall 0, and F1 = 0 where P + R = 0 (scikit-learn's zero_division=0, no warning).
"""


def precision(y_true: Any, y_pred: Any, average: str | None = "macro",
              num_classes: int | None = None) -> float | np.ndarray:
    """Precision of class k: P_k = TP_k / (TP_k + FP_k) = C[k, k] / Σ_i C[i, k], the
    fraction of the samples predicted as k that really are k.
    """
    p, _, _, _, micro = _per_class("precision", y_true, y_pred, average, num_classes)
    return _average(p, micro, average)


def recall(y_true: Any, y_pred: Any, average: str | None = "macro",
           num_classes: int | None = None) -> float | np.ndarray:
    """Recall of class k: R_k = TP_k / (TP_k + FN_k) = C[k, k] / Σ_j C[k, j], the
    fraction of the samples of class k that are found.
    """
    _, r, _, _, micro = _per_class("recall", y_true, y_pred, average, num_classes)
    return _average(r, micro, average)


def f1_score(y_true: Any, y_pred: Any, average: str | None = "macro",
             num_classes: int | None = None) -> float | np.ndarray:
    """F1 of class k: the harmonic mean F1_k = 2·P_k·R_k / (P_k + R_k). The macro F1 is
    the mean of the F1_k (not the F1 of the mean P and R), as in scikit-learn.
    """
    _, _, f1, _, micro = _per_class("f1_score", y_true, y_pred, average, num_classes)
    return _average(f1, micro, average)


for _fn in (precision, recall, f1_score):
    if _fn.__doc__:                # (None under python -OO)
        _fn.__doc__ += _AVERAGE_DOC    # the same Args section for the three


def classification_report(y_true: Any, y_pred: Any, target_names: Sequence[str] | None = None,
                          digits: int = 4, num_classes: int | None = None) -> str:
    """A text table laid out like scikit-learn's classification_report: one row per class
    (precision, recall, F1, support), then accuracy, the macro average (plain mean over
    classes) and the weighted average (mean weighted by support_k / N).

    target_names: one name per class (default '0', '1', ...); digits: decimals shown.
    Zero division counts as 0, as in `precision`.
    """
    name = "classification_report"
    p, r, f1, support, acc = _per_class(name, y_true, y_pred, None, num_classes)
    k = len(support)
    names = [str(i) for i in range(k)] if target_names is None else [str(t) for t in target_names]
    if len(names) != k:
        raise ValueError(f"{name}: {len(names)} target_names for {k} classes")
    if not isinstance(digits, int) or digits < 0:
        raise ValueError(f"{name}: digits must be a non-negative int, got {digits!r}")
    n, weights = int(support.sum()), support / support.sum()
    width = max(max(map(len, names)), len("weighted avg"), digits)
    headers = ("precision", "recall", "f1-score", "support")
    row = "{:>{w}s} " + " {:>9.{d}f}" * 3 + " {:>9}\n"
    lines = "{:>{w}s} ".format("", w=width) + "".join(f" {h:>9}" for h in headers) + "\n\n"
    for i in range(k):        # one line per class (K lines), not per sample
        lines += row.format(names[i], p[i], r[i], f1[i], int(support[i]), w=width, d=digits)
    lines += "\n" + "{:>{w}s} ".format("accuracy", w=width) + " " * 20
    lines += f" {acc:>9.{digits}f} {n:>9}\n"
    lines += row.format("macro avg", p.mean(), r.mean(), f1.mean(), n, w=width, d=digits)
    lines += row.format("weighted avg", weights @ p, weights @ r, weights @ f1, n,
                        w=width, d=digits)
    return lines


# -- segmentation metrics: all read off the same confusion matrix -------------------------

_SEGMENTATION_DOC = """
    Args:
        y_true: integer labels of any shape ((N,) classes, (N, H, W) masks).
        y_pred: predicted labels of the same shape, or scores (probabilities, logits)
            of shape y_true.shape + (K,) whose argmax over the last axis is the label.
        num_classes: K; default the length of y_pred's class axis, else max label + 1.
    A class absent from both y_true and y_pred (TP + FP + FN = 0) has no defined score:
    it is NaN in the per-class arrays and left out of every mean.
"""


def _segmentation_cm(name: str, y_true: Any, y_pred: Any, num_classes: int | None) -> np.ndarray:
    return _confusion_matrix(name, y_true, y_pred, num_classes, sparse_y_true=True)


def _per_class_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den as float64, NaN where den == 0 (the class is absent from both)."""
    out = np.full(np.shape(num), np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _iou_from_cm(cm: np.ndarray) -> np.ndarray:
    """IoU_k = TP / (TP + FP + FN) = C[k,k] / (row_k + column_k - C[k,k])."""
    tp = np.diag(cm)
    return _per_class_ratio(tp, cm.sum(axis=0) + cm.sum(axis=1) - tp)


def pixel_accuracy(y_true: Any, y_pred: Any, num_classes: int | None = None) -> float:
    """Fraction of positions (pixels) labelled correctly: trace(C) / Σ C."""
    cm = _segmentation_cm("pixel_accuracy", y_true, y_pred, num_classes)
    return float(np.trace(cm) / cm.sum())


def iou_per_class(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Intersection over union of each class, an array (K,):

        IoU_k = |T_k ∩ P_k| / |T_k ∪ P_k| = TP_k / (TP_k + FP_k + FN_k)

    T_k the positions labelled k, P_k those predicted k (also called the Jaccard index).
    """
    return _iou_from_cm(_segmentation_cm("iou_per_class", y_true, y_pred, num_classes))


def mean_iou(y_true: Any, y_pred: Any, num_classes: int | None = None,
             ignore_classes: Sequence[int] = ()) -> float:
    """Mean IoU: the mean of `iou_per_class` over the classes present (in y_true or
    y_pred) and not in ignore_classes (e.g. the background); NaN if none is left.

    ignore_classes only leaves classes out of the mean: their pixels still count (a
    pixel of class 0 predicted as class 1 is still a false positive of class 1). To drop
    "void" pixels altogether use `MeanIoU(ignore_class=...)`.
    """
    name = "mean_iou"
    iou = _iou_from_cm(_segmentation_cm(name, y_true, y_pred, num_classes))
    for c in ignore_classes:
        if not (isinstance(c, int | np.integer) and 0 <= c < len(iou)):
            raise ValueError(f"{name}: ignore_classes holds {c!r}; expected class indices "
                             f"0..{len(iou) - 1}")
    keep = np.ones(len(iou), bool)
    keep[list(ignore_classes)] = False
    kept = iou[keep & ~np.isnan(iou)]
    return float(kept.mean()) if kept.size else math.nan


def dice_per_class(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Dice coefficient (F1) of each class, an array (K,):

        Dice_k = 2|T_k ∩ P_k| / (|T_k| + |P_k|) = 2 TP_k / (2 TP_k + FP_k + FN_k)

    the hard-label counterpart of the soft Dice loss (tinydl.losses.dice);
    Dice_k = 2 IoU_k / (1 + IoU_k).
    """
    cm = _segmentation_cm("dice_per_class", y_true, y_pred, num_classes)
    return _per_class_ratio(2 * np.diag(cm), cm.sum(axis=0) + cm.sum(axis=1))


for _fn in (pixel_accuracy, iou_per_class, mean_iou, dice_per_class):
    if _fn.__doc__:
        _fn.__doc__ += _SEGMENTATION_DOC


# -- stateful metrics (Keras' Metric API): accumulated over the batches of an epoch --------

class Metric:
    """Base class of the stateful metrics, as in Keras:

        m.reset_state()                       # at the start of an epoch
        m.update_state(y_true, y_pred)        # once per batch
        m.result()                            # the value over all batches so far

    Calling the metric, m(y_true, y_pred), updates the state and returns the result
    (Keras' convention). Subclasses implement the three methods.

    Attributes:
        name: the key in logs and History.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.__name__ = name      # the fallback key that compile() reads off functions
        self.reset_state()

    def reset_state(self) -> None:
        raise NotImplementedError(f"{type(self).__name__}.reset_state")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        raise NotImplementedError(f"{type(self).__name__}.update_state")

    def result(self) -> float:
        raise NotImplementedError(f"{type(self).__name__}.result")

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


class MeanMetricWrapper(Metric):
    """A stateful metric from a function fn(y_true, y_pred) -> float that gives one value
    per batch: the result is the average of the batch values weighted by the number of
    samples in each batch (len(y_pred)), so for accuracy it is exactly the fraction of
    correct samples over all batches:  result = Σ_b n_b·fn(batch b) / Σ_b n_b.

    sample_weight, if given, weighs the whole batch by Σ w instead of n_b (fn returns
    one value per batch, so weights inside a batch cannot be applied). Before any update
    the result is 0.0, as Keras' Mean (divide_no_nan).
    """

    def __init__(self, fn: Callable[..., float], name: str | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper: fn must be a function f(y_true, y_pred) -> "
                            f"float, got {type(fn).__name__}")
        self.fn = fn
        super().__init__(name if name is not None else getattr(fn, "__name__", "metric"))

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0.0

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        value = float(self.fn(y_true, y_pred))
        if sample_weight is None:
            weight = float(len(y_pred)) if np.ndim(y_pred) else 1.0
        else:
            weight = float(np.sum(sample_weight.data if isinstance(sample_weight, Tensor)
                                  else sample_weight))
        self.total += weight * value
        self.count += weight

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


class MeanIoU(Metric):
    """Mean intersection over union accumulated over batches, as keras.metrics.MeanIoU:
    one confusion matrix C is summed over every update_state call (per batch), and

        result = mean over present classes k ≠ ignore_class of
                 IoU_k = C[k,k] / (row_k + col_k - C[k,k])

    "present": in y_true or y_pred of some batch so far (TP + FP + FN > 0); NaN if no
    class is present (Keras would report 0). Because C is summed before dividing, the
    epoch value equals mean_iou on all the epoch's data at once, not a mean of batch IoUs.

    Args:
        num_classes: K; None takes it from y_pred's last axis at the first update (which
            then needs sparse_y_pred=False).
        ignore_class: a label (e.g. 255 for void pixels, or a real class) whose positions
            in y_true are dropped from C, as in Keras; that class is also left out of the
            mean (Keras would average in an IoU of 0 for it when it is predicted).
        sparse_y_true: y_true holds integer labels (else one-hot: its argmax is used).
        sparse_y_pred: y_pred holds integer labels (else scores with a class axis, e.g.
            softmax outputs: its argmax is used).
        name: default 'mean_io_u' (Keras').
    update_state(y_true, y_pred, sample_weight=None): sample_weight, broadcastable from
    the leading axes to y_true's shape, weighs each position's count.
    """

    def __init__(self, num_classes: int | None = None, ignore_class: int | None = None,
                 sparse_y_true: bool = True, sparse_y_pred: bool = True,
                 name: str = "mean_io_u") -> None:
        if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(
                num_classes, int | np.integer) or num_classes < 1):
            raise ValueError(f"MeanIoU: num_classes must be a positive int or None, got "
                             f"{num_classes!r}")
        if ignore_class is not None and (isinstance(ignore_class, bool)
                                         or not isinstance(ignore_class, int | np.integer)):
            raise TypeError(f"MeanIoU: ignore_class must be an int or None, "
                            f"got {ignore_class!r}")
        self.num_classes = None if num_classes is None else int(num_classes)
        self.ignore_class = ignore_class
        self.sparse_y_true, self.sparse_y_pred = bool(sparse_y_true), bool(sparse_y_pred)
        super().__init__(name)

    def reset_state(self) -> None:
        k = self.num_classes
        self.total_cm = None if k is None else np.zeros((k, k))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        name = "MeanIoU"
        t = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)
        p = y_pred.data if isinstance(y_pred, Tensor) else np.asarray(y_pred)
        if not self.sparse_y_true:
            t = t.argmax(axis=-1)
        k_pred = None
        if not self.sparse_y_pred:
            if p.ndim == 0:
                raise ValueError(f"{name}: sparse_y_pred=False but y_pred has shape (); "
                                 f"expected scores with a class axis (..., K)")
            k_pred, p = p.shape[-1], p.argmax(axis=-1)
        elif p.ndim == t.ndim + 1 and p.shape[:-1] == t.shape and p.shape[-1] > 1:
            raise ValueError(f"{name}: y_pred has shape {p.shape}, scores for "
                             f"{p.shape[-1]} classes on a last axis, but sparse_y_pred=True "
                             f"expects predicted labels of y_true's shape {t.shape}; pass "
                             f"sparse_y_pred=False to take the argmax (as get('mean_iou') does)")
        if self.total_cm is None:
            if k_pred is None:
                raise ValueError(f"{name}: num_classes=None takes K from y_pred's class "
                                 f"axis, which needs sparse_y_pred=False; or pass num_classes")
            self.num_classes = k_pred
            self.total_cm = np.zeros((k_pred, k_pred))
        k = self.num_classes
        if k_pred is not None and k_pred != k:
            raise ValueError(f"{name}: y_pred has {k_pred} classes on its last axis but "
                             f"num_classes is {k}")
        positions = t.shape
        true, pred, _ = _label_pair(name, t, p, sparse_y_true=True)
        weights = np.ones(true.shape)
        if sample_weight is not None:
            w = np.asarray(sample_weight.data if isinstance(sample_weight, Tensor)
                           else sample_weight, dtype=np.float64)
            try:
                w = np.broadcast_to(w.reshape(w.shape + (1,) * (len(positions) - w.ndim)),
                                    positions)
            except ValueError:
                raise ValueError(f"{name}: sample_weight has shape {w.shape} but y_true has "
                                 f"shape {positions}; expected a shape matching its leading "
                                 f"axes") from None
            weights = w.reshape(-1)
        if self.ignore_class is not None:
            keep = true != self.ignore_class
            true, pred, weights = true[keep], pred[keep], weights[keep]
        self.total_cm += _counts(name, true, pred, k, weights)

    def result(self) -> float:
        if self.total_cm is None:
            return math.nan
        iou = _iou_from_cm(self.total_cm)
        if self.ignore_class is not None and 0 <= self.ignore_class < len(iou):
            iou[self.ignore_class] = np.nan
        present = iou[~np.isnan(iou)]
        return float(present.mean()) if present.size else math.nan

    def get_config(self) -> dict[str, Any]:
        return {"num_classes": self.num_classes, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "name": self.name}


# -- Keras' metric objects: reductions, accuracies, thresholded binary counts -------------

def _array(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _samplewise(name: str, values: np.ndarray,
                sample_weight: Any) -> tuple[float, float]:
    """(Σ weighted values, Σ weights) of one batch, as Keras 3's Mean reduces them.

    values (N, ...) are first averaged over every axis but the first (one value per
    sample; a 0-d value is one sample). sample_weight: None (each sample weighs 1, so
    the count grows by N), or an array broadcastable to values from the leading axes,
    e.g. (N,) one weight per sample, or values' shape one per element; with weights,
    total += Σ_n mean_rest(v·w) and count += Σ_n mean_rest(w), so for weights of values'
    shape result = Σ v·w / Σ w over every element.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return 0.0, 0.0                      # an empty batch adds nothing
    if sample_weight is None:
        per_sample = values.reshape(len(values), -1).mean(axis=1) if values.ndim else values
        return float(np.sum(per_sample)), float(per_sample.size)
    w = np.asarray(_array(sample_weight), dtype=np.float64)
    if w.ndim == values.ndim + 1 and w.shape[-1:] == (1,):
        w = w[..., 0]
    elif values.ndim == w.ndim + 1 and values.shape[-1:] == (1,):
        values = values[..., 0]
    if w.ndim > values.ndim:
        raise ValueError(f"{name}: sample_weight has shape {w.shape} but the values have "
                         f"shape {values.shape}; expected one weight per sample "
                         f"{values.shape[:1]} or per element {values.shape}")
    try:
        w = np.broadcast_to(w.reshape(w.shape + (1,) * (values.ndim - w.ndim)), values.shape)
    except ValueError:
        raise ValueError(f"{name}: sample_weight has shape {w.shape} but the values have "
                         f"shape {values.shape}; expected one weight per sample "
                         f"{values.shape[:1]} or per element {values.shape}") from None
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"{name}: sample_weight must hold finite numbers >= 0")
    if values.ndim == 0:
        return float(values * w), float(w)
    n = len(values)
    return (float(np.sum((values * w).reshape(n, -1).mean(axis=1))),
            float(np.sum(w.reshape(n, -1).mean(axis=1))))


class Mean(Metric):
    """The weighted mean of the values passed to update_state, as keras.metrics.Mean:

        result = Σ w·v / Σ w       (each sample weighs 1 without sample_weight)

    update_state(values, sample_weight=None): values a number or an array (N, ...), one
    row per sample (a row of several numbers counts as its mean); sample_weight (N,) or
    values' shape (0 masks a value out). Mean([1, 3, 5, 7]) is 4; with sample_weight
    [1, 1, 0, 0] it is 2. Before any update the result is 0.0 (Keras' divide_no_nan).

    dtype (in every metric object here) is accepted for Keras' argument order and
    ignored: results are Python floats, accumulated in float64.

    This averages values you compute (a loss in a custom train_step, say); it is not a
    metric of (y_true, y_pred), so compile(metrics=[...]) refuses it.
    """

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name)

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0.0

    def update_state(self, values: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        total, count = _samplewise(type(self).__name__, _array(values), sample_weight)
        self.total += total
        self.count += count

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0

    def __call__(self, values: Any, sample_weight: Any = None) -> float:  # type: ignore[override]
        self.update_state(values, sample_weight)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments: type(m)(**m.get_config()) is a fresh copy."""
        return {"name": self.name}


class Sum(Metric):
    """The weighted sum of every value passed to update_state, as keras.metrics.Sum:

        result = Σ w·v            (w = 1 without sample_weight)

    update_state(values, sample_weight=None): sample_weight broadcastable to values from
    the leading axes. Not a metric of (y_true, y_pred), so compile refuses it.
    """

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name)

    def reset_state(self) -> None:
        self.total = 0.0

    def update_state(self, values: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        v = np.asarray(_array(values), dtype=np.float64)
        if sample_weight is not None:
            w = np.asarray(_array(sample_weight), dtype=np.float64)
            try:
                w = np.broadcast_to(w.reshape(w.shape + (1,) * (v.ndim - w.ndim)), v.shape)
            except ValueError:
                raise ValueError(f"Sum: sample_weight has shape {w.shape} but values have "
                                 f"shape {v.shape}; expected a shape matching its leading "
                                 f"axes") from None
            v = v * w
        self.total += float(np.sum(v))

    def result(self) -> float:
        return self.total

    def __call__(self, values: Any, sample_weight: Any = None) -> float:  # type: ignore[override]
        self.update_state(values, sample_weight)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}


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
        t, p = _arrays(name, y_true, y_pred)
        if t.shape != p.shape:
            if t.shape + (1,) == p.shape:
                p = p[..., 0]
            elif p.shape + (1,) == t.shape:
                t = t[..., 0]
            else:
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


def _binary_inputs(name: str, y_true: Any, y_pred: Any, sample_weight: Any,
                   class_id: int | None, from_logits: bool = False, top_k: int | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat (true 0/1, probability, weight) arrays for the thresholded metrics.

    y_true and y_pred of one shape (a trailing axis of 1 on either side is accepted);
    top_k: every score of a row outside its k largest becomes -inf (never positive;
    ties go to the lower index); class_id k then keeps only column [..., k] of both;
    sample_weight broadcast from the leading axes to y_pred's shape (one weight per
    sample or per element).
    """
    t, p = _arrays(name, y_true, y_pred)
    t = t.astype(np.float64) if t.dtype == bool else t
    if t.shape != p.shape:
        if t.shape + (1,) == p.shape:
            p = p[..., 0]
        elif p.shape + (1,) == t.shape:
            t = t[..., 0]
        else:
            raise ValueError(f"{name}: y_true has shape {t.shape} and y_pred {p.shape}; "
                             f"expected the same shape (0/1 labels, one per output unit). "
                             f"For integer class labels against (N, K) softmax scores, "
                             f"one-hot them (tinydl.utils.to_categorical) and pass "
                             f"class_id=k, or use tinydl.metrics.precision/recall")
    if sample_weight is None:
        w = np.ones(p.shape)
    else:
        w = np.asarray(_array(sample_weight), dtype=np.float64)
        try:
            w = np.broadcast_to(w.reshape(w.shape + (1,) * (p.ndim - w.ndim)), p.shape)
        except ValueError:
            raise ValueError(f"{name}: sample_weight has shape {w.shape} but y_pred has "
                             f"shape {p.shape}; expected one weight per sample or per "
                             f"element") from None
    if class_id is not None:
        if p.ndim < 2 or not 0 <= class_id < p.shape[-1]:
            raise ValueError(f"{name}: class_id={class_id} but y_pred has shape {p.shape}; "
                             f"expected a class axis (N, K) with 0 <= class_id < K")
    if not np.all((t == 0) | (t == 1)):
        bad = t[(t != 0) & (t != 1)].ravel()[0].item()
        raise ValueError(f"{name}: y_true holds {bad!r}; expected binary labels 0/1. For "
                         f"integer class labels 0..K-1 one-hot them "
                         f"(tinydl.utils.to_categorical) and pass class_id=k, or use "
                         f"tinydl.metrics.precision / recall / confusion_matrix")
    p = p.astype(np.float64)
    if from_logits:
        p = 1.0 / (1.0 + np.exp(-p))
    elif not np.all((p >= 0) & (p <= 1)):
        raise ValueError(f"{name}: y_pred holds values outside [0, 1] (min {p.min():.4g}, "
                         f"max {p.max():.4g}); expected probabilities, e.g. the output of a "
                         f"sigmoid" + (". For logits pass from_logits=True"
                                       if name == "AUC" else ""))
    if top_k is not None:
        if p.ndim < 1 or top_k > p.shape[-1]:
            raise ValueError(f"{name}: top_k={top_k} but y_pred has shape {p.shape}; expected "
                             f"at least top_k scores on the last axis")
        rank = np.argsort(np.argsort(-p, axis=-1, kind="stable"), axis=-1, kind="stable")
        p = np.where(rank < top_k, p, -np.inf)
    if class_id is not None:
        t, p, w = t[..., class_id], p[..., class_id], w[..., class_id]
    return t.reshape(-1).astype(np.int64), p.reshape(-1), w.reshape(-1)


def _threshold_counts(true: np.ndarray, prob: np.ndarray, weight: np.ndarray,
                      thresholds: np.ndarray) -> np.ndarray:
    """(T, 2, 2) weighted confusion matrices, one per threshold t, laid out as
    `confusion_matrix`'s (rows the label 0/1, columns the prediction [prob > t]):
    C[t, 1, 1] = TP, C[t, 0, 1] = FP, C[t, 1, 0] = FN, C[t, 0, 0] = TN.
    One (T, N) comparison: TP_t = Σ_i w_i·y_i·[p_i > t], FP_t = Σ_i w_i·(1-y_i)·[p_i > t]."""
    above = (prob[None, :] > thresholds[:, None]).astype(np.float64)
    pos, neg = weight * (true == 1), weight * (true == 0)
    tp, fp = above @ pos, above @ neg
    counts = np.empty((len(thresholds), 2, 2))
    counts[:, 1, 1], counts[:, 0, 1] = tp, fp
    counts[:, 1, 0], counts[:, 0, 0] = pos.sum() - tp, neg.sum() - fp
    return counts


class _ThresholdMetric(Metric):
    """Precision / Recall: confusion counts summed over batches at each threshold."""

    def __init__(self, thresholds: Any, top_k: int | None, class_id: int | None,
                 name: str) -> None:
        cls = type(self).__name__
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(
                top_k, int | np.integer) or top_k < 1):
            raise ValueError(f"{cls}: top_k must be an int >= 1 or None, got {top_k!r}")
        self.top_k = None if top_k is None else int(top_k)
        self._default_thresholds = thresholds is None
        if thresholds is None:
            thresholds = 0.5
        self._single = not isinstance(thresholds, list | tuple | np.ndarray)
        values = [thresholds] if self._single else list(thresholds)
        if not values:
            raise ValueError(f"{cls}: thresholds is empty; expected a number in [0, 1] or "
                             f"a list of them")
        for t in values:
            if isinstance(t, bool) or not isinstance(t, int | float | np.number) \
                    or not 0.0 <= float(t) <= 1.0:
                raise ValueError(f"{cls}: threshold values must be in [0, 1] (a prediction "
                                 f"counts as positive when y_pred > threshold), got "
                                 f"{thresholds!r}")
        if class_id is not None and (isinstance(class_id, bool)
                                     or not isinstance(class_id, int | np.integer)
                                     or class_id < 0):
            raise ValueError(f"{cls}: class_id must be an int >= 0 or None, got {class_id!r}")
        self.thresholds = np.array(values, dtype=np.float64)
        if self._default_thresholds and self.top_k is not None:
            self.thresholds = np.array([-np.inf])     # Keras: top_k alone, no threshold
        self.class_id = None if class_id is None else int(class_id)
        super().__init__(name)

    def reset_state(self) -> None:
        self.counts = np.zeros((len(self.thresholds), 2, 2))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        name = type(self).__name__
        true, prob, weight = _binary_inputs(name, y_true, y_pred, sample_weight,
                                            self.class_id, top_k=self.top_k)
        self.counts += _threshold_counts(true, prob, weight, self.thresholds)

    @property
    def true_positives(self) -> np.ndarray:
        return self.counts[:, 1, 1]

    @property
    def false_positives(self) -> np.ndarray:
        return self.counts[:, 0, 1]

    @property
    def false_negatives(self) -> np.ndarray:
        return self.counts[:, 1, 0]

    def _finish(self, values: np.ndarray) -> Any:
        return float(values[0]) if self._single else [float(v) for v in values]

    def get_config(self) -> dict[str, Any]:
        thresholds = None if self._default_thresholds else self.thresholds.tolist()
        if thresholds is not None and self._single:
            thresholds = thresholds[0]
        return {"thresholds": thresholds, "top_k": self.top_k, "class_id": self.class_id,
                "name": self.name}


class Precision(_ThresholdMetric):
    """Precision of binary predictions over all batches, as keras.metrics.Precision:

        precision = TP / (TP + FP)      (0 when nothing was predicted positive)

    a prediction is positive when y_pred > threshold, a label when y_true == 1; the
    counts (weighted by sample_weight) are `confusion_matrix`'s, summed over batches.
    y_true 0/1 and y_pred probabilities in [0, 1], of one shape ((N,), (N, 1), or (N, d)
    multi-label: every element counts). class_id=k keeps only column k of (N, K) one-hot
    labels and scores (precision of class k, one-vs-rest). thresholds: a number in
    [0, 1] (default 0.5) gives a float result; a list gives a list, one per threshold.
    top_k=k (Keras'): only the k largest scores of each row can be positive (with no
    thresholds given, all k of them are). dtype is accepted for Keras' argument order
    and ignored. For the per-class precision of K-class integer labels use the function
    `precision(y_true, y_pred, average=...)`.
    """

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str = "precision",
                 dtype: Any = None) -> None:
        super().__init__(thresholds, top_k, class_id, name)

    def result(self) -> Any:
        return self._finish(_ratio(self.true_positives,
                                   self.true_positives + self.false_positives))


class Recall(_ThresholdMetric):
    """Recall of binary predictions over all batches, as keras.metrics.Recall:

        recall = TP / (TP + FN)         (0 when y_true held no positive)

    Arguments and inputs as for `Precision`.
    """

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str = "recall",
                 dtype: Any = None) -> None:
        super().__init__(thresholds, top_k, class_id, name)

    def result(self) -> Any:
        return self._finish(_ratio(self.true_positives,
                                   self.true_positives + self.false_negatives))


class AUC(Metric):
    """Area under the ROC curve over all batches, approximated as keras.metrics.AUC does
    (curve='ROC', summation_method='interpolation'):

        thresholds t_0 = -ε, t_i = i/(T-1) for i = 1..T-2, t_{T-1} = 1 + ε  (ε = 1e-7)
        at each t: TPR = TP/(TP+FN), FPR = FP/(FP+TN) with y_pred > t positive
        AUC = Σ_i (FPR_i - FPR_{i+1}) · (TPR_i + TPR_{i+1}) / 2     (trapezoids)

    The four counts (weighted by sample_weight) are summed over batches, so the result
    is the AUC of all data seen, not a mean of batch AUCs. With T = num_thresholds
    (default 200) it differs from the exact (rank) AUC by at most the area of the ties
    a bin of width 1/(T-1) creates. y_true 0/1, y_pred probabilities in [0, 1] of the
    same shape, flattened (Keras' multi_label=False); from_logits=True applies a sigmoid
    first; dtype is accepted for Keras' argument order and ignored. Not supported:
    curve='PR', summation_method 'minoring'/'majoring', multi_label, thresholds=.
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str = "auc",
                 dtype: Any = None, *, from_logits: bool = False) -> None:
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int | np.integer) \
                or num_thresholds < 2:
            raise ValueError(f"AUC: num_thresholds must be an int > 1, got {num_thresholds!r}")
        if summation_method != "interpolation":
            raise ValueError(f"AUC: summation_method={summation_method!r} is not supported; "
                             f"tinydl sums trapezoids (summation_method='interpolation')")
        if curve != "ROC":
            raise ValueError(f"AUC: curve={curve!r} is not supported; tinydl computes the "
                             f"area under the ROC curve only (curve='ROC')")
        self.num_thresholds, self.curve, self.from_logits = int(num_thresholds), curve, \
            bool(from_logits)
        eps = 1e-7
        inner = [(i + 1) / (self.num_thresholds - 1) for i in range(self.num_thresholds - 2)]
        self.thresholds = np.array([0.0 - eps, *inner, 1.0 + eps])
        super().__init__(name)

    def reset_state(self) -> None:
        self.counts = np.zeros((self.num_thresholds, 2, 2))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        true, prob, weight = _binary_inputs("AUC", y_true, y_pred, sample_weight, None,
                                            self.from_logits)
        self.counts += _threshold_counts(true, prob, weight, self.thresholds)

    def result(self) -> float:
        c = self.counts
        tpr = _ratio(c[:, 1, 1], c[:, 1, 1] + c[:, 1, 0])
        fpr = _ratio(c[:, 0, 1], c[:, 0, 1] + c[:, 0, 0])
        return float(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2.0))

    def get_config(self) -> dict[str, Any]:
        return {"num_thresholds": self.num_thresholds, "curve": self.curve,
                "name": self.name, "from_logits": self.from_logits}


#: Metrics by their Keras names (`metrics=['accuracy']`).
METRICS: dict[str, Callable[..., float]] = {
    "accuracy": accuracy, "acc": accuracy,
    "categorical_accuracy": categorical_accuracy, "binary_accuracy": binary_accuracy,
    "mse": mean_squared_error, "mean_squared_error": mean_squared_error,
    "mae": mean_absolute_error, "mean_absolute_error": mean_absolute_error,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "pixel_accuracy": pixel_accuracy,
}

#: Stateful metrics by name: `get` returns a fresh instance for each (an epoch's mean
#: IoU needs the whole epoch's confusion matrix, not a mean of batch values).
METRIC_CLASSES: dict[str, Callable[[], Metric]] = {
    "mean_iou": lambda: MeanIoU(num_classes=None, sparse_y_pred=False),
    "MeanIoU": lambda: MeanIoU(num_classes=None, sparse_y_pred=False),
    # Keras 3 resolves these strings to fresh metric objects (class name or snake_case)
    "AUC": AUC, "auc": AUC, "Precision": Precision, "precision": Precision,
    "Recall": Recall, "recall": Recall,
}


def frechet_distance(features_a: Any, features_b: Any) -> float:
    """Fréchet distance between two Gaussians fitted to two sets of feature vectors:

        FD = ||μ_a − μ_b||² + tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^{1/2})

    features_*: (n, d) arrays, one feature vector per row (n ≥ 2; the two n may differ);
    μ the mean row, Σ the (d, d) sample covariance (divided by n − 1). This is the
    distance behind FID (Heusel et al., 2017), there on Inception features; tinydl's
    GAN score uses a digit classifier's penultimate layer instead.

    tr((Σ_a Σ_b)^{1/2}) is computed without scipy as Σ_i sqrt(λ_i) over the eigenvalues
    λ_i of the symmetric matrix Σ_a^{1/2} Σ_b Σ_a^{1/2} (similar to Σ_a Σ_b), in float64.
    Tiny negative eigenvalues from round-off are clipped to 0. Returns a float ≥ 0.
    """
    a = np.asarray(features_a.data if isinstance(features_a, Tensor) else features_a, np.float64)
    b = np.asarray(features_b.data if isinstance(features_b, Tensor) else features_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or len(a) < 2 or len(b) < 2:
        raise ValueError(f"frechet_distance: expected two (n, d) feature arrays with the same d "
                         f"and n >= 2; got shapes {a.shape} and {b.shape}")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    lam, vec = np.linalg.eigh(cov_a)
    root_a = (vec * np.sqrt(np.clip(lam, 0, None))) @ vec.T        # Σ_a^{1/2}
    inner = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_sqrt = np.sqrt(np.clip(inner, 0, None)).sum()
    fd = float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt)
    return max(fd, 0.0)


def get(name: Any) -> Callable[..., float]:
    """The metric for a Keras name (a callable, e.g. a Metric instance, is passed through):
    a function from METRICS, or a fresh stateful Metric for 'mean_iou' / 'MeanIoU'
    (MeanIoU(num_classes=None, sparse_y_pred=False): K and the argmax are taken from
    softmax outputs)."""
    if callable(name):
        return name
    if isinstance(name, str) and name in METRIC_CLASSES:
        return METRIC_CLASSES[name]()
    if not (isinstance(name, str) and name in METRICS):
        known = ", ".join(repr(k) for k in [*METRICS, *METRIC_CLASSES])
        raise ValueError(f"unknown metric {name!r}; expected one of {known} or a function "
                         f"f(y_true, y_pred) -> float")
    return METRICS[name]
