"""Lesson 5: section 3.1.3 step 1, preprocessing — scaling, shifting, rotating and flipping MNIST.

Step 1 of section 3.1.3 says: preprocess the input images, "such as scaling, rotation
and flipping". The word it uses for scaling (缩放) can mean resizing an image or, as in
section 4's code (`x / 255.0`), scaling pixel values into [0, 1]; MNIST digits are
already all 28×28, so this lesson takes the second meaning. Rotating and flipping are
data augmentation: random changes applied to the training images at every epoch, so the
network sees more variety than the data set holds. tinydl has them as Keras-style
layers (`tinydl.preprocessing`): RandomTranslation, RandomRotation and RandomFlip, active
only while training.

What the lesson measures:
1. Scaling: raw MNIST is uint8 in 0..255. tinydl refuses integer input outright (the
   message says to divide by 255); the same small CNN trained on floats in 0..255 and
   on x/255 (same seed, same steps) shows what the scale does to training.
2. A grid of augmented digits: shifted, rotated, flipped, and turned by 180°.
3. Flipping is NOT a safe augmentation for digits, whatever step 1 suggests: a mirrored
   2, 3, 4, 5 or 7 is not a digit of its class (or of any class), and a 6 turned by
   180° is a 9. A small CNN trained on unflipped digits is tested on the original test
   images and on the same images flipped left–right and turned by 180°: accuracy drops,
   and the table shows which digits keep their class (0, 1, 8 are nearly symmetric) and
   which change (6 ↔ 9). (Part of the drop, even for 0 and 8, is the mirrored slant the
   network never saw; the clean test of the article's advice is the training run in 4.)
4. What the augmentations do to test accuracy with little data: the same CNN, trained on
   a fixed subset of 1,000 training images from the same seed, with no augmentation,
   with shifts, with shifts + small rotations, and with shifts + rotations + left–right
   flips (the article's full recipe). Test accuracy on all 10,000 test images; curves
   on a fixed 2,000-image test subset after each epoch. (A subset of the training set
   keeps the full run within minutes on two cores and is the case where augmentation
   matters.)

Run:  python lessons/05_preprocessing.py [--quick] [--out DIR] [--seed N]
Data: MNIST from $TINYDL_DATA/mnist, the cache, or a download (see README, "Data").
"""
from __future__ import annotations

import time

import numpy as np

from tinydl import Tensor
from tinydl.datasets import mnist
from tinydl.layers import Conv2D, Dense, Flatten, Layer, MaxPooling2D
from tinydl.metrics import accuracy
from tinydl.models import Sequential
from tinydl.optimizers import Adam
from tinydl.preprocessing import RandomFlip, RandomRotation, RandomTranslation
from tinydl.utils import to_categorical

from _lesson import output_dir, parse_args, plt, save

SHIFT = 0.1        # RandomTranslation: up to ±10% of 28 px, i.e. ±3 pixels
ROTATION = 0.04    # RandomRotation: a fraction of a turn, ±0.04·360° = ±14.4°


def small_cnn(augmentation: list[Layer], seed: int) -> Sequential:
    """augmentation → Conv2D 16 3×3 ReLU → MaxPool 2 → Dense 10 softmax (about 27k weights).

    The augmentation layers change images only inside fit (training=True); the
    initial weights depend on the seed alone, so every variant starts from the same ones."""
    model = Sequential([*augmentation,
                        Conv2D(16, kernel_size=3, activation="relu"),
                        MaxPooling2D(pool_size=2),
                        Flatten(),
                        Dense(10, activation="softmax")], seed=seed)
    model.build((None, 28, 28, 1))
    model.compile(optimizer=Adam(lr=0.003), loss="categorical_crossentropy",
                  metrics=[accuracy])
    return model


# -- deterministic transforms (for measuring; the random layers are for training) -------

def flip_left_right(x: np.ndarray) -> np.ndarray:
    """out[n, i, j] = x[n, i, W − 1 − j] for images (N, H, W, C)."""
    return x[:, :, ::-1]


def turn_180(x: np.ndarray) -> np.ndarray:
    """out[n, i, j] = x[n, H − 1 − i, W − 1 − j]: a rotation by 180° about the centre."""
    return x[:, ::-1, ::-1]


# -- 2. the grid of augmented digits -----------------------------------------------------

