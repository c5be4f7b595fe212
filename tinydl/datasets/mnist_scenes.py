"""MNIST scenes: 1 to 3 real MNIST digits pasted on a 64x84 canvas, with a per-pixel mask.

A segmentation dataset in the manner of M2NIST (same canvas size), generated from MNIST on the
fly, so nothing but MNIST itself is needed:

    from tinydl.datasets import mnist_scenes
    (x_train, y_train), (x_test, y_test) = mnist_scenes.load_data()
    x_train = x_train[..., None]          # (N, 64, 84, 1): channels last for Conv2D

Layout (N scenes, H x W canvas, default 64 x 84):
    x  float32 (N, H, W), values in [0, 1]: MNIST pixel / 255, composited by the maximum of the
       digits' intensities (an overlap looks like two pen strokes over each other). There is no
       channel axis, as in `mnist.load_data()`; add one with x[..., None].
    y  uint8 (N, H, W): the class d (0..9) of the digit whose stroke covers the pixel,
       BACKGROUND = 10 elsewhere.

Rules (all integer arithmetic on the uint8 MNIST pixels, so the result is exact):
    stroke      a digit's pixel is stroke when its value is above STROKE_THRESHOLD = 127 of 255,
                i.e. x > 0.5. MNIST digits are anti-aliased: the grey rim around the pen line is
                where the pen covered part of the pixel; half coverage is the midpoint between
                ink and paper, and keeps the mask as wide as the visible line (2-3 pixels).
    mask        where strokes of two digits overlap, the pixel belongs to the digit whose pixel is
                brighter, i.e. to the digit that gives the canvas its value (max compositing);
                on a tie the digit pasted later wins.
    box         a digit's box is the bounding box of its stroke pixels, (top, left, bottom, right)
                with bottom and right exclusive, in canvas coordinates. Boxes lie inside the canvas.
    placement   the box's top-left corner is uniform over the positions that keep the box in the
                canvas. Two boxes of a scene may touch or overlap a little: their intersection
                covers at most MAX_OVERLAP = 15% of the smaller box's area (no nesting). A position
                that breaks this is drawn again, up to MAX_TRIES times; a digit that still does
                not fit is left out (never the first: an empty canvas always takes it; with the
                defaults no digit of 6,000 + 1,000 scenes was left out).
    order       a scene's digits are listed left to right by the x of their box centre
                (left + right); ties by the y of the centre, then by pasting order.

Train scenes take digits only from MNIST's training set, test scenes only from its test set
(`Scenes.source` records the index of every digit in its set). One seed gives the same scenes bit
for bit on every machine: NumPy's PCG64 generator with its draws in a fixed order (scene digit
counts, digit indices, then positions slot by slot), and no floating-point arithmetic before the
final division by 255 (tests/test_mnist_scenes.py pins a checksum of generated scenes).
Generation is vectorised: a loop over digit slots and placement retries, never over scenes or
pixels. Measured with the defaults (6,000 + 1,000 scenes) on a 2-core machine: about 0.5 s of
generation after about 0.4 s of reading MNIST; digit strokes cover 3.9% of the pixels (a model
that predicts background everywhere is 96.1% right per pixel); 1, 2 and 3 digits each in about a
third of the scenes. Reading the TRUE masks with `tinydl.regions.read_digits` gets 97.9% of the
test scenes exactly right (98.1% of train); the misses are almost all two digits of one class
touching or nearly touching (read as one).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from . import mnist

BACKGROUND = 10  # mask value of pixels that no digit's stroke covers
STROKE_THRESHOLD = 127  # a pixel is stroke when its uint8 value is > 127 (x > 0.5)
MAX_OVERLAP = 0.15  # largest box intersection, as a share of the smaller box's area
MAX_TRIES = 100  # placement draws per digit before the digit is left out
HEIGHT, WIDTH = 64, 84  # M2NIST's canvas


@dataclass(frozen=True)
class Scenes:
    """Generated scenes and what is in them (N scenes, K = max_digits slots).

    x       float32 (N, H, W) in [0, 1]: the canvases
    y       uint8 (N, H, W): the masks (0..9 digit class, BACKGROUND = 10)
    count   int64 (N,): digits in each scene, 1..K
    digits  int64 (N, K): the digits left to right; -1 after the last one
    boxes   int64 (N, K, 4): their stroke boxes (top, left, bottom, right), exclusive ends; -1 after
    source  int64 (N, K): each digit's index in the MNIST images it came from; -1 after
    """

    x: np.ndarray
    y: np.ndarray
    count: np.ndarray
    digits: np.ndarray
    boxes: np.ndarray
    source: np.ndarray

    def __len__(self) -> int:
        return len(self.x)

    def read(self, i: int) -> list[int]:
        """The digits of scene i, left to right, as a list (what `regions.read_digits` returns)."""
        return self.digits[i, : self.count[i]].tolist()


def stroke_boxes(images: np.ndarray) -> np.ndarray:
    """Bounding boxes of the stroke pixels (> STROKE_THRESHOLD) of uint8 images (M, h, w).

    Returns int64 (M, 4): (top, left, bottom, right), bottom and right exclusive, in the image's own
    coordinates. An image without a stroke pixel is an error (it would be an invisible digit).
    """
    ink = images > STROKE_THRESHOLD
    rows, cols = ink.any(axis=2), ink.any(axis=1)
    empty = np.flatnonzero(~rows.any(axis=1))
    if empty.size:
        raise ValueError(f"mnist_scenes: image {int(empty[0])} (of {len(images)}) has no pixel "
                         f"above {STROKE_THRESHOLD}; expected every digit to have a stroke")
    h, w = images.shape[1:]
    top, left = rows.argmax(axis=1), cols.argmax(axis=1)
    bottom, right = h - rows[:, ::-1].argmax(axis=1), w - cols[:, ::-1].argmax(axis=1)
    return np.stack([top, left, bottom, right], axis=1).astype(np.int64)


def compose(patches: np.ndarray, classes: np.ndarray, tops: np.ndarray, lefts: np.ndarray,
            active: np.ndarray, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Paste digit images onto blank canvases; returns (x float32 (N, H, W), y uint8 (N, H, W)).

    patches  uint8 (N, K, h, w): the digit images of each scene's K slots
    classes  (N, K): their digit classes 0..9
    tops, lefts  (N, K): canvas row and column of each image's top-left pixel (may be negative or
             reach past the canvas: what falls outside is cut off)
    active   bool (N, K): which slots hold a digit; slots are pasted in order 0..K-1

    x = max over pasted digits of pixel / 255. y = the class of the digit whose pixel is the
    largest among the pasted ones, if that pixel is > STROKE_THRESHOLD (the last such digit on a
    tie), else BACKGROUND.
    """
    patches, classes = np.asarray(patches, np.uint8), np.asarray(classes)
    tops, lefts, active = np.asarray(tops), np.asarray(lefts), np.asarray(active, bool)
    n, k, h, w = patches.shape
    # Paste into a canvas padded just enough that no paste needs clipping; 1-D (flat) indices,
    # because gathering and scattering through one index array is several times faster.
    on = np.flatnonzero(active.ravel())
    t, l = np.asarray(tops).ravel()[on], np.asarray(lefts).ravel()[on]
    pad_t, pad_l = max(0, -int(t.min(initial=0))), max(0, -int(l.min(initial=0)))
    pad_b = max(0, int((t + h).max(initial=0)) - height)
    pad_r = max(0, int((l + w).max(initial=0)) - width)
    hp, wp = height + pad_t + pad_b, width + pad_l + pad_r
    canvas = np.zeros(n * hp * wp, np.uint8)
    mask = np.full(n * hp * wp, BACKGROUND, np.uint8)
    patch_offsets = (np.arange(h)[:, None] * wp + np.arange(w)[None, :]).ravel()
    for slot in range(k):  # a loop over slots: each scene takes at most one paste per slot
        s = np.flatnonzero(active[:, slot])
        corner = (s * hp + tops[s, slot] + pad_t) * wp + lefts[s, slot] + pad_l
        at = corner[:, None] + patch_offsets[None, :]
        patch, old = patches[s, slot].reshape(len(s), h * w), canvas[at]
        wins = (patch > STROKE_THRESHOLD) & (patch >= old)
        mask[at] = np.where(wins, classes[s, slot, None].astype(np.uint8), mask[at])
        canvas[at] = np.maximum(old, patch)
    crop = (slice(None), slice(pad_t, pad_t + height), slice(pad_l, pad_l + width))
    x = canvas.reshape(n, hp, wp)[crop].astype(np.float32) / np.float32(255)
    y = np.ascontiguousarray(mask.reshape(n, hp, wp)[crop])
    return x, y


