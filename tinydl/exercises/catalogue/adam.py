"""Exercise `adam`: Adam with bias correction, the optimizer of the article's listing (§4)."""
import numpy as np
from hypothesis import strategies as st

from ...testing import strategies as tst
from ..checks import Check, assert_close, for_all
from ..exercise import Exercise

STUB = '''\
"""tinydl exercise `adam` (article section 4: the listing compiles with Adam(lr=0.001);
Kingma & Ba 2015, the article's reference 4). Complete the function, then run:
    tinydl exercise check adam
"""
import numpy as np


def adam_step(theta, grad, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999,
              epsilon=1e-7):
    """Step t (t = 1 for the first step) of Adam, Kingma & Ba's Algorithm 1:

        m ← β1·m + (1 - β1)·g                first moment; m starts at zeros
        v ← β2·v + (1 - β2)·g²               second moment; v starts at zeros
        m̂ = m / (1 - β1^t)                   bias correction: m and v start at 0,
        v̂ = v / (1 - β2^t)                   so early on they are too small
        θ ← θ - α · m̂ / (√v̂ + ε)

    theta, grad, m, v: float arrays of the same shape. t: the step number, an int ≥ 1.
    Returns (new theta, new m, new v); building new arrays or updating in place are both
    fine. (Keras writes the same step as α_t = α·√(1 - β2^t) / (1 - β1^t),
    θ ← θ - α_t·m / (√v + ε); either form passes.)
    """
    raise NotImplementedError("adam_step")
'''

HINTS = (
    "Update m and v first, from the gradient of this step; the corrections use them.",
    "Without the bias correction, the first step is α·(1-β1)·g / (√(1-β2)·|g|) ≈ 3.2·α "
    "in size instead of α: that is what m̂ and v̂ fix. Divide by 1 - β^t with t the step "
    "number, starting at 1 (t = 0 would divide by zero).",
    "Check three things: the t in β^t is this step's number (1 on the first call); β1 "
    "corrects m and β2 corrects v (the squares); ε is added to √v̂, outside the root.",
)


@st.composite
def runs(draw, steps):
    shape = draw(tst.shapes(max_dims=2))
    # gradients kept 0.05 away from 0: there ε's placement (paper or Keras) would matter
    grads = [draw(tst.arrays(shape).map(_away)) for _ in range(steps)]
    return {"theta": draw(tst.arrays(shape)), "grads": grads,
            "learning_rate": draw(st.floats(0.001, 0.1)),
            "beta_1": draw(st.floats(0.5, 0.95)), "beta_2": draw(st.floats(0.9, 0.9999)),
            "epsilon": 1e-7}


def _away(g):
    return np.where(np.abs(g) < 0.05, np.where(g < 0, -0.05, 0.05), g)


def literal(theta, grads, learning_rate, beta_1, beta_2, epsilon):
    theta, m, v = theta.copy(), np.zeros_like(theta), np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        for k in np.ndindex(theta.shape):
            m[k] = beta_1 * m[k] + (1 - beta_1) * g[k]
            v[k] = beta_2 * v[k] + (1 - beta_2) * g[k] ** 2
            m_hat, v_hat = m[k] / (1 - beta_1 ** t), v[k] / (1 - beta_2 ** t)
            theta[k] = theta[k] - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
    return theta, m, v


def matches(steps):
    def run(student, seed):
        def one(inputs):
            theta, m, v = (inputs["theta"].copy(), np.zeros_like(inputs["theta"]),
                           np.zeros_like(inputs["theta"]))
            options = {k: inputs[k] for k in ("learning_rate", "beta_1", "beta_2", "epsilon")}
            for t, g in enumerate(inputs["grads"], start=1):
                theta, m, v = student.adam_step(theta, g.copy(), m, v, t, **options)
            want = literal(**inputs)
            shown = inputs | {"grads": np.array(inputs["grads"])}
            what = f"after {steps} step(s)"
            # a step is about α in size: an error of 0.1 % of α is a wrong formula
            assert_close(shown, want[0], theta, f"θ {what}", atol=1e-3 * inputs["learning_rate"],
                         rtol=1e-9)
            assert_close(shown, want[1], m, f"m {what}")
            assert_close(shown, want[2], v, f"v {what}")
        for_all(student, runs(steps), one, seed)
    return run


def trial(student, data="auto"):
    from ..trainer import Parts, StepOptimizer, train_cnn

    def step(p, g, state):
        if not state:
            state.update(m=np.zeros_like(p), v=np.zeros_like(p), t=0)
        state["t"] += 1
        theta, state["m"], state["v"] = student.adam_step(p, g, state["m"], state["v"],
                                                          state["t"], learning_rate=0.01)
        return theta
    return train_cnn(Parts(optimizer=StepOptimizer(step)), "your Adam (α = 0.01) as the optimizer",
                     data=data)


EXERCISE = Exercise(
    name="adam",
    title="Adam with bias correction",
    section="4",
    stub=STUB,
    hints=HINTS,
    checks=(
        Check("the first step (bias correction: θ moves by about α)", matches(1)),
        Check("ten steps match Kingma & Ba's Algorithm 1", matches(10)),
    ),
    defines=("adam_step",),
    forbidden=("Adam",),
    trial=trial,
)
