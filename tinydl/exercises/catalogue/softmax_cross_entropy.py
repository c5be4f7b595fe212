"""Exercise `softmax_cross_entropy`: the fused softmax + cross-entropy and its short backward."""
import math

import numpy as np
from hypothesis import strategies as st

from ...testing import strategies as tst
from ..checks import Check, assert_close, assert_gradients, for_all, run_backward
from ..exercise import Exercise

STUB = '''\
"""tinydl exercise `softmax_cross_entropy` (article sections 3.1.4 and 4: the softmax
output and the categorical cross-entropy of the listing, fused into one op).

Complete the two methods below, then run:  tinydl exercise check softmax_cross_entropy
"""
import numpy as np

from tinydl import Function


class SoftmaxCrossEntropy(Function):
    """Categorical cross-entropy of softmax(z), computed from the raw scores z (logits):

        p[n, k] = e^{z[n, k]} / Σ_j e^{z[n, j]}           (softmax over the classes)
        L = -(1/N) Σ_n Σ_k y[n, k] · log p[n, k]           (mean over the N samples)

    Shapes: y_true and logits (N, K); each row of y_true is one-hot (sums to 1).

    forward(y_true, logits): return L as a 0-d array. It must stay finite for logits as
        large as ±1e4, where e^{1e4} overflows: use log p = (z - m) - log Σ_j e^{z_j - m}
        with m the row's maximum (the same value, since the e^{-m} cancel).
    backward(grad): grad = dL_total/dL (0-d). Return (None, dL_total/dz), the gradient
        for the logits, shape (N, K). Fusing the two ops is what makes it short: derive
        it on paper first.
    """

    def forward(self, y_true, logits):
        raise NotImplementedError("SoftmaxCrossEntropy.forward: compute L")

    def backward(self, grad):
        raise NotImplementedError("SoftmaxCrossEntropy.backward: return (None, dL/dz)")
'''

HINTS = (
    "Work row by row with axis=-1 and keepdims=True: m = z.max(axis=-1, keepdims=True), then "
    "log p = (z - m) - log(Σ e^(z - m)). The largest term of that sum is e^0 = 1, so nothing "
    "overflows.",
    "For one sample, -Σ_k y_k log p_k = -Σ_k y_k z_k + log Σ_j e^{z_j} when Σ_k y_k = 1. "
    "Differentiate that with respect to z_k.",
    "dL/dz = grad · (softmax(z) - y) / N: keep p (or log p) from forward; do not forget "
    "the 1/N of the mean.",
)


@st.composite
def batches(draw):
    n, k = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    labels = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    return {"y_true": np.eye(k)[labels], "logits": draw(tst.arrays((n, k), -5.0, 5.0))}


def literal(y_true, logits):
    total = 0.0
    for n in range(logits.shape[0]):
        norm = sum(math.exp(z) for z in logits[n])
        total -= sum(y_true[n, k] * math.log(math.exp(logits[n, k]) / norm)
                     for k in range(logits.shape[1]))
    return total / logits.shape[0]


def forward_matches(student, seed):
    def one(inputs):
        assert_close(inputs, literal(**inputs),
                     student.SoftmaxCrossEntropy.apply(*inputs.values()), "L")
    for_all(student, batches(), one, seed)


def backward_gradcheck(student, seed):
    def one(inputs):
        y_true = inputs["y_true"]
        assert_gradients(lambda z: student.SoftmaxCrossEntropy.apply(y_true, z),
                         {"logits": inputs["logits"]}, {"y_true": y_true})
    for_all(student, batches(), one, seed)


def stable_at_1e4(student, seed):
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    z = np.array([[1e4, -1e4, 0.0], [1e4, 0.0, -1e4]])
    out, (_, dz) = run_backward(student.SoftmaxCrossEntropy.apply, [y, z])
    inputs = {"y_true": y, "logits": z}
    # sample 0 is right with certainty (loss 0), sample 1 wrong by 1e4: L = (0 + 1e4) / 2
    assert_close(inputs, 5000.0, out, "L")
    assert_close(inputs, [[0.0, 0.0, 0.0], [0.5, -0.5, 0.0]], dz, "dL/dz")


def trial(student, data="auto"):
    from ..trainer import Parts, train_cnn
    return train_cnn(Parts(loss=student.SoftmaxCrossEntropy.apply),
                     "your fused softmax + cross-entropy as the training loss", data=data)


EXERCISE = Exercise(
    name="softmax_cross_entropy",
    title="Fused softmax + cross-entropy from logits, and its backward",
    section="3.1.4, 4",
    stub=STUB,
    hints=HINTS,
    checks=(
        Check("forward matches -(1/N) Σ y log softmax(z)", forward_matches),
        Check("backward passes gradcheck", backward_gradcheck),
        Check("stable at logits = ±1e4", stable_at_1e4),
    ),
    defines=("SoftmaxCrossEntropy",),
    forbidden=("categorical_crossentropy", "CategoricalCrossentropyFromLogits",
               "CategoricalCrossentropyFromLogitsOp", "softmax", "log_softmax", "Softmax",
               "SoftmaxOp", "SoftmaxRef", "LogSoftmax", "LogSoftmaxOp", "LogSoftmaxRef",
               "stable_log_softmax"),
    trial=trial,
)
