"""Lesson 7: the GAN formulas of section 3.2.4, taken literally, on a one-dimensional toy.

Section 3.2.4 writes the two players as affine maps and trains them by gradient descent:

    generator        G(z) = W_g z + b_g                  z ~ p_z
    discriminator    D(x) = W_d x + b_d
    losses           L_g = E_z[log(1 − D(G(z)))]
                     L_d = −E_{x~p_d}[log D(x)] − E_{x~p_z}[log(1 − D(x))]
    updates          θ_g ← θ_g − α ∇L_g,   θ_d ← θ_d − α ∇L_d

Here the data are numbers, not images: real x ~ N(4, 1.25²), noise z ~ N(0, 1). An affine
G then produces exactly the Gaussian N(b_g, W_g²), so it CAN represent the data (b_g = 4,
|W_g| = 1.25): whatever goes wrong is the training, not G's capacity. Every run uses
float64 models, tinydl.gan.GAN (one D step then one G step per batch), plain gradient
descent (SGD without momentum, α = 0.1 for both players, as the article's one α), batches
of 64 with a fresh real batch every step, no label smoothing or label noise, fixed seeds.

Three slips of the formulas, and what is used instead:
* D(x) = W_d x + b_d is not a probability: an affine function of x leaves (0, 1) for
  some x (unless W_d = 0), and then log D(x) or log(1 − D(x)) is undefined. The lesson
  counts where that happens at part A's initial weights, then runs the article's gradient
  descent on L_d with this D and reports when L_d becomes undefined (nan). The fix is a
  sigmoid, D(x) = σ(W_d x + b_d): the logistic discriminator.
* L_d's second term reads E_{x~p_z}[log(1 − D(x))]: the expectation is over the noise, but
  D must judge the generated sample G(z), not the noise itself. The correct term is
  E_{z~p_z}[log(1 − D(G(z)))] (that is what tinydl.losses.discriminator_loss computes).
* L_g = E_z[log(1 − D(G(z)))] (the minimax loss) saturates: its derivative with respect
  to D's logit l is −σ(l) = −D(G(z)), which vanishes exactly when D rejects the fakes.
  Goodfellow et al. proposed −E_z[log D(G(z))] instead (derivative −(1 − D(G(z)))).

Part A: the article's pair literally (affine G, affine D + sigmoid, the article's L_g).
  A logistic D is monotone in x: it can only say "real lies to the right (or left) of a
  threshold". It moves G's mean to the data's mean, but it cannot see the spread. The
  optimal D for real N(μ_r, σ_r²) against fake N(μ_g, σ_g²) is
      D*(x) = p_r(x) / (p_r(x) + p_g(x)),  log-odds = log(σ_g/σ_r) − (x − μ_r)²/(2σ_r²)
                                                       + (x − μ_g)²/(2σ_g²),
  a quadratic in x: with equal means and σ_g ≠ σ_r, D* is a bump (or a dip) around the
  mean, which σ(W_d x + b_d) cannot draw. Once the means agree the best logistic D is the
  flat D = 1/2, and G gets no signal about its spread any more.
  Worse, while the mean travels the spread changes in a direction fixed by the loss. With
  l = W_d (W_g z + b_g) + b_d and Stein's identity E[f(z) z] = E[f'(z)] for z ~ N(0, 1):
      saturating      ∂L_g/∂W_g = −W_d E[σ(l) z]     = −W_d² W_g E[σ'(l)]
      non-saturating  ∂L_g/∂W_g = W_d E[(1−σ(l)) z]  = +W_d² W_g E[σ'(l)]
  so a descent step multiplies W_g by (1 + α W_d² E[σ']) with the article's loss (the
  spread grows) and by (1 − α W_d² E[σ']) with −log D (the spread shrinks: collapse).
  After the means meet, W_d ≈ 0 and that drift stops; what remains is a slow shrink caused
  by the noise of the batches. D steps on a batch of fakes whose noise has mean z̄; near a
  flat D that tilts W_d by about −(α/2) W_g z̄, and GAN.train_step's G step scores the SAME
  fakes with the updated D, which changes W_g by about α W_d z̄/2 ≈ −(α²/4) W_g z̄² (both
  losses). With E[z̄²] = 1/batch the spread shrinks by a factor (1 − α²/(4·batch)) per
  step on average, whatever the real spread is: it does not stop at 1.25. (Two checks
  made while writing this lesson, not part of its run: 20 000 steps of train_toy, seed 0,
  start spread 0.3, the article's loss: the spread went through 1.61, 1.23 and 0.87 at
  steps 2000, 10 000 and 20 000 while the mean, read every 4000 steps, stayed between
  3.97 and 4.03; and G started AT the data's mean with spread 1 against the logistic D:
  over 6000 steps the spread fell to 0.80 with the same fakes in both steps, but stayed
  between 1.00 and 1.02 when the G step drew fresh noise.) The lesson runs both losses
  from three starting spreads, measures the drift during the journey, and fits the late
  shrink rate against α²/(4·batch).
Part B: the same recipe (same losses, same SGD, same α), but D gets one hidden layer of
  16 tanh units. Such a D can draw the bump of D*, so it tells G about the spread: G
  matches the data's mean and spread from every start.
Part C: saturating vs non-saturating. The two losses and their derivatives as functions
  of D(G(z)); then G is started far from the data (mean −4, the data at +4), D rejects its
  samples within a few steps, and the two losses are trained from the same seed: with the
  article's loss G's gradient is tiny and G barely moves for hundreds of steps, with
  −log D it crosses to the data quickly. (Adam would rescale the tiny gradient and hide
  much of this; the article's plain gradient descent shows it as it is.)

Run:  python lessons/07_gan_toy_formulas.py [--quick] [--out DIR] [--seed N]
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from tinydl import Tensor, losses, no_grad
from tinydl.gan import GAN
from tinydl.layers import Dense
from tinydl.models import Sequential
from tinydl.optimizers import SGD

from _lesson import output_dir, parse_args, plt, save

REAL_MEAN, REAL_STD = 4.0, 1.25   # p_d = N(4, 1.25²); the noise p_z is N(0, 1)
LEARNING_RATE = 0.1               # the article's α, the same for G and D
BATCH = 64
HIDDEN = 16                       # part B's hidden tanh units
START_SDS = (0.3, 1.0, 3.0)       # G starts as G(z) = s·z + 0: mean 0, spread s
EVAL_SAMPLES = 20_000             # samples behind every reported mean and std
REACHED = 0.5                     # part C: "G reached the data" when |mean − 4| < this
REJECTS = 0.1                     # D(G(z)) below this: D confidently rejects the fakes


# -- the two players -------------------------------------------------------------------

def make_generator(start_sd: float, start_mean: float, seed: int) -> Sequential:
    """G(z) = W_g z + b_g, one Dense(1) without activation, set to W_g = start_sd and
    b_g = start_mean (so G's samples start as N(start_mean, start_sd²))."""
    G = Sequential([Dense(1, input_shape=(1,))], dtype="float64", seed=seed, name="G")
    G.layers[0].kernel.data[...] = start_sd
    G.layers[0].bias.data[...] = start_mean
    return G


def make_discriminator(hidden: int | None, seed: int) -> Sequential:
    """hidden=None: the article's D(x) = W_d x + b_d plus the missing sigmoid (logistic).
    hidden=n: Dense(n, tanh) then Dense(1, sigmoid), one hidden layer."""
    if hidden is None:
        layers = [Dense(1, activation="sigmoid", input_shape=(1,))]
    else:
        layers = [Dense(hidden, activation="tanh", input_shape=(1,)),
                  Dense(1, activation="sigmoid")]
    return Sequential(layers, dtype="float64", seed=seed, name="D")


def generator_params(G: Sequential) -> tuple[float, float]:
    """G(z) = W_g z + b_g with z ~ N(0, 1) is N(b_g, W_g²): returns (b_g, |W_g|)."""
    return float(G.layers[0].bias.data[0]), abs(float(G.layers[0].kernel.data[0, 0]))


def d_curve(D: Sequential, xs: np.ndarray) -> np.ndarray:
    """D(x) on a grid of x, in inference mode."""
    with no_grad():
        return D(xs.reshape(-1, 1), training=False).data.ravel()


def normal_pdf(xs: np.ndarray, mean: float, std: float) -> np.ndarray:
    return np.exp(-0.5 * ((xs - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


def optimal_d(xs: np.ndarray, gen_mean: float, gen_sd: float) -> np.ndarray:
    """D*(x) = p_r(x) / (p_r(x) + p_g(x)) for the current G (the best any D can do)."""
    p_r = normal_pdf(xs, REAL_MEAN, REAL_STD)
    p_g = normal_pdf(xs, gen_mean, max(gen_sd, 1e-6))
    return p_r / np.maximum(p_r + p_g, 1e-300)


# -- one training run --------------------------------------------------------------------

def train_toy(hidden: int | None, loss: str, start_sd: float, start_mean: float, steps: int,
              seed: int, z_eval: np.ndarray, xs: np.ndarray,
              snapshots: tuple[int, ...] = ()) -> dict[str, Any]:
    """Train the toy GAN for `steps` steps (one fresh real batch each) and record G's mean
    and spread after every step, plus D(x), D*(x) and G's samples at the `snapshots`.
    The same seed gives the same D, the same noise and the same real batches, whatever
    the loss or the starting spread."""
    G = make_generator(start_sd, start_mean, seed)
    D = make_discriminator(hidden, seed + 1)
    gan = GAN(G, D, SGD(LEARNING_RATE), SGD(LEARNING_RATE), generator_loss=loss, seed=seed + 2)
    data = np.random.default_rng(seed + 3)
    means, sds, snaps = [], [], {}
    start = time.perf_counter()
    for step in range(steps + 1):
        mean, sd = generator_params(G)
        means.append(mean)
        sds.append(sd)
        if step in snapshots:
            snaps[step] = {"fake": gan.generate(noise=z_eval[:4000]).ravel(), "mean": mean,
                           "sd": sd, "d": d_curve(D, xs), "d_star": optimal_d(xs, mean, sd)}
        if step < steps:
            gan.train_step(data.normal(REAL_MEAN, REAL_STD, (BATCH, 1)))
    fake = gan.generate(noise=z_eval).ravel()
    mean, sd = generator_params(G)
    near = (xs > REAL_MEAN - 3 * REAL_STD) & (xs < REAL_MEAN + 3 * REAL_STD)
    d_end = d_curve(D, xs)[near]
    # the late shrink rate: −slope of log |W_g| per step, fitted over the last third
    late = np.arange(steps - steps // 3, steps + 1)
    late_rate = -float(np.polyfit(late, np.log(np.array(sds)[late]), 1)[0])
    return {"hidden": hidden, "loss": loss, "start_sd": start_sd, "start_mean": start_mean,
            "steps": steps, "gen_mean": float(fake.mean()), "gen_std": float(fake.std()),
            "param_mean": mean, "param_sd": sd, "means": np.array(means), "sds": np.array(sds),
            "min_sd": float(np.min(sds)), "max_sd": float(np.max(sds)),
            "d_range_end": float(d_end.max() - d_end.min()), "late_rate": late_rate,
            "snapshots": snaps,
            "batch_history": {k: np.array(v) for k, v in gan.batch_history.items()},
            "seconds": time.perf_counter() - start}


# -- the article's D without the sigmoid ------------------------------------------------

def affine_d_check(seed: int, real: np.ndarray, z: np.ndarray, steps: int = 20) -> dict[str, Any]:
    """The article's D(x) = W_d x + b_d, no sigmoid, from part A's initial weights.

    1. At those weights: on how many real samples is D(x) ≤ 0 (log D(x) undefined), on how
       many of G's first fakes G(z) = z is D(G(z)) ≥ 1 (log(1 − D) undefined)?
    2. The article's gradient descent on its L_d (with D applied to G(z), G held fixed at
       G(z) = z), α as everywhere in the lesson: how many steps until L_d is undefined?
    """
    D = make_discriminator(None, seed + 1)          # the same initial weights as part A's D
    w0, b0 = float(D.layers[0].kernel.data[0, 0]), float(D.layers[0].bias.data[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        at_init = float(-np.mean(np.log(w0 * real + b0)) - np.mean(np.log(1 - (w0 * z + b0))))
        w = Tensor(np.array([[w0]]), requires_grad=True, dtype="float64")
        b = Tensor(np.array([b0]), requires_grad=True, dtype="float64")
        opt, data, values = SGD(LEARNING_RATE), np.random.default_rng(seed + 3), []
        for _ in range(steps):
            x = Tensor(data.normal(REAL_MEAN, REAL_STD, (BATCH, 1)))
            fake = Tensor(data.standard_normal((BATCH, 1)))          # G(z) = z
            l_d = -(x @ w + b).log().mean() - (1 - (fake @ w + b)).log().mean()
            values.append(float(l_d.data))
            if not np.isfinite(l_d.data):
                break
            opt.zero_grad([w, b])
            l_d.backward()
            opt.step([w, b])
    finite = int(np.isfinite(values).sum())
    return {"W_d": w0, "b_d": b0, "real_log_undefined": float(np.mean(w0 * real + b0 <= 0)),
            "fake_log_undefined": float(np.mean(w0 * z + b0 >= 1)), "L_d_at_init": at_init,
            "finite_steps": finite, "undefined_after": finite < steps, "L_d_values": values,
            "W_d_last": float(w.data[0, 0]), "b_d_last": float(b.data[0])}


# -- part C, the two losses as functions of D(G(z)) ----------------------------------------

def loss_curves(p: np.ndarray) -> dict[str, np.ndarray]:
    """For each D(G(z)) = p = σ(l): both generator losses of one sample and their
    derivatives with respect to the logit l, from tinydl's autograd (the loss is a mean
    over the n samples, so n·∂L/∂l_i is the derivative of sample i's own loss)."""
    curves = {}
    logits = np.log(p) - np.log1p(-p)
    for kind in ("saturating", "non_saturating"):
        l = Tensor(logits.copy(), requires_grad=True, dtype="float64")
        loss_mean = losses.generator_loss(l, kind)
        loss_mean.backward()
        per_sample = np.log1p(-p) if kind == "saturating" else -np.log(p)
        curves[kind] = per_sample
        curves[kind + "_grad"] = l.grad * len(p)
    curves["grad_error"] = max(float(np.abs(curves["saturating_grad"] + p).max()),
                               float(np.abs(curves["non_saturating_grad"] + (1 - p)).max()))
    return curves


def early_summary(run: dict[str, Any], first: int) -> dict[str, Any]:
    h = run["batch_history"]
    reached = np.flatnonzero(np.abs(run["means"] - REAL_MEAN) < REACHED)
    return {"grad_norm_first": float(h["g_grad_norm"][:first].mean()),
            "d_fake_first": float(h["d_fake"][:first].mean()),
            "d_fake_min": float(h["d_fake"][:first].min()),
            "mean_after_first": float(run["means"][first]),
            "steps_to_reach": int(reached[0]) if len(reached) else None,
            "gen_mean_end": run["gen_mean"], "gen_std_end": run["gen_std"]}


# -- figures -----------------------------------------------------------------------------

def plot_part(runs: list[dict], main_run: dict, real: np.ndarray, xs: np.ndarray, title: str,
              path) -> None:
    """Top: the main run at its snapshots (real density, G's samples, D and D*).
    Bottom: G's mean and spread over training for every run."""
    steps = sorted(main_run["snapshots"])
    fig = plt.figure(figsize=(4.2 * len(steps), 8.2))
    grid = fig.add_gridspec(2, 2 * len(steps), wspace=0.6, hspace=0.35)
    for i, step in enumerate(steps):
        snap = main_run["snapshots"][step]
        ax = fig.add_subplot(grid[0, 2 * i:2 * i + 2])
        hist = {"bins": 60, "range": (xs[0], xs[-1]), "density": True, "histtype": "stepfilled"}
        ax.hist(real[:4000], color="tab:blue", alpha=0.35, label="real samples", **hist)
        ax.plot(xs, normal_pdf(xs, REAL_MEAN, REAL_STD), color="tab:blue", lw=1.5,
                label="real N(4, 1.25²)")
        ax.hist(snap["fake"], color="tab:orange", alpha=0.45, label="G(z) samples", **hist)
        ax.set(xlim=(xs[0], xs[-1]), ylim=(0, 0.75), xlabel="x",
               title=f"step {step}: G = N({snap['mean']:.2f}, {snap['sd']:.2f}²)")
        twin = ax.twinx()
        twin.plot(xs, snap["d"], color="k", lw=1.5, label="D(x)")
        twin.plot(xs, snap["d_star"], "k:", lw=1.2, label="optimal D*(x)")
        twin.axhline(0.5, color="gray", lw=0.5)
        twin.set_ylim(0, 1)
        ax.tick_params(labelleft=i == 0)            # one density scale (left), one D scale (right)
        twin.tick_params(labelright=i == len(steps) - 1)
        if i == 0:
            ax.set_ylabel("density")
            ax.legend(fontsize=7, loc="upper left")
            twin.legend(fontsize=7, loc="center left")
        if i == len(steps) - 1:
            twin.set_ylabel("D(x)")
    ax_m = fig.add_subplot(grid[1, :len(steps)])
    ax_s = fig.add_subplot(grid[1, len(steps):])
    colours = {s: c for s, c in zip(START_SDS, ("tab:green", "tab:purple", "tab:red"))}
    for run in runs:
        style = "-" if run["loss"] == "saturating" else "--"
        label = f"start spread {run['start_sd']}, {run['loss'].replace('_', '-')} L_g"
        ax_m.plot(run["means"], style, color=colours.get(run["start_sd"], "k"), lw=1, label=label)
        ax_s.plot(run["sds"], style, color=colours.get(run["start_sd"], "k"), lw=1, label=label)
    ax_m.axhline(REAL_MEAN, color="tab:blue", lw=2, alpha=0.5, label="real mean 4")
    ax_s.axhline(REAL_STD, color="tab:blue", lw=2, alpha=0.5, label="real std 1.25")
    ax_m.set(xlabel="step", ylabel="G's mean b_g", title="G's mean during training")
    ax_s.set(xlabel="step", ylabel="G's spread |W_g|",
             title="G's spread during training (same lines as on the left)")
    for ax in (ax_m, ax_s):
        ax.grid(alpha=0.3)
    ax_m.legend(fontsize=7)
    ax_s.legend(handles=ax_s.get_lines()[-1:], fontsize=7)
    fig.suptitle(title)
    save(fig, path)


def plot_losses(p: np.ndarray, curves: dict, path) -> None:
    fig, (ax_l, ax_g) = plt.subplots(1, 2, figsize=(12, 4.5))
    ax_l.plot(p, curves["saturating"], label="saturating (the article's L_g): log(1 − D)")
    ax_l.plot(p, curves["non_saturating"], label="non-saturating: −log D")
    ax_l.set(xlabel="D(G(z))", ylabel="G's loss for one sample", ylim=(-5, 7),
             title="the two generator losses (both fall as D(G(z)) rises)")
    ax_g.plot(p, curves["saturating_grad"], label="saturating: ∂/∂l = −D(G(z))")
    ax_g.plot(p, curves["non_saturating_grad"], label="non-saturating: ∂/∂l = −(1 − D(G(z)))")
    ax_g.set(xlabel="D(G(z))", ylabel="derivative w.r.t. D's logit l (autograd)",
             title="where D rejects the fakes, the article's loss gives ≈ 0")
    for ax in (ax_l, ax_g):
        ax.axvspan(0, REJECTS, color="tab:red", alpha=0.12,
                   label=f"D rejects the fakes (D(G(z)) < {REJECTS})")
        ax.axhline(0, color="gray", lw=0.5)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    save(fig, path)


def plot_early(runs: dict[str, dict], first: int, path) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.5))
    for kind, run in runs.items():
        h = run["batch_history"]
        label = f"{kind.replace('_', '-')} L_g"
        axes[0].plot(h["d_fake"], lw=1, label=label)
        axes[1].semilogy(h["g_grad_norm"], lw=1, label=label)
        axes[2].plot(run["means"], lw=1.5, label=label)
    axes[0].axhspan(0, REJECTS, color="tab:red", alpha=0.12, label="D rejects the fakes")
    axes[0].set(xlabel="step", ylabel="mean D(G(z)) in the batch",
                title="how D judges G's samples", ylim=(0, 1))
    axes[1].set(xlabel="step", ylabel="‖∂L_g/∂θ_g‖ (log scale)",
                title="length of G's gradient (gan.batch_history)")
    axes[2].axhspan(REAL_MEAN - REACHED, REAL_MEAN + REACHED, color="tab:blue", alpha=0.15,
                    label=f"within {REACHED} of the real mean")
    axes[2].set(xlabel="step", ylabel="G's mean b_g", title="G started at mean −4, data at +4")
    for ax in axes:
        ax.axvline(first, color="gray", lw=0.8, ls=":")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    save(fig, path)


# -- the lesson --------------------------------------------------------------------------

def table_row(part: str, run: dict, real: np.ndarray) -> str:
    d = "logistic" if run["hidden"] is None else f"{run['hidden']} tanh"
    return (f"   {part:<4} {d:<9} {run['loss']:<15} {run['start_sd']:>5.1f} {real.mean():>9.3f} "
            f"{real.std():>8.3f} {run['gen_mean']:>8.3f} {run['gen_std']:>7.3f} "
            f"{abs(run['gen_mean'] - real.mean()):>6.3f} {abs(run['gen_std'] - real.std()):>6.3f}")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__.splitlines()[0], argv)
    out = output_dir(args, "07_gan_toy_formulas")
    seed = args.seed
    steps_a, steps_b, steps_c = (1000, 2000, 250) if args.quick else (3000, 3000, 1500)
    first = 50                                      # part C: "the first steps"
    # --quick: part A's non-saturating contrast and part B from the main start only
    starts_a_ns = (1.0,) if args.quick else START_SDS
    starts_b = (1.0,) if args.quick else START_SDS
    t0 = time.perf_counter()
    clock = {}
    rng = np.random.default_rng(seed)
    real = rng.normal(REAL_MEAN, REAL_STD, EVAL_SAMPLES)   # the reference real sample
    z_eval = rng.standard_normal((EVAL_SAMPLES, 1))         # fixed noise for G's samples
    xs = np.linspace(-8.0, 12.0, 401)
    header = (f"   {'part':<4} {'D':<9} {'L_g':<15} {'start':>5} {'real mean':>9} {'real std':>8} "
              f"{'gen mean':>8} {'gen std':>7} {'|Δmean|':>6} {'|Δstd|':>6}")

    print("The toy: real x ~ N(4, 1.25²), noise z ~ N(0, 1), G(z) = W_g z + b_g starts at "
          "W_g = start spread, b_g = 0.")
    print(f"Every run: tinydl.gan.GAN, SGD (no momentum) with α = {LEARNING_RATE} for G and D, "
          f"batch {BATCH}, float64, seed {seed}. Means and stds over {EVAL_SAMPLES} samples.\n")

    affine = affine_d_check(seed, real, z_eval.ravel())
    print("0. the article's D(x) = W_d x + b_d (no sigmoid), at part A's initial weights "
          f"W_d = {affine['W_d']:.3f}, b_d = {affine['b_d']:.3f}:")
    print(f"   D(x) ≤ 0, so log D(x) is undefined, for {affine['real_log_undefined']:.2%} of the "
          f"real samples; D(G(z)) ≥ 1 for {affine['fake_log_undefined']:.2%} of the fakes "
          "G(z) = z;")
    print(f"   L_d over all of them = {affine['L_d_at_init']}. Gradient descent on L_d (α = "
          f"{LEARNING_RATE}, G fixed): L_d = "
          + ", ".join(f"{v:.3f}" for v in affine["L_d_values"]))
    if affine["undefined_after"]:
        print(f"   L_d stayed finite for {affine['finite_steps']} gradient step(s), then was "
              f"undefined (at W_d = {affine['W_d_last']:.3f}, b_d = {affine['b_d_last']:.3f}).")
    print("   With the sigmoid, D(x) = σ(W_d x + b_d) is in (0, 1) for every x.\n")

    clock["setup"] = time.perf_counter() - t0
    # -- part A -------------------------------------------------------------------------
    snaps_a = (0, 100, 500, steps_a)
    runs_a = [train_toy(None, loss, s, 0.0, steps_a, seed, z_eval, xs,
                        snaps_a if (loss, s) == ("saturating", 1.0) else ())
              for loss, starts in (("saturating", START_SDS), ("non_saturating", starts_a_ns))
              for s in starts]
    main_a = runs_a[1]                              # saturating, start spread 1: G(z) = z
    print(f"A. affine G against logistic D = σ(W_d x + b_d), {steps_a} steps; the article's "
          "L_g is 'saturating'")
    print(header)
    for run in runs_a:
        print(table_row("A", run, real))
    predicted = LEARNING_RATE ** 2 / (4 * BATCH)
    print(f"   {'L_g':<15} {'start':>5} {'min spread':>10} {'max spread':>10} {'end spread':>10} "
          f"{'D(x) range at end':>17} {'late shrink/step':>16}")
    print(f"   {'':<15} {'':>5} {'':>10} {'':>10} {'':>10} {'(on 4 ± 3·1.25)':>17} "
          f"{'(last third)':>16}")
    for run in runs_a:
        print(f"   {run['loss']:<15} {run['start_sd']:>5.1f} {run['min_sd']:>10.3f} "
              f"{run['max_sd']:>10.3f} {run['param_sd']:>10.3f} {run['d_range_end']:>17.4f} "
              f"{run['late_rate']:>16.2e}")
    rates = [r["late_rate"] for r in runs_a]
    print("   every mean reaches 4. The spread grows (article's loss) or shrinks (−log D) while "
          "the mean travels, then D is\n   nearly flat and the spread only shrinks slowly, at "
          f"about α²/(4·batch) = {predicted:.2e} per step predicted (measured "
          f"{min(rates):.1e} to {max(rates):.1e}),"
          "\n   whatever the real spread is.")
    lucky = [r for r in runs_a if abs(r["gen_std"] - real.std()) < 0.15]
    for r in lucky:
        print(f"   (start {r['start_sd']} with {r['loss']} L_g ends near 1.25 by coincidence: it "
              f"{'grew' if r['param_sd'] > r['start_sd'] else 'shrank'} from {r['start_sd']} "
              "until the means met; nothing holds it there.)")
    print()

    clock["part A"] = time.perf_counter() - t0 - sum(clock.values())
    # -- part B -------------------------------------------------------------------------
    snaps_b = (0, 250, 750, steps_b)
    runs_b = [train_toy(HIDDEN, "saturating", s, 0.0, steps_b, seed, z_eval, xs,
                        snaps_b if s == 1.0 else ()) for s in starts_b]
    main_b = next(run for run in runs_b if run["start_sd"] == 1.0)
    print(f"B. affine G against D with one hidden layer ({HIDDEN} tanh units), {steps_b} steps, "
          "the same losses, SGD and α")
    print(header)
    for run in runs_b:
        print(table_row("B", run, real))
    print("   mean and spread both match: the hidden layer lets D draw the bump of D*, "
          "which is what tells G its spread.\n")

    clock["part B"] = time.perf_counter() - t0 - sum(clock.values())
    # -- part C -------------------------------------------------------------------------
    p = np.linspace(1e-3, 1 - 1e-3, 999)
    curves = loss_curves(p)
    runs_c = {kind: train_toy(HIDDEN, kind, 1.0, -4.0, steps_c, seed, z_eval, xs)
              for kind in ("saturating", "non_saturating")}
    early = {kind: early_summary(run, first) for kind, run in runs_c.items()}
    ratio = early["non_saturating"]["grad_norm_first"] / early["saturating"]["grad_norm_first"]
    print(f"C. saturating vs non-saturating L_g: G starts as N(−4, 1), D as in part B, same seed, "
          f"{steps_c} steps")
    print(f"   autograd's ∂L_g/∂l vs −D and −(1 − D) on D ∈ (0, 1): max |difference| "
          f"{curves['grad_error']:.1e}")
    print(f"   {'L_g':<15} {'mean ‖∇G‖':>10} {'mean D(G(z))':>12} {'min D(G(z))':>11} "
          f"{'G mean':>8} {'steps until':>12} {'gen mean':>8} {'gen std':>7}")
    print(f"   {'':<15} {f'steps<{first}':>10} {f'steps<{first}':>12} {f'steps<{first}':>11} "
          f"{f'at {first}':>8} {f'|mean−4|<{REACHED}':>12} {'at end':>8} {'at end':>7}")
    for kind, e in early.items():
        reach = str(e["steps_to_reach"]) if e["steps_to_reach"] is not None else f"> {steps_c}"
        print(f"   {kind:<15} {e['grad_norm_first']:>10.4f} {e['d_fake_first']:>12.4f} "
              f"{e['d_fake_min']:>11.4f} {e['mean_after_first']:>8.3f} {reach:>12} "
              f"{e['gen_mean_end']:>8.3f} {e['gen_std_end']:>7.3f}")
    print(f"   over the first {first} steps G's gradient is {ratio:.1f}× larger with −log D.\n")

    clock["part C"] = time.perf_counter() - t0 - sum(clock.values())
    sat_a = [run for run in runs_a if run["loss"] == "saturating"]
    print("The article (section 3.2.4) vs what was measured:")
    print("  * D(x) = W_d x + b_d: not a probability; L_d was undefined after "
          f"{affine['finite_steps']} gradient step(s) here. Add the sigmoid.")
    print("  * L_d's E_{x~p_z}[log(1 − D(x))] must be E_{z~p_z}[log(1 − D(G(z)))]: D judges G(z), "
          "not the noise.")
    print("  * affine G + logistic D, the article's L_g and gradient descent: the means end at "
          + ", ".join(f"{r['gen_mean']:.2f}" for r in sat_a) + " (real 4), the spreads at "
          + ", ".join(f"{r['gen_std']:.2f}" for r in sat_a) + " (real 1.25), from starts "
          + ", ".join(str(r["start_sd"]) for r in sat_a) + ".")
    print(f"  * one hidden layer in D fixes it: spread {main_b['gen_std']:.3f} vs "
          f"{real.std():.3f}, mean {main_b['gen_mean']:.3f} vs {real.mean():.3f}.")
    print(f"  * the article's L_g saturates: {ratio:.0f}× smaller gradient while D rejects G's "
          "samples; −log D is the usual fix.")

    figures = [
        out / "part_a_logistic_d.png", out / "part_b_hidden_layer_d.png",
        out / "generator_losses.png", out / "saturating_vs_non_saturating.png"]
    plot_part(runs_a, main_a, real, xs,
              "A. affine G vs logistic D (the article's pair + sigmoid): the mean is learned, "
              "the spread is not (snapshots: start spread 1, saturating L_g)", figures[0])
    plot_part(runs_b, main_b, real, xs,
              f"B. affine G vs D with one hidden layer ({HIDDEN} tanh): mean and spread learned "
              "(snapshots: start spread 1)", figures[1])
    plot_losses(p, curves, figures[2])
    plot_early(runs_c, first, figures[3])
    clock["figures"] = time.perf_counter() - t0 - sum(clock.values())
    seconds = time.perf_counter() - t0
    print(f"time: total {seconds:.1f} s (" + ", ".join(f"{k} {v:.1f} s" for k, v in clock.items())
          + ")")

    def summary(run: dict) -> dict:
        keys = ("hidden", "loss", "start_sd", "steps", "gen_mean", "gen_std", "param_mean",
                "param_sd", "min_sd", "max_sd", "d_range_end", "late_rate", "seconds")
        return {k: run[k] for k in keys}

    return {"real_mean": float(real.mean()), "real_std": float(real.std()),
            "affine_d": affine,
            "part_a": [summary(r) for r in runs_a], "predicted_late_rate": predicted,
            "part_b": [summary(r) for r in runs_b],
            "part_c": {"early": early, "grad_ratio": ratio, "first_steps": first,
                       "steps": steps_c, "grad_formula_error": curves["grad_error"]},
            "figures": figures, "seconds": seconds, "clock": clock}


if __name__ == "__main__":
    main()
