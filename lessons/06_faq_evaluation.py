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
# # Lesson 6f · 第6课(六): FAQ — evaluating a model: errors, precision, recall, F1
#
# > §6 Q:「如何评估模型的性能？」A:「模型的性能可以通过以下方法评估：」
# > 「训练误差：使用训练数据集计算模型的误差。」
# > 「验证误差：使用验证数据集计算模型的误差。」
# > 「测试误差：使用测试数据集计算模型的误差。」
# > 「评估指标：使用评估指标，如准确率、召回率、F1分数等。」
# > (How to evaluate a model's performance? By the training error, on the training set;
# > the validation error, on a validation set; the test error, on a test set; metrics
# > such as 准确率, recall and F1.)
#
# The list is right but says neither what each number is for nor what 准确率 means here.
# This lesson computes every item for one trained CNN and says what each is for.

# %%
import numpy as np

from tinydl.applications import article_cnn
from tinydl.datasets import mnist
from tinydl.layers import Conv2D, Dense, Flatten, MaxPooling2D
from tinydl.metrics import (accuracy, classification_report, confusion_matrix, f1_score,
                            precision, recall)
from tinydl.models import Sequential
from tinydl.optimizers import Adam
from tinydl.utils import to_categorical

import _faq_b_plots as plots
from _lesson import Lesson

lesson = Lesson("06_faq_evaluation", "training, validation and test error; precision, "
                "recall, F1 per class", epochs=0, weights=None)
N_CLASSES = 10

# %% [markdown]
# ## Three sets of images
#
# The training set (训练集) is what the weights are fitted to. The validation set (验证集)
# is held out for choices (epochs, architecture, λ): here `fit(validation_split=0.1)`, the
# last 10% of the training images, never trained on. The test set (测试集) comes from
# MNIST's separate test file.

# %%
n_train, n_test = (2000, 500) if lesson.quick else (12_000, 2000)
epochs = lesson.epochs or (2 if lesson.quick else 4)
(x_all, y_all), (x_test_all, y_test_all) = mnist.load_data()
x_train = x_all[:n_train].reshape(-1, 28, 28, 1) / 255.0
x_test = x_test_all[:n_test].reshape(-1, 28, 28, 1) / 255.0
labels_train = y_all[:n_train].astype(np.int64)
labels = y_test_all[:n_test].astype(np.int64)                       # the test labels
split_at = int(np.floor(n_train * 0.9))     # validation_split keeps the LAST 10%, as Keras
print(f"training {split_at}, validation {n_train - split_at}, test {n_test} images")

# %% [markdown]
# ## The model
#
# By default a small CNN (卷积神经网络) trained here for a few epochs. With
# `--weights PATH` it is lesson 4's network with the weights lesson 4 saved
# (`mnist_cnn.weights.npz`); that network was trained on all 60,000 training images, so
# its "validation" images are not held out.

