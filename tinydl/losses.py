"""Loss functions, with Keras' names, argument order (y_true, y_pred) and conventions.

Every loss returns a scalar (0-d) Tensor: the mean over the batch. `y_pred` is a Tensor
(a float array is accepted too); `y_true` is an array or a Tensor, cast to y_pred's dtype
as Keras does (so integer 0/1 targets are fine). It normally needs no gradient, but if it
is a Tensor that requires grad, it gets the correct one.

On probabilities, y_pred is clipped to [ε, 1 - ε] with ε = 1e-7 (Keras' `epsilon()`), so
that log never sees 0: the loss stays finite for predictions of exactly 0 and 1. The
gradient of a clipped value is zero, as in Keras. With `from_logits=True` the loss takes
raw scores z instead and is computed by a fused, numerically stable Function: prefer it
for training (no clipping, no exp of a large number, finite for |z| up to 1e4 and beyond).

Keras' loss objects wrap these functions (one formula each): SparseCategoricalCrossentropy,
CategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError, MeanAbsoluteError, Huber,
KLDivergence and Dice, with Keras 3's `reduction` ("sum_over_batch_size", the functions'
value; "sum"; "none"/None, the per-sample losses) and `get_config()`. `Loss` is their base
class; subclass it with a `call(y_true, y_pred)` for a loss of your own.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

import numpy as np

from .autograd import Function, Tensor, to_array
from .backend import EPSILON
from .ops import _kernels
from .ops.activations import softmax, stable_log_softmax, stable_sigmoid
from .ops.reference import losses as reference_losses


def _prepare(name: str, y_true: Any, y_pred: Any,
             categorical: bool = False) -> tuple[Tensor, Tensor]:
    """Validate and convert the two arguments; returns (y_true, y_pred) as Tensors."""
    if not isinstance(y_pred, Tensor):
        y_pred = Tensor(to_array(y_pred, name, "y_pred"))  # refuses integer arrays
    if not (isinstance(y_true, Tensor) and y_true.dtype == y_pred.dtype):
        y_true = Tensor(to_array(y_true, name, "y_true", dtype=y_pred.dtype))
    if y_true.shape != y_pred.shape:
        hint = ""
        labels = y_true.shape in (y_pred.shape[:-1], y_pred.shape[:-1] + (1,))
        if categorical and y_pred.ndim >= 1 and labels and np.all(y_true.data % 1 == 0):
            hint = (f"; y_true looks like integer class labels: one-hot encode the labels "
                    f"into shape {y_pred.shape} first")
        raise ValueError(f"{name}: y_true has shape {y_true.shape} but y_pred has shape "
                         f"{y_pred.shape}; expected the same shape{hint}")
    if categorical and y_pred.ndim == 0:
        raise ValueError(f"{name}: y_pred has shape (); expected (..., num_classes)")
    if y_pred.size == 0:
        raise ValueError(f"{name}: y_pred is empty (shape {y_pred.shape}); expected at least "
                         f"one value")
    for arg, t in (("y_pred", y_pred), ("y_true", y_true)):
        _check_finite(name, arg, t)
    return y_true, y_pred


def _check_finite(name: str, arg: str, t: Tensor) -> None:
    """Refuse NaN and inf in the Tensor `arg` of the loss `name`, counting them."""
    if not np.isfinite(t.data).all():
        bad = int(np.size(t.data) - np.isfinite(t.data).sum())
        raise ValueError(f"{name}: {arg} contains NaN or inf ({bad} of {t.size} values, "
                         f"shape {t.shape}); expected finite numbers")


def _position_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of the per-position losses of mse and binary_crossentropy: the last axis
    is averaged away, except for 0-d and 1-d inputs (N,), whose elements are the samples
    (as if they were (N, 1), a model's single output unit)."""
    return shape if len(shape) <= 1 else shape[:-1]


def _sample_weight(name: str, sample_weight: Any, positions: tuple[int, ...],
                   dtype: Any) -> np.ndarray:
    """`sample_weight` as an array that broadcasts against `positions` (the shape of the
    per-position losses), aligned from the FIRST (batch) axis: (N,) weighs samples,
    (N, H, W) weighs pixels, a scalar weighs everything. A trailing axis of 1 is
    dropped, as Keras' squeeze_or_expand_to_same_rank does. Returns an array of shape
    `positions` (a broadcast view)."""
    w = sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight
    try:
        w = np.asarray(w, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: sample_weight must be numbers, got "
                        f"{type(sample_weight).__name__}") from None
    given = w.shape
    if w.ndim == len(positions) + 1 and w.shape[-1] == 1:
        w = w[..., 0]
    if w.ndim > len(positions) or any(a not in (1, b) for a, b in zip(w.shape, positions)):
        raise ValueError(f"{name}: sample_weight has shape {given} but the per-sample losses "
                         f"have shape {positions}; expected a shape that matches their "
                         f"leading axes, e.g. {positions[:1]} or {positions}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name}: sample_weight contains NaN or inf; expected finite numbers")
    return np.broadcast_to(w.reshape(w.shape + (1,) * (len(positions) - w.ndim)), positions)


