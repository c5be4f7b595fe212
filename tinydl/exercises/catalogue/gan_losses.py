"""Exercise `gan_losses`: the discriminator's and the non-saturating generator's loss (§3.2.4)."""
import numpy as np
from hypothesis import strategies as st

from ...autograd import Tensor
from ...testing import strategies as tst
from .. import formulas
from ..checks import Check, assert_close, assert_gradients, for_all, run_backward
from ..exercise import Exercise

STUB = '''\
"""tinydl exercise `gan_losses` (article section 3.2.4, the GAN's loss functions).

Write both losses with tinydl's Tensor operations (+, -, *, /, .exp(), .log(), .abs(),
.clip(lo, hi), .mean(), ...): autograd then differentiates them for you.
Then run:  tinydl exercise check gan_losses
"""
from tinydl import Tensor


def discriminator_loss(real_logits, fake_logits):
    """The discriminator's loss of section 3.2.4,

        L_d = -E_x[log D(x)] - E_z[log(1 - D(G(z)))]

    where D(x) = σ(l) = 1 / (1 + e^(-l)) is the discriminator's probability that x is
    real, computed from its raw output l (the logit). The article applies the second
    expectation to D(x) with x ~ p_z; it means D applied to the generated images G(z).

    real_logits: Tensor of D's logits on a batch of real images, any shape.
    fake_logits: Tensor of D's logits on a batch of generated images, any shape.
    Each E is the mean over its batch. Return a 0-d Tensor.

    It must stay finite for logits as large as ±1e4: σ(-1e4) is 0 in floating point and
    log 0 = -inf. Rewrite -log σ(l) and -log(1 - σ(l)) so that no exp can overflow:
    -log σ(l) = log(1 + e^(-l)) = max(-l, 0) + log(1 + e^(-|l|)).
    """
    raise NotImplementedError("discriminator_loss")


def generator_loss(fake_logits):
    """The generator's NON-saturating loss (Goodfellow et al.'s practical choice):

        L_g = -E_z[log D(G(z))]

    The article prints the saturating E_z[log(1 - D(G(z)))], whose gradient vanishes
    exactly when D rejects the fakes confidently, early in training. Both push D(G(z))
    towards 1. fake_logits: Tensor, any shape; return a 0-d Tensor, finite at ±1e4.
    """
    raise NotImplementedError("generator_loss")
'''

HINTS = (
    "Write one helper first, softplus(t) = log(1 + e^t) = max(t, 0) + log(1 + e^(-|t|)), "
    "with Tensor methods: .clip(0, None) is max(t, 0). Never call .exp() on a number "
    "that can be large and positive; e^(-|t|) is at most 1.",
    "With that helper: -log σ(l) = softplus(-l) and -log(1 - σ(l)) = softplus(l).",
    "So L_d is the batch mean of softplus at minus the real logits plus the batch mean of "
    "softplus at the fake logits, and L_g the batch mean of softplus at minus the fake "
    "logits. The saturating loss would be minus the mean of softplus at the fake logits: "
    "not that one.",
)


def softplus(v):
    return max(v, 0.0) + np.log1p(np.exp(-abs(v)))


def literal_d(real, fake):
    return (-np.mean([formulas.log_sigmoid(v) for v in real.ravel()])
            - np.mean([formulas.log_sigmoid(-v) for v in fake.ravel()]))


def literal_g(fake):
    return -np.mean([formulas.log_sigmoid(v) for v in fake.ravel()])


@st.composite
def batches(draw, away=False):
    kinks = (0.0,) if away else ()
    real = draw(tst.arrays(tst.shapes(max_dims=2), -6.0, 6.0, away_from=kinks))
    fake = draw(tst.arrays(tst.shapes(max_dims=2), -6.0, 6.0, away_from=kinks))
    return {"real_logits": real, "fake_logits": fake}


def discriminator_matches(student, seed):
    def one(p):
        got = student.discriminator_loss(Tensor(p["real_logits"]), Tensor(p["fake_logits"]))
        assert_close(p, literal_d(p["real_logits"], p["fake_logits"]), got, "L_d")
    for_all(student, batches(), one, seed)


def generator_matches(student, seed):
    def one(p):
        fake = p["fake_logits"]
        assert_close({"fake_logits": fake}, literal_g(fake),
                     student.generator_loss(Tensor(fake)), "L_g")
    for_all(student, batches(), one, seed)


def gradients(student, seed):
    # steered away from 0, where the stable forms' |l| and max(l, 0) have their kinks
    def one(p):
        assert_gradients(student.discriminator_loss, p)
        assert_gradients(student.generator_loss, {"fake_logits": p["fake_logits"]})
    for_all(student, batches(away=True), one, seed)


def stable_at_1e4(student, seed):
    real, fake = np.array([1e4, -1e4]), np.array([-1e4, 1e4])
    p = {"real_logits": real, "fake_logits": fake}
    out, (d_real, d_fake) = run_backward(student.discriminator_loss, [real, fake])
    assert_close(p, 1e4, out, "L_d")       # half of each batch is judged wrong by 1e4
    assert_close(p, [0.0, -0.5], d_real, "dL_d/d real_logits")
    assert_close(p, [0.0, 0.5], d_fake, "dL_d/d fake_logits")
    out, (d_fake,) = run_backward(student.generator_loss, [fake])
    assert_close({"fake_logits": fake}, 5e3, out, "L_g")
    assert_close({"fake_logits": fake}, [-0.5, 0.0], d_fake, "dL_g/d fake_logits")


def trial(student, data="auto"):
    from ..trainer import train_toy_gan
    return train_toy_gan(student.discriminator_loss, student.generator_loss)


EXERCISE = Exercise(
    name="gan_losses",
    title="The GAN's discriminator loss and non-saturating generator loss",
    section="3.2.4",
    stub=STUB,
    hints=HINTS,
    checks=(
        Check("discriminator loss matches -E[log D(x)] - E[log(1 - D(G(z)))]",
              discriminator_matches),
        Check("generator loss is the non-saturating -E[log D(G(z))]", generator_matches),
        Check("gradients pass gradcheck", gradients),
        Check("stable at logits = ±1e4", stable_at_1e4),
    ),
    defines=("discriminator_loss", "generator_loss"),
    forbidden=("discriminator_loss", "generator_loss", "binary_crossentropy",
               "BinaryCrossentropyFromLogits", "BinaryCrossentropyFromLogitsOp"),
    trial=trial,
)
