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
# # Lesson 5 · 第5课: preprocessing (预处理) and data augmentation (数据增强)
#
# Step 1 of article §3.1.3 prepares the input images. It lists, as one thing, what are two:
# preprocessing, the same fixed change of every image (training and test alike), and data
# augmentation, random changes of the training images while the network learns. Here we
# scale MNIST, augment it with tinydl's layers, and see that one augmentation the article
# names, flipping, turns digits into something else.
#
# MNIST is read from `$TINYDL_DATA/mnist` (or the cache, or a download: README, "Data").

# %%
import time

import numpy as np

from tinydl import Tensor
from tinydl.datasets import mnist
from tinydl.layers import Conv2D, Dense, Flatten, Layer, MaxPooling2D
from tinydl.metrics import accuracy
from tinydl.models import Sequential
from tinydl.optimizers import Adam
from tinydl.layers import RandomFlip, RandomRotation, RandomTranslation, Rescaling
from tinydl.utils import to_categorical

import _preprocessing_plots as plots
from _lesson import Lesson

lesson = Lesson("05_preprocessing", "scaling, augmentation layers, and flipped digits")
rng = np.random.default_rng(lesson.seed)
SHIFT = 0.1        # RandomTranslation: up to ±10% of 28 px, i.e. ±3 pixels
ROTATION = 0.04    # RandomRotation: a fraction of a turn, ±0.04·360° = ±14.4°
if lesson.quick:   # a smoke run: tiny subsets, noisy numbers
    n_clf, clf_epochs, n_aug, aug_epochs, n_curve, n_test = 500, 1, 200, 1, 100, 300
else:
    n_clf, clf_epochs, n_aug, aug_epochs, n_curve, n_test = 5000, 3, 1000, 15, 2000, 10000

# %%
(x_train, y_train), (x_test, y_test) = mnist.load_data()
order = rng.permutation(len(x_train))
test_idx = np.sort(rng.permutation(len(x_test))[:n_test])
x_test, y_test = x_test[test_idx], y_test[test_idx]

# %% [markdown]
# ## Step 1 as the article writes it
#
# > §3.1.3 第1步：「输入图像进行预处理，如缩放、旋转和翻转。」
# > (Step 1: preprocess the input images, for example by scaling, rotation and flipping.)
#
# Scaling (缩放) can mean resizing an image or scaling its pixel values. MNIST images are
# all 28×28, so here it is the second, as in §4's code: x / 255.0. Raw MNIST is uint8:

# %%
def small_cnn(augmentation: list[Layer], seed: int) -> Sequential:
    """augmentation → Conv2D 16 3×3 ReLU → MaxPool 2 → Dense 10 softmax (27k weights);
    the same seed gives the same initial weights, whatever the augmentation."""
    model = Sequential([*augmentation, Conv2D(16, kernel_size=3, activation="relu"),
                        MaxPooling2D(pool_size=2), Flatten(),
                        Dense(10, activation="softmax")], seed=seed)
    model.build((None, 28, 28, 1))
    model.compile(optimizer=Adam(lr=0.003), loss="categorical_crossentropy",
                  metrics=[accuracy])
    return model


print(f"raw MNIST: dtype {x_train.dtype}, values {x_train.min()}..{x_train.max()}")
try:
    small_cnn([], lesson.seed).fit(x_train[:10, :, :, None], to_categorical(y_train[:10], 10),
                                   verbose=0)
except TypeError as error:
    print(f"fit on the uint8 pixels: TypeError: {error}")

# %% [markdown]
# ## What scaling does to training
#
# The same CNN, same seed, same steps, once on floats 0..255 and once on x / 255. The
# test images get the same scaling as the training images: that is preprocessing.

# %%
clf_idx = order[:n_clf]
raw = x_train[clf_idx, :, :, None].astype(np.float32)            # 0..255
y_clf = to_categorical(y_train[clf_idx], 10)
x_test_scaled = x_test[:, :, :, None].astype(np.float32) / 255.0
y_test_1h = to_categorical(y_test, 10)
scaling, models = {}, {}
for name, data, test in (("x / 255 (0..1)", raw / 255.0, x_test_scaled),
                         ("raw floats (0..255)", raw, x_test_scaled * 255.0)):
    models[name] = small_cnn([], lesson.seed)
    history = models[name].fit(data, y_clf, batch_size=64, epochs=clf_epochs, verbose=0)
    loss, acc = models[name].evaluate(test, y_test_1h, batch_size=500, verbose=0)
    scaling[name] = {"first_epoch_loss": history.history["loss"][0], "test_loss": loss,
                     "test_accuracy": acc}
