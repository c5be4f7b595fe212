"""What an exercise's checks are made of: a named `Check`, hypothesis searches that report
the smallest counterexample, comparisons with the literal formula, and gradcheck.

A check is a function `run(student, seed)` that receives the student's module (imported
from their file) and raises `CheckFailure` with a message in plain words when the code
is wrong. The helpers below write those messages: the input's shape and values, what the
formula expects, what the student's code gave, and the worst element.

    def forward_matches(student, seed):
        def one(x):
            assert_close({"x": x}, 1 / (1 + np.exp(-x)), student.Sigmoid.apply(x))
        for_all(student, tst.arrays(tst.shapes()), one, seed)

Same seed, same examples, same verdict: `for_all` searches with hypothesis' `find`, seeded,
without its example database, and returns the smallest failing example it can shrink to.
"""
from __future__ import annotations

import random
import sys
import traceback
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

import numpy as np
from hypothesis import HealthCheck, Verbosity, find, settings
from hypothesis.errors import NoSuchExample
from hypothesis.strategies import SearchStrategy

from ..autograd import Tensor
from ..gradcheck import gradcheck

#: Examples drawn per hypothesis search (before shrinking a failure).
MAX_EXAMPLES = 20
#: Calls of the property allowed for shrinking a failure: bounds a check's time, and
#: being a count (not a clock) it keeps the same seed giving the same counterexample.
SHRINK_BUDGET = 120


class CheckFailure(AssertionError):
    """The student's code gave a wrong answer; the message says which and where."""


@dataclass(frozen=True)
class Check:
    """One named check of an exercise: `run(student_module, seed)` raises CheckFailure."""
    name: str
    run: Callable[[ModuleType, int], None]


# -- plain-words descriptions ------------------------------------------------------------

