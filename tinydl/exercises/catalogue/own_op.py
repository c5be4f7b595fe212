"""Exercise `own_op`: any differentiable op the student invents, checked by gradcheck alone."""
import numpy as np
from hypothesis import strategies as st

from ...autograd import Tensor
from ...testing import strategies as tst
from ..checks import Check, CheckFailure, as_array, assert_gradients, for_all
from ..exercise import Exercise

STUB = '''\
"""tinydl exercise `own_op`: write your own op (the article's section 3 builds every
network from ops like these: a formula forward, its derivative backward).

Invent any differentiable function of one or more arrays, e.g. softplus log(1 + e^x),
x·tanh(y), the swish x·σ(x), a 1-D convolution... Describe it in the docstring, declare
its inputs below, then run:  tinydl exercise check own_op
It is graded by gradcheck alone: your backward against central differences of your
forward, on values drawn at random.
"""
import numpy as np

from tinydl import Function

#: The shape of each input of MyOp.forward, in order (at most 64 elements each).
INPUT_SHAPES = [(3, 4)]
#: Inputs are drawn between these two values (e.g. (0.1, 3.0) if you take a log).
VALUE_RANGE = (-3.0, 3.0)
#: Points where your op has a kink (not differentiable), e.g. (0.0,) for |x|: drawn
#: values keep a margin from them, since central differences there mean nothing.
KINKS = ()


class MyOp(Function):
    """Describe your op here: its formula, and the derivative backward uses.

    forward(*inputs): one float64 array per entry of INPUT_SHAPES; return the output
        (any shape, float64 for float64 inputs).
    backward(grad): grad = dL/d(output); return dL/d(input) for each input: a tuple
        when there are several, each with its input's shape.
    """

    def forward(self, x):
        raise NotImplementedError("MyOp.forward")

    def backward(self, grad):
        raise NotImplementedError("MyOp.backward")
'''

HINTS = (
    "Pick something with a derivative you can write down: softplus log(1 + e^x) has "
    "derivative σ(x); x·y has derivatives y and x.",
    "Keep in forward what backward needs (the inputs, or an intermediate value), and "
    "multiply by grad: backward returns grad · (d output / d input), elementwise for an "
    "elementwise op.",
    "For an op with two inputs, return a tuple (dL/dx, dL/dy). If the output is smaller "
    "than an input (a sum, a mean), broadcast grad back to the input's shape.",
)

MAX_ELEMENTS = 64


def declaration(student):
    shapes = getattr(student, "INPUT_SHAPES", None)
    low, high = getattr(student, "VALUE_RANGE", (-3.0, 3.0))
    kinks = tuple(getattr(student, "KINKS", ()))
    if (not isinstance(shapes, list | tuple) or not shapes
            or not all(isinstance(s, tuple) and all(isinstance(d, int) and d >= 1 for d in s)
                       and int(np.prod(s)) <= MAX_ELEMENTS for s in shapes)):
        raise CheckFailure(f"INPUT_SHAPES must be a non-empty list of shapes (tuples of positive "
                           f"ints, at most {MAX_ELEMENTS} elements each); got {shapes!r}")
    if not low < high:
        raise CheckFailure(f"VALUE_RANGE must be (low, high) with low < high; got {(low, high)}")
    return shapes, float(low), float(high), kinks


def inputs_for(student):
    shapes, low, high, kinks = declaration(student)
    return st.tuples(*(tst.arrays(s, low, high, away_from=kinks) for s in shapes)).map(
        lambda xs: {f"input {i}": x for i, x in enumerate(xs)})


def forward_runs(student, seed):
    def one(p):
        out = as_array(student.MyOp.apply(*p.values()), "the output")
        if not np.all(np.isfinite(out)):
            raise CheckFailure(f"the output holds nan or inf: {out}")
    for_all(student, inputs_for(student), one, seed)


def backward_gradcheck(student, seed):
    def one(p):
        assert_gradients(student.MyOp.apply, p)
    for_all(student, inputs_for(student), one, seed)


def depends_on_inputs(student, seed):
    shapes, low, high, _ = declaration(student)
    rng = np.random.default_rng(seed)
    first, second = ([Tensor(rng.uniform(low, high, s)) for s in shapes] for _ in range(2))
    if np.array_equal(as_array(student.MyOp.apply(*first), "the output"),
                      as_array(student.MyOp.apply(*second), "the output")):
        raise CheckFailure("the output is the same for two different random inputs: a constant "
                           "op passes gradcheck trivially; invent one that computes something")


EXERCISE = Exercise(
    name="own_op",
    title="Write your own op: any Function, checked by gradcheck alone",
    section="3",
    stub=STUB,
    hints=HINTS,
    checks=(
        Check("forward runs and gives finite values", forward_runs),
        Check("backward passes gradcheck", backward_gradcheck),
        Check("the output depends on the inputs", depends_on_inputs),
    ),
    defines=("MyOp", "INPUT_SHAPES"),
)
