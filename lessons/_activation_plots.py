"""Figures for lesson 2 (activation functions, §3.1.2 and §3.1.4): what a learner need
not read. Each function returns a matplotlib Figure; the lesson saves it with
`lesson.save`."""
from __future__ import annotations

import numpy as np

from _lesson import plt


def curves(z: np.ndarray, values: dict[str, tuple[np.ndarray, np.ndarray]]) -> "plt.Figure":
    """Left: f(z) of each activation; right: f'(z) (`values[name] = (f(z), f'(z))`)."""
    fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(11, 4))
    for name, (f, d) in values.items():
        ax_f.plot(z, f, label=name)
        ax_d.plot(z, d, label=name)
    ax_f.set(xlabel="z (the convolution's output)", ylabel="f(z)", ylim=(-1.5, 3),
             title="activations (§3.1.4: linear, sigmoid, ReLU; plus tanh, leaky ReLU)")
    ax_d.set(xlabel="z", ylabel="f'(z)", ylim=(-0.1, 1.15),
             title="derivatives from tinydl's autograd (backward)")
    for ax in (ax_f, ax_d):
        ax.axhline(0, color="k", lw=0.5), ax.axvline(0, color="k", lw=0.5)
        ax.grid(alpha=0.3), ax.legend()
    return fig


def feature_maps(image: np.ndarray, raw: np.ndarray, sig: np.ndarray,
                 rel: np.ndarray) -> "plt.Figure":
    """The digit, z = conv2d(digit, Sobel), sigmoid(z) and relu(z), each with a colour bar
    (a binary map would use two colours only)."""
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
    lim = float(np.abs(raw).max())
    panels = ((image, "MNIST test digit 0", dict(cmap="gray_r")),
              (raw, "z = conv2d(digit, Sobel)", dict(cmap="RdBu_r", vmin=-lim, vmax=lim)),
              (sig, "sigmoid(z)", dict(cmap="gray", vmin=0, vmax=1)),
              (rel, "relu(z)", dict(cmap="gray", vmin=0)))
    for ax, (img, title, style) in zip(axes, panels):
        im = ax.imshow(img, **style)
        fig.colorbar(im, ax=ax, fraction=0.046)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle("a feature map before and after the activation (§3.1.2 says: binary)")
    return fig


def histograms(raw: np.ndarray, sig: np.ndarray, rel: np.ndarray) -> "plt.Figure":
    """Histograms (log counts) of every pixel of z, sigmoid(z) and the positive part of
    relu(z); dashed red lines at 0 and 1 mark where a binary output would sit."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    for ax, v, title in ((axes[0], raw, "z = conv2d(digit, Sobel)"),
                         (axes[1], sig, "sigmoid(z)"),
                         (axes[2], rel[rel > 0], "relu(z), positive values only")):
        ax.hist(np.ravel(v), bins=60, log=True, color="tab:blue")
        ax.set(title=title, xlabel="value", ylabel="count (log)")
    axes[1].axvline(0, color="crimson", ls="--"), axes[1].axvline(1, color="crimson", ls="--")
    axes[1].text(0.5, 0.9, "a binary output would\nsit on the red lines only", ha="center",
                 transform=axes[1].transAxes, color="crimson", fontsize=8)
    fig.suptitle("every pixel of the feature maps of the digits used")
    return fig


def step_vs_sigmoid(x: np.ndarray, y: np.ndarray,
                    paths: dict[str, list[float]]) -> "plt.Figure":
    """Left: the toy data and the final neurons f(w·x); right: w during gradient descent
    for each activation (`paths[name]` = w after each step)."""
    fig, (ax_fit, ax_w) = plt.subplots(1, 2, figsize=(10, 3.4))
    grid = np.linspace(x.min() - 1, x.max() + 1, 400)
    ax_fit.scatter(x, y, color="k", zorder=3, label="data (label 0 or 1)")
    funcs = {"step": lambda z: (z > 0).astype(float), "sigmoid": lambda z: 1 / (1 + np.exp(-z))}
    for name, path in paths.items():
        ax_fit.plot(grid, funcs[name](path[-1] * grid), label=f"{name}(w·x), final w={path[-1]:.2f}")
        ax_w.plot(path, label=name)
    ax_fit.set(xlabel="x", ylabel="output", title="one neuron after training")
    ax_w.set(xlabel="gradient-descent step", ylabel="w", title="θ ← θ − α∇J on w")
    for ax in (ax_fit, ax_w):
        ax.grid(alpha=0.3), ax.legend(fontsize=8)
    return fig
