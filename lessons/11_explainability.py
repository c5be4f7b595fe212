"""Lesson 11 (section 5, "explainability"): four ways to ask the section-4 CNN which pixels
made its decision, on digits it gets right and wrong, and a test of whether the answers
explain the model at all.

Every method explains the logit z_t of the predicted class t (the score before softmax;
`tinydl.explain`):

    saliency            |∂z_t/∂x|                                 (Simonyan et al., 2014)
    gradient × input    x ⊙ ∂z_t/∂x                               (Shrikumar et al., 2016)
    integrated grads    (x − x') ⊙ ∫₀¹ ∂z_t/∂x(x' + α(x − x')) dα,  x' a black image,
                        50 midpoint steps                         (Sundararajan et al., 2017)
    Grad-CAM            ReLU(Σ_k α_k A_k), α_k = mean_ij ∂z_t/∂A_k, A the last conv
                        layer's 11×11 maps, resized to 28×28      (Selvaraju et al., 2017)

Integrated gradients have a check of their own, completeness: the attributions add up to
z_t(x) − z_t(x'). The lesson prints the relative error of that sum at 50 steps (under 5%
is the usual target; it falls like 1/steps for a ReLU network).

The sanity check (Adebayo et al., 2018, "Sanity checks for saliency maps"): randomise the
weights layer by layer from the output down and recompute each map. A method whose map
barely changes (rank correlation with the original near 1) is showing the image (edges,
ink), not what the network learned. The rank correlations are printed and plotted for
every method, twice: over all pixels, and over the ink pixels only. Gradient × input
and integrated gradients multiply by the image, and MNIST's background is exactly 0:
on ~80% of the pixels both maps are 0 whatever the weights, and those tied zeros alone
push the all-pixel correlation near 1. Over the ink the picture is different. Grad-CAM's map is clipped at 0 by its ReLU; after
randomisation it can be all zeros, whose correlation is undefined (counted as "zero maps").

Measured with lesson 4's trained weights (99.24% test accuracy; 98.9% on the first
2,000 test images): completeness errors of integrated gradients 0.08-0.29% at 50 steps.
Rank correlation with the original map once every layer is randomised, over all pixels
/ over the ink: saliency 0.67 / 0.02, gradient × input 0.99 / 0.42, integrated
gradients 0.99 / 0.45, Grad-CAM 0.20 / −0.20. Saliency and Grad-CAM pass the check;
the two methods that multiply by x keep about 0.4 of their ranking over the ink from
the image alone.

What the pictures show is not a proof of what the network "thinks": each method is one
definition of importance, and they disagree.

Run:  python lessons/11_explainability.py [--quick] [--weights PATH] [--epochs N] [--out DIR]
Uses lesson 4's trained weights if present (default lesson_output/04_mnist_cnn/), else
trains the network here for --epochs (default 2) epochs.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinydl.explain import (gradient_x_input, grad_cam, integrated_gradients,
                            randomization_check, saliency, spearman)
from tinydl.layers import Conv2D
from tinydl.utils import set_random_seed

from _lesson import output_dir, plt, save
from _mnist_cnn import WEIGHTS, mnist_images, section4_cnn

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="train 1 epoch on 2,000 images, 3 digits checked (seconds)")
    parser.add_argument("--weights", type=Path, default=WEIGHTS, help="lesson 4's weights")
    parser.add_argument("--epochs", type=int, default=2, help="training without weights")
    parser.add_argument("--steps", type=int, default=50, help="integrated-gradient steps")
    parser.add_argument("--out", default=None)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def last_conv(model) -> str:
    return [layer.name for layer in model.layers if isinstance(layer, Conv2D)][-1]


def method_functions(model, steps: int) -> dict:
    """Each method as f(model, x, target) -> (N, 28, 28) map (channel axis dropped)."""
    layer = last_conv(model)

    def ig(m, x, t):
        return integrated_gradients(m, x, t, steps=steps).attributions[..., 0]
    return {"saliency": lambda m, x, t: np.abs(saliency(m, x, t))[..., 0],
            "gradient × input": lambda m, x, t: gradient_x_input(m, x, t)[..., 0],
            "integrated gradients": ig,
            "Grad-CAM": lambda m, x, t: grad_cam(m, x, t, layer=layer)}


def pick_digits(pred: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """The first k correctly and the first k wrongly classified test digits."""
    right = np.flatnonzero(pred == labels)[:k]
    wrong = np.flatnonzero(pred != labels)[:k]
    return np.concatenate([right, wrong])


def plot_maps(x, labels, pred, maps: dict, out) -> None:
    n = len(x)
    fig, axes = plt.subplots(n, 1 + len(maps), figsize=(1.7 * (1 + len(maps)), 1.8 * n),
                             squeeze=False)
    for i in range(n):
        ok = labels[i] == pred[i]
        axes[i, 0].imshow(x[i, :, :, 0], cmap="gray_r")
        axes[i, 0].set_title(f"true {labels[i]}, said {pred[i]}", fontsize=8,
                             color="black" if ok else "crimson")
        for j, (name, m) in enumerate(maps.items(), start=1):
            limit = np.abs(m[i]).max() or 1.0
            signed = name in ("gradient × input", "integrated gradients")
            axes[i, j].imshow(m[i], cmap="RdBu_r" if signed else "inferno",
                              vmin=-limit if signed else 0, vmax=limit)
            if i == 0:
                axes[i, j].set_title(name, fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle("why the predicted class? (red +, blue −; brighter = more)", fontsize=9)
    save(fig, out / "attributions.png")


def ink_spearman(original: np.ndarray, maps: np.ndarray, x: np.ndarray) -> float:
    """Mean rank correlation of |map| with |original map| over the ink pixels (x > 0)
    only: on the blank background x ⊙ g is 0 for every weight setting, and those tied
    zeros alone make two maps of a multiply-by-x method look alike."""
    rhos = []
    for o, m, image in zip(original, maps, x[..., 0]):
        ink = image > 0
        rhos.append(spearman(np.abs(o[ink]), np.abs(m[ink])))
    rhos = np.array(rhos)
    return float(np.nanmean(rhos)) if np.isfinite(rhos).any() else float("nan")


def plot_sanity(results: dict, ink: dict, layers: list[str], out) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    steps = np.arange(len(layers) + 1)
    for ax, table, where in ((axes[0], results, "all pixels"), (axes[1], ink, "ink pixels only")):
        for name, rho in table.items():
            ax.plot(steps, [1.0, *rho], "o-", label=name)
        ax.set_xticks(steps, ["original", *[f"+ {name}" for name in layers]], rotation=20,
                      fontsize=8)
        ax.axhline(0, color="gray", lw=0.8)
        ax.set(title=f"rank correlation over {where}", ylim=(-1.05, 1.05))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("rank correlation with the original map")
    axes[0].legend(fontsize=8)
    fig.suptitle("sanity check: the weights randomised layer by layer from the top (cascading)")
    save(fig, out / "randomization_check.png")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    out = output_dir(args, "11_explainability")
    set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = mnist_images()
    n_train, n_test, k, n_check = 60000, 2000, 3, 8
    if args.quick:
        n_train, n_test, k, n_check, args.epochs = 2000, 300, 2, 3, 1
    model, how = section4_cnn(args.weights, x_train[:n_train], y_train[:n_train], args.epochs)
    x_test, y_test = x_test[:n_test], y_test[:n_test]
    pred = model.predict(x_test, batch_size=500).argmax(axis=1)
    print(f"the section-4 CNN, {how}")
    print(f"test accuracy on {n_test:,} images: {100 * (pred == y_test).mean():.2f}%")

    chosen = pick_digits(pred, y_test, k)
    x, labels, target = x_test[chosen], y_test[chosen], pred[chosen]
    functions = method_functions(model, args.steps)
    ig = integrated_gradients(model, x, target, steps=args.steps)
    maps = {name: (ig.attributions[..., 0] if name == "integrated gradients"
                   else f(model, x, target)) for name, f in functions.items()}
    print(f"\nintegrated gradients, completeness at {args.steps} steps: Σ attributions vs "
          f"z_t(x) − z_t(black)")
    for i in range(len(x)):
        print(f"  digit {labels[i]} (said {target[i]}): Δ = {ig.delta[i]:8.3f}, Σ A = "
              f"{ig.attributions[i].sum():8.3f}, relative error {100 * ig.relative_error[i]:.2f}%")
    worst = float(np.nanmax(ig.relative_error))
    print(f"  largest relative error: {100 * worst:.2f}% "
          f"({'under' if worst < 0.05 else 'NOT under'} 5%)")
    print(f"Grad-CAM uses layer {last_conv(model)!r}, "
          f"{model.get_layer(last_conv(model)).output_shape[1:3]} maps resized to 28×28")
    plot_maps(x, labels, target, maps, out)

    print(f"\nsanity check (cascading randomisation from the top, {n_check} test digits): "
          f"mean rank correlation with the original map")
    check_x, check_t = x_test[:n_check], pred[:n_check]
    sanity, ink, zero_maps, layers = {}, {}, {}, []
    for name, f in functions.items():
        original = f(model, check_x, check_t)
        steps = randomization_check(model, check_x, check_t, f, rng=args.seed)
        layers = [s.layer for s in steps]
        sanity[name] = [s.mean_spearman for s in steps]
        ink[name] = [ink_spearman(original, s.attributions, check_x) for s in steps]
        zero_maps[name] = [int(np.isnan(s.spearman).sum()) for s in steps]
    for table, where in ((sanity, "all pixels"), (ink, "ink pixels only (x > 0)")):
        print(f"  over {where}")
        print(f"  {'method':<22}" + "".join(f"{'+ ' + layer:>12}" for layer in layers))
        for name in functions:
            print(f"  {name:<22}" + "".join(f"{rho:>12.3f}" for rho in table[name]))
    if any(sum(z) for z in zero_maps.values()):
        print("  (all-zero Grad-CAM maps, left out of the mean, per step: "
              f"{zero_maps['Grad-CAM']})")
    print("  near 1 = the map ignores the randomised weights: it shows the image, not the model")
    plot_sanity(sanity, ink, layers, out)
    return {"how": how, "completeness": ig.relative_error, "worst_completeness": worst,
            "sanity": sanity, "ink_sanity": ink, "layers": layers, "zero_maps": zero_maps, "maps": maps,
            "labels": labels, "predicted": target}


if __name__ == "__main__":
    main()
