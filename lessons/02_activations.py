"""Lesson 2: activation functions (article sections 3.1.2 and 3.1.4) — curves, derivatives,
and what they really do to a feature map.

Section 3.1.4 lists three activations: linear f(z) = z, sigmoid f(z) = 1/(1 + e^{-z}) and
ReLU f(z) = max(0, z). We add tanh and leaky ReLU and plot each one with its derivative.
The derivatives are not typed in: they come from tinydl's autograd (f(z).sum().backward()
leaves f'(z) in z.grad), and a printed check compares them with the closed forms

    linear'    = 1
    sigmoid'   = σ(z)(1 − σ(z))
    relu'      = 1 for z > 0, 0 for z < 0 (and, by convention, 0 at z = 0)
    tanh'      = 1 − tanh²(z)
    leaky'     = 1 for z > 0, α otherwise (α = 0.2 here)

Where the article is wrong, and what is true instead:
* section 3.1.2 (and step 3 of 3.1.3) says the activation turns the convolution's output
  into a *binary* output. It does not: all five are continuous maps, so a feature map
  keeps (nearly) as many distinct values after the activation as before. Below, MNIST
  digits are convolved with a Sobel edge kernel, then passed through sigmoid and ReLU:
  sigmoid's outputs lie strictly between 0 and 1 — not one of them is 0 or 1 — and ReLU
  sets the negative half to exactly 0 but keeps a continuum of positive values. A hard
  threshold (a step function) would be binary, but its derivative is 0 almost everywhere,
  so gradient descent (3.1.4's θ ← θ − α∇J) could not train through it: that is why
  networks use these smooth or piecewise-linear activations.
* the FAQ (section 6) says which activation suits which task (linear for simple linear
  models, sigmoid for binary classification, ReLU for deep models). That claim is put to
  the test in lessons/06_faq_activations.py; here we only point to it.

Run:  python lessons/02_activations.py [--quick] [--out DIR] [--seed N]
Data: MNIST test digits from $TINYDL_DATA/mnist, the cache, or a download (README, "Data").
"""
from __future__ import annotations

from typing import Callable

import numpy as np

import tinydl.functional as F
from tinydl import Tensor
from tinydl.datasets import mnist

from _lesson import output_dir, parse_args, plt, save

ALPHA = 0.2  # leaky ReLU's slope for z ≤ 0 (tinydl's default, as tf.nn.leaky_relu)
SOBEL = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)


