"""The whole framework runs on either set of kernels, and both train the same networks.

`tinydl.set_kernels("reference")` (or TINYDL_KERNELS=reference) hands every op to
tinydl/ops/reference/, each op written as its formula reads. tests/test_reference_*.py
prove each op equal to its fast kernel; here whole training runs are compared: lesson 0's
network written out with the engine, and a Keras-style CNN trained by `fit` (whose
Conv2D(relu) → MaxPooling2D pairs the fast kernels run as one fused op), each for a few
dozen steps from the same seed on both kernels.

Tolerance: the two kernels add the same products in a different order, so each op differs
by a few units in the last place; Adam's steps carry such differences forward. Measured
after 36 steps: lesson 0's losses agree to 4e-7 relative in float32 and 5e-16 in float64,
the fitted CNN's to 1e-8 (its kernels to 6e-8). The tests allow 1e-5 (float32) and 1e-12
(float64), far below the change one training step makes (about 8% of the loss).
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import tinydl
import tinydl.functional as F
from tinydl import Tensor, initializers, losses, optimizers
from tinydl.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D
from tinydl.models import Sequential
from tinydl.ops import get_kernels, use_kernels

from kernel_helpers import function_names
from lesson_helpers import LESSONS, lesson_definitions

STEPS = 36


def train_lesson0(dtype, steps: int = STEPS) -> tuple[list[float], set[str]]:
    """Lesson 0's network and loop (lessons/00_tiny_cnn_on_generated_bars.py): conv2d →
    relu → max_pool2d → flatten → dense, cross-entropy from logits, Adam 0.01, batch 32.
    Returns the losses of `steps` steps and the Function classes of the first step's graph."""
    make_bars = lesson_definitions("00_tiny_cnn_on_generated_bars").make_bars
    rng = np.random.default_rng(0)
    x, y = make_bars(32 * 12, rng)
    x = x.astype(dtype)
    shapes = ((3, 3, 1, 8), (8,), (5 * 5 * 8, 3), (3,))
    params = [Tensor((initializers.glorot_uniform(s, rng) if len(s) > 1 else np.zeros(s))
                     .astype(dtype), requires_grad=True) for s in shapes]
    kernels, k_bias, weights, bias = params
    optimizer = optimizers.Adam(learning_rate=0.01)
    history, classes = [], set()
    for step in range(steps):
        idx = np.arange(step * 32, step * 32 + 32) % len(x)
        h = F.relu(F.conv2d(x[idx], kernels, k_bias))
        z = F.flatten(F.max_pool2d(h, 2)) @ weights + bias
        loss = losses.categorical_crossentropy(np.eye(3, dtype=dtype)[y[idx]], z,
                                               from_logits=True)
        if step == 0:
            classes = function_names(loss)
        optimizer.zero_grad(params)
        loss.backward()
        optimizer.step(params)
        history.append(float(loss.data))
    return history, classes


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_lesson0_trains_the_same_on_both_kernels(dtype, rtol):
    with use_kernels("fast"):
        fast, fast_ops = train_lesson0(dtype)
    with use_kernels("reference"):
        ref, ref_ops = train_lesson0(dtype)
    assert get_kernels() == "fast"                        # the block restored the default
    # each run really ran its own kernels: *Op classes on one side, *Ref on the other
    assert {"Conv2dOp", "ReluOp", "MaxPool2dOp", "MatmulOp"} <= fast_ops
    assert not any(name.endswith("Ref") for name in fast_ops)
    assert {"Conv2dRef", "ReluRef", "MaxPool2dRef", "MatmulRef"} <= ref_ops
    assert not any(name.endswith("Op") for name in ref_ops), ref_ops
    np.testing.assert_allclose(ref, fast, rtol=rtol)
    assert fast[-1] < 0.7 * fast[0]                       # and it did learn


def small_cnn() -> Sequential:
    return Sequential([Input((12, 12, 1)), Conv2D(6, 3, activation="relu"), MaxPooling2D(),
                       Conv2D(8, 3, activation="relu", padding="same"), MaxPooling2D(),
                       Flatten(), Dropout(0.25), Dense(3, activation="softmax")], seed=3)


def fit_small_cnn() -> tuple[list[float], np.ndarray]:
    """`fit` a small Keras-style CNN for STEPS batches; the per-batch losses and the final
    weights of the first kernel."""
    make_bars = lesson_definitions("00_tiny_cnn_on_generated_bars").make_bars
    x, y = make_bars(16 * STEPS // 2, np.random.default_rng(1))
    model = small_cnn()
    assert len(model._fused) == 2          # the fast kernels run both blocks as one fused op
    model.compile(optimizer=optimizers.Adam(0.005), loss="sparse_categorical_crossentropy")
    batch_losses: list[float] = []
    record = tinydl.callbacks.LambdaCallback(
        on_train_batch_end=lambda step, logs: batch_losses.append(logs["loss"]))
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[record])
    return batch_losses, model.layers[0].kernel.data.copy()


def test_a_keras_style_cnn_fits_the_same_on_both_kernels():
    # one thread for both runs: fit otherwise picks the count per epoch from the load, and
    # BLAS sums in another order with 1 or 2 threads
    saved, auto = tinydl.get_num_threads(), tinydl.parallel._auto
    tinydl.set_num_threads(1)
    try:
        with use_kernels("fast"):
            fast, fast_kernel = fit_small_cnn()
        with use_kernels("reference"):
            ref, ref_kernel = fit_small_cnn()
    finally:
        tinydl.set_num_threads(saved)
        tinydl.parallel._auto = auto
    assert len(fast) == STEPS
    np.testing.assert_allclose(ref, fast, rtol=1e-5)
    np.testing.assert_allclose(ref_kernel, fast_kernel, rtol=1e-5, atol=1e-6)
    assert fast[-1] < fast[0]


def test_the_model_runs_reference_ops_inside_the_block():
    model = small_cnn()
    x = np.random.default_rng(2).random((4, 12, 12, 1), dtype=np.float32)
    with use_kernels("reference"):
        ref_ops = function_names(model(x, training=True))
    fast_ops = function_names(model(x, training=True))
    assert "Conv2dReluMaxPoolOp" in fast_ops and not any(n.endswith("Ref") for n in fast_ops)
    assert {"Conv2dRef", "ReluRef", "MaxPool2dRef", "DropoutRef", "SoftmaxRef"} <= ref_ops
    assert not any(n.endswith("Op") for n in ref_ops), ref_ops


def test_set_kernels_refuses_unknown_names_and_the_environment_is_read_at_import():
    with pytest.raises(ValueError, match="'fast', 'reference'"):
        tinydl.set_kernels("slow")
    assert get_kernels() == "fast"
    code = "import tinydl; print(tinydl.get_kernels())"
    env = dict(os.environ, TINYDL_KERNELS="reference")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "reference"
    env["TINYDL_KERNELS"] = "fastest"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "TINYDL_KERNELS" in bad.stderr


def test_lesson0_runs_on_the_reference_kernels(tmp_path):
    env = dict(os.environ, TINYDL_KERNELS="reference", MPLBACKEND="Agg")
    env.pop("TINYDL_QUICK", None)
    result = subprocess.run([sys.executable, "00_tiny_cnn_on_generated_bars.py", "--quick",
                             "--out", str(tmp_path)], cwd=LESSONS, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "kernels: reference" in result.stdout
    assert "test accuracy" in result.stdout
