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
# # Lesson 4 · 第4课: the article's MNIST CNN, trained with tinydl
#
# Article §4 builds a small Keras convolutional neural network (卷积神经网络, CNN) and
# trains it on MNIST, 70,000 handwritten digits. The same calls run here with `tinydl` in
# place of `keras`, with one change the article needs: a validation set (验证集) taken from
# the training images, so that the test set (测试集) is touched once, at the very end.
#
# Run it as a script (`python lessons/04_mnist_cnn.py --quick`, or `--epochs 3`) or open
# it as a notebook. The trained weights are saved for lessons 6, 8 and 10–13.

# %%
import time

import numpy as np

from tinydl.datasets import mnist
from tinydl.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from tinydl.losses import categorical_crossentropy
from tinydl.metrics import accuracy
from tinydl.models import Sequential
from tinydl.optimizers import Adam
from tinydl.utils import to_categorical

import _cnn_plots as plots
from _lesson import Lesson

lesson = Lesson("04_mnist_cnn", "the article's section-4 CNN on MNIST", epochs=10,
                batch_size=128)

# %% [markdown]
# ## A classification task, not segmentation
#
# > §4「我们将通过一个简单的图像分割任务来详细解释代码的实现」
# > (We explain the code through a simple image segmentation task.)
#
# This network gives **one label per image** ("this is a 7"): that is classification
# (分类). Image segmentation (图像分割) gives a label to every pixel; lesson 9 does it.

# %% [markdown]
# ## The data, and what "preprocessing" does to it
#
# > §4「这包括缩放像素值到0-1范围，以及将图像转换为灰度图像。」
# > (This includes scaling the pixel values to 0–1 and converting the images to grayscale.)
#
# MNIST is grayscale (灰度) already: one number 0..255 per pixel, no colour channels to
# convert. `reshape(-1, 28, 28, 1)` only adds the channel axis Conv2D expects; `/ 255`
# scales, e.g. a pixel of 255 becomes 1.0 and 128 becomes 0.502.

# %%
(x_train, y_train), (x_test, y_test) = mnist.load_data()
print("raw:", x_train.shape, x_train.dtype, "values", x_train.min(), "..", x_train.max(),
      "| axes per image:", x_train.ndim - 1, "(rows, columns: no colour axis)")
if lesson.quick:      # a small run: 2,500 training images, 1,000 test images, 1 epoch
    x_train, y_train, x_test, y_test = x_train[:2500], y_train[:2500], x_test[:1000], y_test[:1000]
    lesson.epochs = 1
# float32 (the article's / 255.0 gives float64: twice the memory, the same network)
x_train = x_train.reshape(-1, 28, 28, 1).astype(np.float32) / 255.0
x_test = x_test.reshape(-1, 28, 28, 1).astype(np.float32) / 255.0
print("scaled:", x_train.shape, "values", x_train.min(), "..", x_train.max(),
      "| 128/255 =", round(128 / 255, 3))

# %% [markdown]
# ## Validation data must not be the test data
#
# > §4「这包括设置训练数据、验证数据、批量大小和训练轮数。」
# > (This includes setting the training data, the validation data, the batch size and the
# > number of epochs.)
#
# The article then passes `validation_data=(x_test, y_test)`: it validates on the test set.
# Every choice made while watching that score (when to stop, which learning rate, which
# network) is then fitted to those 10,000 digits: the test set **leaks** into the model,
# and its score is no longer an unbiased estimate of the accuracy on new digits (it is
# optimistic). So: hold out the last 5,000 training images (Keras: `validation_split=1/12`),
# choose with them, and touch the test set once, at the end.

# %%
n_val = 500 if lesson.quick else 5000
x_fit, labels_fit = x_train[:-n_val], y_train[:-n_val]
x_val, labels_val = x_train[-n_val:], y_train[-n_val:]
labels_test = y_test.astype(np.int64)
# one-hot rows: 3 -> [0 0 0 1 0 0 0 0 0 0], as to_categorical in the article
y_fit, y_val = to_categorical(labels_fit, 10), to_categorical(labels_val, 10)
y_test = to_categorical(labels_test, 10)
print(f"fit on {len(x_fit):,}, validate on {len(x_val):,} (held-out training images), "
      f"test once on {len(x_test):,}")
print("label", labels_fit[0], "->", y_fit[0])

# %% [markdown]
# ## The network of §4, layer for layer
#
# Two convolutional layers (卷积层) with ReLU, each followed by 2×2 max pooling (最大池化),
# then a dense layer (全连接层) of 128, dropout (随机失活) of half of it while training, and a
# softmax over the 10 digits. Other lessons and the benchmarks build the same network with
# `tinydl.applications.article_cnn()` (a test keeps the two equal, layer for layer).

# %%
def build_model() -> Sequential:
    """The network of section 4: Conv 32 3×3 ReLU → MaxPool 2 → Conv 64 3×3 ReLU →
    MaxPool 2 → Flatten → Dense 128 ReLU → Dropout 0.5 → Dense 10 softmax."""
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


model = build_model()
model.summary()
conv1 = model.layers[0]
print("first Conv2D: 3·3·1·32 weights + 32 biases =", 3 * 3 * 1 * 32 + 32,
      "| counted:", conv1.kernel.data.size + conv1.bias.data.size)

# %% [markdown]
# ## Compiling: optimizer, loss, metric
#
# > §4「这包括设置优化器、损失函数和评估指标。」
# > (This includes setting the optimizer, the loss function and the evaluation metric.)
#
# The listing writes `Adam(lr=0.001)` and `metrics=[accuracy]` from `keras.metrics`. Keras 3
# rejects `lr=` (it is `learning_rate=`), and Keras 2's `keras.metrics.accuracy` compares
# labels and predictions for *exact equality*, element by element. tinydl accepts `lr` and
# its `accuracy` is what the article means: the share of images whose arg-max is the label.