def _sigma(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


# name -> (the tinydl activation, its derivative in closed form)
ACTIVATIONS: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[np.ndarray], np.ndarray]]] = {
    "linear": (F.linear, lambda z: np.ones_like(z)),
    "sigmoid": (F.sigmoid, lambda z: _sigma(z) * (1 - _sigma(z))),
    "relu": (F.relu, lambda z: (z > 0).astype(z.dtype)),
    "tanh": (F.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "leaky_relu": (lambda t: F.leaky_relu(t, ALPHA), lambda z: np.where(z > 0, 1.0, ALPHA)),
}


def autograd_derivative(fn: Callable[[Tensor], Tensor], z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(f(z), f'(z)) for an elementwise f: backward of Σ f(z_i) gives ∂/∂z_i = f'(z_i)."""
    t = Tensor(z, requires_grad=True)
    y = fn(t)
    if y is t:                       # linear returns its input unchanged: f(z) = z
        y = t * 1.0
    y.sum().backward()
    return y.data, t.grad


def summary(values: np.ndarray) -> dict:
    """The numbers that tell a binary map from a continuous one."""
    v = values.ravel()
    positives = v[v > 0]
    return {"distinct": int(np.unique(v).size), "min": float(v.min()), "max": float(v.max()),
            "frac_in_open_0_1": float(np.mean((v > 0) & (v < 1))),
            "frac_in_0.01_0.99": float(np.mean((v > 0.01) & (v < 0.99))),
            "frac_exact_0": float(np.mean(v == 0)), "frac_exact_1": float(np.mean(v == 1)),
            "positive_range": (float(positives.min()), float(positives.max())) if positives.size else None}


def plot_curves(z: np.ndarray, curves: dict[str, tuple[np.ndarray, np.ndarray]], out) -> None:
    fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(11, 4))
    for name, (f, d) in curves.items():
        ax_f.plot(z, f, label=name)
        ax_d.plot(z, d, label=name)
    ax_f.set(xlabel="z (the convolution's output)", ylabel="f(z)", ylim=(-1.5, 3),
             title="activations (3.1.4: linear, sigmoid, ReLU; plus tanh, leaky ReLU)")
    ax_d.set(xlabel="z", ylabel="f'(z)", ylim=(-0.1, 1.15),
             title="derivatives from tinydl's autograd (backward)")
    for ax in (ax_f, ax_d):
        ax.axhline(0, color="k", lw=0.5), ax.axvline(0, color="k", lw=0.5)
        ax.grid(alpha=0.3), ax.legend()
    save(fig, out / "activations_and_derivatives.png")


def plot_feature_maps(image: np.ndarray, raw: np.ndarray, sig: np.ndarray, rel: np.ndarray,
                      out) -> None:
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
    lim = np.abs(raw).max()
    for ax, img, title, kw in (
            (axes[0], image, "MNIST test digit 0", dict(cmap="gray_r")),
            (axes[1], raw, "conv2d with Sobel (z)", dict(cmap="RdBu_r", vmin=-lim, vmax=lim)),
            (axes[2], sig, "sigmoid(z): grey 0.5 background,\nshades in between", dict(cmap="gray", vmin=0, vmax=1)),
            (axes[3], rel, "relu(z): negatives → 0,\npositives kept as they are", dict(cmap="gray", vmin=0))):
        im = ax.imshow(img, **kw)
        fig.colorbar(im, ax=ax, fraction=0.046)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle("an activated feature map is not binary (article 3.1.2 says it is)")
    save(fig, out / "activated_feature_maps.png")


def plot_histograms(raw: np.ndarray, sig: np.ndarray, rel: np.ndarray, out) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    for ax, v, title in ((axes[0], raw, "z = conv2d(digit, Sobel)"),
                         (axes[1], sig, "sigmoid(z)"),
                         (axes[2], rel[rel > 0], "relu(z), positive values only")):
        ax.hist(v.ravel(), bins=60, log=True, color="tab:blue")
        ax.set(title=title, xlabel="value", ylabel="count (log)")
    axes[1].axvline(0, color="crimson", ls="--"), axes[1].axvline(1, color="crimson", ls="--")
    axes[1].text(0.5, 0.9, "a binary output would\nsit on the red lines only", ha="center",
                 transform=axes[1].transAxes, color="crimson", fontsize=8)
    fig.suptitle("histograms of every pixel of the feature maps (all digits used)")
    save(fig, out / "activation_histograms.png")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__.splitlines()[0], argv)
    out = output_dir(args, "02_activations")
    rng = np.random.default_rng(args.seed)
    results: dict = {}

    # 1. the curves and their derivatives, from autograd vs closed form --------------------
    z = np.linspace(-5, 5, 1001)                  # float64; contains z = 0 exactly
    z = np.concatenate([z, rng.normal(0, 3, 1000)])  # plus random points (seeded)
    print("1. derivative from autograd (backward) vs the closed form, "
          f"{z.size} points in float64 (z = 0 included)")
    print(f"{'activation':<11} {'closed form':<24} {'max |autograd - closed|':>23} {'f on [-5, 5]':>18}")
    forms = {"linear": "1", "sigmoid": "σ(z)(1−σ(z))", "relu": "1[z>0]", "tanh": "1−tanh²(z)",
             "leaky_relu": f"1 if z>0 else {ALPHA}"}
    curves, deriv_err = {}, {}
    for name, (fn, closed) in ACTIVATIONS.items():
        f, d = autograd_derivative(fn, z)
        deriv_err[name] = float(np.abs(d - closed(z)).max())
        curves[name] = (f[:1001], d[:1001])
        lo, hi = f[:1001].min(), f[:1001].max()
        print(f"{name:<11} {forms[name]:<24} {deriv_err[name]:>23.1e} {f'[{lo:.4g}, {hi:.4g}]':>18}")
    results["derivative_max_error"] = deriv_err
    plot_curves(z[:1001], curves, out)

    # 2. what sigmoid and ReLU do to a real feature map ------------------------------------
    n = 10 if args.quick else 1000
    _, (x_test, _) = mnist.load_data()
    digits = x_test[:n, :, :, None].astype(np.float32) / 255.0
    raw = F.conv2d(digits, SOBEL[:, :, None, None]).data   # (n, 26, 26, 1)
    sig = F.sigmoid(raw).data
    rel = F.relu(raw).data
    stats = {"z (conv2d)": summary(raw), "sigmoid(z)": summary(sig), "relu(z)": summary(rel)}
    print(f"\n2. MNIST test digits 0..{n - 1} convolved with a Sobel kernel ({raw.size} pixels), "
          "then activated")
    print(f"{'map':<11} {'distinct':>8} {'min':>8} {'max':>7} {'in (0,1)':>9} {'in (.01,.99)':>12} "
          f"{'exactly 0':>9} {'exactly 1':>9}  {'positive values':<17}")
    for name, s in stats.items():
        pr = s["positive_range"]
        print(f"{name:<11} {s['distinct']:>8} {s['min']:>8.3f} {s['max']:>7.3f} "
              f"{s['frac_in_open_0_1']:>9.1%} {s['frac_in_0.01_0.99']:>12.1%} "
              f"{s['frac_exact_0']:>9.1%} {s['frac_exact_1']:>9.1%}  "
              f"{f'[{pr[0]:.2g}, {pr[1]:.3g}]' if pr else '-':<17}")
    results["stats"] = stats
    plot_feature_maps(digits[0, :, :, 0], raw[0, :, :, 0], sig[0, :, :, 0], rel[0, :, :, 0], out)
    plot_histograms(raw, sig, rel, out)

    s_sig, s_rel = stats["sigmoid(z)"], stats["relu(z)"]
    print("\nThe article vs what was measured:")
    print(f"  3.1.2: the activation makes the output binary -> sigmoid: {s_sig['distinct']} distinct "
          f"values, {s_sig['frac_in_open_0_1']:.0%} strictly inside (0, 1), none exactly 0 or 1")
    print(f"         (a background pixel, z = 0, becomes 0.5); relu: {s_rel['frac_exact_0']:.0%} "
          f"exact zeros, the rest spread over {s_rel['distinct'] - 1} values in "
          f"[{s_rel['positive_range'][0]:.2g}, {s_rel['positive_range'][1]:.3g}]")
    print(f"  3.1.4: f'(z) of each activation -> autograd agrees with the closed forms to "
          f"{max(deriv_err.values()):.0e}")
    print("  section 6 (FAQ): which activation for which task -> tested in lessons/06_faq_activations.py")
    return results


if __name__ == "__main__":
    main()
