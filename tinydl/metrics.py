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
`classification_report`.
"""
from __future__ import annotations

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


def categorical_accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose most probable class is the true one.

    Shapes: y_pred (N, K); y_true (N, K) one-hot (its argmax is the class) or (N,) /
    (N, 1) integer labels. Ties in y_pred go to the first maximum, as np.argmax does.
    """
    y_true, y_pred = _arrays("categorical_accuracy", y_true, y_pred)
    predicted = y_pred.argmax(axis=-1)
    if y_true.shape == y_pred.shape:
        true = y_true.argmax(axis=-1)
    elif y_true.shape in (predicted.shape, predicted.shape + (1,)):
        true = y_true.reshape(predicted.shape)
    else:
        raise ValueError(f"categorical_accuracy: y_true has shape {y_true.shape} and y_pred "
                         f"{y_pred.shape}; expected y_true one-hot of shape {y_pred.shape} "
                         f"or integer labels of shape {predicted.shape}")
    return float(np.mean(predicted == true))


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> float:
    """Fraction of elements with (y_pred > threshold) == (y_true > threshold).

    For 0/1 targets this is Keras' binary_accuracy. y_true of shape (N,) is accepted
    against y_pred of shape (N, 1) (and the other way round).
    """
    y_true, y_pred = _arrays("binary_accuracy", y_true, y_pred)
    if y_true.shape != y_pred.shape:
        if y_true.size != y_pred.size or len(y_true) != len(y_pred):
            raise ValueError(f"binary_accuracy: y_true has shape {y_true.shape} but y_pred has "
                             f"shape {y_pred.shape}; expected the same shape")
        y_true = y_true.reshape(y_pred.shape)
    return float(np.mean((y_pred > threshold) == (y_true > threshold)))


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

def _class_labels(name: str, arg: str, y: Any) -> tuple[np.ndarray, int | None]:
    """Integer labels (N,) from labels (N,) / (N, 1), one-hot or probability rows (N, K)
    (their argmax), and K when the rows say it (None for plain labels)."""
    y = y.data if isinstance(y, Tensor) else np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1), y.shape[1]
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{name}: {arg} has shape {y.shape}; expected integer labels (N,) "
                         f"or one-hot / probability rows (N, K)")
    if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)
            or y.dtype == bool):
        raise TypeError(f"{name}: {arg} must hold class labels, got dtype {y.dtype}")
    if y.size and not np.all(np.isfinite(y) & (y == np.round(y))):
        raise ValueError(f"{name}: {arg} holds values that are not whole numbers; pass class "
                         f"labels 0..K-1 (for one sigmoid unit: (y_pred > 0.5).astype(int))")
    return y.astype(np.int64), None


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """C[i, j] = number of samples of true class i predicted as class j; int64 (K, K).

    Row sums are the supports (samples per true class), column sums the number of
    predictions per class, the diagonal the correct ones: accuracy = trace(C) / N.

    Args:
        y_true, y_pred: integer labels (N,) or (N, 1), or one-hot / probability rows
            (N, K) whose argmax is the class; the two may differ in form.
        num_classes: K; default the width of the rows if given, else max label + 1.
    Computed in one pass with no loop: C = bincount(K·true + pred, minlength=K²)
    reshaped to (K, K).
    """
    return _confusion_matrix("confusion_matrix", y_true, y_pred, num_classes)


def _confusion_matrix(name: str, y_true: Any, y_pred: Any, num_classes: int | None) -> np.ndarray:
    """`confusion_matrix`, its errors naming the public function `name` that was called."""
    true, k_true = _class_labels(name, "y_true", y_true)
    pred, k_pred = _class_labels(name, "y_pred", y_pred)
    if len(true) != len(pred):
        raise ValueError(f"{name}: y_true has {len(true)} samples but y_pred has {len(pred)}")
    if len(true) == 0:
        raise ValueError(f"{name}: empty inputs; expected at least one sample")
    if k_true is not None and k_pred is not None and k_true != k_pred:
        raise ValueError(f"{name}: y_true has {k_true} classes (columns) but y_pred {k_pred}")
    if num_classes is None:
        num_classes = k_true or k_pred or int(max(true.max(), pred.max())) + 1
    elif not isinstance(num_classes, int | np.integer) or num_classes < 1:
        raise ValueError(f"{name}: num_classes must be a positive int, got {num_classes!r}")
    k = int(num_classes)
    for arg, labels in (("y_true", true), ("y_pred", pred)):
        if labels.min() < 0 or labels.max() >= k:
            bad = labels.min() if labels.min() < 0 else labels.max()
            raise ValueError(f"{name}: {arg} holds label {bad}, out of range for {k} "
                             f"classes (labels must be 0..{k - 1})")
    return np.bincount(k * true + pred, minlength=k * k).reshape(k, k)


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


#: Metrics by their Keras names (`metrics=['accuracy']`).
METRICS: dict[str, Callable[..., float]] = {
    "accuracy": accuracy, "acc": accuracy,
    "categorical_accuracy": categorical_accuracy, "binary_accuracy": binary_accuracy,
    "mse": mean_squared_error, "mean_squared_error": mean_squared_error,
    "mae": mean_absolute_error, "mean_absolute_error": mean_absolute_error,
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
    """The metric function for a Keras name (a callable is passed through)."""
    if callable(name):
        return name
    if not (isinstance(name, str) and name in METRICS):
        known = ", ".join(repr(k) for k in METRICS)
        raise ValueError(f"unknown metric {name!r}; expected one of {known} or a function "
                         f"f(y_true, y_pred) -> float")
    return METRICS[name]
