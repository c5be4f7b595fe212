"""Learning-rate schedules (Keras 3's `keras.optimizers.schedules`).

    lr = tinydl.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96)
    opt = tinydl.optimizers.SGD(learning_rate=lr)

A schedule is a function of the optimizer step t = 0, 1, 2, ... (the optimizer's
`iterations` before the step: the first update uses schedule(0)), evaluated by the
optimizer at every `step`. Formulas (as in keras/src/optimizers/schedules):

    ExponentialDecay:        lr(t) = lr0 · rate^(t / decay_steps)    (staircase: ⌊…⌋)
    InverseTimeDecay:        lr(t) = lr0 / (1 + rate · t / decay_steps)     (staircase: ⌊…⌋)
    PiecewiseConstantDecay:  values[0] for t ≤ b[0], values[i] for b[i-1] < t ≤ b[i],
                             values[-1] for t > b[-1]
    CosineDecay:             warmup (t < W, only with warmup_target):
                                 lr(t) = lr0 + (target - lr0) · t / W
                             decay, s = min(t - W, decay_steps) (W = 0 without warmup):
                                 lr(t) = peak · ((1 - α) · ½(1 + cos(π s / decay_steps)) + α)
                             peak = warmup_target, or lr0 without warmup

Subclass `LearningRateSchedule` (implement `__call__(step)` and `get_config`) for your
own; `serialize` / `deserialize` turn a schedule into a JSON-able dict and back.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np


def _number(name: str, arg: str, value: Any, ok: Any = None, expected: str = "") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name}: {arg} must be a real number{' ' + expected if expected else ''}"
                        f", got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or (ok is not None and not ok(value)):
        raise ValueError(f"{name}: {arg} must be {expected or 'finite'}, got {value!r}")
    return float(value)


def _step(name: str, step: Any) -> float:
    if isinstance(step, bool) or not isinstance(step, int | float | np.integer | np.floating) \
            or not math.isfinite(step) or step < 0:
        raise ValueError(f"{name}: the step must be a number >= 0 (the optimizer's "
                         f"iterations), got {step!r}")
    return float(step)


class LearningRateSchedule:
    """Base class: `schedule(step)` returns the learning rate (a float) for optimizer step
    `step` = 0, 1, 2, ... Subclasses implement `__call__` and `get_config`."""

    def __call__(self, step: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(self, step)")

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement get_config() to be "
                                  f"saved")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class ExponentialDecay(LearningRateSchedule):
    """lr(t) = initial_learning_rate · decay_rate^(t / decay_steps); with staircase=True
    the exponent is ⌊t / decay_steps⌋ (the rate drops every decay_steps steps).

    Args:
        initial_learning_rate: lr0 > 0.
        decay_steps: > 0.
        decay_rate: > 0 (< 1 decays).
        staircase: integer exponent.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float, decay_rate: float,
                 staircase: bool = False, name: str = "ExponentialDecay") -> None:
        n = "ExponentialDecay"
        self.initial_learning_rate = _number(n, "initial_learning_rate", initial_learning_rate,
                                             lambda v: v > 0, "> 0")
        self.decay_steps = _number(n, "decay_steps", decay_steps, lambda v: v > 0, "> 0")
        self.decay_rate = _number(n, "decay_rate", decay_rate, lambda v: v > 0, "> 0")
        self.staircase, self.name = bool(staircase), name

    def __call__(self, step: int) -> float:
        p = _step("ExponentialDecay", step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """lr(t) = initial_learning_rate / (1 + decay_rate · t / decay_steps); with
    staircase=True, t / decay_steps is floored.

    Args:
        initial_learning_rate: lr0 > 0.
        decay_steps: > 0.
        decay_rate: >= 0.
        staircase: floor t / decay_steps.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float, decay_rate: float,
                 staircase: bool = False, name: str = "InverseTimeDecay") -> None:
        n = "InverseTimeDecay"
        self.initial_learning_rate = _number(n, "initial_learning_rate", initial_learning_rate,
                                             lambda v: v > 0, "> 0")
        self.decay_steps = _number(n, "decay_steps", decay_steps, lambda v: v > 0, "> 0")
        self.decay_rate = _number(n, "decay_rate", decay_rate, lambda v: v >= 0, ">= 0")
        self.staircase, self.name = bool(staircase), name

    def __call__(self, step: int) -> float:
        p = _step("InverseTimeDecay", step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate / (1 + self.decay_rate * p)

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """A step function: values[0] while t <= boundaries[0], values[i] while
    boundaries[i-1] < t <= boundaries[i], values[-1] once t > boundaries[-1].

    Args:
        boundaries: increasing step numbers, n of them.
        values: n + 1 learning rates, each > 0.
    """

    def __init__(self, boundaries: list[float], values: list[float],
                 name: str = "PiecewiseConstant") -> None:
        n = "PiecewiseConstantDecay"
        boundaries, values = list(boundaries), list(values)
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"{n}: values must have exactly one more entry than boundaries "
                             f"(one rate before, between and after them); got "
                             f"{len(boundaries)} boundaries and {len(values)} values")
        self.boundaries = [_number(n, f"boundaries[{i}]", b) for i, b in enumerate(boundaries)]
        if any(a >= b for a, b in zip(self.boundaries, self.boundaries[1:])):
            raise ValueError(f"{n}: boundaries must be strictly increasing, got {boundaries}")
        self.values = [_number(n, f"values[{i}]", v, lambda v: v > 0, "> 0")
                       for i, v in enumerate(values)]
        self.name = name

    def __call__(self, step: int) -> float:
        t = _step("PiecewiseConstantDecay", step)
        for boundary, value in zip(self.boundaries, self.values):
            if t <= boundary:
                return value
        return self.values[-1]

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": list(self.boundaries), "values": list(self.values),
                "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay (Loshchilov & Hutter 2017, SGDR) with an optional linear warmup.

    Without warmup_target: lr(t) = lr0 · ((1 - α)·½(1 + cos(π·min(t, D)/D)) + α), going
    from lr0 at t = 0 to α·lr0 at t = D = decay_steps and staying there.
    With warmup_target = T and warmup_steps = W: lr(t) = lr0 + (T - lr0)·t/W for t < W,
    then the cosine decay from T to α·T over the next D steps.

    Args:
        initial_learning_rate: lr0 >= 0 (0 is usual with a warmup).
        decay_steps: D > 0.
        alpha: the final rate as a fraction of the peak, in [0, 1].
        warmup_target: T > 0 or None (no warmup).
        warmup_steps: W >= 0.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: float | None = None,
                 warmup_steps: float = 0) -> None:
        n = "CosineDecay"
        self.initial_learning_rate = _number(n, "initial_learning_rate", initial_learning_rate,
                                             lambda v: v >= 0, ">= 0")
        self.decay_steps = _number(n, "decay_steps", decay_steps, lambda v: v > 0, "> 0")
        self.alpha = _number(n, "alpha", alpha, lambda v: 0 <= v <= 1, "in [0, 1]")
        self.warmup_target = (None if warmup_target is None else
                              _number(n, "warmup_target", warmup_target, lambda v: v > 0, "> 0"))
        self.warmup_steps = _number(n, "warmup_steps", warmup_steps, lambda v: v >= 0, ">= 0")
        self.name = name

    def _decay(self, step: float, peak: float) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return peak * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step: int) -> float:
        t = _step("CosineDecay", step)
        if self.warmup_target is None:
            return self._decay(min(t, self.decay_steps), self.initial_learning_rate)
        t = min(t, self.decay_steps + self.warmup_steps)
        if t < self.warmup_steps:
            fraction = t / self.warmup_steps
            return self.initial_learning_rate + (self.warmup_target
                                                 - self.initial_learning_rate) * fraction
        return self._decay(t - self.warmup_steps, self.warmup_target)

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


#: Schedule classes by name, for `deserialize` (add your own with `custom_objects`).
SCHEDULES: dict[str, type[LearningRateSchedule]] = {
    cls.__name__: cls for cls in (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay,
                                  CosineDecay)}


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """{'class_name': ..., 'config': schedule.get_config()}: JSON-able (Keras' layout)."""
    if not isinstance(schedule, LearningRateSchedule):
        raise TypeError(f"serialize: expected a LearningRateSchedule, got "
                        f"{type(schedule).__name__}")
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config: dict[str, Any],
                custom_objects: dict[str, type] | None = None) -> LearningRateSchedule:
    """The schedule that `serialize` described. Your own schedule classes go in
    custom_objects={'MySchedule': MySchedule}."""
    known = {**SCHEDULES, **(custom_objects or {})}
    if not (isinstance(config, dict) and "class_name" in config):
        raise ValueError(f"deserialize: expected {{'class_name': ..., 'config': {{...}}}}, got "
                         f"{config!r}")
    cls = known.get(config["class_name"])
    if cls is None:
        raise ValueError(f"unknown learning-rate schedule {config['class_name']!r}; known: "
                         f"{', '.join(known)}; pass your class in custom_objects="
                         f"{{{config['class_name']!r}: {config['class_name']}}}")
    return cls.from_config(dict(config.get("config", {})))


def get(identifier: Any) -> LearningRateSchedule:
    """A schedule passed through, or one from its `serialize` dict."""
    if isinstance(identifier, LearningRateSchedule):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"could not interpret learning-rate schedule {identifier!r}")
