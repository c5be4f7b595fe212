"""Numerical gradient checking: is an op's `backward` the derivative of its `forward`?

For a function f of tensors x_1..x_k with output y, draw a random upstream gradient u
(same shape as y) and compare, for EVERY element j of every input x_i,

    analytic:  ∂(Σ u ⊙ f)/∂x_i[j]   from one call to backward(u)
    numeric:   (Σ u ⊙ f(x_i[j] + ε) - Σ u ⊙ f(x_i[j] - ε)) / 2ε      (central difference)

Contracting with a random u instead of summing the output matters: with a plain sum,
an error that sends gradient to the wrong output position (a transposed index, a
flipped kernel) can cancel out and pass unnoticed.

Precision, in float64: the central difference has truncation error ≈ ε²·|f'''|/6 and
rounding error ≈ 1e-16·|f|/ε. With ε = 1e-6 both are about 1e-10 for values of order
one, far below the defaults atol = 1e-5, rtol = 1e-4, while a wrong gradient is off
by O(1). Near a kink (ReLU at 0, a tie in max) the difference quotient straddles the
kink and is meaningless: generate inputs at least a few ε away from kinks (see
`tinydl.testing.strategies`).

Which ops did my checks test? Every passing `gradcheck` credits each `Function` class
with a node on a path from a checked input to the output; `checked_functions()` returns
the tally. tests/test_op_coverage.py uses it to fail when some Function of tinydl was
never really checked.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .autograd import Function, Tensor, no_grad, topological_order

#: Function class -> number of passing gradchecks that tested it (see `checked_functions`).
_checked: Counter[type[Function]] = Counter()


def checked_functions() -> Counter[type[Function]]:
    """Which ops have passing gradchecks really tested in this process, and how often.

    Returns a new Counter mapping each `Function` class to the number of passing
    `gradcheck` calls whose graph held a node of that class on a path from a checked
    input to the output, i.e. a node whose `backward` the check compared with central
    differences. A check that fails, or that compares no element, credits nothing; an
    op reached only through constants (closed-over tensors) is not credited either.

    >>> report = gradcheck(lambda x: F.relu(x) * 3.0, np.array([0.5, -2.0]))
    >>> sorted(op.__name__ for op in checked_functions())     # in a fresh process
    ['MulOp', 'ReluOp']
    """
    return Counter(_checked)


def _functions_on_paths(xs: list[Tensor], out: Tensor) -> set[type[Function]]:
    """The classes of the nodes between the inputs `xs` and `out`, read before backward()
    releases the graph: a node counts when one of its inputs is an x or such a node."""
    reached = {id(x) for x in xs}
    found: set[type[Function]] = set()
    for node in topological_order(out, every_input=False,
                                  freed="gradcheck: fn returned a tensor whose graph "
                                        "backward() has already released"):
        if node._fn is not None and any(id(t) in reached for t in node._fn.inputs):
            reached.add(id(node))
            found.add(type(node._fn))
    return found


@dataclass
class GradcheckReport:
    """What `gradcheck` found: the worst element over all inputs."""
    ok: bool
    input_index: int            # which input holds the worst element
    element: tuple[int, ...]    # its index in that input
    analytic: float
    numeric: float
    abs_error: float
    checked: int                # number of elements compared
    atol: float
    rtol: float

    def __str__(self) -> str:
        verdict = "gradients match" if self.ok else "GRADIENT MISMATCH"
        return (f"{verdict}: worst element is input {self.input_index} at index {self.element}: "
                f"analytic {self.analytic:.10g}, numeric {self.numeric:.10g}, |difference| "
                f"{self.abs_error:.3g} (allowed {self.atol:g} + {self.rtol:g}·|numeric|); "
                f"{self.checked} elements checked")


class GradcheckError(AssertionError):
    """Raised by `gradcheck` when an analytic gradient disagrees with the numeric one."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


def gradcheck(fn: Callable[..., Tensor], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-4, seed: int = 0, raise_exception: bool = True) -> GradcheckReport:
    """Check `fn`'s backward against central differences over every input element.

    Args:
        fn: takes len(inputs) tensors, returns a tensor. It must be deterministic
            (seed any randomness inside it, e.g. dropout's rng) and should compute in
            float64: the inputs are converted to float64.
        *inputs: arrays or tensors; all are differentiated. Pass constants through a
            closure: ``gradcheck(lambda x: F.conv2d(x, w), x)``.
        eps: finite-difference step.
        atol, rtol: an element passes when |analytic - numeric| ≤ atol + rtol·|numeric|.
        seed: seeds the random upstream gradient u.
        raise_exception: raise `GradcheckError` on a mismatch (default) instead of
            returning a report with ok=False.
    Returns:
        A `GradcheckReport` describing the worst element. When it is ok, every
        Function class between the inputs and the output is credited in
        `checked_functions()`.
    """
    xs = [Tensor(np.array(getattr(x, "data", x), dtype=np.float64), requires_grad=True)
          for x in inputs]
    out = fn(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    if out.dtype != np.float64:
        raise TypeError(f"gradcheck: fn returned {out.dtype}; it must keep float64 inputs in "
                        f"float64 (a float32 constant inside fn would spoil the check)")
    u = np.random.default_rng(seed).standard_normal(out.shape)
    tested = _functions_on_paths(xs, out) if out.requires_grad else set()
    if out.requires_grad:
        out.backward(u)

    def contracted() -> float:
        with no_grad():
            return float(np.sum(fn(*xs).data * u))

    worst: tuple[float, int, tuple, float, float, float] | None = None
    checked = 0
    for i, x in enumerate(xs):
        analytic = x.grad if x.grad is not None else np.zeros_like(x.data)
        for j in np.ndindex(x.shape):
            saved = x.data[j]
            x.data[j] = saved + eps
            plus = contracted()
            x.data[j] = saved - eps
            minus = contracted()
            x.data[j] = saved
            numeric = (plus - minus) / (2 * eps)
            err = abs(float(analytic[j]) - numeric)
            score = err / (atol + rtol * abs(numeric))
            if not np.isfinite(score):
                score = np.inf
            if worst is None or score > worst[0]:
                worst = (score, i, j, float(analytic[j]), numeric, err)
            checked += 1
    if worst is None:  # every input was empty
        return GradcheckReport(True, -1, (), 0.0, 0.0, 0.0, 0, atol, rtol)
    score, i, j, a, n, err = worst
    report = GradcheckReport(score <= 1, i, tuple(int(k) for k in j), a, n, err, checked, atol, rtol)
    if not report.ok and raise_exception:
        raise GradcheckError(report)
    if report.ok:
        _checked.update(tested)
    return report
