"""The figures of the section-5 lessons (10 data and compute, 11 explainability, 12 adversarial
examples, 13 membership inference). Each function takes what the lesson computed and returns
a matplotlib Figure; the lesson saves it with `lesson.save(fig, name)`. Nothing here computes
a result: the formulas and the experiments stay in the lessons."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from _lesson import plt

SIGNED = ("gradient × input", "integrated gradients")


def _no_ticks(axes: np.ndarray) -> None:
    for ax in np.ravel(axes):
        ax.set_xticks([]), ax.set_yticks([])


# -- lesson 10 -------------------------------------------------------------------------------

def data_curve(rows: Sequence[Mapping], n_test: int) -> "plt.Figure":
    """Test accuracy (left axis, %) and training time (right axis, s, log) against the
    number of training images (log). rows: dicts with n, epochs, accuracy, seconds."""
    n = np.array([r["n"] for r in rows])
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(n, [100 * r["accuracy"] for r in rows], "o-", color="tab:blue")
    for r in rows:
        ax.annotate(f"{100 * r['accuracy']:.1f}%\n({r['epochs']} ep.)",
                    (r["n"], 100 * r["accuracy"]), textcoords="offset points",
                    xytext=(0, -30), ha="center", fontsize=8, color="tab:blue")
    ax.set(xscale="log", xlabel="training images (log scale)",
           title=f"section-4 CNN: data, accuracy and compute ({n_test:,} test images)")
    ax.set_ylabel("test accuracy (%)", color="tab:blue")
    ax.grid(alpha=0.3, which="both")
    twin = ax.twinx()
    twin.plot(n, [r["seconds"] for r in rows], "s--", color="tab:red")
    twin.set(yscale="log")
    twin.set_ylabel("training time (s, log scale)", color="tab:red")
    return fig


# -- lesson 11 -------------------------------------------------------------------------------

def attribution_grid(x: np.ndarray, labels: np.ndarray, predicted: np.ndarray,
                     maps: Mapping[str, np.ndarray]) -> "plt.Figure":
    """One row per digit: the image (title red when misclassified), then each method's
    (N, 28, 28) map; signed maps in red (+) / blue (−), the others bright = more."""
    n = len(x)
    fig, axes = plt.subplots(n, 1 + len(maps), figsize=(1.7 * (1 + len(maps)), 1.8 * n),
                             squeeze=False)
    for i in range(n):
        axes[i, 0].imshow(x[i, :, :, 0], cmap="gray_r")
        axes[i, 0].set_title(f"true {labels[i]}, said {predicted[i]}", fontsize=8,
                             color="black" if labels[i] == predicted[i] else "crimson")
        for j, (name, m) in enumerate(maps.items(), start=1):
            limit = np.abs(m[i]).max() or 1.0
            signed = name in SIGNED
            axes[i, j].imshow(m[i], cmap="RdBu_r" if signed else "inferno",
                              vmin=-limit if signed else 0, vmax=limit)
            if i == 0:
                axes[i, j].set_title(name, fontsize=8)
    _no_ticks(axes)
    fig.suptitle("why the predicted class? (red +, blue −; brighter = more)", fontsize=9)
    return fig


def sanity_curves(all_pixels: Mapping[str, Sequence[float]], ink: Mapping[str, Sequence[float]],
                  layers: Sequence[str]) -> "plt.Figure":
    """Mean rank correlation with the original map after each cascading randomisation
    step, over all pixels (left) and over the ink pixels only (right)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    steps = np.arange(len(layers) + 1)
    for ax, table, where in ((axes[0], all_pixels, "all pixels"),
                             (axes[1], ink, "ink pixels only")):
        for name, rho in table.items():
            ax.plot(steps, [1.0, *rho], "o-", label=name)
        ax.set_xticks(steps, ["original", *[f"+ {name}" for name in layers]], rotation=20,
                      fontsize=8)
        ax.axhline(0, color="gray", lw=0.8)
        ax.set(title=f"rank correlation over {where}", ylim=(-1.05, 1.05))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("rank correlation with the original map")
    axes[0].legend(fontsize=8)
    fig.suptitle("sanity check: the weights randomised layer by layer from the top (cascading)")
    return fig


