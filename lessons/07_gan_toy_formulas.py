# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 7 · 第7课: the GAN formulas of §3.2.4, run on a 1-D toy
#
# §3.2.4 writes a generative adversarial network (生成对抗网络, GAN) as formulas: a
# generator (生成器) G, a discriminator (判别器) D, their loss functions (损失函数) and
# gradient descent (梯度下降). Here they run literally, on numbers instead of images, so
# every step takes microseconds. Three things to take away:
#
# 1. D needs a sigmoid: the article's D is not a probability, so log D(x) is undefined.
# 2. L_d must judge G(z): the article's L_d scores the noise z, not G's samples.
# 3. The saturating generator loss stalls early; −log D(G(z)) does not.

# %%
import numpy as np

from tinydl import Tensor, losses
from tinydl.optimizers import SGD

import _gan_plots as plots
from _lesson import Lesson

lesson = Lesson("07_gan_toy_formulas", "the GAN formulas of §3.2.4 on 1-D data")
REAL_MEAN = 4.0                   # the data p_d = N(4, 1.25²); the noise p_z is N(0, 1)
REAL_STD = 1.25
LEARNING_RATE = 0.1               # the article's one α, for G and for D
BATCH = 64
W_D0 = 0.05                       # D starts as W_d = 0.05, b_d = 0 (small, as initializers do)
rng = np.random.default_rng(lesson.seed)
real = rng.normal(REAL_MEAN, REAL_STD, 20_000)    # a large real sample, for the statistics
real_mean, real_std = float(real.mean()), float(real.std())
print(f"real data: mean {real_mean:.3f}, std {real_std:.3f} (p_d = N(4, 1.25²))")

# %% [markdown]
# ## The generator: one affine map
#
# > §3.2.4 `「G(z) = W_g(z) + b_g」`
# > (The generator: G(z) = W_g z + b_g, z the random noise; W_g(z) is W_g times z.)
#
# With z ~ N(0, 1), W_g z + b_g is exactly the Gaussian N(b_g, W_g²). That is enough here,
# where the data are Gaussian too (W_g = 1.25, b_g = 4 would be perfect). It is not enough
# for images: an affine map of Gaussian noise only ever makes a Gaussian cloud, never
# ten distinct digits, so lesson 8's G has hidden layers.

# %%
z = rng.standard_normal(20_000)
for w_g, b_g in ((1.0, 0.0), (1.25, 4.0)):
    g = w_g * z + b_g
    print(f"G(z) = {w_g} z + {b_g}: samples with mean {g.mean():.3f}, std {g.std():.3f}")
affine_g_std_error = abs((1.25 * z + 4.0).std() - 1.25 * z.std())   # the same, to rounding

# %% [markdown]
# ## 1. D needs a sigmoid
#
# > §3.2.4 `「D(x) = W_d(x) + b_d」`
# > (The discriminator's formula: D(x) = W_d x + b_d.)
#
# D(x) should be the probability that x is real, but an affine function leaves (0, 1).
# At W_d = 0.05, b_d = 0: D(−2) = −0.1, and log D(−2), which L_d needs, does not exist;
# D(30) = 1.5, and log(1 − D(30)) does not exist either.

# %%
print("the article's D(x) = W_d x + b_d at W_d = 0.05, b_d = 0:",
      ", ".join(f"D({x:g}) = {W_D0 * x:g}" for x in (-2.0, 4.0, 30.0)))
print(f"D(x) <= 0 on {np.mean(W_D0 * real <= 0):.2%} of the real sample")

