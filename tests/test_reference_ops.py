"""The reference kernels of math, shape and activations (tinydl/ops/reference/math.py,
shape.py, activations.py) against central differences, against the fast kernels, and
against NumPy's own expressions; the kernel switch; stability at ±1e4.

(a) test_grad_reference: every reference op's backward matches central differences
    (tinydl.gradcheck, float64, every element, atol 1e-5 + rtol 1e-4), inputs kept
    tst.KINK_MARGIN away from kinks;
(b) test_fast_equals_reference: the fast kernel's value and the gradient of every input,
    for the same upstream gradient, equal the reference kernel's (float64 to 1e-12,
    float32 to 1e-6, relatively; in absolute terms that much of the values' size times
    the number of terms a value sums: see kernel_helpers.RTOL), with values
    exactly on the kinks now and then, where the two must pick the same subgradient;
(c) test_forward_equals_numpy: each elementwise op's value is NumPy's own expression for
    it (1/(1+np.exp(-x)), np.maximum(0, x), ...), on both kernels, in float64 to 1e-13
    and float32 to 1e-6 (NUMPY_TOLERANCE);
(d) the switch: inside use_kernels("reference") the public ops and the Tensor operators
    record *Ref Functions, outside the fast ones;
(e) the reference softmax, log_softmax and sigmoid stay finite at ±1e4 in float32.

Each case draws its fn and inputs (see kernel_helpers); the losses, the norms and
dropout are in test_reference_norms_losses.py.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinydl
import tinydl.functional as F
from tinydl import Tensor, gradcheck
from tinydl.ops import use_kernels
from tinydl.ops.reference import activations as ref_activations
from tinydl.ops.reference import math as ref_math
from tinydl.ops.reference import shape as ref_shape
from tinydl.testing import strategies as tst

from kernel_helpers import assert_kernels_agree_conditioned, values


# -- the cases: fn written with the public ops, and its float64 inputs ---------------------

def binary(op, positive_b=False, positive_a=False):
    def case(data, gradcheck):
        sa, sb = data.draw(tst.broadcastable_pairs())
        a = data.draw(values(sa, 0.5 if positive_a else -3.0, 3.0))
        b = data.draw(values(sb, 0.5 if positive_b else -3.0, 3.0))
        return op, [a, b]
    return case


def pow_case(data, gradcheck):
    sa, sb = data.draw(tst.broadcastable_pairs())
    return F.pow, [data.draw(values(sa, 0.5, 2.0)), data.draw(values(sb, -2.0, 2.0))]


@st.composite
def matmul_shapes(draw):
    """(a_shape, b_shape) for a @ b: 1-D operands and broadcast batch axes included."""
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    batch_a, batch_b = draw(tst.broadcastable_pairs(max_dims=2))
    return (draw(st.sampled_from([(k,), batch_a + (n, k)])),
            draw(st.sampled_from([(k,), batch_b + (k, m)])))


def matmul_case(data, gradcheck):
    shapes = data.draw(matmul_shapes())
    return F.matmul, [data.draw(values(s)) for s in shapes]


def reduction(op, ties=False):
    def case(data, gradcheck):
        shape = data.draw(tst.shapes(min_dims=1, max_dims=3))
        axis, keepdims = data.draw(tst.axes(len(shape))), data.draw(st.booleans())
        if ties and gradcheck:
            x = data.draw(tst.distinct_arrays(shape))          # one maximum per output
        elif ties:
            x = data.draw(values(shape, special=(-1.0, 0.5, 2.0)))  # ties are common
        else:
            x = data.draw(values(shape))
        return (lambda x: op(x, axis, keepdims)), [x]
    return case


def unary(op, lo=-3.0, hi=3.0, kinks=()):
    def case(data, gradcheck):
        return op, [data.draw(values(tst.shapes(), lo, hi, kinks, gradcheck))]
    return case


def clip_case(data, gradcheck):
    lo, hi = data.draw(st.floats(-2, 0)), data.draw(st.floats(0, 2))
    x = data.draw(values(tst.shapes(), special=(lo, hi), gradcheck=gradcheck))
    return (lambda x: F.clip(x, lo, hi)), [x]


def reshape_case(data, gradcheck):
    x = data.draw(values(tst.shapes()))
    new = data.draw(st.permutations(list(x.shape) + [1]))
    return (lambda x: F.reshape(x, new)), [x]


def transpose_case(data, gradcheck):
    x = data.draw(values(tst.shapes(min_dims=1, max_dims=4)))
    axes = data.draw(st.none() | st.permutations(range(x.ndim)))
    return (lambda x: F.transpose(x, axes)), [x]


def getitem_case(data, gradcheck):
    """Basic indices (ints, slices with steps, None, Ellipsis), integer arrays with
    repeats and boolean masks."""
    x = data.draw(values(tst.shapes(min_dims=1, max_dims=3)))
    n = x.shape[0]
    kind = data.draw(st.sampled_from(["basic", "ints", "bools"]))
    if kind == "ints":
        index = np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5)))
    elif kind == "bools":
        index = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    else:
        items = [data.draw(st.integers(-side, side - 1) | st.slices(side)) for side in x.shape]
        if data.draw(st.booleans()):
            items.insert(data.draw(st.integers(0, len(items))), None)
        if data.draw(st.booleans()):
            items = items[:1] + [Ellipsis]
        index = tuple(items)
    return (lambda x: x[index]), [x]


def joined(op):
    """concatenate or stack of 1 to 3 arrays along a drawn axis."""
    def case(data, gradcheck):
        shape = data.draw(tst.shapes(min_dims=1, max_dims=3))
        count = data.draw(st.integers(1, 3))
        if op is F.stack:
            axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
            xs = [data.draw(values(shape)) for _ in range(count)]
        else:
            axis = data.draw(st.integers(-len(shape), len(shape) - 1))
            a = axis % len(shape)
            xs = [data.draw(values(shape[:a] + (data.draw(st.integers(1, 3)),) + shape[a + 1:]))
                  for _ in range(count)]
        return (lambda *xs: op(list(xs), axis=axis)), xs
    return case


def flatten_case(data, gradcheck):
    return F.flatten, [data.draw(values(tst.shapes(min_dims=1, max_dims=4)))]


def relu_options_case(data, gradcheck):
    """Keras' relu options: threshold t, max_value M > t, negative_slope a."""
    t = data.draw(st.sampled_from([0.0, 0.5]))
    m = data.draw(st.sampled_from([None, 2.0]))
    a = data.draw(st.sampled_from([0.0, 0.1]))
    kinks = (t,) if m is None else (t, m)
    x = data.draw(values(tst.shapes(), special=kinks, gradcheck=gradcheck))
    return (lambda x: F.relu(x, negative_slope=a, max_value=m, threshold=t)), [x]


