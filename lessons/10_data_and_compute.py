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
# # Lesson 10 · 第10课: more data, more accuracy, more compute (§5, challenge 1)
#
# Section 5 of the article lists five challenges for the future. Lessons 10–13 turn the
# ones that can be measured into experiments; this lesson takes the first one, data and
# compute (数据与算力), and closes with a few lines on challenges 4 and 5, which are not
# experiments here.
#
# Run it as a script (`python lessons/10_data_and_compute.py --quick`) or open it as a
# notebook and run the cells one by one.

# %% [markdown]
# ## What §5 says
#
# > §5「未来，AI人工智能中的数学基础原理与Python实战将面临以下挑战」
# > (In the future, "mathematical foundations of AI and Python practice" will face these challenges.)
#
# That subject is not this article's (image segmentation and generation with CNNs and GANs):
# the sentence is left over from another text, and the five challenges are general ones.

# %% [markdown]
# > §5.1「数据量和复杂性的增加：随着数据的增加，模型的复杂性也会增加。这将需要更高性能的计算设备和更复杂的算法。」
# > (Growing data volume and complexity: as data grows, models grow more complex, which
# > will need faster hardware and more complex algorithms.)
#
# Here we measure it: the §4 CNN, unchanged, trained from scratch on 600, 6,000 and 60,000
# MNIST images. What happens to test accuracy (测试准确率), to training time (训练时间), and
# does the bigger data set need a bigger model?

# %%
import time

from tinydl.utils import set_random_seed, to_categorical

import _sec5_plots as plots
from _lesson import Lesson
from _mnist_cnn import compiled_cnn, mnist_images, test_accuracy

lesson = Lesson("10_data_and_compute", "the §4 CNN on 600 / 6,000 / 60,000 images",
                sizes="600,6000,60000", epochs="30,10,4", batch_size=128)
sizes = [int(s) for s in lesson.sizes.split(",")]
epochs = [int(e) for e in lesson.epochs.split(",")]
(x_train, y_train), (x_test, y_test) = mnist_images()
if lesson.quick:
    sizes, epochs = [100, 300, 1000], [2, 2, 2]
    x_test, y_test = x_test[:1000], y_test[:1000]
epochs = epochs * len(sizes) if len(epochs) == 1 else epochs
assert len(epochs) == len(sizes), f"--epochs gives {len(epochs)} values for {len(sizes)} sizes"
print(f"sizes {sizes}, epochs {epochs}, {len(x_test):,} test images")

# %% [markdown]
# ## One experiment: train on the first n images, time it, test it
#
# The small sets get more epochs (轮数) so that they are not simply under-trained: 600
# images × 10 epochs would be only 50 optimizer steps. The cost of training is the number
# of images processed, n × epochs; we report it per image and epoch (µs) too. Training
# accuracy on the same n images tells overfitting (过拟合) from underfitting (欠拟合).