def _weighted_elements(weights: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Per-position weights (shape `_position_shape(shape)`) spread over the last axis of
    the element-wise losses of `shape`, so that Σ_e w_e ℓ_e / n = Σ_i w_i mean_c ℓ_ic / P."""
    return weights if len(shape) <= 1 else weights[..., None]


# -- mean squared error ------------------------------------------------------------

_WEIGHT_DOC = """
    sample_weight: optional per-sample (Keras) weights w, broadcastable from the leading
        axes to the per-sample losses ℓ_i: (N,) for one weight per sample, (N, H, W) for
        one per pixel. The loss is then  L = Σ_i w_i ℓ_i / P  over the P per-sample
        losses (Keras' 'sum_over_batch_size': divided by P, not by Σ w). None: all 1,
        which gives exactly the unweighted formula above.
"""


def _mean_of_elements(name: str, elements: Tensor, shape: tuple[int, ...], sample_weight: Any,
                      per_position: bool) -> Tensor:
    """Reduce element-wise losses of `shape` (Keras: mean over the last axis per position,
    1-d inputs one sample per element). per_position=False: the weighted mean over all
    elements, Σ_i w_i ℓ_i / P (what the loss functions return); True: the P per-position
    values w_i ℓ_i, shape _position_shape(shape) (the objects' reduction='none')."""
    positions = _position_shape(shape)
    w = None if sample_weight is None else _sample_weight(name, sample_weight, positions,
                                                          elements.dtype)
    if per_position:
        per = elements if len(shape) <= 1 else elements.mean(axis=-1)
        return per if w is None else per * w
    return elements.mean() if w is None else (elements * _weighted_elements(w, shape)).mean()


def mse(y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
    """Mean squared error  L = (1/n) Σ_i (ŷ_i - y_i)²  over all n elements.

    Keras averages over the last axis, then over the batch; with equal-length rows that
    is the mean of all elements. Shapes: y_true and y_pred the same, any shape.
    With sample_weight, ℓ_i = mean over the last axis of (ŷ - y)² (for 1-d inputs each
    element is one sample) and L = Σ_i w_i ℓ_i / P.
    """
    return _mse(y_true, y_pred, sample_weight)


def _mse(y_true: Any, y_pred: Any, sample_weight: Any = None,
         per_position: bool = False) -> Tensor:
    name = "mse"
    y_true, y_pred = _prepare(name, y_true, y_pred)
    diff = y_pred - y_true
    return _mean_of_elements(name, diff * diff, y_pred.shape, sample_weight, per_position)


mean_squared_error = mse


# -- mean absolute error, Huber, Kullback-Leibler divergence ---------------------------

def mae(y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
    """Mean absolute error  L = (1/n) Σ_i |ŷ_i - y_i|  over all n elements.

    Shapes as in `mse` (Keras averages over the last axis, then over the batch).
    Gradient: ∂L/∂ŷ_i = sign(ŷ_i - y_i)/n (0 where ŷ_i = y_i, the kink).
    With sample_weight, ℓ_i = mean over the last axis of |ŷ - y| and L = Σ_i w_i ℓ_i / P.
    """
    return _mae(y_true, y_pred, sample_weight)


def _mae(y_true: Any, y_pred: Any, sample_weight: Any = None,
         per_position: bool = False) -> Tensor:
    name = "mae"
    y_true, y_pred = _prepare(name, y_true, y_pred)
    return _mean_of_elements(name, (y_pred - y_true).abs(), y_pred.shape, sample_weight,
                             per_position)


mean_absolute_error = mae


def _check_delta(name: str, delta: Any) -> float:
    if not (isinstance(delta, int | float | np.integer | np.floating)
            and not isinstance(delta, bool) and np.isfinite(delta) and delta > 0):
        raise ValueError(f"{name}: delta must be a finite number > 0, got {delta!r}")
    return float(delta)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0, sample_weight: Any = None) -> Tensor:
    """Huber loss, the mean over all n elements of, with e = ŷ - y and δ = delta > 0,

        h(e) = ½ e²             if |e| ≤ δ
               δ |e| - ½ δ²      otherwise

    quadratic near 0, linear (robust to outliers) beyond δ; h and h' are continuous.
    Computed as h = ½ q² + δ (|e| - q) with q = min(|e|, δ), so
    ∂h/∂e = e for |e| ≤ δ, δ·sign(e) beyond. Shapes and sample_weight as in `mse`.
    """
    return _huber(y_true, y_pred, delta, sample_weight)


def _huber(y_true: Any, y_pred: Any, delta: float = 1.0, sample_weight: Any = None,
           per_position: bool = False) -> Tensor:
    name = "huber"
    delta = _check_delta(name, delta)
    y_true, y_pred = _prepare(name, y_true, y_pred)
    err = (y_pred - y_true).abs()
    q = err.clip(None, delta)
    elements = 0.5 * q * q + delta * (err - q)
    return _mean_of_elements(name, elements, y_pred.shape, sample_weight, per_position)


def kl_divergence(y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
    """Kullback-Leibler divergence of y_pred from y_true, per position over the last axis:

        ℓ_i = Σ_k t_ik log(t_ik / p_ik),   t = clip(y_true, ε, 1), p = clip(y_pred, ε, 1)

    (ε = 1e-7, as Keras' kl_divergence), L = (1/P) Σ_i w_i ℓ_i over the P positions
    y_pred.shape[:-1] (a 1-d input is one distribution). Shapes: y_true and y_pred the
    same, (..., K), each row a distribution. ∂ℓ/∂p_ik = -t_ik / p_ik (0 where clipped).
    """
    return _kl_divergence(y_true, y_pred, sample_weight)


def _kl_divergence(y_true: Any, y_pred: Any, sample_weight: Any = None,
                   per_position: bool = False) -> Tensor:
    name = "kl_divergence"
    y_true, y_pred = _prepare(name, y_true, y_pred, categorical=True)
    t, p = y_true.clip(EPSILON, 1), y_pred.clip(EPSILON, 1)
    per = (t * (t / p).log()).sum(axis=-1)
    if sample_weight is not None:
        per = per * _sample_weight(name, sample_weight, y_pred.shape[:-1], y_pred.dtype)
    return per if per_position else per.mean()


kld = kl_divergence


# -- binary cross-entropy ----------------------------------------------------------

class BinaryCrossentropyFromLogitsOp(Function):
    """Weighted mean over all elements of  ℓ(z, y) = max(z, 0) - z·y + log(1 + e^{-|z|}),
    which equals -[y log σ(z) + (1-y) log(1-σ(z))] but never overflows:
    L = (1/n) Σ_e w_e ℓ_e (w = 1 without weight; n = number of elements).
    ∂L/∂z = w·(σ(z) - y)/n,  ∂L/∂y = -w·z/n.
    Read first: tinydl/ops/reference/losses.py (binary_crossentropy_from_logits)."""
    op = "binary_crossentropy"

    def forward(self, z, y, weight=None, reduce=True):
        # reduce=False: the element-wise w_e ℓ_e (shape of z) instead of their mean.
        self.z, self.y, self.w, self.reduce = z, y, weight, reduce
        losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        if weight is not None:
            losses = losses * weight
        return np.asarray(losses.mean() if reduce else losses, dtype=z.dtype)

    def backward(self, grad):
        scale = grad / self.z.size if self.reduce else grad
        if self.w is not None:
            scale = scale * self.w
        gz = (stable_sigmoid(self.z) - self.y) * scale
        return gz, (-self.z * scale if self.needs_grad[1] else None)


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        sample_weight: Any = None, label_smoothing: float = 0.0) -> Tensor:
    """Binary cross-entropy, the mean over all n elements:

        L = -(1/n) Σ_i [ y_i log ŷ_i + (1 - y_i) log(1 - ŷ_i) ]

    Article section 3.1.4 writes L = -(1/n) Σ y_i log ŷ_i + (1 - y_i) log(1 - ŷ_i): without
    the brackets, the minus sign and the 1/n reach only the first term, and the "loss"
    can even be negative. The brackets above are the correct formula, implemented here.

    Args:
        y_true: targets in [0, 1] (usually 0 or 1), same shape as y_pred.
        y_pred: probabilities ŷ (clipped to [1e-7, 1 - 1e-7], as Keras does), or, with
            from_logits=True, raw scores z with ŷ = σ(z) (fused and stable).
        sample_weight: see below; ℓ_i is the mean over the last axis (for 1-d inputs
            each element is one sample).
        label_smoothing: α in [0, 1]: the targets become y (1 - α) + α/2 (Keras' label
            smoothing), pulling hard 0/1 targets towards 1/2.
    Returns:
        A 0-d Tensor.
    """
    return _binary_crossentropy(y_true, y_pred, from_logits, sample_weight, label_smoothing)


def _check_smoothing(name: str, alpha: Any) -> float:
    if not (isinstance(alpha, int | float | np.integer | np.floating)
            and not isinstance(alpha, bool) and 0 <= alpha <= 1):
        raise ValueError(f"{name}: label_smoothing must be a number in [0, 1], got {alpha!r}")
    return float(alpha)


def _binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                         sample_weight: Any = None, label_smoothing: float = 0.0,
                         per_position: bool = False) -> Tensor:
    name = "binary_crossentropy"
    alpha = _check_smoothing(name, label_smoothing)
    y_true, y_pred = _prepare(name, y_true, y_pred)
    if alpha:
        y_true = y_true * (1 - alpha) + alpha / 2
    if from_logits:
        w = None
        if sample_weight is not None:
            w = _sample_weight(name, sample_weight, _position_shape(y_pred.shape), y_pred.dtype)
            w = _weighted_elements(w, y_pred.shape)
        fused = (reference_losses.binary_crossentropy_from_logits if _kernels.reference()
                 else BinaryCrossentropyFromLogitsOp.apply)
        if not per_position:
            return fused(y_pred, y_true, weight=w)
        elements = fused(y_pred, y_true, weight=w, reduce=False)
        return elements if y_pred.ndim <= 1 else elements.mean(axis=-1)
    p = y_pred.clip(EPSILON, 1 - EPSILON)
    elementwise = -(y_true * p.log() + (1 - y_true) * (1 - p).log())
    return _mean_of_elements(name, elementwise, y_pred.shape, sample_weight, per_position)


# -- categorical cross-entropy -----------------------------------------------------

class CategoricalCrossentropyFromLogitsOp(Function):
    """L = -(1/N) Σ_samples w · Σ_k y_k · log_softmax(z)_k, classes on the last axis
    (w = 1 without weight, else one weight per sample, shape (..., 1)).
    ∂L/∂z = w·(softmax(z)·Σ_k y_k - y)/N,  ∂L/∂y = -w·log_softmax(z)/N.
    Read first: tinydl/ops/reference/losses.py (categorical_crossentropy_from_logits)."""
    op = "categorical_crossentropy"

    def forward(self, z, y, weight=None, reduce=True):
        # reduce=False: the per-sample w·ℓ (shape z.shape[:-1]) instead of their mean.
        self.log_p = stable_log_softmax(z)
        self.y, self.w, self.n, self.reduce = y, weight, z.size // z.shape[-1], reduce
        products = y * self.log_p if weight is None else y * self.log_p * weight
        if not reduce:
            return np.asarray(-products.sum(axis=-1), dtype=z.dtype)
        return np.asarray(-products.sum() / self.n, dtype=z.dtype)

    def backward(self, grad):
        scale = grad / self.n if self.reduce else np.asarray(grad)[..., None]
        if self.w is not None:
            scale = scale * self.w
        gz = (np.exp(self.log_p) * self.y.sum(axis=-1, keepdims=True) - self.y) * scale
        return gz, (-self.log_p * scale if self.needs_grad[1] else None)


def _check_probabilities(name: str, y_pred: Tensor) -> None:
    sums = y_pred.data.sum(axis=-1)
    if not np.all(sums > 0):
        raise ValueError(f"{name}: y_pred of shape {y_pred.shape} has rows summing to "
                         f"{sums.min():g}; expected probabilities (non-negative, each row "
                         f"summing to 1). For raw scores pass from_logits=True.")


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             sample_weight: Any = None, label_smoothing: float = 0.0) -> Tensor:
    """Categorical cross-entropy, the mean over the N samples:

        L = -(1/N) Σ_samples Σ_k y_k log p_k

    Shapes: y_true and y_pred (N, K) (or (..., K): every position before the class axis
    is a sample); y_true one-hot (or a distribution) over the K classes. For integer
    labels use `sparse_categorical_crossentropy`.

    Args:
        y_pred: probabilities p, renormalised to sum to 1 along the last axis and then
            clipped to [1e-7, 1 - 1e-7], as Keras does; or, with from_logits=True, raw
            scores z with log p = log_softmax(z) (fused and stable).
        sample_weight: see below; ℓ_i = -Σ_k y_ik log p_ik, shape y_pred.shape[:-1].
        label_smoothing: α in [0, 1]: the targets become y (1 - α) + α/K (Keras' label
            smoothing), K = y_pred.shape[-1].
    Returns:
        A 0-d Tensor.
    """
    return _categorical_crossentropy(y_true, y_pred, from_logits, sample_weight,
                                     label_smoothing)


def _categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                              sample_weight: Any = None, label_smoothing: float = 0.0,
                              per_position: bool = False) -> Tensor:
    name = "categorical_crossentropy"
    alpha = _check_smoothing(name, label_smoothing)
    y_true, y_pred = _prepare(name, y_true, y_pred, categorical=True)
    if alpha:
        y_true = y_true * (1 - alpha) + alpha / y_pred.shape[-1]
    w = None
    if sample_weight is not None:
        w = _sample_weight(name, sample_weight, y_pred.shape[:-1], y_pred.dtype)[..., None]
    if from_logits:
        if _kernels.reference():
            return reference_losses.categorical_crossentropy_from_logits(
                y_pred, y_true, weight=w, reduce=not per_position)
        return CategoricalCrossentropyFromLogitsOp.apply(y_pred, y_true, weight=w,
                                                       reduce=not per_position)
    _check_probabilities(name, y_pred)
    p = (y_pred / y_pred.sum(axis=-1, keepdims=True)).clip(EPSILON, 1 - EPSILON)
    products = y_true * p.log()
    per = -(products if w is None else products * w).sum(axis=-1)
    return per if per_position else per.mean()


for _loss in (mse, mae, huber, binary_crossentropy, categorical_crossentropy):
    if _loss.__doc__:                    # (None under python -OO)
        _loss.__doc__ += _WEIGHT_DOC


# -- sparse categorical cross-entropy (integer labels: classification, segmentation) ----

def _class_labels(name: str, y_true: Any, shape: tuple[int, ...], num_classes: int,
                  ignore_class: int | None = None) -> np.ndarray:
    """Integer labels of shape `shape` (= y_pred.shape[:-1]; a trailing axis of 1 is
    accepted, as Keras does) as an int64 array, every one in [0, K) or ignore_class."""
    labels = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)
    if labels.shape == shape + (1,):
        labels = labels.reshape(shape)
    if labels.shape != shape:
        raise ValueError(f"{name}: y_true has shape {labels.shape} but y_pred has shape "
                         f"{shape + (num_classes,)}; expected integer labels of shape {shape} "
                         f"(classes on y_pred's last axis)")
    if not (np.issubdtype(labels.dtype, np.integer) or np.issubdtype(labels.dtype, np.floating)
            or labels.dtype == bool):
        raise TypeError(f"{name}: y_true must hold integer class labels, got dtype {labels.dtype}")
    if labels.size and not np.all(np.isfinite(labels) & (labels == np.round(labels))):
        bad = labels[~(np.isfinite(labels) & (labels == np.round(labels)))].flat[0]
        raise ValueError(f"{name}: y_true holds {bad.item()!r}, which is not a whole number; "
                         f"expected integer class labels 0..{num_classes - 1}")
    labels = labels.astype(np.int64)
    bad = (labels < 0) | (labels >= num_classes)
    if ignore_class is not None:
        bad &= labels != ignore_class
    if bad.any():
        raise ValueError(f"{name}: y_true holds label {labels[bad].flat[0]}, out of range for "
                         f"{num_classes} classes (expected 0..{num_classes - 1}"
                         + (f" or ignore_class={ignore_class})" if ignore_class is not None
                            else ")"))
    return labels


