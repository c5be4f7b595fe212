"""Optimizers: update parameters in place from their gradients (Keras' update rules).

    opt = SGD(learning_rate=0.1, momentum=0.9)
    for x, y in batches:
        opt.zero_grad(params)
        loss = mse(y, model(x))
        loss.backward()
        opt.step(params)

`step` changes each `p.data` in place (same array object, same dtype: float32 stays
float32), with whole-array NumPy operations. Per-parameter state (momentum, Adam's
moments) lives in `optimizer.state`, a dict keyed by the parameter Tensor itself
(Tensors hash by identity), created lazily at a parameter's first update.

`learning_rate` is a float or a schedule from `optimizers.schedules` (ExponentialDecay,
CosineDecay, ...): step number t (0, 1, ... = `iterations` before the step) then uses
the rate schedule(t). `opt.learning_rate` reads the current rate as a float and can be
set to a float or a schedule.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Iterable

import numpy as np

from . import schedules
from ..autograd import Tensor
from ..parallel import over_batch
from .schedules import LearningRateSchedule

LearningRate = float | LearningRateSchedule


def _learning_rate(name: str, learning_rate: Any, lr: Any, default: float) -> LearningRate:
    """Resolve the `lr` alias (the article writes Adam(lr=0.001)) against `learning_rate`."""
    if learning_rate is not None and lr is not None:
        raise TypeError(f"{name}: got both learning_rate={learning_rate} and lr={lr}; "
                        f"lr is an alias of learning_rate, pass only one")
    value = lr if lr is not None else learning_rate if learning_rate is not None else default
    return _rate_or_schedule(name, value, positive=True)


def _rate_or_schedule(name: str, value: Any, positive: bool = False) -> LearningRate:
    """A LearningRateSchedule (also from its serialized dict), or a checked float: > 0 for
    the constructors (positive=True), >= 0 when set later (a schedule or a callback may
    take the rate down to 0)."""
    if isinstance(value, LearningRateSchedule):
        return value
    if isinstance(value, dict) and "class_name" in value:
        return schedules.deserialize(value)
    if callable(value):
        raise TypeError(f"{name}: learning_rate {value!r} is a function; wrap it in a "
                        f"tinydl.optimizers.schedules.LearningRateSchedule subclass whose "
                        f"__call__(step) returns the rate")
    if positive:
        return _check(name, "learning_rate", value, lambda v: v > 0, "> 0")
    return _check(name, "learning_rate", value, lambda v: v >= 0, ">= 0")


def _check(name: str, arg: str, value: Any, ok: Callable[[float], bool], expected: str) -> float:
    """`value` as a float, after checking that it is a real number (not a string, None or
    a bool: TypeError) that is finite and satisfies `ok` (ValueError otherwise)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name}: {arg} must be a real number {expected}, got "
                        f"{type(value).__name__} {value!r}")
    if not (math.isfinite(value) and ok(value)):
        raise ValueError(f"{name}: {arg} must be {expected}, got {value!r}")
    return float(value)


