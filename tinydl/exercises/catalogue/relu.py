"""Exercise `relu`: the ReLU activation and its derivative, including at 0 (article §3.1.4)."""
import numpy as np

from ...testing import strategies as tst
from ..checks import Check, assert_close, assert_gradients, for_all, run_backward
from ..exercise import Exercise

STUB = '''\
"""tinydl exercise `relu` (article section 3.1.4, activation functions).

Complete the two methods below, then run:  tinydl exercise check relu
"""
import numpy as np

from tinydl import Function


class ReLU(Function):
    """The rectified linear unit, elementwise:

        relu(x) = max(0, x)

    forward(x):     x is a float array of any shape; return relu(x), same shape.
    backward(grad): grad = dL/drelu(x), same shape; return dL/dx = grad · relu'(x), with

        relu'(x) = 1 for x > 0,   0 for x < 0,   and 0 at x = 0 (the convention of
                                                  Keras, PyTorch and tinydl)

    Save on `self` in forward whatever backward needs.
    """

    def forward(self, x):
        raise NotImplementedError("ReLU.forward: compute max(0, x)")

    def backward(self, grad):
        raise NotImplementedError("ReLU.backward: return grad · relu'(x)")
'''

HINTS = (
    "np.maximum(x, 0) is elementwise; np.max(x, 0) is something else (a reduction).",
    "backward only needs to know where x was positive: keep a boolean mask (or the "
    "output) from forward.",
    "dL/dx is grad where x > 0 and 0 elsewhere: grad times the mask `x > 0` (strictly "
    "greater, so that x = 0 gets 0).",
)


def forward_matches(student, seed):
    def one(p):
        x = p["x"]
        assert_close(p, np.where(x > 0, x, 0.0), student.ReLU.apply(x), "relu(x)")
    for_all(student, tst.arrays(tst.shapes()).map(lambda x: {"x": x}), one, seed)


def backward_gradcheck(student, seed):
    def one(p):
        assert_gradients(student.ReLU.apply, p)
    # the kink at 0 is steered around: central differences there mean nothing
    for_all(student, tst.arrays(tst.shapes(), away_from=(0.0,)).map(lambda x: {"x": x}), one,
            seed)


def gradient_at_zero(student, seed):
    x = np.array([-2.0, -0.0, 0.0, 1e-300, 3.0])
    grad = np.array([5.0, 5.0, 5.0, 5.0, 5.0])
    out, (dx,) = run_backward(student.ReLU.apply, [x], grad)
    assert_close({"x": x}, [0.0, 0.0, 0.0, 1e-300, 3.0], out, "relu(x)", atol=0)
    assert_close({"x": x, "grad": grad}, [0.0, 0.0, 0.0, 5.0, 5.0], dx, "dL/dx (relu'(0) = 0)",
                 atol=0)


def trial(student, data="auto"):
    from ..trainer import Parts, train_cnn
    return train_cnn(Parts(activation=student.ReLU.apply),
                     "your ReLU as the activation after the convolution", data=data)


EXERCISE = Exercise(
    name="relu",
    title="ReLU max(0, x) and its backward, with relu'(0) = 0",
    section="3.1.4",
    stub=STUB,
    hints=HINTS,
    checks=(
        Check("forward matches max(0, x)", forward_matches),
        Check("backward passes gradcheck", backward_gradcheck),
        Check("gradient at x = 0 is 0", gradient_at_zero),
    ),
    defines=("ReLU",),
    forbidden=("relu", "ReLU", "ReluOp", "ReluRef"),
    trial=trial,
)
