"""Lesson 1: the article's convolution formula (sections 3.1.2 and 3.1.4) on a real digit.

Section 3.1.2 says a convolution layer scans the image with a kernel ("filter") to find
features; section 3.1.4 gives the formula

    y(x, y) = Σ_{x'=0}^{w-1} Σ_{y'=0}^{h-1} w(x', y') · x(x - x', y - y')

This lesson applies it to MNIST test digit 0 with three hand-made kernels (a Sobel edge
detector, a Gaussian blur, a sharpen) and shows, in order:

1. the formula as literal Python loops, index for index, next to the vectorised
   `tinydl.functional.conv2d`: the same numbers (max difference printed), and how much
   faster the vectorised one is;
2. convolution is not cross-correlation: the article's x - x' walks the kernel backwards,
   which flips it by 180°. An asymmetric kernel (Sobel) gives a sign-flipped map under
   `correlate2d` (what Keras' Conv2D and PyTorch compute), a one-pixel "shift" kernel a
   mirrored shift, and correlate2d(x, w) == conv2d(x, w[::-1, ::-1]) exactly;
3. why a *learned* kernel does not care: fitting a kernel by least squares (and by
   gradient descent through tinydl's autograd) to the output of a Keras-style layer
   recovers the kernel itself with correlate2d and exactly its 180° flip with conv2d.
   Both layers can represent the same functions; training just finds the flipped kernel;
4. stride and padding decide the output size: floor((H + 2p - k) / s) + 1 for an int
   padding p ('valid' is p = 0) and ceil(H / s) for Keras' 'same', checked against the
   shapes conv2d actually returns.

Where the article is loose, and what is true instead:
* the formula uses `w` both for the kernel and for its width (the upper bound w - 1), and
  `x` both for the image and for the first coordinate; below the kernel is `kernel`, its
  size kh × kw, the image `image`, and the coordinates (px, py);
* it does not say that this is a *true* convolution (the kernel is flipped), while the
  Keras code of its section 4 computes a cross-correlation. For a learned kernel that
  changes nothing (point 3); for a hand-made one (an edge detector) it flips the sign;
* it says nothing about the border: x(x - x', y - y') must exist, so without padding the
  output is smaller than the image ('valid'); one channel and no bias appear, while a real
  layer sums over the input channels and adds a bias per kernel.

Run:  python lessons/01_convolution.py [--quick] [--out DIR] [--seed N]
Data: MNIST test image 0 from $TINYDL_DATA/mnist, the cache, or a download (README, "Data").
"""
from __future__ import annotations

import itertools
import math
import time

import numpy as np

import tinydl.functional as F
from tinydl import Tensor, optimizers
from tinydl.datasets import mnist

from _lesson import output_dir, parse_args, plt, save

# Hand-made kernels, rows top to bottom. Sobel responds to a change of brightness from
# left to right (a vertical edge); it is antisymmetric, so its 180° flip is its negative.
KERNELS: dict[str, np.ndarray] = {
    "sobel": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64),
    "gaussian blur": np.outer([1, 2, 1], [1, 2, 1]).astype(np.float64) / 16,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
}
# Two more asymmetric kernels for the convolution/correlation comparison: "emboss" is
# neither symmetric nor antisymmetric; "shift" is a single 1 in a corner.
EMBOSS = np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], dtype=np.float64)
SHIFT = np.zeros((5, 5))
SHIFT[0, 0] = 1.0