class SparseCategoricalCrossentropyFromLogitsOp(Function):
    """L = -Σ_i c_i · log_softmax(z_i)[y_i], classes on z's last axis, y_i an integer
    label per position i and c_i a coefficient per position (weight / denominator,
    0 at ignored positions). ∂L/∂z_i = c_i·(softmax(z_i) - onehot(y_i)): the one-hot
    is never built, its -c_i is subtracted at the label's index only.
    Read first: tinydl/ops/reference/losses.py (sparse_categorical_crossentropy_from_logits)."""
    op = "sparse_categorical_crossentropy"

    def forward(self, z, labels, coef, reduce=True):
        # reduce=False: the per-position -c_i log_softmax(z_i)[y_i] instead of their sum.
        self.log_p = stable_log_softmax(z)
        self.labels, self.coef = labels[..., None], coef
        picked = np.take_along_axis(self.log_p, self.labels, axis=-1)[..., 0]
        return np.asarray(-(picked * coef).sum() if reduce else -(picked * coef), dtype=z.dtype)

    def backward(self, grad):
        scale = (grad * self.coef)[..., None]
        gz = np.exp(self.log_p) * scale
        at_label = np.take_along_axis(gz, self.labels, axis=-1)
        np.put_along_axis(gz, self.labels, at_label - scale, axis=-1)
        return gz


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    ignore_class: int | None = None,
                                    sample_weight: Any = None) -> Tensor:
    """Cross-entropy against integer labels, for classification and segmentation:

        ℓ_i = -log p_i[y_i]                 (one per position i: sample or pixel)
        L   = Σ_i m_i w_i ℓ_i / Σ_i m_i     (0 when every position is ignored)

    with m_i = 0 where y_i == ignore_class (else 1) and w_i the sample_weight (default 1).
    Without ignore_class and weights this is the plain mean of ℓ_i, and equals
    categorical_crossentropy against the one-hot labels.

    Shapes: y_pred (..., K) with classes on the last axis: (N, K) for classification,
    (N, H, W, K) for segmentation; y_true integer labels of shape y_pred.shape[:-1],
    (N,) or (N, H, W) (a trailing axis of 1 is accepted too, as Keras does).

    Args:
        y_pred: probabilities p, renormalised along the last axis and clipped to
            [1e-7, 1 - 1e-7] as in categorical_crossentropy; or, with from_logits=True,
            raw scores z with log p = log_softmax(z), computed by one fused, stable
            Function (finite for |z| up to 1e4 and beyond), whose gradient is
            ∂L/∂z_i = m_i w_i (softmax(z_i) - onehot(y_i)) / Σ_j m_j.
        ignore_class: a label value (e.g. 255 or -1 for "void" pixels) whose positions
            count neither in the sum nor in the denominator. Every other label must be
            in 0..K-1 (a ValueError names the first bad one).
        sample_weight: per-position weights w, broadcastable from the leading axes to
            y_pred.shape[:-1]: (N,) per sample, (N, H, W) per pixel.
    Returns:
        A 0-d Tensor.
    """
    # The reduction is Keras 3's (keras/src/losses/loss.py): the loss function marks the
    # ignored positions in a mask, `apply_mask` scales the mask by total/valid
    # ("divide_no_nan", so 0 when valid = 0) and merges it into sample_weight, and
    # `reduce_weighted_values` ('sum_over_batch_size') divides Σ ℓ·w·mask·total/valid by
    # total:  L = Σ m_i w_i ℓ_i / Σ m_i.
    return _sparse_categorical_crossentropy(y_true, y_pred, from_logits, ignore_class,
                                            sample_weight)


