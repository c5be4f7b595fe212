"""Lesson 6c: the FAQ's optimizer question (section 6), measured on MNIST.

The FAQ's answer (section 6, "how to choose an optimizer"): plain gradient descent for
simple linear models, Adam for deep models. Section 3.1.4 writes the plain rule
θ ← θ − α∇J(θ); tinydl.optimizers has it and three refinements (formulas in their
docstrings):

    SGD            θ ← θ − α·g
    SGD momentum   v ← 0.9·v − α·g;  θ ← θ + v          (a running sum of past steps)
    RMSprop        s ← ρ·s + (1 − ρ)·g²;  θ ← θ − α·g/√(s + ε)   (per-weight step size)
    Adam           momentum on g and RMSprop's s, both bias-corrected

Two networks on flattened MNIST, the same for every optimizer (same seed, same
initial weights, same batches of 64, same number of epochs):

    linear: 784 → Dense 10 softmax                          (softmax regression, convex)
    deep:   784 → [Dense 64 ReLU] × 4 → Dense 10 softmax

A fair comparison needs a learning rate per optimizer: each is run at its Keras default
(SGD 0.01, RMSprop and Adam 0.001) and at 0.1× and 10× that; the "tuned" one is the
rate with the best accuracy on a VALIDATION split (the last images of the training
subset), and only then is it scored on the test images. Rates that blow the loss up
are reported as diverged.

What the full run (seed 0) shows: on the convex linear model all four end within
about a point of each other once the rate is tuned, so plain SGD is adequate there, as
the FAQ says, though no better. On the deep model Adam is best both at its default rate
and tuned, which supports the FAQ's "Adam for deep models" as a default; but plain SGD
with a tuned rate (10× Keras' default) is only about 2 points behind, while at Keras'
default rate it is some 14 points behind: the learning rate mattered more than the
choice of optimizer. The closing lines print these comparisons from the numbers.

Run:  python lessons/06_faq_optimizers.py [--quick] [--out DIR] [--seed N]
Data: MNIST ($TINYDL_DATA/mnist). Full run: the first 9,000 training images (8,000 train,
1,000 validation), 5 epochs, first 2,000 test images. --quick: 384 + 128 images, 2
epochs, 256 test images, two rates per optimizer (default and 10×).
"""
from __future__ import annotations

import os
import time

# These nets multiply small matrices (a batch of 64 by 64 units). OpenBLAS's worker threads
# cost far more than they save there: on the shared 2-core machine one epoch ran ~30× slower
# with them. One BLAS thread, set before NumPy loads (an explicit setting is respected).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from tinydl.datasets import mnist
from tinydl.layers import Dense
from tinydl.metrics import accuracy
from tinydl.models import Sequential
from tinydl.optimizers import SGD, Adam, Optimizer, RMSprop
from tinydl.utils import set_random_seed, to_categorical

from _lesson import output_dir, parse_args, plt, save

#: name -> (factory taking a learning rate, Keras' default learning rate)
OPTIMIZERS = {
    "SGD": (lambda lr: SGD(learning_rate=lr), 0.01),
    "SGD+momentum": (lambda lr: SGD(learning_rate=lr, momentum=0.9), 0.01),
    "RMSprop": (lambda lr: RMSprop(learning_rate=lr), 0.001),
    "Adam": (lambda lr: Adam(learning_rate=lr), 0.001),
}


def build_model(kind: str, seed: int) -> Sequential:
    """'linear': softmax regression; 'deep': four ReLU layers of 64 units. Glorot init
    from `seed`, so every optimizer starts from the same weights."""
    if kind == "linear":
        layers = [Dense(10, activation="softmax", input_shape=(784,))]
    else:
        layers = [Dense(64, activation="relu", input_shape=(784,))]
        layers += [Dense(64, activation="relu") for _ in range(3)]
        layers.append(Dense(10, activation="softmax"))
    return Sequential(layers, seed=seed)


