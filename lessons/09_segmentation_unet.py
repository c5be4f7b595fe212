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
# # Lesson 9 · 第9课: semantic segmentation (语义分割) with a U-Net
#
# > §1「图像分割是将图像划分为多个区域，每个区域代表不同的物体或特征。」
# > (Image segmentation divides an image into regions, each a different object or feature.)
#
# That mixes two tasks: semantic segmentation gives every pixel a *class*; instance
# segmentation (实例分割) separates *objects* (two 3s are two regions). Here a U-Net does the
# first on scenes of MNIST digits; a rule over connected regions separates the digits later.
#
# > §4「我们将通过一个简单的图像分割任务来详细解释代码的实现。」
# > (We explain the code through a simple image segmentation task.)
#
# But §4's network ends in 「model.add(Dense(10, activation='softmax'))」, one label per
# 28×28 picture: image classification (图像分类, lesson 4). The full run trains about 10
# minutes on 2 cores, 8 of them the U-Net's 5 epochs; `--quick` takes seconds.

# %%
import functools
import time

import numpy as np

import tinydl
from tinydl import applications, metrics
from tinydl.datasets import mnist_scenes
from tinydl.losses import combine, dice
from tinydl.optimizers import Adam
from tinydl.regions import read_scenes
from tinydl.utils import set_random_seed

from _lesson import Lesson
import _segmentation as seg
from _segmentation import edge_pixels, scores, segment, short_run
import _segmentation_plots as plots

lesson = Lesson("09_segmentation_unet", "a U-Net labels every pixel of MNIST digit scenes",
                epochs=5, compare_scenes=1500, curve_scenes=300, batch_size=16,
                train_scenes=6000, test_scenes=1000, filters="16,32,64")
if lesson.quick:   # a few scenes, one short pass of each network: seconds
    lesson.train_scenes, lesson.test_scenes, lesson.epochs = 96, 32, 1
    lesson.compare_scenes, lesson.filters = 96, "4,8,8"
filters = tuple(int(f) for f in lesson.filters.split(","))

# %% [markdown]
# ## The data: digit scenes and their masks
#
# `mnist_scenes` pastes 1–3 real MNIST digits on a 64×84 canvas. Its mask (掩码) gives
# every pixel a class: the digit 0–9 whose stroke covers it (pixel > 0.5), or 10 for the
# background. Held-out scenes use only MNIST's test digits.

# %%
BACKGROUND, CLASSES = mnist_scenes.BACKGROUND, 11   # background is class 10 of 11
train_set, test_set = mnist_scenes.load_scenes(lesson.train_scenes, lesson.test_scenes,
                                               seed=lesson.seed)
x, y = train_set.x[..., None], train_set.y            # (N, 64, 84, 1) and (N, 64, 84)
x_test, y_test = test_set.x[..., None], test_set.y
print(f"{len(x)} training and {len(x_test)} held-out scenes of {x.shape[1]}×{x.shape[2]}; "
      f"held-out scene 0 shows {test_set.read(0)}, its mask (every 4th pixel of rows "
      f"16-47):\n{y_test[0, 16:48:4, ::4]}")

# %% [markdown]
# ## Pixel accuracy flatters, IoU does not
#
# IoU (intersection over union, 交并比) of class k is TP/(TP + FP + FN): only pixels that
# are k or were called k count. A digit of 100 pixels, 90 of them found and 20 background
# pixels called that digit: IoU = 90/(90 + 20 + 10) = 0.75, Dice = 2·90/(2·90 + 30) = 0.857.
# The digit mean IoU averages the ten digits (background left out). Calling every pixel
# background is right on ~96% of the pixels, and finds no digit.

# %%
t, p = np.array([3] * 100 + [10] * 20), np.array([3] * 90 + [10] * 10 + [3] * 20)
print(f"example: IoU {metrics.iou_per_class(t, p, CLASSES)[3]:.3f}, "
      f"Dice {metrics.dice_per_class(t, p, CLASSES)[3]:.3f}")
