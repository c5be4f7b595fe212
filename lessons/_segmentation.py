"""Bookkeeping of lesson 9 (segmentation): predicted masks and their scores, the short
chunked training runs of the side experiments, where the strokes' edges are and where two
digits touch, which scenes to show, and the tables the lesson prints.

Masks are integer arrays (N, H, W) with a class 0..9 per digit pixel and BACKGROUND = 10
elsewhere (tinydl.datasets.mnist_scenes).
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from tinydl import metrics
from tinydl.datasets.mnist_scenes import BACKGROUND

CLASSES = 11   # the digits 0..9 and the background
CLASS_NAMES = [*map(str, range(10)), "bg"]


def neighbours(y: np.ndarray, **pad) -> list[np.ndarray]:
    """The 3×3 neighbourhood of every pixel of the masks y (N, H, W): nine views of y padded
    by one pixel (`pad`: np.pad's mode or constant_values), the view for offset (dy, dx) in
    {-1, 0, 1}² holding y[n, i + dy, j + dx] at [n, i, j]."""
    padded = np.pad(y, ((0, 0), (1, 1), (1, 1)), **pad)
    h, w = y.shape[1:]
    return [padded[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
            for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


def edge_pixels(y: np.ndarray) -> np.ndarray:
    """Pixels (N, H, W) with an 8-neighbour of another class: the edges of the strokes and
    the contacts between digits (the canvas border repeats the pixel, so it is no edge)."""
    edge = np.zeros(y.shape, bool)
    for near in neighbours(y, mode="edge"):
        edge |= near != y
    return edge


def contact_pixels(y: np.ndarray) -> np.ndarray:
    """Stroke pixels (N, H, W) with an 8-neighbour of another digit class: where two
    different digits touch."""
    contact = np.zeros(y.shape, bool)
    for near in neighbours(y, constant_values=BACKGROUND):
        contact |= (near != BACKGROUND) & (near != y)
    return contact & (y != BACKGROUND)


def touching(y: np.ndarray) -> np.ndarray:
    """Scenes (N,) in which strokes of two different digit classes are neighbours."""
    return contact_pixels(y).reshape(len(y), -1).any(axis=1)


def example_scenes(touch: np.ndarray, right: np.ndarray, n: int = 6) -> list[int]:
    """Up to n scene indices to show: the first three, the first two where digits touch,
    the first one read wrongly, then the next ones in order."""
    picks = [0, 1, 2, *np.flatnonzero(touch)[:2], *np.flatnonzero(~right)[:1],
             *range(3, n + 3)]
    return [int(i) for i in dict.fromkeys(picks) if i < len(touch)][:n]


def print_per_class(iou: np.ndarray, dice: np.ndarray) -> None:
    """One row of IoU and one of Dice, a column per class (digits, then background)."""
    print("class   " + " ".join(f"{k:>6}" for k in CLASS_NAMES))
    print("IoU     " + " ".join(f"{v:6.3f}" for v in iou))
    print("Dice    " + " ".join(f"{v:6.3f}" for v in dice))


def print_confusion(cm: np.ndarray) -> None:
    """The confusion matrix of pixels (rows the true class, columns the predicted one), then
    how many pixels are wrong: strokes and background mistaken for each other (the last row
    and column, off the diagonal) and digits mistaken for other digits (the rest)."""
    print("confusion matrix of pixels (rows: true class, columns: predicted):")
    print("      " + "".join(f"{k:>8}" for k in CLASS_NAMES))
    for k, row in enumerate(cm):
        print(f"{CLASS_NAMES[k]:>6}" + "".join(f"{v:8d}" for v in row))
    wrong = int(cm.sum() - np.trace(cm))
    with_bg = int(cm[BACKGROUND].sum() + cm[:, BACKGROUND].sum() - 2 * cm[BACKGROUND, BACKGROUND])
    print(f"{wrong} wrong pixels: {with_bg} stroke<->background, {wrong - with_bg} digit<->digit")


def blocks_of_two(masks: np.ndarray) -> float:
    """Share of the 2×2 pixel blocks (rows 2i, 2i+1 × columns 2j, 2j+1) of the masks
    (N, H, W), H and W even, that hold a single class."""
    b = masks.reshape(len(masks), masks.shape[1] // 2, 2, masks.shape[2] // 2, 2)
    return float(np.mean((b == b[:, :, :1, :, :1]).all(axis=(2, 4))))


def segment(model: Any, x: np.ndarray) -> np.ndarray:
    """Predicted masks (N, H, W) uint8: the most probable class at each pixel (argmax of the
    softmax), 100 scenes at a time (the probabilities of 1,000 scenes take 236 MB)."""
    return np.concatenate([model.predict(x[i:i + 100], batch_size=100).argmax(axis=-1)
                           .astype(np.uint8) for i in range(0, len(x), 100)])


def scores(y: np.ndarray, pred: np.ndarray, edges: np.ndarray) -> dict[str, float]:
    """Pixel accuracy trace(C)/ΣC, digit mean IoU (the mean of IoU_k = TP/(TP + FP + FN)
    over the digit classes present, background left out) and the accuracy on `edges`."""
    return {"pixel_acc": metrics.pixel_accuracy(y, pred, CLASSES),
            "digit_miou": metrics.mean_iou(y, pred, CLASSES, ignore_classes=[BACKGROUND]),
            "edge_acc": float(np.mean(y[edges] == pred[edges]))}


def print_reading(y: np.ndarray, pred: np.ndarray, right: np.ndarray) -> None:
    """How reading fares where two different digits touch: the scenes read right with and
    without such a contact, and the pixels at the contacts classified right."""
    touch, contact, ink = touching(y), contact_pixels(y), y != BACKGROUND
    for name, where in (("two different digits touch", touch), ("no two digits touch", ~touch)):
        if where.any():
            print(f"  {name}: {where.sum()} scenes, {right[where].mean():.1%} read right")
    if contact.any():
        print(f"  pixels where two digits touch: {np.mean(pred[contact] == y[contact]):.1%} "
              f"classified right (all stroke pixels: {np.mean(pred[ink] == y[ink]):.1%})")


def short_run(model: Any, class_weight: dict | None, x: np.ndarray, y: np.ndarray,
              x_val: np.ndarray, y_val: np.ndarray, scenes: int, batch_size: int, seed: int,
              label: str, evaluations: int = 4) -> dict[str, list[float]]:
    """Train `model` on `scenes` training scenes in a random order (a new order for every
    pass over x), in `evaluations` chunks (each at least one batch), and score
    (x_val, y_val) after each chunk.

    Returns the curves: lists "epochs" (scenes seen / len(x)), "seconds" (fit time only,
    scoring not counted), "loss" (the chunk's training loss) and the `scores` keys, one entry
    per chunk; each chunk's row is printed after `label`."""
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(len(x)) for _ in range(-(-scenes // len(x)))])
    chunk = max(-(-scenes // evaluations), batch_size)
    edges, seconds = edge_pixels(y_val), 0.0
    curve: dict[str, list[float]] = {}
    for start in range(0, scenes, chunk):
        idx = order[start:min(start + chunk, scenes)]
        tic = time.perf_counter()
        history = model.fit(x[idx], y[idx], batch_size=batch_size, epochs=1, verbose=0,
                            shuffle=False, class_weight=class_weight)
        seconds += time.perf_counter() - tic
        row = {"epochs": (start + len(idx)) / len(x), "seconds": seconds,
               "loss": history.history["loss"][-1],
               **scores(y_val, segment(model, x_val), edges)}
        for key, value in row.items():
            curve.setdefault(key, []).append(value)
        print(f"  {label:<12} epochs {row['epochs']:5.2f}  loss {row['loss']:.4f}  "
              f"pixel acc {row['pixel_acc']:.4f}  digit mIoU {row['digit_miou']:.4f}  "
              f"{seconds:5.1f} s", flush=True)
    return curve


def print_time_split(main: float, side: dict[str, float]) -> None:
    """Seconds of training of the main model and of the side experiments, and the total."""
    total = main + sum(side.values())
    print(f"training time: U-Net {main:.0f} s ({main / total:.0%} of {total:.0f} s); "
          + ", ".join(f"{k} {v:.0f} s" for k, v in side.items()))