def augmentation_grid(x: np.ndarray, seed: int) -> tuple[np.ndarray, list[str]]:
    """Rows of augmented copies of the images x (k, 28, 28, 1): returns (rows, k, 28, 28)."""
    layers = [("original", None),
              ("shift ±10%", RandomTranslation(SHIFT, SHIFT, seed=seed)),
              ("shift ±10%", RandomTranslation(SHIFT, SHIFT, seed=seed + 1)),
              (f"rotate ±{ROTATION * 360:.0f}°", RandomRotation(ROTATION, seed=seed)),
              (f"rotate ±{ROTATION * 360:.0f}°", RandomRotation(ROTATION, seed=seed + 1)),
              ("flip left–right", RandomFlip("horizontal", seed=seed)),
              ("flip up–down", RandomFlip("vertical", seed=seed)),
              ("rotate 180°", RandomRotation((0.5, 0.5), seed=seed))]
    rows, names = [], []
    for name, layer in layers:
        if layer is None:
            rows.append(x[..., 0])
        elif isinstance(layer, RandomFlip):
            # RandomFlip flips each image with probability 1/2: show the flipped ones by
            # stacking the batch with itself many times and keeping the first flip of each
            reps = np.concatenate([x] * 16).astype(np.float32)
            out = layer(Tensor(reps), training=True).data.reshape(16, *x.shape)
            changed = np.any(out != x[None].astype(np.float32), axis=(2, 3, 4))   # (16, k)
            first = np.argmax(changed, axis=0)
            rows.append(out[first, np.arange(len(x)), ..., 0])
        else:
            rows.append(layer(Tensor(x.astype(np.float32)), training=True).data[..., 0])
        names.append(name)
    return np.stack(rows), names


def mosaic(grid: np.ndarray, pad: int = 2) -> np.ndarray:
    """Tile images (r, k, h, w) into one picture (r·(h+pad), k·(w+pad)), with blank gaps
    (one imshow is much faster to draw than r·k axes)."""
    r, k, h, w = grid.shape
    tiles = np.pad(grid, ((0, 0), (0, 0), (0, pad), (0, pad)))
    return tiles.transpose(0, 2, 1, 3).reshape(r * (h + pad), k * (w + pad))


def plot_grid(grid: np.ndarray, names: list[str], out) -> None:
    r, k, h, _ = grid.shape
    fig, ax = plt.subplots(figsize=(k * 0.8 + 1.5, r * 0.8))
    ax.imshow(mosaic(grid), cmap="gray_r", vmin=0, vmax=1)
    ax.set_yticks((np.arange(r) + 0.5) * (h + 2) - 1, names, fontsize=9)
    ax.set_xticks([])
    ax.set_title("augmented test digits (tinydl.preprocessing layers, training=True)")
    save(fig, out / "augmentation_grid.png")


# -- 3. flipped digits -------------------------------------------------------------------

