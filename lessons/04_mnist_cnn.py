"""Lesson 4: the article's section 4 for real — its CNN trained on MNIST with tinydl.

Section 4 builds a small Keras CNN and trains it on MNIST. The same calls run here with
`tinydl` in place of `keras`:

    Conv2D 32 3×3 ReLU → MaxPool 2 → Conv2D 64 3×3 ReLU → MaxPool 2 → Flatten
    → Dense 128 ReLU → Dropout 0.5 → Dense 10 softmax
    Adam(lr=0.001), categorical cross-entropy, batch 128, 10 epochs, test set as validation

It prints the model summary and the per-epoch figures and writes four pictures: the
training and validation curves, the confusion matrix, the misclassified test digits,
and the 32 learned first-layer kernels. The trained weights are saved too (the GAN
lesson scores generated digits with this classifier).

Where the article is loose, and what is true instead:
* it calls this "a simple image segmentation task": this network classifies whole
  images (one label per picture); segmentation labels every pixel. The segmentation that
  the article's section 1 promises is lesson 9 (09_segmentation_unet.py): a U-Net that
  labels every pixel of scenes of several MNIST digits;
* it says the preprocessing "converts the images to grayscale": MNIST is grayscale
  already; `reshape(-1, 28, 28, 1)` only adds the channel axis that Conv2D expects;
* it imports `keras.metrics.accuracy`: in Keras that function tests exact equality of
  the one-hot labels and the probabilities, so it reports a meaningless number (and
  Keras 3 has no such import, nor `Adam(lr=...)`). tinydl's `accuracy` is what the
  reader means: the share of images whose arg-max class is the true one;
* `Conv2D` here computes the article's formula, a true convolution (Keras computes a
  cross-correlation): learned kernels come out flipped, nothing else changes.

Run:  python lessons/04_mnist_cnn.py [--quick] [--epochs N] [--out DIR]
Data: MNIST from $TINYDL_DATA/mnist, the cache, or a download (see README, "Data").
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from tinydl.datasets import mnist
from tinydl.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from tinydl.losses import categorical_crossentropy
from tinydl.metrics import accuracy
from tinydl.models import Sequential
from tinydl.optimizers import Adam
from tinydl.utils import set_random_seed, to_categorical

from _lesson import output_dir, plt, save


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="train 1 epoch on 2,000 images, test on 1,000 (seconds)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--out", default=None, help="folder for figures and weights")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def build_model() -> Sequential:
    """The network of section 4, layer for layer."""
    return Sequential([
        Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D(pool_size=(2, 2)),
        Conv2D(64, kernel_size=(3, 3), activation="relu"),
        MaxPooling2D(pool_size=(2, 2)),
        Flatten(),
        Dense(128, activation="relu"),
        Dropout(0.5),
        Dense(10, activation="softmax"),
    ])


def confusion(true: np.ndarray, pred: np.ndarray, k: int = 10) -> np.ndarray:
    """counts[i, j] = number of images of class i predicted as class j."""
    return np.bincount(true * k + pred, minlength=k * k).reshape(k, k)


def plot_curves(history: dict, out) -> None:
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.5))
    ax_loss.plot(epochs, history["loss"], marker="o", label="training")
    ax_loss.plot(epochs, history["val_loss"], marker="o", label="validation (test set)")
    ax_loss.set(xlabel="epoch", ylabel="categorical cross-entropy", title="loss")
    ax_acc.plot(epochs, history["accuracy"], marker="o", label="training")
    ax_acc.plot(epochs, history["val_accuracy"], marker="o", label="validation (test set)")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.legend()
        ax.grid(alpha=0.3)
    save(fig, out / "curves.png")


def plot_confusion(counts: np.ndarray, out) -> None:
    fig, ax = plt.subplots(figsize=(6, 5.5))
    ax.imshow(np.log1p(counts), cmap="Blues")
    for i in range(10):
        for j in range(10):
            if counts[i, j]:
                ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=7,
                        color="white" if i == j else "black")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted digit", ylabel="true digit",
           title="confusion matrix on the test set (colour: log count)")
    save(fig, out / "confusion_matrix.png")


def plot_mistakes(x: np.ndarray, true: np.ndarray, pred: np.ndarray, out, n: int = 40) -> None:
    wrong = np.flatnonzero(true != pred)[:n]
    cols = 10
    rows = max(1, -(-len(wrong) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.3), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), wrong):
        ax.imshow(x[i, :, :, 0], cmap="gray_r")
        ax.set_title(f"{true[i]}→{pred[i]}", fontsize=9, color="crimson")
    fig.suptitle(f"misclassified test digits (true→predicted), {len(wrong)} of "
                 f"{int((true != pred).sum())} shown")
    save(fig, out / "misclassified.png")


def plot_kernels(kernel: np.ndarray, out) -> None:
    """kernel: (3, 3, 1, 32), the first Conv2D's weights."""
    fig, axes = plt.subplots(4, 8, figsize=(8, 4.4))
    limit = np.abs(kernel).max()
    for k, ax in enumerate(axes.ravel()):
        ax.imshow(kernel[:, :, 0, k], cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle("the 32 learned 3×3 kernels of the first Conv2D (red +, blue −)")
    save(fig, out / "first_layer_kernels.png")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    out = output_dir(args, "04_mnist_cnn")
    set_random_seed(args.seed)

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    if args.quick:
        x_train, y_train, x_test, y_test = x_train[:2000], y_train[:2000], x_test[:1000], y_test[:1000]
        args.epochs = 1
    # scale to [0, 1] and add the channel axis: (N, 28, 28) uint8 -> (N, 28, 28, 1) float
    x_train = x_train.reshape(-1, 28, 28, 1) / 255.0
    x_test = x_test.reshape(-1, 28, 28, 1) / 255.0
    labels_test = y_test
    y_train, y_test = to_categorical(y_train, num_classes=10), to_categorical(y_test, num_classes=10)

    model = build_model()
    model.summary()
    model.compile(optimizer=Adam(lr=0.001), loss=categorical_crossentropy, metrics=[accuracy])
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                        validation_data=(x_test, y_test), verbose=2)
    seconds = time.perf_counter() - start
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
    print(f"\ntest loss {test_loss:.4f}, test accuracy {test_accuracy:.4f} "
          f"({len(x_test)} images); training took {seconds:.1f} s "
          f"({seconds / args.epochs:.1f} s per epoch)")

    predicted = model.predict(x_test, batch_size=512).argmax(axis=1)
    counts = confusion(labels_test, predicted)
    print("\nper-digit test accuracy:")
    print("  ".join(f"{d}: {counts[d, d] / counts[d].sum():.3f}" for d in range(10)))

    weights_path = out / "mnist_cnn.weights.npz"
    model.save_weights(str(weights_path))
    print(f"wrote {weights_path}")
    plot_curves(history.history, out)
    plot_confusion(counts, out)
    plot_mistakes(x_test, labels_test, predicted, out)
    plot_kernels(model.layers[0].kernel.data, out)
    return {"test_accuracy": test_accuracy, "test_loss": test_loss, "history": history.history,
            "seconds": seconds}


if __name__ == "__main__":
    main()