class Optimizer:
    """Base class. Subclasses set their hyper-parameters and implement `_update`.

    Attributes:
        learning_rate: the step size α, as a float: with a schedule, its value at the
            current step, schedule(iterations). Settable to a float > 0 or a schedule
            (`opt.learning_rate = 0.01`, as callbacks such as ReduceLROnPlateau do).
        iterations: number of `step` calls so far.
        state: per-parameter state, {parameter Tensor: {name: array or number}}.
    """

    def __init__(self, learning_rate: LearningRate) -> None:
        self._step_rate: float | None = None
        self.learning_rate = learning_rate
        self.iterations = 0
        self.state: dict[Tensor, dict[str, Any]] = {}

    @property
    def learning_rate(self) -> float:
        """The rate of the next step (inside `step`: of this step), a float."""
        if self._step_rate is not None:
            return self._step_rate
        return self._rate_at(self.iterations)

    @learning_rate.setter
    def learning_rate(self, value: LearningRate) -> None:
        self._learning_rate = _rate_or_schedule(type(self).__name__, value)

    @property
    def learning_rate_schedule(self) -> LearningRateSchedule | None:
        """The schedule given as learning_rate, or None for a fixed rate."""
        rate = self._learning_rate
        return rate if isinstance(rate, LearningRateSchedule) else None

    def _rate_at(self, step: int) -> float:
        """The learning rate for optimizer step `step` (0-based), checked finite and >= 0."""
        rate = self._learning_rate
        if not isinstance(rate, LearningRateSchedule):
            return rate
        value = rate(step)
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer
                                                     | np.floating):
            raise TypeError(f"{type(self).__name__}: the learning-rate schedule {rate!r} returned "
                            f"{type(value).__name__} {value!r} at step {step}; its __call__ "
                            f"must return a number")
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{type(self).__name__}: the learning-rate schedule {rate!r} gave "
                             f"the rate {value!r} at step {step}; a rate must be finite and "
                             f">= 0 (check the schedule's arguments and formula)")
        return float(value)

    def _init_state(self, p: Tensor) -> dict[str, Any]:
        """The fresh state of a parameter before its first update."""
        return {}

    def _update(self, data: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        """Update `data` in place from `grad`, using and updating `state`."""
        raise NotImplementedError(f"{type(self).__name__}._update")

    def step(self, params: Iterable[Tensor]) -> None:
        """Apply one update to every parameter that has a gradient (grad None: skipped)."""
        name = type(self).__name__
        rate = self._rate_at(self.iterations)      # schedule(t), t = iterations before the step
        self.iterations += 1
        self._step_rate = rate
        try:
            for p in params:
                if p.grad is None:
                    continue
                if p.grad.shape != p.shape:
                    raise ValueError(f"{name}.step: a parameter of shape {p.shape} has a "
                                     f"gradient of shape {p.grad.shape}; expected the same shape")
                if p not in self.state:
                    self.state[p] = self._init_state(p)
                self._update(p.data, p.grad, self.state[p])
        finally:
            self._step_rate = None

    def apply(self, grads: Iterable[Any], trainable_variables: Iterable[Tensor]) -> None:
        """Keras 3's optimizer.apply(grads, variables): one step with the given gradients.

        tinydl has no GradientTape: after `loss.backward()` each weight's gradient is in
        `w.grad`, so a custom train_step writes
            grads = [w.grad for w in self.trainable_weights]
            self.optimizer.apply(grads, self.trainable_weights)
        Each grads[i] (an array or Tensor of variables[i]'s shape, or None to skip it) is
        stored as variables[i].grad, then `step(variables)` updates them."""
        grads, variables = list(grads), list(trainable_variables)
        name = type(self).__name__
        if len(grads) != len(variables):
            raise ValueError(f"{name}.apply: got {len(grads)} gradients for {len(variables)} "
                             f"variables; give one gradient (or None) per variable, in order")
        for i, (g, v) in enumerate(zip(grads, variables)):
            if not isinstance(v, Tensor):
                raise TypeError(f"{name}.apply: variable {i} is a {type(v).__name__}; expected "
                                f"a weight Tensor (from model.trainable_weights)")
            if g is not None:
                g = np.asarray(g.data if isinstance(g, Tensor) else g)
                if g.shape != v.shape:
                    raise ValueError(f"{name}.apply: gradient {i} has shape {g.shape} but its "
                                     f"variable has shape {v.shape}")
            v.grad = g
        self.step(variables)

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Tensor]]) -> None:
        """Keras' optimizer.apply_gradients(zip(grads, variables)): the same as apply."""
        pairs = list(grads_and_vars)
        if not all(isinstance(p, tuple | list) and len(p) == 2 for p in pairs):
            raise TypeError(f"{type(self).__name__}.apply_gradients: expected (gradient, "
                            f"variable) pairs, e.g. zip(grads, model.trainable_weights)")
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def zero_grad(self, params: Iterable[Tensor]) -> None:
        """Forget the gradients (set `p.grad = None`): backward() accumulates into them."""
        for p in params:
            p.grad = None

    def get_config(self) -> dict[str, Any]:
        """The hyper-parameters: `type(opt)(**opt.get_config())` makes an equal optimizer.
        A schedule is stored as its `schedules.serialize` dict (JSON-able), which the
        optimizers accept back as learning_rate."""
        rate = self._learning_rate
        if isinstance(rate, LearningRateSchedule):
            return {"learning_rate": schedules.serialize(rate)}
        return {"learning_rate": rate}

    @classmethod
    def from_config(cls, config: dict[str, Any],
                    custom_objects: dict[str, type] | None = None) -> Optimizer:
        """The optimizer `get_config` described; a schedule class of your own goes in
        custom_objects={'MySchedule': MySchedule}."""
        config = dict(config)
        rate = config.get("learning_rate")
        if isinstance(rate, dict):
            config["learning_rate"] = schedules.deserialize(rate, custom_objects)
        return cls(**config)

    def state_dict(self, params: Iterable[Tensor]) -> dict[str, Any]:
        """A snapshot of the optimizer's state as a flat dict of NumPy arrays and numbers.

        `params` must be the same list, in the same order, that is passed to `step`: the
        state of ``params[i]`` is stored under keys ``"{i}.{name}"`` (e.g. "0.m"), plus
        "iterations". The dict can go straight into ``np.savez(file, **state)``.
        A fixed learning rate is included as "learning_rate" (a callback such as
        ReduceLROnPlateau may have changed it; Keras saves it with the optimizer's
        variables too); a schedule is not (it is a function of "iterations": save
        `get_config()` for it and the other hyper-parameters).
        """
        out: dict[str, Any] = {"iterations": self.iterations}
        if not isinstance(self._learning_rate, LearningRateSchedule):
            out["learning_rate"] = self._learning_rate
        for i, p in enumerate(params):
            for key, value in self.state.get(p, {}).items():
                out[f"{i}.{key}"] = value.copy() if isinstance(value, np.ndarray) else value
        return out

    def load_state_dict(self, state: dict[str, Any], params: Iterable[Tensor]) -> None:
        """Restore a `state_dict(params)` snapshot (also as loaded back by np.load).

        `params` must be the list, in the same order, given to `state_dict`: the next step
        is then bit-for-bit the one the saved optimizer would have taken.
        """
        name = type(self).__name__
        params = list(params)
        new: dict[Tensor, dict[str, Any]] = {}
        for key, value in state.items():
            if key in ("iterations", "learning_rate"):
                continue
            index, _, field = key.partition(".")
            if not (index.isdigit() and int(index) < len(params) and field):
                raise ValueError(f"{name}.load_state_dict: unexpected key {key!r} for "
                                 f"{len(params)} parameters")
            p = params[int(index)]
            value = np.array(value)  # a copy: the snapshot stays independent
            if value.ndim == 0:
                value = value.item()  # numbers such as Adam's step count t
            elif value.shape != p.shape:
                raise ValueError(f"{name}.load_state_dict: {key!r} has shape {value.shape} but "
                                 f"parameter {index} has shape {p.shape}")
            new.setdefault(p, {})[field] = value
        rate = self._learning_rate
        if "learning_rate" in state and not isinstance(rate, LearningRateSchedule):
            rate = _rate_or_schedule(name, float(np.asarray(state["learning_rate"])))
        self.iterations = int(state["iterations"])
        self.state = new
        self._learning_rate = rate


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum, as in Keras.

    Plain (momentum = 0), the article's rule (section 3.1.4):  θ ← θ - α·g
    Momentum μ:   v ← μ·v - α·g;   θ ← θ + v
    Nesterov:     v ← μ·v - α·g;   θ ← θ + μ·v - α·g
    The velocity v starts at 0 and has the parameter's shape and dtype.

    Args:
        learning_rate: α > 0, default 0.01. `lr` is accepted as an alias.
        momentum: μ in [0, 1).
        nesterov: use Nesterov momentum.
    """

    def __init__(self, learning_rate: float | None = None, momentum: float = 0.0,
                 nesterov: bool = False, lr: float | None = None) -> None:
        super().__init__(_learning_rate("SGD", learning_rate, lr, 0.01))
        self.momentum = _check("SGD", "momentum", momentum, lambda v: 0 <= v < 1, "in [0, 1)")
        self.nesterov = bool(nesterov)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}

    def _init_state(self, p: Tensor) -> dict[str, Any]:
        return {"velocity": np.zeros_like(p.data)} if self.momentum else {}

    def _update(self, data: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        lr, mu = self.learning_rate, self.momentum
        if not mu:
            data -= lr * grad
            return
        v = state["velocity"]
        np.multiply(v, mu, out=v)
        v -= lr * grad
        if self.nesterov:
            data += mu * v - lr * grad
        else:
            data += v


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015, Algorithm 1), for each parameter θ with gradient g:

        t ← t + 1
        m ← β1·m + (1 - β1)·g              (first moment, m starts at 0)
        v ← β2·v + (1 - β2)·g²             (second moment, v starts at 0)
        m̂ = m / (1 - β1^t);   v̂ = v / (1 - β2^t)      (bias correction)
        θ ← θ - α·m̂ / (√v̂ + ε)

    Because of the bias correction the first step is m̂/√v̂ = g/|g|, i.e. θ moves by
    ≈ α·sign(g) whatever the scale of g. The step count t is kept per parameter (it
    equals `iterations` when every parameter gets a gradient at every step).

    Keras puts ε slightly differently (the paper's "ε̂" form: α_t = α√(1-β2^t)/(1-β1^t),
    θ ← θ - α_t·m/(√v + ε)), which is the same up to a negligible rescaling of ε.

    Args:
        learning_rate: α > 0, default 0.001. `lr` is accepted as an alias.
        beta_1, beta_2: the moments' decay rates, in [0, 1).
        epsilon: ε > 0, keeps the division finite (Keras' default 1e-7).
    """

    def __init__(self, learning_rate: float | None = None, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, lr: float | None = None) -> None:
        name = type(self).__name__      # "AdamW" and "Nadam" too, in error messages
        super().__init__(_learning_rate(name, learning_rate, lr, 0.001))
        self.beta_1 = _check(name, "beta_1", beta_1, lambda v: 0 <= v < 1, "in [0, 1)")
        self.beta_2 = _check(name, "beta_2", beta_2, lambda v: 0 <= v < 1, "in [0, 1)")
        self.epsilon = _check(name, "epsilon", epsilon, lambda v: v > 0, "> 0")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}

    def _init_state(self, p: Tensor) -> dict[str, Any]:
        return {"t": 0, "m": np.zeros_like(p.data), "v": np.zeros_like(p.data)}

    def _update(self, data: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        b1, b2 = self.beta_1, self.beta_2
        state["t"] = t = state["t"] + 1
        # θ -= α·m̂/(√v̂ + ε) is computed as θ -= α_t·m/(√v + ε_t), with α_t = α·√(1-β2^t)/(1-β1^t)
        # and ε_t = ε·√(1-β2^t): the same number (multiply through by √(1-β2^t)), but
        # without arrays for m̂ and v̂. Every pass writes into one scratch slice, in place.
        c2 = math.sqrt(1 - b2 ** t)
        alpha_t, eps_t = self.learning_rate * c2 / (1 - b1 ** t), self.epsilon * c2
        flat = [a.reshape(-1) for a in (data, grad, state["m"], state["v"])]
        if not np.shares_memory(flat[0], data):
            raise ValueError("Adam: parameters must be contiguous arrays")

        def update(s: slice) -> None:
            d, g, m, v = (a[s] for a in flat)
            tmp = g - m
            tmp *= 1 - b1
            m += tmp                          # m ← β1·m + (1-β1)·g
            np.multiply(g, g, out=tmp)
            tmp -= v
            tmp *= 1 - b2
            v += tmp                          # v ← β2·v + (1-β2)·g²
            np.sqrt(v, out=tmp)
            tmp += eps_t
            np.divide(m, tmp, out=tmp)
            tmp *= alpha_t
            d -= tmp
        over_batch(update, data.size, 4 * data.size)


class RMSprop(Optimizer):
    """RMSprop (Hinton 2012, lecture 6e), with Keras 3's update rule exactly
    (keras/src/optimizers/rmsprop.py, `RMSprop.update_step`). For each parameter θ with
    gradient g, with v, mg and m starting at 0:

        v ← ρ·v + (1 - ρ)·g²                       (moving mean of g², "velocity")
        centered=False:  d = v + ε
        centered=True:   mg ← ρ·mg + (1 - ρ)·g;   d = v - mg² + ε   (a variance estimate)
        Δ = α·g / √d
        momentum μ = 0:  θ ← θ - Δ
        momentum μ > 0:  m ← μ·m + Δ;   θ ← θ - m

    ε is added INSIDE the square root (unlike Adam's √v̂ + ε), and there is no bias
    correction: the first step is α·g/√((1 - ρ)·g² + ε) ≈ α·sign(g)/√(1 - ρ).

    Args:
        learning_rate: α > 0, default 0.001. `lr` is accepted as an alias.
        rho: ρ in [0, 1), the decay of the moving averages.
        momentum: μ in [0, 1).
        epsilon: ε > 0 (Keras' default 1e-7).
        centered: divide by an estimate of the gradient's variance instead of its
            second moment.
    """

    def __init__(self, learning_rate: float | None = None, rho: float = 0.9,
                 momentum: float = 0.0, epsilon: float = 1e-7, centered: bool = False,
                 lr: float | None = None) -> None:
        super().__init__(_learning_rate("RMSprop", learning_rate, lr, 0.001))
        self.rho = _check("RMSprop", "rho", rho, lambda v: 0 <= v < 1, "in [0, 1)")
        self.momentum = _check("RMSprop", "momentum", momentum, lambda v: 0 <= v < 1,
                               "in [0, 1)")
        self.epsilon = _check("RMSprop", "epsilon", epsilon, lambda v: v > 0, "> 0")
        self.centered = bool(centered)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}

    def _init_state(self, p: Tensor) -> dict[str, Any]:
        state = {"velocity": np.zeros_like(p.data)}
        if self.centered:
            state["average_gradient"] = np.zeros_like(p.data)
        if self.momentum:
            state["momentum"] = np.zeros_like(p.data)
        return state

    def _update(self, data: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        rho = self.rho
        v = state["velocity"]
        np.multiply(v, rho, out=v)
        v += (1 - rho) * np.square(grad)
        if self.centered:
            mg = state["average_gradient"]
            np.multiply(mg, rho, out=mg)
            mg += (1 - rho) * grad
            denominator = v - np.square(mg) + self.epsilon
        else:
            denominator = v + self.epsilon
        increment = self.learning_rate * grad / np.sqrt(denominator)
        if self.momentum:
            m = state["momentum"]
            np.multiply(m, self.momentum, out=m)
            m += increment
            data -= m
        else:
            data -= increment


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011), with Keras 3's update rule
    (keras/src/optimizers/adagrad.py). For each parameter θ with gradient g:

        a ← a + g²                  (a starts at initial_accumulator_value)
        θ ← θ - α·g / √(a + ε)

    Every step divides by the root of ALL past squared gradients, so the effective step
    size only shrinks: fast progress on rarely-updated weights, slow on frequent ones.
    ε sits inside the root (PyTorch's Adagrad puts it outside: √a + ε).

    Args:
        learning_rate: α > 0, default 0.001. `lr` is accepted as an alias.
        initial_accumulator_value: a's starting value, ≥ 0 (default 0.1).
        epsilon: ε > 0 (default 1e-7).
    """

    def __init__(self, learning_rate: float | None = None, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, lr: float | None = None) -> None:
        super().__init__(_learning_rate("Adagrad", learning_rate, lr, 0.001))
        self.initial_accumulator_value = _check("Adagrad", "initial_accumulator_value",
                                                initial_accumulator_value, lambda v: v >= 0, ">= 0")
        self.epsilon = _check("Adagrad", "epsilon", epsilon, lambda v: v > 0, "> 0")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}

    def _init_state(self, p: Tensor) -> dict[str, Any]:
        return {"accumulator": np.full_like(p.data, self.initial_accumulator_value)}

    def _update(self, data: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        a = state["accumulator"]
        a += np.square(grad)
        data -= self.learning_rate * grad / np.sqrt(a + self.epsilon)


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012), with Keras 3's update rule (keras/src/optimizers/adadelta.py).
    For each parameter θ with gradient g, with E[g²] and E[Δ²] starting at 0:

        E[g²] ← ρ·E[g²] + (1 - ρ)·g²
        Δ = -√(E[Δ²] + ε) / √(E[g²] + ε) · g      (the ratio of two running RMS values)
        E[Δ²] ← ρ·E[Δ²] + (1 - ρ)·Δ²
        θ ← θ + α·Δ

    The step has the units of θ (RMS of past steps over RMS of gradients), so the paper
    needs no learning rate: α = 1.0 is the paper's form; Keras' default α is 0.001.

    Args:
        learning_rate: α > 0, default 0.001. `lr` is accepted as an alias.
        rho: ρ in [0, 1), the decay of both running averages (default 0.95).
        epsilon: ε > 0 (default 1e-7). It also sets the size of the first steps, where
            E[Δ²] = 0: Δ_1 = -√ε·g/√((1 - ρ)g² + ε) ≈ -√(ε/(1 - ρ))·sign(g).
    """

    def __init__(self, learning_rate: float | None = None, rho: float = 0.95,
                 epsilon: float = 1e-7, lr: float | None = None) -> None:
        super().__init__(_learning_rate("Adadelta", learning_rate, lr, 0.001))
        self.rho = _check("Adadelta", "rho", rho, lambda v: 0 <= v < 1, "in [0, 1)")
        self.epsilon = _check("Adadelta", "epsilon", epsilon, lambda v: v > 0, "> 0")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}

    def _init_state(self, p: Tensor) -> dict[str, Any]:
        return {"accumulated_grad": np.zeros_like(p.data),
                "accumulated_delta_var": np.zeros_like(p.data)}

    def _update(self, data: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        rho, eps = self.rho, self.epsilon
        eg2, ed2 = state["accumulated_grad"], state["accumulated_delta_var"]
        np.multiply(eg2, rho, out=eg2)
        eg2 += (1 - rho) * np.square(grad)
        delta = -np.sqrt(ed2 + eps) / np.sqrt(eg2 + eps) * grad
        np.multiply(ed2, rho, out=ed2)
        ed2 += (1 - rho) * np.square(delta)
        data += self.learning_rate * delta


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019). Each step first
    shrinks every parameter, then takes the Adam step on the gradient alone:

        θ ← θ - α·λ·θ                                   (decay, not through m and v)
        then Adam's update (see `Adam`) with the same g

    This is the order Keras 3 applies it (keras/src/optimizers/base_optimizer.py,
    `_apply_weight_decay`, before `update_step`) and PyTorch's AdamW. Unlike an L2 term
    λ/2·||θ||² in the loss, the decay is not rescaled by Adam's 1/√v̂: every weight
    shrinks by the same factor (1 - αλ) per step.

    Args:
        learning_rate: α > 0, default 0.001. `lr` is accepted as an alias.
        weight_decay: λ ≥ 0 (default 0.004, Keras').
        beta_1, beta_2, epsilon: as for `Adam`.
    """

    def __init__(self, learning_rate: float | None = None, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 lr: float | None = None) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, lr)
        self.weight_decay = _check("AdamW", "weight_decay", weight_decay, lambda v: v >= 0,
                                   ">= 0")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "weight_decay": self.weight_decay}

    def _update(self, data: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        data -= (self.learning_rate * self.weight_decay) * data
        super()._update(data, grad, state)


class Nadam(Optimizer):
    """Nadam (Dozat 2016): Adam with Nesterov momentum, in Keras 3's formulation
    (keras/src/optimizers/nadam.py) with the momentum schedule
    μ_t = β1·(1 - 0.5·0.96^t). For each parameter θ with gradient g, step t = 1, 2, ...:

        Π_t = μ_1·μ_2···μ_t                       (the "momentum cache", Π_0 = 1)
        m ← β1·m + (1 - β1)·g;   v ← β2·v + (1 - β2)·g²
        m̂ = μ_{t+1}·m / (1 - Π_t·μ_{t+1}) + (1 - μ_t)·g / (1 - Π_t)
        v̂ = v / (1 - β2^t)
        θ ← θ - α·m̂ / (√v̂ + ε)

    m̂ looks one step ahead (Nesterov): it mixes the next step's momentum with the
    current gradient. t and Π_t are kept per parameter (Keras keeps one pair for all,
    the same when every parameter gets a gradient at every step). This is PyTorch's
    NAdam with momentum_decay = 1 (PyTorch's default 0.004 uses 0.96^(0.004·t)).

    Args:
        learning_rate: α > 0, default 0.001. `lr` is accepted as an alias.
        beta_1, beta_2: in [0, 1) (defaults 0.9, 0.999).
        epsilon: ε > 0 (default 1e-7).
    """

    def __init__(self, learning_rate: float | None = None, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, lr: float | None = None) -> None:
        super().__init__(_learning_rate("Nadam", learning_rate, lr, 0.001))
        self.beta_1 = _check("Nadam", "beta_1", beta_1, lambda v: 0 <= v < 1, "in [0, 1)")
        self.beta_2 = _check("Nadam", "beta_2", beta_2, lambda v: 0 <= v < 1, "in [0, 1)")
        self.epsilon = _check("Nadam", "epsilon", epsilon, lambda v: v > 0, "> 0")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}

    def _init_state(self, p: Tensor) -> dict[str, Any]:
        return {"t": 0, "u_product": 1.0, "m": np.zeros_like(p.data), "v": np.zeros_like(p.data)}

    def _update(self, data: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        b1, b2 = self.beta_1, self.beta_2
        state["t"] = t = state["t"] + 1
        u_t = b1 * (1 - 0.5 * 0.96 ** t)
        u_next = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        state["u_product"] = u_product = state["u_product"] * u_t          # Π_t
        m, v = state["m"], state["v"]
        m += (1 - b1) * (grad - m)
        v += (1 - b2) * (np.square(grad) - v)
        m_hat = (u_next / (1 - u_product * u_next)) * m + ((1 - u_t) / (1 - u_product)) * grad
        v_hat = v / (1 - b2 ** t)
        data -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)


#: Optimizer classes by their Keras names (`model.compile(optimizer='adam')`).
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adagrad": Adagrad, "adadelta": Adadelta,
    "adamw": AdamW, "nadam": Nadam,
}


def get(name: Any) -> Optimizer:
    """A fresh optimizer with default settings for a Keras name; an instance is passed through."""
    if isinstance(name, Optimizer):
        return name
    if not (isinstance(name, str) and name in OPTIMIZERS):
        known = ", ".join(repr(k) for k in OPTIMIZERS)
        raise ValueError(f"unknown optimizer {name!r}; expected one of {known} or an Optimizer")
    return OPTIMIZERS[name]()