def flip_study(model: Sequential, x: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy of a model on x, on x flipped left–right and on x turned by 180°, overall
    and per digit; and, per digit, the commonest prediction for the turned images."""
    results = {}
    for name, images in (("original", x), ("flipped left–right", flip_left_right(x)),
                         ("turned 180°", turn_180(x))):
        pred = model.predict(np.ascontiguousarray(images), batch_size=500).argmax(axis=1)
        counts = np.bincount(labels * 10 + pred, minlength=100).reshape(10, 10)
        per_digit = np.diag(counts) / np.maximum(counts.sum(axis=1), 1)
        results[name] = {"accuracy": float(np.mean(pred == labels)), "per_digit": per_digit,
                         "counts": counts, "pred": pred}
    return results


def plot_flips(x: np.ndarray, labels: np.ndarray, study: dict, out) -> None:
    picks = np.array([int(np.flatnonzero(labels == d)[0]) for d in range(10)])
    rows = {"original": x, "flipped left–right": flip_left_right(x), "turned 180°": turn_180(x)}
    grid = np.stack([images[picks, :, :, 0] for images in rows.values()])
    size = 28 + 9
    fig, ax = plt.subplots(figsize=(10, 3.8))
    ax.imshow(mosaic(grid, pad=9), cmap="gray_r")
    for r, name in enumerate(rows):
        for c, i in enumerate(picks):
            p = study[name]["pred"][i]
            ax.text(c * size + 13, r * size + 28, f"says {p}", ha="center", va="top", fontsize=7,
                    color="black" if p == labels[i] else "crimson")
    ax.set_yticks(np.arange(len(rows)) * size + 14, list(rows), fontsize=9)
    ax.set_xticks([])
    ax.set_title("one test digit of each class and the classifier's answer (red: not its label)")
    save(fig, out / "flipped_digits.png")


# -- 4. augmentation and test accuracy ------------------------------------------------------

def augmentation_variants(seed: int) -> dict[str, list[Layer]]:
    """Fresh augmentation layers for each variant (their generators seeded from `seed`)."""
    return {
        "none": [],
        "shift": [RandomTranslation(SHIFT, SHIFT, seed=seed)],
        "shift + rotation": [RandomTranslation(SHIFT, SHIFT, seed=seed),
                             RandomRotation(ROTATION, seed=seed + 1)],
        "shift + rotation + flip": [RandomTranslation(SHIFT, SHIFT, seed=seed),
                                    RandomRotation(ROTATION, seed=seed + 1),
                                    RandomFlip("horizontal", seed=seed + 2)],
    }


def plot_augmentation_curves(runs: dict, out) -> None:
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    for name, run in runs.items():
        h = run["history"]
        epochs = np.arange(1, len(h["loss"]) + 1)
        line, = ax_acc.plot(epochs, h["val_accuracy"], marker=".", label=f"{name} (test subset)")
        ax_acc.plot(epochs, h["accuracy"], ":", color=line.get_color())
        ax_loss.plot(epochs, h["val_loss"], marker=".", color=line.get_color(), label=name)
        ax_loss.plot(epochs, h["loss"], ":", color=line.get_color())
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss (dotted: training)")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy (dotted: training)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    save(fig, out / "augmentation_curves.png")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__.splitlines()[0], argv)
    out = output_dir(args, "05_preprocessing")
    rng = np.random.default_rng(args.seed)
    if args.quick:   # a smoke run: tiny subsets, numbers are noisy
        n_clf, clf_epochs, n_aug, aug_epochs, n_curve, n_test = 500, 1, 200, 1, 100, 300
    else:
        n_clf, clf_epochs, n_aug, aug_epochs, n_curve, n_test = 5000, 3, 1000, 15, 2000, 10000

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    order = rng.permutation(len(x_train))
    test_idx = np.sort(rng.permutation(len(x_test))[:n_test])
    x_test, y_test = x_test[test_idx], y_test[test_idx]

    # -- 1. scaling
    print("1. scaling")
    print(f"   raw MNIST: dtype {x_train.dtype}, values {x_train.min()}..{x_train.max()}")
    try:
        small_cnn([], args.seed).fit(x_train[:10, :, :, None], to_categorical(y_train[:10], 10),
                                     verbose=0)
    except TypeError as error:
        print(f"   fit on the uint8 array: TypeError: {str(error)[:90]}...")
    clf_idx = order[:n_clf]
    raw = x_train[clf_idx, :, :, None].astype(np.float32)           # 0..255
    scaled = raw / 255.0                                             # 0..1, the article's step
    y_clf = to_categorical(y_train[clf_idx], 10)
    x_test_scaled = x_test[:, :, :, None].astype(np.float32) / 255.0
    y_test_1h = to_categorical(y_test, 10)
    scale_rows = {}
    for name, data, test in (("x / 255 (0..1)", scaled, x_test_scaled),
                             ("raw floats (0..255)", raw, x_test_scaled * 255.0)):
        model = small_cnn([], args.seed)
        start = time.perf_counter()
        history = model.fit(data, y_clf, batch_size=64, epochs=clf_epochs, verbose=0)
        loss, acc = model.evaluate(test, y_test_1h, batch_size=500, verbose=0)
        scale_rows[name] = {"first_epoch_loss": history.history["loss"][0], "test_loss": loss,
                            "test_accuracy": acc, "seconds": time.perf_counter() - start,
                            "model": model}
    print(f"   same CNN, same seed, {n_clf} training images, {clf_epochs} epoch(s), Adam 0.003")
    print(f"   {'inputs':<22} {'train loss ep 1':>15} {'test loss':>10} {'test acc':>9}")
    for name, row in scale_rows.items():
        print(f"   {name:<22} {row['first_epoch_loss']:>15.3f} {row['test_loss']:>10.3f} "
              f"{row['test_accuracy']:>9.4f}")

    # -- 2. the grid
    grid, names = augmentation_grid(x_test_scaled[:10], args.seed)
    plot_grid(grid, names, out)

    # -- 3. flipped digits: the classifier trained on scaled, unflipped images
    clf = scale_rows["x / 255 (0..1)"]["model"]
    study = flip_study(clf, x_test_scaled, y_test)
    print(f"\n3. flipping digits: the CNN above (trained without flips), {n_test} test images")
    print(f"   {'digit':<8}" + "".join(f"{d:>6}" for d in range(10)) + f"{'all':>8}")
    for name in study:
        print(f"   {name.split()[0]:<8}" + "".join(f"{a:>6.2f}" for a in study[name]["per_digit"])
              + f"{study[name]['accuracy']:>8.3f}")
    turned = study["turned 180°"]["counts"]
    commonest = turned.argmax(axis=1)
    print("   commonest answer for a digit turned 180°: "
          + ", ".join(f"{d}→{commonest[d]}" for d in range(10)))
    print(f"   a 6 turned 180° is read as 9 in {turned[6, 9] / max(turned[6].sum(), 1):.0%} of "
          f"cases, a 9 as 6 in {turned[9, 6] / max(turned[9].sum(), 1):.0%}")
    plot_flips(x_test_scaled, y_test, study, out)

    # -- 4. augmentation vs test accuracy on a small training set
    aug_idx = order[n_clf:n_clf + n_aug]         # disjoint from the classifier's images
    x_aug = x_train[aug_idx, :, :, None].astype(np.float32) / 255.0
    y_aug = to_categorical(y_train[aug_idx], 10)
    curve_set = (x_test_scaled[:n_curve], y_test_1h[:n_curve])
    runs = {}
    for name, layers in augmentation_variants(args.seed).items():
        model = small_cnn(layers, args.seed)
        start = time.perf_counter()
        history = model.fit(x_aug, y_aug, batch_size=32, epochs=aug_epochs, verbose=0,
                            validation_data=curve_set)
        seconds = time.perf_counter() - start
        loss, acc = model.evaluate(x_test_scaled, y_test_1h, batch_size=500, verbose=0)
        runs[name] = {"history": history.history, "test_loss": loss, "test_accuracy": acc,
                      "seconds": seconds}
    print(f"\n4. augmentation: {n_aug} training images, {aug_epochs} epochs, seed {args.seed}, "
          f"test on {n_test} images")
    print(f"   {'augmentation':<24} {'train acc':>9} {'test loss':>9} {'test acc':>9} {'seconds':>8}")
    for name, run in runs.items():
        print(f"   {name:<24} {run['history']['accuracy'][-1]:>9.4f} {run['test_loss']:>9.4f} "
              f"{run['test_accuracy']:>9.4f} {run['seconds']:>8.1f}")
    plot_augmentation_curves(runs, out)

    scaled_row, raw_row = scale_rows["x / 255 (0..1)"], scale_rows["raw floats (0..255)"]
    print("\narticle (§3.1.3 step 1; §4's x / 255.0) vs measured:")
    print(f"  * scaling: tinydl refuses raw uint8 pixels; as floats 0..255 the same CNN started "
          f"at loss {raw_row['first_epoch_loss']:.2f} (vs {scaled_row['first_epoch_loss']:.2f}) "
          f"and reached test accuracy {raw_row['test_accuracy']:.4f} "
          f"(vs {scaled_row['test_accuracy']:.4f} with x/255).")
    print(f"  * flipping, listed as a generic step, changes what a digit is: accuracy "
          f"{study['original']['accuracy']:.3f} on the originals, "
          f"{study['flipped left–right']['accuracy']:.3f} flipped left–right, "
          f"{study['turned 180°']['accuracy']:.3f} turned 180°; and training with random "
          f"flips gave {runs['shift + rotation + flip']['test_accuracy']:.4f} instead of "
          f"{runs['shift + rotation']['test_accuracy']:.4f}. Do not flip digits.")
    helped = runs["shift + rotation"]["test_accuracy"] > runs["none"]["test_accuracy"]
    verdict = "helped" if helped else "did not help in this run (too few images or epochs)"
    print(f"  * shifts and small rotations {verdict} with {n_aug} training images: test accuracy "
          + " → ".join(f"{runs[k]['test_accuracy']:.4f} ({k})"
                       for k in ("none", "shift", "shift + rotation")) + ".")
    return {"scaling": {k: {kk: vv for kk, vv in v.items() if kk != "model"}
                        for k, v in scale_rows.items()},
            "grid_shape": grid.shape, "grid_names": names,
            "flip": {k: v["accuracy"] for k, v in study.items()},
            "flip_per_digit": {k: v["per_digit"] for k, v in study.items()},
            "six_as_nine": float(turned[6, 9] / max(turned[6].sum(), 1)),
            "augmentation": {k: {"test_accuracy": v["test_accuracy"], "test_loss": v["test_loss"],
                                 "history": v["history"]} for k, v in runs.items()}}


if __name__ == "__main__":
    main()