def show(value: Any, kernel: bool = False) -> str:
    """A number as a number; an array as its shape and values (rounded, abbreviated).
    A 4-D array is shown as 2-D planes: an image batch (N, H, W, C) one (row, column)
    plane per image and channel, a kernel (kh, kw, C_in, C_out) when `kernel`, one per
    input and output channel."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, str | tuple | type(None)):
        return repr(value)
    a = np.asarray(value)
    if a.dtype.kind not in "fiub":
        return repr(value)
    if a.ndim == 0:
        return f"{a.item():.6g}"
    if a.ndim == 4 and a.size > 1:
        if kernel:
            planes = [f"[:, :, {i}, {o}] = {_matrix(a[:, :, i, o], 15)}"
                      for i in range(min(a.shape[2], 2)) for o in range(min(a.shape[3], 3))]
            more = ", the first channels" if a.shape[2] > 2 or a.shape[3] > 3 else ""
        else:
            planes = [f"[{i}, :, :, {c}] = {_matrix(a[i, :, :, c], 15)}"
                      for i in range(min(a.shape[0], 2)) for c in range(min(a.shape[3], 3))]
            more = ", the first images and channels" if a.shape[0] > 2 or a.shape[3] > 3 else ""
        body = "\n".join(planes).replace("\n", "\n  ")
        return f"shape {a.shape}{more}, as (row, column) planes:\n  {body}".replace(
            "\n", "\n        ")
    return f"shape {a.shape}, values {_matrix(a, 0)}".replace("\n", "\n        ")


def _matrix(a: np.ndarray, indent: int) -> str:
    return np.array2string(a.astype(np.float64), precision=4, separator=", ", threshold=60,
                           max_line_width=96, suppress_small=True, prefix=" " * indent)


def describe(inputs: dict[str, Any]) -> str:
    """'for the input' followed by one line per argument."""
    lines = [f"    {name} = {show(value, kernel=name in ('w', 'W', 'kernel'))}"
             for name, value in inputs.items()]
    return "  for the input\n" + "\n".join(lines)


def as_array(value: Any, what: str) -> np.ndarray:
    """The array inside a Tensor or array-like result; CheckFailure for anything else."""
    if isinstance(value, Tensor):
        return value.data
    if value is None:
        raise CheckFailure(f"{what} is None; expected an array (did you forget `return`?)")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailure(f"{what} is {type(value).__name__} {value!r:.80}; expected an array "
                           f"of numbers") from None


def assert_close(inputs: dict[str, Any], expected: Any, got: Any, what: str = "the output",
                 atol: float = 1e-6, rtol: float = 1e-5) -> None:
    """CheckFailure unless `got` has `expected`'s shape and every element is within
    atol + rtol·|expected| of it. The message names the worst element."""
    expected = np.asarray(expected, dtype=np.float64)
    got = as_array(got, what)
    if got.shape != expected.shape:
        raise CheckFailure(f"{what} has shape {got.shape}; the formula gives shape "
                           f"{expected.shape}\n{describe(inputs)}\n  expected {show(expected)}\n"
                           f"  got      {show(got)}")
    with np.errstate(all="ignore"):
        err = np.abs(got.astype(np.float64) - expected)
        allowed = atol + rtol * np.abs(expected)
        score = np.where(err <= allowed, 0.0,
                         np.where(np.isfinite(err), err / np.maximum(allowed, 1e-300), np.inf))
    if got.size == 0 or score.max() <= 1:
        return
    worst = np.unravel_index(int(np.argmax(score)), got.shape)
    where = f"index {tuple(int(i) for i in worst)}" if got.ndim else "the value"
    raise CheckFailure(
        f"{what} is wrong\n{describe(inputs)}\n  expected (the formula) {show(expected)}\n"
        f"  got (your code)        {show(got)}\n"
        f"  worst element: {where}: expected {expected[worst]:.8g}, got {got[worst]:.8g} "
        f"(off by {err[worst]:.3g}; allowed {atol:g} + {rtol:g}·|expected|)")


def assert_gradients(op: Callable[..., Tensor], inputs: dict[str, Any],
                     constants: dict[str, Any] | None = None) -> None:
    """tinydl.gradcheck of `op` over every element of every input: the student's backward
    against central differences of the student's forward (forward is checked first,
    against the formula, by the exercise's earlier checks). `constants` are the values
    that `op` closes over, shown in the message too."""
    report = gradcheck(op, *inputs.values(), raise_exception=False)
    if not report.ok:
        name = list(inputs)[report.input_index]
        raise CheckFailure(
            f"the gradient dL/d{name} is wrong at index {report.element}: your backward gives "
            f"{report.analytic:.8g}, central differences of your forward give "
            f"{report.numeric:.8g} (off by {report.abs_error:.3g}; allowed {report.atol:g} + "
            f"{report.rtol:g}·|numeric|)\n  (L = Σ u·output for a fixed random u of the "
            f"output's shape, so every output element matters)\n"
            f"{describe(inputs | (constants or {}))}")


def run_backward(op: Callable[..., Tensor], inputs: list[Any],
                 grad: Any = None) -> tuple[Tensor, list[np.ndarray | None]]:
    """Call op on float64 Tensors that require grad, backpropagate `grad` (ones by
    default) and return (output, [each input's gradient])."""
    xs = [Tensor(np.array(x, dtype=np.float64), requires_grad=True) for x in inputs]
    out = op(*xs)
    if not isinstance(out, Tensor):
        raise CheckFailure(f"the op returned {type(out).__name__}; expected a tinydl Tensor")
    if not out.requires_grad:
        raise CheckFailure("the output records no graph (did the op leave tinydl's autograd, "
                           "e.g. by calling .data or np.asarray on a Tensor?)")
    out.backward(np.ones(out.shape) if grad is None else grad)
    return out, [x.grad for x in xs]


def where_in(exc: BaseException, filename: str | None) -> str:
    """' (your file, line N: code)' for the deepest frame of `exc` in the student's file."""
    if not filename:
        return ""
    hit = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == filename:
            hit = frame
    if hit is None:
        return ""
    return f" (your file, line {hit.lineno}: {hit.line})"


def explain(exc: BaseException, filename: str | None) -> str:
    """An unexpected exception from the student's code, in one line."""
    return f"your code raised {type(exc).__name__}: {exc}{where_in(exc, filename)}"


# -- searching for the smallest counterexample ----------------------------------------------

def for_all(student: ModuleType, strategy: SearchStrategy, prop: Callable[[Any], None],
            seed: int) -> None:
    """Run `prop` on examples drawn from `strategy`; if one fails, raise the CheckFailure
    of the smallest failing example hypothesis can shrink to. `student` is the student's
    module (an unexpected exception is reported with its line in their file); at most
    MAX_EXAMPLES examples are drawn.

    `prop(example)` raises CheckFailure (or any exception, reported with its line in the
    student's file) when the example fails. NotImplementedError is not a failure: it
    escapes at once (the runner reports "not started" / "still raises ...").
    """
    smallest: Any = None   # the smallest failing example so far
    calls_since_failure = 0

    def fails(example: Any) -> bool:
        nonlocal smallest, calls_since_failure
        if smallest is not None:
            calls_since_failure += 1
            if calls_since_failure > SHRINK_BUDGET:
                raise _Enough()
        try:
            prop(example)
        except NotImplementedError as exc:
            raise _Unfinished(exc) from exc   # stop the search at once, no shrinking
        except Exception:  # noqa: BLE001  (CheckFailure, or the student's bug: reported below)
            smallest = example   # the shrinker only tries examples smaller than the last
            return True
        return False

    config = settings(max_examples=MAX_EXAMPLES, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
    try:
        smallest = find(strategy, fails, settings=config, random=random.Random(seed))
    except NoSuchExample:
        return
    except _Unfinished as unfinished:
        raise unfinished.error from None
    except _Enough:
        pass
    try:
        prop(smallest)
    except CheckFailure:
        raise
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise CheckFailure(f"{explain(exc, getattr(student, '__file__', None))}\n"
                           f"{describe(_as_inputs(smallest))}") from exc
    raise CheckFailure(f"the check failed only sometimes on the same input (does your code use "
                       f"randomness or keep state between calls?)\n"
                       f"{describe(_as_inputs(smallest))}")


class _Enough(BaseException):
    """Ends hypothesis' shrinking when SHRINK_BUDGET is spent."""


class _Unfinished(BaseException):
    """Carries a NotImplementedError out of hypothesis' search without being shrunk."""

    def __init__(self, error: NotImplementedError) -> None:
        super().__init__(str(error))
        self.error = error


def _as_inputs(example: Any) -> dict[str, Any]:
    if isinstance(example, dict):
        return example
    if isinstance(example, tuple):
        return {f"input {i}": v for i, v in enumerate(example)}
    return {"input": example}


def count_lines(filename: str, fn: Callable[..., Any], *args: Any) -> int:
    """How many lines of `filename` Python executes while running fn(*args): a loop over
    pixels runs its body once per pixel, a vectorised function a fixed number of times."""
    count = 0

    def local(frame, event, arg):  # noqa: ANN001
        nonlocal count
        if event == "line":
            count += 1
        return local

    def global_(frame, event, arg):  # noqa: ANN001
        return local if frame.f_code.co_filename == filename else None

    previous = sys.gettrace()
    sys.settrace(global_)
    try:
        fn(*args)
    finally:
        sys.settrace(previous)
    return count