def run(kind: str, optimizer: Optimizer, data: dict[str, np.ndarray], epochs: int,
        seed: int) -> dict:
    """Train a fresh model; returns the loss before training, the History dict (loss,
    accuracy, val_loss, val_accuracy per epoch), the training loss after it, test accuracy,
    and 'diverged' (the loss ended NaN/inf or above where it started)."""
    model = build_model(kind, seed)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=[accuracy])
    initial_loss = model.evaluate(data["x_train"], data["y_train"], batch_size=1000, verbose=0)[0]
    start = time.perf_counter()
    try:
        history = model.fit(data["x_train"], data["y_train"], batch_size=64, epochs=epochs,
                            verbose=0, validation_data=(data["x_val"], data["y_val"])).history
    except FloatingPointError:          # fit stops with this error when the loss is NaN/inf
        return {"initial_loss": initial_loss, "final_loss": float("nan"), "history": None, "test_accuracy": float("nan"),
                "diverged": True, "seconds": time.perf_counter() - start}
    seconds = time.perf_counter() - start
    final_loss = model.evaluate(data["x_train"], data["y_train"], batch_size=1000, verbose=0)[0]
    test_accuracy = model.evaluate(data["x_test"], data["y_test"], batch_size=1000, verbose=0)[1]
    diverged = not np.isfinite(final_loss) or final_loss > initial_loss
    return {"initial_loss": initial_loss, "final_loss": final_loss, "history": history,
            "test_accuracy": test_accuracy, "diverged": diverged, "seconds": seconds}


