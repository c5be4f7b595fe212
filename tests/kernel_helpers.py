"""Helpers for the tests that prove a fast kernel equal to its reference kernel
(tests/test_reference_conv.py, test_reference_pooling.py, test_reference_resize.py)."""
from __future__ import annotations

from typing import Callable

import numpy as np

from tinydl import Tensor
from tinydl.ops import use_kernels

#: Agreement required between the fast and the reference kernel: |fast - ref| ≤
#: TOLERANCE·max(1, max|ref|) (a bound relative to the largest value, since sums that
#: cancel leave small entries whose own relative error says nothing) and also within
#: TOLERANCE relatively, elementwise (assert_allclose's rtol).
TOLERANCE = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}


def run_on(kernels: str, fn: Callable[..., Tensor], arrays, seed: int = 0):
    """fn(*tensors) on the "fast" or "reference" kernels: the output, the gradient of
    Σ u ⊙ output w.r.t. every array (u a standard normal upstream gradient drawn from
    `seed`, the same on both kernels), and the module of the Function that made the output."""
    with use_kernels(kernels):
        tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
        y = fn(*tensors)
        module = type(y._fn).__module__
        u = np.random.default_rng(seed).standard_normal(y.shape).astype(y.dtype)
        y.backward(u)
    return y.data, [t.grad for t in tensors], module


def assert_kernels_agree(fn: Callable[..., Tensor], *arrays, dtype=np.float64,
                         seed: int = 0) -> None:
    """fn's value and its gradients w.r.t. every array are the same on the fast and on
    the reference kernels, in `dtype`, within TOLERANCE; and each run really used the
    kernels it asked for (the output's Function comes from tinydl/ops/reference/ or not)."""
    arrays = [np.asarray(a, dtype=dtype) for a in arrays]
    fast_y, fast_grads, fast_module = run_on("fast", fn, arrays, seed)
    ref_y, ref_grads, ref_module = run_on("reference", fn, arrays, seed)
    assert not fast_module.startswith("tinydl.ops.reference"), fast_module
    assert ref_module.startswith("tinydl.ops.reference."), ref_module
    tol = TOLERANCE[np.dtype(dtype)]
    names = ["value"] + [f"gradient w.r.t. input {i}" for i in range(len(arrays))]
    for name, fast, ref in zip(names, [fast_y, *fast_grads], [ref_y, *ref_grads]):
        assert fast.dtype == ref.dtype == dtype, (name, fast.dtype, ref.dtype)
        assert fast.shape == ref.shape, (name, fast.shape, ref.shape)
        scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
        np.testing.assert_allclose(fast, ref, rtol=tol, atol=tol * scale, err_msg=name)


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
