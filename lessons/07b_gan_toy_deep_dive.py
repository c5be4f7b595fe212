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
# # Lesson 7b · 第7b课 (optional): what a logistic discriminator can see
#
# A deep dive after lesson 7, on the same toy: data N(4, 1.25²), noise z ~ N(0, 1), the
# article's affine generator (生成器) G(z) = W_g z + b_g, plain gradient descent with one
# α = 0.1. Lesson 7 added the sigmoid to §3.2.4's discriminator (判别器):
# D(x) = σ(W_d x + b_d). Here we ask what such a D can teach G, and what it cannot.
#
# The training step is `tinydl.gan.GAN.train_step`: the step of lesson 7's loop (a D step,
# then a G step on the same fakes), packaged for lesson 8.

# %%
import numpy as np

from tinydl import no_grad
from tinydl.gan import GAN
from tinydl.layers import Dense
from tinydl.models import Sequential
from tinydl.optimizers import SGD

import _gan_plots as plots
from _lesson import Lesson

lesson = Lesson("07b_gan_toy_deep_dive", "what a logistic discriminator can see (1-D toy)")
REAL_MEAN = 4.0                   # as in lesson 7: the data N(4, 1.25²)
REAL_STD = 1.25
LEARNING_RATE = 0.1
BATCH = 64
HIDDEN = 16                       # part B: D's hidden tanh units
START_SDS = (0.3, 1.0, 3.0)       # G starts as G(z) = s·z + 0: mean 0, spread s
rng = np.random.default_rng(lesson.seed)
real = rng.normal(REAL_MEAN, REAL_STD, 20_000)     # a large real sample, for the statistics
z_eval = rng.standard_normal((20_000, 1))          # fixed noise: G's samples for the statistics
xs = np.linspace(-8.0, 12.0, 401)                  # where D(x) is drawn
real_mean, real_std = float(real.mean()), float(real.std())

# %% [markdown]
# ## The best possible D
#
# For real density p_d and G's density p_g, the D that minimises L_d is
# D*(x) = p_d(x) / (p_d(x) + p_g(x)) (Goodfellow et al., 2014). For two Gaussians its
# log-odds log(D*/(1 − D*)) = log(σ_g/σ_d) − (x − μ_d)²/(2σ_d²) + (x − μ_g)²/(2σ_g²) is a
# quadratic in x. Worked example: G = N(4, 2²), the right mean but too wide. Then D* is a
# bump around 4: real-looking in the middle, fake-looking in the tails.

# %%
def optimal_d(x: np.ndarray, gen_mean: float, gen_sd: float) -> np.ndarray:
    """D*(x) = p_d(x) / (p_d(x) + p_g(x)) against G's samples N(gen_mean, gen_sd²)."""
    p_d = plots.normal_pdf(x, REAL_MEAN, REAL_STD)
    p_g = plots.normal_pdf(x, gen_mean, max(gen_sd, 1e-6))
    return p_d / np.maximum(p_d + p_g, 1e-300)


probe = np.array([0.0, 2.0, 4.0, 6.0, 8.0])
d_star = optimal_d(probe, 4.0, 2.0)
print("against G = N(4, 2²):", ", ".join(f"D*({x:g}) = {d:.3f}" for x, d in zip(probe, d_star)))
log_odds = np.log(2.0 / REAL_STD) - (probe - 4) ** 2 / (2 * REAL_STD**2) + (probe - 4) ** 2 / 8
optimal_d_formula_error = float(np.abs(np.log(d_star / (1 - d_star)) - log_odds).max())
print(f"log(D*/(1 − D*)) vs the quadratic: max difference {optimal_d_formula_error:.1e}")
print(f"D* rises then falls (a bump): {bool(d_star[2] > d_star[0] and d_star[2] > d_star[4])}; "
      "σ(W_d x + b_d) is monotone in x and cannot draw one")

# %% [markdown]
# ## The players and one training run
#
# G is one `Dense(1)`; D is `Dense(1, sigmoid)` (logistic, part A) or has one hidden layer
# of 16 tanh units (part B). `train_gan` records G's mean b_g and spread |W_g| at every
# step, and D(x) and D*(x) at a few snapshots for the figures.

# %%
def make_generator(start_sd: float, seed: int) -> Sequential:
    """G(z) = W_g z + b_g, set to W_g = start_sd, b_g = 0: its samples are N(0, start_sd²)."""
    G = Sequential([Dense(1, input_shape=(1,))], dtype="float64", seed=seed, name="G")
    G.layers[0].kernel.data[...], G.layers[0].bias.data[...] = start_sd, 0.0
    return G


