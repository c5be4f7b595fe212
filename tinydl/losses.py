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
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

import numpy as np

from .activations import softmax, stable_log_softmax, stable_sigmoid
from .autograd import Function, Tensor, to_array

EPSILON = 1e-7  # Keras' backend.epsilon(): the clip margin for probabilities


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


def mse(y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
    """Mean squared error  L = (1/n) Σ_i (ŷ_i - y_i)²  over all n elements.

    Keras averages over the last axis, then over the batch; with equal-length rows that
    is the mean of all elements. Shapes: y_true and y_pred the same, any shape.
    With sample_weight, ℓ_i = mean over the last axis of (ŷ - y)² (for 1-d inputs each
    element is one sample) and L = Σ_i w_i ℓ_i / P.
    """
    name = "mse"
    y_true, y_pred = _prepare(name, y_true, y_pred)
    diff = y_pred - y_true
    if sample_weight is None:
        return (diff * diff).mean()
    w = _sample_weight(name, sample_weight, _position_shape(y_pred.shape), y_pred.dtype)
    return (diff * diff * _weighted_elements(w, y_pred.shape)).mean()


mean_squared_error = mse


# -- binary cross-entropy ----------------------------------------------------------

class BinaryCrossentropyFromLogits(Function):
    """Weighted mean over all elements of  ℓ(z, y) = max(z, 0) - z·y + log(1 + e^{-|z|}),
    which equals -[y log σ(z) + (1-y) log(1-σ(z))] but never overflows:
    L = (1/n) Σ_e w_e ℓ_e (w = 1 without weight; n = number of elements).
    ∂L/∂z = w·(σ(z) - y)/n,  ∂L/∂y = -w·z/n."""
    def forward(self, z, y, weight=None):
        self.z, self.y, self.w = z, y, weight
        losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        if weight is not None:
            losses = losses * weight
        return np.asarray(losses.mean(), dtype=z.dtype)

    def backward(self, grad):
        scale = grad / self.z.size
        if self.w is not None:
            scale = scale * self.w
        gz = (stable_sigmoid(self.z) - self.y) * scale
        return gz, (-self.z * scale if self.needs_grad[1] else None)


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        sample_weight: Any = None) -> Tensor:
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
    Returns:
        A 0-d Tensor.
    """
    name = "binary_crossentropy"
    y_true, y_pred = _prepare(name, y_true, y_pred)
    w = None
    if sample_weight is not None:
        w = _sample_weight(name, sample_weight, _position_shape(y_pred.shape), y_pred.dtype)
        w = _weighted_elements(w, y_pred.shape)
    if from_logits:
        return BinaryCrossentropyFromLogits.apply(y_pred, y_true, weight=w)
    p = y_pred.clip(EPSILON, 1 - EPSILON)
    elementwise = y_true * p.log() + (1 - y_true) * (1 - p).log()
    return -(elementwise if w is None else elementwise * w).mean()


# -- categorical cross-entropy -----------------------------------------------------

class CategoricalCrossentropyFromLogits(Function):
    """L = -(1/N) Σ_samples w · Σ_k y_k · log_softmax(z)_k, classes on the last axis
    (w = 1 without weight, else one weight per sample, shape (..., 1)).
    ∂L/∂z = w·(softmax(z)·Σ_k y_k - y)/N,  ∂L/∂y = -w·log_softmax(z)/N."""
    def forward(self, z, y, weight=None):
        self.log_p = stable_log_softmax(z)
        self.y, self.w, self.n = y, weight, z.size // z.shape[-1]
        products = y * self.log_p if weight is None else y * self.log_p * weight
        return np.asarray(-products.sum() / self.n, dtype=z.dtype)

    def backward(self, grad):
        scale = grad / self.n
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
                             sample_weight: Any = None) -> Tensor:
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
    Returns:
        A 0-d Tensor.
    """
    name = "categorical_crossentropy"
    y_true, y_pred = _prepare(name, y_true, y_pred, categorical=True)
    w = None
    if sample_weight is not None:
        w = _sample_weight(name, sample_weight, y_pred.shape[:-1], y_pred.dtype)[..., None]
    if from_logits:
        return CategoricalCrossentropyFromLogits.apply(y_pred, y_true, weight=w)
    _check_probabilities(name, y_pred)
    p = (y_pred / y_pred.sum(axis=-1, keepdims=True)).clip(EPSILON, 1 - EPSILON)
    products = y_true * p.log()
    return -(products if w is None else products * w).sum(axis=-1).mean()


for _loss in (mse, binary_crossentropy, categorical_crossentropy):
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


class SparseCategoricalCrossentropyFromLogits(Function):
    """L = -Σ_i c_i · log_softmax(z_i)[y_i], classes on z's last axis, y_i an integer
    label per position i and c_i a coefficient per position (weight / denominator,
    0 at ignored positions). ∂L/∂z_i = c_i·(softmax(z_i) - onehot(y_i)): the one-hot
    is never built, its -c_i is subtracted at the label's index only."""
    def forward(self, z, labels, coef):
        self.log_p = stable_log_softmax(z)
        self.labels, self.coef = labels[..., None], coef
        picked = np.take_along_axis(self.log_p, self.labels, axis=-1)[..., 0]
        return np.asarray(-(picked * coef).sum(), dtype=z.dtype)

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
    coef = coef / valid if valid else coef * 0      # all ignored: the loss is 0, not 0/0
    labels = np.where(mask, labels, 0)              # any class: its coefficient is 0
    if from_logits:
        return SparseCategoricalCrossentropyFromLogits.apply(y_pred, labels=labels, coef=coef)
    _check_probabilities(name, y_pred)
    p = (y_pred / y_pred.sum(axis=-1, keepdims=True)).clip(EPSILON, 1 - EPSILON)
    flat = p.reshape(-1, k)[np.arange(labels.size), labels.reshape(-1)]   # p_i[y_i]
    return -(flat.log() * coef.reshape(-1)).sum()


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
    return SoftDice.apply(p, targets=targets, weights=weights, smooth=float(smooth), kept=kept)


class SoftDice(Function):
    """L = 1 - (1/|kept|) Σ_{k ∈ kept} D_k with D_k = (2 I_k + s) / den_k and

        I_k = Σ_i w_i p_ik t_ik,   den_k = Σ_i w_i p_ik + Σ_i w_i t_ik + s,

    p (..., K) probabilities, t integer labels (...) (t_ik = [label_i = k]) or targets
    (..., K), w per-position weights (1 when None), i every position.

    ∂L/∂p_ik = w_i (a_k t_ik + b_k) for k ∈ kept, 0 otherwise, where
    a_k = -2 / (|kept| den_k) and b_k = (2 I_k + s) / (|kept| den_k²).
    With labels, the sums are bincounts and the one-hot t is never built."""
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
    """The loss function behind a functools.partial (itself otherwise)."""
    while hasattr(loss, "func") and hasattr(loss, "keywords"):
        loss = loss.func
    return loss


#: Losses by their Keras names (`model.compile(loss='mse')`).
LOSSES: dict[str, Callable[..., Tensor]] = {
    "mse": mse, "mean_squared_error": mse,
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "dice": dice,
}


def get(name: Any) -> Callable[..., Tensor]:
    """The loss function for a Keras name (a callable is passed through)."""
    if callable(name):
        return name
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(k) for k in LOSSES)
        raise ValueError(f"unknown loss {name!r}; expected one of {known}") from None
