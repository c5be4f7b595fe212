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
# # Lesson 6a · 第6课(一): FAQ — choosing the kernel size and the stride
#
# The article's FAQ (§6, 常见问题与解答) asks how to choose the kernel size (卷积核大小)
# and the stride (步长) of a convolution (卷积). First we compute what each one does to
# the receptive field (感受野) of a unit, the input pixels it can see; then we train the
# same small CNN on MNIST with kernels 3, 5, 7 and strides 1, 2 and measure accuracy,
# parameters and time.

# %%
import time

import numpy as np

import tinydl.functional as F
from tinydl import Tensor
from tinydl.datasets import mnist
from tinydl.layers import Conv2D, Dense, Flatten, MaxPooling2D
from tinydl.metrics import accuracy
from tinydl.models import Sequential
from tinydl.optimizers import Adam
from tinydl.utils import to_categorical

import _faq_plots as plots
from _lesson import Lesson, plt

lesson = Lesson("06_faq_kernels_and_strides", "FAQ §6: kernel size and stride, on MNIST")

# %% [markdown]
# ## What the FAQ says
#
# > §6「较小的卷积核大小和较大的步长可以捕捉更多的局部特征，
# > 而较大的卷积核大小和较小的步长可以捕捉更多的全局特征」
# > (A smaller kernel with a larger stride captures more local features; a larger kernel
# > with a smaller stride captures more global features.)
#
# Two knobs, two claims. We check each by computing what one unit sees.

# %% [markdown]
# ## Output size: the stride thins out the positions
#
# A 'valid' convolution of an n-pixel row with a k-wide kernel at stride s has
# o = ⌊(n − k)/s⌋ + 1 positions. Example, n = 28, k = 3: stride 1 gives 26 positions,
# stride 2 gives ⌊25/2⌋ + 1 = 13, so a quarter of the units in 2-D.

# %%
KERNELS = (3, 5, 7)
STRIDES = (1, 2)
SIZE = 28   # MNIST images are 28×28


def conv_output_size(n: int, k: int, s: int) -> int:
    """'valid' convolution: o = ⌊(n − k) / s⌋ + 1 positions along one axis."""
    return (n - k) // s + 1


for k in KERNELS:
    for s in STRIDES:
        y = F.conv2d(np.zeros((1, SIZE, SIZE, 1)), np.zeros((k, k, 1, 1)), strides=s)
        print(f"{k}×{k}, stride {s}: formula {conv_output_size(SIZE, k, s):>2}, "
              f"conv2d's output {y.shape[1]}×{y.shape[2]}")

# %% [markdown]
# ## The receptive field (感受野), layer by layer
#
# Start from one pixel, r = 1, with jump j = 1 (the distance in pixels between
# neighbouring units). Each layer with kernel k and stride s does r ← r + (k − 1)·j, then
# j ← j·s; a 2×2 max pool is the layer (2, 2). Example, a 3×3 conv at stride 2, then a
# second 3×3 conv: r = 1 + 2·1 = 3 and j = 2, then r = 3 + 2·2 = 7 (at stride 1: 5).
# The table: each first layer alone, then followed by a pool, a 3×3 conv, or both.

# %%
def receptive_field(layers: list[tuple[int, int]]) -> tuple[int, int]:
    """(receptive field r, jump j) of one unit after a stack of (kernel, stride) layers:
    from r = j = 1, each layer does r ← r + (k − 1)·j, j ← j·s."""
    r, j = 1, 1
    for k, s in layers:
        r, j = r + (k - 1) * j, j * s
    return r, j


POOL = (2, 2)                        # the 2×2 max pool, as a (kernel, stride) layer
AFTER = {"conv": [], "+pool": [POOL], "+3×3 conv": [(3, 1)], "+pool+3×3 conv": [POOL, (3, 1)]}
receptive_fields = {(k, s): {name: receptive_field([(k, s), *rest])[0]
                             for name, rest in AFTER.items()}
                    for k in KERNELS for s in STRIDES}
