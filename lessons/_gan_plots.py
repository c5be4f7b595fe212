"""Figures, tables and bookkeeping of the GAN lessons (7, 7b and 8): what a learner need not
read. Every figure function returns a matplotlib Figure (the lesson saves it with
`lesson.save(fig, name)`); `table` returns a string to print."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from _lesson import plt

REJECTS = 0.1        # D(G(z)) below this: D confidently rejects the fakes (shaded red)


def normal_pdf(xs: np.ndarray, mean: float, std: float) -> np.ndarray:
    """The density of N(mean, std²) at xs: exp(−(x − mean)²/(2 std²)) / (std √(2π))."""
    return np.exp(-0.5 * ((xs - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


def table(rows: Mapping[str, Mapping[str, Any]], title: str = "") -> str:
    """Rows of numbers as aligned text: one line per row name, one column per key of the
    first row (None prints as '-', floats with 4 significant digits)."""
    columns = list(next(iter(rows.values())))
    width = max(12, *(len(c) for c in columns))
    name_width = max(len(title), *(len(r) for r in rows))

    def cell(value: Any) -> str:
        if value is None:
            return "-".rjust(width)
        if isinstance(value, (float, np.floating)):
            return f"{value:{width}.4g}"
        return str(value).rjust(width)

    lines = [title.ljust(name_width) + "".join(c.rjust(width + 1) for c in columns)]
    for name, row in rows.items():
        lines.append(name.ljust(name_width) + "".join(" " + cell(row[c]) for c in columns))
    return "\n".join(lines)


# -- lesson 7 ------------------------------------------------------------------------------

def who_d_judges(fixed: Mapping[str, dict], trained: Mapping[str, dict], real_mean: float,
                 real_std: float, bad_mean: float = 8.0) -> plt.Figure:
    """Left: D(x) = σ(W_d x + b_d) after training against a G fixed at N(bad_mean, 1), for
    the literal L_d (it judges z) and the correct one (it judges G(z)), over the densities
    of the data, the noise and G's samples. Right: G's mean b_g per step when G trains."""
    xs = np.linspace(-4, 12, 400)
    fig, (ax_d, ax_g) = plt.subplots(1, 2, figsize=(12, 4))
    ax_p = ax_d.twinx()
    for mean, std, colour, label in ((real_mean, real_std, "tab:blue", "data p_d"),
                                     (0.0, 1.0, "tab:gray", "noise p_z"),
                                     (bad_mean, 1.0, "tab:orange", "G's samples")):
        ax_p.fill_between(xs, normal_pdf(xs, mean, std), color=colour, alpha=0.2, label=label)
    ax_p.set(ylim=(0, 1.4), yticks=[])
    for judges, style in (("z", "--"), ("G(z)", "-")):
        run = fixed[judges]
        d = 1 / (1 + np.exp(-(run["W_d"] * xs + run["b_d"])))
        ax_d.plot(xs, d, "k" + style, label=f"D trained on the L_d that judges {judges}")
    ax_d.set(xlabel="x", ylabel="D(x)", ylim=(0, 1.02), title="what D learned (G fixed)")
    ax_d.legend(loc="center left", fontsize=8)
    ax_p.legend(loc="upper right", fontsize=8)
    for judges, style in (("z", "--"), ("G(z)", "-")):
        ax_g.plot(trained[judges]["g_mean"], "k" + style, label=f"L_d judges {judges}")
    ax_g.axhline(real_mean, color="tab:blue", lw=2, alpha=0.5, label="the data's mean")
    ax_g.set(xlabel="step", ylabel="G's mean b_g", title="G trained against each D")
    ax_g.legend(fontsize=8)
    ax_g.grid(alpha=0.3)
    return fig


def generator_losses(p: np.ndarray, curves: Mapping[str, np.ndarray]) -> plt.Figure:
    """The saturating log(1 − D) and non-saturating −log D generator losses of one sample
    against D(G(z)) = p, and their derivatives with respect to D's logit (−p, −(1 − p))."""
    fig, (ax_l, ax_g) = plt.subplots(1, 2, figsize=(12, 4.2))
    ax_l.plot(p, curves["saturating"], label="saturating (the article's L_g): log(1 − D)")
    ax_l.plot(p, curves["non_saturating"], label="non-saturating: −log D")
    ax_l.set(xlabel="D(G(z))", ylabel="G's loss for one sample", ylim=(-5, 7),
             title="the two generator losses (G lowers both by raising D(G(z)))")
    ax_g.plot(p, curves["saturating_grad"], label="saturating: ∂/∂l = −D(G(z))")
    ax_g.plot(p, curves["non_saturating_grad"], label="non-saturating: ∂/∂l = −(1 − D(G(z)))")
    ax_g.set(xlabel="D(G(z))", ylabel="derivative w.r.t. D's logit l (autograd)",
             title="where D rejects the fakes, the saturating slope is ≈ 0")
    for ax in (ax_l, ax_g):
        ax.axvspan(0, REJECTS, color="tab:red", alpha=0.12,
                   label=f"D rejects the fakes (D(G(z)) < {REJECTS})")
        ax.axhline(0, color="gray", lw=0.5)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return fig


