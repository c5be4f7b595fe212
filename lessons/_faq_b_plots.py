"""Figures, tables and bookkeeping of the section-6 FAQ lessons on losses, overfitting and
evaluation (06_faq_losses, 06_faq_overfitting, 06_faq_evaluation).

Nothing here is an idea of the lessons: the formulas, the training runs and the
experiments stay in the lessons. Each figure function returns a matplotlib Figure that
the lesson saves with one call, `lesson.save(plots.NAME(...), "file.png")`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tinydl.callbacks import Callback
from tinydl.metrics import accuracy

from _lesson import plt


def print_table(rows: Mapping[Any, Mapping[str, Any]], columns: Sequence[tuple[str, str]],
                first: str = "") -> None:
    """Print one line per row: the row's name, then row[key] formatted with fmt for each
    (key, fmt) in columns (the column heading is the key)."""
    names = [" ".join(map(str, name)) if isinstance(name, tuple) else str(name) for name in rows]
    width = max(len(first), *map(len, names))
    widths = [max([len(key)] + [len(format(row[key], fmt)) for row in rows.values()])
              for key, fmt in columns]
    print(f"{first:<{width}} " + " ".join(f"{key:>{w}}" for (key, _), w in zip(columns, widths)))
    for name, row in zip(names, rows.values()):
        print(f"{name:<{width}} " + " ".join(f"{format(row[key], fmt):>{w}}"
                                             for (key, fmt), w in zip(columns, widths)))


# -- 06_faq_losses -------------------------------------------------------------------------

def logit_gradients(p: np.ndarray, curves: Mapping[tuple[str, str], Mapping[str, np.ndarray]]
                    ) -> "plt.Figure":
    """∂L/∂z_t against p_t for each (loss, spread): autograd as lines, the closed form as
    circles; right, each curve divided by its largest size, so its shape shows whatever
    the scale (MSE's 1/K or a learning rate only rescale it)."""
    fig, (ax, ax_shape) = plt.subplots(1, 2, figsize=(12, 4))
    styles = {("cross-entropy", "even"): ("C0", "-"), ("MSE", "even"): ("C3", "-"),
              ("MSE", "one"): ("C3", "--")}
    for (loss, spread), (color, ls) in styles.items():
        label = loss if loss == "cross-entropy" else \
            f"MSE, 1−p {'spread evenly' if spread == 'even' else 'on one class'}"
        grad, closed = curves[loss, spread]["autograd"], curves[loss, spread]["closed"]
        ax.plot(p, grad, color=color, ls=ls, label=f"{label} (autograd)")
        ax.plot(p[::12], closed[::12], "o", color=color, ms=3, mfc="none",
                label="closed form" if loss == "cross-entropy" else None)
        ax_shape.plot(p, grad / np.abs(grad).max(), color=color, ls=ls, label=label)
    ax.set(ylabel="∂L/∂z_t  (true-class logit)",
           title="confidently wrong (p_t→0): cross-entropy pushes, MSE stalls")
    ax_shape.set(ylabel="∂L/∂z_t ÷ its largest size", title="the same curves, scale removed")
    for a in (ax, ax_shape):
        a.axhline(0, color="gray", lw=0.6)
        a.set_xlabel("predicted probability of the true class, p_t")
        a.legend(fontsize=8)
        a.grid(alpha=0.3)
    return fig


def loss_training_curves(runs: Mapping[tuple[str, str, float], Mapping[str, Any]],
                         n_test: int) -> "plt.Figure":
    """Test accuracy per epoch of every (optimizer, loss, lr) run, and each loss's own
    value per epoch (cross-entropy runs and MSE runs on separate axes: different scales)."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
    for (opt, loss, lr), run in runs.items():
        h = run["history"]
        epochs = np.arange(1, len(h["val_accuracy"]) + 1)
        style = dict(color="C0" if loss == "cross-entropy" else ("C3" if lr < 1.0 else "C1"),
                     ls="-" if opt == "SGD" else "--", marker="o", ms=3)
        axes[0].plot(epochs, h["val_accuracy"], label=f"{loss}, {opt} lr {lr:g}", **style)
        axes[1 if loss == "cross-entropy" else 2].plot(epochs, h["val_loss"],
                                                       label=f"{opt} lr {lr:g}", **style)
    axes[0].set(xlabel="epoch", ylabel="test accuracy", title=f"accuracy ({n_test:,} test images)")
    axes[1].set(xlabel="epoch", ylabel="categorical cross-entropy", title="cross-entropy runs: loss")
    axes[2].set(xlabel="epoch", ylabel="mean squared error", title="MSE runs: loss")
    for ax in axes:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return fig


# -- 06_faq_overfitting --------------------------------------------------------------------

class TrainAccuracy(Callback):
    """At each epoch's end, the accuracy on the whole training set in inference mode
    (dropout and augmentation off). fit's own 'accuracy' is a running mean over the epoch's
    batches with dropout on, so it is not comparable with the validation accuracy."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        super().__init__()
        self.x, self.y, self.values = x, y, []

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.values.append(accuracy(self.y, self.model.predict(self.x, batch_size=1000)))


def overfitting_curves(results: Mapping[str, Mapping[str, Any]]) -> "plt.Figure":
    """One panel per remedy: training and validation accuracy per epoch, the gap shaded,
    the best validation epoch dotted (for early stopping: the restored weights' scores)."""
    names = list(results)
    cols = 4
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.1 * rows), sharey=True,
                             squeeze=False)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    for ax, name in zip(axes.ravel(), names):
        r = results[name]
        epochs = np.arange(1, r["epochs_run"] + 1)
        ax.plot(epochs, r["train_curve"], color="C0", label="training")
        ax.plot(epochs, r["val_curve"], color="C3", label="validation")
        ax.fill_between(epochs, r["val_curve"], r["train_curve"], color="C1", alpha=0.15)
        ax.axvline(r["best_epoch"], color="gray", ls=":", lw=1)
        if r.get("stopped_epoch") is not None or name == "early stopping":
            ax.plot([r["best_epoch"]] * 2, [r["train acc"], r["val acc"]], "k*", ms=9,
                    label="restored weights")
            ax.legend(fontsize=8, loc="lower right")
        ax.set_title(f"{name}: gap {r['gap']:.3f}", fontsize=10)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("accuracy")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("training vs validation accuracy (shaded: the gap; dotted: best validation epoch)")
    fig.tight_layout()
    return fig