# %%
one_hot = np.array([[0.0, 0.0, 1.0]])           # the label: class 2
probabilities = np.array([[0.1, 0.2, 0.7]])     # a confident, correct softmax
print("exact equality, element by element:", np.mean(one_hot == probabilities))
print("arg-max accuracy (tinydl's accuracy):", accuracy(one_hot, probabilities))
model.compile(optimizer=Adam(lr=0.001), loss=categorical_crossentropy, metrics=[accuracy])

# %% [markdown]
# ## Training, validated on held-out training images
#
# Each epoch (轮) shows the training loss and accuracy (running means over the epoch, with
# dropout on) and the validation figures (after the epoch, dropout off). The test images
# are not passed in.

# %%
start = time.perf_counter()
history = model.fit(x_fit, y_fit, batch_size=lesson.batch_size, epochs=lesson.epochs,
                    validation_data=(x_val, y_val), verbose=2)
train_seconds = time.perf_counter() - start
curves = history.history
best_epoch = int(np.argmax(curves["val_accuracy"])) + 1
print(f"training took {train_seconds:.1f} s ({train_seconds / lesson.epochs:.1f} s per epoch); "
      f"best validation accuracy {max(curves['val_accuracy']):.4f} at epoch {best_epoch}")
lesson.save(plots.curves(curves), "curves.png")

# %% [markdown]
# ## The test set, once, at the end
#
# > §4「最后，我们需要评估模型。」 (Finally, we evaluate the model.)
#
# Now, with every choice made, the test score is an honest estimate. (The listing's
# `loss, accuracy = model.evaluate(...)` also overwrites the `accuracy` it imported.)

# %%
test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
val_accuracy = curves["val_accuracy"][-1]
side = ("higher" if test_accuracy > val_accuracy else
        "lower" if test_accuracy < val_accuracy else "the same")
print(f"test loss {test_loss:.4f}, test accuracy {test_accuracy:.4f} on {len(x_test):,} images "
      f"(validation accuracy {val_accuracy:.4f}: the test score is {side}, difference "
      f"{test_accuracy - val_accuracy:+.4f})")

# %% [markdown]
# ## Which digits are confused with which
#
# The confusion matrix (混淆矩阵) counts, for each true digit i, how often the network
# answers j: the diagonal holds the correct answers.

# %%
predicted = model.predict(x_test, batch_size=512).argmax(axis=1)
counts = np.bincount(labels_test * 10 + predicted, minlength=100).reshape(10, 10)
per_digit = counts.diagonal() / counts.sum(axis=1)
print("per-digit test accuracy:", "  ".join(f"{d}: {a:.3f}" for d, a in enumerate(per_digit)))
off_diagonal = counts - np.diag(counts.diagonal())
i, j = np.unravel_index(off_diagonal.argmax(), counts.shape)
print(f"most frequent mistake: {i} read as {j} ({off_diagonal[i, j]} times); "
      f"hardest digit: {per_digit.argmin()}")
lesson.save(plots.confusion_matrix(counts), "confusion_matrix.png")
lesson.save(plots.mistakes(x_test, labels_test, predicted), "misclassified.png")

# %% [markdown]
# ## The first layer's kernels, and a true convolution
#
# > §3.1.4「y(x,y)=\sum_{x'=0}^{w-1}\sum_{y'=0}^{h-1}w(x',y')\cdot x(x-x',y-y')」
#
# tinydl's Conv2D computes this formula, a true convolution (卷积): the kernel (卷积核)
# walked backwards. Keras computes cross-correlation (互相关), the kernel unflipped. A
# learned kernel does not care (it learns the flipped one); below, one output pixel by hand.

# %%
w, b = conv1.kernel.data[:, :, 0, 0], conv1.bias.data[0]     # channel 0
feature_map = conv1(x_test[:1]).data[0, :, :, 0]            # after the ReLU
r, c = np.unravel_index(feature_map.argmax(), feature_map.shape)  # its strongest pixel
window = x_test[0, r:r + 3, c:c + 3, 0]
by_hand = float(np.sum(window * w[::-1, ::-1]) + b)         # the kernel flipped: convolution
unflipped = float(np.sum(window * w) + b)                   # as is: Keras' cross-correlation
layer_value = float(feature_map[r, c])
print(f"channel 0 at ({r}, {c}): layer {layer_value:.5f}; by hand, flipped kernel "
      f"{by_hand:.5f}; kernel as is {unflipped:.5f}")
lesson.save(plots.kernels(conv1.kernel.data), "first_layer_kernels.png")

# %% [markdown]
# ## Saving the weights
#
# Lessons 6, 8 and 10–13 load this file instead of training the network again.

# %%
weights_path = lesson.path("mnist_cnn.weights.npz")
model.save_weights(str(weights_path))
print(f"saved the weights to {weights_path}")

# %% [markdown]
# ## Try it yourself
#
# 1. Train with the article's `validation_data=(x_test, y_test)` for 10 epochs and report
#    the best epoch's "validation" score: it is the largest of 10 noisy test scores. Is it
#    above the last epoch's? Why is it an optimistic estimate?
# 2. Remove the `Dropout(0.5)` layer and watch the gap between the training and validation
#    curves (overfitting, 过拟合) over `--epochs 10`.
# 3. Write the convolution yourself: `tinydl exercise start conv2d_loops` (then
#    `conv2d_im2col`), and the optimizer: `tinydl exercise start adam`.
