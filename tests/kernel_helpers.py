"""Helpers for the tests that prove each fast kernel equal to its reference kernel
(tests/test_reference_*.py): run one computation on both kernels, compare values and
gradients, and compare the errors both give for bad arguments.

Two ways to compare, for two kinds of case:

* `assert_kernels_agree(fn, *arrays, dtype=...)` (the convolution family, pooling, resize):
  within TOLERANCE, relative to the largest value;
* `assert_kernels_agree_conditioned(fn, arrays, dtype, amplification)` (math, shape,
  activations, the norms and the losses): within RTOL, widened by how many terms a value
  sums and how much the computation amplifies rounding (see RTOL).

The second kind of case is a function `case(data, gradcheck)` that draws, with hypothesis'
`data`, an fn(*tensors) -> Tensor written with the public ops (tinydl.functional,
tinydl.losses) and the float64 arrays to feed it (and, for a computation that amplifies
rounding errors, by how much: see RTOL). The public ops follow the kernel switch, so the
same case serves the gradient check of the reference kernel (run inside
use_kernels("reference")) and the fast-against-reference comparison. gradcheck=True asks
for inputs kept away from kinks (ReLU at 0, ties in max, clip's bounds), where central
differences mean nothing; gradcheck=False puts values exactly on the kinks now and then,
where both kernels must still agree: they must pick the same subgradient.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinydl import Tensor
from tinydl.autograd import topological_order
from tinydl.ops import use_kernels
from tinydl.testing import strategies as tst

#: Agreement required by `assert_kernels_agree` between the fast and the reference kernel:
#: |fast - ref| ≤ TOLERANCE·max(1, max|ref|) (a bound relative to the largest value, since
#: sums that cancel leave small entries whose own relative error says nothing) and also
#: within TOLERANCE relatively, elementwise (assert_allclose's rtol).
TOLERANCE = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}


def function_names(out: Tensor) -> set[str]:
    """The class names of the Functions in out's graph."""
    nodes = topological_order(out, every_input=True, freed="graph already released")
    return {type(node._fn).__name__ for node in nodes if node._fn is not None}


def run_on(kernels: str, fn: Callable[..., Tensor], arrays: Sequence[np.ndarray],
           dtype: Any = None, seed: int = 0) -> tuple[np.ndarray, list, set[str]]:
    """fn on tensors of (copies of) `arrays`, cast to dtype when given, on the "fast" or
    "reference" kernels, then backward with a standard normal upstream gradient drawn from
    `seed` (the same on both kernels). Returns the output, every input's gradient and the
    Function class names of the graph."""
    with use_kernels(kernels):
        xs = [Tensor(np.array(a, dtype=dtype), requires_grad=True) for a in arrays]
        out = fn(*xs)
        names = function_names(out)
        if out.requires_grad:
            upstream = np.random.default_rng(seed).standard_normal(out.shape)
            out.backward(upstream.astype(out.dtype))
    return out.data, [x.grad for x in xs], names


def assert_kernels_agree(fn: Callable[..., Tensor], *arrays, dtype=np.float64,
                         seed: int = 0) -> None:
    """fn's value and its gradients w.r.t. every array are the same on the fast and on
    the reference kernels, in `dtype`, within TOLERANCE; and each run really used the
    kernels it asked for (only *Ref Functions in the reference run's graph, none in the
    fast run's)."""
    arrays = [np.asarray(a, dtype=dtype) for a in arrays]
    fast_y, fast_grads, fast_names = run_on("fast", fn, arrays, seed=seed)
    ref_y, ref_grads, ref_names = run_on("reference", fn, arrays, seed=seed)
    assert not any(name.endswith("Ref") for name in fast_names), fast_names
    assert ref_names and all(name.endswith("Ref") for name in ref_names), ref_names
    tol = TOLERANCE[np.dtype(dtype)]
    names = ["value"] + [f"gradient w.r.t. input {i}" for i in range(len(arrays))]
    for name, fast, ref in zip(names, [fast_y, *fast_grads], [ref_y, *ref_grads]):
        assert fast.dtype == ref.dtype == dtype, (name, fast.dtype, ref.dtype)
        assert fast.shape == ref.shape, (name, fast.shape, ref.shape)
        scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
        np.testing.assert_allclose(fast, ref, rtol=tol, atol=tol * scale, err_msg=name)