# -- lesson 12 -------------------------------------------------------------------------------

def adversarial_examples(x: np.ndarray, x_adv: np.ndarray, before: np.ndarray,
                         after: np.ndarray, labels: np.ndarray, eps: float) -> "plt.Figure":
    """Three rows: the digits with the model's answer, the perturbation x_adv − x (±ε),
    and the perturbed digits with the new answer (red when wrong)."""
    fig, axes = plt.subplots(3, len(x), figsize=(1.5 * len(x), 4.8), squeeze=False)
    for i in range(len(x)):
        axes[0, i].imshow(x[i, :, :, 0], cmap="gray_r", vmin=0, vmax=1)
        axes[0, i].set_title(f"says {before[i]}", fontsize=8)
        axes[1, i].imshow(x_adv[i, :, :, 0] - x[i, :, :, 0], cmap="RdBu_r", vmin=-eps, vmax=eps)
        axes[2, i].imshow(x_adv[i, :, :, 0], cmap="gray_r", vmin=0, vmax=1)
        axes[2, i].set_title(f"says {after[i]}", fontsize=8,
                             color="crimson" if after[i] != labels[i] else "black")
    _no_ticks(axes)
    axes[0, 0].set_ylabel("digit", fontsize=8)
    axes[1, 0].set_ylabel(f"perturbation\n(±{eps})", fontsize=8)
    axes[2, 0].set_ylabel("digit + perturbation", fontsize=8)
    fig.suptitle(f"FGSM, ε = {eps}: every pixel moved by at most {eps}", fontsize=9)
    return fig


def robustness_curves(eps: Sequence[float], before: Mapping[str, np.ndarray],
                      after: Mapping[str, np.ndarray], reference: Sequence[float],
                      n: int) -> "plt.Figure":
    """Accuracy under FGSM and PGD against ε, before (solid) and after (dashed)
    adversarial training; `reference` (grey, dotted) is the PyTorch tutorial's FGSM curve."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(eps, 100 * np.array(reference), ":", color="gray",
            label="PyTorch tutorial, FGSM (its own network)")
    for name, color in (("FGSM", "tab:blue"), ("PGD", "tab:red")):
        ax.plot(eps, 100 * before[name], "o-", color=color, label=f"{name}, standard training")
        ax.plot(eps, 100 * after[name], "s--", color=color,
                label=f"{name}, after adversarial training")
    ax.set(xlabel="ε (L∞ budget per pixel)", ylabel="test accuracy under attack (%)",
           title=f"section-4 CNN under attack ({n:,} test images)", ylim=(0, 101))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


# -- lesson 13 -------------------------------------------------------------------------------

def membership(results: Mapping[str, Mapping]) -> "plt.Figure":
    """Left: the attack's ROC curve per model (with its AUC). Then one histogram per model
    of log10 of the members' and the non-members' losses (losses ≤ 1e-12 drawn at −12)."""
    fig, axes = plt.subplots(1, 1 + len(results), figsize=(4 * (1 + len(results)), 4))
    ax = axes[0]
    for name, r in results.items():
        ax.plot(r["fpr"], r["tpr"], label=f"{name}: AUC {r['auc']:.3f}")
    ax.plot([0, 1], [0, 1], ":", color="gray", label="guessing: AUC 0.5")
    ax.set(xlabel="false-positive rate (non-members called members)",
           ylabel="true-positive rate (members found)", title="loss-threshold attack, ROC")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    for ax, (name, r) in zip(axes[1:], results.items()):
        logs_in, logs_out = (np.log10(np.maximum(r[k], 1e-12)) for k in ("loss_in", "loss_out"))
        bins = np.linspace(-12, max(1.0, logs_out.max()), 40)
        ax.hist(logs_in, bins, alpha=0.6, label="members (trained on)")
        ax.hist(logs_out, bins, alpha=0.6, label="non-members")
        ax.set(xlabel="log₁₀ cross-entropy of the true label", title=name)
        ax.legend(fontsize=8)
    axes[1].set_ylabel("images")
    fig.suptitle("members have lower losses: the gap is what the attack reads")
    fig.tight_layout()
    return fig
