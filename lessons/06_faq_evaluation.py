"""Lesson 6 (FAQ, "how to evaluate a model"): training, validation and test error, and the metrics beside them.

The article's section 6 answers with a list: the error on the training set, the
error on a validation set, the error on a test set, and metrics "such as accuracy,
recall, F1". This lesson computes each of them for one trained CNN, with tinydl.metrics:

    error           1 − accuracy (the share of misclassified images), and the loss
    confusion C     C[i, j] = images of digit i predicted as j
    precision_k     C[k, k] / Σ_i C[i, k]     of the images called k, how many are k
    recall_k        C[k, k] / Σ_j C[k, j]     of the images of k, how many were found
    F1_k            2·P_k·R_k / (P_k + R_k)
    macro average   the plain mean over the 10 digits (each digit counts the same)
    micro average   from the summed counts; for one label per image every mistake is one
                    false positive and one false negative, so micro P = R = F1 = accuracy

What the article leaves vague, and what the lesson does:
* "error" is not defined: the misclassification rate and the loss are both called
  that. Both are printed.
* It does not give the roles of the three sets. The training error shows how well the
  model fits. The validation set (here: `fit(validation_split=0.1)`, the last 10% of
  the training subset, never trained on) is for choices: epochs, early stopping,
  architecture, λ. The test set is looked at once, at the end, for the number to
  report. Used for choices, it stops being an unbiased estimate; lesson 04 follows the
  article's listing and uses the test set as validation data, which is fine for
  a demo but not for reporting.
* Recall and F1 are per-class numbers. For ten digits they must be averaged, and the
  article does not say how: macro and micro averages differ, and the micro average is
  just the accuracy again. Precision, the other half of F1, is missing from its list.
* The gap between training and validation error is the overfitting that the FAQ's
  previous answer treats (lesson 06_faq_overfitting). A gap between validation and test
  error is either chance or a difference between the two sets of images. Each error rate
  comes with its standard error sqrt(e(1 − e)/n), so the two can be told apart. MNIST's
  training and test digits were written by different people, so a validation set cut
  from the training file can come out easier than the test set (it did in the full run).

Model: by default a small CNN (Conv2D 8 3×3 ReLU → MaxPool 2 → Conv2D 16 3×3 ReLU →
MaxPool 2 → Flatten → Dense 10 softmax) trained for a few epochs on a fixed subset of
MNIST. With --weights PATH it loads the section-4 network's weights that
lessons/04_mnist_cnn.py saves (mnist_cnn.weights.npz) and trains nothing. That model
was trained on all 60,000 training images, so its "validation" images were trained on
and its validation error is a second training error (the lesson says so when it runs).

Run:  python lessons/06_faq_evaluation.py [--quick] [--weights PATH] [--out DIR] [--seed N]
Data: MNIST: the first 12,000 training images (2,000 with --quick), 10% of them held out
for validation; the first 2,000 test images (500 with --quick).
"""
from __future__ import annotations

import os

# One BLAS thread: on a busy machine OpenBLAS's worker threads wait on each other and
# this lesson's training took 5.5 s instead of 0.2 s. Set before NumPy loads; an
# explicit OPENBLAS_NUM_THREADS wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np

from tinydl.datasets import mnist
from tinydl.layers import Conv2D, Dense, Flatten, MaxPooling2D
from tinydl.metrics import (accuracy, classification_report, confusion_matrix, f1_score,
                            precision, recall)
from tinydl.models import Sequential
from tinydl.optimizers import Adam
from tinydl.utils import to_categorical

from _lesson import output_dir, plt, save

