"""Weight regularizers (Keras' `keras.regularizers`): a penalty added to the loss.

    Dense(64, kernel_regularizer=l2(0.01))      # adds 0.01·Σ W² to the training loss

    L1(l1):          penalty(W) = l1·Σ|W|            gradient  l1·sign(W)
    L2(l2):          penalty(W) = l2·Σ W²            gradient  2·l2·W   (no 1/2, as in Keras)
    L1L2(l1, l2):    penalty(W) = l1·Σ|W| + l2·Σ W²

A regularizer is called on a weight Tensor and returns a 0-d Tensor built from tinydl
ops, so autograd gives its gradient. The model collects the penalties of its layers in
`model.losses`; `fit` and `evaluate` add their sum to the loss (Keras reports the loss
with the penalty included). |W| has a kink at 0: its derivative there is taken as 0.
"""
from __future__ import annotations

import math
from typing import Any

from .autograd import Tensor


def _factor(name: str, arg: str, value: Any) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{name}: {arg} must be a finite number >= 0, got {value!r}")
    return float(value)


class Regularizer:
    """Base class: `regularizer(weight)` returns the penalty, a 0-d Tensor."""

    def __call__(self, weight: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.__call__")

    def get_config(self) -> dict[str, float]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, float]) -> Regularizer:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1(Regularizer):
    """penalty(W) = l1·Σ|W| (lasso: pushes weights to exactly 0)."""

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _factor("L1", "l1", l1)

    def __call__(self, weight: Tensor) -> Tensor:
        return self.l1 * weight.abs().sum()

    def get_config(self) -> dict[str, float]:
        return {"l1": self.l1}


class L2(Regularizer):
    """penalty(W) = l2·Σ W² (weight decay: gradient 2·l2·W pulls weights toward 0)."""

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _factor("L2", "l2", l2)

    def __call__(self, weight: Tensor) -> Tensor:
        return self.l2 * (weight * weight).sum()

    def get_config(self) -> dict[str, float]:
        return {"l2": self.l2}


class L1L2(Regularizer):
    """penalty(W) = l1·Σ|W| + l2·Σ W². Keras' class defaults both factors to 0.0; the
    function `l1_l2` defaults both to 0.01."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _factor("L1L2", "l1", l1)
        self.l2 = _factor("L1L2", "l2", l2)

    def __call__(self, weight: Tensor) -> Tensor:
        return self.l1 * weight.abs().sum() + self.l2 * (weight * weight).sum()

    def get_config(self) -> dict[str, float]:
        return {"l1": self.l1, "l2": self.l2}


def l1(l1: float = 0.01) -> L1:
    """An L1 regularizer: l1·Σ|W|."""
    return L1(l1)


def l2(l2: float = 0.01) -> L2:
    """An L2 regularizer: l2·Σ W²."""
    return L2(l2)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """An L1L2 regularizer: l1·Σ|W| + l2·Σ W² (both factors default to 0.01)."""
    return L1L2(l1, l2)


#: Regularizers by their Keras names, created with the default factor 0.01.
REGULARIZERS = {"l1": l1, "l2": l2, "l1_l2": l1_l2}


def get(identifier: Any) -> Regularizer | None:
    """None → None; 'l1', 'l2', 'l1_l2' → a fresh regularizer with factor 0.01; a
    Regularizer (or any callable taking a weight Tensor) is passed through."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in REGULARIZERS:
            known = ", ".join(repr(k) for k in REGULARIZERS)
            raise ValueError(f"unknown regularizer {identifier!r}; expected one of {known}, a "
                             f"Regularizer such as l2(0.01), or None")
        return REGULARIZERS[identifier]()
    if callable(identifier):
        return identifier
    raise TypeError(f"regularizer must be a name, a Regularizer or None, got "
                    f"{type(identifier).__name__}")
