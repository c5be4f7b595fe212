"""Exercise `dense`: the fully connected layer z = Wx + b and its backward (article §3.1.4)."""
import numpy as np
from hypothesis import strategies as st

from ...testing import strategies as tst
from ..checks import Check, assert_close, assert_gradients, for_all
from ..exercise import Exercise

STUB = '''\
"""tinydl exercise `dense` (article section 3.1.4, the fully connected layer z = Wx + b).

Complete the two methods below, then run:  tinydl exercise check dense
"""
import numpy as np

from tinydl import Function


class Dense(Function):
    """The article's z = Wx + b for a whole batch at once, one sample per row:

        z[n, j] = Σ_i x[n, i] · W[i, j] + b[j]          i.e.   Z = X W + b

    Shapes: x (N, d_in), W (d_in, d_out), b (d_out,), z (N, d_out). (Each row is the
    article's z = Wx + b written as a row vector: this W is the article's W transposed,
    the layout Keras' Dense keeps its kernel in.)

    forward(x, W, b): return z.
    backward(grad):   grad = dL/dz, shape (N, d_out); return the three gradients
                      (dL/dx, dL/dW, dL/db), each with the shape of its input.
                      Write each one out from the formula above with the chain rule;
                      b is added to every row, so every row sends it a gradient.
    """

    def forward(self, x, W, b):
        raise NotImplementedError("Dense.forward: compute x W + b")

    def backward(self, grad):
        raise NotImplementedError("Dense.backward: return (dL/dx, dL/dW, dL/db)")
'''

HINTS = (
    "forward is `x @ W + b`; NumPy broadcasts b over the rows. Keep x and W on self.",
    "Check the shapes: dL/dx must be (N, d_in) and is built from grad (N, d_out) and W "
    "(d_in, d_out); dL/dW must be (d_in, d_out) and is built from x (N, d_in) and grad. "
    "Only one way of multiplying (with a transpose) fits each.",
    "dL/dx = grad Wᵀ, dL/dW = xᵀ grad, and dL/db adds up grad over the batch (axis 0): "
    "a sum, not a mean.",
)


@st.composite
def dense_inputs(draw):
    n, d_in, d_out = (draw(st.integers(1, 4)) for _ in range(3))
    return {"x": draw(tst.arrays((n, d_in))), "W": draw(tst.arrays((d_in, d_out))),
            "b": draw(tst.arrays((d_out,)))}


def literal(x, W, b):
    z = np.zeros((x.shape[0], W.shape[1]))
    for n in range(x.shape[0]):
        for j in range(W.shape[1]):
            z[n, j] = sum(x[n, i] * W[i, j] for i in range(x.shape[1])) + b[j]
    return z


def forward_matches(student, seed):
    def one(inputs):
        assert_close(inputs, literal(**inputs), student.Dense.apply(*inputs.values()), "z")
    for_all(student, dense_inputs(), one, seed)


def backward_gradcheck(student, seed):
    def one(inputs):
        assert_gradients(student.Dense.apply, inputs)
    for_all(student, dense_inputs(), one, seed)


def trial(student, data="auto"):
    from ..trainer import Parts, train_cnn
    return train_cnn(Parts(dense=student.Dense.apply), "your Dense as the classifier layer",
                     data=data)


EXERCISE = Exercise(
    name="dense",
    title="The dense layer z = Wx + b on a batch, and its backward",
    section="3.1.4",
    stub=STUB,
    hints=HINTS,
    checks=(
        Check("forward matches z = xW + b", forward_matches),
        Check("backward passes gradcheck (x, W and b)", backward_gradcheck),
    ),
    defines=("Dense",),
    forbidden=("matmul", "MatMul", "MatmulOp", "MatmulRef", "Dense"),
    trial=trial,
)