def early_training(runs: Mapping[str, dict], first: int, real_mean: float,
                   reached: float) -> plt.Figure:
    """Per step of each run ({loss name: history}): mean D(G(z)), the length of G's
    gradient (log scale) and G's mean, with the first `first` steps marked."""
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.2))
    for kind, run in runs.items():
        label = f"{kind.replace('_', '-')} L_g"
        axes[0].plot(run["d_fake"], lw=1, label=label)
        axes[1].semilogy(run["g_grad"], lw=1, label=label)
        axes[2].plot(run["g_mean"], lw=1.5, label=label)
    axes[0].axhspan(0, REJECTS, color="tab:red", alpha=0.12, label="D rejects the fakes")
    axes[0].set(xlabel="step", ylabel="mean D(G(z))", title="how D judges G's samples",
                ylim=(0, 1))
    axes[1].set(xlabel="step", ylabel="‖∂L_g/∂θ_g‖ (log scale)", title="length of G's gradient")
    axes[2].axhspan(real_mean - reached, real_mean + reached, color="tab:blue", alpha=0.15,
                    label=f"within {reached} of the data's mean")
    axes[2].set(xlabel="step", ylabel="G's mean b_g", title="G starts at −4, the data at +4")
    for ax in axes:
        ax.axvline(first, color="gray", lw=0.8, ls=":")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return fig


# -- lesson 7b -----------------------------------------------------------------------------

def toy_part(runs: Sequence[dict], main_run: dict, real: np.ndarray, xs: np.ndarray,
             title: str, real_mean: float = 4.0, real_std: float = 1.25) -> plt.Figure:
    """Top: the main run at its snapshots (the real density, G's samples, D(x) and the
    optimal D*(x)). Bottom: G's mean b_g and spread |W_g| over training, every run
    (solid: saturating L_g, dashed: non-saturating; colour: the starting spread)."""
    steps = sorted(main_run["snapshots"])
    fig = plt.figure(figsize=(4.2 * len(steps), 8.2))
    grid = fig.add_gridspec(2, 2 * len(steps), wspace=0.6, hspace=0.35)
    hist = {"bins": 60, "range": (xs[0], xs[-1]), "density": True, "histtype": "stepfilled"}
    for i, step in enumerate(steps):
        snap = main_run["snapshots"][step]
        ax = fig.add_subplot(grid[0, 2 * i:2 * i + 2])
        ax.hist(real[:4000], color="tab:blue", alpha=0.35, label="real samples", **hist)
        ax.plot(xs, normal_pdf(xs, real_mean, real_std), color="tab:blue", lw=1.5,
                label=f"real N({real_mean:g}, {real_std:g}²)")
        ax.hist(snap["fake"], color="tab:orange", alpha=0.45, label="G(z) samples", **hist)
        ax.set(xlim=(xs[0], xs[-1]), ylim=(0, 0.75), xlabel="x",
               title=f"step {step}: G = N({snap['mean']:.2f}, {snap['sd']:.2f}²)")
        twin = ax.twinx()
        twin.plot(xs, snap["d"], color="k", lw=1.5, label="D(x)")
        twin.plot(xs, snap["d_star"], "k:", lw=1.2, label="optimal D*(x)")
        twin.axhline(0.5, color="gray", lw=0.5)
        twin.set_ylim(0, 1)
        ax.tick_params(labelleft=i == 0)        # one density scale (left), one D scale (right)
        twin.tick_params(labelright=i == len(steps) - 1)
        if i == 0:
            ax.set_ylabel("density")
            ax.legend(fontsize=7, loc="upper left")
            twin.legend(fontsize=7, loc="center left")
        if i == len(steps) - 1:
            twin.set_ylabel("D(x)")
    ax_m = fig.add_subplot(grid[1, :len(steps)])
    ax_s = fig.add_subplot(grid[1, len(steps):])
    colours = dict(zip((0.3, 1.0, 3.0), ("tab:green", "tab:purple", "tab:red")))
    for run in runs:
        style = "-" if run["loss"] == "saturating" else "--"
        label = f"start spread {run['start_sd']}, {run['loss'].replace('_', '-')} L_g"
        colour = colours.get(run["start_sd"], "k")
        ax_m.plot(run["means"], style, color=colour, lw=1, label=label)
        ax_s.plot(run["sds"], style, color=colour, lw=1, label=label)
    ax_m.axhline(real_mean, color="tab:blue", lw=2, alpha=0.5, label=f"real mean {real_mean:g}")
    ax_s.axhline(real_std, color="tab:blue", lw=2, alpha=0.5, label=f"real std {real_std:g}")
    ax_m.set(xlabel="step", ylabel="G's mean b_g", title="G's mean during training")
    ax_s.set(xlabel="step", ylabel="G's spread |W_g|",
             title="G's spread during training (same lines as on the left)")
    for ax in (ax_m, ax_s):
        ax.grid(alpha=0.3)
    ax_m.legend(fontsize=7)
    ax_s.legend(handles=ax_s.get_lines()[-1:], fontsize=7)
    fig.suptitle(title)
    return fig