def _sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                     ignore_class: int | None = None,
                                     sample_weight: Any = None,
                                     per_position: bool = False) -> Tensor:
    # per_position: the per-position m_i w_i ℓ_i (shape y_pred.shape[:-1]), unscaled by
    # the number of valid positions, as Keras' reductions 'none' and 'sum' give them.
    name = "sparse_categorical_crossentropy"
    if not isinstance(y_pred, Tensor):
        y_pred = Tensor(to_array(y_pred, name, "y_pred"))
    if y_pred.ndim == 0 or y_pred.shape[-1] == 0:
        raise ValueError(f"{name}: y_pred has shape {y_pred.shape}; expected (..., num_classes)")
    _check_finite(name, "y_pred", y_pred)
    if ignore_class is not None and not isinstance(ignore_class, int | np.integer):
        raise TypeError(f"{name}: ignore_class must be an int or None, got {ignore_class!r}")
    positions, k = y_pred.shape[:-1], y_pred.shape[-1]
    labels = _class_labels(name, y_true, positions, k, ignore_class)
    mask = (labels != ignore_class) if ignore_class is not None else np.ones(positions, bool)
    coef = mask.astype(y_pred.dtype)
    if sample_weight is not None:
        coef = coef * _sample_weight(name, sample_weight, positions, y_pred.dtype)
    valid = int(mask.sum())
    if not per_position:
        coef = coef / valid if valid else coef * 0  # all ignored: the loss is 0, not 0/0
    labels = np.where(mask, labels, 0)              # any class: its coefficient is 0
    if from_logits:
        if _kernels.reference():
            return reference_losses.sparse_categorical_crossentropy_from_logits(
                y_pred, labels=labels, coef=coef, reduce=not per_position)
        return SparseCategoricalCrossentropyFromLogitsOp.apply(
            y_pred, labels=labels, coef=coef, reduce=not per_position)
    _check_probabilities(name, y_pred)
    p = (y_pred / y_pred.sum(axis=-1, keepdims=True)).clip(EPSILON, 1 - EPSILON)
    flat = p.reshape(-1, k)[np.arange(labels.size), labels.reshape(-1)]   # p_i[y_i]
    terms = -(flat.log() * coef.reshape(-1))
    return terms.reshape(positions) if per_position else terms.sum()


