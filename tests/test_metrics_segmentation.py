"""Tests of the segmentation metrics (pixel accuracy, IoU, mean IoU, Dice), the confusion
matrix on labels of any rank, sparse_categorical_accuracy and the stateful metrics
(Metric, MeanMetricWrapper, MeanIoU): small cases worked out by hand, properties on
hypothesis-drawn masks, accumulation over batches, errors."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinydl import Tensor, metrics
from tinydl.metrics import MeanIoU, MeanMetricWrapper

# a 2×3 mask, 3 classes; pairs (true, pred) pixel by pixel:
#   (0,0) (0,1) (1,1) / (1,1) (2,2) (2,0)
# C = [[1, 1, 0],      rows: true class, columns: predicted class
#      [0, 2, 0],
#      [1, 0, 1]]
# IoU_k = C[k,k] / (row_k + col_k - C[k,k]):  1/(2+2-1), 2/(2+3-2), 1/(2+1-1) = 1/3, 2/3, 1/2
# Dice_k = 2 C[k,k] / (row_k + col_k):        2/4, 4/5, 2/3
# pixel accuracy = trace / 6 = 4/6
TRUE = np.array([[0, 0, 1], [1, 2, 2]])
PRED = np.array([[0, 1, 1], [1, 2, 0]])
IOU = [1 / 3, 2 / 3, 1 / 2]
DICE = [1 / 2, 4 / 5, 2 / 3]


def scores_for(labels, k, rng=None):
    """Probabilities of shape labels.shape + (K,) whose argmax is `labels`."""
    rng = rng or np.random.default_rng(0)
    noise = rng.uniform(0, 0.4, labels.shape + (k,))
    p = noise + np.eye(k)[labels]
    return p / p.sum(axis=-1, keepdims=True)


def test_segmentation_metrics_by_hand():
    np.testing.assert_array_equal(metrics.confusion_matrix(TRUE, PRED),
                                  [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
    np.testing.assert_allclose(metrics.iou_per_class(TRUE, PRED), IOU)
    np.testing.assert_allclose(metrics.dice_per_class(TRUE, PRED), DICE)
    assert metrics.mean_iou(TRUE, PRED) == pytest.approx(0.5)
    assert metrics.mean_iou(TRUE, PRED, ignore_classes=(0,)) == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert metrics.pixel_accuracy(TRUE, PRED) == pytest.approx(4 / 6)
    # probabilities with a class axis instead of predicted labels: the same numbers
    probs = scores_for(PRED, 3)
    np.testing.assert_allclose(metrics.iou_per_class(TRUE, probs), IOU)
    np.testing.assert_allclose(metrics.iou_per_class(TRUE, Tensor(probs)), IOU)
    assert metrics.pixel_accuracy(TRUE, probs) == pytest.approx(4 / 6)


def test_absent_classes_are_nan_and_left_out_of_the_mean():
    iou = metrics.iou_per_class(TRUE, PRED, num_classes=5)
    np.testing.assert_allclose(iou[:3], IOU)
    assert np.isnan(iou[3]) and np.isnan(iou[4])
    assert np.isnan(metrics.dice_per_class(TRUE, PRED, num_classes=4)[3])
    assert metrics.mean_iou(TRUE, PRED, num_classes=5) == pytest.approx(0.5)
    assert math.isnan(metrics.mean_iou([0, 0], [0, 0], ignore_classes=[0]))


def test_confusion_matrix_of_any_rank_matches_a_loop():
    rng = np.random.default_rng(1)
    t, p = rng.integers(0, 4, (3, 5, 6)), rng.integers(0, 4, (3, 5, 6))
    expected = np.zeros((4, 4), int)
    for i in np.ndindex(t.shape):
        expected[t[i], p[i]] += 1
    np.testing.assert_array_equal(metrics.confusion_matrix(t, p), expected)
    np.testing.assert_array_equal(metrics.confusion_matrix(t, scores_for(p, 4)), expected)
    np.testing.assert_array_equal(metrics.confusion_matrix(np.eye(4)[t], scores_for(p, 4)),
                                  expected)
    np.testing.assert_array_equal(metrics.confusion_matrix(t[..., None], p), expected)


def test_sparse_categorical_accuracy():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3]])
    assert metrics.sparse_categorical_accuracy([0, 1, 1], probs) == pytest.approx(2 / 3)
    assert metrics.sparse_categorical_accuracy(np.array([[0], [1], [1]]), probs) == \
        pytest.approx(2 / 3)
    # segmentation: every pixel counts once
    assert metrics.sparse_categorical_accuracy(TRUE, scores_for(PRED, 3)) == pytest.approx(4 / 6)
    assert metrics.get("sparse_categorical_accuracy") is metrics.sparse_categorical_accuracy
    with pytest.raises(ValueError, match=r"sparse_categorical_accuracy: y_true has shape \(2,\)"):
        metrics.sparse_categorical_accuracy([0, 1], probs)


# -- properties on hypothesis-drawn masks ---------------------------------------------------

@st.composite
def mask_pairs(draw, max_classes=5):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=5))
    k = draw(st.integers(2, max_classes))
    a = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, k - 1)))
    b = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, k - 1)))
    return a, b, k


def present(a, b, k):
    return np.isin(np.arange(k), np.concatenate([a.ravel(), b.ravel()]))


@settings(max_examples=50, deadline=None)
@given(mask_pairs())
def test_iou_of_a_mask_with_itself_is_one(pair):
    a, _, k = pair
    iou = metrics.iou_per_class(a, a, num_classes=k)
    here = present(a, a, k)
    assert np.all(iou[here] == 1) and np.all(np.isnan(iou[~here]))
    assert metrics.mean_iou(a, a, num_classes=k) == 1.0
    assert np.all(metrics.dice_per_class(a, a, num_classes=k)[here] == 1)


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                  elements=st.integers(0, 1)))
def test_iou_of_a_binary_mask_with_its_complement_is_zero(a):
    iou = metrics.iou_per_class(a, 1 - a, num_classes=2)
    np.testing.assert_array_equal(iou, [0.0, 0.0])     # both classes present, no overlap
    assert metrics.mean_iou(a, 1 - a, num_classes=2) == 0.0
    assert metrics.pixel_accuracy(a, 1 - a) == 0.0


@settings(max_examples=50, deadline=None)
@given(mask_pairs())
def test_iou_and_dice_are_symmetric(pair):
    a, b, k = pair
    np.testing.assert_array_equal(metrics.iou_per_class(a, b, k), metrics.iou_per_class(b, a, k))
    np.testing.assert_array_equal(metrics.dice_per_class(a, b, k),
                                  metrics.dice_per_class(b, a, k))
    iou, dice = metrics.iou_per_class(a, b, k), metrics.dice_per_class(a, b, k)
    np.testing.assert_allclose(dice, 2 * iou / (1 + iou), rtol=1e-12)    # NaN where both NaN


@settings(max_examples=50, deadline=None)
@given(mask_pairs(), st.randoms(use_true_random=False))
def test_relabelling_both_masks_permutes_the_ious(pair, random):
    a, b, k = pair
    perm = np.array(random.sample(range(k), k))            # class c becomes perm[c]
    iou = metrics.iou_per_class(a, b, k)
    relabelled = metrics.iou_per_class(perm[a], perm[b], k)
    np.testing.assert_array_equal(relabelled[perm], iou)
    assert metrics.mean_iou(perm[a], perm[b], k) == pytest.approx(metrics.mean_iou(a, b, k))


@settings(max_examples=40, deadline=None)
@given(mask_pairs(), st.integers(1, 4), st.sampled_from([None, 0, 255]))
def test_mean_iou_accumulated_over_batches_equals_the_one_shot_value(pair, batches, ignore):
    a, b, k = pair
    if ignore == 255:                                       # some void pixels in y_true
        a = np.where((np.arange(a.size) % 3 == 0).reshape(a.shape), 255, a)
    probs = scores_for(b, k)
    m = MeanIoU(num_classes=None, ignore_class=ignore, sparse_y_pred=False)
    for chunk_a, chunk_p in zip(np.array_split(a, batches), np.array_split(probs, batches)):
        if chunk_a.size:
            m.update_state(chunk_a, chunk_p)
    keep = a != ignore
    ignore_classes = (ignore,) if ignore == 0 else ()
    expected = (metrics.mean_iou(a[keep], b[keep], num_classes=k, ignore_classes=ignore_classes)
                if keep.any() else math.nan)               # every pixel ignored: no class
    if math.isnan(expected):
        assert math.isnan(m.result())
    else:
        assert m.result() == pytest.approx(expected, rel=1e-12)
    m.reset_state()                                         # an empty matrix again
    assert m.total_cm.sum() == 0 and math.isnan(m.result())


# -- MeanIoU ------------------------------------------------------------------------------

def test_mean_iou_keras_docstring_example():
    # keras.metrics.MeanIoU(num_classes=2): cm = [[1, 1], [1, 1]] → IoU [1/3, 1/3]
    m = MeanIoU(num_classes=2)
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    assert m.result() == pytest.approx(1 / 3)
    m.reset_state()
    # weights 0.3, 0.3, 0.3, 0.1: cm = [[0.3, 0.3], [0.3, 0.1]] → IoU [0.3/0.9, 0.1/0.7]
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    assert m.result() == pytest.approx((1 / 3 + 1 / 7) / 2)
    assert m.name == "mean_io_u"


def test_mean_iou_void_pixels_are_dropped():
    # 255 marks void pixels: they count for no class, and 255 is no class of K = 3
    true = np.array([[0, 255, 1], [1, 2, 255]])
    pred = np.array([[0, 2, 1], [1, 2, 0]])
    m = MeanIoU(num_classes=3, ignore_class=255)
    m.update_state(true, pred)
    assert m.result() == pytest.approx(1.0)       # every counted pixel is right
    # with ignore_class=1 the 255 pixels count, and 255 is out of range for K = 3
    with pytest.raises(ValueError, match=r"MeanIoU: y_true holds label 255, out of range"):
        MeanIoU(num_classes=3, ignore_class=1).update_state(true, pred)
    m = MeanIoU(num_classes=3, ignore_class=1)
    m.update_state(TRUE, PRED)
    # pairs without true class 1: (0,0) (0,1) (2,2) (2,0): C = [[1,1,0],[0,0,0],[1,0,1]]
    # IoU_0 = 1/(2+2-1) = 1/3, IoU_2 = 1/(2+1-1) = 1/2, class 1 left out
    assert m.result() == pytest.approx((1 / 3 + 1 / 2) / 2)


def test_get_mean_iou_is_a_fresh_metric_for_softmax_outputs():
    a, b = metrics.get("mean_iou"), metrics.get("MeanIoU")
    assert isinstance(a, MeanIoU) and isinstance(b, MeanIoU) and a is not b
    assert a.sparse_y_pred is False and a.num_classes is None
    a.update_state(TRUE, scores_for(PRED, 3))
    assert a.num_classes == 3 and a.result() == pytest.approx(0.5)
    assert a(TRUE, scores_for(PRED, 3)) == pytest.approx(0.5)     # Keras' __call__: update
    assert metrics.get("accuracy") is metrics.accuracy              # unchanged
    assert metrics.get(a) is a


def test_mean_iou_errors():
    with pytest.raises(ValueError, match=r"MeanIoU: y_pred has shape \(2, 3, 3\), scores for 3 "
                                         r"classes.*pass sparse_y_pred=False"):
        MeanIoU(num_classes=3).update_state(TRUE, scores_for(PRED, 3))
    with pytest.raises(ValueError, match="num_classes=None takes K from y_pred's class axis"):
        MeanIoU().update_state(TRUE, PRED)
    with pytest.raises(ValueError, match="MeanIoU: y_true holds label 2, out of range for 2"):
        MeanIoU(num_classes=2).update_state(TRUE, PRED)
    with pytest.raises(ValueError, match="y_pred has 3 classes on its last axis but num_classes "
                                         "is 4"):
        MeanIoU(num_classes=4, sparse_y_pred=False).update_state(TRUE, scores_for(PRED, 3))
    with pytest.raises(ValueError, match="MeanIoU: num_classes must be a positive int"):
        MeanIoU(num_classes=0)
    with pytest.raises(ValueError, match=r"MeanIoU: sample_weight has shape \(3,\)"):
        MeanIoU(num_classes=3).update_state(TRUE, PRED, sample_weight=np.ones(3))


@pytest.mark.parametrize("call, message", [
    (lambda: metrics.iou_per_class(TRUE, PRED[:, :2]),
     r"iou_per_class: y_true has shape \(2, 3\) and y_pred \(2, 2\)"),
    (lambda: metrics.mean_iou(TRUE, PRED, ignore_classes=(3,)),
     r"mean_iou: ignore_classes holds 3; expected class indices 0..2"),
    (lambda: metrics.dice_per_class(TRUE, PRED, num_classes=2),
     r"dice_per_class: y_true holds label 2, out of range for 2 classes"),
    (lambda: metrics.pixel_accuracy(TRUE, PRED * 0.5),
     r"pixel_accuracy: y_pred holds values that are not whole numbers"),
])
def test_segmentation_errors_name_the_function(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# -- MeanMetricWrapper -------------------------------------------------------------------------

def test_mean_metric_wrapper_weights_batches_by_their_size():
    m = MeanMetricWrapper(metrics.sparse_categorical_accuracy)
    assert m.name == "sparse_categorical_accuracy" and m.result() == 0.0
    probs = np.eye(3)[[0, 1, 2, 0]]
    m.update_state([0, 1, 0], probs[:3])        # 2 of 3 right
    m.update_state([1], probs[3:])              # 0 of 1 right
    assert m.result() == pytest.approx(2 / 4)   # not the mean of batch values (1/3)
    m.reset_state()
    assert m.result() == 0.0
    assert m([0], probs[:1]) == 1.0
    named = MeanMetricWrapper(lambda t, p: 1.0, name="one")
    assert named.name == "one"
    named.update_state([0, 1], probs[:2], sample_weight=[0.5, 0.5])
    assert named.count == 1.0
    with pytest.raises(TypeError, match="MeanMetricWrapper: fn must be a function"):
        MeanMetricWrapper("accuracy")
