# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 11 · 第11课: which pixels made the decision? (§5, challenge 2)
#
# Four ways to ask the §4 CNN why it answered what it did, on digits it gets right and
# wrong, and a test of whether the answers explain the *model* at all.
#
# Run it as a script (`python lessons/11_explainability.py --quick`) or open it as a
# notebook and run the cells one by one.

# %% [markdown]
# ## What §5 says
#
# > §5.2「解释性和可解释性的需求：随着AI的广泛应用，解释性和可解释性的需求将越来越高。这将需要开发更好的解释性工具和方法。」
# > (The need for explainability and explainability: as AI is used widely, the need will
# > grow, and better tools and methods of explanation must be developed.)
#
# 解释性 and 可解释性 are near-synonyms (both render explainability / interpretability), so
# the heading says one thing twice. The article names no tool and no way to check one.
# Here are four tools and one check.

# %%
import numpy as np

from tinydl.explain import (gradient_x_input, grad_cam, integrated_gradients,
                            randomization_check, saliency, spearman)
from tinydl.layers import Conv2D

import _sec5_plots as plots
from _lesson import Lesson
from _mnist_cnn import WEIGHTS, mnist_images, section4_cnn

lesson = Lesson("11_explainability", "saliency, gradient × input, integrated gradients, "
                "Grad-CAM and the randomisation sanity check", weights=str(WEIGHTS),
                epochs=2, steps=50)
n_train, n_test, k, n_check, epochs = 60000, 2000, 3, 8, lesson.epochs
if lesson.quick:
    n_train, n_test, k, n_check, epochs = 2000, 300, 2, 3, 1
(x_train, y_train), (x_test, y_test) = mnist_images()
model, how = section4_cnn(lesson.weights, x_train[:n_train], y_train[:n_train], epochs)
x_test, y_test = x_test[:n_test], y_test[:n_test]
pred = model.predict(x_test, batch_size=500).argmax(axis=1)
print(f"the section-4 CNN, {how}")
print(f"test accuracy on {n_test:,} images: {100 * (pred == y_test).mean():.2f}%")

# %% [markdown]
# ## The digits to explain
#
# The first few digits the network classifies correctly and the first few it gets wrong:
# an explanation should help most where the model fails.

