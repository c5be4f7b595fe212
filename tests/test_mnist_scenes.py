"""Tests of tinydl.datasets.mnist_scenes: the compositing and mask rule against a literal loop,
the placement rule, determinism, train/test separation (with a fake MNIST, so they always run),
and the real data's shapes, digit share and contents (need MNIST: skipped without it, failed in CI).
"""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lesson_helpers import need_mnist
from tinydl.datasets import mnist_scenes as ms

T = ms.STROKE_THRESHOLD


def fake_digits(seed: int, m: int, value: int, label: int | None = None):
    """m fake 28x28 digits: a random rectangle of `value` on a faint rim of 60; labels 0..9
    (all `label` if given)."""
    rng = np.random.default_rng(seed)
    images = np.zeros((m, 28, 28), np.uint8)
    for i in range(m):
        top, left = rng.integers(3, 10, 2)
        bottom, right = top + rng.integers(6, 17), left + rng.integers(2, 17)
        images[i, top - 1:bottom + 1, left - 1:right + 1] = 60
        images[i, top:bottom, left:right] = value
    labels = np.full(m, label) if label is not None else rng.integers(0, 10, m)
    return images, labels.astype(np.uint8)


@pytest.fixture
def fake_mnist(monkeypatch):
    """MNIST replaced by fakes: train digits are rectangles of 200 labelled 3, test digits
    rectangles of 255 labelled 7, so every pixel and label tells which set it came from."""
    train, test = fake_digits(0, 50, 200, label=3), fake_digits(1, 20, 255, label=7)
    monkeypatch.setattr(ms.mnist, "load_data", lambda path=None: (train, test))
    return train, test


# ---------------------------------------------------------------------------- references


def compose_loops(patches, classes, tops, lefts, active, height, width):
    """The compositing and mask rule, literally: paste slot after slot, pixel by pixel."""
    n, k, h, w = patches.shape
    x = np.zeros((n, height, width), np.uint8)
    y = np.full((n, height, width), ms.BACKGROUND, np.uint8)
    for s in range(n):
        for j in range(k):
            if not active[s, j]:
                continue
            for i in range(h):
                for c in range(w):
                    r, col = tops[s, j] + i, lefts[s, j] + c
                    if not (0 <= r < height and 0 <= col < width):
                        continue
                    v = patches[s, j, i, c]
                    if v > T and v >= x[s, r, col]:  # brighter wins; a tie goes to the later one
                        y[s, r, col] = classes[s, j]
                    x[s, r, col] = max(x[s, r, col], v)
    return x.astype(np.float32) / np.float32(255), y


def paste_back(scenes: ms.Scenes, images: np.ndarray, labels: np.ndarray):
    """Rebuild each scene from its recorded sources and boxes: the canvas (uint8) and, per pixel,
    the set of digits whose stroke there is as bright as the canvas (the mask may name any)."""
    n, height, width = scenes.x.shape
    canvas = np.zeros((n, height, width), np.uint8)
    own = ms.stroke_boxes(images)
    pasted = []
    for s in range(n):
        layers = []
        for j in range(scenes.count[s]):
            img = images[scenes.source[s, j]]
            top, left = scenes.boxes[s, j, :2] - own[scenes.source[s, j], :2]
            layer = np.zeros((height + 56, width + 56), np.uint8)
            layer[top + 28:top + 56, left + 28:left + 56] = img
            layers.append((labels[scenes.source[s, j]], layer[28:-28, 28:-28]))
            canvas[s] = np.maximum(canvas[s], layers[-1][1])
        pasted.append(layers)
    return canvas, pasted


# ---------------------------------------------------------------------------- the mask rule


