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

from typing import Any, Callable

import numpy as np

from .activations import stable_log_softmax, stable_sigmoid
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
    for arg, t in (("y_pred", y_pred), ("y_true", y_true)):
        nans = int(np.isnan(t.data).sum())
        if nans:
            raise ValueError(f"{name}: {arg} contains NaN ({nans} of {t.size} values, shape "
                             f"{t.shape}); expected finite numbers")
    return y_true, y_pred


# -- mean squared error ------------------------------------------------------------

def mse(y_true: Any, y_pred: Any) -> Tensor:
    """Mean squared error  L = (1/n) Σ_i (ŷ_i - y_i)²  over all n elements.

    Keras averages over the last axis, then over the batch; with equal-length rows that
    is the mean of all elements. Shapes: y_true and y_pred the same, any shape.
    """
    y_true, y_pred = _prepare("mse", y_true, y_pred)
    diff = y_pred - y_true
    return (diff * diff).mean()


mean_squared_error = mse


# -- binary cross-entropy ----------------------------------------------------------

class BinaryCrossentropyFromLogits(Function):
    """Mean over all elements of  ℓ(z, y) = max(z, 0) - z·y + log(1 + e^{-|z|}),
    which equals -[y log σ(z) + (1-y) log(1-σ(z))] but never overflows.
    ∂L/∂z = (σ(z) - y)/n,  ∂L/∂y = -z/n  (n = number of elements)."""
    def forward(self, z, y):
        self.z, self.y = z, y
        losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        return np.asarray(losses.mean(), dtype=z.dtype)

    def backward(self, grad):
        scale = grad / self.z.size
        gz = (stable_sigmoid(self.z) - self.y) * scale
        return gz, (-self.z * scale if self.needs_grad[1] else None)


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """Binary cross-entropy, the mean over all n elements:

        L = -(1/n) Σ_i [ y_i log ŷ_i + (1 - y_i) log(1 - ŷ_i) ]

    Article section 3.1.4 writes L = -(1/n) Σ y_i log ŷ_i + (1 - y_i) log(1 - ŷ_i): without
    the brackets, the minus sign and the 1/n reach only the first term, and the "loss"
    can even be negative. The brackets above are the correct formula, implemented here.

    Args:
        y_true: targets in [0, 1] (usually 0 or 1), same shape as y_pred.
        y_pred: probabilities ŷ (clipped to [1e-7, 1 - 1e-7], as Keras does), or, with
            from_logits=True, raw scores z with ŷ = σ(z) (fused and stable).
    Returns:
        A 0-d Tensor.
    """
    y_true, y_pred = _prepare("binary_crossentropy", y_true, y_pred)
    if from_logits:
        return BinaryCrossentropyFromLogits.apply(y_pred, y_true)
    p = y_pred.clip(EPSILON, 1 - EPSILON)
    return -(y_true * p.log() + (1 - y_true) * (1 - p).log()).mean()


# -- categorical cross-entropy -----------------------------------------------------

class CategoricalCrossentropyFromLogits(Function):
    """L = -(1/N) Σ_samples Σ_k y_k · log_softmax(z)_k, classes on the last axis.
    ∂L/∂z = (softmax(z)·Σ_k y_k - y)/N,  ∂L/∂y = -log_softmax(z)/N."""
    def forward(self, z, y):
        self.log_p = stable_log_softmax(z)
        self.y, self.n = y, z.size // z.shape[-1]
        return np.asarray(-(y * self.log_p).sum() / self.n, dtype=z.dtype)

    def backward(self, grad):
        scale = grad / self.n
        gz = (np.exp(self.log_p) * self.y.sum(axis=-1, keepdims=True) - self.y) * scale
        return gz, (-self.log_p * scale if self.needs_grad[1] else None)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """Categorical cross-entropy, the mean over the N samples:

        L = -(1/N) Σ_samples Σ_k y_k log p_k

    Shapes: y_true and y_pred (N, K) (or (..., K): every position before the class axis
    is a sample); y_true one-hot (or a distribution) over the K classes.

    Args:
        y_pred: probabilities p, renormalised to sum to 1 along the last axis and then
            clipped to [1e-7, 1 - 1e-7], as Keras does; or, with from_logits=True, raw
            scores z with log p = log_softmax(z) (fused and stable).
    Returns:
        A 0-d Tensor.
    """
    name = "categorical_crossentropy"
    y_true, y_pred = _prepare(name, y_true, y_pred, categorical=True)
    if from_logits:
        return CategoricalCrossentropyFromLogits.apply(y_pred, y_true)
    sums = y_pred.data.sum(axis=-1)
    if not np.all(sums > 0):
        raise ValueError(f"{name}: y_pred of shape {y_pred.shape} has rows summing to "
                         f"{sums.min():g}; expected probabilities (non-negative, each row "
                         f"summing to 1). For raw scores pass from_logits=True.")
    p = (y_pred / y_pred.sum(axis=-1, keepdims=True)).clip(EPSILON, 1 - EPSILON)
    return -(y_true * p.log()).sum(axis=-1).mean()


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


#: Losses by their Keras names (`model.compile(loss='mse')`).
LOSSES: dict[str, Callable[..., Tensor]] = {
    "mse": mse, "mean_squared_error": mse,
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
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
