"""Lesson 0: the whole training loop on a tiny CNN, with data made on the spot (offline).

Every piece is the article's (section 3.1), written out with tinydl's engine instead of
hidden behind a model API:

    step 2  conv layer         h = relu(conv2d(x, K) + b)       (3.1.4's convolution formula)
            pooling            p = max_pool2d(h, 2)
    step 4  dense layer        z = W·flatten(p) + c             (3.1.4's z = Wx + b)
            softmax            probabilities over the classes
    step 5  loss               cross-entropy, then backward() for the gradient
            update             Adam (Kingma & Ba), the refined θ ← θ − α∇J

The data: 12×12 images holding one noisy bar, horizontal, vertical or diagonal. Three
classes that a 3×3 kernel can tell apart; after training, the learned kernels look like
little bar detectors.

Run:  python lessons/00_tiny_cnn_on_generated_bars.py [--quick] [--out DIR]
"""
from __future__ import annotations

import time

import numpy as np

import tinydl.functional as F
from tinydl import Tensor, initializers, losses, no_grad, optimizers

from _lesson import output_dir, parse_args, plt, save

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
    bars = np.select([labels[:, None, None] == k for k in range(3)], [horizontal, vertical, diagonal])
    images = 0.8 * bars + 0.3 * rng.random((n, SIZE, SIZE))
    return images[..., None].astype(np.float32), labels


def one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k, dtype=np.float32)[labels]


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__.splitlines()[0], argv)
    out = output_dir(args, "00_tiny_cnn")
    rng = np.random.default_rng(args.seed)
    n_train, n_test, epochs = (300, 100, 2) if args.quick else (3000, 1000, 8)
    x_train, y_train = make_bars(n_train, rng)
    x_test, y_test = make_bars(n_test, rng)

    # parameters: 8 kernels 3×3×1, then a dense layer from 5·5·8 features to 3 classes
    kernels = Tensor(initializers.glorot_uniform((3, 3, 1, 8), rng), requires_grad=True)
    k_bias = Tensor(initializers.zeros((8,)), requires_grad=True)
    weights = Tensor(initializers.glorot_uniform((5 * 5 * 8, 3), rng), requires_grad=True)
    bias = Tensor(initializers.zeros((3,)), requires_grad=True)
    params = [kernels, k_bias, weights, bias]

    def logits(x: np.ndarray) -> Tensor:
        h = F.relu(F.conv2d(x, kernels, k_bias))     # (N, 10, 10, 8)
        p = F.max_pool2d(h, 2)                        # (N, 5, 5, 8)
        return F.flatten(p) @ weights + bias          # (N, 3), before softmax

    optimizer = optimizers.Adam(learning_rate=0.01)
    history = []
    print(f"{'epoch':>5} {'loss':>8} {'train acc':>9} {'test acc':>8} {'seconds':>7}")
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = rng.permutation(n_train)
        batch_losses = []
        for i in range(0, n_train, 32):
            idx = order[i:i + 32]
            loss = losses.categorical_crossentropy(one_hot(y_train[idx], 3), logits(x_train[idx]),
                                                   from_logits=True)
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

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.2))
    epochs_axis = np.arange(1, epochs + 1)
    ax_loss.plot(epochs_axis, [h[0] for h in history], marker="o")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="training loss")
    ax_acc.plot(epochs_axis, [h[1] for h in history], marker="o", label="train")
    ax_acc.plot(epochs_axis, [h[2] for h in history], marker="o", label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1.02))
    ax_acc.legend()
    save(fig, out / "curves.png")

    fig, axes = plt.subplots(2, 8, figsize=(10, 3))
    for k in range(8):
        axes[0, k].imshow(kernels.data[:, :, 0, k], cmap="RdBu_r")
        axes[0, k].set_title(f"kernel {k}", fontsize=8)
    for k in range(8):
        axes[1, k].imshow(x_test[k, :, :, 0], cmap="gray_r")
        axes[1, k].set_title(CLASSES[y_test[k]], fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle("top: the 8 learned 3×3 kernels; bottom: test images")
    save(fig, out / "kernels_and_samples.png")
    return {"train_accuracy": history[-1][1], "test_accuracy": history[-1][2],
            "losses": [h[0] for h in history]}


if __name__ == "__main__":
    main()
