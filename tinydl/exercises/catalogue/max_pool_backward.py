"""Exercise `max_pool_backward`: max-pooling and its backward, with ties (article §4)."""
import numpy as np
from hypothesis import strategies as st

from ...testing import strategies as tst
from .. import formulas
from ..checks import Check, assert_close, assert_gradients, for_all, run_backward
from ..exercise import Exercise

STUB = '''\
"""tinydl exercise `max_pool_backward` (article section 4: the MaxPooling2D layer of the
listing). Complete the two methods, then run:  tinydl exercise check max_pool_backward
"""
import numpy as np

from tinydl import Function


class MaxPool2D(Function):
    """Max-pooling over non-overlapping p×p windows (stride p, no padding):

        y[n, i, j, c] = max_{0 ≤ a, b < p} x[n, p·i + a, p·j + b, c]

    x (N, H, W, C) channels last; y (N, H // p, W // p, C). When H or W is not a
    multiple of p, the last rows / columns that fill no whole window are left out
    (as Keras' 'valid' does).

    forward(x, pool_size=2): return y (pool_size is p).
    backward(grad): grad = dL/dy (N, H // p, W // p, C); return dL/dx, shape of x. Each
        window's gradient goes to ONE pixel: the maximum of the window. When several
        pixels tie for the maximum, it goes to the first of them in row-major order
        (smallest a, then smallest b), as Keras and PyTorch do. Every other pixel, and
        the left-out rows and columns, get 0.
    """

    def forward(self, x, pool_size=2):
        raise NotImplementedError("MaxPool2D.forward: the maximum of every window")

    def backward(self, grad):
        raise NotImplementedError("MaxPool2D.backward: route each window's gradient")
'''

HINTS = (
    "Cut x to the whole windows, x[:, :H//p*p, :W//p*p], and reshape it to "
    "(N, H//p, p, W//p, p, C): then the window maximum is .max(axis=(2, 4)).",
    "For backward, move the window axes together, (N, H//p, W//p, C, p·p) with "
    "transpose + reshape: np.argmax along the last axis returns the FIRST maximum in "
    "row-major (a, b) order: exactly the tie rule.",
    "A mask `window == max` marks every tied pixel, so it would copy the gradient to all "
    "of them: use the argmax instead (np.put_along_axis writes grad at that index of a "
    "zero array), then undo the transpose and reshape and pad the left-out rows and "
    "columns with zeros.",
)


@st.composite
def pooling(draw, values):
    p = draw(st.integers(2, 3))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(p, 7)), draw(st.integers(p, 7))
    shape = (n, h, w, c)
    if values == "distinct":
        x = draw(tst.distinct_arrays(shape))
    elif values == "ties":   # few distinct values: many windows with tied maxima
        x = np.array(draw(st.lists(st.integers(0, 1), min_size=n * h * w * c,
                                   max_size=n * h * w * c)), dtype=np.float64).reshape(shape)
    else:
        x = draw(tst.arrays(shape))
    return {"x": x, "pool_size": p}


def forward_matches(student, seed):
    def one(inputs):
        assert_close(inputs, formulas.max_pool2d(inputs["x"], inputs["pool_size"]),
                     student.MaxPool2D.apply(inputs["x"], pool_size=inputs["pool_size"]), "y")
    for_all(student, pooling("any"), one, seed)


def backward_gradcheck(student, seed):
    def one(inputs):
        p = inputs["pool_size"]
        assert_gradients(lambda x: student.MaxPool2D.apply(x, pool_size=p), {"x": inputs["x"]},
                         {"pool_size": p})
    for_all(student, pooling("distinct"), one, seed)


def ties(student, seed):
    def one(inputs):
        x, p = inputs["x"], inputs["pool_size"]
        out_shape = (x.shape[0], x.shape[1] // p, x.shape[2] // p, x.shape[3])
        grad = np.arange(1.0, np.prod(out_shape) + 1).reshape(out_shape)
        _, (dx,) = run_backward(lambda t: student.MaxPool2D.apply(t, pool_size=p), [x], grad)
        assert_close(inputs | {"grad": grad}, formulas.max_pool2d_backward(x, p, grad), dx,
                     "dL/dx")
    for_all(student, pooling("ties"), one, seed)


def trial(student, data="auto"):
    from ..trainer import Parts, train_cnn
    return train_cnn(Parts(pool=lambda h: student.MaxPool2D.apply(h, pool_size=2)),
                     "your MaxPool2D after the convolution", data=data)


EXERCISE = Exercise(
    name="max_pool_backward",
    title="Max-pooling forward and backward, ties to the first maximum",
    section="4",
    stub=STUB,
    hints=HINTS,
    checks=(
        Check("forward matches the window maximum", forward_matches),
        Check("backward passes gradcheck (distinct values)", backward_gradcheck),
        Check("ties: the gradient goes to the first maximum only", ties),
    ),
    defines=("MaxPool2D",),
    forbidden=("max_pool2d", "MaxPool2D", "MaxPool2dOp", "MaxPool2dRef", "MaxPooling2D"),
    trial=trial,
)
