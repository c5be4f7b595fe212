"""Lesson 6a: the FAQ's kernel size and stride question (section 6), measured on MNIST.

The article's FAQ (section 6, "how to choose kernel size and stride") says that small
kernels with large strides pick up more *local* features and large kernels with small
strides more *global* ones. This lesson trains the same small CNN with kernel k ∈ {3, 5, 7}
and stride s ∈ {1, 2}:

    Conv2D(16, k×k, strides=s, ReLU, 'valid') → MaxPooling2D(2) → Flatten → Dense(10, softmax)

and measures, for each: test accuracy, parameters, seconds per epoch, the conv output
size, and the receptive field of one unit (how many input pixels it can see).

The geometry, along one axis (input n, kernel k, stride s, 'valid' padding):

    conv output size      o = floor((n - k) / s) + 1                (section 3.1.4's sum
                                                                      evaluated every s pixels)
    conv receptive field  r₁ = k                 jump j₁ = s          (distance between
    pool(2) rec. field    r₂ = r₁ + (2 - 1)·j₁ = k + s,  j₂ = 2s      neighbouring units)

(the usual recursion r ← r + (k_layer - 1)·j, j ← j·s_layer). So:
* the kernel size alone sets how much of the image one conv unit sees (r₁ = k): large
  kernels are indeed more "global" per unit;
* the stride does NOT make a unit see less. A conv unit sees k×k pixels whatever s is;
  the stride only thins out WHERE units are placed (s² fewer of them, 1/s² the sampling
  density), and every layer after it sees a larger patch (k + s after the pooling). A
  large stride is a coarser, more global summary, not a more local one: the FAQ has the
  stride's direction backwards. With s > k some pixels are never looked at at all.
What the accuracy column says on MNIST is printed at the end, beside the FAQ's claim.
`receptive_field` is checked against tinydl's own conv2d by a gradient in the tests.

Run:  python lessons/06_faq_kernels_and_strides.py [--quick] [--out DIR] [--seed N]
Data: MNIST ($TINYDL_DATA/mnist). Full run: a fixed subset of the first 10,000 training
images, 4 epochs, tested on the first 2,000 test images (the full 60,000 would take 6×
longer; s/epoch includes the pass over the test images). --quick: 800 images, 1 epoch, 300 test images.
"""
from __future__ import annotations

import time

import numpy as np

import tinydl.functional as F
from tinydl import Tensor
from tinydl.datasets import mnist
from tinydl.layers import Conv2D, Dense, Flatten, MaxPooling2D
from tinydl.metrics import accuracy
from tinydl.models import Sequential
from tinydl.optimizers import Adam
from tinydl.utils import set_random_seed, to_categorical

from _lesson import output_dir, parse_args, plt, save

KERNELS = (3, 5, 7)
STRIDES = (1, 2)
SIZE = 28   # MNIST images are 28×28


def conv_output_size(n: int, k: int, s: int) -> int:
    """'valid' convolution: o = floor((n - k) / s) + 1 positions along one axis."""
    return (n - k) // s + 1


def receptive_field(layers: list[tuple[int, int]]) -> tuple[int, int]:
    """(receptive field r, jump j) of one unit after a stack of (kernel, stride) layers.

    Starting from r = 1, j = 1 (a pixel), each layer does r ← r + (k - 1)·j, j ← j·s:
    a k-wide window over units that are j pixels apart spans (k - 1)·j more pixels.
    A 2×2 max pool is the layer (2, 2).
    """
    r, j = 1, 1
    for k, s in layers:
        r, j = r + (k - 1) * j, j * s
    return r, j


def measured_receptive_field(k: int, s: int, pool: bool = True) -> int:
    """The receptive field of one output unit, read off tinydl's conv2d by backward.

    Input of ones, kernel of ones (every weight non-zero, so no pixel hides behind a
    zero weight), average pooling instead of max pooling (max routes the gradient to
    one position only). d(unit)/d(input) ≠ 0 exactly on the pixels the unit sees.
    """
    x = Tensor(np.ones((1, SIZE, SIZE, 1)), requires_grad=True)
    h = F.conv2d(x, np.ones((k, k, 1, 1)), strides=s)
    if pool:
        h = F.avg_pool2d(h, 2)
    i = h.shape[1] // 2                       # a unit in the middle
    h[0, i, i, 0].backward()
    rows = np.flatnonzero(np.abs(x.grad[0, :, :, 0]).sum(axis=1))
    return int(rows[-1] - rows[0] + 1)


def build_model(k: int, s: int, seed: int) -> Sequential:
    """The experiment's CNN for kernel k×k and stride s (same seed, same optimizer)."""
    return Sequential([
        Conv2D(16, kernel_size=k, strides=s, activation="relu", input_shape=(SIZE, SIZE, 1)),
        MaxPooling2D(pool_size=2),
        Flatten(),
        Dense(10, activation="softmax"),
    ], seed=seed)


