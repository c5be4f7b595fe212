"""The figures of lesson 9 (segmentation). Each function returns a matplotlib Figure for
`lesson.save(fig, name)`.

A mask (H, W) of classes 0..10 is drawn with one fixed colour per class: the ten tab10
colours for the digits 0..9, near-white for the background (10).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from _lesson import plt
from tinydl.datasets.mnist_scenes import BACKGROUND

COLOURS = np.vstack([plt.get_cmap("tab10")(np.arange(10))[:, :3], [[0.96, 0.96, 0.96]]])


def colour(mask: np.ndarray) -> np.ndarray:
    """An RGB image (H, W, 3) of a mask (H, W): COLOURS[class] at each pixel."""
    return COLOURS[mask]


def _legend(fig: Figure) -> None:
    handles = [Patch(color=COLOURS[k], label=str(k)) for k in range(10)]
    handles.append(Patch(facecolor=COLOURS[BACKGROUND], edgecolor="grey", label="background"))
    fig.legend(handles=handles, loc="lower center", ncol=11, fontsize=8, frameon=False)


def scenes(show: Sequence[int], x: np.ndarray, y: np.ndarray, pred: np.ndarray,
           pred_then: np.ndarray, pred_noskip: np.ndarray, reads: Sequence[list[int]],
           truths: Sequence[list[int]], then: str = "1 epoch") -> Figure:
    """One row per scene index in `show`: the scene (from x, (N, H, W, 1)), its true mask,
    the trained U-Net's mask (titled with what was read from it, red when that is wrong),
    and a U-Net and the network without skips after the same short training (`then`)."""
    x, y, pred, pred_then, pred_noskip = (a[list(show)] for a in (x, y, pred, pred_then,
                                                                  pred_noskip))
    reads, truths = [reads[i] for i in show], [truths[i] for i in show]
    rows = len(x)
    fig, axes = plt.subplots(rows, 5, figsize=(13.5, 1.9 * rows + 0.6), squeeze=False)
    for r in range(rows):
        panels = [(x[r, :, :, 0], "scene", "gray_r"), (colour(y[r]), "true mask", None),
                  (colour(pred[r]), f"U-Net, read {reads[r]}", None),
                  (colour(pred_then[r]), f"U-Net after {then}", None),
                  (colour(pred_noskip[r]), f"no skips, {then}", None)]
        for ax, (image, title, cmap) in zip(axes[r], panels):
            ax.imshow(image, cmap=cmap)
            ax.set_xticks([]), ax.set_yticks([])
            wrong = "read" in title and reads[r] != truths[r]
            ax.set_title(title if r == 0 or "read" in title else "", fontsize=9,
                         color="crimson" if wrong else "black")
        axes[r, 0].set_ylabel(f"digits {truths[r]}", fontsize=8)
    _legend(fig)
    fig.subplots_adjust(bottom=0.9 / (1.9 * rows + 0.6))
    return fig


def errors(show: Sequence[int], x: np.ndarray, y: np.ndarray, pred: np.ndarray) -> Figure:
    """The scenes `show` of x (N, H, W, 1) in grey with the U-Net's errors painted: blue a
    stroke pixel called background, orange a background pixel called a digit, red the wrong
    digit."""
    x, y, pred = x[list(show)], y[list(show)], pred[list(show)]
    fig, axes = plt.subplots(2, (len(x) + 1) // 2, figsize=(11, 4.6), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, r in zip(axes.ravel(), range(len(x))):
        rgb = np.repeat(1 - 0.35 * x[r], 3, axis=2)
        stroke, said = y[r] != BACKGROUND, pred[r] != BACKGROUND
        rgb[stroke & ~said] = (0.1, 0.3, 0.9)
        rgb[~stroke & said] = (1.0, 0.6, 0.0)
        rgb[stroke & said & (y[r] != pred[r])] = (0.85, 0.0, 0.1)
        ax.imshow(rgb)
    fig.suptitle("U-Net errors: blue = stroke missed, orange = background called a digit, "
                 "red = wrong digit", fontsize=10)
    return fig


def per_class(iou: np.ndarray, dice: np.ndarray) -> Figure:
    """Bars of IoU and Dice (hatched) per class, background last."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    k = np.arange(len(iou))
    ax.bar(k - 0.2, iou, 0.4, color=COLOURS, edgecolor="black", label="IoU")
    ax.bar(k + 0.2, dice, 0.4, color=COLOURS, edgecolor="black", hatch="//", label="Dice")
    ax.set(xticks=k, xticklabels=[*map(str, range(10)), "bg"], ylim=(0, 1), ylabel="score",
           title="per-class IoU and Dice on the held-out scenes (U-Net)")
    ax.legend(loc="lower left")
    ax.grid(axis="y", alpha=0.3)
    return fig


def curves(runs: dict[str, dict[str, Any]], title: str) -> Figure:
    """Training loss and held-out digit mean IoU against training seconds, one line per
    run (each run a dict with lists "seconds", "loss", "digit_miou")."""
    fig, (ax_loss, ax_iou) = plt.subplots(1, 2, figsize=(11, 3.8))
    for label, c in runs.items():
        ax_loss.plot(c["seconds"], c["loss"], marker="o", ms=3, label=label)
        ax_iou.plot(c["seconds"], c["digit_miou"], marker="o", ms=3, label=label)
    ax_loss.set(xlabel="training seconds", ylabel="training loss", title="loss (each its own)")
    ax_iou.set(xlabel="training seconds", ylabel="digit mean IoU (held out)", ylim=(0, 1),
               title=title)
    for ax in (ax_loss, ax_iou):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return fig
