"""Every differentiable op's backward against central differences (tinydl.gradcheck),
on shapes, broadcasting patterns, axes and values drawn by hypothesis.

Kinks are steered around, not ignored: ReLU, leaky ReLU and |x| get inputs at least
tst.KINK_MARGIN away from 0, clip away from its bounds, max gets distinct values.
Division, log, sqrt and pow get positive inputs bounded away from 0 (the derivative
grows like 1/x², and a central difference near a pole is inaccurate).
"""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import tinydl.functional as F
from tinydl.ops.activations import reduce_last_axis
from tinydl import Tensor, gradcheck
from tinydl.testing import strategies as tst


def pair(data, positive_second=False):
    sa, sb = data.draw(tst.broadcastable_pairs())
    a = data.draw(tst.arrays(sa))
    b = data.draw(tst.positive_arrays(sb, 0.5, 3.0) if positive_second else tst.arrays(sb))
    return a, b


# -- arithmetic, with broadcasting --------------------------------------------------

@given(st.data())
def test_grad_add(data):
    gradcheck(F.add, *pair(data))


@given(st.data())
def test_grad_sub(data):
    gradcheck(F.sub, *pair(data))


@given(st.data())
def test_grad_mul(data):
    gradcheck(F.mul, *pair(data))


@given(st.data())
def test_grad_div(data):
    gradcheck(F.div, *pair(data, positive_second=True))


@given(st.data())
def test_grad_pow(data):
    sa, sb = data.draw(tst.broadcastable_pairs())
    base = data.draw(tst.positive_arrays(sa, 0.5, 2.0))
    exponent = data.draw(tst.arrays(sb, -2.0, 2.0))
    gradcheck(F.pow, base, exponent)


@given(st.data())
def test_grad_pow_by_a_constant_through_the_operator(data):
    x = data.draw(tst.arrays(tst.shapes()))
    gradcheck(lambda x: x ** 2 + 3.0 * x - 1.0 / (1.0 + x * x), x)


@given(st.data())
def test_grad_neg(data):
    gradcheck(F.neg, data.draw(tst.arrays(tst.shapes())))


@st.composite
def matmul_shapes(draw):
    """(a_shape, b_shape) for a @ b, including 1-D operands and broadcast batch axes."""
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    batch_a, batch_b = draw(tst.broadcastable_pairs(max_dims=2))
    a = draw(st.sampled_from([(k,), batch_a + (n, k)]))
    b = draw(st.sampled_from([(k,), batch_b + (k, m)]))
    return a, b


@given(matmul_shapes(), st.data())
def test_grad_matmul(shapes, data):
    a, b = (data.draw(tst.arrays(s)) for s in shapes)
    gradcheck(F.matmul, a, b)


# -- reductions --------------------------------------------------------------------

@st.composite
def array_and_axis(draw, distinct=False):
    shape = draw(tst.shapes(min_dims=1, max_dims=3))
    x = draw(tst.distinct_arrays(shape) if distinct else tst.arrays(shape))
    return x, draw(tst.axes(len(shape))), draw(st.booleans())


@given(array_and_axis())
def test_grad_sum(args):
    x, axis, keepdims = args
    gradcheck(lambda x: F.sum(x, axis, keepdims), x)


@given(array_and_axis())
def test_grad_mean(args):
    x, axis, keepdims = args
    gradcheck(lambda x: F.mean(x, axis, keepdims), x)


@given(array_and_axis(distinct=True))
def test_grad_max(args):
    x, axis, keepdims = args
    gradcheck(lambda x: F.max(x, axis, keepdims), x)


def test_max_splits_the_gradient_between_ties():
    from tinydl import Tensor
    x = Tensor(np.array([1.0, 3.0, 3.0]), requires_grad=True)
    F.max(x).backward()
    np.testing.assert_array_equal(x.grad, [0, 0.5, 0.5])


# -- shape operations --------------------------------------------------------------

@given(st.data())
def test_grad_reshape(data):
    x = data.draw(tst.arrays(tst.shapes()))
    new = data.draw(st.permutations(list(x.shape) + [1]))
    gradcheck(lambda x: F.reshape(x, new), x)


@given(st.data())
def test_grad_transpose(data):
    x = data.draw(tst.arrays(tst.shapes(min_dims=1, max_dims=4)))
    axes = data.draw(st.none() | st.permutations(range(x.ndim)))
    gradcheck(lambda x: F.transpose(x, axes), x)


@st.composite
def indices(draw, shape):
    """Basic indices (ints, slices with steps, None, Ellipsis) and advanced integer
    arrays with repeats, which need np.add.at in backward."""
    kind = draw(st.sampled_from(["basic", "int_array", "bool"]))
    if kind == "int_array":
        return np.array(draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=5)))
    if kind == "bool":
        return np.array(draw(st.lists(st.booleans(), min_size=shape[0], max_size=shape[0])))
    items = []
    for side in shape:
        items.append(draw(st.one_of(st.integers(-side, side - 1),
                                    st.slices(side), st.just(slice(None)))))
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), None)
    return tuple(items)