def test_mask_rule_hand_made():
    """Two 2x3 patches overlapping in one column: stroke means > 127, the brighter stroke owns
    an overlap pixel (earlier or later), a tie goes to the later digit, a faint pixel never
    labels, and what falls off the canvas is cut off."""
    a = np.array([[99, 127, 200],
                  [99, 128, 255]], np.uint8)
    b = np.array([[130, 0, 0],
                  [255, 200, 0]], np.uint8)
    patches = np.zeros((1, 2, 2, 3), np.uint8)
    patches[0, 0], patches[0, 1] = a, b
    x, y = ms.compose(patches, np.array([[4, 9]]), np.array([[0, 0]]), np.array([[-1, 1]]),
                      np.ones((1, 2), bool), height=3, width=4)
    # a sits at columns -1..1 (its first column, the 99s, is cut off), b at columns 1..3.
    np.testing.assert_array_equal(x[0] * 255, [[127, 200, 0, 0], [128, 255, 200, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(y[0], [[10, 4, 10, 10],  # 127 is not stroke; a's 200 > b's 130
                                         [4, 9, 9, 10],    # 128 is; a 255 = 255 tie: the later b
                                         [10, 10, 10, 10]])
    assert x.dtype == np.float32 and y.dtype == np.uint8


@settings(max_examples=15)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_compose_matches_loops(n, k, seed):
    rng = np.random.default_rng(seed)
    values = np.array([0, 60, 127, 128, 200, 255], np.uint8)  # ties and the threshold, often
    patches = values[rng.integers(0, len(values), (n, k, 5, 4))]
    classes = rng.integers(0, 10, (n, k))
    tops, lefts = rng.integers(-4, 9, (n, k)), rng.integers(-3, 10, (n, k))
    active = rng.random((n, k)) < 0.8
    got = ms.compose(patches, classes, tops, lefts, active, 8, 9)
    want = compose_loops(patches, classes, tops, lefts, active, 8, 9)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


@given(hnp.arrays(np.uint8, st.tuples(st.integers(1, 4), st.integers(1, 6), st.integers(1, 6)),
                  elements=st.sampled_from([0, 100, 127, 128, 255])))
def test_stroke_boxes_match_loops(images):
    ink = images > T
    if not ink.any(axis=(1, 2)).all():
        with pytest.raises(ValueError, match="no pixel above 127"):
            ms.stroke_boxes(images)
        return
    for img, box in zip(ink, ms.stroke_boxes(images)):
        rows, cols = np.nonzero(img)
        assert box.tolist() == [rows.min(), cols.min(), rows.max() + 1, cols.max() + 1]


# ---------------------------------------------------------------------------- generated scenes


def check_scenes(scenes: ms.Scenes, images, labels, n, height, width, max_digits):
    """Shapes, dtypes, ranges, the metadata, the placement rule and the picture itself."""
    assert scenes.x.shape == scenes.y.shape == (n, height, width)
    assert scenes.x.dtype == np.float32 and scenes.y.dtype == np.uint8
    assert scenes.x.min() >= 0 and scenes.x.max() <= 1
    assert set(np.unique(scenes.y)) <= set(range(11))
    assert scenes.count.min() >= 1 and scenes.count.max() <= max_digits
    slots = np.arange(max_digits) < scenes.count[:, None]
    assert ((scenes.digits >= 0) == slots).all() and ((scenes.source >= 0) == slots).all()
    assert (scenes.digits[slots] == labels[scenes.source[slots]]).all()
    boxes = scenes.boxes
    assert (boxes[slots][:, :2] >= 0).all()
    assert (boxes[slots][:, 2] <= height).all() and (boxes[slots][:, 3] <= width).all()
    centre = boxes[..., 1] + boxes[..., 3]
    assert all((np.diff(centre[s, :c]) >= 0).all() for s, c in enumerate(scenes.count))
    area = (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    for i in range(max_digits):
        for j in range(i + 1, max_digits):
            both = slots[:, i] & slots[:, j]
            size = [np.minimum(boxes[:, i, 2 + a], boxes[:, j, 2 + a])
                    - np.maximum(boxes[:, i, a], boxes[:, j, a]) for a in (0, 1)]
            inter = np.maximum(size[0], 0) * np.maximum(size[1], 0)
            assert (inter[both] <= ms.MAX_OVERLAP * np.minimum(area[:, i], area[:, j])[both]).all()
    canvas, pasted = paste_back(scenes, images, labels)
    np.testing.assert_array_equal(scenes.x, canvas.astype(np.float32) / np.float32(255))
    for s, layers in enumerate(pasted):
        stroke = canvas[s] > T
        np.testing.assert_array_equal(scenes.y[s] != ms.BACKGROUND, stroke)
        allowed = np.zeros(canvas[s].shape + (11,), bool)
        for label, layer in layers:
            allowed[..., label] |= (layer == canvas[s]) & stroke
        assert np.take_along_axis(allowed, scenes.y[s][..., None].astype(int), axis=2)[stroke].all()


def test_fake_scenes_follow_the_rules():
    images, labels = fake_digits(2, 30, 220)
    scenes = ms.make_scenes(images, labels, 40, seed=5, height=40, width=50, max_digits=4)
    check_scenes(scenes, images, labels, 40, 40, 50, 4)
    assert set(scenes.count) == {1, 2, 3, 4}


def test_same_seed_same_scenes_other_seed_other_scenes(fake_mnist):
    first, again = ms.load_scenes(30, 20, seed=3), ms.load_scenes(30, 20, seed=3)
    for a, b in zip(first, again):
        for field in ("x", "y", "count", "digits", "boxes", "source"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    other = ms.load_scenes(30, 20, seed=4)
    assert not np.array_equal(first[0].x, other[0].x) and not np.array_equal(first[1].x, other[1].x)
    # Independent streams: the number of test scenes does not change the train scenes.
    np.testing.assert_array_equal(ms.load_scenes(30, 5, seed=3)[0].x, first[0].x)


def test_scenes_are_the_same_on_every_machine():
    """The promise "one seed, the same scenes bit for bit everywhere", pinned: a SHA-256 of the
    scenes from fake digits, written down once. A platform or NumPy release whose random
    streams or integer arithmetic differ fails here instead of silently changing the data."""
    images, labels = fake_digits(2, 30, 220)
    scenes = ms.make_scenes(images, labels, 25, seed=11)
    digest = hashlib.sha256()
    for array, layout in ((scenes.x, "<f4"), (scenes.y, "u1"), (scenes.digits, "<i8"),
                          (scenes.boxes, "<i8"), (scenes.source, "<i8")):
        digest.update(np.ascontiguousarray(array, layout).tobytes())
    assert digest.hexdigest() == "878616a3d96e8906ca6d27035b3721197b708ded08700b06046f08237e24111e"


def test_train_scenes_use_train_digits_only(fake_mnist):
    (train_images, _), (test_images, _) = fake_mnist
    (x_train, y_train), (x_test, y_test) = ms.load_data(60, 40, seed=1)
    assert set(np.unique(x_train * 255).round().tolist()) <= {0, 60, 200}
    assert set(np.unique(x_test * 255).round().tolist()) <= {0, 60, 255}
    assert set(np.unique(y_train).tolist()) == {3, 10} and set(np.unique(y_test).tolist()) == {7, 10}
    train, test = ms.load_scenes(60, 40, seed=1)
    np.testing.assert_array_equal(train.x, x_train)  # load_data returns load_scenes' arrays
    np.testing.assert_array_equal(test.y, y_test)
    assert train.source.max() < len(train_images) and test.source.max() < len(test_images)
    assert x_train.shape == (60, 64, 84) and x_test.shape == (40, 64, 84)


def test_zero_scenes(fake_mnist):
    (x_train, y_train), (x_test, y_test) = ms.load_data(0, 2)
    assert x_train.shape == y_train.shape == (0, 64, 84) and x_test.shape == (2, 64, 84)


@pytest.mark.parametrize("kwargs, words", [
    ({"n": -1}, "n=-1"), ({"n": 2.0}, "n=2.0"), ({"height": 20}, "height=20; expected an integer >= 28"),
    ({"max_digits": 0}, "max_digits=0"),
])
def test_bad_arguments(kwargs, words):
    images, labels = fake_digits(0, 5, 200)
    args = {"images": images, "labels": labels, "n": 3} | kwargs
    with pytest.raises(ValueError, match="make_scenes: " + words):
        ms.make_scenes(**args)


def test_bad_images_and_labels():
    images, labels = fake_digits(0, 5, 200)
    with pytest.raises(ValueError, match="images has shape .* expected a non-empty uint8"):
        ms.make_scenes(images.astype(np.float32), labels, 2)
    with pytest.raises(ValueError, match="labels has shape"):
        ms.make_scenes(images, labels + 5, 2)
    images[2] = 100  # no stroke at all
    with pytest.raises(ValueError, match="image 2 .* has no pixel above 127"):
        ms.make_scenes(images, labels, 2)


# ---------------------------------------------------------------------------- real MNIST


@pytest.fixture(scope="module")
def real():
    need_mnist()
    arrays = ms.mnist.load_data()
    with pytest.MonkeyPatch.context() as mp:  # parse the files once, not twice
        mp.setattr(ms.mnist, "load_data", lambda path=None: arrays)
        return arrays, ms.load_scenes(n_train=300, n_test=400, seed=0)


def test_real_scenes(real):
    ((xm_train, ym_train), (xm_test, ym_test)), (train, test) = real
    # Each scene is rebuilt exactly from the digits it records, from its own half of MNIST.
    check_scenes(train, xm_train, ym_train, 300, 64, 84, 3)
    check_scenes(test, xm_test, ym_test, 400, 64, 84, 3)
    counts = np.bincount(test.count, minlength=4)[1:]
    assert counts.min() > 100  # 1, 2 and 3 digits each about a third of the time
    share = (test.y != ms.BACKGROUND).mean()
    assert 0.03 < share < 0.05, share  # measured 0.039: strokes are about 4% of the pixels
