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
# # Lesson 6c · 第6课(三): FAQ — choosing the optimizer
#
# The FAQ (§6) asks how to choose the optimizer (优化器). §3.1.4 gives gradient descent
# (梯度下降法) θ ← θ − α∇J(θ), with α the learning rate (学习率). Here plain SGD
# (stochastic gradient descent on mini-batches, 随机梯度下降), SGD with momentum (动量),
# RMSprop and Adam train the same two networks on MNIST, each at several learning rates,
# and we ask which matters more: the optimizer or its learning rate.

# %%
import time

import numpy as np

import tinydl
from tinydl import Tensor
from tinydl.datasets import mnist
from tinydl.layers import Dense
from tinydl.metrics import accuracy
from tinydl.models import Sequential
from tinydl.optimizers import SGD, Adam, Optimizer, RMSprop
from tinydl.utils import to_categorical

import _faq_plots as plots
from _lesson import Lesson, plt

lesson = Lesson("06_faq_optimizers", "FAQ §6: four optimizers and their learning rates, on MNIST")
tinydl.set_num_threads(1)     # 64-unit layers: threads would cost more than they save

# %% [markdown]
# ## What the FAQ says
#
# > §6「梯度下降法适用于简单的线性模型，Adam适用于深度学习模型」
# > (Gradient descent suits simple linear models; Adam suits deep-learning models.)
#
# This is vague. Adam *is* gradient descent: every optimizer here steps against the
# gradient of a mini-batch; they differ in how they turn recent gradients into a step
# (momentum averages them over time, RMSprop and Adam give each weight its own step size).
# And the answer never mentions the learning rate, which every one of them needs.

# %% [markdown]
# ## Four update rules, one step each
#
# SGD θ ← θ − α·g. Momentum: v ← 0.9·v − α·g, θ ← θ + v. RMSprop (ρ = 0.9):
# s ← ρ·s + (1 − ρ)·g², θ ← θ − α·g/√(s + ε). Adam: momentum on g and RMSprop's s, both
# bias-corrected (偏差校正).
# Example: two weights with gradients 0.01 and 10, α = 0.1. SGD moves them by 0.001 and 1;
# Adam moves both by α, RMSprop (no bias correction) by ≈ 3.2α: a step size per weight.

# %%
#: name -> (factory taking a learning rate, Keras' default learning rate)
OPTIMIZERS = {
    "SGD": (lambda lr: SGD(learning_rate=lr), 0.01),
    "SGD+momentum": (lambda lr: SGD(learning_rate=lr, momentum=0.9), 0.01),
    "RMSprop": (lambda lr: RMSprop(learning_rate=lr), 0.001),
    "Adam": (lambda lr: Adam(learning_rate=lr), 0.001),
}
g, alpha, eps = np.array([0.01, 10.0]), 0.1, 1e-7
by_hand = {"SGD": -alpha * g,
           "SGD+momentum": 0.9 * 0.0 - alpha * g,                       # v starts at 0
           "RMSprop": -alpha * g / np.sqrt(0.1 * g ** 2 + eps),         # s = (1 - 0.9)·g²
           "Adam": -alpha * (0.1 * g / 0.1) / (np.sqrt(0.001 * g ** 2 / 0.001) + eps)}
first_steps = {}
for name, (make, _) in OPTIMIZERS.items():
    theta = Tensor(np.ones(2), requires_grad=True)
    theta.grad = g.copy()
    make(alpha).step([theta])
    first_steps[name] = theta.data - 1.0
    print(f"{name:>12}: tinydl moves the weights by {np.round(first_steps[name], 4)}, "
          f"by hand {np.round(by_hand[name], 4)}")

# %% [markdown]
# ## The experiment
#
# Softmax regression 784 → 10 (a convex, 凸, problem) and a deep net 784 → 4 × Dense(64,
# ReLU) → 10; the same seed, so the same initial weights, and batches of 64. Each optimizer
# runs at its Keras default rate (SGD 0.01, RMSprop and Adam 0.001) × 0.1, 1, 10 and 100.
# Full run: 8,000 training, 1,000 validation (验证集) and 2,000 test (测试集) images,
# 5 epochs; quick mode: 1,024, 256 and 512 images, 3 epochs.

# %%
RATE_FACTORS = (0.1, 1.0, 10.0, 100.0)
CHANCE = 0.1                 # ten classes: what guessing scores


def build_model(kind: str, seed: int) -> Sequential:
    """'linear': softmax regression; 'deep': four ReLU layers of 64 units. Glorot init
    from `seed`, so every optimizer starts from the same weights."""
    if kind == "linear":
        return Sequential([Dense(10, activation="softmax", input_shape=(784,))], seed=seed)
    layers = [Dense(64, activation="relu", input_shape=(784,))]
    layers += [Dense(64, activation="relu") for _ in range(3)]
    return Sequential(layers + [Dense(10, activation="softmax")], seed=seed)


