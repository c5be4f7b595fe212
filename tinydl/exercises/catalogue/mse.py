"""Exercise `mse`: the mean squared error and its gradient (article §3.1.4)."""
from hypothesis import strategies as st

from ...testing import strategies as tst
from ..checks import Check, assert_close, assert_gradients, for_all
from ..exercise import Exercise

STUB = '''\
"""tinydl exercise `mse` (article section 3.1.4, loss functions).

Complete the two methods below, then run:  tinydl exercise check mse
"""
import numpy as np

from tinydl import Function


class MSE(Function):
    """Mean squared error over all n elements (Keras' argument order: targets first):

        L(y, ŷ) = (1/n) Σ_i (y_i - ŷ_i)²

    forward(y_true, y_pred): two float arrays of the same, any, shape; n = y_pred.size.
                             Return L as a 0-d array, e.g. np.asarray(value).
    backward(grad):          grad = dL_total/dL, a 0-d array (a number). Return the pair
                             (None, dL_total/dŷ): None because the targets need no
                             gradient, then the gradient for y_pred (same shape as y_pred).
    """

    def forward(self, y_true, y_pred):
        raise NotImplementedError("MSE.forward: compute the mean of the squared errors")

    def backward(self, grad):
        raise NotImplementedError("MSE.backward: return (None, dL/dy_pred)")
'''

HINTS = (
    "The mean is over every element, not over the rows: n = y_pred.size, or just .mean().",
    "Differentiate one term: d/dŷ_i of (y_i - ŷ_i)² is -2 (y_i - ŷ_i), and every term is "
    "divided by n.",
    "dL/dŷ = grad · 2 (ŷ - y) / n; mind the sign (it is ŷ - y, not y - ŷ) and the factor 2.",
)


@st.composite
def pairs(draw):
    shape = draw(tst.shapes())
    return {"y_true": draw(tst.arrays(shape)), "y_pred": draw(tst.arrays(shape))}


def literal(y_true, y_pred):
    t, p = y_true.ravel(), y_pred.ravel()
    return sum((t[i] - p[i]) ** 2 for i in range(t.size)) / t.size


def forward_matches(student, seed):
    def one(inputs):
        assert_close(inputs, literal(**inputs), student.MSE.apply(*inputs.values()), "L")
    for_all(student, pairs(), one, seed)


def backward_gradcheck(student, seed):
    def one(inputs):
        y_true = inputs["y_true"]   # a constant: the gradient is checked for y_pred
        assert_gradients(lambda p: student.MSE.apply(y_true, p), {"y_pred": inputs["y_pred"]},
                         {"y_true": y_true})
    for_all(student, pairs(), one, seed)


def trial(student, data="auto"):
    from ..trainer import Parts, train_cnn, softmax_then
    return train_cnn(Parts(loss=softmax_then(student.MSE.apply)),
                     "your MSE between the one-hot labels and the softmax probabilities "
                     "as the training loss", data=data)


EXERCISE = Exercise(
    name="mse",
    title="Mean squared error (1/n) Σ (y - ŷ)² and its gradient",
    section="3.1.4",
    stub=STUB,
    hints=HINTS,
    checks=(
        Check("forward matches (1/n) Σ (y - ŷ)²", forward_matches),
        Check("backward passes gradcheck", backward_gradcheck),
    ),
    defines=("MSE",),
    forbidden=("mse", "mean_squared_error"),
    trial=trial,
)
