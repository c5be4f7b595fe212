"""Tables and figures of the first three section-6 FAQ lessons (kernels and strides,
activations, optimizers). Nothing here is an idea a learner must read: the formulas, the
training loops and the experiments stay in the lessons; this module only draws and
formats what they measured. Every figure function returns a matplotlib Figure for
`lesson.save(fig, "name.png")`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from _lesson import plt


def table(rows: Iterable[Mapping[str, Any]], columns: Sequence[tuple[str, str, str]]) -> str:
    """A fixed-width text table of `rows` (dicts), one line per row.

    columns: (key, header, format spec) triples, e.g. ("accuracy", "test acc", ".4f");
    a column is as wide as its header or its widest cell, right-aligned.
    """
    cells = [[format(row[key], spec) for key, _, spec in columns] for row in rows]
    widths = [max([len(header)] + [len(line[i]) for line in cells])
              for i, (_, header, _) in enumerate(columns)]
    header = " ".join(h.rjust(w) for (_, h, _), w in zip(columns, widths))
    lines = [header, "-" * len(header)]
    lines += [" ".join(c.rjust(w) for c, w in zip(line, widths)) for line in cells]
    return "\n".join(lines)


# -- lesson 06_faq_kernels_and_strides -------------------------------------------------

def kernel_stride_results(rows: Sequence[Mapping[str, Any]],
                          histories: Mapping[tuple[int, int], Mapping[str, list[float]]]
                          ) -> plt.Figure:
    """Left: test accuracy per epoch of each (kernel, stride) setting (solid: stride 1,
    dashed: stride 2). Right: final test accuracy against the parameter count (log
    axis), marker size growing with the seconds per epoch."""
    fig, (ax_curve, ax_params) = plt.subplots(1, 2, figsize=(11, 3.8))
    for (k, s), h in histories.items():
        epochs_axis = np.arange(1, len(h["val_accuracy"]) + 1)
        ax_curve.plot(epochs_axis, h["val_accuracy"], marker="o",
                      linestyle="-" if s == 1 else "--", label=f"{k}×{k}, stride {s}")
    ax_curve.set(xlabel="epoch", ylabel="test accuracy", title="test accuracy per epoch")
    ax_curve.legend(fontsize=8)
    ax_curve.grid(alpha=0.3)
    for r in rows:
        ax_params.scatter(r["params"], r["accuracy"], s=40 + 60 * r["seconds"],
                          marker="o" if r["stride"] == 1 else "s")
        ax_params.annotate(f"{r['kernel']}×{r['kernel']} s{r['stride']}",
                           (r["params"], r["accuracy"]), fontsize=8,
                           xytext=(4, 4), textcoords="offset points")
    ax_params.set(xscale="log", xlabel="parameters (log)", ylabel="final test accuracy",
                  title="accuracy vs parameters (marker size: s/epoch)")
    ax_params.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def unit_grids(image: np.ndarray, k: int,
               layouts: Mapping[int, tuple[np.ndarray, int]]) -> plt.Figure:
    """One panel per stride s: the image, a dot at the centre of every conv unit, a
    k×k box (what one conv unit sees) and an r×r box (what one unit after the 2×2 pool
    sees). layouts maps s to (the unit centres along one axis, r)."""
    fig, axes = plt.subplots(1, len(layouts), figsize=(4 * len(layouts), 4))
    for ax, (s, (centres, r_pool)) in zip(np.atleast_1d(axes), layouts.items()):
        ax.imshow(image, cmap="gray_r")
        cx, cy = np.meshgrid(centres, centres)
        ax.scatter(cx.ravel(), cy.ravel(), s=3, color="tab:blue")
        ax.add_patch(plt.Rectangle((9.5, 9.5), k, k, fill=False, color="tab:orange", lw=2,
                                   label=f"one conv unit sees {k}×{k}"))
        ax.add_patch(plt.Rectangle((9.5, 9.5), r_pool, r_pool, fill=False, color="crimson",
                                   lw=2, linestyle="--",
                                   label=f"one pooled unit sees {r_pool}×{r_pool}"))
        ax.set_title(f"{k}×{k} kernel, stride {s}: {len(centres)}² units (dots)", fontsize=9)
        ax.legend(fontsize=7, loc="lower left")
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle("the stride thins out the units; it does not shrink what a unit sees")
    return fig


# -- lesson 06_faq_activations ----------------------------------------------------------

def activation_curves(histories: Mapping[str, Mapping[str, list[float]]],
                      baseline: Mapping[str, list[float]]) -> plt.Figure:
    """Training loss and test accuracy per epoch of each hidden activation, with the
    test accuracy of softmax regression (`baseline`, one Dense layer) dotted."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, h in histories.items():
        epoch_axis = np.arange(1, len(h["loss"]) + 1)
        ax_loss.plot(epoch_axis, h["loss"], marker="o", label=name)
        ax_acc.plot(epoch_axis, h["val_accuracy"], marker="o", label=name)
    epoch_axis = np.arange(1, len(baseline["val_accuracy"]) + 1)
    ax_acc.plot(epoch_axis, baseline["val_accuracy"], color="gray", linestyle=":",
                marker=".", label="softmax regression")
    ax_loss.set(xlabel="epoch", ylabel="training cross-entropy", title="training loss")
    ax_acc.set(xlabel="epoch", ylabel="test accuracy", title="test accuracy")
    for ax in (ax_loss, ax_acc):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def gradient_profiles(norms: Mapping[str, np.ndarray]) -> plt.Figure:
    """‖∂L/∂W_l‖ against the layer l (log axis) for each activation: left at
    initialisation (row 0 of each array), right after training (the last row)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    first = next(iter(norms.values()))
    layers_axis = np.arange(1, first.shape[1] + 1)
    for ax, which, title in ((axes[0], 0, "at initialisation"),
                             (axes[1], -1, f"after {first.shape[0] - 1} epochs")):
        for name, n in norms.items():
            ax.semilogy(layers_axis, n[which], marker="o", label=name)
        ax.set(xlabel=f"layer (1 = next to the input, {first.shape[1]} = softmax output)",
               title=f"‖∂L/∂W‖ per layer, {title}")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("gradient norm (log)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


# -- lesson 06_faq_optimizers -----------------------------------------------------------

def _colours(names: Sequence[str]) -> dict[str, str]:
    """One colour of matplotlib's cycle per name, in order."""
    return {name: f"C{i % 10}" for i, name in enumerate(names)}