print(plots.table([{"layer": f"{k}×{k} s{s}", **rf} for (k, s), rf in receptive_fields.items()],
                  [("layer", "first layer", "s")] + [(n, n, "d") for n in AFTER]))

# %% [markdown]
# ## Measured: the gradient marks the pixels a unit sees
#
# Feed an image of ones through kernels of ones (a pool runs as a 2×2 *average* pool:
# a max pool sends the gradient to one pixel only) and back-propagate from one unit in
# the middle: ∂unit/∂pixel ≠ 0 exactly on the pixels it sees. Their span must be r.

# %%
def measured_receptive_field(layers: list[tuple[int, int]], size: int = SIZE) -> int:
    """The receptive field of the middle unit after `layers`, read off tinydl's conv2d
    (and avg_pool2d for the layer POOL) by backward: the span of the pixels whose
    gradient is non-zero."""
    x = Tensor(np.ones((1, size, size, 1)), requires_grad=True)
    h = x
    for k, s in layers:
        h = F.avg_pool2d(h, 2) if (k, s) == POOL else \
            F.conv2d(h, np.ones((k, k, 1, 1)), strides=s)
    i = h.shape[1] // 2
    h[0, i, i, 0].backward()
    rows = np.flatnonzero(np.abs(x.grad[0, :, :, 0]).sum(axis=1))
    return int(rows[-1] - rows[0] + 1)


measured = {(k, s): {name: measured_receptive_field([(k, s), *rest])
                     for name, rest in AFTER.items()}
            for k in KERNELS for s in STRIDES}
print("measured == formula for every stack:", measured == receptive_fields)

# %% [markdown]
# ## The FAQ's claim, checked
#
# The kernel half is right: one conv unit sees exactly k×k pixels, so a small kernel is
# more local (stacking also widens the view: two 3×3 layers see 5×5). The stride half is
# backwards: the first layer sees k×k whatever s is, and every later layer sees more,
# because its inputs lie s times further apart.

# %%
kernel_is_local = all(receptive_fields[(3, s)]["conv"] < receptive_fields[(7, s)]["conv"]
                      for s in STRIDES)
stride_keeps_first = all(receptive_fields[(k, 1)]["conv"] == receptive_fields[(k, 2)]["conv"]
                         for k in KERNELS)
stride_is_global = all(receptive_fields[(k, 2)][n] > receptive_fields[(k, 1)][n]
                       for k in KERNELS for n in list(AFTER)[1:])
print(f"smaller kernel -> smaller receptive field (more local): {kernel_is_local}")
print(f"the stride leaves the first layer's receptive field alone: {stride_keeps_first}")
print(f"larger stride -> larger receptive field in every later layer (more global): "
      f"{stride_is_global}")
print("so the FAQ is", "right about the kernel" if kernel_is_local else "wrong about the kernel",
      "and", "backwards about the stride" if stride_is_global else "not contradicted on stride")

# %% [markdown]
# ## The experiment on MNIST
#
# One conv layer (16 kernels k×k, stride s, ReLU), a 2×2 max pool and a softmax layer;
# the same seed, Adam(0.001) and batches of 64 for all six settings. Parameters: 16·(k² + 1)
# in the conv, p²·16·10 + 10 in the dense layer (p = pooled size). 3×3, stride 1:
# 160 + 13²·160 + 10 = 27,210; at stride 2 (p = 6): 5,930.

# %%
def build_model(k: int, s: int, seed: int) -> Sequential:
    """The experiment's CNN for kernel k×k and stride s (same seed, same layers)."""
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


n_train, n_test, epochs = (800, 300, 1) if lesson.quick else (10000, 2000, 4)
x_train, y_train, x_test, y_test = load(n_train, n_test)
print(f"first {n_train} MNIST training images, {epochs} epoch(s), first {n_test} test images")

# %% [markdown]
# Train the six settings. Seconds per epoch include the pass over the test images.