# The article's L_d, by gradient descent, with this D (G held at G(z) = z):
w_d = Tensor(np.array([[W_D0]]), requires_grad=True, dtype="float64")
b_d = Tensor(np.array([0.0]), requires_grad=True, dtype="float64")
opt, data, affine_l_d = SGD(LEARNING_RATE), np.random.default_rng(lesson.seed), []
with np.errstate(invalid="ignore", divide="ignore"):
    for step in range(20):
        x = Tensor(data.normal(REAL_MEAN, REAL_STD, (BATCH, 1)))
        g_z = Tensor(data.standard_normal((BATCH, 1)))
        l_d = -(x @ w_d + b_d).log().mean() - (1 - (g_z @ w_d + b_d)).log().mean()
        affine_l_d.append(float(l_d.data))
        print(f"step {step}: W_d = {w_d.item():.3f}, b_d = {b_d.item():.3f}, L_d = {l_d.item():.4f}")
        if not np.isfinite(l_d.data):
            break
        opt.zero_grad([w_d, b_d])
        l_d.backward()
        opt.step([w_d, b_d])
finite = int(np.isfinite(affine_l_d).sum())
print(f"L_d was finite for {finite} step(s), then undefined: {not np.isfinite(affine_l_d[-1])}")

# %% [markdown]
# The fix is the sigmoid (σ, §3.1.4): D(x) = σ(W_d x + b_d) lies in (0, 1) for every x.
# tinydl's losses take D's logit l = W_d x + b_d and apply σ inside, in a way that never
# takes log 0. A worked example: logits 2 (a real x) and −1 (a fake) give
# L_d = −log σ(2) − log(1 − σ(−1)) = 0.1269 + 0.3133 = 0.4402.

# %%
def sigmoid(l: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-l))


by_hand = -np.log(sigmoid(2.0)) - np.log(1 - sigmoid(-1.0))
print(f"by hand {by_hand:.4f}, losses.discriminator_loss "
      f"{losses.discriminator_loss(np.array([2.0]), np.array([-1.0])).item():.4f}")

# %% [markdown]
# ## 2. L_d must judge G(z)
#
# > §3.2.4 `「- \mathbb{E}_{x\sim p_z}[\log(1-D(x))]」`, `「$p_z$是随机噪声向量的分布」`
# > (L_d's second term: the mean of log(1 − D(x)) over x ~ p_z, the noise's distribution.)
#
# Read literally, D is trained to tell real data from the noise z; G does not occur in L_d
# at all. D must judge G's samples: −E_z[log(1 − D(G(z)))]. The toy GAN below can do both
# (`d_judges="z"` is the literal reading), with a fresh real batch and fresh noise each step.

# %%
def train_toy(steps: int, d_judges: str = "G(z)", g_loss: str = "saturating",
              g_start: tuple[float, float] = (1.0, 0.0), train_g: bool = True,
              seed: int = 0) -> dict[str, np.ndarray]:
    """The toy GAN, G(z) = W_g z + b_g against D(x) = σ(W_d x + b_d), by plain gradient
    descent θ ← θ − α∇L: per step a D step on L_d, then a G step on L_g."""
    rng = np.random.default_rng(seed)
    w_g, b_g, w_d, b_d = (Tensor(np.array(v, dtype="float64"), requires_grad=True)
                          for v in ([[g_start[0]]], [g_start[1]], [[W_D0]], [0.0]))
    opt_d, opt_g = SGD(LEARNING_RATE), SGD(LEARNING_RATE)
    h = {"g_mean": [], "d_real": [], "d_fake": [], "g_grad": []}    # one value per step
    for _ in range(steps):
        x = Tensor(rng.normal(REAL_MEAN, REAL_STD, (BATCH, 1)))   # a real batch
        z = Tensor(rng.standard_normal((BATCH, 1)))               # fresh noise z ~ p_z
        fake = z @ w_g + b_g                                      # G(z)
        judged = fake.detach() if d_judges == "G(z)" else z       # "z": the literal L_d
        l_d = losses.discriminator_loss(x @ w_d + b_d, judged @ w_d + b_d)
        opt_d.zero_grad([w_d, b_d])
        l_d.backward()
        opt_d.step([w_d, b_d])                                    # the D step
        fake_logit = fake @ w_d + b_d                             # the updated D judges G(z)
        l_g = losses.generator_loss(fake_logit, g_loss)
        opt_g.zero_grad([w_g, b_g])
        l_g.backward()
        h["g_grad"].append(float(np.hypot(w_g.grad[0, 0], b_g.grad[0])))
        if train_g:
            opt_g.step([w_g, b_g])                                # the G step
        h["g_mean"].append(float(b_g.data[0]))
        h["d_real"].append(float(sigmoid(x.data @ w_d.data + b_d.data).mean()))
        h["d_fake"].append(float(sigmoid(fake_logit.data).mean()))
    return {**{k: np.array(v) for k, v in h.items()}, "W_d": w_d.item(), "b_d": b_d.item()}