def optimizer_curves(runs: Mapping[tuple[str, str, float], Mapping[str, Any]],
                     summary: Mapping[tuple[str, str], Mapping[str, Any]]) -> plt.Figure:
    """Per model (rows): training loss (log) and validation accuracy per epoch of each
    optimizer at its tuned rate (solid) and at Keras' default rate (dashed, drawn only
    when it differs from the tuned one). Diverged runs have no curve."""
    kinds = list(dict.fromkeys(kind for kind, _ in summary))
    names = list(dict.fromkeys(name for _, name in summary))
    colours = _colours(names)
    fig, axes = plt.subplots(len(kinds), 2, figsize=(11, 3.5 * len(kinds)), squeeze=False)
    for row, kind in enumerate(kinds):
        for name in names:
            s = summary[(kind, name)]
            for lr, style in ((s["tuned_lr"], "-"), (s["default_lr"], "--")):
                h = runs[(kind, name, lr)]["history"]
                if h is None or (style == "--" and lr == s["tuned_lr"]):
                    continue
                tag = ("tuned = default" if s["tuned_lr"] == s["default_lr"] else "tuned"
                       ) if style == "-" else "default"
                epoch_axis = np.arange(1, len(h["loss"]) + 1)
                for col, key in ((0, "loss"), (1, "val_accuracy")):
                    axes[row, col].plot(epoch_axis, h[key], style, marker="o", ms=3,
                                        color=colours[name], label=f"{name} lr={lr:g} ({tag})")
        axes[row, 0].set(yscale="log", ylabel="training loss (log)",
                         title=f"{kind} model: training loss")
        axes[row, 1].set(ylabel="validation accuracy", title=f"{kind} model: validation accuracy")
        axes[row, 1].legend(fontsize=7)
        for ax in axes[row]:
            ax.set_xlabel("epoch")
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def rate_sweep(scores: Mapping[tuple[str, str], Mapping[float, float]],
               chance: float = 0.1) -> plt.Figure:
    """Test accuracy against the learning rate (log axis), one line per optimizer, one
    panel per model; scores maps (model, optimizer) to {rate: accuracy} (give a diverged
    run as `chance`: it is no better than guessing)."""
    kinds = list(dict.fromkeys(kind for kind, _ in scores))
    names = list(dict.fromkeys(name for _, name in scores))
    fig, axes = plt.subplots(1, len(kinds), figsize=(5.5 * len(kinds), 3.8), sharey=True,
                             squeeze=False)
    for ax, kind in zip(axes[0], kinds):
        for name, colour in _colours(names).items():
            rates = sorted(scores[(kind, name)])
            acc = [scores[(kind, name)][lr] for lr in rates]
            ax.plot(rates, acc, marker="o", color=colour, label=name)
            best = rates[int(np.argmax(acc))]
            ax.scatter([best], [max(acc)], s=120, facecolors="none", edgecolors=colour)
        ax.axhline(chance, color="black", lw=0.8, linestyle=":", label="chance (a diverged run)")
        ax.set(xscale="log", xlabel="learning rate α (log)", title=f"{kind} model")
        ax.grid(alpha=0.3, which="both")
    axes[0, 0].set_ylabel("test accuracy")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("each optimizer over a range of rates (circle: its best)")
    fig.tight_layout()
    return fig