# %%
def small_cnn(seed: int) -> Sequential:
    """Conv 8 3×3 → pool → conv 16 3×3 → pool → dense 10: 5,258 weights."""
    return Sequential([Conv2D(8, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
                       MaxPooling2D(pool_size=(2, 2)),
                       Conv2D(16, kernel_size=(3, 3), activation="relu"),
                       MaxPooling2D(pool_size=(2, 2)), Flatten(),
                       Dense(N_CLASSES, activation="softmax")], seed=seed)


held_out = lesson.weights is None
model = small_cnn(lesson.seed) if held_out else article_cnn()   # lesson 4's network
model.compile(optimizer=Adam(learning_rate=1e-3), loss="categorical_crossentropy",
              metrics=[accuracy])
if held_out:
    model.fit(x_train, to_categorical(labels_train, N_CLASSES), batch_size=64, epochs=epochs,
              validation_split=0.1, verbose=2)
else:
    model.load_weights(lesson.weights)
print(f"{model.count_params()} weights;", f"trained {epochs} epoch(s) on {split_at} images"
      if held_out else f"lesson 4's weights from {lesson.weights}")

# %% [markdown]
# ## Training, validation and test error (训练误差、验证误差、测试误差)
#
# "Error" is not defined in the article: both the misclassification rate 1 − accuracy and
# the loss go by that name, so both are printed. An error rate on n images is a mean of n
# 0/1 outcomes, with a standard error sqrt(e(1 − e)/n): two rates differ for real only if
# they are a few standard errors apart.

# %%
sets = {"training": (x_train[:split_at], labels_train[:split_at]),
        "validation": (x_train[split_at:], labels_train[split_at:]),
        "test": (x_test, labels)}
errors = {}
for name, (x, y) in sets.items():
    loss, acc = model.evaluate(x, to_categorical(y, N_CLASSES), batch_size=500, verbose=0)
    errors[name] = {"images": len(x), "loss": loss, "accuracy": acc, "error": 1 - acc,
                    "± s.e.": np.sqrt(acc * (1 - acc) / len(x))}
plots.print_table(errors, [("images", "d"), ("loss", ".4f"), ("accuracy", ".4f"),
                           ("error", ".4f"), ("± s.e.", ".4f")], first="set")
gap = errors["validation"]["error"] - errors["training"]["error"]
shift = errors["test"]["error"] - errors["validation"]["error"]
shift_z = shift / np.hypot(errors["test"]["± s.e."], errors["validation"]["± s.e."])
print(f"validation − training error: {gap:+.4f} (the overfitting of lesson 06_faq_overfitting)")
print(f"test − validation error: {shift:+.4f}, {shift_z:+.1f} s.e.: " +
      ("more than chance: the two sets differ" if abs(shift_z) > 2 else "within chance"))
if not held_out:
    print("(these weights were trained on the 'validation' images: a second training error)")

# %% [markdown]
# What each is for: the training error shows how well the model fits; the validation error
# is for every choice; the test error is looked at once, at the end, for the number to
# report. A test error far from the validation error is chance or a real difference (MNIST's
# test digits come from other writers than its training digits). The article's listing
# (§4) validates on the test set, then reports the accuracy on those same images:
#
# > §4「model.fit(x_train, y_train, batch_size=128, epochs=10, validation_data=(x_test, y_test))」

# %% [markdown]
# Why once: choose among 20 configurations, all equally good (true accuracy a = the test
# accuracy above), by their scores on the same n_test images. The winner's score is the
# highest of 20 noisy numbers, so it is optimistic; on new images the same model scores a.

# %%
rng = np.random.default_rng(lesson.seed)
true_accuracy = errors["test"]["accuracy"]
scores = rng.binomial(n_test, true_accuracy, size=(2000, 20)) / n_test   # 2,000 trials × 20
picked = scores.max(axis=1)                       # the configuration chosen by its test score
fresh = rng.binomial(n_test, true_accuracy, size=2000) / n_test          # its score elsewhere
selection_bias = picked.mean() - fresh.mean()
print(f"true accuracy {true_accuracy:.4f}; best of 20 on the test set {picked.mean():.4f}; "
      f"the same model on new images {fresh.mean():.4f}")
print(f"choosing on the test set {'overstates' if selection_bias > 0 else 'understates'} "
      f"the accuracy by {abs(selection_bias):.4f} "
      f"({selection_bias / errors['test']['± s.e.']:.1f} s.e.)")

# %% [markdown]
# ## The confusion matrix (混淆矩阵)
#
# C[i, j] counts the test images of digit i predicted as j. Every per-class metric is read
# off it: precision (精确率) P_k = C[k, k] / Σ_i C[i, k], of the images called k how many
# are k; recall (召回率) R_k = C[k, k] / Σ_j C[k, j], of the images of k how many were
# found; F1_k = 2·P_k·R_k / (P_k + R_k), their harmonic mean.

# %%
probabilities = model.predict(x_test, batch_size=500)
predicted = probabilities.argmax(axis=1)
confusion = confusion_matrix(labels, predicted, num_classes=N_CLASSES)
print(confusion)
off = confusion - np.diag(np.diag(confusion))
i, j = np.unravel_index(np.argmax(off), off.shape)
print(f"most frequent confusion: {i} taken for {j} ({off[i, j]} times)")
lesson.save(plots.confusion(confusion, f"confusion matrix, {n_test} test images "
                                       f"(accuracy {np.trace(confusion) / n_test:.3f})"),
            "confusion_matrix.png")

# %% [markdown]
# ## 准确率: accuracy or precision?
#
# The word is ambiguous. Beside 召回率 (recall), as in the classic pair 准确率/召回率, it
# is usually precision (also 精确率, 查准率), and F1 combines exactly precision and recall.
# Elsewhere 准确率 is accuracy (正确率): the share of all images classified right. The two
# are different numbers; both are computed here.

# %%
table = {f"{name}_{avg or 'per_class'}": fn(labels, predicted, average=avg, num_classes=N_CLASSES)
         for name, fn in (("precision", precision), ("recall", recall), ("f1", f1_score))
         for avg in (None, "macro", "micro")}
table["accuracy"] = accuracy(labels, predicted)          # = trace(C) / N
report = classification_report(labels, predicted, num_classes=N_CLASSES)
print(report)
print(f"accuracy (准确率 as 正确率)            {table['accuracy']:.4f}")
print(f"macro precision (准确率 as 精确率)     {table['precision_macro']:.4f}")
spread = table["precision_per_class"].max() - table["precision_per_class"].min()
print(f"per-class precision from {table['precision_per_class'].min():.4f} to "
      f"{table['precision_per_class'].max():.4f} (a spread of {spread:.4f}), which one "
      "accuracy hides")

# %% [markdown]
# ## Averaging over ten classes
#
# Precision, recall and F1 are per-class numbers; for ten digits they must be averaged, and
# the article does not say how. The macro average is the plain mean over classes (each
# digit counts the same); the micro average pools the counts, and with one label per image
# every mistake is one false positive and one false negative, so micro P = R = F1 = accuracy.

# %%
print(f"{'average':<8} {'precision':>9} {'recall':>7} {'F1':>7}")
for avg in ("macro", "micro"):
    print(f"{avg:<8} {table[f'precision_{avg}']:9.4f} {table[f'recall_{avg}']:7.4f} "
          f"{table[f'f1_{avg}']:7.4f}")
micro_is_accuracy = all(np.isclose(table[f"{m}_micro"], table["accuracy"])
                        for m in ("precision", "recall", "f1"))
print(f"micro averages {'equal' if micro_is_accuracy else 'differ from'} the accuracy "
      f"{table['accuracy']:.4f}")
worst = int(np.argmin(table["f1_per_class"]))
print(f"weakest digit by F1: {worst} ({table['f1_per_class'][worst]:.3f})")
lesson.save(plots.per_class(table), "per_class_metrics.png")

# %% [markdown]
# ## Try it yourself
#
# 1. Run with `--epochs 1` and `--epochs 8`: which error falls fastest, and when does the
#    validation error stop following the training error?
# 2. Run lesson 4, then this lesson with
#    `--weights lesson_output/04_mnist_cnn/mnist_cnn.weights.npz`: why is its "validation"
#    error now as low as its training error?
# 3. Compute precision, recall and F1 of digit 9 by hand from the confusion matrix printed
#    above, and check them against the report.