# %% [markdown]
# First D alone, against a poor G fixed at N(8, 1), far to the right of the data. The
# literal D learns "real lies right of the noise", so it scores G's poor samples as
# *more* real than the data. The correct D learns to reject them.

# %%
steps = 300 if lesson.quick else 1000
fixed_bad_g = {judges: train_toy(steps, judges, g_start=(1.0, 8.0), train_g=False,
                                 seed=lesson.seed) for judges in ("z", "G(z)")}
d_scores = {}
for judges, run in fixed_bad_g.items():
    d_scores[judges] = {"d_real": run["d_real"][-50:].mean(), "d_fake": run["d_fake"][-50:].mean()}
    s = d_scores[judges]
    print(f"D trained on the L_d that judges {judges:<4}: mean D(x) = {s['d_real']:.3f}, "
          f"mean D(G(z)) = {s['d_fake']:.3f}: G's samples look "
          f"{'MORE' if s['d_fake'] > s['d_real'] else 'less'} real than the data")

# %% [markdown]
# Now G trains too, from N(0, 1), with the article's own L_g (message 3). G climbs
# whatever D rewards: with the literal L_d that is "ever further right", past the data.

# %%
trained = {judges: train_toy(steps, judges, seed=lesson.seed) for judges in ("z", "G(z)")}
g_mean_end = {judges: float(run["g_mean"][-1]) for judges, run in trained.items()}
for judges, mean in g_mean_end.items():
    print(f"L_d judges {judges:<4}: G's mean after {steps} steps {mean:8.2f} (the data: 4)")
closer = min(g_mean_end, key=lambda j: abs(g_mean_end[j] - REAL_MEAN))
print(f"the L_d that judges {closer} brings G closer to the data")
lesson.save(plots.who_d_judges(fixed_bad_g, trained, REAL_MEAN, REAL_STD), "l_d_judges.png")

# %% [markdown]
# ## 3. The saturating generator loss stalls early
#
# > §3.2.4 `「L_g = \mathbb{E}_{z\sim p_z}[\log(1-D(G(z)))]」`,
# > `「\theta_g = \theta_g - \alpha \nabla L_g(\theta_g)」`
# > (G's loss is the mean of log(1 − D(G(z))); G's parameters step down its gradient.)
#
# This is right as a formula: it is the minimax loss of Goodfellow et al. (2014), and G
# *minimises* it (no minus sign is missing). But its slope w.r.t. D's logit l is −D(G(z)):
# when D rejects the fakes (D(G(z)) = 0.01), G's signal is only −0.01. The paper itself
# recommends −log D(G(z)) in practice, whose slope there is −(1 − 0.01) = −0.99.