everywhere = np.full_like(y_test, BACKGROUND)
baseline_pixel_acc = metrics.pixel_accuracy(y_test, everywhere, CLASSES)
baseline_miou = metrics.mean_iou(y_test, everywhere, CLASSES, ignore_classes=[BACKGROUND])
print(f"baseline (background everywhere): pixel accuracy {baseline_pixel_acc:.4f}, "
      f"digit mean IoU {baseline_miou:.3f}")

# %% [markdown]
# ## The U-Net (Ronneberger et al., 2015), built with the functional API
#
# The encoder (编码器) halves the canvas twice by max pooling (最大池化), the decoder (解码器)
# doubles it back by upsampling, and skip connections (跳跃连接) concatenate each encoder
# map to the decoder map of its size. The last layers are 1×1 convolutions (a 3×3 one over
# 48 channels at 64×84 would cost as much as `up2a`, the costliest layer). The network is
# `tinydl.applications.unet` (the benchmark trains it too); its code:

# %%
lesson.show_source(applications.unet)

# %% [markdown]
# > §3.1.3 第4步：「将激活函数的输出输入全连接层，以进行分类或回归任务。」
# > (Step 4: feed the activations to a fully connected layer for classification or regression.)
#
# No dense layer (全连接层) here: a 1×1 convolution *is* §3.1.4's z = Wx + b, at every pixel.
# And since each skip must meet a map of its own size, height and width must be multiples
# of 4 (two 2×2 poolings); any other size is a clear error naming the sizes that work.

# %%
unet = applications.unet(filters)
W, b = unet.get_layer("classes").get_weights()             # (1, 1, f1, 11) and (11,)
features = np.random.default_rng(0).random((1, 2, 3, W.shape[2]), dtype=np.float32)
z = np.exp(features @ W[0, 0] + b)                          # Wx + b at each of 6 pixels
conv_vs_dense = np.abs(unet.get_layer("classes")(features).data - z / z.sum(-1, keepdims=True))
print("1×1 convolution vs softmax(Wx + b), largest difference:", conv_vs_dense.max())
try:
    unet.predict(np.zeros((1, 65, 85, 1), np.float32))
except ValueError as exc:
    size_error = str(exc)
    print(f"a 65×85 canvas: {exc}")

# %% [markdown]
# ## The loss: strokes are 4% of the pixels
#
# Per-pixel cross-entropy (交叉熵) averages over pixels, 96% of them background, so the
# digits come last. Two remedies: weight background pixels 0.1 (`class_weight`; 0.96 × 0.1
# = 0.096 against 0.04 lifts the strokes' share of the weight from 4% to 29%), and
# add a soft Dice loss 1 − mean_k (2Σw·p·t + 1)/(Σw·p + Σw·t + 1) over the ten digits (w
# the same pixel weights), which scores each class by its own overlap, whatever its size.

# %%
LOSSES = {   # name: (loss, class_weight, Adam's learning rate)
    "plain cross-entropy": ("sparse_categorical_crossentropy", None, 1e-3),
    "background weighted 0.1": ("sparse_categorical_crossentropy", {BACKGROUND: 0.1}, 1e-3),
    "weighted + Dice": (combine({"sparse_categorical_crossentropy": 1.0,
                                 functools.partial(dice, ignore_classes=[BACKGROUND]): 1.0}),
                        {BACKGROUND: 0.1}, 3e-3),
}
MAIN_LOSS = "weighted + Dice"


def compiled(model: tinydl.Model, loss_name: str) -> tuple[tinydl.Model, dict | None]:
    """The model compiled with Adam and LOSSES[loss_name]; returns it and its class_weight."""
    loss, class_weight, lr = LOSSES[loss_name]
    model.compile(optimizer=Adam(learning_rate=lr), loss=loss)
    return model, class_weight


