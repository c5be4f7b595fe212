"""The figures of lesson 5 (preprocessing and data augmentation): a grid of augmented
digits, the flipped digits with a classifier's answers, the training curves. Each
figure function returns a matplotlib Figure for `lesson.save`."""
from __future__ import annotations

from typing import Any

import numpy as np

from tinydl import Tensor
from tinydl.layers import RandomFlip, RandomRotation, RandomTranslation

from _lesson import plt


def augmentation_grid(x: np.ndarray, seed: int, shift: float = 0.1, rotation: float = 0.04
                      ) -> tuple[np.ndarray, list[str]]:
    """Rows of augmented copies of the images x (k, 28, 28, 1), made by tinydl's random
    layers with training=True: returns images (rows, k, 28, 28) and one name per row.

    RandomFlip flips each image with probability ½; to show every image flipped, the batch
    is stacked 16 times and the first flipped copy of each image is kept."""
    layers = [("original", None),
              (f"shift ±{shift:.0%}", RandomTranslation(shift, shift, seed=seed)),
              (f"shift ±{shift:.0%}", RandomTranslation(shift, shift, seed=seed + 1)),
              (f"rotate ±{rotation * 360:.0f}°", RandomRotation(rotation, seed=seed)),
              (f"rotate ±{rotation * 360:.0f}°", RandomRotation(rotation, seed=seed + 1)),
              ("flip left–right", RandomFlip("horizontal", seed=seed)),
              ("flip up–down", RandomFlip("vertical", seed=seed)),
              ("rotate 180°", RandomRotation((0.5, 0.5), seed=seed))]
    x = x.astype(np.float32)
    rows = []
    for _, layer in layers:
        if layer is None:
            rows.append(x[..., 0])
        elif isinstance(layer, RandomFlip):
            out = layer(Tensor(np.concatenate([x] * 16)), training=True).data
            out = out.reshape(16, *x.shape)
            first = np.argmax(np.any(out != x[None], axis=(2, 3, 4)), axis=0)   # (k,)
            rows.append(out[first, np.arange(len(x)), ..., 0])
        else:
            rows.append(layer(Tensor(x), training=True).data[..., 0])
    return np.stack(rows), [name for name, _ in layers]


def mosaic(grid: np.ndarray, pad: int = 2) -> np.ndarray:
    """Tile images (r, k, h, w) into one picture (r·(h+pad), k·(w+pad)) with blank gaps
    (one imshow draws much faster than r·k axes)."""
    r, k, h, w = grid.shape
    tiles = np.pad(grid, ((0, 0), (0, 0), (0, pad), (0, pad)))
    return tiles.transpose(0, 2, 1, 3).reshape(r * (h + pad), k * (w + pad))


def grid_figure(grid: np.ndarray, names: list[str]) -> plt.Figure:
    """The augmented digits, one row per transform."""
    r, k, h, _ = grid.shape
    fig, ax = plt.subplots(figsize=(k * 0.8 + 1.5, r * 0.8))
    ax.imshow(mosaic(grid), cmap="gray_r", vmin=0, vmax=1)
    ax.set_yticks((np.arange(r) + 0.5) * (h + 2) - 1, names, fontsize=9)
    ax.set_xticks([])
    ax.set_title("augmented test digits (tinydl.layers augmentation, training=True)")
    return fig


def flips_figure(rows: dict[str, np.ndarray], labels: np.ndarray, study: dict[str, Any]
                 ) -> plt.Figure:
    """One test digit of each class under each transform (rows: name -> images (N, 28, 28,
    1)), each with the classifier's answer study[name]["pred"] (red: not the label)."""
    picks = np.array([int(np.flatnonzero(labels == d)[0]) for d in range(10)])
    grid = np.stack([images[picks, :, :, 0] for images in rows.values()])
    size = 28 + 9
    fig, ax = plt.subplots(figsize=(10, 3.8))
    ax.imshow(mosaic(grid, pad=9), cmap="gray_r")
    for r, name in enumerate(rows):
        for c, i in enumerate(picks):
            p = study[name]["pred"][i]
            ax.text(c * size + 13, r * size + 28, f"says {p}", ha="center", va="top", fontsize=7,
                    color="black" if p == labels[i] else "crimson")
    ax.set_yticks(np.arange(len(rows)) * size + 14, list(rows), fontsize=9)
    ax.set_xticks([])
    ax.set_title("one test digit of each class and the classifier's answer (red: not its label)")
    return fig


def curves_figure(runs: dict[str, dict[str, Any]]) -> plt.Figure:
    """Loss and accuracy per epoch of each augmentation variant: on the test subset
    (solid) and on the training images as augmented (dotted)."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    for name, run in runs.items():
        h = run["history"]
        epochs = np.arange(1, len(h["loss"]) + 1)
        line, = ax_acc.plot(epochs, h["val_accuracy"], marker=".", label=f"{name} (test subset)")
        ax_acc.plot(epochs, h["accuracy"], ":", color=line.get_color())
        ax_loss.plot(epochs, h["val_loss"], marker=".", color=line.get_color(), label=name)
        ax_loss.plot(epochs, h["loss"], ":", color=line.get_color())
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss (dotted: training)")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy (dotted: training)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return fig