def _place(rng: np.random.Generator, sizes: np.ndarray, active: np.ndarray, height: int,
           width: int) -> tuple[np.ndarray, np.ndarray]:
    """Random box positions (N, K, 2) = (top, left) under the overlap rule, and the updated active.

    sizes int64 (N, K, 2): box (height, width). Slot by slot, every scene still waiting draws a
    position; those that break the overlap rule with an earlier digit draw again.
    """
    n, k = active.shape
    pos = np.zeros((n, k, 2), np.int64)
    active = active.copy()
    area = sizes[..., 0] * sizes[..., 1]
    limit = np.array([height, width]) - sizes + 1  # exclusive upper bound of top and left
    for slot in range(k):
        waiting = np.flatnonzero(active[:, slot])
        for _ in range(MAX_TRIES):
            if waiting.size == 0:
                break
            cand = rng.integers(0, limit[waiting, slot])  # (m, 2), top then left
            # The intersection with each earlier box of the scene:
            lo = np.maximum(cand[:, None, :], pos[waiting, :slot])
            hi = np.minimum(cand[:, None, :] + sizes[waiting, slot, None, :],
                            pos[waiting, :slot] + sizes[waiting, :slot])
            inter = np.prod(np.maximum(hi - lo, 0), axis=2)  # (m, slot)
            smaller = np.minimum(area[waiting, slot, None], area[waiting, :slot])
            # inter <= MAX_OVERLAP * smaller, in integers: 100 * inter <= 15 * smaller
            bad = (100 * inter > round(100 * MAX_OVERLAP) * smaller) & active[waiting, :slot]
            ok = ~bad.any(axis=1)
            pos[waiting[ok], slot] = cand[ok]
            waiting = waiting[~ok]
        active[waiting, slot] = False  # did not fit (never slot 0: nothing to overlap)
    return pos, active