def load(n_train: int, n_val: int, n_test: int) -> dict[str, np.ndarray]:
    """Training images 0..n_train-1, validation n_train..n_train+n_val-1 (both from MNIST's
    training set), the first n_test test images; (N, 784) in [0, 1], one-hot labels."""
    (x, y), (x_test, y_test) = mnist.load_data()
    x = x[:n_train + n_val].reshape(-1, 784).astype(np.float32) / 255.0
    y = to_categorical(y[:n_train + n_val], 10)
    return {"x_train": x[:n_train], "y_train": y[:n_train],
            "x_val": x[n_train:], "y_val": y[n_train:],
            "x_test": x_test[:n_test].reshape(-1, 784).astype(np.float32) / 255.0,
            "y_test": to_categorical(y_test[:n_test], 10)}


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__.splitlines()[0], argv)
    out = output_dir(args, "06_faq_optimizers")
    set_random_seed(args.seed)
    if args.quick:
        n_train, n_val, n_test, epochs, factors = 384, 128, 256, 2, (1.0, 10.0)
    else:
        n_train, n_val, n_test, epochs, factors = 8000, 1000, 2000, 5, (0.1, 1.0, 10.0)
    data = load(n_train, n_val, n_test)
    print(f"{n_train} training, {n_val} validation (MNIST training images), {n_test} test "
          f"images; batch 64, {epochs} epochs, seed {args.seed}; rates tried: Keras default × "
          f"{', '.join(f'{f:g}' for f in factors)}\n")

    runs: dict[tuple[str, str, float], dict] = {}
    for kind in ("linear", "deep"):
        for name, (make, default) in OPTIMIZERS.items():
            for factor in factors:
                lr = default * factor
                runs[(kind, name, lr)] = run(kind, make(lr), data, epochs, args.seed)

    def val_score(r: dict) -> float:
        return -1.0 if r["diverged"] else r["history"]["val_accuracy"][-1]

    summary = {}
    header = (f"{'model':>6} {'optimizer':>12} {'default lr':>10} {'val acc':>7} {'test acc':>8} "
              f"{'tuned lr':>8} {'val acc':>7} {'test acc':>8} {'loss ep1':>8} {'diverged at':>11}")
    print(header)
    print("-" * len(header))
    for kind in ("linear", "deep"):
        for name, (_, default) in OPTIMIZERS.items():
            tried = {lr: runs[(kind, name, lr)] for (k, n, lr) in runs if k == kind and n == name}
            tuned = max(tried, key=lambda lr: val_score(tried[lr]))
            d, t = tried[default], tried[tuned]
            diverged = [f"{lr:g}" for lr, r in tried.items() if r["diverged"]]
            summary[(kind, name)] = {"default_lr": default, "tuned_lr": tuned,
                                     "default_test": d["test_accuracy"],
                                     "tuned_test": t["test_accuracy"],
                                     "tuned_val": val_score(t)}
            print(f"{kind:>6} {name:>12} {default:>10g} {val_score(d):>7.4f} "
                  f"{d['test_accuracy']:>8.4f} {tuned:>8g} {val_score(t):>7.4f} "
                  f"{t['test_accuracy']:>8.4f} {t['history']['loss'][0]:>8.4f} "
                  f"{','.join(diverged) or '-':>11}")
    print("(val acc chooses the tuned rate; test acc is scored afterwards; loss ep1: training "
          "loss over the first epoch at the tuned rate, lower = faster start)")

    print("\nThe FAQ (section 6): plain gradient descent for simple linear models, Adam for "
          "deep models.")
    for kind in ("linear", "deep"):
        tuned = {n: summary[(kind, n)]["tuned_test"] for n in OPTIMIZERS}
        default = {n: summary[(kind, n)]["default_test"] for n in OPTIMIZERS}
        best = max(tuned, key=tuned.get)
        spread = max(tuned.values()) - min(tuned.values())
        print(f"Measured, {kind} model: tuned, the best is {best} ({tuned[best]:.4f}); all four "
              f"are within {spread * 100:.1f} points; plain SGD {tuned['SGD']:.4f}, Adam "
              f"{tuned['Adam']:.4f}. At Keras defaults: SGD {default['SGD']:.4f}, "
              f"Adam {default['Adam']:.4f}.")
    lin_gap = (max(summary[("linear", n)]["tuned_test"] for n in OPTIMIZERS)
               - summary[("linear", "SGD")]["tuned_test"])
    deep_default = {n: summary[("deep", n)]["default_test"] for n in OPTIMIZERS}
    deep_tuned = {n: summary[("deep", n)]["tuned_test"] for n in OPTIMIZERS}
    print(f"So: linear model: tuned plain SGD is {lin_gap * 100:.1f} points behind the best "
          + ("(it works, as the FAQ says, and is no better)." if lin_gap < 0.02 else
             "on this budget: it works, but more slowly than the adaptive ones."))
    print(f"    deep model: at Keras defaults the best is {max(deep_default, key=deep_default.get)}"
          f"; tuned, {max(deep_tuned, key=deep_tuned.get)}; plain SGD's tuned score is "
          f"{(max(deep_tuned.values()) - deep_tuned['SGD']) * 100:.1f} points behind the best.")
    rate_effect = max(abs(s["tuned_test"] - s["default_test"]) for s in summary.values())
    optimizer_effect = max(
        max(summary[(k, n)]["tuned_test"] for n in OPTIMIZERS)
        - min(summary[(k, n)]["tuned_test"] for n in OPTIMIZERS) for k in ("linear", "deep"))
    print(f"    Tuning the rate moved one optimizer's test accuracy by up to "
          f"{rate_effect * 100:.1f} points; switching optimizer (each tuned) by up to "
          f"{optimizer_effect * 100:.1f} points.")

    # figures: per model, training loss and validation accuracy of each optimizer's
    # tuned rate (solid) and default rate (dashed)
    fig, axes = plt.subplots(2, 2, figsize=(11, 7))
    epoch_axis = np.arange(1, epochs + 1)
    colours = dict(zip(OPTIMIZERS, ("tab:gray", "tab:blue", "tab:green", "tab:red")))
    for row, kind in enumerate(("linear", "deep")):
        for name in OPTIMIZERS:
            s = summary[(kind, name)]
            for lr, style in ((s["tuned_lr"], "-"), (s["default_lr"], "--")):
                h = runs[(kind, name, lr)]["history"]
                if h is None or (style == "--" and lr == s["tuned_lr"]):
                    continue
                tag = ("tuned = default" if s["tuned_lr"] == s["default_lr"] else "tuned"
                       ) if style == "-" else "default"
                label = f"{name} lr={lr:g} ({tag})"
                axes[row, 0].plot(epoch_axis, h["loss"], style, marker="o", ms=3,
                                  color=colours[name], label=label)
                axes[row, 1].plot(epoch_axis, h["val_accuracy"], style, marker="o", ms=3,
                                  color=colours[name], label=label)
        axes[row, 0].set(yscale="log", ylabel="training loss (log)",
                         title=f"{kind} model: training loss")
        axes[row, 1].set(ylabel="validation accuracy", title=f"{kind} model: validation accuracy")
        axes[row, 1].legend(fontsize=7)
        for ax in axes[row]:
            ax.set_xlabel("epoch")
            ax.set_xticks(epoch_axis)
            ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    save(fig, out / "curves.png")
    return {"runs": runs, "summary": summary, "epochs": epochs, "rate_effect": rate_effect,
            "optimizer_effect": optimizer_effect}


if __name__ == "__main__":
    main()