#: Agreement demanded between the two kernels, per dtype, elementwise:
#:     |fast - ref| ≤ r·|ref| + r·κ·max(1, max|ref|)
#: The second term because the inputs here are of order 1, so rounding errors are of order
#: r in absolute terms: where terms cancel (a normalization's input gradient has zero mean)
#: or a loss is tiny (log(1 + e^{-|z|}) written as a log of a sum), the small result's own
#: relative error says nothing. κ ≥ 1 counts how much a computation may amplify rounding:
#: a value summed from n terms (a bias gradient, a mean loss) carries up to n roundings of
#: its largest term, so κ = the largest array's size over the smallest's (see `summed`);
#: a normalization multiplies that by its own amplification. Float64 rounding is ~1e-16,
#: float32's ~6e-8: the bound leaves room for another order of summation, and none for a
#: wrong formula (whose error is of the order of the values themselves).
RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-6}


def summed(*arrays: np.ndarray) -> float:
    """The most terms one value of a computation on `arrays` (inputs and output) can sum:
    the largest size over the smallest (a (C,) gradient of an (N, C) input sums N terms)."""
    sizes = [max(1, np.size(a)) for a in arrays]
    return max(sizes) / min(sizes)


def values(shape: Any, lo: float = -3.0, hi: float = 3.0, special: Sequence[float] = (),
           gradcheck: bool = False) -> st.SearchStrategy:
    """float64 arrays with values in [lo, hi]. The `special` points (an op's kinks): for a
    gradient check, kept tst.KINK_MARGIN away; otherwise drawn exactly, now and then."""
    if gradcheck or not special:
        return tst.arrays(shape, lo, hi, away_from=special)
    elements = st.one_of(st.floats(lo, hi, allow_nan=False, width=64), st.sampled_from(special))
    return hnp.arrays(np.float64, shape, elements=elements)


def assert_close(actual: np.ndarray, expected: np.ndarray, rtol: float, what: str,
                 condition: float = 1.0) -> None:
    """|actual - expected| ≤ rtol·|expected| + rtol·condition·max(1, max|expected|),
    elementwise; `condition` is how much the computation may amplify a rounding error."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    scale = condition * float(np.max(np.abs(expected), initial=1.0))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def assert_kernels_agree_conditioned(fn: Callable[..., Tensor],
                                     arrays: Sequence[np.ndarray], dtype: Any,
                                     amplification: float = 1.0) -> None:
    """fn's value and the gradient of every input are the same on both kernels (RTOL, with
    κ = summed(...)·amplification), of the same dtype; the reference run's graph holds only
    reference Functions (*Ref) and the fast run's none."""
    fast_out, fast_grads, fast_names = run_on("fast", fn, arrays, dtype)
    ref_out, ref_grads, ref_names = run_on("reference", fn, arrays, dtype)
    assert all(name.endswith("Ref") for name in ref_names), ref_names
    assert not any(name.endswith("Ref") for name in fast_names), fast_names
    rtol = RTOL[np.dtype(dtype)]
    condition = summed(fast_out, *arrays) * amplification
    assert fast_out.dtype == ref_out.dtype == dtype, (fast_out.dtype, ref_out.dtype)
    assert_close(ref_out, fast_out, rtol, "value", condition)
    for i, (fast_g, ref_g) in enumerate(zip(fast_grads, ref_grads)):
        assert (fast_g is None) == (ref_g is None), i
        if fast_g is not None:
            assert fast_g.dtype == ref_g.dtype == dtype, (i, fast_g.dtype, ref_g.dtype)
            assert_close(ref_g, fast_g, rtol, f"gradient of input {i}", condition)


def raised(fn: Callable, *args, **kwargs) -> tuple[type, str] | None:
    """(type, message) of the exception fn(*args, **kwargs) raises, None if it returns."""
    try:
        fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - comparing whatever is raised
        return type(exc), str(exc)
    return None


def assert_same_error(fn: Callable, *args, **kwargs) -> tuple[type, str]:
    """fn refuses the arguments on both kernels with the same exception type and message."""
    with use_kernels("fast"):
        fast = raised(fn, *args, **kwargs)
    with use_kernels("reference"):
        ref = raised(fn, *args, **kwargs)
    assert fast is not None, "the fast kernel accepted the arguments"
    assert ref == fast, f"reference {ref} != fast {fast}"
    return fast