# -- soft Dice loss (segmentation) ------------------------------------------------------

def dice(y_true: Any, y_pred: Any, from_logits: bool = False, smooth: float = 1.0,
         ignore_classes: Sequence[int] = (), sample_weight: Any = None) -> Tensor:
    """Soft Dice loss, per class over all positions of the batch:

        D_k = (2 Σ_i w_i p_ik t_ik + s) / (Σ_i w_i p_ik + Σ_i w_i t_ik + s)
        L   = 1 - mean of D_k over the classes k not in ignore_classes

    p the predicted probabilities, t the one-hot targets, i every position (sample or
    pixel) of the batch, s = smooth, w_i the sample_weight (default 1). D_k = 1 for a
    perfect prediction; s keeps a class absent from both target and prediction at
    D_k = s/s = 1 instead of 0/0, and smooths the gradient of rare classes.

    Shapes: y_pred (..., K), classes on the last axis; y_true integer labels of shape
    y_pred.shape[:-1] (a trailing axis of 1 is accepted) or one-hot / soft targets of
    y_pred's shape.

    Args:
        from_logits: y_pred holds raw scores; p = softmax over the last axis.
        smooth: s ≥ 0 (s = 0 needs every kept class present in target or prediction).
        ignore_classes: class indices left out of the mean (e.g. the background).
        sample_weight: per-position weights w ≥ 0, broadcastable from the leading axes
            to y_pred.shape[:-1]; 0 leaves a position (e.g. a void pixel) out.
    Returns:
        A 0-d Tensor from one fused Function, `SoftDice` (the formula and its gradient
        are there), differentiable in y_pred.
    """
    name = "dice"
    if not isinstance(y_pred, Tensor):
        y_pred = Tensor(to_array(y_pred, name, "y_pred"))
    if y_pred.ndim == 0 or y_pred.shape[-1] == 0:
        raise ValueError(f"{name}: y_pred has shape {y_pred.shape}; expected (..., num_classes)")
    positions, k = y_pred.shape[:-1], y_pred.shape[-1]
    if not (isinstance(smooth, int | float | np.integer | np.floating)
            and not isinstance(smooth, bool) and smooth >= 0 and np.isfinite(smooth)):
        raise ValueError(f"{name}: smooth must be a finite number >= 0, got {smooth!r}")
    ignored = set()
    for c in ignore_classes:
        if not (isinstance(c, int | np.integer) and 0 <= c < k):
            raise ValueError(f"{name}: ignore_classes holds {c!r}; expected class indices "
                             f"0..{k - 1}")
        ignored.add(int(c))
    kept = [c for c in range(k) if c not in ignored]
    if not kept:
        raise ValueError(f"{name}: ignore_classes {tuple(ignore_classes)} leaves no class "
                         f"of {k} to average")
    true_shape = y_true.shape if isinstance(y_true, Tensor) else np.shape(y_true)
    if tuple(true_shape) == y_pred.shape:       # one-hot or soft targets
        y_true, y_pred = _prepare(name, y_true, y_pred)
        targets = y_true.data
    else:                                       # integer labels
        targets = _class_labels(name, y_true, positions, k)
    weights = (None if sample_weight is None
               else _sample_weight(name, sample_weight, positions, y_pred.dtype))
    p = softmax(y_pred) if from_logits else y_pred
    if _kernels.reference():
        return reference_losses.soft_dice(p, targets=targets, weights=weights,
                                          smooth=float(smooth), kept=kept)
    return SoftDiceOp.apply(p, targets=targets, weights=weights, smooth=float(smooth), kept=kept)


class SoftDiceOp(Function):
    """L = 1 - (1/|kept|) Σ_{k ∈ kept} D_k with D_k = (2 I_k + s) / den_k and

        I_k = Σ_i w_i p_ik t_ik,   den_k = Σ_i w_i p_ik + Σ_i w_i t_ik + s,

    p (..., K) probabilities, t integer labels (...) (t_ik = [label_i = k]) or targets
    (..., K), w per-position weights (1 when None), i every position.

    ∂L/∂p_ik = w_i (a_k t_ik + b_k) for k ∈ kept, 0 otherwise, where
    a_k = -2 / (|kept| den_k) and b_k = (2 I_k + s) / (|kept| den_k²).
    With labels, the sums are bincounts and the one-hot t is never built.
    Read first: tinydl/ops/reference/losses.py (soft_dice)."""
    op = "dice"

    def forward(self, p, targets, weights, smooth, kept):
        k = p.shape[-1]
        p2 = p.reshape(-1, k)
        w = (np.ones(len(p2), p.dtype) if weights is None
             else np.ascontiguousarray(weights, dtype=p.dtype).reshape(-1))
        self.w, self.kept, self.shape = w, np.array(kept), p.shape
        if targets.shape == p.shape:                    # one-hot or soft targets
            self.t, self.labels = targets.reshape(-1, k), None
            intersection = w @ (p2 * self.t)
            target_mass = w @ self.t
        else:
            self.t, self.labels = None, targets.reshape(-1)
            at_label = p2[np.arange(len(p2)), self.labels]
            intersection = np.bincount(self.labels, w * at_label, minlength=k)
            target_mass = np.bincount(self.labels, w, minlength=k)
        den = w @ p2 + target_mass + smooth
        num = 2 * intersection + smooth
        n = len(self.kept)
        self.a, self.b = np.zeros(k), np.zeros(k)
        self.a[self.kept] = -2 / (n * den[self.kept])
        self.b[self.kept] = num[self.kept] / (n * den[self.kept] ** 2)
        return np.asarray(1 - (num / den)[self.kept].mean(), dtype=p.dtype)

    def backward(self, grad):
        dtype = np.result_type(grad, self.w.dtype)
        w = self.w.astype(dtype, copy=False) * grad
        a, b = self.a.astype(dtype), self.b.astype(dtype)
        if self.labels is None:
            dp = w[:, None] * (self.t * a + b)
        else:
            dp = w[:, None] * b
            dp[np.arange(len(dp)), self.labels] += w * a[self.labels]
        return dp.reshape(self.shape)