stroke = np.mean(y != BACKGROUND)
print(f"strokes are {stroke:.1%} of the training pixels; with the background weighted 0.1 "
      f"their share of the weight is {stroke / (stroke + 0.1 * (1 - stroke)):.1%}")
unet, class_weight = compiled(unet, MAIN_LOSS)
unet.summary()

# %% [markdown]
# ## Training for a fixed number of epochs
#
# `--epochs` passes over the training scenes (default 5) in batches of 16: twice the steps of
# batches of 32 for about the same time, and here it learns faster per epoch. Adam's learning
# rate (学习率) is divided by 3 for the last fifth. After each epoch the held-out masks
# (`segment`: argmax class per pixel) are scored.

# %%
edges = edge_pixels(y_test)                  # pixels with a neighbour of another class
curve = {"seconds": [], "loss": [], "digit_miou": []}
train_seconds, drop = 0.0, max(2, round(0.8 * lesson.epochs) + 1)
for epoch in range(1, lesson.epochs + 1):
    if epoch == drop:
        unet.optimizer.learning_rate /= 3
    tic = time.perf_counter()
    history = unet.fit(x, y, batch_size=lesson.batch_size, epochs=1, verbose=0,
                       class_weight=class_weight)            # a new order every epoch
    train_seconds += time.perf_counter() - tic
    pred = segment(unet, x_test)
    score = scores(y_test, pred, edges)
    for key, value in zip(curve, (train_seconds, history.history["loss"][-1], score["digit_miou"])):
        curve[key].append(value)
    print(f"  epoch {epoch:2d}  loss {curve['loss'][-1]:.4f}  pixel acc "
          f"{score['pixel_acc']:.4f}  digit mIoU {score['digit_miou']:.4f}  "
          f"lr {unet.optimizer.learning_rate:g}  {train_seconds:5.0f} s", flush=True)

# %% [markdown]
# ## The result per class, and the scenes read as digits
#
# Dice_k = 2TP/(2TP + FP + FN) = 2·IoU/(1 + IoU) ≥ IoU; the confusion matrix (混淆矩阵)
# counts pixels, true class in rows. The network labels classes only: `read_scenes`
# separates the digits afterwards, as blobs of digit pixels (joined across gaps of ≤ 2
# background pixels) split by class, each part of ≥ 20 pixels one digit, read left to
# right. Two touching digits of one class make one blob (even a true mask is misread); two
# of different classes are kept apart only by the class split, if the classes do not bleed.

# %%
iou = metrics.iou_per_class(y_test, pred, CLASSES)
dice_scores = metrics.dice_per_class(y_test, pred, CLASSES)
pixel_acc, digit_miou = score["pixel_acc"], score["digit_miou"]     # of the last epoch
print(f"held out: pixel accuracy {pixel_acc:.4f} (baseline {baseline_pixel_acc:.4f}), "
      f"digit mean IoU {digit_miou:.4f} (baseline {baseline_miou:.3f})")
seg.print_per_class(iou, dice_scores)
seg.print_confusion(metrics.confusion_matrix(y_test, pred, CLASSES))
lesson.save(plots.per_class(iou, dice_scores), "iou_per_class.png")
truths = [test_set.read(i) for i in range(len(test_set))]
reads = read_scenes(pred)
right = np.array([r == t for r, t in zip(reads, truths)])
readable = float(np.mean([r == t for r, t in zip(read_scenes(y_test), truths)]))
scenes_read = float(right.mean())
print(f"{scenes_read:.1%} of the {len(right)} held-out scenes read exactly right from the "
      f"U-Net's masks ({readable:.1%} from the TRUE masks)")
seg.print_reading(y_test, pred, right)
show = seg.example_scenes(seg.touching(y_test), right)   # first, touching, first misread
lesson.save(plots.errors(show, x_test, y_test, pred), "error_map.png")

# %% [markdown]
# ## Class imbalance (类别不平衡): three losses, short runs
#
# Each loss trains a fresh U-Net (same initial weights) on `--compare-scenes` scenes (1,500: a
# quarter of an epoch); the Dice run keeps the main run's learning rate, 3e-3.