def leaky_relu_case(data, gradcheck):
    alpha = data.draw(st.floats(0.0, 0.9))
    x = data.draw(values(tst.shapes(), special=(0.0,), gradcheck=gradcheck))
    return (lambda x: F.leaky_relu(x, alpha)), [x]


def along_axis(op):
    def case(data, gradcheck):
        x = data.draw(values(tst.shapes(), -5.0, 5.0))
        axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
        return (lambda x: op(x, axis=axis)), [x]
    return case


def elu_case(data, gradcheck):
    alpha = data.draw(st.sampled_from([1.0, 0.5, 2.0]))
    x = data.draw(values(tst.shapes(), special=(0.0,), gradcheck=gradcheck))
    return (lambda x: F.elu(x, alpha)), [x]


def operators_case(data, gradcheck):
    """The Tensor operators and methods, which call the same ops (max: no ties)."""
    shape = data.draw(tst.shapes(min_dims=2, max_dims=2))
    x = data.draw(tst.distinct_arrays(shape) if gradcheck else values(shape))

    def fn(x):
        return (x * 2.0 - 1.0) ** 2 / (1.0 + x @ x.T).sum() + x[:, :1].max()
    return fn, [x], x.shape[1]     # x @ x.T's sums inside the sum: x.shape[1] terms more


CASES = {
    "add": binary(F.add), "sub": binary(F.sub), "mul": binary(F.mul),
    "div": binary(F.div, positive_b=True), "pow": pow_case, "matmul": matmul_case,
    "neg": unary(F.neg),
    "sum": reduction(F.sum), "mean": reduction(F.mean), "max": reduction(F.max, ties=True),
    "exp": unary(F.exp), "log": unary(F.log, 0.1), "sqrt": unary(F.sqrt, 0.1),
    "abs": unary(F.abs, kinks=(0.0,)), "clip": clip_case,
    "reshape": reshape_case, "transpose": transpose_case, "getitem": getitem_case,
    "concatenate": joined(F.concatenate), "stack": joined(F.stack), "flatten": flatten_case,
    "linear": unary(lambda x: F.linear(x) * 1.0),
    "sigmoid": unary(F.sigmoid, -30.0, 30.0, kinks=(0.0,)),
    "relu": unary(F.relu, kinks=(0.0,)), "relu_keras_options": relu_options_case,
    "tanh": unary(F.tanh), "leaky_relu": leaky_relu_case,
    "softmax": along_axis(F.softmax), "log_softmax": along_axis(F.log_softmax),
    "elu": elu_case,
    "operators": operators_case,
}


# -- (a) the reference kernels against central differences ---------------------------------

@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=15)
@given(data=st.data())
def test_grad_reference(name, data):
    fn, arrays, *_ = CASES[name](data, gradcheck=True)
    with use_kernels("reference"):
        gradcheck(fn, *arrays)


