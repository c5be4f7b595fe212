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
# # Lesson 2 · 第2课: activation functions (激活函数) and their derivatives
#
# After the convolution comes the activation function: a function applied to every pixel
# of the feature map. This lesson plots the article's activations with their derivatives
# (taken from tinydl's autograd, not typed in), then tests what §3.1.2 says they do to a
# feature map, on real MNIST digits.

# %%
from typing import Callable

import numpy as np

import tinydl.functional as F
from tinydl import Tensor
from tinydl.datasets import mnist

import _activation_plots as plots
from _lesson import Lesson, plt

lesson = Lesson("02_activations", "activations, their derivatives, and a feature map")
rng = np.random.default_rng(lesson.seed)

# %% [markdown]
# ## The article's three, and two more
#
# > §3.1.4「线性激活函数：$f(x) = x$」「sigmoid激活函数：$f(x) = \frac{1}{1+e^{-x}}$」
# > 「ReLU激活函数：$f(x) = max(0,x)$」
# > (Linear activation f(x) = x; sigmoid f(x) = 1/(1+e^{−x}); ReLU f(x) = max(0, x).)
#
# The formulas are right. Their input is the convolution's output, written z below (the
# article's x is also its image). We add tanh and leaky ReLU, and each one's derivative
# f'(z): gradient descent (梯度下降) needs it, and the article gives none.

# %%
ALPHA = 0.2   # leaky ReLU's slope for z ≤ 0 (tinydl's default, as tf.nn.leaky_relu)


def _sigma(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


# name -> (the tinydl activation, its derivative in closed form)
ACTIVATIONS: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[np.ndarray], np.ndarray]]] = {
    "linear": (F.linear, lambda z: np.ones_like(z)),                        # 1
    "sigmoid": (F.sigmoid, lambda z: _sigma(z) * (1 - _sigma(z))),          # σ(1 − σ)
    "relu": (F.relu, lambda z: (z > 0).astype(z.dtype)),                    # 1[z > 0]
    "tanh": (F.tanh, lambda z: 1 - np.tanh(z) ** 2),                        # 1 − tanh²
    "leaky_relu": (lambda t: F.leaky_relu(t, ALPHA), lambda z: np.where(z > 0, 1.0, ALPHA)),
}


# %% [markdown]
# The derivatives come from autograd: f applied to a vector z, then the backward pass of
# Σ_i f(z_i) leaves ∂/∂z_i = f'(z_i) in `z.grad`, one derivative per point.

# %%
def autograd_derivative(fn: Callable[[Tensor], Tensor], z: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """(f(z), f'(z)) for an elementwise f: the backward of Σ_i f(z_i) leaves f'(z_i) in
    z.grad, since ∂/∂z_i Σ_k f(z_k) = f'(z_i)."""
    t = Tensor(z, requires_grad=True)
    y = fn(t)
    if y is t:                       # linear returns its input unchanged: f(z) = z
        y = t * 1.0
    y.sum().backward()
    return y.data, t.grad


# A worked example at three points. At z = 0 sigmoid is 0.5 with slope 0.25, tanh has
# slope 1, and ReLU's derivative is taken as 0 (a convention: max(0, z) has a corner).
z_points = np.array([-2.0, 0.0, 2.0])
print(f"{'activation':<11} " + " ".join(f"{f'f({z:+.0f})':>8} {f'df({z:+.0f})':>8}"
                                       for z in z_points))
for name, (fn, _) in ACTIVATIONS.items():
    f, d = autograd_derivative(fn, z_points)
    print(f"{name:<11} " + " ".join(f"{a:>8.4f} {b:>8.4f}" for a, b in zip(f, d)))

# %% [markdown]
# Now on 2001 points (a grid over [−5, 5] with z = 0 on it, plus random ones): autograd
# against the closed forms σ(z)(1 − σ(z)), 1[z > 0], 1 − tanh²(z), 1 or α.

# %%
z = np.concatenate([np.linspace(-5, 5, 1001), rng.normal(0, 3, 1000)])   # float64
derivative_max_error, values = {}, {}
for name, (fn, closed) in ACTIVATIONS.items():
    f, d = autograd_derivative(fn, z)
    derivative_max_error[name] = float(np.abs(d - closed(z)).max())
    values[name] = (f[:1001], d[:1001])
    print(f"{name:<11} max |autograd − closed form| = {derivative_max_error[name]:.1e}")
lesson.save(plots.curves(z[:1001], values), "activations_and_derivatives.png")

# %% [markdown]
# ## Is the activated output binary?
#
# > §3.1.2「激活函数（activation function）将卷积层的输出转换为二进制输出」
# > (The activation function turns the convolutional layer's output into a binary output.)
#
# §3.1.3's step 3 says the same. Test it: convolve MNIST digits with a Sobel edge kernel,
# apply sigmoid and ReLU, and count the values. A binary map has two.

# %%
SOBEL = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)


def summary(values: np.ndarray) -> dict:
    """The numbers that tell a binary map from a continuous one."""
    v = values.ravel()
    positives = v[v > 0]
    return {"distinct": int(np.unique(v).size), "min": float(v.min()), "max": float(v.max()),
            "frac_in_open_0_1": float(np.mean((v > 0) & (v < 1))),
            "frac_in_0.01_0.99": float(np.mean((v > 0.01) & (v < 0.99))),
            "frac_exact_0": float(np.mean(v == 0)), "frac_exact_1": float(np.mean(v == 1)),
            "positive_range": ((float(positives.min()), float(positives.max()))
                               if positives.size else None)}


