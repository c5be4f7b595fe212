"""Metrics read off a confusion matrix: per class (`confusion_matrix`, `precision`, `recall`,
`f1_score`, `classification_report`, over a whole evaluation set) and Keras' thresholded
binary metric objects (`Precision`, `Recall`, `AUC`), whose counts are confusion matrices
summed over the batches.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import Tensor
from .accuracy import _arrays, same_shape_but_a_unit_axis
from .metric import Metric, leading_axes_weights

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
    t, p = same_shape_but_a_unit_axis(t.astype(np.float64) if t.dtype == bool else t, p)
    if t.shape != p.shape:
        raise ValueError(f"{name}: y_true has shape {t.shape} and y_pred {p.shape}; "
                         f"expected the same shape (0/1 labels, one per output unit). "
                         f"For integer class labels against (N, K) softmax scores, "
                         f"one-hot them (tinydl.utils.to_categorical) and pass "
                         f"class_id=k, or use tinydl.metrics.precision/recall")
    if sample_weight is None:
        w = np.ones(p.shape)
    else:
        w = leading_axes_weights(name, sample_weight, p.shape,
                                 f"y_pred has shape {p.shape}; expected one weight per sample "
                                 f"or per element")
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
