"""The figures and small bookkeeping of lessons 4 and 4b (the section-4 CNN on MNIST and what
its kernels respond to). Each figure function returns a matplotlib Figure; the lesson saves
it with `lesson.save(fig, name)`. The ideas themselves (training, the held-out validation
set, the convolution sums, the search for maximal patches) stay in the lessons."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from _lesson import plt


def _clean(axes: Any) -> None:
    for ax in np.ravel(axes):
        ax.set_xticks([]), ax.set_yticks([])


def curves(history: Mapping[str, Sequence[float]]) -> "plt.Figure":
    """Loss and accuracy per epoch: training (running mean over the epoch, dropout on) and
    validation (the held-out training images, after the epoch, dropout off)."""
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, key, label in ((ax_loss, "loss", "categorical cross-entropy"),
                           (ax_acc, "accuracy", "accuracy")):
        ax.plot(epochs, history[key], marker="o", label="training")
        ax.plot(epochs, history[f"val_{key}"], marker="o", label="validation (held out)")
        ax.set(xlabel="epoch", ylabel=label, title=key)
        ax.legend()
        ax.grid(alpha=0.3)
    return fig


def confusion_matrix(counts: np.ndarray) -> "plt.Figure":
    """counts[i, j] = test images of digit i predicted as j, coloured by log(1 + count)."""
    k = len(counts)
    fig, ax = plt.subplots(figsize=(6, 5.5))
    ax.imshow(np.log1p(counts), cmap="Blues")
    for i in range(k):
        for j in range(k):
            if counts[i, j]:
                ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=7,
                        color="white" if i == j else "black")
    ax.set(xticks=range(k), yticks=range(k), xlabel="predicted digit", ylabel="true digit",
           title="confusion matrix on the test set (colour: log count)")
    return fig


def mistakes(x: np.ndarray, true: np.ndarray, pred: np.ndarray, n: int = 40) -> "plt.Figure":
    """The first n images (N, 28, 28, 1) with true != pred, titled 'true→predicted'."""
    wrong = np.flatnonzero(true != pred)[:n]
    cols = 10
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.3), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), wrong):
        ax.imshow(x[i, :, :, 0], cmap="gray_r")
        ax.set_title(f"{true[i]}→{pred[i]}", fontsize=9, color="crimson")
    fig.suptitle(f"misclassified test digits (true→predicted), {len(wrong)} of "
                 f"{int((true != pred).sum())} shown")
    return fig


def kernels(kernel: np.ndarray, title: str = "the learned 3×3 kernels of the first Conv2D"
            ) -> "plt.Figure":
    """kernel (kh, kw, 1, C): one panel per output channel, red > 0, blue < 0, one colour
    scale for all."""
    count = kernel.shape[-1]
    cols = 8
    rows = -(-count // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols, rows * 1.1 + 0.4), squeeze=False)
    limit = float(np.abs(kernel).max())
    for k, ax in enumerate(axes.ravel()):
        if k < count:
            ax.imshow(kernel[:, :, 0, k], cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(str(k), fontsize=7)
        else:
            ax.axis("off")
    _clean(axes)
    fig.suptitle(f"{title} (red +, blue −)")
    return fig


def feature_maps(images: np.ndarray, maps: np.ndarray, channels: Sequence[int],
                 title: str) -> "plt.Figure":
    """One row per image: the digit, then maps[n, :, :, c] for each chosen channel c
    (each map on its own scale, 0 = white)."""
    rows, cols = len(images), len(channels) + 1
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.15, rows * 1.2), squeeze=False)
    for r in range(rows):
        axes[r, 0].imshow(images[r, :, :, 0], cmap="gray_r")
        for c, channel in enumerate(channels, start=1):
            axes[r, c].imshow(maps[r, :, :, channel], cmap="magma_r", vmin=0)
            if r == 0:
                axes[r, c].set_title(f"ch {channel}", fontsize=8)
    axes[0, 0].set_title("digit", fontsize=8)
    _clean(axes)
    fig.suptitle(title)
    return fig


def top_patches(found: Mapping[int, Mapping[str, Any]], title: str,
                kernel: np.ndarray | None = None) -> "plt.Figure":
    """One row per channel: (the kernel flipped, if given), the mean of the channel's top
    patches, then the patches themselves, each titled with its activation."""
    channels = list(found)
    k = len(found[channels[0]]["patches"])
    lead = 2 if kernel is not None else 1
    fig, axes = plt.subplots(len(channels), k + lead, figsize=((k + lead) * 0.95,
                                                                len(channels) * 1.1),
                             squeeze=False)
    for row, channel in enumerate(channels):
        patches = found[channel]["patches"]
        if kernel is not None:
            w = kernel[::-1, ::-1, 0, channel]
            limit = float(np.abs(w).max())
            axes[row, 0].imshow(w, cmap="RdBu_r", vmin=-limit, vmax=limit)
            axes[row, 0].set_ylabel(f"ch {channel}", fontsize=8)
        axes[row, lead - 1].imshow(patches.mean(axis=0)[:, :, 0], cmap="gray_r", vmin=0, vmax=1)
        if kernel is None:
            axes[row, 0].set_ylabel(f"ch {channel}", fontsize=8)
        for i in range(k):
            axes[row, lead + i].imshow(patches[i, :, :, 0], cmap="gray_r", vmin=0, vmax=1)
            axes[row, lead + i].set_title(f"{found[channel]['activations'][i]:.2f}", fontsize=6)
    heads = (["kernel\nflipped"] if kernel is not None else []) + ["mean"]
    for i, head in enumerate(heads):
        axes[0, i].set_title(head, fontsize=7)
    _clean(axes)
    fig.suptitle(title, fontsize=10)
    return fig


def compass(angle: float) -> str:
    """The nearest of 8 directions to an angle in degrees (0 = right, 90 = up), e.g.
    'ink up-right' for 40°."""
    names = ("right", "up-right", "up", "up-left", "left", "down-left", "down", "down-right")
    return "ink " + names[int(np.round(angle / 45.0)) % 8]


def generated(images: np.ndarray, scores: np.ndarray) -> "plt.Figure":
    """Images (N, 28, 28, 1) in [-1, 1] (a generator's tanh output), each titled with the
    discriminator's score D(G(z))."""
    fig, axes = plt.subplots(1, len(images), figsize=(len(images) * 1.2, 1.6), squeeze=False)
    for ax, image, score in zip(axes[0], images, scores):
        ax.imshow(image[:, :, 0], cmap="gray_r", vmin=-1, vmax=1)
        ax.set_title(f"D = {score:.2f}", fontsize=8)
    _clean(axes)
    fig.suptitle("an untrained DCGAN: G(z) for 8 noise vectors z, scored by D", fontsize=10)
    return fig