def make_discriminator(hidden: int | None, seed: int) -> Sequential:
    """hidden=None: D(x) = σ(W_d x + b_d). hidden=n: Dense(n, tanh), then Dense(1, sigmoid)."""
    layers = ([Dense(1, activation="sigmoid", input_shape=(1,))] if hidden is None else
              [Dense(hidden, activation="tanh", input_shape=(1,)), Dense(1, activation="sigmoid")])
    return Sequential(layers, dtype="float64", seed=seed, name="D")


def d_curve(D: Sequential, x: np.ndarray) -> np.ndarray:
    """D(x) on a grid of x, in inference mode."""
    with no_grad():
        return D(x.reshape(-1, 1), training=False).data.ravel()

# %%
def train_gan(hidden: int | None, loss: str, start_sd: float, steps: int, seed: int,
              snapshots: tuple[int, ...] = ()) -> dict:
    """`steps` GAN steps, each on a fresh real batch (the same seed gives the same D, noise and
    batches whatever the loss or the start). late_rate: −slope of log |W_g| per step over the
    last third; d_range_end: max − min of the final D(x) on 4 ± 3·1.25."""
    G, D = make_generator(start_sd, seed), make_discriminator(hidden, seed + 1)
    gan = GAN(G, D, SGD(LEARNING_RATE), SGD(LEARNING_RATE), generator_loss=loss, seed=seed + 2)
    data, means, sds, snaps = np.random.default_rng(seed + 3), [], [], {}
    for step in range(steps + 1):
        means.append(float(G.layers[0].bias.data[0]))         # G's samples: N(b_g, W_g²)
        sds.append(abs(float(G.layers[0].kernel.data[0, 0])))
        if step in snapshots:
            snaps[step] = {"fake": gan.generate(noise=z_eval[:4000]).ravel(), "mean": means[-1],
                           "sd": sds[-1], "d": d_curve(D, xs),
                           "d_star": optimal_d(xs, means[-1], sds[-1])}
        if step < steps:
            gan.train_step(data.normal(REAL_MEAN, REAL_STD, (BATCH, 1)))
    fake = gan.generate(noise=z_eval).ravel()
    late = np.arange(steps - steps // 3, steps + 1)
    return {"hidden": hidden, "loss": loss, "start_sd": start_sd, "steps": steps,
            "gen_mean": float(fake.mean()), "gen_std": float(fake.std()), "param_sd": sds[-1],
            "means": np.array(means), "sds": np.array(sds), "min_sd": min(sds), "max_sd": max(sds),
            "d_range_end": float(np.ptp(d_curve(D, xs)[np.abs(xs - REAL_MEAN) < 3 * REAL_STD])),
            "late_rate": -float(np.polyfit(late, np.log(np.array(sds)[late]), 1)[0]),
            "snapshots": snaps}

# %% [markdown]
# ## Part A: a logistic D sees only the mean
#
# The article's affine G against the logistic D, from three starting spreads, with the
# saturating L_g of §3.2.4 (and, for contrast, −log D). The data's spread is 1.25.

# %%
steps_a = 1000 if lesson.quick else 3000
runs_a = [train_gan(None, loss, s, steps_a, lesson.seed,
                    (0, 100, 500, steps_a) if (loss, s) == ("saturating", 1.0) else ())
          for loss, starts in (("saturating", START_SDS),
                               ("non_saturating", (1.0,) if lesson.quick else START_SDS))
          for s in starts]
COLUMNS = ("gen_mean", "gen_std", "min_sd", "max_sd", "d_range_end", "late_rate")
print(plots.table({f"{r['loss']}, start {r['start_sd']}": {k: r[k] for k in COLUMNS}
                   for r in runs_a}, f"A: {steps_a} steps"))
part_a = [{k: v for k, v in r.items() if k not in ("means", "sds", "snapshots")} for r in runs_a]
mean_err = max(abs(r["gen_mean"] - real_mean) for r in runs_a)
std_err = min(abs(r["gen_std"] - real_std) for r in runs_a)
print(f"every run's mean is within {mean_err:.2f} of {real_mean:.2f}; the spreads miss "
      f"{real_std:.2f} by {std_err:.2f} or more; D ends nearly flat "
      f"(D(x) varies by at most {max(r['d_range_end'] for r in runs_a):.3f} on the data)")

# %% [markdown]
# Why: once the means agree, the best *monotone* D is the flat D = 1/2, and a flat D says
# nothing about the spread. But while the mean travels, the spread drifts in a direction set
# by the loss. With l = W_d (W_g z + b_g) + b_d and Stein's identity E[f(z) z] = E[f′(z)]
# for z ~ N(0, 1): saturating ∂L_g/∂W_g = −W_d E[σ(l) z] = −W_d² W_g E[σ′(l)], and
# non-saturating ∂L_g/∂W_g = −W_d E[(1 − σ(l)) z] = +W_d² W_g E[σ′(l)]. A descent step
# grows the spread with the first, shrinks it with the second.

# %%
zs, a, c = rng.standard_normal(1_000_000), 0.8, -0.5       # Stein's identity, by sampling
sig = 1 / (1 + np.exp(-(a * zs + c)))
print(f"E[σ(az + c) z] = {np.mean(sig * zs):.4f}, "
      f"E[a σ'(az + c)] = {np.mean(a * sig * (1 - sig)):.4f}")
for r in runs_a:
    moved = ("grew" if r["max_sd"] > r["start_sd"] + 0.05 else
             "shrank" if r["min_sd"] < r["start_sd"] - 0.05 else "stayed")
    print(f"{r['loss']:<15} start {r['start_sd']}: the spread {moved} "
          f"(max {r['max_sd']:.2f}, min {r['min_sd']:.2f}, end {r['param_sd']:.2f})")

# %% [markdown]
# After the means meet, W_d ≈ 0 and that drift stops. What remains is a slow shrink from
# the batches' noise: D steps on fakes whose noise has mean z̄, which tilts W_d by about
# −(α/2) W_g z̄, and the G step scores *the same fakes* with that D, moving W_g by about
# −(α²/4) W_g z̄². With E[z̄²] = 1/batch: a shrink of about α²/(4·batch) per step, whatever
# the data's spread. A rough estimate (it takes D as exactly flat): compare.

# %%
predicted_late_rate = LEARNING_RATE**2 / (4 * BATCH)
rates = [r["late_rate"] for r in runs_a]
print(f"late shrink per step, predicted {predicted_late_rate:.2e}; measured "
      f"{min(rates):.2e} to {max(rates):.2e} (ratio {min(rates) / predicted_late_rate:.2f} to "
      f"{max(rates) / predicted_late_rate:.2f})")
main_a = next(r for r in runs_a if r["snapshots"])
lesson.save(plots.toy_part(runs_a, main_a, real, xs, "A. affine G vs logistic D: the mean is "
                           "learned, the spread is not (snapshots: start 1, saturating L_g)"),
            "part_a_logistic_d.png")

# %% [markdown]
# ## Part B: one hidden layer in D
#
# The same G, losses, SGD and α, but D has one hidden layer of 16 tanh units. Such a D can
# draw the bump of D*, so it tells G when G is too wide or too narrow.

# %%
steps_b = 2000 if lesson.quick else 3000
runs_b = [train_gan(HIDDEN, "saturating", s, steps_b, lesson.seed,
                    (0, 250, 750, steps_b) if s == 1.0 else ())
          for s in ((1.0,) if lesson.quick else START_SDS)]
print(plots.table({f"saturating, start {r['start_sd']}": {k: r[k] for k in COLUMNS[:2]}
                   for r in runs_b}, f"B: {steps_b} steps"))
part_b = [{k: v for k, v in r.items() if k not in ("means", "sds", "snapshots")} for r in runs_b]
worst = max(max(abs(r["gen_mean"] - real_mean), abs(r["gen_std"] - real_std)) for r in runs_b)
print(f"data: mean {real_mean:.3f}, std {real_std:.3f}; part B's largest miss {worst:.3f} "
      f"(part A's smallest spread miss {std_err:.3f})")
main_b = next(r for r in runs_b if r["snapshots"])
lesson.save(plots.toy_part(runs_b, main_b, real, xs, f"B. affine G vs D with one hidden "
                           f"layer ({HIDDEN} tanh): mean and spread learned"),
            "part_b_hidden_layer_d.png")

# %% [markdown]
# ## Try it yourself
#
# 1. Start part A's G with the data's spread, `train_gan(None, "saturating", 1.25, ...)`:
#    is the spread still 1.25 when the mean arrives at 4?
# 2. In part B, try `HIDDEN = 2`: is a bump possible with two tanh units? With one?
# 3. Write the losses these runs use: `tinydl exercise start gan_losses`.
