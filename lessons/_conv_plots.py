"""Figures and timing for lesson 1 (the convolution of §3.1.4): what a learner need not read.

Each figure function returns a matplotlib Figure; the lesson saves it with `lesson.save`.
Colours: red is positive, blue negative (a symmetric scale around 0).
"""
from __future__ import annotations

import itertools
import time
from typing import Callable

import numpy as np

import tinydl.functional as F

from _lesson import plt


def best_ms(fn: Callable[[], object], repeats: int) -> float:
    """The fastest of `repeats` calls of fn, in milliseconds (min over runs: the run least
    disturbed by other work on the machine)."""
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def _conv(image: np.ndarray, kernel: np.ndarray, op: Callable = F.conv2d) -> np.ndarray:
    """One 2-D image and one 2-D kernel through tinydl's (N, H, W, C) op, 'valid'."""
    return op(image[None, :, :, None], kernel[:, :, None, None]).data[0, :, :, 0]


def _show_kernel(ax: "plt.Axes", kernel: np.ndarray, title: str, digits: str = ".3g") -> None:
    """A small kernel as a red/blue image with its numbers written in."""
    lim = float(np.abs(kernel).max()) or 1.0
    ax.imshow(kernel, cmap="RdBu_r", vmin=-lim, vmax=lim)
    if kernel.size <= 25:
        for (r, c), v in np.ndenumerate(kernel):
            ax.text(c, r, f"{v:{digits}}", ha="center", va="center", fontsize=8)
    ax.set_title(title, fontsize=9)


def _no_ticks(axes: np.ndarray) -> None:
    for ax in np.ravel(axes):
        ax.set_xticks([]), ax.set_yticks([])


def feature_maps(image: np.ndarray, kernels: dict[str, np.ndarray],
                 maps: dict[str, np.ndarray]) -> "plt.Figure":
    """Top row: the digit and each kernel; bottom row: conv2d(digit, kernel) for each."""
    fig, axes = plt.subplots(2, len(maps) + 1, figsize=(3 * (len(maps) + 1), 6))
    axes[0, 0].imshow(image, cmap="gray_r")
    axes[0, 0].set_title("MNIST test digit 0")
    axes[1, 0].axis("off")
    for col, (name, fmap) in enumerate(maps.items(), start=1):
        _show_kernel(axes[0, col], kernels[name], f"kernel: {name}")
        signed = fmap.min() < 0
        lim = float(np.abs(fmap).max())
        axes[1, col].imshow(fmap, cmap="RdBu_r" if signed else "gray_r",
                            vmin=-lim if signed else 0, vmax=lim)
        axes[1, col].set_title(f"conv2d output {fmap.shape[0]}×{fmap.shape[1]}", fontsize=9)
    _no_ticks(axes)
    fig.suptitle("§3.1.4's convolution on a real digit (red +, blue −)")
    return fig


def conv_vs_corr(image: np.ndarray, kernels: dict[str, np.ndarray]) -> "plt.Figure":
    """One row per kernel: the kernel, conv2d (true convolution), correlate2d (Keras,
    PyTorch) and their difference, all on one colour scale per row."""
    fig, axes = plt.subplots(len(kernels), 4, figsize=(12, 3 * len(kernels)), squeeze=False)
    for r, (name, kernel) in enumerate(kernels.items()):
        a, b = _conv(image, kernel), _conv(image, kernel, F.correlate2d)
        lim = max(float(np.abs(a).max()), float(np.abs(b).max()))
        _show_kernel(axes[r, 0], kernel, f"kernel: {name}")
        for ax, img, title in ((axes[r, 1], a, "conv2d (article: true convolution)"),
                               (axes[r, 2], b, "correlate2d (Keras / PyTorch)"),
                               (axes[r, 3], a - b, "difference")):
            ax.imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(title, fontsize=9)
    _no_ticks(axes)
    fig.suptitle("an asymmetric kernel: convolution flips it, correlation does not\n"
                 "(Sobel: the sign flips; shift: the digit moves the other way)")
    return fig


def learned_kernels(fitted: dict[str, dict[str, np.ndarray]]) -> "plt.Figure":
    """One row per target kernel: the Keras-style layer's kernel and the least-squares fits
    with correlate2d and with conv2d (`fitted[name]` has keys 'true', 'correlate2d',
    'conv2d')."""
    fig, axes = plt.subplots(len(fitted), 3, figsize=(8, 2.8 * len(fitted)), squeeze=False)
    for r, (name, f) in enumerate(fitted.items()):
        for ax, key, title in ((axes[r, 0], "true", f"{name}: the Keras-style layer's kernel"),
                               (axes[r, 1], "correlate2d", "fitted with correlate2d"),
                               (axes[r, 2], "conv2d", "fitted with conv2d")):
            _show_kernel(ax, f[key], title, ".2f")
    _no_ticks(axes)
    fig.suptitle("one Keras-style target, a kernel fitted with each op (least squares)")
    return fig


def output_sizes(rows: list[tuple], h: int) -> "plt.Figure":
    """Left: output size against kernel size for each (padding, stride) of `rows`
    (tuples (padding, stride, k, formula, actual)); right: a drawing of a 7×7 input,
    padding 1, a 3×3 kernel and stride 2, floor((7 + 2 - 3)/2) + 1 = 4 outputs per row."""
    fig, (ax, ax_grid) = plt.subplots(1, 2, figsize=(12, 4.5))
    colour = {"valid": "tab:blue", "same": "tab:red", 1: "tab:green", 2: "tab:purple"}
    style = {1: "-", 2: "--", 3: ":"}
    for (padding, s), group in itertools.groupby(rows, key=lambda r: (r[0], r[1])):
        group = list(group)
        ax.plot([g[2] for g in group], [g[4] for g in group], marker="o",
                color=colour.get(padding, "k"), linestyle=style.get(s, "-."),
                label=f"padding={padding!r}, stride={s}")
    ax.set(xlabel="kernel size k", ylabel=f"output size (input {h}×{h})",
           title="output size = floor((H+2p−k)/s)+1\n'same' (Keras): ceil(H/s)")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    n, p, k, s = 7, 1, 3, 2
    size = n + 2 * p
    for i in range(size):
        for j in range(size):
            inside = p <= i < p + n and p <= j < p + n
            ax_grid.add_patch(plt.Rectangle((j, size - 1 - i), 1, 1, edgecolor="black", lw=0.5,
                                            facecolor="white" if inside else "0.8"))
    n_out = (n + 2 * p - k) // s + 1
    for j in range(n_out):                  # the windows of the first output row
        inset = 0.07 * (j + 1)              # nested a little so overlapping windows show
        ax_grid.add_patch(plt.Rectangle((s * j + inset, size - k + inset), k - 2 * inset,
                                        k - 2 * inset, fill=False,
                                        edgecolor=plt.cm.tab10.colors[j], lw=2.5))
        ax_grid.text(s * j + 0.3, size - 0.6, f"y[0,{j}]", color=plt.cm.tab10.colors[j],
                     fontsize=8)
    ax_grid.set(xlim=(-0.5, size + 0.5), ylim=(-0.5, size + 0.5), aspect="equal",
                title=f"input {n}×{n}, padding {p} (grey), kernel {k}×{k}, stride {s}:\n"
                      f"floor(({n}+2·{p}−{k})/{s})+1 = {n_out}, output {n_out}×{n_out}\n"
                      "(the windows of the first output row)")
    ax_grid.axis("off")
    return fig