def article_convolution(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Section 3.1.4's formula as literal loops, on one 2-D image ('valid', no padding).

        y[i, j] = Σ_{x'=0}^{kh-1} Σ_{y'=0}^{kw-1} kernel[x', y'] · image[px - x', py - y']

    at the point (px, py) = (i + kh - 1, j + kw - 1): the first point where image[px - x',
    py - y'] exists for every x', y'. The output is (H - kh + 1) × (W - kw + 1).
    Slow on purpose: it is the formula, one multiplication at a time.
    """
    h, w = image.shape
    kh, kw = kernel.shape
    out = np.zeros((h - kh + 1, w - kw + 1))
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            px, py = i + kh - 1, j + kw - 1
            total = 0.0
            for xq in range(kh):            # x' in the article
                for yq in range(kw):        # y' in the article
                    total += kernel[xq, yq] * image[px - xq, py - yq]
            out[i, j] = total
    return out


def conv(image: np.ndarray, kernel: np.ndarray, op=F.conv2d, **kw) -> np.ndarray:
    """One 2-D image and one 2-D kernel through tinydl's NHWC conv2d (or correlate2d)."""
    return op(image[None, :, :, None], kernel[:, :, None, None], **kw).data[0, :, :, 0]


def best_ms(fn, repeats: int) -> float:
    """The fastest of `repeats` calls, in milliseconds (the least disturbed by other work)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def design_matrix(images: np.ndarray, k: int, op) -> np.ndarray:
    """Columns: the output of `op` for each one-hot k×k kernel, flattened.

    conv2d and correlate2d are linear in the kernel, so op(x, w) = A · vec(w) with
    A[:, m] = op(x, e_m): a least-squares fit of w is then np.linalg.lstsq(A, target).
    """
    eye = np.eye(k * k).reshape(k * k, k, k).transpose(1, 2, 0)[:, :, None, :]  # (k, k, 1, k²)
    return op(images[..., None], eye).data.reshape(-1, k * k)


def fit_by_descent(images: np.ndarray, target: np.ndarray, k: int, op, steps: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Train a k×k kernel: minimise mean (op(x, w) - target)² with Adam through autograd."""
    w = Tensor(rng.normal(0, 0.1, (k, k, 1, 1)), requires_grad=True)
    x = images[..., None]
    optimizer = optimizers.Adam(learning_rate=0.2)
    for _ in range(steps):
        loss = ((op(x, w) - target[..., None]) ** 2).mean()
        optimizer.zero_grad([w])
        loss.backward()
        optimizer.step([w])
    return w.data[:, :, 0, 0]


def out_size_formula(h: int, k: int, s: int, padding) -> int:
    """floor((H + 2p - k) / s) + 1 for int padding p ('valid' is p = 0); ceil(H / s) for 'same'."""
    if padding == "same":
        return math.ceil(h / s)
    p = 0 if padding == "valid" else padding
    return (h + 2 * p - k) // s + 1


def plot_feature_maps(image: np.ndarray, maps: dict[str, np.ndarray], out) -> None:
    fig, axes = plt.subplots(2, len(maps) + 1, figsize=(3 * (len(maps) + 1), 6))
    axes[0, 0].imshow(image, cmap="gray_r")
    axes[0, 0].set_title("MNIST test digit 0")
    axes[1, 0].axis("off")
    for col, (name, fmap) in enumerate(maps.items(), start=1):
        kernel = KERNELS[name]
        lim = np.abs(kernel).max()
        axes[0, col].imshow(kernel, cmap="RdBu_r", vmin=-lim, vmax=lim)
        for (r, c), v in np.ndenumerate(kernel):
            axes[0, col].text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=9)
        axes[0, col].set_title(f"kernel: {name}")
        lim = np.abs(fmap).max()
        axes[1, col].imshow(fmap, cmap="RdBu_r" if fmap.min() < 0 else "gray_r",
                            vmin=-lim if fmap.min() < 0 else 0, vmax=lim)
        axes[1, col].set_title(f"conv2d output {fmap.shape[0]}×{fmap.shape[1]}")
    for ax in axes.ravel():
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle("section 3.1.4's convolution on a real digit (red +, blue −)")
    save(fig, out / "kernels_and_feature_maps.png")


def plot_conv_vs_corr(image: np.ndarray, out) -> None:
    rows = [("sobel", KERNELS["sobel"]), ("emboss", EMBOSS), ("shift", SHIFT)]
    fig, axes = plt.subplots(len(rows), 4, figsize=(12, 3 * len(rows)))
    for r, (name, kernel) in enumerate(rows):
        a, b = conv(image, kernel), conv(image, kernel, F.correlate2d)
        lim = max(np.abs(a).max(), np.abs(b).max())
        axes[r, 0].imshow(kernel, cmap="RdBu_r", vmin=-np.abs(kernel).max(), vmax=np.abs(kernel).max())
        axes[r, 0].set_title(f"kernel: {name}")
        for ax, img, title in ((axes[r, 1], a, "conv2d (article, true convolution)"),
                               (axes[r, 2], b, "correlate2d (Keras/PyTorch)"),
                               (axes[r, 3], a - b, "difference")):
            ax.imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(title, fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle("an asymmetric kernel: convolution flips it, correlation does not\n"
                 "(Sobel: sign flipped; shift: the digit moves the other way)")
    save(fig, out / "convolution_vs_correlation.png")


def plot_learned(fits: dict[str, dict[str, np.ndarray]], out) -> None:
    fig, axes = plt.subplots(len(fits), 3, figsize=(8, 2.8 * len(fits)), squeeze=False)
    for r, (name, f) in enumerate(fits.items()):
        lim = np.abs(f["true"]).max()
        for ax, key, title in ((axes[r, 0], "true", f"{name}: kernel of the Keras-style layer"),
                               (axes[r, 1], "corr", "fitted with correlate2d"),
                               (axes[r, 2], "conv", "fitted with conv2d")):
            ax.imshow(f[key], cmap="RdBu_r", vmin=-lim, vmax=lim)
            for (i, j), v in np.ndenumerate(f[key]):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8)
            ax.set_title(title, fontsize=9)
            ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle("the same target, fitted in both modes: conv2d finds the 180° flip")
    save(fig, out / "learned_kernels_flip.png")


def plot_output_sizes(rows: list[tuple], h: int, out) -> None:
    fig, (ax, ax_grid) = plt.subplots(1, 2, figsize=(12, 4.5))
    colour = {"valid": "tab:blue", "same": "tab:red", 1: "tab:green", 2: "tab:purple"}
    style = {1: "-", 2: "--", 3: ":"}
    for (padding, s), group in itertools.groupby(rows, key=lambda r: (r[0], r[1])):
        group = list(group)
        ax.plot([g[2] for g in group], [g[4] for g in group], marker="o", color=colour[padding],
                linestyle=style[s], label=f"padding={padding!r}, stride={s}")
    ax.set(xlabel="kernel size k", ylabel=f"output size (input {h}×{h})",
           title="output size = floor((H+2p−k)/s)+1\n'same' (Keras): ceil(H/s)")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    # a drawing: a 7×7 input, padding 1 (grey ring), 3×3 kernel, stride 2 -> 4×4 output
    n, p, k, s = 7, 1, 3, 2
    size = n + 2 * p
    for i in range(size):
        for j in range(size):
            inside = p <= i < p + n and p <= j < p + n
            ax_grid.add_patch(plt.Rectangle((j, size - 1 - i), 1, 1, edgecolor="black", lw=0.5,
                                            facecolor="white" if inside else "0.8"))
    n_out = (n + 2 * p - k) // s + 1
    colors = plt.cm.tab10.colors
    for c, j in enumerate(range(n_out)):   # the windows of the first output row
        inset = 0.07 * (c + 1)             # nested a little so overlapping windows stay visible
        ax_grid.add_patch(plt.Rectangle((s * j + inset, size - k + inset), k - 2 * inset,
                                        k - 2 * inset, fill=False, edgecolor=colors[c], lw=2.5))
        ax_grid.text(s * j + 0.3, size - 0.6, f"y[0,{j}]", color=colors[c], fontsize=8)
    ax_grid.set(xlim=(-0.5, size + 0.5), ylim=(-0.5, size + 0.5), aspect="equal",
                title=f"input {n}×{n}, padding {p} (grey), kernel {k}×{k}, stride {s}:\n"
                      f"floor(({n}+2·{p}−{k})/{s})+1 = {n_out}, output {n_out}×{n_out}\n"
                      f"(the windows of the first output row)")
    ax_grid.axis("off")
    save(fig, out / "output_size.png")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__.splitlines()[0], argv)
    out = output_dir(args, "01_convolution")
    rng = np.random.default_rng(args.seed)
    (x_train, _), (x_test, y_test) = mnist.load_data()
    image = x_test[0].astype(np.float64) / 255.0        # a 7, pixels in [0, 1]
    image32 = image.astype(np.float32)                  # what a network sees
    results: dict = {}

    # 1. the literal formula vs the vectorised conv2d ----------------------------------
    repeats_loop, repeats_fast = (1, 5) if args.quick else (5, 50)
    print(f"1. section 3.1.4's formula on MNIST test digit 0 (label {y_test[0]}), 'valid', "
          f"float32 conv2d vs float64 loops")
    print(f"{'kernel':<14} {'out shape':>9} {'max |loop - conv2d|':>20} {'loop ms':>8} "
          f"{'conv2d ms':>9} {'speed-up':>8}")
    maps, diffs, speedups = {}, {}, {}
    for name, kernel in KERNELS.items():
        literal = article_convolution(image, kernel)
        fast = conv(image32, kernel.astype(np.float32))
        maps[name] = fast
        diffs[name] = float(np.abs(literal - fast).max())
        ms_loop = best_ms(lambda: article_convolution(image, kernel), repeats_loop)
        ms_fast = best_ms(lambda: conv(image32, kernel.astype(np.float32)), repeats_fast)
        speedups[name] = ms_loop / ms_fast
        print(f"{name:<14} {f'{fast.shape[0]}x{fast.shape[1]}':>9} {diffs[name]:>20.2e} "
              f"{ms_loop:>8.2f} {ms_fast:>9.3f} {speedups[name]:>7.0f}x")
    batch = x_test[:256, :, :, None].astype(np.float32) / 255.0
    sobel4 = KERNELS["sobel"][:, :, None, None].astype(np.float32)
    ms_batch = best_ms(lambda: F.conv2d(batch, sobel4), repeats_fast)
    print(f"(conv2d on a batch of 256 digits: {ms_batch:.2f} ms, {1000 * ms_batch / 256:.1f} µs "
          f"per digit; the loops would take about {256 * ms_loop / 1000:.1f} s)")
    results.update(loop_vs_conv2d_max_diff=diffs, speedup=speedups)
    plot_feature_maps(image, maps, out)

    # 2. convolution vs cross-correlation ----------------------------------------------
    print("\n2. conv2d (the article's x − x': kernel flipped) vs correlate2d (Keras, PyTorch)")
    print(f"{'kernel':<14} {'flip-symmetric':>14} {'max |conv - corr|':>17} "
          f"{'max |conv + corr|':>17} {'max |corr(w) - conv(flip w)|':>28}")
    table2 = {}
    for name, kernel in [*KERNELS.items(), ("emboss", EMBOSS), ("shift", SHIFT)]:
        a, b = conv(image, kernel), conv(image, kernel, F.correlate2d)
        flipped = conv(image, kernel[::-1, ::-1])
        row = {"symmetric": bool(np.array_equal(kernel, kernel[::-1, ::-1])),
               "conv_minus_corr": float(np.abs(a - b).max()),
               "conv_plus_corr": float(np.abs(a + b).max()),
               "corr_minus_conv_flipped": float(np.abs(b - flipped).max())}
        table2[name] = row
        print(f"{name:<14} {str(row['symmetric']):>14} {row['conv_minus_corr']:>17.3f} "
              f"{row['conv_plus_corr']:>17.3f} {row['corr_minus_conv_flipped']:>28.1e}")
    shift_conv = conv(image, SHIFT)
    shift_corr = conv(image, SHIFT, F.correlate2d)
    # 'valid' output (i, j) of the 5×5 shift kernel: conv reads image[i+4, j+4], corr image[i, j]
    results["shift_conv_reads"] = bool(np.array_equal(shift_conv, image[4:, 4:]))
    results["shift_corr_reads"] = bool(np.array_equal(shift_corr, image[:24, :24]))
    print(f"shift kernel (a 1 at [0,0] of 5×5): conv2d output = image[i+4, j+4]: "
          f"{results['shift_conv_reads']}; correlate2d output = image[i, j]: "
          f"{results['shift_corr_reads']}  (the window is read backwards vs forwards)")
    results["conv_vs_corr"] = table2
    plot_conv_vs_corr(image, out)

    # 3. a learned kernel does not care --------------------------------------------------
    n_fit, steps = (4, 300) if args.quick else (64, 600)
    images = x_train[:n_fit].astype(np.float64) / 255.0
    print(f"\n3. fit a 3×3 kernel to the output of a Keras-style (correlating) layer "
          f"on {n_fit} training digits")
    print(f"{'true kernel':<12} {'mode':<12} {'method':<18} {'max |w - true|':>14} "
          f"{'max |w - flip(true)|':>20}")
    fits = {}
    results["fits"] = {}
    for name, true in (("sobel", KERNELS["sobel"]), ("emboss", EMBOSS)):
        target = F.correlate2d(images[..., None], true[:, :, None, None]).data[..., 0]
        fits[name] = {"true": true}
        for mode, op in (("correlate2d", F.correlate2d), ("conv2d", F.conv2d)):
            a = design_matrix(images, 3, op)
            w_ls = np.linalg.lstsq(a, target.ravel(), rcond=None)[0].reshape(3, 3)
            w_gd = fit_by_descent(images, target, 3, op, steps, rng)
            fits[name]["corr" if mode == "correlate2d" else "conv"] = w_ls
            for method, w in (("least squares", w_ls), (f"Adam, {steps} steps", w_gd)):
                d_true = float(np.abs(w - true).max())
                d_flip = float(np.abs(w - true[::-1, ::-1]).max())
                results["fits"][(name, mode, method.split(",")[0])] = (d_true, d_flip)
                print(f"{name:<12} {mode:<12} {method:<18} {d_true:>14.2e} {d_flip:>20.2e}")
    print("-> with conv2d the fit is the 180° flip of the kernel: the two layers compute the "
          "same family of functions, and training simply finds whichever kernel that needs.")
    plot_learned(fits, out)

    # 4. stride, padding and the output size ---------------------------------------------
    h = 28
    zeros = np.zeros((1, h, h, 1), dtype=np.float32)
    rows = []
    for padding, s, k in itertools.product(("valid", "same", 1, 2), (1, 2, 3), (1, 3, 5, 7)):
        actual = F.conv2d(zeros, np.zeros((k, k, 1, 1), dtype=np.float32), strides=s,
                          padding=padding).shape[1]
        rows.append((padding, s, k, out_size_formula(h, k, s, padding), actual))
    print(f"\n4. output size of conv2d on a {h}×{h} input: formula / conv2d's actual shape")
    print(f"{'padding':>8} {'stride':>6} " + " ".join(f"{f'k={k}':>7}" for k in (1, 3, 5, 7))
          + f"  {'formula':<26}")
    for (padding, s), group in itertools.groupby(rows, key=lambda r: (r[0], r[1])):
        group = list(group)
        rule = "ceil(H/s)" if padding == "same" else \
            f"floor((H+2·{0 if padding == 'valid' else padding}−k)/s)+1"
        print(f"{padding!r:>8} {s:>6} " + " ".join(f"{f'{g[3]}/{g[4]}':>7}" for g in group)
              + f"  {rule:<26}")
    mismatches = sum(r[3] != r[4] for r in rows)
    print(f"{len(rows)} geometries, {mismatches} mismatches between the formula and conv2d")
    results["output_sizes"] = rows
    results["output_size_mismatches"] = mismatches
    plot_output_sizes(rows, h, out)

    print("\nThe article (3.1.4) vs what was measured:")
    print(f"  formula y = ΣΣ w(x',y')·x(x−x', y−y')  -> conv2d computes it exactly "
          f"(max diff {max(diffs.values()):.1e}), about {min(speedups.values()):.0f}x faster "
          f"than the loops")
    print("  it is a true convolution (kernel flipped) -> Keras' Conv2D correlates: the Sobel map "
          "changes sign; a learned kernel just comes out flipped")
    print("  it says nothing of stride, padding or output size -> floor((H+2p−k)/s)+1, "
          "'same' = ceil(H/s), checked on every geometry above")
    return results


if __name__ == "__main__":
    main()
