"""Adversarial examples: imperceptible changes to an image that change the model's answer,
the attacks that find them and a defence. This is *model* security, an extension of the
article's §5 item 3 (which is about data security and privacy: data collected and shared,
answered with encryption; encryption does nothing against these attacks).

Threat model: the L∞ ball of radius ε around x (no pixel moves by more than ε), images
kept in [0, 1]. The attacker maximises the cross-entropy loss of the true label,
L(x) = −log softmax(z(x))_y, computed from the model's logits (`tinydl.models.probing.logits`)
by the fused, stable cross-entropy.

    fgsm(model, x, y, eps)                 x + ε·sign(∇ₓL), one step (Goodfellow et al., 2015)
    pgd(model, x, y, eps, alpha, steps)    repeated steps of size α, each projected back onto
                                           the ε-ball and [0, 1] (Madry et al., 2018)
    robustness_curve(model, x, y, eps_list)   accuracy under attack, per ε
    adversarial_batch(model, x, y, eps)    a training batch with adversarial examples mixed in

Shapes: x a batch (N, H, W, C) or (N, features) of values in [0, 1] (or in `clip`); y
integer labels (N,) or one-hot rows (N, K). Attacks use inference mode (training=False)
and do not touch the weights (nor their .grad).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import backend, losses
from .autograd import Tensor, no_grad
from .models.probing import as_batch, class_indices, inputs_only, logits
from .ops.activations import stable_log_softmax

ATTACKS = ("fgsm", "pgd")
Clip = tuple[float, float] | None


# -- shared pieces -----------------------------------------------------------------------------

def _targets(fn: str, y: Any, n: int, k: int, dtype: Any) -> np.ndarray:
    """y (labels (N,) or (N, 1), or one-hot (N, K)) as one-hot rows (N, K) of dtype."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape == (n, k) and k > 1:
        return y.astype(dtype)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{fn}: y has shape {y.shape}; expected integer labels ({n},) or "
                         f"one-hot rows ({n}, {k})")
    labels = class_indices(fn, y, n, k)
    return np.eye(k, dtype=dtype)[labels]


def _scores(fn: str, model: Any, x: Tensor) -> Tensor:
    z = logits(model, x)
    if z.ndim != 2 or len(z) != len(x):
        raise ValueError(f"{fn}: the model's class scores have shape {z.shape}; expected "
                         f"(N, K) = ({len(x)}, number of classes)")
    return z


