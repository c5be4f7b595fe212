"""Lesson 9: image segmentation for real — a U-Net labels every pixel of digit scenes.

The article opens (section 1) with two tasks, image segmentation and image generation, and
titles its section-4 code "image segmentation"; but that network classifies whole images
(one label per MNIST picture, lesson 04). This lesson is the segmentation section 1
promises: every pixel of a 64×84 scene gets a class, 0–9 for the digit whose stroke covers
it, 10 for the background (tinydl.datasets.mnist_scenes: 1–3 real MNIST digits per scene,
test scenes only from MNIST's test digits).

The network, built with the functional API (tinydl.Input, tinydl.Model):

    encoder   Conv 3×3 (f1) ──────────────────────────────┐ skip 1 (full size, edges)
              MaxPool 2 → Conv 3×3 (f2) ×2 ─────────┐       │ skip 2 (1/2 size)
              MaxPool 2 → Conv 3×3 (f3) ×2          │       │ bottleneck (1/4 size)
    decoder   UpSampling 2 → Concatenate ← ─────────┘       │
              Conv 3×3 (f2) ×2                              │
              UpSampling 2 → Concatenate ← ─────────────────┘
              Conv 1×1 (f1) → Conv 1×1 (11), softmax per pixel

Two poolings: the network takes canvases whose height and width are multiples of 4; any
other size is a clear error naming the sizes that work (the skips must meet maps of their
own size). The full-size level has one 3×3 convolution and 1×1 convolutions after the skip:
a 3×3 convolution over the 48 concatenated channels at 64×84 would cost as many operations
as up2a, already a quarter of a training step (bench/bench_segmentation.py --profile), and
the masks are thresholded strokes (pixel > 0.5 of a digit), so the full-size decision needs
the pixel and its class from the coarse path, not a wide view.

Trained with Adam (3e-3, divided by 3 for the last fifth of the time), per-pixel sparse
cross-entropy with the background weighted 0.1 (class_weight, per pixel) plus a soft Dice
loss over the ten digit classes (tinydl.losses.combine), for a fixed training time
(--minutes, default 10).

What it shows:
1. Metrics: the baseline that predicts background everywhere is right on about 96% of the
   pixels and has a digit mean IoU of 0. Pixel accuracy flatters; IoU does not.
2. Per epoch on the 1,000 held-out scenes: loss, pixel accuracy, digit mean IoU (the mean
   IoU of the ten digit classes, background excluded). At the end: per-class IoU and Dice,
   the confusion matrix of pixels.
3. Skips: the same network without its skip connections (an FCN) trained for one epoch and
   compared with the U-Net after its first epoch; the FCN's masks come back from 1/4 size,
   blurred at the edges: accuracy on the pixels at class edges.
4. Class imbalance: short runs of plain cross-entropy, background-weighted cross-entropy,
   and weighted cross-entropy + Dice, on one plot.
5. Reading: each predicted mask is read left to right (tinydl.regions.read_scenes); the
   share of scenes read exactly right, and what happens where two digits touch.

Run:  python lessons/09_segmentation_unet.py [--quick] [--minutes M] [--out DIR]
Data: MNIST from $TINYDL_DATA/mnist, the cache, or a download (see README, "Data").
"""
from __future__ import annotations

import argparse
import functools
import math
import time
from typing import Any

import numpy as np

import tinydl
from tinydl import metrics
from tinydl.datasets import mnist_scenes
from tinydl.layers import Concatenate, Conv2D, MaxPooling2D, UpSampling2D
from tinydl.losses import combine, dice
from tinydl.optimizers import Adam
from tinydl.regions import read_scenes
from tinydl.utils import set_random_seed

from _lesson import output_dir, plt, save

BACKGROUND = mnist_scenes.BACKGROUND  # class 10
CLASSES = 11
DIGITS = list(range(10))
POOLING = 4  # two 2×2 poolings: canvas sizes must be multiples of 4
#: The U-Net's Conv2D layers in the order data flows through them.
CONV_LAYERS = ("down1", "down2a", "down2b", "bottom_a", "bottom_b", "up2a", "up2b", "up1",
               "classes")