# -- the GAN losses of section 3.2.4 --------------------------------------------------
#
# D outputs a logit l; D(x) = σ(l) is its probability that x is real. The article writes
# D(x) = W_d x + b_d, which is not a probability (its log is undefined for D(x) ≤ 0): the
# sigmoid is the missing piece. Written with logits, every loss below is a binary
# cross-entropy, computed by the stable fused BinaryCrossentropyFromLogits.

def discriminator_loss(real_logits: Any, fake_logits: Any) -> Tensor:
    """L_d = −E_x[log D(x)] − E_z[log(1 − D(G(z)))], from D's logits on a real batch
    and on a fake batch (any shapes; each expectation is the mean over its batch).

    The article's second term reads E_{x~p_z}[log(1 − D(x))]: the expectation is over
    the noise z, but D is applied to the generated image G(z), not to z itself.
    = binary_crossentropy(1, real) + binary_crossentropy(0, fake), from logits.
    """
    real_logits = real_logits if isinstance(real_logits, Tensor) else Tensor(
        to_array(real_logits, "discriminator_loss", "real_logits"))
    fake_logits = fake_logits if isinstance(fake_logits, Tensor) else Tensor(
        to_array(fake_logits, "discriminator_loss", "fake_logits"))
    return (binary_crossentropy(np.ones(real_logits.shape), real_logits, from_logits=True)
            + binary_crossentropy(np.zeros(fake_logits.shape), fake_logits, from_logits=True))


#: The two generator losses by name. Both have the same fixed point (D(G(z)) = 1/2 at
#: the optimum), but very different gradients when D confidently rejects the fakes.
GENERATOR_LOSSES = ("saturating", "non_saturating")


def generator_loss(fake_logits: Any, kind: str = "non_saturating") -> Tensor:
    """The generator's loss from D's logits l on generated images, D(G(z)) = σ(l).

    kind="saturating": the article's (and Goodfellow et al.'s minimax) loss,
        L_g = E_z[log(1 − D(G(z)))]          (minimised by G; always ≤ 0)
        dL_g/dl = −σ(l) = −D(G(z)): when D rejects the fakes (D(G(z)) → 0, early in
        training) the gradient vanishes; the loss "saturates".
    kind="non_saturating": Goodfellow et al.'s practical alternative,
        L_g = −E_z[log D(G(z))]
        dL_g/dl = −(1 − σ(l)) → −1 when D(G(z)) → 0: strong gradients exactly when G
        is worst.
    Both push D(G(z)) up. As binary cross-entropies from logits: saturating = −bce(0, l),
    non-saturating = bce(1, l).
    """
    if kind not in GENERATOR_LOSSES:
        raise ValueError(f"generator_loss: kind must be one of {GENERATOR_LOSSES}, got {kind!r}")
    fake_logits = fake_logits if isinstance(fake_logits, Tensor) else Tensor(
        to_array(fake_logits, "generator_loss", "fake_logits"))
    if kind == "saturating":
        return -binary_crossentropy(np.zeros(fake_logits.shape), fake_logits, from_logits=True)
    return binary_crossentropy(np.ones(fake_logits.shape), fake_logits, from_logits=True)


# -- several losses trained together ------------------------------------------------------

class CombinedLoss:
    """L = Σ_k w_k · L_k(y_true, y_pred): several losses on one output, e.g. the per-pixel
    cross-entropy plus a Dice term for segmentation:

        loss = combine({"sparse_categorical_crossentropy": 1.0,
                        functools.partial(dice, ignore_classes=[10]): 1.0})
        model.compile("adam", loss=loss)

    `from_logits` and `sample_weight` are passed to every term, so a model whose output is
    a softmax trains the sum from its logits when every term can (the cross-entropies and
    Dice can).
    """

    def __init__(self, terms: dict[Any, float]) -> None:
        if not isinstance(terms, dict) or len(terms) < 1:
            raise ValueError(f"combine: expected a dict {{loss: weight}} with at least one "
                             f"loss, got {terms!r}")
        self.terms = []
        for loss, weight in terms.items():
            if not (isinstance(weight, int | float) and np.isfinite(weight) and weight >= 0):
                raise ValueError(f"combine: the weight of {loss!r} must be a number >= 0, got "
                                 f"{weight!r}")
            self.terms.append((get(loss), float(weight)))
        self.__name__ = " + ".join(getattr(base_function(fn), "__name__", "loss")
                                   for fn, _ in self.terms)

    def __call__(self, y_true: Any, y_pred: Any, **kwargs: Any) -> Tensor:
        total = None
        for fn, weight in self.terms:
            value = fn(y_true, y_pred, **kwargs)
            value = value if weight == 1.0 else value * weight
            total = value if total is None else total + value
        return total

    def __repr__(self) -> str:
        return f"<CombinedLoss {self.__name__}>"


def combine(terms: dict[Any, float]) -> CombinedLoss:
    """Σ_k w_k · L_k as one loss for `compile`: terms is {loss or its name: weight}."""
    return CombinedLoss(terms)


def base_function(loss: Any) -> Any:
    """The loss function behind a functools.partial or a built-in loss object such as
    SparseCategoricalCrossentropy() (itself otherwise). Model uses it to recognise the
    losses it can compute from an output layer's logits."""
    while True:
        if isinstance(loss, Loss) and loss.function is not None:
            loss = loss.function
        elif hasattr(loss, "func") and hasattr(loss, "keywords"):
            loss = loss.func
        else:
            return loss