# %%
def train_on_first(n: int, n_epochs: int) -> dict:
    """A fresh §4 CNN trained on the first n training images; time, test and train accuracy."""
    set_random_seed(lesson.seed)
    model = compiled_cnn()
    start = time.perf_counter()
    model.fit(x_train[:n], to_categorical(y_train[:n], 10), batch_size=lesson.batch_size,
              epochs=n_epochs, verbose=0)
    seconds = time.perf_counter() - start
    return {"n": n, "epochs": n_epochs, "steps": n_epochs * -(-n // lesson.batch_size),
            "seconds": seconds, "us_per_image": 1e6 * seconds / (n * n_epochs),
            "accuracy": test_accuracy(model, x_test, y_test),
            "train_accuracy": test_accuracy(model, x_train[:n], y_train[:n]),
            "parameters": model.count_params()}


# %%
print(f"{'images':>8} {'epochs':>6} {'steps':>6} {'time (s)':>9} {'µs/image':>9} "
      f"{'train acc':>9} {'test acc':>9}")
rows = []
for n, n_epochs in zip(sizes, epochs):
    r = train_on_first(n, n_epochs)
    rows.append(r)
    print(f"{r['n']:>8,} {r['epochs']:>6} {r['steps']:>6} {r['seconds']:>9.1f} "
          f"{r['us_per_image']:>9.0f} {100 * r['train_accuracy']:>8.2f}% "
          f"{100 * r['accuracy']:>8.2f}%", flush=True)
lesson.save(plots.data_curve(rows, len(x_test)), "accuracy_and_time_vs_data.png")

# %% [markdown]
# ## More data: how much better, how much slower?
#
# The test error (错误率) is 1 − accuracy. A full run typically gives 92.4% → 97.5% → 98.9%
# test accuracy: each tenfold more data removes a large share of the remaining errors,
# while the training time grows with the images processed (n × epochs; 30 epochs of 600
# images are 18,000). The ratios below come from this run.

# %%
time_per_work = []     # (time ratio) / (images-processed ratio): 1 = in proportion
for a, b in zip(rows, rows[1:]):
    error_a, error_b = 1 - a["accuracy"], 1 - b["accuracy"]
    more_time = b["seconds"] / a["seconds"]
    more_work = b["n"] * b["epochs"] / (a["n"] * a["epochs"])
    time_per_work.append(more_time / more_work)
    print(f"{a['n']:,} → {b['n']:,} images: test error {100 * error_a:.2f}% → "
          f"{100 * error_b:.2f}% (×{error_b / max(error_a, 1e-9):.2f}); training time "
          f"×{more_time:.1f} for ×{more_work:.1f} images processed")
proportional = all(0.7 < q < 1.3 for q in time_per_work)
print(f"training time {'grows in proportion to' if proportional else 'is not proportional to'} "
      f"the images processed, n × epochs (time ratio / work ratio: "
      f"{', '.join(f'{q:.2f}' for q in time_per_work)})")

# %% [markdown]
# ## Does more data need a more complex model?
#
# The article says it does. The same network, with the same number of parameters (参数),
# was used at every size. If it were too simple for 60,000 images, its *training* accuracy
# would fall as the set grows (underfitting). If the small set is the problem, training
# accuracy stays high and only the gap to test accuracy (the overfitting) shrinks.

# %%
params = rows[-1]["parameters"]
print(f"one model at every size: {params:,} parameters")
for r in rows:
    print(f"{r['n']:>8,} images: train {100 * r['train_accuracy']:.2f}%, test "
          f"{100 * r['accuracy']:.2f}%, gap {100 * (r['train_accuracy'] - r['accuracy']):.2f} points")
gaps = [r["train_accuracy"] - r["accuracy"] for r in rows]
largest = rows[-1]
if largest["train_accuracy"] >= 0.99:
    print(f"at {largest['n']:,} images the model still fits its training data "
          f"({100 * largest['train_accuracy']:.2f}%): more data did not call for a bigger model here")
else:
    print(f"at {largest['n']:,} images the model fits only {100 * largest['train_accuracy']:.2f}% "
          f"of its training data: more epochs or a bigger model could help")
print(f"the train–test gap {'shrank' if gaps[-1] < gaps[0] else 'did not shrink'} with data: "
      f"{100 * gaps[0]:.2f} → {100 * gaps[-1]:.2f} points")

# %% [markdown]
# The lines above decide the article's claims for this run. More data raising accuracy
# and costing compute in proportion is what the tables show. But more data does not by
# itself *require* a more complex model: it *allows* one (a big model overfits a small set
# fast). Only a training accuracy that falls as the data grows says the model is too simple.

# %% [markdown]
# ## Challenges 4 and 5: not experiments here
#
# > §5.4「多模态和跨模态的学习：随着不同类型的数据的集成，多模态和跨模态的学习将成为一个新的研究领域。」
# > (Multimodal and cross-modal learning will become a new research field.)
#
# Multimodal learning (多模态学习) learns from images together with text, sound or sensor
# data. It needs paired data sets and models beyond what a NumPy engine trains in minutes;
# the basic idea, one branch per modality and their features joined, is a `Concatenate`
# of two branches in tinydl's functional API.

# %% [markdown]
# > §5.5「人工智能的道德和伦理问题：随着AI的广泛应用，人工智能的道德和伦理问题将成为一个重要的挑战。」
# > (The moral and ethical questions of AI will become an important challenge.)
#
# Ethics (伦理) — bias, consent, surveillance, accountability — is about who collects the
# data, who is affected and who decides; no accuracy figure answers it. Lesson 13 measures
# one part that can be measured: a trained model can reveal who was in its training set.

# %% [markdown]
# ## Try it yourself
#
# 1. Give every size the same epochs (`--epochs 4`): is the 600-image model now
#    under-trained? Compare its training accuracy with the table above.
# 2. Double the filters in `build_model` (Conv2D 64 and 128): does the 600-image model get
#    better or worse, and how much slower is each epoch?
# 3. Most of the training time is convolution: write it fast yourself with
#    `tinydl exercise start conv2d_im2col`.
