"""Segmentation metrics: labels of any rank, every pixel counts once, all read off the same
confusion matrix (`pixel_accuracy`, `iou_per_class`, `mean_iou`, `dice_per_class`), and
the stateful `MeanIoU`, which sums the confusion matrix over an epoch's batches.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import Tensor
from .confusion import _confusion_matrix, _counts, _label_pair
from .metric import Metric

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
