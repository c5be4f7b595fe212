"""Exercise `sigmoid`: the sigmoid activation and its derivative (article §3.1.4)."""
import numpy as np

from ...testing import strategies as tst
from ..checks import Check, assert_close, assert_gradients, for_all, run_backward
from ..exercise import Exercise

STUB = '''\
"""tinydl exercise `sigmoid` (article section 3.1.4, activation functions).

Complete the two methods below, then run:  tinydl exercise check sigmoid
"""
import numpy as np

from tinydl import Function


class Sigmoid(Function):
    """The sigmoid activation, elementwise:

        σ(x) = 1 / (1 + e^(-x))            values in (0, 1)

    forward(x):     x is a float array of any shape; return σ(x), same shape.
    backward(grad): grad = dL/dσ(x), same shape as the output; return dL/dx, using

        σ'(x) = σ(x) · (1 - σ(x))          (the chain rule: dL/dx = grad · σ'(x))

    Save on `self` in forward whatever backward needs. Both must stay finite (no nan)
    for inputs as large as x = ±1e4.
    """

    def forward(self, x):
        raise NotImplementedError("Sigmoid.forward: compute σ(x)")

    def backward(self, grad):
        raise NotImplementedError("Sigmoid.backward: return grad · σ'(x)")
'''

HINTS = (
    "forward is one line of NumPy: np.exp works elementwise on the whole array.",
    "backward needs σ(x) again: keep forward's result, e.g. `self.out = ...`, and reuse it "
    "instead of recomputing e^(-x).",
    "Written with the saved output s, the derivative is s·(1 - s), so backward returns "
    "grad times that. Avoid forms like e^(-x) / (1 + e^(-x))²: at x = -1e4 both parts "
    "overflow to inf and inf/inf is nan.",
)


def forward_matches(student, seed):
    def one(p):
        assert_close(p, 1 / (1 + np.exp(-p["x"])), student.Sigmoid.apply(p["x"]), "σ(x)")
    for_all(student, tst.arrays(tst.shapes(), -8.0, 8.0).map(lambda x: {"x": x}), one, seed)


def backward_gradcheck(student, seed):
    def one(p):
        assert_gradients(student.Sigmoid.apply, p)
    for_all(student, tst.arrays(tst.shapes(), -6.0, 6.0).map(lambda x: {"x": x}), one, seed)


def stable_at_1e4(student, seed):
    x = np.array([-1e4, -30.0, 0.0, 30.0, 1e4])
    s = np.array([0.0, 1 / (1 + np.exp(30.0)), 0.5, 1 / (1 + np.exp(-30.0)), 1.0])
    out, (dx,) = run_backward(student.Sigmoid.apply, [x])
    assert_close({"x": x}, s, out, "σ(x)", atol=1e-12)
    assert_close({"x": x, "grad": np.ones_like(x)}, s * (1 - s), dx, "dL/dx", atol=1e-12)


def trial(student, data="auto"):
    from ..trainer import Parts, train_cnn
    return train_cnn(Parts(activation=student.Sigmoid.apply),
                     "your Sigmoid as the activation after the convolution", data=data)


EXERCISE = Exercise(
    name="sigmoid",
    title="The sigmoid activation σ(x) = 1/(1+e^-x) and its backward",
    section="3.1.4",
    stub=STUB,
    hints=HINTS,
    checks=(
        Check("forward matches 1/(1+e^-x)", forward_matches),
        Check("backward passes gradcheck", backward_gradcheck),
        Check("stable at x = ±1e4", stable_at_1e4),
    ),
    defines=("Sigmoid",),
    forbidden=("sigmoid", "Sigmoid", "SigmoidOp", "SigmoidRef", "stable_sigmoid"),
    trial=trial,
)
