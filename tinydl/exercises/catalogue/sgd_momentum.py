"""Exercise `sgd_momentum`: gradient descent (§3.1.4) and SGD with momentum (Keras' rule)."""
import numpy as np
from hypothesis import strategies as st

from ...testing import strategies as tst
from ..checks import Check, assert_close, for_all
from ..exercise import Exercise

STUB = '''\
"""tinydl exercise `sgd_momentum` (article section 3.1.4: gradient descent θ ← θ - α∇J(θ);
section 6's FAQ on choosing an optimizer).

Complete the function, then run:  tinydl exercise check sgd_momentum
"""
import numpy as np


def sgd_momentum_step(theta, grad, velocity, learning_rate, momentum):
    """One step of stochastic gradient descent with momentum (Keras' SGD):

        v ← μ·v - α·g
        θ ← θ + v

    θ = theta, g = grad (∇J(θ)), v = velocity (starts at zeros), α = learning_rate > 0,
    μ = momentum in [0, 1). With μ = 0 this is the article's θ ← θ - α·∇J(θ).
    theta, grad and velocity are float arrays of the same shape.

    Returns the pair (new theta, new velocity) as arrays. Either build new arrays or
    update the given ones in place and return them.
    """
    raise NotImplementedError("sgd_momentum_step")
'''

HINTS = (
    "Two lines, in the order of the formula: first the new velocity, then θ moves by it.",
    "The velocity is a running sum of past steps, decayed by μ each time: with μ = 0 it "
    "is just -α·g and θ ← θ - α·g.",
    "Return the new θ and the NEW velocity (not the old one), and mind the sign: θ moves "
    "by +v, because v already holds the -α·g.",
)


@st.composite
def runs(draw, momentum):
    shape = draw(tst.shapes(max_dims=2))
    grads = [draw(tst.arrays(shape)) for _ in range(5 if momentum else 1)]
    return {"theta": draw(tst.arrays(shape)), "grads": grads,
            "learning_rate": draw(st.floats(0.001, 0.5)),
            "momentum": draw(st.floats(0.0, 0.95)) if momentum else 0.0}


def literal(theta, grads, learning_rate, momentum):
    theta, v = theta.copy(), np.zeros_like(theta)
    for g in grads:
        for k in np.ndindex(theta.shape):
            v[k] = momentum * v[k] - learning_rate * g[k]
            theta[k] = theta[k] + v[k]
    return theta, v


def matches(momentum):
    def run(student, seed):
        def one(inputs):
            theta, v = inputs["theta"].copy(), np.zeros_like(inputs["theta"])
            for g in inputs["grads"]:
                result = student.sgd_momentum_step(theta, g.copy(), v, inputs["learning_rate"],
                                                   inputs["momentum"])
                theta, v = result
            want_theta, want_v = literal(**inputs)
            shown = inputs | {"grads": np.array(inputs["grads"])}
            assert_close(shown, want_theta, theta, f"θ after {len(inputs['grads'])} step(s)")
            assert_close(shown, want_v, v, f"the velocity after {len(inputs['grads'])} step(s)")
        for_all(student, runs(momentum), one, seed)
    return run


def trial(student, data="auto"):
    from ..trainer import Parts, StepOptimizer, train_cnn

    def step(p, g, state):
        state.setdefault("velocity", np.zeros_like(p))
        theta, state["velocity"] = student.sgd_momentum_step(p, g, state["velocity"], 0.05, 0.9)
        return theta
    return train_cnn(Parts(optimizer=StepOptimizer(step)),
                     "your SGD with momentum (α = 0.05, μ = 0.9) as the optimizer", data=data)


EXERCISE = Exercise(
    name="sgd_momentum",
    title="Gradient descent and SGD with momentum",
    section="3.1.4, 6",
    stub=STUB,
    hints=HINTS,
    checks=(
        Check("momentum 0 is θ ← θ - α·g", matches(momentum=False)),
        Check("five steps match v ← μv - αg, θ ← θ + v", matches(momentum=True)),
    ),
    defines=("sgd_momentum_step",),
    forbidden=("SGD",),
    trial=trial,
)
