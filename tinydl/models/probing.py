"""Probing a model from outside, what section 5's explanations and attacks share: its class
scores before the output activation, its weights, a backward pass that reaches the input only,
and the checks of a batch and of class indices.

    with inputs_only(model):           # the weights' .grad stay untouched
        z = logits(model, x)           # (N, K), before the softmax
        z[np.arange(n), t].sum().backward()   # x.grad: d score / d input

A model is anything callable as model(x, training=False) -> Tensor (a tinydl Model, a
Sequential, or a plain function of a Tensor).
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator

import numpy as np

from ..autograd import Tensor, to_array

Model = Callable[..., Tensor]


def logits(model: Model, x: Any) -> Tensor:
    """The model's class scores before the output activation, (N, K), for a batch x.

    Runs out = model(x, training=False), then returns the first of: `model.pre_activation`
    (if the model has it and it is not None); `model.layers[-1].pre_activation` (tinydl
    layers keep the value before their activation there: a softmax layer's logits);
    `out` itself (a model without an output activation already returns logits).
    """
    out = model(x, training=False)
    pre = getattr(model, "pre_activation", None)
    if pre is not None:
        return pre
    layers = getattr(model, "layers", None)
    if layers:
        pre = getattr(layers[-1], "pre_activation", None)
        if pre is not None:
            return pre
    return out


def model_weights(model: Any) -> list[Tensor]:
    """`model.weights`, or the weights of `model.layers`, or [] for a plain function."""
    weights = getattr(model, "weights", None)
    if weights is None:
        weights = [w for layer in getattr(model, "layers", None) or []
                   for w in getattr(layer, "weights", [])]
    return [w for w in weights if isinstance(w, Tensor)]


@contextlib.contextmanager
def inputs_only(model: Any) -> Iterator[None]:
    """Inside, the model's weights do not require grad: a backward pass then computes
    the gradient with respect to the input only, and leaves the weights' .grad alone.
    Their flags are restored on exit, whatever happens."""
    weights = model_weights(model)
    flags = [w.requires_grad for w in weights]
    try:
        for w in weights:
            w.requires_grad = False
        yield
    finally:
        for w, flag in zip(weights, flags):
            w.requires_grad = flag


def as_batch(fn: str, model: Any, x: Any) -> np.ndarray:
    """x as a float array with a batch axis, in the model's dtype when it has one."""
    x = to_array(x, fn, "x")
    if x.ndim < 2:
        raise ValueError(f"{fn}: x must be a batch (N, features) or (N, H, W, C); got shape "
                         f"{x.shape}. A single sample needs a batch axis: x[None]")
    dtype = getattr(model, "dtype", None)
    return x.astype(dtype, copy=False) if dtype in (np.float32, np.float64) else x


def class_indices(fn: str, target: Any, n: int, k: int | None = None) -> np.ndarray:
    """target (an int, or N ints) as an int array (N,), checked against K classes."""
    t = np.asarray(target)
    if not (np.issubdtype(t.dtype, np.integer) or (t.dtype.kind == "f" and np.all(t == np.round(t)))):
        raise TypeError(f"{fn}: target must be a class index or an array of {n} class indices; "
                        f"got dtype {t.dtype}")
    if t.ndim == 0:
        t = np.full(n, int(t))
    if t.shape != (n,):
        raise ValueError(f"{fn}: target has shape {t.shape}; expected one class index or {n} "
                         f"of them (one per sample)")
    t = t.astype(np.int64)
    if k is not None and n and (t.min() < 0 or t.max() >= k):
        raise ValueError(f"{fn}: target holds class {t.min() if t.min() < 0 else t.max()}, "
                         f"but the model has {k} classes (0..{k - 1})")
    return t
