"""Dropout as it reads (article section 4's Dropout(0.5)); the fast kernel:
tinydl/ops/dropout.py.

The mask is drawn exactly as the fast kernel draws it, one `rng.random(x.shape)` call,
so that the same generator (or seed) drops the same units on both kernels and a training
run can be compared between them.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd import Function, Tensor
from .. import dropout as fast  # argument checks, shared with the fast kernel


class DropoutRef(Function):
    """Inverted dropout:  y = x · m / (1 - rate),  m_i = 1 if u_i ≥ rate else 0,

    u_i uniform in [0, 1), so m_i ~ Bernoulli(1 - rate): a unit is dropped with probability
    `rate` and a kept one is scaled by 1/(1 - rate), so that E[y] = x and inference needs
    no rescaling.  ∂y/∂x = m / (1 - rate), with the same mask m.
    """
    op = "dropout"

    def forward(self, x, rate=0.5, rng=None):
        u = rng.random(x.shape)                    # the fast kernel's draw, unchanged
        self.m = (u >= rate).astype(x.dtype)
        self.keep = x.dtype.type(1 - rate)
        return x * self.m / self.keep

    def backward(self, grad):
        return grad * self.m / self.keep


def dropout(x: Any, rate: float, training: bool = True,
            rng: np.random.Generator | int | None = None) -> Tensor:
    """x · m / (1 - rate) with m ~ Bernoulli(1 - rate) in training, x otherwise; the
    arguments of tinydl.ops.dropout.dropout (the same rng draws the same mask)."""
    x, rng = fast.dropout_inputs(x, rate, training, rng)
    return x if rng is None else DropoutRef.apply(x, rate=rate, rng=rng)
