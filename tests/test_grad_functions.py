"""Gradient property tests of the Functions that no public op of tinydl.functional reaches
as a node of the graph, each applied directly with its options: the resampling gather of
the augmentation layers, the fused losses' sparse cross-entropy and soft Dice, and the
depthwise cross-correlation (depthwise_conv2d calls its methods inside a node of its own).

Every check is gradcheck in float64 over every input element (central differences against
backward, contracted with a random upstream gradient). All four ops are smooth where they
are evaluated (linear in x, log-softmax, a ratio with a denominator ≥ smooth > 0), so
there are no kinks to steer away from; with values of order one the central difference
is off by about 1e-10, and the tolerances below leave four orders of magnitude of room
while a wrong gradient is off by O(0.1) or more.
"""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinydl.gradcheck import gradcheck
from tinydl.layers.augmentation import _GatherOp
from tinydl.losses import SoftDiceOp, SparseCategoricalCrossentropyFromLogitsOp
from tinydl.ops.depthwise import DepthwiseCorrelate2dOp
from tinydl.testing import strategies as tst

ATOL, RTOL = 1e-6, 1e-5   # |analytic - numeric| ≤ ATOL + RTOL·|numeric|, per element

positions = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)


def labels_for(data, shape, k):
    return data.draw(hnp.arrays(np.int64, shape, elements=st.integers(0, k - 1)))


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_grad_gather_op(data):
    """out[n, p, c] = Σ_k w[n, p, k]·x[n, idx[n, p, k], c] + fill·w_out[n, p]; the
    indices repeat, so the backward's scatter-add must add, not overwrite."""
    n, p_in, c = (data.draw(st.integers(1, m)) for m in (2, 6, 3))
    p_out, k = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 4))
    x = data.draw(tst.arrays((n, p_in, c)))
    idx = data.draw(hnp.arrays(np.int64, (n, p_out, k), elements=st.integers(0, p_in - 1)))
    w = data.draw(tst.arrays((n, p_out, k), -2.0, 2.0))
    w_out = data.draw(tst.arrays((n, p_out), 0.0, 1.0))
    fill = data.draw(st.floats(-1.0, 1.0))
    gradcheck(lambda x: _GatherOp.apply(x, idx=idx, w=w, w_out=w_out, fill=fill), x,
              atol=ATOL, rtol=RTOL)


@settings(max_examples=20, deadline=None)
@given(positions, st.integers(1, 4), st.booleans(), st.data())
def test_grad_sparse_categorical_crossentropy_from_logits_op(shape, k, reduce, data):
    """L = -Σ_i c_i·log_softmax(z_i)[y_i] (reduce) or its terms, one per position i;
    any coefficients c_i (the loss passes weight / count, 0 where ignored)."""
    z = data.draw(tst.arrays(shape + (k,), -4.0, 4.0))
    labels = labels_for(data, shape, k)
    coef = data.draw(tst.arrays(shape, 0.0, 2.0))
    gradcheck(lambda z: SparseCategoricalCrossentropyFromLogitsOp.apply(
        z, labels=labels, coef=coef, reduce=reduce), z, atol=ATOL, rtol=RTOL)


@settings(max_examples=20, deadline=None)
@given(positions, st.integers(1, 4), st.booleans(), st.booleans(), st.data())
def test_grad_soft_dice_op(shape, k, with_labels, weighted, data):
    """L = 1 - mean over the kept classes of (2 I_k + s) / (Σ_i w_i p_ik + Σ_i w_i t_ik + s),
    with integer labels or soft targets, with or without per-position weights."""
    p = data.draw(tst.arrays(shape + (k,), 0.05, 0.95))
    targets = (labels_for(data, shape, k) if with_labels
               else data.draw(tst.arrays(shape + (k,), 0.0, 1.0)))
    weights = data.draw(tst.arrays(shape, 0.0, 2.0)) if weighted else None
    smooth = data.draw(st.sampled_from([0.5, 1.0]))
    kept = data.draw(st.lists(st.integers(0, k - 1), min_size=1, max_size=k, unique=True))
    gradcheck(lambda p: SoftDiceOp.apply(p, targets=targets, weights=weights, smooth=smooth,
                                         kept=sorted(kept)), p, atol=ATOL, rtol=RTOL)


@settings(max_examples=20, deadline=None)
@given(tst.conv_geometries(max_size=6, max_dilation=3), st.booleans(), st.data())
def test_grad_depthwise_correlate2d_op(g, with_bias, data):
    """y[n, i, j, c·M + m] = Σ_{a,b} w[a, b, c, m]·x_p[n, s·i + d·a, s·j + d·b, c] (+ b),
    with respect to x, the kernel (kh, kw, C, M) and the bias (C·M,)."""
    x = data.draw(tst.arrays(g.x_shape))
    w = data.draw(tst.arrays((g.kh, g.kw, g.c_in, g.c_out)))
    options = dict(strides=g.strides, padding=g.padding, dilation_rate=g.dilation)
    if with_bias:
        b = data.draw(tst.arrays((g.c_in * g.c_out,)))
        gradcheck(lambda x, w, b: DepthwiseCorrelate2dOp.apply(x, w, b, **options), x, w, b,
                  atol=ATOL, rtol=RTOL)
    else:
        gradcheck(lambda x, w: DepthwiseCorrelate2dOp.apply(x, w, **options), x, w,
                  atol=ATOL, rtol=RTOL)