def load(n_train: int, n_val: int, n_test: int) -> dict[str, np.ndarray]:
    """MNIST training images 0..n_train-1 to train, the next n_val to validate, the first
    n_test test images; (N, 784) in [0, 1], one-hot labels."""
    (x, y), (x_test, y_test) = mnist.load_data()
    x = x[:n_train + n_val].reshape(-1, 784).astype(np.float32) / 255.0
    y = to_categorical(y[:n_train + n_val], 10)
    return {"x_train": x[:n_train], "y_train": y[:n_train], "x_val": x[n_train:],
            "y_val": y[n_train:], "y_test": to_categorical(y_test[:n_test], 10),
            "x_test": x_test[:n_test].reshape(-1, 784).astype(np.float32) / 255.0}


n_train, n_val, n_test, epochs = (1024, 256, 512, 3) if lesson.quick else (8000, 1000, 2000, 5)
data = load(n_train, n_val, n_test)

# %% [markdown]
# One run trains a fresh model. It has *diverged* (发散) when the loss ends NaN or
# infinite (`fit` then stops with a FloatingPointError) or above where it started.

# %%
def run(kind: str, optimizer: Optimizer, data: dict[str, np.ndarray], epochs: int,
        seed: int) -> dict:
    """Train a fresh model: the training loss before and after, the History dict (loss,
    accuracy, val_loss, val_accuracy per epoch), the test accuracy, 'diverged'."""
    model = build_model(kind, seed)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=[accuracy])
    initial_loss = model.evaluate(data["x_train"], data["y_train"], batch_size=1000, verbose=0)[0]
    start = time.perf_counter()
    try:                 # a diverging run overflows: silence numpy, record the divergence
        with np.errstate(over="ignore", invalid="ignore"):
            history = model.fit(data["x_train"], data["y_train"], batch_size=64, epochs=epochs,
                                verbose=0, validation_data=(data["x_val"], data["y_val"])).history
    except FloatingPointError:
        return {"initial_loss": initial_loss, "final_loss": float("nan"), "history": None,
                "test_accuracy": float("nan"), "diverged": True,
                "seconds": time.perf_counter() - start}
    seconds = time.perf_counter() - start
    final_loss = model.evaluate(data["x_train"], data["y_train"], batch_size=1000, verbose=0)[0]
    test_accuracy = model.evaluate(data["x_test"], data["y_test"], batch_size=1000, verbose=0)[1]
    return {"initial_loss": initial_loss, "final_loss": final_loss, "history": history,
            "test_accuracy": test_accuracy, "seconds": seconds,
            "diverged": bool(not np.isfinite(final_loss) or final_loss > initial_loss)}


# %%
runs: dict[tuple[str, str, float], dict] = {}
for kind in ("linear", "deep"):
    for name, (make, default) in OPTIMIZERS.items():
        for factor in RATE_FACTORS:
            lr = default * factor
            runs[(kind, name, lr)] = run(kind, make(lr), data, epochs, lesson.seed)
print(f"{len(runs)} runs, {sum(r['diverged'] for r in runs.values())} diverged, "
      f"{sum(r['seconds'] for r in runs.values()):.0f} s of training")

# %% [markdown]
# ## Tuning the rate on validation images
#
# The tuned rate of an optimizer is the one with the best *validation* accuracy; only then
# is it scored on the test images. Picking it by test accuracy would make the test score
# optimistic. Beside it: the Keras default rate, and the rates that diverged.

# %%
def val_score(r: dict) -> float:
    """Last-epoch validation accuracy; -1 for a diverged run, so it is never chosen."""
    return -1.0 if r["diverged"] else r["history"]["val_accuracy"][-1]


summary = {}
for kind in ("linear", "deep"):
    for name, (_, default) in OPTIMIZERS.items():
        tried = {lr: r for (k, n, lr), r in runs.items() if (k, n) == (kind, name)}
        tuned = max(tried, key=lambda lr: val_score(tried[lr]))
        summary[(kind, name)] = {
            "model": kind, "optimizer": name, "default_lr": default, "tuned_lr": tuned,
            "default_test": tried[default]["test_accuracy"], "tuned_val": val_score(tried[tuned]),
            "tuned_test": tried[tuned]["test_accuracy"],
            "diverged_at": ",".join(f"{lr:g}" for lr, r in tried.items() if r["diverged"]) or "-"}