@given(st.data())
def test_grad_getitem(data):
    x = data.draw(tst.arrays(tst.shapes(min_dims=1, max_dims=3)))
    index = data.draw(indices(x.shape))
    gradcheck(lambda x: x[index], x)


@given(st.data())
def test_grad_concatenate(data):
    shape = data.draw(tst.shapes(min_dims=1, max_dims=3))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    xs = [data.draw(tst.arrays(shape[:axis % len(shape)] + (s,) + shape[axis % len(shape) + 1:]))
          for s in sizes]
    gradcheck(lambda *xs: F.concatenate(xs, axis=axis), *xs)


@given(st.data())
def test_grad_stack(data):
    shape = data.draw(tst.shapes(min_dims=0, max_dims=3))
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    xs = [data.draw(tst.arrays(shape)) for _ in range(data.draw(st.integers(1, 3)))]
    gradcheck(lambda *xs: F.stack(xs, axis=axis), *xs)


@given(st.data())
def test_grad_flatten(data):
    gradcheck(F.flatten, data.draw(tst.arrays(tst.shapes(min_dims=1, max_dims=4))))


# -- elementwise math --------------------------------------------------------------

@given(st.data())
def test_grad_exp(data):
    gradcheck(F.exp, data.draw(tst.arrays(tst.shapes())))


@given(st.data())
def test_grad_log(data):
    gradcheck(F.log, data.draw(tst.positive_arrays(tst.shapes())))


@given(st.data())
def test_grad_sqrt(data):
    gradcheck(F.sqrt, data.draw(tst.positive_arrays(tst.shapes())))


@given(st.data())
def test_grad_abs(data):
    gradcheck(F.abs, data.draw(tst.arrays(tst.shapes(), away_from=(0.0,))))


@given(st.data(), st.floats(-2, 0), st.floats(0, 2))
def test_grad_clip(data, lo, hi):
    x = data.draw(tst.arrays(tst.shapes(), away_from=(lo, hi)))
    gradcheck(lambda x: F.clip(x, lo, hi), x)


# -- activations (article section 3.1.4) --------------------------------------------

@given(st.data())
def test_grad_linear(data):
    gradcheck(lambda x: F.linear(x) * 1.0, data.draw(tst.arrays(tst.shapes())))


@given(st.data())
def test_grad_sigmoid(data):
    gradcheck(F.sigmoid, data.draw(tst.arrays(tst.shapes(), -8, 8)))


@given(st.data())
def test_grad_relu(data):
    gradcheck(F.relu, data.draw(tst.arrays(tst.shapes(), away_from=(0.0,))))


@given(st.data())
def test_grad_tanh(data):
    gradcheck(F.tanh, data.draw(tst.arrays(tst.shapes())))


@given(st.data(), st.floats(0.0, 0.9))
def test_grad_leaky_relu(data, alpha):
    x = data.draw(tst.arrays(tst.shapes(), away_from=(0.0,)))
    gradcheck(lambda x: F.leaky_relu(x, alpha), x)


@given(st.data())
def test_grad_softmax(data):
    x = data.draw(tst.arrays(tst.shapes()))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    gradcheck(lambda x: F.softmax(x, axis=axis), x)


@given(st.data())
def test_grad_log_softmax(data):
    x = data.draw(tst.arrays(tst.shapes()))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    gradcheck(lambda x: F.log_softmax(x, axis=axis), x)


@given(st.integers(2, 16), st.integers(0, 2**32 - 1))
def test_softmax_over_few_classes_of_many_positions(k, seed):
    # above 4096 elements, up to 16 classes, the reductions loop over the classes
    # (reduce_last_axis): the same values as numpy's own reductions, forward
    # and backward (the gradients are checked by central differences on small arrays above)
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=5.0, size=(3, 40, 50, k))
    g = rng.normal(size=x.shape)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    s = e / e.sum(axis=-1, keepdims=True)
    xt = Tensor(x, requires_grad=True)
    y = F.softmax(xt)
    y.backward(g)
    np.testing.assert_allclose(y.data, s, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(xt.grad, s * (g - (g * s).sum(axis=-1, keepdims=True)),
                               rtol=1e-10, atol=1e-13)
    log_s = np.log(s)
    xt = Tensor(x, requires_grad=True)
    y = F.log_softmax(xt)
    y.backward(g)
    np.testing.assert_allclose(y.data, log_s, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(xt.grad, g - s * g.sum(axis=-1, keepdims=True),
                               rtol=1e-10, atol=1e-12)


# -- dropout: the mask is random, so each evaluation re-seeds the same generator ------

@given(st.data(), st.floats(0.0, 0.9), st.integers(0, 2**32 - 1))
def test_grad_dropout(data, rate, seed):
    x = data.draw(tst.arrays(tst.shapes()))
    gradcheck(lambda x: F.dropout(x, rate, training=True, rng=np.random.default_rng(seed)), x)
