"""`keras.activations`: the activation functions by name (article section 3.1.4).

The functions and their derivatives are ops, in tinydl/ops/activations.py; this module is
the namespace a Keras program uses (`tinydl.activations.relu`, `get('relu')`).
"""
from __future__ import annotations

from typing import Any

from .ops.activations import elu, leaky_relu, linear, log_softmax, relu, sigmoid, softmax, tanh

#: Activation functions by the names Keras uses for them (`activation='relu'`).
ACTIVATIONS = {
    "linear": linear, None: linear, "sigmoid": sigmoid, "relu": relu, "tanh": tanh,
    "leaky_relu": leaky_relu, "softmax": softmax, "log_softmax": log_softmax, "elu": elu,
}


def get(name: Any):
    """Look an activation up by name (or pass a callable through)."""
    if callable(name):
        return name
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(k) for k in ACTIVATIONS if k is not None)
        raise ValueError(f"unknown activation {name!r}; expected one of {known}") from None


__all__ = ["linear", "sigmoid", "relu", "tanh", "leaky_relu", "softmax", "log_softmax", "elu",
           "ACTIVATIONS", "get"]