# -- lesson 8 ------------------------------------------------------------------------------

def image_grids(grids: Mapping[str, np.ndarray], value_range: tuple[float, float] = (-1, 1)
                ) -> plt.Figure:
    """One panel per {title: batch of images}, each batch tiled by `tinydl.image_grids.image_grid`
    (images (N, 784) or (N, 28, 28, 1); pixel values in `value_range`)."""
    from tinydl.image_grids import image_grid

    fig, axes = plt.subplots(1, len(grids), figsize=(4.2 * len(grids), 4.6), squeeze=False)
    for ax, (title, images) in zip(axes[0], grids.items()):
        ax.imshow(image_grid(images, value_range=value_range), cmap="gray", vmin=0, vmax=1)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    return fig


def loss_comparison(runs: Mapping[str, Mapping[str, Sequence[float]]]) -> plt.Figure:
    """Per training step of each run ({'saturating' | 'non_saturating': batch_history}):
    mean D(G(z)) and the length of G's gradient ‖∂L_g/∂θ_g‖ (log scale)."""
    fig, (ax_d, ax_g) = plt.subplots(1, 2, figsize=(11, 3.8))
    for kind, colour in (("saturating", "tab:red"), ("non_saturating", "tab:blue")):
        label = ("saturating: log(1 − D(G(z))), the article's" if kind == "saturating"
                 else "non-saturating: −log D(G(z))")
        ax_d.plot(runs[kind]["d_fake"], color=colour, label=label)
        ax_g.semilogy(runs[kind]["g_grad_norm"], color=colour, label=label)
    ax_d.set(xlabel="training step", ylabel="mean D(G(z))", ylim=(0, 1),
             title="how D judges the fakes")
    ax_g.set(xlabel="training step", ylabel="‖∂L_g/∂θ_g‖", title="length of G's gradient")
    ax_d.legend(fontsize=8)
    return fig


def gan_curves(history: Mapping[str, Sequence[float]],
               batch_history: Mapping[str, Sequence[float]]) -> plt.Figure:
    """Both losses, and mean D(x) and D(G(z)), per epoch (dots) and per step (faint)."""
    epochs = np.arange(1, len(history["d_loss"]) + 1)
    per_epoch = max(1, len(batch_history["d_loss"]) // max(1, len(epochs)))
    fig, (ax_loss, ax_d) = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, series in ((ax_loss, (("d_loss", "L_d", "tab:blue"), ("g_loss", "L_g", "tab:orange"))),
                       (ax_d, (("d_real", "mean D(x), real", "tab:green"),
                               ("d_fake", "mean D(G(z)), fake", "tab:red")))):
        for key, label, colour in series:
            steps = np.arange(1, len(batch_history[key]) + 1) / per_epoch
            ax.plot(steps, batch_history[key], color=colour, alpha=0.25, lw=0.6)
            ax.plot(epochs, history[key], "o-", color=colour, label=label + " (epoch mean)")
        ax.set_xlabel("epoch")
        ax.legend(fontsize=8)
    ax_loss.set(ylabel="loss", title="losses (faint: every step)")
    ax_d.axhline(0.5, color="grey", ls=":", lw=1)
    ax_d.set(ylabel="D's probability of 'real'", ylim=(0, 1),
             title="the discriminator's view (0.5: it cannot tell)")
    return fig