print(plots.table(summary.values(), [
    ("model", "model", "s"), ("optimizer", "optimizer", "s"), ("default_lr", "default lr", "g"),
    ("default_test", "test acc", ".4f"), ("tuned_lr", "tuned lr", "g"),
    ("tuned_val", "val acc", ".4f"), ("tuned_test", "test acc", ".4f"),
    ("diverged_at", "diverged at", "s")]))

# %% [markdown]
# ## The figures
#
# Curves at the tuned rate (solid) and the default (dashed), then test accuracy against
# the rate: each optimizer's line climbs from near chance to its best and falls again.

# %%
def test_score(r: dict) -> float:
    """Test accuracy, or chance for a diverged run: it is no better than guessing."""
    return CHANCE if r["diverged"] or not np.isfinite(r["test_accuracy"]) else r["test_accuracy"]


scores = {key: {lr: test_score(runs[(*key, lr)]) for (k, n, lr) in runs if (k, n) == key}
          for key in summary}
lesson.save(plots.optimizer_curves(runs, summary), "curves.png")
lesson.save(plots.rate_sweep(scores, CHANCE), "learning_rates.png")

# %% [markdown]
# ## What matters more: the optimizer or the rate?
#
# Per model, two numbers: how far apart the four optimizers end, each at its tuned rate;
# and the most any optimizer loses at a rate 10× away from its tuned one (the worse side;
# a diverged run counts as chance).

# %%
def cost_of_rate_10x_off(kind: str, name: str) -> float:
    """Tuned test accuracy minus the worse of the rates 10× above and below the tuned one
    (one of them at the ends of the grid)."""
    tuned_lr = summary[(kind, name)]["tuned_lr"]
    off = [acc for lr, acc in scores[(kind, name)].items()
           if np.isclose(lr / tuned_lr, 10) or np.isclose(tuned_lr / lr, 10)]
    return summary[(kind, name)]["tuned_test"] - min(off)


optimizer_effect, rate_effect = {}, {}
for kind in ("linear", "deep"):
    tuned = {n: summary[(kind, n)]["tuned_test"] for n in OPTIMIZERS}
    optimizer_effect[kind] = max(tuned.values()) - min(tuned.values())
    rate_effect[kind] = max(cost_of_rate_10x_off(kind, n) for n in OPTIMIZERS)
    best = max(tuned, key=tuned.get)
    print(f"{kind:>6}: tuned, the best is {best} ({tuned[best]:.4f}), plain SGD "
          f"{tuned['SGD']:.4f}; switching optimizer moves up to "
          f"{optimizer_effect[kind] * 100:.1f} points, a rate 10× off up to "
          f"{rate_effect[kind] * 100:.1f}: the "
          f"{'rate' if rate_effect[kind] > optimizer_effect[kind] else 'optimizer'} mattered more")

# %% [markdown]
# ## The FAQ's answer, checked
#
# Below, each half of the FAQ's rule against this run. A full run typically finds all four
# close on the linear model once tuned, and Adam best on the deep one, with tuned SGD a
# few points behind: Adam is a good default, but no substitute for choosing the rate.

# %%
linear_gap = max(s["tuned_test"] for (k, _), s in summary.items() if k == "linear") \
    - summary[("linear", "SGD")]["tuned_test"]
deep_tuned = {n: summary[("deep", n)]["tuned_test"] for n in OPTIMIZERS}
deep_default = {n: summary[("deep", n)]["default_test"] for n in OPTIMIZERS}
print(f"'gradient descent for linear models': tuned plain SGD is {linear_gap * 100:.1f} points "
      f"behind the best on the linear model "
      f"({'adequate' if linear_gap < 0.02 else 'it works, but slower on this budget'})")
print(f"'Adam for deep models': on the deep model Adam is "
      f"{'the best' if max(deep_tuned, key=deep_tuned.get) == 'Adam' else 'not the best'} tuned "
      f"and {'the best' if max(deep_default, key=deep_default.get) == 'Adam' else 'not the best'}"
      f" at Keras' defaults; tuned Adam leads tuned SGD by "
      f"{(deep_tuned['Adam'] - deep_tuned['SGD']) * 100:.1f} points and SGD at its default "
      f"rate by {(deep_tuned['Adam'] - deep_default['SGD']) * 100:.1f}")

# %% [markdown]
# ## Try it yourself
#
# 1. Give Adam `epsilon=1.0` in `OPTIMIZERS` and rerun the first-step cell: the step is
#    α·m̂/(√v̂ + ε), so the small gradient now gets SGD's step α·g. How does Adam train?
# 2. Try rates between the grid points (× 3, × 30): how flat is the top of each curve?
# 3. Write the updates yourself: `tinydl exercise start sgd_momentum` and
#    `tinydl exercise start adam` (then `tinydl exercise check …`).