# -- (b) fast equals reference ---------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=15)
@given(data=st.data())
def test_fast_equals_reference(name, dtype, data):
    fn, arrays, *amplification = CASES[name](data, gradcheck=False)
    assert_kernels_agree_conditioned(fn, arrays, dtype, *amplification)


def test_max_splits_ties_equally_on_both_kernels():
    for kernels in ("fast", "reference"):
        with use_kernels(kernels):
            x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]), requires_grad=True)
            F.max(x, axis=1).backward(np.array([1.0, 6.0]))
            np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [2.0, 2.0, 2.0]])


# -- (c) forward values against NumPy's own expressions --------------------------------------

def sigmoid_np(x):
    return 1 / (1 + np.exp(-x))


def softmax_np(x):
    return np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)


#: op name -> (the op on a Tensor, the same thing in NumPy, lowest x); x in [lo, 20]
ELEMENTWISE = {
    "exp": (F.exp, np.exp, -20.0),
    "log": (F.log, np.log, 0.01),
    "sqrt": (F.sqrt, np.sqrt, 0.0),
    "abs": (F.abs, np.abs, -20.0),
    "neg": (F.neg, np.negative, -20.0),
    "clip": (lambda x: F.clip(x, -1.5, 2.0), lambda x: np.clip(x, -1.5, 2.0), -20.0),
    "linear": (F.linear, lambda x: x, -20.0),
    "relu": (F.relu, lambda x: np.maximum(0, x), -20.0),
    "relu_keras_options": (
        lambda x: F.relu(x, negative_slope=0.1, max_value=6.0, threshold=0.5),
        lambda x: np.where(x <= 0.5, 0.1 * (x - 0.5), np.minimum(x, 6.0)), -20.0),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.3), lambda x: np.where(x > 0, x, 0.3 * x), -20.0),
    "elu": (lambda x: F.elu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * (np.exp(x) - 1)), -20.0),
    "tanh": (F.tanh, np.tanh, -20.0),
    "sigmoid": (F.sigmoid, sigmoid_np, -20.0),
    "softmax": (F.softmax, softmax_np, -20.0),
    "log_softmax": (F.log_softmax, lambda x: np.log(softmax_np(x)), -20.0),
    "add": (lambda x: x + x[::-1], lambda x: x + x[::-1], -20.0),
    "sub": (lambda x: x - x[::-1], lambda x: x - x[::-1], -20.0),
    "mul": (lambda x: x * x[::-1], lambda x: x * x[::-1], -20.0),
    "div": (lambda x: x / (x[::-1] + 21.0), lambda x: x / (x[::-1] + 21.0), -20.0),
    "pow": (lambda x: x ** x[::-1], lambda x: x ** x[::-1], 0.01),
}

#: dtype -> (rtol, atol) between an op and NumPy's expression, the atol relative to
#: max(1, max|x|): a few units in the last place, since the kernels may write the same
#: formula another way (e^x/(1+e^x) for x < 0, a subtracted maximum, expm1); the atol
#: covers values near 0 (e^x - 1 at x ≈ 0) and the rounding of x - max x (log_softmax)
NUMPY_TOLERANCE = {np.float64: (1e-13, 1e-15), np.float32: (1e-6, 1e-6)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kernels", ["fast", "reference"])
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@settings(max_examples=10)
@given(data=st.data())
def test_forward_equals_numpy(name, kernels, dtype, data):
    op, expression, lo = ELEMENTWISE[name]
    x = data.draw(values(tst.shapes(max_dims=2, max_side=6), lo, 20.0, special=(0.0, 0.5, 6.0)
                         if lo < 0 else ())).astype(dtype)
    with use_kernels(kernels):
        y = op(Tensor(x))
    expected = expression(x.astype(np.float64))
    rtol, atol = NUMPY_TOLERANCE[dtype]
    assert y.dtype == dtype
    np.testing.assert_allclose(y.data, expected, rtol=rtol, atol=atol * max(1.0, np.abs(x).max()))


# -- (d) the switch -----------------------------------------------------------------------------

A = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])