def make_scenes(images: np.ndarray, labels: np.ndarray, n: int,
                seed: int | np.random.SeedSequence = 0, height: int = HEIGHT, width: int = WIDTH,
                max_digits: int = 3) -> Scenes:
    """Generate n scenes from the digit images (M, h, w) uint8 and their labels (M,) 0..9.

    Each scene draws its number of digits uniformly from 1..max_digits and each digit uniformly
    (with replacement) from the images; positions follow the module's placement rule. See the
    module docstring for the compositing, mask and order rules.
    """
    name = "mnist_scenes.make_scenes"
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 3 or images.dtype != np.uint8 or len(images) == 0:
        raise ValueError(f"{name}: images has shape {images.shape} and dtype {images.dtype}; "
                         f"expected a non-empty uint8 array (M, h, w)")
    if labels.shape != images.shape[:1] or not np.isin(labels, np.arange(10)).all():
        raise ValueError(f"{name}: labels has shape {labels.shape}; expected ({len(images)},) "
                         f"digit classes 0..9")
    for arg, value, low in (("n", n, 0), ("height", height, images.shape[1]),
                            ("width", width, images.shape[2]), ("max_digits", max_digits, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name}: {arg}={value!r}; expected an integer >= {low}")
    rng = np.random.default_rng(seed)
    k = max_digits
    count = rng.integers(1, k + 1, n)
    source = rng.integers(0, len(images), (n, k))
    active = np.arange(k) < count[:, None]
    boxes = stroke_boxes(images)[source]  # (n, k, 4) in image coordinates
    sizes = boxes[..., 2:] - boxes[..., :2]
    pos, active = _place(rng, sizes, active, height, width)
    patches = images[source]
    tops, lefts = pos[..., 0] - boxes[..., 0], pos[..., 1] - boxes[..., 1]  # of the 28x28 images
    x, y = compose(patches, labels[source], tops, lefts, active, height, width)
    canvas_boxes = np.concatenate([pos, pos + sizes], axis=2)
    # Left to right: sort slots by (inactive last, 2 * centre x, 2 * centre y, slot).
    cx2 = canvas_boxes[..., 1] + canvas_boxes[..., 3]
    cy2 = canvas_boxes[..., 0] + canvas_boxes[..., 2]
    slot = np.broadcast_to(np.arange(k), (n, k))
    order = np.lexsort((slot, cy2, cx2, ~active), axis=-1)
    act = np.take_along_axis(active, order, axis=1)
    pick = lambda a: np.take_along_axis(a, order if a.ndim == 2 else order[..., None], axis=1)
    digits = np.where(act, pick(labels[source].astype(np.int64)), -1)
    return Scenes(x=x, y=y, count=act.sum(axis=1), digits=digits,
                  boxes=np.where(act[..., None], pick(canvas_boxes), -1),
                  source=np.where(act, pick(source), -1))


def load_scenes(n_train: int = 6000, n_test: int = 1000, seed: int = 0,
                path: str | os.PathLike[str] | None = None, height: int = HEIGHT,
                width: int = WIDTH, max_digits: int = 3) -> tuple[Scenes, Scenes]:
    """Train and test scenes with their contents: `(train, test)`, two `Scenes`.

    MNIST is found as `mnist.load_data(path)` finds it. Train scenes use only MNIST's 60,000
    training digits, test scenes only its 10,000 test digits. The two sets get independent
    random streams spawned from `seed`, so n_test does not change the train scenes and vice versa.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"mnist_scenes.load_scenes: seed={seed!r}; expected an integer >= 0")
    (xm_train, ym_train), (xm_test, ym_test) = mnist.load_data(path)
    train_seq, test_seq = np.random.SeedSequence(int(seed)).spawn(2)
    train = make_scenes(xm_train, ym_train, n_train, train_seq, height, width, max_digits)
    test = make_scenes(xm_test, ym_test, n_test, test_seq, height, width, max_digits)
    return train, test


def load_data(n_train: int = 6000, n_test: int = 1000, seed: int = 0,
              path: str | os.PathLike[str] | None = None, height: int = HEIGHT,
              width: int = WIDTH, max_digits: int = 3
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Digit scenes for segmentation, shaped like `keras.datasets.*.load_data()`.

    Returns `(x_train, y_train), (x_test, y_test)`:
        x float32 (N, height, width) in [0, 1], no channel axis (use x[..., None] for Conv2D)
        y uint8 (N, height, width): digit class 0..9 on a digit's stroke, 10 on the background
    with N = n_train and n_test. Use `load_scenes` (same arguments) for the digits of each scene
    left to right and their boxes. The rules are in the module docstring.
    """
    train, test = load_scenes(n_train, n_test, seed, path, height, width, max_digits)
    return (train.x, train.y), (test.x, test.y)