# -- loss objects (Keras' classes) ----------------------------------------------------------

#: Keras 3's reductions of the per-sample losses ℓ_i (weighted: w_i ℓ_i). None = "none".
REDUCTIONS = ("sum_over_batch_size", "sum", "none")


def _check_reduction(owner: str, reduction: Any) -> str:
    reduction = "none" if reduction is None else reduction
    if reduction not in REDUCTIONS:
        known = ", ".join(repr(r) for r in REDUCTIONS)
        raise ValueError(f"{owner}: unknown reduction {reduction!r}; expected one of {known} "
                         f"or None")
    return reduction


def _snake_case(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower()
                   for i, c in enumerate(name))


class Loss:
    """A loss as a Keras object: `loss = SomeLoss(...)`, then `loss(y_true, y_pred,
    sample_weight=None)` returns a Tensor, and `model.compile(loss=loss)` trains with it.

    With ℓ_i the per-sample losses (one per sample, or per pixel for segmentation) and
    w_i the sample weights (1 without), the reduction gives

        "sum_over_batch_size" (default):  Σ_i w_i ℓ_i / P   (P = number of ℓ_i; 0-d)
        "sum":                            Σ_i w_i ℓ_i         (0-d)
        "none" or None:                   w_i ℓ_i             (shape of the ℓ_i)

    The default equals the loss function of the same name (`mse`, ...). For a loss of
    your own, subclass and implement `call(y_true, y_pred)`, returning the per-sample
    losses ℓ as a Tensor; `__call__` weighs and reduces them.
    """

    #: The loss function the object wraps (None for a subclass with its own `call`).
    function: Callable[..., Tensor] | None = None

    def __init__(self, name: str | None = None,
                 reduction: str | None = "sum_over_batch_size") -> None:
        self.name = name if name is not None else _snake_case(type(self).__name__)
        self.reduction = _check_reduction(type(self).__name__, reduction)
        self.__name__ = self.name

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        """The per-sample losses ℓ_i, unweighted (shape: y_pred's without its last axis)."""
        raise NotImplementedError(f"{type(self).__name__}: a Loss subclass must implement "
                                  f"call(y_true, y_pred), returning the per-sample losses")

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        values = self.call(y_true, y_pred)
        if not isinstance(values, Tensor):
            values = Tensor(to_array(values, self.name, "call(y_true, y_pred)"))
        if sample_weight is not None:
            values = values * _sample_weight(self.name, sample_weight, values.shape,
                                             values.dtype)
        if self.reduction == "none":
            return values
        return values.sum() if self.reduction == "sum" else values.mean()

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments: `type(loss)(**loss.get_config())` is a copy."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({options})"


class _FunctionLoss(Loss):
    """A Loss that wraps one of the functions above: `_compute` calls its private form
    with per_position=False (the function's own value) or True (the w_i ℓ_i)."""

    def _compute(self, y_true: Any, y_pred: Any, sample_weight: Any, per_position: bool,
                 from_logits: bool) -> Tensor:
        raise NotImplementedError

    def _logits(self, from_logits: bool | None, y_pred: Any) -> bool:
        return False

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        return self._compute(y_true, y_pred, None, True, self._logits(None, y_pred))

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        return self._reduced(y_true, y_pred, sample_weight, self._logits(None, y_pred))

    def _reduced(self, y_true: Any, y_pred: Any, sample_weight: Any,
                 from_logits: bool) -> Tensor:
        if self.reduction == "sum_over_batch_size":
            return self._compute(y_true, y_pred, sample_weight, False, from_logits)
        values = self._compute(y_true, y_pred, sample_weight, True, from_logits)
        return values if self.reduction == "none" else values.sum()


def _check_flag(owner: str, what: str, value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{owner}: {what} must be True or False, got {value!r}")
    return bool(value)


class _CrossentropyLoss(_FunctionLoss):
    """Shared by the cross-entropies: `from_logits`, and the fused path of Model.

    Model computes a softmax (sigmoid) output's loss from the layer's logits: it calls
    the object with from_logits=True, which then overrides the object's own setting.
    With from_logits=False, y_pred must hold probabilities (values in [0, 1]); a ValueError
    says to pass from_logits=True when it holds raw scores."""

    def __init__(self, from_logits: bool, name: str | None, reduction: str | None) -> None:
        super().__init__(name=name, reduction=reduction)
        self.from_logits = _check_flag(type(self).__name__, "from_logits", from_logits)

    def _logits(self, from_logits: bool | None, y_pred: Any) -> bool:
        logits = self.from_logits if from_logits is None else bool(from_logits)
        if not logits:
            _check_in_unit_interval(type(self).__name__, y_pred)
        return logits

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None,
                 from_logits: bool | None = None) -> Tensor:
        """from_logits: None uses the object's own; Model passes True for its fused path."""
        return self._reduced(y_true, y_pred, sample_weight, self._logits(from_logits, y_pred))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "from_logits": self.from_logits}


def _check_in_unit_interval(owner: str, y_pred: Any) -> None:
    data = y_pred.data if isinstance(y_pred, Tensor) else np.asarray(y_pred)
    if data.size and np.issubdtype(data.dtype, np.number):
        low, high = np.nanmin(data), np.nanmax(data)
        if low < -1e-6 or high > 1 + 1e-6:      # (a float32 softmax may round past 1)
            bad = low if low < 0 else high
            raise ValueError(f"{owner}: y_pred holds {float(bad):g}, which is not a "
                             f"probability; with from_logits=False y_pred must be "
                             f"probabilities in [0, 1] (a softmax or sigmoid output). For "
                             f"raw scores (a last layer without activation) pass "
                             f"{owner}(from_logits=True)")


class SparseCategoricalCrossentropy(_CrossentropyLoss):
    """`sparse_categorical_crossentropy` as an object (integer labels y_true of shape
    y_pred.shape[:-1]; y_pred (..., K)): ℓ_i = -log p_i[y_i], with p = softmax(y_pred)
    when from_logits=True. Positions labelled `ignore_class` get weight 0; the default
    reduction then divides by the number of the other positions (as the function does),
    "sum" and "none" leave them out of the sum / give them 0."""

    function = staticmethod(sparse_categorical_crossentropy)

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "sparse_categorical_crossentropy") -> None:
        super().__init__(from_logits, name, reduction)
        if ignore_class is not None and not isinstance(ignore_class, int | np.integer):
            raise TypeError(f"SparseCategoricalCrossentropy: ignore_class must be an int or "
                            f"None, got {ignore_class!r}")
        self.ignore_class = ignore_class

    def _compute(self, y_true, y_pred, sample_weight, per_position, from_logits):
        return _sparse_categorical_crossentropy(y_true, y_pred, from_logits,
                                                self.ignore_class, sample_weight, per_position)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "ignore_class": self.ignore_class}