# %%
def pick_digits(predicted: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """The indices of the first k correctly and the first k wrongly classified digits."""
    right = np.flatnonzero(predicted == labels)[:k]
    wrong = np.flatnonzero(predicted != labels)[:k]
    return np.concatenate([right, wrong])


chosen = pick_digits(pred, y_test, k)
x, labels, predicted = x_test[chosen], y_test[chosen], pred[chosen]
print("true labels", labels.tolist(), "predicted", predicted.tolist())

# %% [markdown]
# ## Four attribution methods (归因方法)
#
# Each explains the logit z_t of the predicted class t (the score before softmax):
# saliency |∂z_t/∂x| (Simonyan et al., 2014); gradient × input x ⊙ ∂z_t/∂x (Shrikumar et al.,
# 2016); integrated gradients (积分梯度) (x − x′) ⊙ ∫₀¹ ∂z_t/∂x(x′ + α(x − x′)) dα from a black
# image x′ (Sundararajan et al., 2017); Grad-CAM ReLU(Σ_k α_k A_k), α_k the mean of ∂z_t/∂A_k
# over the last conv layer's 11×11 feature maps (特征图) A_k, resized to 28×28 (Selvaraju et al., 2017).

# %%
layer = [l.name for l in model.layers if isinstance(l, Conv2D)][-1]
methods = {   # each: f(model, x, target) -> (N, 28, 28) map
    "saliency": lambda m, x, t: np.abs(saliency(m, x, t))[..., 0],
    "gradient × input": lambda m, x, t: gradient_x_input(m, x, t)[..., 0],
    "integrated gradients":
        lambda m, x, t: integrated_gradients(m, x, t, steps=lesson.steps).attributions[..., 0],
    "Grad-CAM": lambda m, x, t: grad_cam(m, x, t, layer=layer),
}
ig = integrated_gradients(model, x, predicted, steps=lesson.steps)
maps = {name: (ig.attributions[..., 0] if name == "integrated gradients"
               else f(model, x, predicted)) for name, f in methods.items()}
print(f"Grad-CAM uses layer {layer!r}: {model.get_layer(layer).output_shape[1:3]} maps")
lesson.save(plots.attribution_grid(x, labels, predicted, maps), "attributions.png")

# %% [markdown]
# ## A check of the arithmetic: completeness (完备性)
#
# Integrated gradients split the score change from the black image to the digit among the
# pixels: Σ_i A_i = z_t(x) − z_t(x′) exactly for the integral. With 50 midpoint steps the
# sum is close, not exact (a ReLU network's gradient jumps along the path); under 5%
# relative error is the usual target.

# %%
for i in range(len(x)):
    print(f"digit {labels[i]} (said {predicted[i]}): Δ = {ig.delta[i]:7.3f}, Σ A = "
          f"{ig.attributions[i].sum():7.3f}, relative error {100 * ig.relative_error[i]:.2f}%")
worst_completeness = float(np.nanmax(ig.relative_error))
print(f"largest relative error {100 * worst_completeness:.2f}% at {lesson.steps} steps: "
      f"{'under' if worst_completeness < 0.05 else 'NOT under'} 5%")

# %% [markdown]
# ## The sanity check (合理性检验): does the map depend on the model?
#
# Adebayo et al. (2018) randomise the weights layer by layer from the output down and
# recompute each map. A method whose map barely changes (rank correlation 秩相关 with the
# original near 1) shows the image — its edges and ink — not what the network learned.
# Grad-CAM's map is clipped at 0; a random network can make it all zeros (no correlation).

# %%
check_x, check_t = x_test[:n_check], pred[:n_check]
originals, randomised = {}, {}
for name, f in methods.items():
    originals[name] = f(model, check_x, check_t)
    randomised[name] = randomization_check(model, check_x, check_t, f, rng=lesson.seed)
layers = [s.layer for s in randomised["saliency"]]
sanity = {name: [s.mean_spearman for s in st] for name, st in randomised.items()}
zero_maps = {name: [int(np.isnan(s.spearman).sum()) for s in st] for name, st in randomised.items()}
print(f"{n_check} test digits; mean rank correlation with the original map, all pixels")
print(f"{'method':<22}" + "".join(f"{'+ ' + name:>12}" for name in layers))
for name, rhos in sanity.items():
    print(f"{name:<22}" + "".join(f"{rho:>12.3f}" for rho in rhos))
print(f"all-zero Grad-CAM maps per step (left out of its mean): {zero_maps['Grad-CAM']}")

# %% [markdown]
# ## The blank background hides the answer
#
# Gradient × input and integrated gradients multiply by x, and MNIST's background is
# exactly 0: there both maps are 0 whatever the weights, and those tied zeros alone push
# the all-pixel correlation towards 1. So we compare again over the ink pixels (x > 0) only.

# %%
def ink_spearman(original: np.ndarray, maps: np.ndarray, x: np.ndarray) -> float:
    """Mean rank correlation of |map| with |original map| over the ink pixels (x > 0)."""
    rhos = np.array([spearman(np.abs(o[image > 0]), np.abs(m[image > 0]))
                     for o, m, image in zip(original, maps, x[..., 0])])
    return float(np.nanmean(rhos)) if np.isfinite(rhos).any() else float("nan")


background = float((check_x == 0).mean())
print(f"background (x = 0): {100 * background:.0f}% of the pixels")
ink_sanity = {name: [ink_spearman(originals[name], s.attributions, check_x) for s in st]
              for name, st in randomised.items()}
print(f"{'over the ink only':<22}" + "".join(f"{'+ ' + name:>12}" for name in layers))
for name, rhos in ink_sanity.items():
    print(f"{name:<22}" + "".join(f"{rho:>12.3f}" for rho in rhos))
lesson.save(plots.sanity_curves(sanity, ink_sanity, layers), "randomization_check.png")

# %% [markdown]
# ## The verdict, from the numbers
#
# After every layer is randomised, how much of the ink ranking survives? Below 0.3 we say
# the map depends on the weights, from 0.3 to 0.7 that much of it survives without the
# model, above 0.7 that it shows the image. With lesson 4's trained weights a run typically
# ends at saliency 0.02, gradient × input 0.42, integrated gradients 0.45, Grad-CAM −0.20.

# %%
for name in methods:
    all_px, ink_px = sanity[name][-1], ink_sanity[name][-1]
    if np.isnan(ink_px):
        verdict = "no correlation defined (all-zero maps)"
    elif ink_px < 0.3:
        verdict = "changes: it depends on the learned weights"
    elif ink_px < 0.7:
        verdict = "partly: much of the map survives without the model"
    else:
        verdict = "barely changes: it shows the image, not the model"
    print(f"{name:<22} all pixels {all_px:6.3f}, ink {ink_px:6.3f}: {verdict}")
lower = [n for n in methods if ink_sanity[n][-1] < sanity[n][-1]]
print(f"lower over the ink than over all pixels: {', '.join(lower) or 'none'}")

# %% [markdown]
# ## What explanations can and cannot show
#
# They can show where the score is sensitive (saliency), how it splits among the pixels
# (integrated gradients, checked by completeness), and which region of the last feature
# maps mattered (Grad-CAM). They cannot show *why* in human terms, they disagree with
# each other, and a pretty map may not depend on the model at all: run the sanity check.

# %% [markdown]
# ## Try it yourself
#
# 1. Set `--steps 5` and rerun: how large does the completeness error get?
# 2. Replace the black baseline with a blurred digit (`integrated_gradients(...,
#    baseline=...)`): which pixels gain or lose credit?
# 3. Every map here is an input gradient from the backward pass: write the convolution's
#    backward yourself with `tinydl exercise start conv2d_backward`.