K = 10
VALIDATION_SPLIT = 0.1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 images, 2 epochs (seconds)")
    parser.add_argument("--weights", type=Path, default=None,
                        help="weights saved by lessons/04_mnist_cnn.py; default: train a small CNN")
    parser.add_argument("--epochs", type=int, default=None, help="default 4 (2 with --quick)")
    parser.add_argument("--out", default=None)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def small_cnn(seed: int) -> Sequential:
    """Conv 8 → pool → conv 16 → pool → dense 10: about 3,500 weights, trains in seconds."""
    return Sequential([
        Conv2D(8, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D(pool_size=(2, 2)),
        Conv2D(16, kernel_size=(3, 3), activation="relu"),
        MaxPooling2D(pool_size=(2, 2)),
        Flatten(),
        Dense(K, activation="softmax"),
    ], seed=seed)


def section4_cnn() -> Sequential:
    """The network of lessons/04_mnist_cnn.py, taken from that file so the two never differ."""
    path = Path(__file__).with_name("04_mnist_cnn.py")
    spec = importlib.util.spec_from_file_location("lesson_04_mnist_cnn", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_model()


def per_class_table(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Per-class and averaged precision, recall and F1, all from tinydl.metrics."""
    table = {f"{name}_{avg or 'per_class'}": fn(y_true, y_pred, average=avg, num_classes=K)
             for name, fn in (("precision", precision), ("recall", recall), ("f1", f1_score))
             for avg in (None, "macro", "micro")}
    # trace(C) / N. (Not tinydl.metrics.accuracy(labels, labels): given two label vectors
    # it takes them for one sigmoid output and thresholds at 0.5, so every label but 0
    # counts as "1". Give it probability rows, or count the diagonal as here.)
    counts = confusion_matrix(y_true, y_pred, num_classes=K)
    table["accuracy"] = float(np.trace(counts) / counts.sum())
    table["support"] = np.bincount(y_true, minlength=K)
    return table


def plot_confusion(counts: np.ndarray, out: Path, title: str) -> None:
    """Counts as numbers; colour by the row share (recall on the diagonal)."""
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.2, 5.6))
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i, j in zip(*np.nonzero(counts)):
        ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=7,
                color="white" if share[i, j] > 0.5 else "black")
    ax.set(xticks=range(K), yticks=range(K), xlabel="predicted digit", ylabel="true digit",
           title=title)
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of the true digit's images")
    save(fig, out / "confusion_matrix.png")


def plot_per_class(table: dict, out: Path) -> None:
    x = np.arange(K)
    fig, ax = plt.subplots(figsize=(9, 3.4))
    for offset, key, label in ((-0.27, "precision_per_class", "precision"),
                               (0.0, "recall_per_class", "recall"), (0.27, "f1_per_class", "F1")):
        ax.bar(x + offset, table[key], 0.27, label=label)
    ax.axhline(table["f1_macro"], color="k", ls="--", lw=1, label=f"macro F1 {table['f1_macro']:.3f}")
    low = min(table[k].min() for k in ("precision_per_class", "recall_per_class", "f1_per_class"))
    ax.set(xticks=x, xlabel="digit", ylim=(max(0.0, low - 0.05), 1.0), title="test set, per digit")
    ax.legend(fontsize=8, ncol=4, loc="lower right")
    ax.grid(alpha=0.3, axis="y")
    save(fig, out / "per_class_metrics.png")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    out = output_dir(args, "06_faq_evaluation")
    n_train, n_test = (2000, 500) if args.quick else (12_000, 2000)
    epochs = args.epochs or (2 if args.quick else 4)

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = x_train[:n_train].reshape(-1, 28, 28, 1) / 255.0
    x_test = x_test[:n_test].reshape(-1, 28, 28, 1) / 255.0
    labels_train, labels_test = y_train[:n_train].astype(np.int64), y_test[:n_test].astype(np.int64)
    onehot_train, onehot_test = to_categorical(labels_train, K), to_categorical(labels_test, K)
    # validation_split holds out the LAST 10% (before shuffling), as in Keras
    split_at = int(np.floor(n_train * (1 - VALIDATION_SPLIT)))

    start = time.perf_counter()
    if args.weights is None:
        model = small_cnn(args.seed)
        model.compile(optimizer=Adam(learning_rate=1e-3), loss="categorical_crossentropy",
                      metrics=[accuracy])
        model.fit(x_train, onehot_train, batch_size=64, epochs=epochs,
                  validation_split=VALIDATION_SPLIT, verbose=2)
        source = (f"small CNN, {model.count_params()} weights, trained {epochs} epoch(s) on "
                  f"{split_at} images")
    else:
        model = section4_cnn()
        model.compile(optimizer=Adam(learning_rate=1e-3), loss="categorical_crossentropy",
                      metrics=[accuracy])
        model.load_weights(str(args.weights))
        source = (f"section-4 CNN loaded from {args.weights}; it was trained on all 60,000 "
                  f"training images, so its 'validation' images are NOT held out")
    seconds = time.perf_counter() - start

    sets = {"training": (x_train[:split_at], onehot_train[:split_at]),
            "validation": (x_train[split_at:], onehot_train[split_at:]),
            "test": (x_test, onehot_test)}
    errors = {}
    for name, (x, y) in sets.items():
        loss, acc = model.evaluate(x, y, batch_size=500, verbose=0)
        errors[name] = {"images": len(x), "loss": loss, "accuracy": acc, "error": 1 - acc}
    print(f"\n{source} ({seconds:.1f} s)")
    print(f"{'set':<11} {'images':>6} {'loss (CE)':>9} {'accuracy':>8} {'error':>7} {'± s.e.':>7}")
    for name, e in errors.items():
        # the error rate is a mean of n 0/1 outcomes: standard error sqrt(e(1 − e)/n)
        e["standard_error"] = float(np.sqrt(e["error"] * (1 - e["error"]) / e["images"]))
        print(f"{name:<11} {e['images']:6d} {e['loss']:9.4f} {e['accuracy']:8.4f} "
              f"{e['error']:7.4f} {e['standard_error']:7.4f}")
    print("(validation images come from MNIST's training file, test images from its test "
          "file, written by other people: a gap between the two larger than ~2 s.e. is "
          "that shift, not chance)")

    probabilities = model.predict(x_test, batch_size=500)
    predicted = probabilities.argmax(axis=1)
    table = per_class_table(labels_test, predicted)
    counts = confusion_matrix(labels_test, predicted, num_classes=K)
    report = classification_report(labels_test, predicted, num_classes=K)
    print(f"\nper digit on the test set ({n_test} images), tinydl.metrics.classification_report:")
    print(report)
    print(f"{'average':<8} {'precision':>9} {'recall':>7} {'F1':>7}")
    for avg in ("macro", "micro"):
        print(f"{avg:<8} {table[f'precision_{avg}']:9.4f} {table[f'recall_{avg}']:7.4f} "
              f"{table[f'f1_{avg}']:7.4f}")
    print(f"{'accuracy':<8} {table['accuracy']:9.4f}   (= the micro averages: one label per image)")
    worst = int(np.argmin(table["f1_per_class"]))
    off = counts - np.diag(np.diag(counts))
    i, j = np.unravel_index(np.argmax(off), off.shape)
    print(f"weakest digit by F1: {worst} ({table['f1_per_class'][worst]:.3f}); most frequent "
          f"confusion: {i} taken for {j} ({off[i, j]} times)")

    plot_confusion(counts, out, f"confusion matrix, {n_test} test images "
                                f"(accuracy {table['accuracy']:.3f})")
    plot_per_class(table, out)

    print("\nThe article (section 6): evaluate with the training, validation and test error and "
          "with metrics such as accuracy, recall and F1.")
    print(f"Measured: error {errors['training']['error']:.4f} / {errors['validation']['error']:.4f}"
          f" / {errors['test']['error']:.4f} (training / validation / test); macro recall "
          f"{table['recall_macro']:.4f}, macro F1 {table['f1_macro']:.4f}, accuracy "
          f"{table['accuracy']:.4f}. Left vague by the article: what 'error' is, which set "
          "is for choices (validation) and which for the final number (test), and how "
          "per-class recall/F1 are averaged (macro ≠ micro; micro = accuracy).")
    return {"errors": errors, "table": table, "confusion": counts, "report": report,
            "labels": labels_test, "predicted": predicted, "probabilities": probabilities,
            "seconds": seconds}


if __name__ == "__main__":
    main()