# %%
rows, histories = [], {}
for k in KERNELS:
    for s in STRIDES:
        model = build_model(k, s, lesson.seed)
        model.compile(optimizer=Adam(learning_rate=0.001), loss="categorical_crossentropy",
                      metrics=[accuracy])
        start = time.perf_counter()
        history = model.fit(x_train, y_train, batch_size=64, epochs=epochs, verbose=0,
                            validation_data=(x_test, y_test)).history
        rows.append({"kernel": k, "stride": s, "accuracy": history["val_accuracy"][-1],
                     "params": model.count_params(),
                     "seconds": (time.perf_counter() - start) / epochs,
                     "conv_out": conv_output_size(SIZE, k, s),
                     "rf_conv": receptive_fields[(k, s)]["conv"],
                     "rf_pool": receptive_fields[(k, s)]["+pool"], "density": 1 / s ** 2})
        histories[(k, s)] = history
print(plots.table(rows, [("kernel", "kernel", "d"), ("stride", "stride", "d"),
                         ("accuracy", "test acc", ".4f"), ("params", "params", "d"),
                         ("seconds", "s/epoch", ".2f"), ("conv_out", "conv out", "d"),
                         ("rf_conv", "RF conv", "d"), ("rf_pool", "RF pool", "d"),
                         ("density", "units/pixel", ".2f")]))

# %% [markdown]
# ## The figures
#
# Left, accuracy per epoch; right, accuracy against parameters. Below, where the units of
# a 3×3 conv sit at stride 1 and 2 on a test digit, and what one of them sees.

# %%
lesson.save(plots.kernel_stride_results(rows, histories), "accuracy.png")
layouts = {s: (np.arange(conv_output_size(SIZE, 3, s)) * s + 1,      # unit centres
               receptive_fields[(3, s)]["+pool"]) for s in STRIDES}
lesson.save(plots.unit_grids(x_test[0, :, :, 0], 3, layouts), "sampling_and_receptive_field.png")

# %% [markdown]
# ## What the measurements say
#
# Stride 2 keeps a quarter of the positions, so it cuts the dense layer's weights and the
# time. Whether it costs accuracy, and how much the kernel size matters, is read from the
# table above; the lines below compute it from this run.

# %%
by = {(r["kernel"], r["stride"]): r for r in rows}
stride_cost = np.mean([by[(k, 1)]["accuracy"] - by[(k, 2)]["accuracy"] for k in KERNELS])
kernel_gain = np.mean([by[(7, s)]["accuracy"] - by[(3, s)]["accuracy"] for s in STRIDES])
param_ratio = np.mean([by[(k, 1)]["params"] / by[(k, 2)]["params"] for k in KERNELS])
time_ratio = np.mean([by[(k, 1)]["seconds"] / by[(k, 2)]["seconds"] for k in KERNELS])
best = max(rows, key=lambda r: r["accuracy"])
print(f"stride 2 instead of 1: {param_ratio:.1f}× fewer parameters, "
      f"{'faster' if time_ratio > 1 else 'not faster'} ({time_ratio:.1f}× the speed), "
      f"{'costs' if stride_cost >= 0 else 'gains'} {abs(stride_cost) * 100:.2f} accuracy "
      f"points on average")
print(f"7×7 instead of 3×3: {'gains' if kernel_gain >= 0 else 'costs'} "
      f"{abs(kernel_gain) * 100:.2f} points on average")
print(f"best here: {best['kernel']}×{best['kernel']}, stride {best['stride']} "
      f"({best['accuracy']:.4f})")

# %% [markdown]
# ## Try it yourself
#
# 1. Add `Conv2D(16, 3)` after the pool in `build_model`: its units see
#    `receptive_field([(k, s), POOL, (3, 1)])` pixels. Does stride 2 now cost less?
# 2. Take k = 3, s = 4: `measured_receptive_field([(3, 4)])` is still 3, but which pixels
#    does no unit see at all? Count them with `conv_output_size`.
# 3. Write the strided convolution yourself: `tinydl exercise start conv2d_loops`, then
#    `tinydl exercise check conv2d_loops`.
