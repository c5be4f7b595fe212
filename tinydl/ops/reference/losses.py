"""The losses that tinydl/losses.py computes with fused Functions, written as their formulas
and composed of reference ops, whose backwards give the gradient (the chain rule does
the work the fused Functions do by hand; the fast kernels: tinydl/losses.py's
BinaryCrossentropyFromLogitsOp, CategoricalCrossentropyFromLogitsOp,
SparseCategoricalCrossentropyFromLogitsOp and SoftDiceOp).

Each function takes the arguments of its fused Function's `apply`, after tinydl/losses.py
has checked and prepared them (targets cast to the logits' dtype, sample weights
broadcast, labels checked), and keeps its reduction: the same value, the same gradient.

The ops are called by name from the reference modules (not through Tensor operators,
which follow the kernel switch), so these run on the reference kernels however the
switch is set. The cross-entropies go through log_softmax, which subtracts the maximum
before any exponent: they stay finite for logits of ±1e4 and beyond.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ...autograd import Tensor
from .activations import log_softmax
from .math import add, div, mean, mul, neg, sub, sum
from .shape import getitem, reshape, stack


def binary_crossentropy_from_logits(z: Tensor, y: Tensor, weight: np.ndarray | None = None,
                                    reduce: bool = True) -> Tensor:
    """Binary cross-entropy of targets y and logits z (p = σ(z)), per element e:

        ℓ_e = -[y_e log σ(z_e) + (1 - y_e) log(1 - σ(z_e))]

    reduce=True: L = (1/n) Σ_e w_e ℓ_e over the n elements; False: the w_e ℓ_e, z's shape
    (w = 1 without weight; weight broadcasts against z).

    log σ(z) and log(1 - σ(z)) are the two entries of log_softmax over the pair of logits
    (0, z): e^z / (e^0 + e^z) = σ(z) and e^0 / (e^0 + e^z) = 1 - σ(z). So ℓ is the
    cross-entropy over two classes, and log_softmax's stability carries over. (The log
    of 1 + e^{-|z|} is taken as the log of a sum, exact to a rounding of 1 in absolute
    terms; the fast kernel's log1p also keeps the relative digits of a loss below ~1e-8.)
    """
    pair = stack([Tensor(np.zeros(z.shape, dtype=z.dtype)), z], axis=-1)
    log_p = log_softmax(pair, axis=-1)
    log_not, log_yes = getitem(log_p, (..., 0)), getitem(log_p, (..., 1))
    losses = neg(add(mul(y, log_yes), mul(sub(1, y), log_not)))
    if weight is not None:
        losses = mul(losses, weight)
    return mean(losses) if reduce else losses


def categorical_crossentropy_from_logits(z: Tensor, y: Tensor, weight: np.ndarray | None = None,
                                         reduce: bool = True) -> Tensor:
    """Categorical cross-entropy of targets y (one-hot or distributions) and logits z,
    classes on the last axis, per sample (every position before the class axis):

        ℓ = -Σ_k w · y_k · log_softmax(z)_k

    reduce=True: L = (1/N) Σ ℓ over the N samples; False: the ℓ, shape z.shape[:-1]
    (w = 1 without weight, else one per sample, shape (..., 1)).
    """
    products = mul(y, log_softmax(z, axis=-1))
    if weight is not None:
        products = mul(products, weight)
    per_sample = neg(sum(products, axis=-1))
    return mean(per_sample) if reduce else per_sample


def sparse_categorical_crossentropy_from_logits(z: Tensor, labels: np.ndarray,
                                                coef: np.ndarray, reduce: bool = True) -> Tensor:
    """Cross-entropy against integer labels: for every position i (sample or pixel),

        ℓ_i = -c_i · log_softmax(z_i)[y_i]

    z (..., K) logits, y = `labels` of shape z.shape[:-1], c = `coef` a coefficient per
    position (tinydl/losses.py puts weight / number of valid positions there, and 0 at
    ignored positions). reduce=True: L = Σ_i ℓ_i; False: the ℓ_i.
    """
    k = z.shape[-1]
    log_p = reshape(log_softmax(z, axis=-1), (-1, k))                    # (P, K)
    picked = getitem(log_p, (np.arange(labels.size), labels.reshape(-1)))  # log p_i[y_i]
    terms = reshape(neg(mul(picked, coef.reshape(-1))), labels.shape)
    return sum(terms) if reduce else terms


def soft_dice(p: Tensor, targets: np.ndarray, weights: np.ndarray | None, smooth: float,
              kept: Sequence[int]) -> Tensor:
    """Soft Dice loss of probabilities p (..., K), per class k over all positions i:

        I_k   = Σ_i w_i p_ik t_ik
        D_k   = (2 I_k + s) / (Σ_i w_i p_ik + Σ_i w_i t_ik + s)
        L     = 1 - (1/|kept|) Σ_{k in kept} D_k

    t the one-hot targets (built here from integer labels of shape p.shape[:-1], or given
    as (..., K) targets), w the per-position weights (1 when None), s = smooth.
    """
    k = p.shape[-1]
    t = targets if targets.shape == p.shape else np.eye(k, dtype=p.dtype)[targets]
    w = np.ones(p.shape[:-1], dtype=p.dtype) if weights is None else weights
    w = np.asarray(w, dtype=p.dtype)[..., None]          # one weight per position, all k
    positions = tuple(range(p.ndim - 1))
    intersection = sum(mul(mul(p, t), w), axis=positions)             # I_k
    predicted = sum(mul(p, w), axis=positions)                        # Σ_i w_i p_ik
    target_mass = (w * t).sum(axis=positions)                         # Σ_i w_i t_ik
    dice_k = div(add(mul(2, intersection), smooth), add(add(predicted, target_mass), smooth))
    return sub(1, mean(getitem(dice_k, np.asarray(kept))))
