"""Lesson 08 (article section 3.2.3 on MNIST): runs, writes its pictures, scores the
digits when given a classifier, and resumes from its checkpoint."""
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

from lesson_helpers import LESSONS, load_lesson, need_mnist


@pytest.fixture(scope="module")
def lesson():
    return load_lesson("08_gan_mnist_digits")


@pytest.fixture(scope="module")
def classifier_path(lesson, tmp_path_factory):
    """Lesson 4's CNN with untrained weights: enough to exercise the scoring."""
    lesson04 = load_lesson("04_mnist_cnn")
    path = tmp_path_factory.mktemp("clf") / "mnist_cnn.weights.npz"
    lesson04.build_model().save_weights(str(path))
    return path


@pytest.fixture(scope="module")
def quick(lesson, classifier_path, tmp_path_factory):
    need_mnist()
    out = tmp_path_factory.mktemp("l08")
    results = lesson.main(["--quick", "--out", str(out), "--classifier", str(classifier_path)])
    return out, results


def test_writes_samples_gif_curves_comparison_and_checkpoint(quick):
    out, results = quick
    for name in ("samples/epoch_001.png", "samples.gif", "curves.png", "loss_comparison.png",
                 "generator.weights.npz", "checkpoint/gan_state.npz",
                 "checkpoint/generator.weights.npz", "checkpoint/discriminator.weights.npz"):
        assert (out / name).stat().st_size > 500, name
    assert results["epochs"] == 1 and not results["interrupted"]


def test_scores_are_in_range(quick):
    scores = quick[1]["scores"]
    assert 0 <= scores["confident"] <= 1
    assert 0 <= scores["class_entropy"] <= np.log(10) + 1e-9
    assert np.isfinite(scores["frechet"]) and scores["frechet"] >= 0


def test_non_saturating_loss_gives_g_the_larger_gradient_early(quick):
    comparison = quick[1]["comparison"]
    assert comparison["non_saturating"]["g_grad_norm"] > 1.5 * comparison["saturating"]["g_grad_norm"]


def test_ctrl_c_then_resume_ends_bit_for_bit_where_an_uninterrupted_run_ends(lesson, tmp_path):
    """A real SIGINT to the running lesson, then --resume, against one straight run."""
    need_mnist()
    args = ["--quick", "--compare-steps", "0", "--classifier", "/nonexistent"]
    env = dict(os.environ, PYTHONUNBUFFERED="1", MPLBACKEND="Agg")
    interrupted = tmp_path / "interrupted"
    # a child gets SIGINT's default handling (a background shell job may ignore it)
    child = subprocess.Popen([sys.executable, "08_gan_mnist_digits.py", *args, "--epochs", "40",
                              "--out", str(interrupted)], cwd=LESSONS, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    output = []
    for line in child.stdout:
        output.append(line)
        if line.startswith("epoch 2/40"):
            child.send_signal(signal.SIGINT)
    assert child.wait(timeout=120) == 0, "".join(output)
    text = "".join(output)
    assert "interrupted during epoch" in text and "--resume" in text, text
    finished = int(re.search(r"stopped after (\d+) finished epochs", text).group(1))
    assert 2 <= finished < 40

    resumed = lesson.main([*args, "--resume", "--epochs", str(finished + 1), "--out", str(interrupted)])
    straight = lesson.main([*args, "--epochs", str(finished + 1), "--out", str(tmp_path / "straight")])
    assert resumed["history"]["d_loss"] == straight["history"]["d_loss"]
    with np.load(interrupted / "generator.weights.npz") as a, \
            np.load(tmp_path / "straight" / "generator.weights.npz") as b:
        assert len(a.files) == len(b.files)
        for key_a, key_b in zip(a.files, b.files):   # layer names differ between the runs
            np.testing.assert_array_equal(a[key_a], b[key_b])
    assert (interrupted / "samples" / f"epoch_{finished + 1:03d}.png").exists()


def test_resume_without_a_checkpoint_says_so(lesson, tmp_path):
    need_mnist()
    with pytest.raises(SystemExit, match="no checkpoint"):
        lesson.main(["--quick", "--out", str(tmp_path), "--resume"])


# after its 8 steps the DCGAN's samples are still alike, and GAN.fit says so
@pytest.mark.filterwarnings("ignore:epoch 1. the samples look alike")
def test_dcgan_variant_runs(lesson, tmp_path):
    need_mnist()
    results = lesson.main(["--quick", "--dcgan", "--out", str(tmp_path), "--compare-steps", "0",
                           "--classifier", "/nonexistent"])
    assert results["epochs"] == 1
    assert (tmp_path / "samples" / "epoch_001.png").exists()