class CategoricalCrossentropy(_CrossentropyLoss):
    """`categorical_crossentropy` as an object (one-hot y_true and y_pred of shape
    (..., K)): ℓ_i = -Σ_k y_ik log p_ik, after label smoothing y ← y (1 - α) + α/K."""

    function = staticmethod(categorical_crossentropy)

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "categorical_crossentropy") -> None:
        super().__init__(from_logits, name, reduction)
        self.label_smoothing = _check_smoothing("CategoricalCrossentropy", label_smoothing)

    def _compute(self, y_true, y_pred, sample_weight, per_position, from_logits):
        return _categorical_crossentropy(y_true, y_pred, from_logits, sample_weight,
                                         self.label_smoothing, per_position)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


class BinaryCrossentropy(_CrossentropyLoss):
    """`binary_crossentropy` as an object (y_true and y_pred the same shape, targets in
    [0, 1]): ℓ_i = mean over the last axis of -[y log p + (1-y) log(1-p)], p = σ(y_pred)
    when from_logits=True, after label smoothing y ← y (1 - α) + α/2."""

    function = staticmethod(binary_crossentropy)

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 reduction: str | None = "sum_over_batch_size",
                 name: str = "binary_crossentropy") -> None:
        super().__init__(from_logits, name, reduction)
        self.label_smoothing = _check_smoothing("BinaryCrossentropy", label_smoothing)

    def _compute(self, y_true, y_pred, sample_weight, per_position, from_logits):
        return _binary_crossentropy(y_true, y_pred, from_logits, sample_weight,
                                    self.label_smoothing, per_position)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


class MeanSquaredError(_FunctionLoss):
    """`mse` as an object: ℓ_i = mean over the last axis of (ŷ - y)²."""

    function = staticmethod(mse)

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "mean_squared_error") -> None:
        super().__init__(name=name, reduction=reduction)

    def _compute(self, y_true, y_pred, sample_weight, per_position, from_logits):
        return _mse(y_true, y_pred, sample_weight, per_position)


class MeanAbsoluteError(_FunctionLoss):
    """`mae` as an object: ℓ_i = mean over the last axis of |ŷ - y|."""

    function = staticmethod(mae)

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "mean_absolute_error") -> None:
        super().__init__(name=name, reduction=reduction)

    def _compute(self, y_true, y_pred, sample_weight, per_position, from_logits):
        return _mae(y_true, y_pred, sample_weight, per_position)


class Huber(_FunctionLoss):
    """`huber` as an object: ℓ_i = mean over the last axis of h(ŷ - y) with
    h(e) = ½e² for |e| ≤ delta, delta·|e| - ½delta² beyond."""

    function = staticmethod(huber)

    def __init__(self, delta: float = 1.0, reduction: str | None = "sum_over_batch_size",
                 name: str = "huber_loss") -> None:
        super().__init__(name=name, reduction=reduction)
        self.delta = _check_delta("Huber", delta)

    def _compute(self, y_true, y_pred, sample_weight, per_position, from_logits):
        return _huber(y_true, y_pred, self.delta, sample_weight, per_position)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "delta": self.delta}


class KLDivergence(_FunctionLoss):
    """`kl_divergence` as an object: ℓ_i = Σ_k t_ik log(t_ik / p_ik), clipped to [ε, 1]."""

    function = staticmethod(kl_divergence)

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str = "kl_divergence") -> None:
        super().__init__(name=name, reduction=reduction)

    def _compute(self, y_true, y_pred, sample_weight, per_position, from_logits):
        return _kl_divergence(y_true, y_pred, sample_weight, per_position)


class Dice(Loss):
    """`dice` (soft Dice, one value per batch: the classes' overlaps are summed over all
    positions) as an object. Having no per-sample values, every reduction returns that
    0-d value (as Keras' Dice does with axis=None). Like the cross-entropies, a softmax
    output compiled with it is trained from the logits."""

    function = staticmethod(dice)

    def __init__(self, from_logits: bool = False, smooth: float = 1.0,
                 ignore_classes: Sequence[int] = (),
                 reduction: str | None = "sum_over_batch_size", name: str = "dice") -> None:
        super().__init__(name=name, reduction=reduction)
        self.from_logits = _check_flag("Dice", "from_logits", from_logits)
        self.smooth, self.ignore_classes = smooth, tuple(ignore_classes)

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        return self(y_true, y_pred)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None,
                 from_logits: bool | None = None) -> Tensor:
        logits = self.from_logits if from_logits is None else bool(from_logits)
        return dice(y_true, y_pred, from_logits=logits, smooth=self.smooth,
                    ignore_classes=self.ignore_classes, sample_weight=sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "from_logits": self.from_logits,
                "smooth": self.smooth, "ignore_classes": self.ignore_classes}


#: The loss classes by name, for `get("SparseCategoricalCrossentropy")`.
LOSS_CLASSES: dict[str, type[Loss]] = {cls.__name__: cls for cls in (
    SparseCategoricalCrossentropy, CategoricalCrossentropy, BinaryCrossentropy,
    MeanSquaredError, MeanAbsoluteError, Huber, KLDivergence, Dice)}


#: Losses by their Keras names (`model.compile(loss='mse')`).
LOSSES: dict[str, Callable[..., Tensor]] = {
    "mse": mse, "mean_squared_error": mse,
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "dice": dice,
    "mae": mae, "mean_absolute_error": mae,
    "huber": huber,
    "kl_divergence": kl_divergence, "kld": kl_divergence,
}


def get(name: Any) -> Callable[..., Tensor]:
    """The loss for a Keras name: a function's name ('mse') gives the function, a class
    name ('SparseCategoricalCrossentropy') a new object with default arguments; a
    callable (a function or a Loss object) is passed through."""
    if callable(name):
        return name
    if isinstance(name, str) and name in LOSS_CLASSES:
        return LOSS_CLASSES[name]()
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(k) for k in [*LOSSES, *LOSS_CLASSES])
        raise ValueError(f"unknown loss {name!r}; expected one of {known}, or a Loss "
                         f"object such as tinydl.losses.MeanSquaredError()") from None