# %%
imbalance, short_models, few = {}, {}, slice(0, lesson.curve_scenes)
for loss_name in LOSSES:
    set_random_seed(lesson.seed)
    model, cw = short_models[loss_name] = compiled(applications.unet(filters), loss_name)
    imbalance[f"{loss_name} (Adam {LOSSES[loss_name][2]:g})"] = short_run(
        model, cw, x, y, x_test[few], y_test[few], lesson.compare_scenes, lesson.batch_size,
        lesson.seed, loss_name[:12])
final = {label: c["digit_miou"][-1] for label, c in imbalance.items()}
print("digit mIoU:", "; ".join(f"{k} {v:.3f}" for k, v in final.items()), "\nhighest:",
      max(final, key=final.get))
lesson.save(plots.curves(imbalance, f"class imbalance: {lesson.compare_scenes} scenes per loss"),
            "class_imbalance.png")

# %% [markdown]
# ## Are the skips needed? The same encoder–decoder without them
#
# Not an "FCN" (as this lesson once said): every network here is fully convolutional
# (全卷积网络), and FCN-8s (Long et al., 2015) has skips of its own. This is an encoder–decoder
# without skips: half-size maps, nearest upsampling, 1×1 convolutions, so one class per 2×2
# block. It trains as the "weighted + Dice" U-Net above did (same scenes, same order).

# %%
set_random_seed(lesson.seed)
noskip, cw = compiled(applications.unet(filters, skips=False), MAIN_LOSS)
noskip_curve = short_run(noskip, cw, x, y, x_test[few], y_test[few], lesson.compare_scenes,
                         lesson.batch_size, lesson.seed, "no skips")
pred_noskip, pred_short = segment(noskip, x_test), segment(short_models[MAIN_LOSS][0], x_test)
same_training = {}
for name, masks in (("U-Net", pred_short), ("no skips", pred_noskip)):
    v = same_training[name] = scores(y_test, masks, edges)
    print(f"  {name:<8} after {lesson.compare_scenes} scenes: digit mIoU {v['digit_miou']:.3f}, "
          f"edge pixels right {v['edge_acc']:.3f}, 2×2 blocks of one class "
          f"{seg.blocks_of_two(masks):.1%}")
gain = same_training["U-Net"]["edge_acc"] - same_training["no skips"]["edge_acc"]
print(f"the skips {'raise' if gain > 0 else 'do not raise'} the accuracy at class edges "
      f"({gain:+.3f})")
lesson.save(plots.scenes(show, x_test, y_test, pred, pred_short, pred_noskip, reads, truths,
                         f"{lesson.compare_scenes} scenes"), "masks.png")
main_curve = imbalance[f"{MAIN_LOSS} (Adam {LOSSES[MAIN_LOSS][2]:g})"]
lesson.save(plots.curves({"U-Net": main_curve, "no skips": noskip_curve}, "U-Net and the "
                         "network without skips, same training"), "learning_curves.png")

# %% [markdown]
# ## Where the training time went, and the lesson's result line

# %%
seg.print_time_split(train_seconds, {"no skips": noskip_curve["seconds"][-1], "three losses":
                                     sum(c["seconds"][-1] for c in imbalance.values())})
print(f"\nsegmentation: digit_miou {digit_miou:.4f} pixel_acc {pixel_acc:.4f} "
      f"scenes_read {scenes_read:.4f} train_seconds {train_seconds:.1f}")

# %% [markdown]
# ## Try it yourself
#
# 1. Run `--epochs 3`, then `--epochs 10`: where does the digit mean IoU stop rising?
# 2. Set the background weight of "weighted + Dice" to 1.0: can the Dice term alone hold
#    the thin digit 1's IoU up?
# 3. Write the per-pixel loss yourself: `tinydl exercise start softmax_cross_entropy`.