# One fixed colour per class: the ten tab10 colours for the digits, near-white background.
COLOURS = np.vstack([plt.get_cmap("tab10")(np.arange(10))[:, :3], [[0.96, 0.96, 0.96]]])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a few hundred scenes, one short pass each (seconds)")
    parser.add_argument("--minutes", type=float, default=10.0,
                        help="training time of the U-Net (wall clock, default 10)")
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--compare-minutes", type=float, default=0.75,
                        help="training time of each class-imbalance run")
    parser.add_argument("--curve-scenes", type=int, default=300,
                        help="held-out scenes scored for the curves of the short runs")
    parser.add_argument("--filters", default="16,32,64", help="f1,f2,f3 of the three levels")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--train-scenes", type=int, default=6000)
    parser.add_argument("--test-scenes", type=int, default=1000)
    parser.add_argument("--out", default=None, help="folder for the figures")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.chunks = 4                       # evaluations per epoch in the short runs
    if args.quick:
        args.train_scenes, args.test_scenes, args.max_epochs = 96, 32, 1
        args.filters, args.chunks = "4,8,8", 1
        args.minutes = args.compare_minutes = 10.0  # one pass decides
    return args


# -- the networks -------------------------------------------------------------------------

def build_unet(filters: tuple[int, int, int] = (16, 32, 64), skips: bool = True,
               name: str | None = None) -> tinydl.Model:
    """The lesson's U-Net (skips=True) or the same network without skip connections (an
    FCN). Input (N, H, W, 1) with H and W multiples of POOLING; output (N, H, W, 11), a
    softmax over the classes at every pixel. The Conv2D layers are named (CONV_LAYERS)
    so that bench/bench_segmentation.py can copy their weights into a PyTorch twin."""
    f1, f2, f3 = filters

    def conv(x, f, name, k=3):
        return Conv2D(f, k, padding="same", activation="relu", name=name)(x)

    inputs = tinydl.Input((None, None, 1), name="scene")
    full = conv(inputs, f1, "down1")                                          # 1/1
    half = conv(conv(MaxPooling2D()(full), f2, "down2a"), f2, "down2b")       # 1/2
    x = conv(conv(MaxPooling2D()(half), f3, "bottom_a"), f3, "bottom_b")      # 1/4
    x = UpSampling2D()(x)
    if skips:
        x = Concatenate()([x, half])
    x = conv(conv(x, f2, "up2a"), f2, "up2b")
    x = UpSampling2D()(x)
    if skips:
        x = Concatenate()([x, full])
    x = conv(x, f1, "up1", k=1)
    outputs = Conv2D(CLASSES, 1, activation="softmax", name="classes")(x)
    return tinydl.Model(inputs, outputs, name=name or ("unet" if skips else "fcn"))


LOSSES = {
    # name: (loss, class_weight, learning rate)
    "plain cross-entropy": ("sparse_categorical_crossentropy", None, 1e-3),
    "background weighted 0.1": ("sparse_categorical_crossentropy", {BACKGROUND: 0.1}, 1e-3),
    "weighted + Dice": (combine({"sparse_categorical_crossentropy": 1.0,
                                 functools.partial(dice, ignore_classes=[BACKGROUND]): 1.0}),
                        {BACKGROUND: 0.1}, 3e-3),
}
MAIN_LOSS = "weighted + Dice"


def compiled(model: tinydl.Model, loss_name: str) -> tuple[tinydl.Model, dict | None]:
    loss, class_weight, lr = LOSSES[loss_name]
    model.compile(optimizer=Adam(learning_rate=lr), loss=loss)
    return model, class_weight


# -- evaluation ---------------------------------------------------------------------------

