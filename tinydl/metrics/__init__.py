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

The package, by family: accuracy.py (which prediction counts as correct; the regression
means), confusion.py (what is read off a confusion matrix), segmentation.py (pixel
accuracy, IoU, Dice, MeanIoU), metric.py (the stateful Metric API, Mean, Sum). The GAN's
Fréchet distance is with the GAN, `tinydl.gan.frechet_distance`.

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

from typing import Any, Callable

from .accuracy import (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
                       accuracy, binary_accuracy, categorical_accuracy, mean_absolute_error,
                       mean_squared_error, sparse_categorical_accuracy)
from .confusion import (AUC, Precision, Recall, classification_report, confusion_matrix,
                        f1_score, precision, recall)
from .metric import Mean, MeanMetricWrapper, Metric, Sum
from .segmentation import MeanIoU, dice_per_class, iou_per_class, mean_iou, pixel_accuracy

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


__all__ = ["accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "mean_squared_error", "mean_absolute_error", "confusion_matrix", "precision", "recall",
           "f1_score", "classification_report", "pixel_accuracy", "iou_per_class", "mean_iou",
           "dice_per_class", "Metric", "MeanMetricWrapper", "Mean", "Sum", "Accuracy",
           "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy", "Precision",
           "Recall", "AUC", "MeanIoU", "METRICS", "METRIC_CLASSES", "get"]
