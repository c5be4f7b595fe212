"""The figures of lesson 3 (dense layer, losses, gradient descent): each function takes
what the lesson computed and returns a matplotlib Figure for `lesson.save`."""
from __future__ import annotations

from typing import Any

import numpy as np

from _lesson import plt

COLOURS = ["tab:blue", "tab:green", "tab:orange", "tab:red"]


def brackets() -> plt.Figure:
    """The loss of one sample against ŷ: with brackets, y = 0 costs −log(1 − ŷ); the
    bracket-less formula gives +log(1 − ŷ), lowest where the model is most wrong."""
    p = np.linspace(0.001, 0.999, 400)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(p, -np.log(1 - p), label="with brackets, y = 0:  −log(1 − ŷ)")
    ax.plot(p, np.log(1 - p), "--", label="as printed, y = 0:  +log(1 − ŷ)")
    ax.plot(p, -np.log(p), ":", label="both, y = 1:  −log ŷ")
    ax.axhline(0, color="gray", lw=0.5)
    ax.set(xlabel="predicted probability ŷ of class 1", ylabel="loss of one sample",
           ylim=(-5, 5), title="a true 0: the printed formula rewards ŷ → 1")
    ax.legend(fontsize=8)
    return fig


def loss_surface(x: np.ndarray, y: np.ndarray, ws: np.ndarray, bs: np.ndarray) -> np.ndarray:
    """J(w, b) = (1/n) Σ_k (w x_k + b − y_k)² on a grid: J[i, j] at (ws[j], bs[i])."""
    W, B = np.meshgrid(ws, bs)
    return np.mean((W[..., None] * x + B[..., None] - y) ** 2, axis=-1)


def line_fit(line: dict[str, Any]) -> plt.Figure:
    """Left: J(θ_k) − J(θ*) per step for each learning rate (log scale). Right: the paths
    of θ = (w, b) on the contours of J (the first 40 steps, or 8 for the fast rates)."""
    fig, (ax_c, ax_s) = plt.subplots(1, 2, figsize=(13, 5))
    for (name, (curve, _)), colour in zip(line["runs"].items(), COLOURS):
        ax_c.semilogy(curve - line["J_star"] + 1e-12, color=colour,
                      label=f"α = {line['rates'][name]:.3f}  {name}")
    ax_c.set(xlabel="step k", ylabel="J(θ_k) − J(θ*)  (log scale)",
             title=f"line fit, MSE: diverges for α > 2/λmax = {line['alpha_crit']:.3f}")
    ax_c.legend(fontsize=8)
    ax_c.grid(alpha=0.3)
    ws, bs = np.linspace(-1.5, 4.5, 241), np.linspace(-2.5, 3.5, 241)
    J = loss_surface(line["x"], line["y"], ws, bs)
    ax_s.contour(ws, bs, J, levels=np.geomspace(J.min() + 1e-3, J.max(), 25), cmap="viridis",
                 linewidths=0.8)
    for (name, (_, path)), colour in zip(line["runs"].items(), COLOURS):
        shown = path[:40] if name.startswith(("too small", "about")) else path[:9]
        ax_s.plot(shown[:, 0], shown[:, 1], ".-", color=colour, lw=1, ms=4, label=name,
                  zorder=4 if name.startswith("just") else 3)
    ax_s.plot(*line["theta_star"], "k*", ms=14, label="least squares θ*")
    ax_s.set(xlim=(ws[0], ws[-1]), ylim=(bs[0], bs[-1]), xlabel="w (slope)",
             ylabel="b (intercept)", title="θ = (w, b) on the contours of J")
    ax_s.set_aspect("equal")
    ax_s.legend(fontsize=8, loc="lower left")
    return fig


def logistic(exp: dict[str, Any]) -> plt.Figure:
    """Left: cross-entropy per step for three learning rates. Middle: the bracket-less
    formula's value while it is minimised. Right: the two decision boundaries
    w·x + b = 0 (σ = ½) on the data."""
    fig, (ax_c, ax_l, ax_d) = plt.subplots(1, 3, figsize=(17, 4.8))
    for name, run in exp["runs"].items():
        ax_c.semilogy(run["curve"], label=f"α = {exp['rates'][name]:.3g} ({name})")
    ax_c.set(xlabel="step", ylabel="cross-entropy (log scale)",
             title="logistic classifier: three learning rates")
    ax_c.legend(fontsize=8)
    ax_c.grid(alpha=0.3)
    ax_l.plot(exp["literal"]["curve"], "k--")
    ax_l.axhline(0, color="gray", lw=0.5)
    ax_l.set(xlabel="step", ylabel="the printed formula's value",
             title="minimising the formula as printed\n(it stops only at the 1e-7 clip of ŷ)")
    ax_l.grid(alpha=0.3)
    X, y = exp["X"], exp["y"]
    ax_d.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=12, edgecolor="k", linewidth=0.3)
    xs = np.linspace(X[:, 0].min(), X[:, 0].max(), 2)
    for run, style, label in ((exp["runs"]["about right"], "g-", "trained with cross-entropy"),
                              (exp["literal"], "k--", "trained with the printed formula")):
        w, b = run["w"], run["b"]
        if abs(w[1]) > 1e-9:
            ax_d.plot(xs, -(w[0] * xs + b) / w[1], style,
                      label=f"{label}: accuracy {run['accuracy']:.2f}")
    ax_d.set(ylim=(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5), xlabel="x₁", ylabel="x₂",
             title="decision boundaries σ(w·x + b) = 0.5 (red: class 1)")
    ax_d.legend(fontsize=8)
    return fig