def overfitting_summary(results: Mapping[str, Mapping[str, Any]], noise: float) -> "plt.Figure":
    """Final training and validation accuracy of every remedy, side by side; the band is
    the baseline's validation accuracy ± the seed-to-seed spread."""
    names = list(results)
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.bar(x - 0.2, [results[n]["train acc"] for n in names], 0.4, label="training")
    ax.bar(x + 0.2, [results[n]["val acc"] for n in names], 0.4, label="validation")
    base = results["baseline"]["val acc"]
    ax.axhspan(base - noise, base + noise, color="gray", alpha=0.25,
               label="baseline validation ± seed spread")
    ax.set_xticks(x, names, rotation=20)
    low = min(results[n]["val acc"] for n in names)
    ax.set(ylim=(max(0.0, low - 0.1), 1.0), ylabel="accuracy (final weights)",
           title="each remedy against the baseline")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3, axis="y")
    return fig


# -- 06_faq_evaluation ---------------------------------------------------------------------

def confusion(counts: np.ndarray, title: str) -> "plt.Figure":
    """The confusion matrix as numbers, coloured by each row's share (recall on the
    diagonal)."""
    k = len(counts)
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.2, 5.6))
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i, j in zip(*np.nonzero(counts)):
        ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=7,
                color="white" if share[i, j] > 0.5 else "black")
    ax.set(xticks=range(k), yticks=range(k), xlabel="predicted digit", ylabel="true digit",
           title=title)
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of the true digit's images")
    return fig


def per_class(table: Mapping[str, Any]) -> "plt.Figure":
    """Precision, recall and F1 of every class as bars; the macro F1 and the accuracy as
    lines."""
    k = len(table["f1_per_class"])
    x = np.arange(k)
    fig, ax = plt.subplots(figsize=(9, 3.4))
    for offset, key, label in ((-0.27, "precision_per_class", "precision"),
                               (0.0, "recall_per_class", "recall"),
                               (0.27, "f1_per_class", "F1")):
        ax.bar(x + offset, table[key], 0.27, label=label)
    ax.axhline(table["f1_macro"], color="k", ls="--", lw=1,
               label=f"macro F1 {table['f1_macro']:.3f}")
    ax.axhline(table["accuracy"], color="C3", ls=":", lw=1,
               label=f"accuracy {table['accuracy']:.3f}")
    low = min(np.min(table[key]) for key in ("precision_per_class", "recall_per_class",
                                             "f1_per_class"))
    ax.set(xticks=x, xlabel="digit", ylim=(max(0.0, low - 0.05), 1.0),
           title="test set, per digit")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3, axis="y")
    return fig