def neighbours(y: np.ndarray, **pad) -> list[np.ndarray]:
    """The 3×3 neighbourhood of every pixel of the masks y (N, H, W): nine views of y
    padded by one pixel (`pad`: np.pad's mode or constant_values), each shifted by one
    of the offsets (dy, dx) in {-1, 0, 1}²."""
    padded = np.pad(y, ((0, 0), (1, 1), (1, 1)), **pad)
    h, w = y.shape[1:]
    return [padded[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
            for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


def edge_pixels(y: np.ndarray) -> np.ndarray:
    """Pixels (N, H, W) with a neighbour (8-neighbourhood) of another class: the edges
    of the strokes and the contacts between digits."""
    edge = np.zeros(y.shape, bool)
    for near in neighbours(y, mode="edge"):
        edge |= near != y
    return edge


def segment(model: tinydl.Model, x: np.ndarray) -> np.ndarray:
    """Predicted masks (N, H, W): the most probable class at each pixel, 100 scenes at
    a time (the class probabilities of 1,000 scenes alone take 236 MB)."""
    return np.concatenate([model.predict(x[i:i + 100], batch_size=100).argmax(axis=-1)
                           .astype(np.uint8) for i in range(0, len(x), 100)])


def scores(y: np.ndarray, pred: np.ndarray, edges: np.ndarray) -> dict[str, float]:
    return {"pixel_acc": metrics.pixel_accuracy(y, pred, CLASSES),
            "digit_miou": metrics.mean_iou(y, pred, CLASSES, ignore_classes=[BACKGROUND]),
            "edge_acc": float(np.mean(y[edges] == pred[edges]))}


def train(model: tinydl.Model, class_weight: dict | None, x: np.ndarray, y: np.ndarray,
          x_val: np.ndarray, y_val: np.ndarray, seconds: float, max_epochs: int,
          batch_size: int, chunk: int, rng: np.random.Generator, label: str,
          settle: float | None = None) -> dict:
    """Train for at most `seconds` of fit time (evaluation not counted) or max_epochs;
    evaluate on (x_val, y_val) after every `chunk` training scenes. The last chunk is cut
    to what the measured speed lets finish in time. With `settle`, the learning rate is
    divided by 3 for the chunks that start after that share of the time (smaller final
    steps: the last figures move less from step to step). Returns the curves, and in
    "first_epoch" the masks predicted for x_val after the first epoch."""
    edges = edge_pixels(y_val)
    curve: dict[str, Any] = {k: [] for k in ("seconds", "scenes", "loss", "pixel_acc",
                                                     "digit_miou", "edge_acc")}
    spent, seen, per_scene = 0.0, 0, None
    for epoch in range(max_epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), chunk):
            idx = order[start:start + chunk]
            cut = False
            if per_scene is not None and math.isfinite(seconds):
                fits = int(0.98 * (seconds - spent) / per_scene) // batch_size * batch_size
                if fits < batch_size:
                    return curve
                cut = fits < len(idx)
                idx = idx[:fits]
            if settle is not None and spent >= settle * seconds:
                settle = None
                model.optimizer.learning_rate /= 3
                print(f"  (learning rate now {model.optimizer.learning_rate:g})")
            tic = time.perf_counter()
            history = model.fit(x[idx], y[idx], batch_size=batch_size, epochs=1, verbose=0,
                                shuffle=False, class_weight=class_weight)
            took = time.perf_counter() - tic
            spent, seen = spent + took, seen + len(idx)
            per_scene = took / len(idx)
            predicted = segment(model, x_val)
            values = scores(y_val, predicted, edges)
            if seen == len(x):
                curve["first_epoch"] = predicted
            for key, value in (("seconds", spent), ("scenes", seen),
                               ("loss", history.history["loss"][-1]), *values.items()):
                curve[key].append(value)
            print(f"  {label} {seen / len(x):5.2f}  {curve['loss'][-1]:7.4f}  "
                  f"{values['pixel_acc']:9.4f}  {values['digit_miou']:10.4f}  {spent:7.1f}",
                  flush=True)
            if spent >= seconds or cut:
                return curve
    return curve


def contact_pixels(y: np.ndarray) -> np.ndarray:
    """Stroke pixels (N, H, W) with a neighbour (8-neighbourhood) of another digit class:
    where two digits touch."""
    contact = np.zeros(y.shape, bool)
    for near in neighbours(y, constant_values=BACKGROUND):
        contact |= (near != BACKGROUND) & (near != y)
    return contact & (y != BACKGROUND)


def touching(y: np.ndarray) -> np.ndarray:
    """Scenes (N,) in which strokes of two different digit classes are neighbours."""
    return contact_pixels(y).reshape(len(y), -1).any(axis=1)


# -- figures -------------------------------------------------------------------------------

def colour(mask: np.ndarray) -> np.ndarray:
    return COLOURS[mask]


def legend(fig) -> None:
    from matplotlib.patches import Patch
    handles = [Patch(color=COLOURS[k], label=str(k)) for k in DIGITS]
    handles.append(Patch(facecolor=COLOURS[BACKGROUND], edgecolor="grey", label="background"))
    fig.legend(handles=handles, loc="lower center", ncol=11, fontsize=8, frameon=False)


def plot_scenes(x, y, pred, pred_then, pred_fcn, reads, truths, out) -> None:
    rows = min(6, len(x))
    fig, axes = plt.subplots(rows, 5, figsize=(13.5, 1.9 * rows + 0.6), squeeze=False)
    for r in range(rows):
        panels = [(x[r, :, :, 0], "scene", "gray_r"), (colour(y[r]), "true mask", None),
                  (colour(pred[r]), f"U-Net, read {reads[r]}", None),
                  (colour(pred_then[r]), "U-Net after 1 epoch", None),
                  (colour(pred_fcn[r]), "FCN (no skips), 1 epoch", None)]
        for ax, (image, title, cmap) in zip(axes[r], panels):
            ax.imshow(image, cmap=cmap)
            ax.set_xticks([]), ax.set_yticks([])
            colour_ = "crimson" if "read" in title and reads[r] != truths[r] else "black"
            ax.set_title(title if r == 0 or "read" in title else "", fontsize=9, color=colour_)
        axes[r, 0].set_ylabel(f"digits {truths[r]}", fontsize=8)
    legend(fig)
    fig.subplots_adjust(bottom=0.9 / (1.9 * rows + 0.6))
    save(fig, out / "masks.png")


def plot_errors(x, y, pred, out) -> None:
    rows = min(6, len(x))
    fig, axes = plt.subplots(2, (rows + 1) // 2, figsize=(11, 4.6), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, r in zip(axes.ravel(), range(rows)):
        rgb = np.repeat(1 - 0.35 * x[r], 3, axis=2)
        missed = (y[r] != BACKGROUND) & (pred[r] == BACKGROUND)
        extra = (y[r] == BACKGROUND) & (pred[r] != BACKGROUND)
        wrong = (y[r] != BACKGROUND) & (pred[r] != BACKGROUND) & (y[r] != pred[r])
        rgb[missed], rgb[extra], rgb[wrong] = (0.1, 0.3, 0.9), (1.0, 0.6, 0.0), (0.85, 0.0, 0.1)
        ax.imshow(rgb)
    fig.suptitle("U-Net errors: blue = stroke missed, orange = background called a digit, "
                 "red = wrong digit", fontsize=10)
    save(fig, out / "error_map.png")


def plot_iou(iou, dice_, out) -> None:
    fig, ax = plt.subplots(figsize=(8, 3.4))
    k = np.arange(CLASSES)
    ax.bar(k - 0.2, iou, 0.4, color=COLOURS, edgecolor="black", label="IoU")
    ax.bar(k + 0.2, dice_, 0.4, color=COLOURS, edgecolor="black", hatch="//", label="Dice")
    ax.set(xticks=k, xticklabels=[*map(str, DIGITS), "bg"], ylim=(0, 1), ylabel="score",
           title="per-class IoU and Dice on the held-out scenes (U-Net)")
    ax.legend(loc="lower left")
    ax.grid(axis="y", alpha=0.3)
    save(fig, out / "iou_per_class.png")


def plot_curves(curves: dict[str, dict], out, name: str, title: str) -> None:
    fig, (ax_loss, ax_iou) = plt.subplots(1, 2, figsize=(11, 3.8))
    for label, c in curves.items():
        ax_loss.plot(c["seconds"], c["loss"], marker="o", ms=3, label=label)
        ax_iou.plot(c["seconds"], c["digit_miou"], marker="o", ms=3, label=label)
    ax_loss.set(xlabel="training seconds", ylabel="training loss", title="loss (each its own)")
    ax_iou.set(xlabel="training seconds", ylabel="digit mean IoU (held out)", ylim=(0, 1),
               title=title)
    for ax in (ax_loss, ax_iou):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    save(fig, out / name)


# -- the lesson ------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    out = output_dir(args, "09_segmentation_unet")
    set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    filters = tuple(int(f) for f in args.filters.split(","))

    train_set, test_set = mnist_scenes.load_scenes(args.train_scenes, args.test_scenes,
                                                   seed=args.seed)
    x, y = train_set.x[..., None], train_set.y
    x_test, y_test = test_set.x[..., None], test_set.y
    print(f"{len(x)} training scenes, {len(x_test)} held-out scenes of "
          f"{x.shape[1]}×{x.shape[2]} pixels; digit strokes cover "
          f"{np.mean(y_test != BACKGROUND):.1%} of the held-out pixels")

    # 1. The baseline that never finds a digit.
    everywhere = np.full_like(y_test, BACKGROUND)
    base_acc = metrics.pixel_accuracy(y_test, everywhere, CLASSES)
    base_iou = metrics.mean_iou(y_test, everywhere, CLASSES, ignore_classes=[BACKGROUND])
    print(f"baseline (background everywhere): pixel accuracy {base_acc:.4f}, "
          f"digit mean IoU {base_iou:.3f}")
    print("  right on almost every pixel and useless: it finds no digit. IoU_k = TP/(TP+FP+FN) "
          "counts only the pixels of class k that were predicted or true, so the empty "
          "prediction scores 0 for every digit.\n")

    # 2. The U-Net.
    unet, class_weight = compiled(build_unet(filters), MAIN_LOSS)
    unet.summary()
    print(f"\nU-Net: {MAIN_LOSS} (Adam {LOSSES[MAIN_LOSS][2]}), batch {args.batch_size}, "
          f"up to {args.minutes:g} min of training; held-out figures after each epoch:")
    print("  epoch      loss  pixel acc  digit mIoU  train s")
    curve = train(unet, class_weight, x, y, x_test, y_test, args.minutes * 60, args.max_epochs,
                  args.batch_size, len(x), rng, "unet", settle=0.8)
    train_seconds = curve["seconds"][-1]

    pred = segment(unet, x_test)
    iou = metrics.iou_per_class(y_test, pred, CLASSES)
    dice_ = metrics.dice_per_class(y_test, pred, CLASSES)
    pixel_acc = metrics.pixel_accuracy(y_test, pred, CLASSES)
    digit_miou = metrics.mean_iou(y_test, pred, CLASSES, ignore_classes=[BACKGROUND])
    print(f"\nheld out, after {train_seconds:.0f} s of training: pixel accuracy {pixel_acc:.4f}, "
          f"digit mean IoU {digit_miou:.4f}")
    print("class   " + " ".join(f"{k:>6}" for k in [*DIGITS, "bg"]))
    print("IoU     " + " ".join(f"{v:6.3f}" for v in iou))
    print("Dice    " + " ".join(f"{v:6.3f}" for v in dice_))
    cm = metrics.confusion_matrix(y_test, pred, CLASSES)
    print("\nconfusion matrix of pixels (rows: true class, columns: predicted):")
    print("      " + "".join(f"{k:>8}" for k in [*DIGITS, "bg"]))
    for k in range(CLASSES):
        print(f"{'bg' if k == BACKGROUND else k:>6}" + "".join(f"{v:8d}" for v in cm[k]))

    # 3. Reading the scenes.
    truths = [test_set.read(i) for i in range(len(test_set))]
    reads = read_scenes(pred)
    right = np.array([r == t for r, t in zip(reads, truths)])
    readable = np.array([r == t for r, t in zip(read_scenes(y_test), truths)])
    touch = touching(y_test)
    scenes_read = float(right.mean())
    print(f"\nreading the predicted masks left to right: {scenes_read:.1%} of the "
          f"{len(right)} held-out scenes read exactly right (reading the TRUE masks gets "
          f"{readable.mean():.1%}: two digits of one class that touch merge into one)")
    for label, where in (("two different digits touch", touch),
                         ("no different digits touch", ~touch)):
        if where.any():
            print(f"  {label}: {where.sum()} scenes, {right[where].mean():.1%} read right")
    if touch.any():
        contact, stroke = contact_pixels(y_test), y_test != BACKGROUND
        print(f"  pixels where two digits touch: "
              f"{np.mean(pred[contact] == y_test[contact]):.1%} classified right "
              f"(all stroke pixels: {np.mean(pred[stroke] == y_test[stroke]):.1%})")
        print("  where two digits touch, their ink is one blob: the reading rule splits a blob "
              "by class, so the two digits are read as two as long as the U-Net keeps their "
              "classes apart; where one digit's class bleeds over the contact into the other, "
              "the bled part is read as an extra digit (if it has 20 pixels or more) or the "
              "digit is read as the wrong one; two touching digits of ONE class merge into one "
              "blob of one class and are read once, even from the true mask")

    # 4. Skips or not: the same network without its Concatenates, for one epoch.
    print(f"\nskip connections: the FCN (the same layers, no Concatenate), one epoch, "
          f"scored on the first {args.curve_scenes} held-out scenes:")
    print("  model  epochs   loss  pixel acc  digit mIoU  train s")
    set_random_seed(args.seed)
    fcn, cw = compiled(build_unet(filters, skips=False), MAIN_LOSS)
    few = slice(0, args.curve_scenes)
    fcn_curve = train(fcn, cw, x, y, x_test[few], y_test[few], math.inf, 1,
                      args.batch_size, max(len(x) // args.chunks, args.batch_size),
                      np.random.default_rng(args.seed), "fcn ")
    pred_fcn = segment(fcn, x_test)
    unet_then = curve.get("first_epoch", pred)   # the full run may end within its first epoch
    edges = edge_pixels(y_test)
    for name, masks, seconds in (("U-Net", unet_then, curve["seconds"][0]),
                                 ("FCN", pred_fcn, fcn_curve["seconds"][-1])):
        v = scores(y_test, masks, edges)
        stroke = y_test != BACKGROUND
        print(f"  {name:<5} after 1 epoch ({seconds:.0f} s): digit mIoU {v['digit_miou']:.3f}, "
              f"pixels at class edges right {v['edge_acc']:.3f}, stroke pixels right "
              f"{np.mean(masks[stroke] == y_test[stroke]):.3f} (all pixels {v['pixel_acc']:.4f})")
    print("  without skips every mask is rebuilt from the 1/4-size maps: the strokes come back "
          "as blobs 4 pixels wide at best, so the edges and the thin strokes (a 1, the bar of "
          "a 7) are where the FCN loses; the skips hand the decoder the full-size features "
          "that say where the ink is")

    # 5. Class imbalance: three losses, short runs.
    print(f"\nclass imbalance: {args.compare_minutes:g} min of training for each loss "
          f"(digit strokes are {np.mean(y != BACKGROUND):.1%} of the training pixels)")
    print("  loss                          epochs   loss  pixel acc  digit mIoU  train s")
    imbalance = {}
    for loss_name in LOSSES:
        set_random_seed(args.seed)
        model, cw = compiled(build_unet(filters), loss_name)
        imbalance[f"{loss_name} (Adam {LOSSES[loss_name][2]:g})"] = train(
            model, cw, x, y, x_test[few], y_test[few], args.compare_minutes * 60, args.max_epochs,
            args.batch_size, max(len(x) // (2 * args.chunks), args.batch_size),
            np.random.default_rng(args.seed), f"{loss_name:<28}")
    for label, c in imbalance.items():
        print(f"  {label}: digit mIoU {c['digit_miou'][-1]:.3f}, pixel accuracy "
              f"{c['pixel_acc'][-1]:.4f}")
    print("  plain cross-entropy is an average over pixels, 96% of them background: "
          "predicting background everywhere already makes it small, so the digits are "
          "learned last. Weighting the background 0.1 turns the strokes' share of the loss "
          "from 4% into about 30% (0.04 against 0.96 × 0.1); the Dice term scores each "
          "digit class by its own overlap, whatever its size")

    # 6. A canvas size the network cannot take.
    try:
        unet.predict(np.zeros((1, 65, 85, 1), np.float32))
    except ValueError as exc:
        print(f"\na 65×85 canvas: {exc}")

    # The figures show the first scenes, the first two where digits touch, the first misread.
    show = list(dict.fromkeys([0, 1, 2, *np.flatnonzero(touch)[:2],
                               *np.flatnonzero(~right)[:1], 3, 4, 5]))[:6]
    plot_scenes(x_test[show], y_test[show], pred[show], unet_then[show], pred_fcn[show],
                [reads[i] for i in show], [truths[i] for i in show], out)
    plot_errors(x_test[show], y_test[show], pred[show], out)
    plot_iou(iou, dice_, out)
    plot_curves({"U-Net (1,000 held-out scenes)": curve,
                 f"FCN, no skips (first {args.curve_scenes})": fcn_curve}, out,
                "learning_curves.png", "U-Net and FCN")
    plot_curves(imbalance, out, "class_imbalance.png",
                f"class imbalance: {args.compare_minutes:g} min per loss")

    print(f"\nsegmentation: digit_miou {digit_miou:.4f} pixel_acc {pixel_acc:.4f} "
          f"scenes_read {scenes_read:.4f} train_seconds {train_seconds:.1f}")
    return {"digit_miou": digit_miou, "pixel_acc": pixel_acc, "scenes_read": scenes_read,
            "train_seconds": train_seconds, "baseline_pixel_acc": base_acc, "model": unet}


if __name__ == "__main__":
    main()