def load(n_train: int, n_test: int) -> tuple[np.ndarray, ...]:
    """The first n_train training and n_test test images, scaled to [0, 1], one-hot labels."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = x_train[:n_train, :, :, None].astype(np.float32) / 255.0
    x_test = x_test[:n_test, :, :, None].astype(np.float32) / 255.0
    return (x_train, to_categorical(y_train[:n_train], 10),
            x_test, to_categorical(y_test[:n_test], 10))


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__.splitlines()[0], argv)
    out = output_dir(args, "06_faq_kernels_and_strides")
    set_random_seed(args.seed)
    n_train, n_test, epochs = (800, 300, 1) if args.quick else (10000, 2000, 4)
    x_train, y_train, x_test, y_test = load(n_train, n_test)
    print(f"training on the first {n_train} MNIST images for {epochs} epoch(s), "
          f"testing on the first {n_test} test images; Adam(0.001), batch 64, seed {args.seed}\n")

    rows = []
    histories = {}
    for k in KERNELS:
        for s in STRIDES:
            model = build_model(k, s, args.seed)
            model.compile(optimizer=Adam(learning_rate=0.001), loss="categorical_crossentropy",
                          metrics=[accuracy])
            start = time.perf_counter()
            history = model.fit(x_train, y_train, batch_size=64, epochs=epochs, verbose=0,
                                validation_data=(x_test, y_test))
            seconds = (time.perf_counter() - start) / epochs
            o = conv_output_size(SIZE, k, s)
            r_conv, j_conv = receptive_field([(k, s)])
            r_pool, j_pool = receptive_field([(k, s), (2, 2)])
            rows.append({"kernel": k, "stride": s, "accuracy": history.history["val_accuracy"][-1],
                         "params": model.count_params(), "seconds": seconds, "conv_out": o,
                         "pool_out": o // 2, "rf_conv": r_conv, "rf_pool": r_pool,
                         "jump_pool": j_pool, "density": 1.0 / s ** 2})
            histories[(k, s)] = history.history

    header = (f"{'kernel':>6} {'stride':>6} {'test acc':>8} {'params':>7} {'s/epoch':>7} "
              f"{'conv out':>8} {'pool out':>8} {'RF conv':>7} {'RF pool':>7} {'jump':>4} "
              f"{'units/pixel':>11}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['kernel']:>4}×{r['kernel']:<1} {r['stride']:>6} {r['accuracy']:>8.4f} "
              f"{r['params']:>7} {r['seconds']:>7.2f} {r['conv_out']:>5}²   {r['pool_out']:>5}²   "
              f"{r['rf_conv']:>5}² {r['rf_pool']:>6}² {r['jump_pool']:>4} {r['density']:>11.2f}")
    print("(RF: receptive field in input pixels of one conv unit and of one unit after the "
          "2×2 pool; jump: pixels between neighbouring pooled units; units/pixel: conv "
          "positions per input pixel, 1/s²)")

    # what the measurements say about the FAQ's claim
    by = {(r["kernel"], r["stride"]): r for r in rows}
    best = max(rows, key=lambda r: r["accuracy"])
    stride_cost = np.mean([by[(k, 1)]["accuracy"] - by[(k, 2)]["accuracy"] for k in KERNELS])
    print("\nThe FAQ (section 6): small kernel + large stride = more local features; large "
          "kernel + small stride = more global ones.")
    print(f"Measured: a conv unit sees k×k pixels whatever the stride (RF conv column); after "
          f"the pool, stride 2 makes each unit see MORE ({by[(3, 2)]['rf_pool']}² vs "
          f"{by[(3, 1)]['rf_pool']}² for 3×3), never less.")
    kernel_gain = np.mean([by[(7, s)]["accuracy"] - by[(3, s)]["accuracy"] for s in STRIDES])
    print(f"          stride 2 keeps 1/4 of the positions (sampling density), cuts the Dense "
          f"layer's weights ~4× and the time per epoch, and "
          f"{'costs' if stride_cost >= 0 else 'gains'} {abs(stride_cost) * 100:.2f} accuracy "
          f"points on average; 7×7 instead of 3×3 {'gains' if kernel_gain >= 0 else 'costs'} "
          f"{abs(kernel_gain) * 100:.2f} points on average.")
    print(f"          best here: {best['kernel']}×{best['kernel']}, stride {best['stride']} "
          f"({best['accuracy']:.4f}). Kernel size sets the view of a unit; stride sets how "
          f"coarsely the image is sampled. 'Local vs global' is about k (and depth), and "
          f"a larger stride pushes toward global, not local.")

    # figures: validation accuracy per epoch, and accuracy against parameters / time
    fig, (ax_curve, ax_params) = plt.subplots(1, 2, figsize=(11, 3.8))
    epochs_axis = np.arange(1, epochs + 1)
    for (k, s), h in histories.items():
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
    save(fig, out / "accuracy.png")

    # figure: where the units of a 3×3 conv sit for stride 1 and 2, and what one sees
    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    digit = x_test[0, :, :, 0]
    for ax, s in zip(axes, STRIDES):
        k = 3
        ax.imshow(digit, cmap="gray_r")
        centres = np.arange(conv_output_size(SIZE, k, s)) * s + (k - 1) / 2
        cx, cy = np.meshgrid(centres, centres)
        ax.scatter(cx.ravel(), cy.ravel(), s=3, color="tab:blue")
        r_pool, _ = receptive_field([(k, s), (2, 2)])
        ax.add_patch(plt.Rectangle((9.5, 9.5), k, k, fill=False, color="tab:orange", lw=2,
                                   label=f"one conv unit: {k}×{k}"))
        ax.add_patch(plt.Rectangle((9.5, 9.5), r_pool, r_pool, fill=False, color="crimson",
                                   lw=2, linestyle="--", label=f"one pooled unit: {r_pool}×{r_pool}"))
        ax.set_title(f"3×3 kernel, stride {s}: {len(centres)}² units (dots)", fontsize=9)
        ax.legend(fontsize=7, loc="lower left")
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle("stride thins out the units; it does not shrink what a unit sees")
    save(fig, out / "sampling_and_receptive_field.png")
    return {"rows": rows, "histories": {f"{k}x{s}": h for (k, s), h in histories.items()},
            "epochs": epochs}


if __name__ == "__main__":
    main()