print(f"{n_clf} training images, {clf_epochs} epoch(s), Adam 0.003")
print(f"{'inputs':<22} {'train loss ep 1':>15} {'test loss':>10} {'test acc':>9}")
for name, row in scaling.items():
    print(f"{name:<22} {row['first_epoch_loss']:>15.3f} {row['test_loss']:>10.3f} "
          f"{row['test_accuracy']:>9.4f}")

# %% [markdown]
# ## Preprocessing versus augmentation
#
# As layers: `Rescaling(1/255)` changes every image, in training and at inference.
# `RandomTranslation`, `RandomRotation` and `RandomFlip` change images only with
# `training=True` (inside `fit`), each time differently; at test time they pass images
# through untouched. Rotating and flipping are augmentation, not preprocessing.

# %%
batch = Tensor(raw[:4])
same = {"Rescaling(1/255)": Rescaling(1 / 255)(batch, training=False).data,
        "RandomRotation(0.04)": RandomRotation(ROTATION, seed=0)(batch, training=False).data,
        "RandomFlip": RandomFlip("horizontal", seed=0)(batch, training=False).data}
for name, out in same.items():
    gives = ("x / 255" if np.allclose(out, raw[:4] / 255) else
             "x unchanged" if np.array_equal(out, raw[:4]) else "another image")
    print(f"{name:<22} with training=False gives {gives}")
grid, grid_names = plots.augmentation_grid(x_test_scaled[:10], lesson.seed, SHIFT, ROTATION)
lesson.save(plots.grid_figure(grid, grid_names), "augmentation_grid.png")

# %% [markdown]
# ## A flipped 2 is not a 2
#
# A mirrored 2, 3, 4, 5 or 7 is no digit of its class, and a 6 turned by 180° is a 9.
# The CNN above, trained on x / 255 without flips, reads the test images as they are,
# mirrored left–right, and turned by 180°. (Part of the drop, even for 0 and 8, is the
# mirrored slant it never saw; the training runs below test the article's advice.)

# %%
def flip_left_right(x: np.ndarray) -> np.ndarray:
    """out[n, i, j] = x[n, i, W − 1 − j] for images (N, H, W, C): the mirror image."""
    return x[:, :, ::-1]


def turn_180(x: np.ndarray) -> np.ndarray:
    """out[n, i, j] = x[n, H − 1 − i, W − 1 − j]: a rotation by 180° about the centre."""
    return x[:, ::-1, ::-1]


views = {"original": x_test_scaled, "flipped left–right": flip_left_right(x_test_scaled),
         "turned 180°": turn_180(x_test_scaled)}
study = {}
for name, images in views.items():
    pred = models["x / 255 (0..1)"].predict(np.ascontiguousarray(images),
                                            batch_size=500).argmax(axis=1)
    counts = np.bincount(y_test * 10 + pred, minlength=100).reshape(10, 10)   # label, answer
    study[name] = {"accuracy": float(np.mean(pred == y_test)), "counts": counts, "pred": pred,
                   "per_digit": np.diag(counts) / np.maximum(counts.sum(axis=1), 1)}
flip = {name: s["accuracy"] for name, s in study.items()}

# %%
print(f"{'digit':<10}" + "".join(f"{d:>6}" for d in range(10)) + f"{'all':>8}")
for name, s in study.items():
    print(f"{name.split()[0]:<10}" + "".join(f"{a:>6.2f}" for a in s["per_digit"])
          + f"{s['accuracy']:>8.3f}")
turned = study["turned 180°"]["counts"]
print("commonest answer for a digit turned 180°: "
      + ", ".join(f"{d}→{turned[d].argmax()}" for d in range(10)))