#: the op's call on a tensor x (shape (2, 3), requires grad)
DISPATCHED = {
    "add": lambda x: F.add(x, 1.0), "sub": lambda x: F.sub(x, 1.0),
    "mul": lambda x: F.mul(x, 2.0), "div": lambda x: F.div(x, 2.0),
    "pow": lambda x: F.pow(x, 2.0), "matmul": lambda x: F.matmul(x, A.T), "neg": F.neg,
    "sum": F.sum, "mean": F.mean, "max": F.max, "exp": F.exp, "log": lambda x: F.log(x * x),
    "sqrt": lambda x: F.sqrt(x * x), "abs": F.abs, "clip": lambda x: F.clip(x, 0.0, 1.0),
    "reshape": lambda x: F.reshape(x, (3, 2)), "transpose": F.transpose,
    "getitem": lambda x: F.getitem(x, (0, slice(1, None))),
    "concatenate": lambda x: F.concatenate([x, x]), "stack": lambda x: F.stack([x, x]),
    "flatten": F.flatten, "sigmoid": F.sigmoid, "relu": F.relu,
    "relu_keras_options": lambda x: F.relu(x, max_value=1.0), "tanh": F.tanh,
    "leaky_relu": F.leaky_relu, "softmax": F.softmax, "log_softmax": F.log_softmax,
    "elu": F.elu,
    "operator +": lambda x: x + 1.0, "operator -": lambda x: 1.0 - x,
    "operator *": lambda x: 2.0 * x, "operator /": lambda x: x / 2.0,
    "operator **": lambda x: x ** 2, "operator @": lambda x: x @ A.T,
    "unary -": lambda x: -x, "indexing": lambda x: x[:, 1], "x.sum()": lambda x: x.sum(),
    "x.mean()": lambda x: x.mean(), "x.max()": lambda x: x.max(axis=0),
    "x.reshape()": lambda x: x.reshape(6), "x.T": lambda x: x.T, "x.exp()": lambda x: x.exp(),
    "x.abs()": lambda x: x.abs(), "x.clip()": lambda x: x.clip(0.0, 1.0),
}


@pytest.mark.parametrize("name", sorted(DISPATCHED))
def test_the_switch_picks_the_kernel(name):
    x = Tensor(A, requires_grad=True)
    fast = type(DISPATCHED[name](x)._fn)
    with use_kernels("reference"):
        assert tinydl.get_kernels() == "reference"
        ref = type(DISPATCHED[name](x)._fn)
    assert tinydl.get_kernels() == "fast"
    assert ref.__module__.startswith("tinydl.ops.reference.") and ref.__name__.endswith("Ref")
    assert fast.__module__.startswith("tinydl.ops.") and fast.__name__.endswith("Op")
    assert not fast.__module__.startswith("tinydl.ops.reference")
    assert ref.op == fast.op            # the same op's name, in errors and graph pictures


def test_the_reference_classes_are_named_for_their_op():
    modules = (ref_math, ref_shape, ref_activations)
    classes = [obj for m in modules for obj in vars(m).values()
               if isinstance(obj, type) and issubclass(obj, tinydl.Function)
               and obj.__module__ == m.__name__]
    assert len(classes) == 27, [c.__name__ for c in classes]
    for cls in classes:
        assert cls.__name__.endswith("Ref") and cls.op, cls
        assert cls.__doc__, f"{cls.__name__} has no docstring giving its formula"


def test_the_reference_refuses_what_the_fast_kernel_refuses():
    bad = {
        "matmul": lambda: F.matmul(np.ones((2, 3)), np.ones((2, 3))),
        "reshape": lambda: F.reshape(np.ones((2, 3)), (4,)),
        "sum": lambda: F.sum(np.ones((2, 3)), axis=2),
        "mean": lambda: F.mean(np.ones((2, 0)), axis=1),
        "max": lambda: F.max(np.ones((2, 0)), axis=1),
        "clip": lambda: F.clip(np.ones(3), 2.0, 1.0),
        "transpose": lambda: F.transpose(np.ones((2, 3)), (0, 0)),
        "leaky_relu": lambda: F.leaky_relu(np.ones(3), 1.5),
        "stack": lambda: F.stack([]),
        "operand": lambda: F.add(np.ones(3, dtype=np.int64), 1.0),
    }
    for name, call in bad.items():
        messages = []
        for kernels in ("fast", "reference"):
            with use_kernels(kernels), pytest.raises((ValueError, TypeError)) as caught:
                call()
            messages.append((type(caught.value), str(caught.value)))
        assert messages[0] == messages[1], name


# -- (e) stability at ±1e4 --------------------------------------------------------------------

def test_reference_activations_are_finite_at_plus_minus_1e4():
    x = np.array([[-1e4, 0.0, 1e4], [1e4, 1e4, -1e4]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # an overflow in exp would warn
        for op in (ref_activations.sigmoid, ref_activations.softmax,
                   ref_activations.log_softmax, ref_activations.tanh, ref_activations.elu):
            xt = Tensor(x, requires_grad=True)
            y = op(xt)
            y.backward(np.ones(y.shape, dtype=np.float32))
            assert y.dtype == np.float32 and np.all(np.isfinite(y.data)), op
            assert np.all(np.isfinite(xt.grad)), op
    np.testing.assert_array_equal(ref_activations.sigmoid(x).data[0], [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(ref_activations.softmax(x).data[1], [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(ref_activations.log_softmax(x).data[0], [-2e4, -1e4, 0.0])
