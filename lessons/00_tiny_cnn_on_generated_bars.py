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
# # Lesson 0 · 第0课: the whole training loop on a tiny CNN
#
# Article §3.1.3 lists the steps of training a convolutional neural network (卷积神经网络,
# CNN). Here every step is written out with tinydl's engine instead of a model API, on
# images made on the spot, so the lesson runs offline in seconds.
#
# Run it as a script (`python lessons/00_tiny_cnn_on_generated_bars.py --quick`) or open
# it as a notebook and run the cells one by one. With `TINYDL_KERNELS=reference` every op
# runs as its formula reads (tinydl/ops/reference/): slower, the same numbers.

# %%
import time

import numpy as np

import tinydl.functional as F
from tinydl import Tensor, get_kernels, initializers, losses, no_grad, optimizers

from _lesson import Lesson, plt

lesson = Lesson("00_tiny_cnn", "the training loop on generated bars")
rng = np.random.default_rng(lesson.seed)
print(f"kernels: {get_kernels()}")

# %% [markdown]
# ## The data: one bar per picture
#
# Each 12×12 image holds one noisy bar: horizontal, vertical or diagonal. Three classes
# that a 3×3 kernel (卷积核) can tell apart.

# %%
CLASSES = ("horizontal", "vertical", "diagonal")
SIZE = 12


def make_bars(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n images (n, 12, 12, 1) float32 in [0, 1] and their labels (n,) in {0, 1, 2}."""
    labels = rng.integers(0, 3, n)
    pos = rng.integers(2, SIZE - 2, n)                  # where the bar lies
    rows, cols = np.indices((SIZE, SIZE))
    horizontal = rows[None] == pos[:, None, None]
    vertical = cols[None] == pos[:, None, None]
    diagonal = (rows - cols)[None] == (pos - SIZE // 2)[:, None, None]
    bars = np.select([labels[:, None, None] == k for k in range(3)],
                     [horizontal, vertical, diagonal])
    images = 0.8 * bars + 0.3 * rng.random((n, SIZE, SIZE))
    return images[..., None].astype(np.float32), labels


n_train, n_test, epochs = (300, 100, 2) if lesson.quick else (3000, 1000, 8)
x_train, y_train = make_bars(n_train, rng)
x_test, y_test = make_bars(n_test, rng)
print("images", x_train.shape, "labels", y_train[:10])

# %% [markdown]
# ## The parameters
#
# Eight 3×3 kernels and their biases (偏置) for the convolutional layer (卷积层), then a
# dense layer (全连接层) from the 5·5·8 pooled features to 3 classes. `requires_grad`
# asks the engine to record every operation on them.

# %%
kernels = Tensor(initializers.glorot_uniform((3, 3, 1, 8), rng), requires_grad=True)
k_bias = Tensor(initializers.zeros((8,)), requires_grad=True)
weights = Tensor(initializers.glorot_uniform((5 * 5 * 8, 3), rng), requires_grad=True)
bias = Tensor(initializers.zeros((3,)), requires_grad=True)
params = [kernels, k_bias, weights, bias]
print("parameters:", sum(p.data.size for p in params))

# %% [markdown]
# ## The forward pass: steps 2 and 4 of §3.1.3
#
# Convolution (the article's formula, `F.conv2d`), ReLU, 2×2 max pooling, then z = Wx + b.
# The softmax is left to the loss, which is computed from these logits (stable).

# %%
def logits(x: np.ndarray) -> Tensor:
    h = F.relu(F.conv2d(x, kernels, k_bias))     # (N, 10, 10, 8)
    p = F.max_pool2d(h, 2)                        # (N, 5, 5, 8)
    return F.flatten(p) @ weights + bias          # (N, 3), before softmax


print("logits of two images:", logits(x_train[:2]).data)

# %% [markdown]
# ## Step 5: loss, gradient, update
#
# > §3.1.3 第5步：「使用损失函数计算模型的误差，并使用梯度下降法更新模型的参数。」
# > (Step 5: compute the model's error with a loss function and update its parameters
# > by gradient descent.)
#
# Cross-entropy (交叉熵) measures how wrong the predictions are, `backward()` computes its
# gradient for every parameter, and Adam (the refined θ ← θ − α∇J of §3.1.4) updates
# them. One pass over the data is an epoch.

# %%
optimizer = optimizers.Adam(learning_rate=0.01)
history = []   # (mean loss, train accuracy, test accuracy) per epoch
print(f"{'epoch':>5} {'loss':>8} {'train acc':>9} {'test acc':>8} {'seconds':>7}")
for epoch in range(1, epochs + 1):
    start = time.perf_counter()
    order = rng.permutation(n_train)
    batch_losses = []
    for i in range(0, n_train, 32):
        idx = order[i:i + 32]
        targets = np.eye(3, dtype=np.float32)[y_train[idx]]      # one-hot rows
        loss = losses.categorical_crossentropy(targets, logits(x_train[idx]), from_logits=True)
        optimizer.zero_grad(params)
        loss.backward()
        optimizer.step(params)
        batch_losses.append(loss.item())
    with no_grad():
        train_acc = np.mean(logits(x_train).data.argmax(1) == y_train)
        test_acc = np.mean(logits(x_test).data.argmax(1) == y_test)
    history.append((np.mean(batch_losses), train_acc, test_acc))
    print(f"{epoch:>5} {history[-1][0]:>8.4f} {train_acc:>9.3f} {test_acc:>8.3f} "
          f"{time.perf_counter() - start:>7.2f}")
test_accuracy = history[-1][2]

# %% [markdown]
# ## What training did
#
# The curves show the loss falling and the accuracy rising; chance is 1/3.

# %%
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.2))
epochs_axis = np.arange(1, epochs + 1)
ax_loss.plot(epochs_axis, [h[0] for h in history], marker="o")
ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="training loss")
ax_acc.plot(epochs_axis, [h[1] for h in history], marker="o", label="train")
ax_acc.plot(epochs_axis, [h[2] for h in history], marker="o", label="test")
ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1.02))
ax_acc.legend()
lesson.save(fig, "curves.png")
verdict = "well above" if test_accuracy > 0.5 else "not yet above"
print(f"test accuracy {test_accuracy:.3f}: {verdict} chance (0.333)")

# %% [markdown]
# The learned kernels: after full training several look like little bar detectors
# (a line of one sign across the 3×3 window).

# %%
fig, axes = plt.subplots(2, 8, figsize=(10, 3))
for k in range(8):
    axes[0, k].imshow(kernels.data[:, :, 0, k], cmap="RdBu_r")
    axes[0, k].set_title(f"kernel {k}", fontsize=8)
    axes[1, k].imshow(x_test[k, :, :, 0], cmap="gray_r")
    axes[1, k].set_title(CLASSES[y_test[k]], fontsize=8)
for ax in axes.ravel():
    ax.set_xticks([]), ax.set_yticks([])
fig.suptitle("top: the 8 learned 3×3 kernels; bottom: test images")
lesson.save(fig, "kernels_and_samples.png")

# %% [markdown]
# ## Try it yourself
#
# 1. Replace `F.conv2d` with `F.correlate2d` (what Keras computes): does the accuracy
#    change? Why not? (Lesson 1 answers it.)
# 2. Set the learning rate to 1.0 and then to 1e-5 and rerun the training cell.
# 3. Write the convolution yourself: `tinydl exercise start conv2d_loops`, then
#    `tinydl exercise check conv2d_loops`.