six_as_nine = float(turned[6, 9] / max(turned[6].sum(), 1))
print(f"a 6 turned 180° is read as 9 in {six_as_nine:.0%} of cases, "
      f"a 9 as 6 in {turned[9, 6] / max(turned[9].sum(), 1):.0%}")
lesson.save(plots.flips_figure(views, y_test, study), "flipped_digits.png")

# %% [markdown]
# ## Augmentation with little data
#
# The same CNN on 1,000 training images (a fresh subset; quick mode uses fewer), four
# times: no augmentation, shifts, shifts + small rotations, and shifts + rotations +
# left–right flips (the article's full list). Accuracy is measured on the test images,
# the curves on a fixed test subset after each epoch.

# %%
def augmentation_variants(seed: int) -> dict[str, list[Layer]]:
    """Fresh augmentation layers for each variant (their generators seeded from `seed`)."""
    shift = RandomTranslation(SHIFT, SHIFT, seed=seed)
    rotation = RandomRotation(ROTATION, seed=seed + 1)
    return {"none": [], "shift": [shift], "shift + rotation": [shift, rotation],
            "shift + rotation + flip": [shift, rotation, RandomFlip("horizontal", seed=seed + 2)]}


aug_idx = order[n_clf:n_clf + n_aug]                 # disjoint from the images above
x_aug = x_train[aug_idx, :, :, None].astype(np.float32) / 255.0
y_aug = to_categorical(y_train[aug_idx], 10)
augmentation = {}
for name in augmentation_variants(lesson.seed):
    model = small_cnn(augmentation_variants(lesson.seed)[name], lesson.seed)
    start = time.perf_counter()
    history = model.fit(x_aug, y_aug, batch_size=32, epochs=aug_epochs, verbose=0,
                        validation_data=(x_test_scaled[:n_curve], y_test_1h[:n_curve]))
    loss, acc = model.evaluate(x_test_scaled, y_test_1h, batch_size=500, verbose=0)
    augmentation[name] = {"history": history.history, "test_loss": loss, "test_accuracy": acc,
                          "seconds": time.perf_counter() - start}

# %%
print(f"{n_aug} training images, {aug_epochs} epochs, test on {n_test} images")
print(f"{'augmentation':<24} {'train acc':>9} {'test loss':>9} {'test acc':>9} {'seconds':>8}")
for name, run in augmentation.items():
    print(f"{name:<24} {run['history']['accuracy'][-1]:>9.4f} {run['test_loss']:>9.4f} "
          f"{run['test_accuracy']:>9.4f} {run['seconds']:>8.1f}")
acc = {name: run["test_accuracy"] for name, run in augmentation.items()}
helped = acc["shift + rotation"] > acc["none"]
hurt = acc["shift + rotation + flip"] < acc["shift + rotation"]
print(f"shifts and small rotations {'helped' if helped else 'did not help'}: "
      f"{acc['none']:.4f} → {acc['shift']:.4f} → {acc['shift + rotation']:.4f}")
print(f"adding flips {'hurt' if hurt else 'did not hurt'}: "
      f"{acc['shift + rotation']:.4f} → {acc['shift + rotation + flip']:.4f}")
lesson.save(plots.curves_figure(augmentation), "augmentation_curves.png")

# %% [markdown]
# ## The same list for the GAN
#
# > §3.2.3 第1步：「输入真实图像进行预处理，如缩放、旋转和翻转。」
# > (Step 1: preprocess the real images, e.g. scaling, rotation and flipping.)
#
# For a GAN the real images define what the generator (生成器) must imitate. Scale them;
# but augment them with flips and the discriminator (判别器) calls mirrored digits "real",
# so the generator is taught to draw them too. Lesson 8 scales its real digits and does
# not flip them.

# %% [markdown]
# ## Try it yourself
#
# 1. Add `RandomFlip("vertical")` to the variants: which digits survive an up–down flip
#    (the "flip up–down" row of `augmentation_grid.png`)? What does it do to accuracy?
# 2. Train with rotations of ±0.5 turns (`ROTATION = 0.5`): what happens to the 6s and 9s?
# 3. Put `Rescaling(1 / 255)` first in `small_cnn` and train on the raw floats: is the
#    result the same as dividing by 255 beforehand?
