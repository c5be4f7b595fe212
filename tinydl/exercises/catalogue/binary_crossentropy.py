"""Exercise `binary_crossentropy`: cross-entropy with the brackets the article forgets (§3.1.4)."""
import math

import numpy as np
from hypothesis import strategies as st

from ...testing import strategies as tst
from ..checks import Check, assert_close, assert_gradients, for_all
from ..exercise import Exercise

STUB = '''\
"""tinydl exercise `binary_crossentropy` (article section 3.1.4, loss functions).

The article prints this loss without its brackets, so that the minus sign and the 1/n
reach only the first term. Write the correct formula below, then run:
    tinydl exercise check binary_crossentropy
"""
import numpy as np

from tinydl import Function


class BinaryCrossentropy(Function):
    """Binary cross-entropy on probabilities, the mean over all n elements:

        L(y, ŷ) = -(1/n) Σ_i [ y_i log ŷ_i + (1 - y_i) log(1 - ŷ_i) ]

    (the square brackets hold BOTH terms). Targets y_i in [0, 1] (usually 0 or 1);
    predictions ŷ_i strictly between 0 and 1 (you need not clip them here).

    forward(y_true, y_pred): two float arrays of the same, any, shape; n = y_pred.size.
                             Return L as a 0-d array, e.g. np.asarray(value).
    backward(grad):          grad = dL_total/dL, a 0-d array. Return the pair
                             (None, dL_total/dŷ): None for the targets, then the
                             gradient for y_pred (same shape as y_pred).
    """

    def forward(self, y_true, y_pred):
        raise NotImplementedError("BinaryCrossentropy.forward: compute L")

    def backward(self, grad):
        raise NotImplementedError("BinaryCrossentropy.backward: return (None, dL/dy_pred)")
'''

HINTS = (
    "Put the bracket in the code too: compute the per-element term "
    "y·log(ŷ) + (1 - y)·log(1 - ŷ) first, then take minus its mean.",
    "Differentiate the bracket for one element: d/dŷ [y log ŷ + (1-y) log(1-ŷ)] = "
    "y/ŷ - (1-y)/(1-ŷ). Then apply the -(1/n) and the upstream grad.",
    "Over one fraction: dL/dŷ = grad · (ŷ - y) / (ŷ (1 - ŷ)) / n.",
)


@st.composite
def pairs(draw):
    shape = draw(tst.shapes())
    return {"y_true": draw(tst.arrays(shape, 0.0, 1.0)),
            "y_pred": draw(tst.arrays(shape, 0.02, 0.98))}


def literal(y_true, y_pred):
    t, p = y_true.ravel(), y_pred.ravel()
    return -sum(t[i] * math.log(p[i]) + (1 - t[i]) * math.log(1 - p[i])
                for i in range(t.size)) / t.size


def forward_matches(student, seed):
    def one(inputs):
        got = student.BinaryCrossentropy.apply(*inputs.values())
        assert_close(inputs, literal(**inputs), got, "L")
    for_all(student, pairs(), one, seed)


def both_terms_bracketed(student, seed):
    # all targets 0: only the second term is left, and the loss must still be positive
    inputs = {"y_true": np.array([0.0, 0.0, 1.0, 0.0]), "y_pred": np.array([0.3, 0.6, 0.8, 0.1])}
    got = student.BinaryCrossentropy.apply(*inputs.values())
    assert_close(inputs, literal(**inputs), got, "L (with y = 0 only -(1/n) Σ log(1 - ŷ) is left)")


def backward_gradcheck(student, seed):
    def one(inputs):
        y_true = inputs["y_true"]
        assert_gradients(lambda p: student.BinaryCrossentropy.apply(y_true, p),
                         {"y_pred": inputs["y_pred"]}, {"y_true": y_true})
    for_all(student, pairs(), one, seed)


def trial(student, data="auto"):
    from ..trainer import Parts, sigmoid_then, train_cnn
    return train_cnn(Parts(loss=sigmoid_then(student.BinaryCrossentropy.apply)),
                     "your binary cross-entropy on ten sigmoid outputs (one yes/no question "
                     "per digit) as the training loss", data=data)


EXERCISE = Exercise(
    name="binary_crossentropy",
    title="Binary cross-entropy with the brackets the article forgets",
    section="3.1.4",
    stub=STUB,
    hints=HINTS,
    checks=(
        Check("forward matches -(1/n) Σ [y log ŷ + (1-y) log(1-ŷ)]", forward_matches),
        Check("both terms inside the bracket (targets all 0)", both_terms_bracketed),
        Check("backward passes gradcheck", backward_gradcheck),
    ),
    defines=("BinaryCrossentropy",),
    forbidden=("binary_crossentropy", "BinaryCrossentropyFromLogits",
               "BinaryCrossentropyFromLogitsOp"),
    trial=trial,
)
