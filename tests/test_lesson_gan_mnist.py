"""Lesson 08 (article section 3.2.3 on MNIST): runs, writes its pictures, scores the
digits when given a classifier, and resumes from its checkpoint."""
import numpy as np
import pytest

from lesson_helpers import load_lesson, need_mnist


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


def test_resume_continues_from_the_checkpoint(lesson, quick):
    out, first = quick
    resumed = lesson.main(["--quick", "--out", str(out), "--resume", "--epochs", "2",
                           "--classifier", "/nonexistent"])
    assert resumed["epochs"] == 2
    assert resumed["history"]["d_loss"][0] == first["history"]["d_loss"][0]
    assert len(resumed["history"]["d_loss"]) == 2
    assert (out / "samples" / "epoch_002.png").exists()


def test_resume_without_a_checkpoint_says_so(lesson, tmp_path):
    need_mnist()
    with pytest.raises(SystemExit, match="no checkpoint"):
        lesson.main(["--quick", "--out", str(tmp_path), "--resume"])


def test_dcgan_variant_runs(lesson, tmp_path):
    need_mnist()
    results = lesson.main(["--quick", "--dcgan", "--out", str(tmp_path), "--compare-steps", "0",
                           "--classifier", "/nonexistent"])
    assert results["epochs"] == 1
    assert (tmp_path / "samples" / "epoch_001.png").exists()
