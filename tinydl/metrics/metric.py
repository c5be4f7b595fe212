"""Stateful metrics (Keras' Metric API: reset_state / update_state / result), accumulated
over the batches of an epoch: the base class `Metric`, `MeanMetricWrapper` (a metric
function made stateful), and the reductions `Mean` and `Sum` of values you pass.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import Tensor

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




# -- Keras' metric objects: reductions, accuracies, thresholded binary counts -------------

def _array(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def leading_axes_weights(name: str, sample_weight: Any, shape: tuple[int, ...],
                         expected: str) -> np.ndarray:
    """sample_weight (float64) broadcast to `shape` from its leading axes: (N,) is one weight
    per sample, `shape` itself one per element. ValueError "{name}: sample_weight has shape
    ... but {expected}" when it does not fit."""
    w = np.asarray(_array(sample_weight), dtype=np.float64)
    try:
        return np.broadcast_to(w.reshape(w.shape + (1,) * (len(shape) - w.ndim)), shape)
    except ValueError:
        raise ValueError(f"{name}: sample_weight has shape {w.shape} but {expected}") from None


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
    w = leading_axes_weights(name, w, values.shape,
                             f"the values have shape {values.shape}; expected one weight per "
                             f"sample {values.shape[:1]} or per element {values.shape}")
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
            v = v * leading_axes_weights("Sum", sample_weight, v.shape,
                                         f"values have shape {v.shape}; expected a shape "
                                         f"matching its leading axes")
        self.total += float(np.sum(v))

    def result(self) -> float:
        return self.total

    def __call__(self, values: Any, sample_weight: Any = None) -> float:  # type: ignore[override]
        self.update_state(values, sample_weight)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}