def loss_gradient(model: Any, x: Any, y: Any, fn: str = "loss_gradient"
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(∇ₓ Σ_n L_n, [L_n]): the gradient of the summed cross-entropy with respect to the
    input (each sample's row is its own loss's gradient), and the per-sample losses (N,),
    L_n = −Σ_k y_nk log softmax(z_n)_k."""
    x = as_batch(fn, model, x)
    xt = Tensor(x, requires_grad=True)
    with inputs_only(model):
        z = _scores(fn, model, xt)
        onehot = _targets(fn, y, len(x), z.shape[1], z.dtype)
        loss = losses.categorical_crossentropy(onehot, z, from_logits=True)   # the batch mean
        loss.backward(np.asarray(len(x), dtype=loss.dtype))                  # × N: the sum
    per_sample = -(onehot * stable_log_softmax(z.data)).sum(axis=1)
    return (xt.grad if xt.grad is not None else np.zeros_like(x)), per_sample


def sample_losses(model: Any, x: Any, y: Any, batch_size: int = 256) -> np.ndarray:
    """The cross-entropy of each sample, L_n = −Σ_k y_nk log softmax(z_n)_k, (N,), in
    inference mode (no gradient). The log-softmax runs in float64: in float32 a confident
    sample's loss (about 1e-9) rounds to exactly 0, and a membership-inference attack
    (lesson 13), which ranks the samples by loss, would see ties."""
    x = as_batch("sample_losses", model, x)
    out = []
    with no_grad():
        for start in range(0, len(x), batch_size):
            z = _scores("sample_losses", model, Tensor(x[start:start + batch_size]))
            onehot = _targets("sample_losses", np.asarray(y)[start:start + batch_size], len(z),
                              z.shape[1], np.float64)
            out.append(-(onehot * stable_log_softmax(z.data.astype(np.float64))).sum(axis=1))
    return np.concatenate(out) if out else np.zeros(0)


def _check_attack(fn: str, model: Any, x: Any, eps: Any, clip: Clip) -> np.ndarray:
    if not (isinstance(eps, int | float | np.number) and math.isfinite(eps) and eps >= 0):
        raise ValueError(f"{fn}: eps must be a finite number >= 0, got {eps!r}")
    x = as_batch(fn, model, x)
    if clip is not None:
        lo, hi = clip
        if not lo < hi:
            raise ValueError(f"{fn}: clip must be (low, high) with low < high, got {clip!r}")
        if x.size and (x.min() < lo or x.max() > hi):
            raise ValueError(f"{fn}: x has values in [{x.min():g}, {x.max():g}]; expected images "
                             f"in [{lo:g}, {hi:g}] (scale pixels with x / 255.0, or pass "
                             f"clip=None for inputs that have no such range)")
    return x


def _project(x_adv: np.ndarray, x: np.ndarray, eps: float, clip: Clip) -> np.ndarray:
    """The nearest point of the ε-ball around x (∩ the clip box): clip each value."""
    x_adv = np.clip(x_adv, x - eps, x + eps)
    x_adv = x_adv if clip is None else np.clip(x_adv, *clip)
    return x_adv.astype(x.dtype, copy=False)      # a NumPy float64 eps must not upcast


# -- the attacks -------------------------------------------------------------------------------

def fgsm(model: Any, x: Any, y: Any, eps: float, clip: Clip = (0.0, 1.0)) -> np.ndarray:
    """Fast gradient sign method:  x_adv = clip(x + ε · sign(∇ₓL(x, y)), 0, 1).

    The one-step maximiser of the loss's linear approximation over the L∞ ball
    ‖δ‖∞ ≤ ε. Returns x_adv (x's shape and dtype); |x_adv − x| ≤ ε element-wise (up to
    the rounding of x + ε), and values stay in `clip` (None: no range).
    """
    x = _check_attack("fgsm", model, x, eps, clip)
    grad, _ = loss_gradient(model, x, y, "fgsm")
    return _project(x + eps * np.sign(grad), x, eps, clip)


def pgd(model: Any, x: Any, y: Any, eps: float, alpha: float, steps: int,
        random_start: bool = True, rng: np.random.Generator | int | None = None,
        clip: Clip = (0.0, 1.0)) -> np.ndarray:
    """Projected gradient descent (ascent on the loss) under L∞:

        x⁰ = x + U(−ε, ε) (random_start) or x,   projected
        xᵏ⁺¹ = Π(xᵏ + α · sign(∇ₓL(xᵏ, y))),  k = 0 .. steps − 1

    where Π clips each value to [x − ε, x + ε] and to `clip`. With steps=1, alpha=eps
    and no random start it is exactly `fgsm`. Madry et al. use α ≈ 2.5·ε/steps.
    rng: a Generator or a seed for the random start (default tinydl's shared generator,
    `tinydl.utils.set_random_seed`).
    """
    fn = "pgd"
    x = _check_attack(fn, model, x, eps, clip)
    if not (isinstance(alpha, int | float | np.number) and math.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"{fn}: alpha must be a finite number >= 0, got {alpha!r}")
    if not (isinstance(steps, int | np.integer) and steps >= 0):
        raise ValueError(f"{fn}: steps must be an int >= 0, got {steps!r}")
    x_adv = x
    if random_start:
        rng = _generator(rng)
        x_adv = _project(x + rng.uniform(-eps, eps, x.shape).astype(x.dtype), x, eps, clip)
    for _ in range(steps):
        grad, _ = loss_gradient(model, x_adv, y, fn)
        x_adv = _project(x_adv + alpha * np.sign(grad), x, eps, clip)
    return x_adv


def _generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    if rng is None:
        return backend.get_rng()
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _attack(fn: str, model: Any, x: np.ndarray, y: Any, eps: float, attack: str,
            alpha: float | None, steps: int, random_start: bool,
            rng: np.random.Generator, clip: Clip) -> np.ndarray:
    if attack == "fgsm":
        return fgsm(model, x, y, eps, clip)
    if attack == "pgd":
        step = 2.5 * eps / max(steps, 1) if alpha is None else alpha
        return pgd(model, x, y, eps, step, steps, random_start, rng, clip)
    raise ValueError(f"{fn}: attack must be one of {ATTACKS}, got {attack!r}")


def robustness_curve(model: Any, x: Any, y: Any, eps_list: Any, attack: str = "fgsm",
                     batch_size: int = 256, alpha: float | None = None, steps: int = 10,
                     random_start: bool = True, rng: np.random.Generator | int | None = None,
                     clip: Clip = (0.0, 1.0)) -> np.ndarray:
    """Accuracy under attack for each ε in eps_list: the fraction of samples whose
    adversarial version (made by `attack`, 'fgsm' or 'pgd', against the true label) is
    still classified correctly (argmax of the scores). ε = 0 gives the clean accuracy.

    PGD uses `steps` steps of size alpha (default 2.5·ε/steps). Samples are attacked
    batch_size at a time. Returns an array of accuracies, one per ε.
    """
    fn = "robustness_curve"
    if attack not in ATTACKS:
        raise ValueError(f"{fn}: attack must be one of {ATTACKS}, got {attack!r}")
    if not (isinstance(batch_size, int | np.integer) and batch_size >= 1):
        raise ValueError(f"{fn}: batch_size must be an int >= 1, got {batch_size!r}")
    x = as_batch(fn, model, x)
    y = np.asarray(y)
    labels = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y))
    if len(labels) != len(x):
        raise ValueError(f"{fn}: x has {len(x)} samples but y has {len(labels)}; expected one "
                         f"label per sample")
    rng = _generator(rng)
    accuracies = []
    for eps in np.atleast_1d(np.asarray(eps_list, dtype=np.float64)):
        correct = 0
        for start in range(0, len(x), batch_size):
            batch = slice(start, start + batch_size)
            x_adv = _attack(fn, model, x[batch], y[batch], float(eps), attack, alpha, steps,
                            random_start, rng, clip)
            with no_grad():
                z = _scores(fn, model, Tensor(x_adv))
            correct += int((z.data.argmax(axis=1) == labels[batch]).sum())
        accuracies.append(correct / len(x) if len(x) else math.nan)
    return np.array(accuracies)


def adversarial_batch(model: Any, x: Any, y: Any, eps: float, attack: str = "fgsm",
                      fraction: float = 0.5, rng: np.random.Generator | int | None = None,
                      alpha: float | None = None, steps: int = 10,
                      clip: Clip = (0.0, 1.0)) -> np.ndarray:
    """A training batch for adversarial training: x with round(fraction·N) samples, chosen
    at random, replaced by their adversarial examples against the current model (labels
    unchanged, so y still fits). With fraction=0.5 the batch's mean loss is, in
    expectation, Goodfellow et al.'s ½·L(x) + ½·L(x_adv).

        for x_batch, y_batch in batches:
            x_batch = adversarial_batch(model, x_batch, y_batch, eps=0.1)
            ... the usual forward, loss, backward, optimizer step on (x_batch, y_batch)
    """
    fn = "adversarial_batch"
    if not 0 <= fraction <= 1:
        raise ValueError(f"{fn}: fraction must be in [0, 1], got {fraction!r}")
    x = _check_attack(fn, model, x, eps, clip)
    rng = _generator(rng)
    chosen = np.sort(rng.choice(len(x), size=round(fraction * len(x)), replace=False))
    mixed = x.copy()
    if len(chosen):
        mixed[chosen] = _attack(fn, model, x[chosen], np.asarray(y)[chosen], eps, attack, alpha,
                                steps, True, rng, clip)
    return mixed