# %%
def loss_curves(p: np.ndarray) -> dict[str, np.ndarray]:
    """Both generator losses of one sample with D(G(z)) = p = σ(l), and their derivatives
    with respect to the logit l from tinydl's autograd (the loss is a mean over the n
    samples, so n·∂L/∂l_i is sample i's own derivative); `grad_error` compares them with
    the formulas −p and −(1 − p)."""
    curves = {"saturating": np.log1p(-p), "non_saturating": -np.log(p)}
    for kind in ("saturating", "non_saturating"):
        l = Tensor(np.log(p) - np.log1p(-p), requires_grad=True, dtype="float64")
        losses.generator_loss(l, kind).backward()
        curves[kind + "_grad"] = l.grad * len(p)
    curves["grad_error"] = max(float(np.abs(curves["saturating_grad"] + p).max()),
                               float(np.abs(curves["non_saturating_grad"] + 1 - p).max()))
    return curves


p = np.linspace(1e-3, 1 - 1e-3, 999)
curves = loss_curves(p)
at = np.argmin(np.abs(p - 0.01))
print(f"at D(G(z)) = {p[at]:.3f}: slope {curves['saturating_grad'][at]:.3f} (saturating), "
      f"{curves['non_saturating_grad'][at]:.3f} (non-saturating); autograd vs formula "
      f"max difference {curves['grad_error']:.1e}")
lesson.save(plots.generator_losses(p, curves), "generator_losses.png")

# %% [markdown]
# Now a run. G starts at N(−4, 1), far left of the data at +4; within a few steps D rejects
# its samples. Same seed, same D, same batches: only L_g differs. (Adam would rescale the
# small gradient and hide much of this; the article's plain gradient descent shows it.)

# %%
FIRST, REACHED = 50, 0.5          # "early": the first 50 steps; "reached": |mean − 4| < 0.5
c_steps = 250 if lesson.quick else 1000
far_start = {kind: train_toy(c_steps, g_loss=kind, g_start=(1.0, -4.0), seed=lesson.seed)
             for kind in ("saturating", "non_saturating")}
early = {}
for kind, run in far_start.items():
    near = np.flatnonzero(np.abs(run["g_mean"] - REAL_MEAN) < REACHED)
    early[kind] = {"d_fake_first": float(run["d_fake"][:FIRST].mean()),
                   "grad_first": float(run["g_grad"][:FIRST].mean()),
                   "mean_after_first": float(run["g_mean"][FIRST - 1]),
                   "steps_to_reach": int(near[0]) + 1 if len(near) else None}
print(plots.table(early, f"first {FIRST} steps of {c_steps}"))
grad_ratio = early["non_saturating"]["grad_first"] / early["saturating"]["grad_first"]
sat_stalls = early["saturating"]["mean_after_first"] < early["non_saturating"]["mean_after_first"]
print(f"while D rejects the fakes, G's gradient is {grad_ratio:.0f}× larger with −log D, and "
      f"the saturating run {'stalls behind' if sat_stalls else 'keeps up with'} it")
lesson.save(plots.early_training(far_start, FIRST, REAL_MEAN, REACHED),
            "saturating_vs_non_saturating.png")

# %% [markdown]
# ## What the article says, and what runs
#
# | §3.2.4 | as printed | what runs |
# |---|---|---|
# | D | W_d x + b_d: not a probability | σ(W_d x + b_d) |
# | L_d | second term over x ~ p_z: D judges the noise | −E_z[log(1 − D(G(z)))] |
# | L_g | E_z[log(1 − D(G(z)))], minimised: correct (minimax) | −E_z[log D(G(z))] (the paper's advice) |
# | G | W_g z + b_g: a Gaussian only | fine for this toy; hidden layers for images (lesson 8) |

# %% [markdown]
# ## Try it yourself
#
# 1. Write both losses yourself, stable at logits of ±1e4: `tinydl exercise start gan_losses`,
#    then `tinydl exercise check gan_losses`.
# 2. Train with the literal L_d (`d_judges="z"`) and `g_loss="non_saturating"`: where does
#    G stop, and why there? (Hint: plot `run["d_fake"]`.)
# 3. Start G at its perfect values, `g_start=(1.25, 4.0)`: does it stay? Lesson 7b, the
#    optional deep dive, explains what a logistic D can and cannot see.
