"""Dropout (article section 4's Dropout(0.5); FAQ: a remedy for overfitting)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, Tensor, to_array
from . import _kernels
from .reference import dropout as reference_dropout


class DropoutOp(Function):
    """Inverted dropout: y = x · m / (1 - rate), m_i ~ Bernoulli(1 - rate).

    Each unit is zeroed with probability `rate` and the survivors are scaled up by
    1/(1 - rate), so that E[y] = x and nothing needs rescaling at inference time.
    dL/dx = dL/dy · m / (1 - rate), with the same mask m.
    Read first: tinydl/ops/reference/dropout.py (DropoutRef).
    """
    op = "dropout"

    def forward(self, x, rate=0.5, rng=None):
        keep = rng.random(x.shape) >= rate
        self.scale = keep.astype(x.dtype) / x.dtype.type(1 - rate)
        return x * self.scale

    def backward(self, grad):
        return grad * self.scale


def dropout(x: Any, rate: float, training: bool = True,
            rng: np.random.Generator | int | None = None) -> Tensor:
    """Zero each element with probability `rate` during training; identity otherwise.

    Args:
        x: any shape.
        rate: fraction of units to drop, 0 ≤ rate < 1.
        training: False (inference) returns x unchanged.
        rng: a NumPy Generator (or an int seed) drawing the mask; pass one to make a run
            reproducible. None draws from fresh OS entropy.
    """
    if _kernels.reference():
        return reference_dropout.dropout(x, rate, training, rng)
    x, rng = dropout_inputs(x, rate, training, rng)
    return x if rng is None else DropoutOp.apply(x, rate=rate, rng=rng)


def dropout_inputs(x: Any, rate: float, training: bool, rng: Any
                   ) -> tuple[Tensor, np.random.Generator | None]:
    """(x as a Tensor, the generator that draws the mask), checked; the generator is None
    when nothing is dropped (inference, or rate 0). Shared with the reference kernel."""
    x = x if isinstance(x, Tensor) else Tensor(to_array(x, "dropout", "x"))
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be in [0, 1), got {rate}")
    if not training or rate == 0:
        return x, None
    return x, rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
