"""Helpers of tests/test_reference_ops.py and tests/test_reference_norms_losses.py: run one
computation on the fast and on the reference kernels, and compare values and gradients.

A case is a function `case(data, gradcheck)` that draws, with hypothesis' `data`, an
fn(*tensors) -> Tensor written with the public ops (tinydl.functional, tinydl.losses) and
the float64 arrays to feed it (and, for a computation that amplifies rounding errors, by
how much: see RTOL). The public ops follow the kernel switch, so the same case
serves the gradient check of the reference kernel (run inside use_kernels("reference"))
and the fast-against-reference comparison. gradcheck=True asks for inputs kept away from
kinks (ReLU at 0, ties in max, clip's bounds), where central differences mean nothing;
gradcheck=False puts values exactly on the kinks now and then, where both kernels must
still agree: they must pick the same subgradient.
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


def function_names(out: Tensor) -> set[str]:
    """The class names of the Functions in out's graph."""
    nodes = topological_order(out, every_input=True, freed="graph already released")
    return {type(node._fn).__name__ for node in nodes if node._fn is not None}


def run_on(kernels: str, fn: Callable[..., Tensor], arrays: Sequence[np.ndarray],
           dtype: Any, seed: int = 0) -> tuple[np.ndarray, list, set[str]]:
    """fn on tensors of `arrays` cast to dtype, on the given kernels, then backward with
    an upstream gradient drawn from `seed` (the same on both kernels). Returns the output,
    every input's gradient and the Function class names of the graph."""
    with use_kernels(kernels):
        xs = [Tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
        out = fn(*xs)
        names = function_names(out)
        if out.requires_grad:
            upstream = np.random.default_rng(seed).standard_normal(out.shape)
            out.backward(upstream.astype(out.dtype))
    return out.data, [x.grad for x in xs], names


def assert_close(actual: np.ndarray, expected: np.ndarray, rtol: float, what: str,
                 condition: float = 1.0) -> None:
    """|actual - expected| ≤ rtol·|expected| + rtol·condition·max(1, max|expected|),
    elementwise; `condition` is how much the computation may amplify a rounding error."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    scale = condition * float(np.max(np.abs(expected), initial=1.0))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def assert_kernels_agree(fn: Callable[..., Tensor], arrays: Sequence[np.ndarray],
                         dtype: Any, amplification: float = 1.0) -> None:
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