# %% [markdown]
# The experiment: ten digits in quick mode, a thousand in a full run.

# %%
n = 10 if lesson.quick else 1000
_, (x_test, _) = mnist.load_data()
digits = x_test[:n, :, :, None].astype(np.float32) / 255.0
raw = F.conv2d(digits, SOBEL[:, :, None, None]).data          # z: (n, 26, 26, 1)
sig, rel = F.sigmoid(raw).data, F.relu(raw).data
stats = {"z (conv2d)": summary(raw), "sigmoid(z)": summary(sig), "relu(z)": summary(rel)}
print(f"{raw.size} pixels of {n} digits, convolved with Sobel, then activated:")
print(f"{'map':<11} {'distinct':>8} {'min':>7} {'max':>7} {'in (.01,.99)':>12} "
      f"{'exactly 0':>9} {'exactly 1':>9}")
for name, s in stats.items():
    print(f"{name:<11} {s['distinct']:>8} {s['min']:>7.3f} {s['max']:>7.3f} "
          f"{s['frac_in_0.01_0.99']:>12.1%} {s['frac_exact_0']:>9.1%} {s['frac_exact_1']:>9.1%}")

# %% [markdown]
# The pictures: sigmoid turns the flat background (z = 0) into grey 0.5 and keeps every
# shade of the edges; ReLU sets the negative half to exactly 0 and keeps the positive
# half as it was.

# %%
lesson.save(plots.feature_maps(digits[0, :, :, 0], raw[0, :, :, 0], sig[0, :, :, 0],
                               rel[0, :, :, 0]), "activated_feature_maps.png")
lesson.save(plots.histograms(raw, sig, rel), "activation_histograms.png")
s_sig, s_rel = stats["sigmoid(z)"], stats["relu(z)"]
binary = {name: s["distinct"] <= 2 for name, s in stats.items()}
print(f"sigmoid(z): {s_sig['distinct']} distinct values, {s_sig['frac_in_open_0_1']:.0%} "
      f"strictly inside (0, 1) -> {'binary' if binary['sigmoid(z)'] else 'not binary'}")
print(f"relu(z): {s_rel['frac_exact_0']:.0%} exact zeros, {s_rel['distinct'] - 1} distinct "
      f"positive values -> {'binary' if binary['relu(z)'] else 'not binary'}")

# %% [markdown]
# ## Why not a binary activation?
#
# A step function 1[z > 0] *is* binary, but its derivative is 0 wherever it exists, so
# θ ← θ − α∇J (§3.1.4) never moves. One neuron f(w·x), six points labelled 1 for x > 0,
# mean squared error, w started on the wrong side; the slope dJ/dw is taken numerically
# (central differences), the same way for both activations.

# %%
x_toy = np.array([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])
y_toy = (x_toy > 0).astype(float)
neurons = {"step": lambda z: (z > 0).astype(float), "sigmoid": _sigma}


def toy_loss(f: Callable[[np.ndarray], np.ndarray], w: float) -> float:
    """J(w) = mean (f(w·x) − y)², the article's MSE."""
    return float(np.mean((f(w * x_toy) - y_toy) ** 2))


paths, step_vs_sigmoid = {}, {}
for name, f in neurons.items():
    paths[name] = [-1.0]
    for _ in range(100):
        w = paths[name][-1]
        slope = (toy_loss(f, w + 1e-4) - toy_loss(f, w - 1e-4)) / 2e-4
        paths[name].append(w - 5.0 * slope)                  # learning rate α = 5
    w = paths[name][-1]
    step_vs_sigmoid[name] = {"first_slope": (toy_loss(f, -1 + 1e-4) - toy_loss(f, -1 - 1e-4)) / 2e-4,
                             "w": w, "loss": toy_loss(f, w),
                             "accuracy": float(np.mean((f(w * x_toy) > 0.5) == y_toy))}
    r = step_vs_sigmoid[name]
    print(f"{name:<8} dJ/dw at the start {r['first_slope']:+.4f}; after 100 steps w = {w:+.3f}, "
          f"J = {r['loss']:.4f}, accuracy {r['accuracy']:.0%}")
lesson.save(plots.step_vs_sigmoid(x_toy, y_toy, paths), "step_vs_sigmoid.png")

# %% [markdown]
# A yes/no answer does have its place: at the very end of a binary classifier, whose
# sigmoid output is a probability; thresholding it at 0.5 happens when predicting, not
# inside the network and not during training. Which activation suits which task (the
# FAQ of §6) is tested in lesson `06_faq_activations`.

# %% [markdown]
# ## Try it yourself
#
# 1. Write sigmoid and ReLU with their backward passes: `tinydl exercise start sigmoid`
#    and `tinydl exercise start relu` (then `tinydl exercise check NAME`).
# 2. Add softplus log(1 + e^z) to `ACTIVATIONS` as `(lambda t: (1 + t.exp()).log(),
#    _sigma)` (its derivative is σ): does autograd agree? Is its feature map binary?
# 3. Start the toy neuron at w = +0.1 instead of −1: does the step neuron now look
#    trained? Does its slope ever stop being 0?
