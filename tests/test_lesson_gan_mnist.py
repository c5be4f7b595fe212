"""Lesson 08 (article §3.2.3 on MNIST): runs, writes its pictures, shows the code of the
networks it takes from tinydl.applications, scores the digits when given a classifier,
shows why step 2 must repeat, writes out the step GAN.train_step takes, and resumes from
its checkpoint bit for bit after a real Ctrl-C."""
import inspect
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

from tinydl import applications

from lesson_helpers import LESSONS, lesson_definitions, need_mnist, run_script

STEM = "08_gan_mnist_digits"


@pytest.fixture(scope="module")
def classifier_path(tmp_path_factory):
    """Lesson 4's CNN with untrained weights: enough to exercise the scoring."""
    path = tmp_path_factory.mktemp("clf") / "mnist_cnn.weights.npz"
    applications.article_cnn().save_weights(str(path))
    return path


@pytest.fixture(scope="module")
def quick(classifier_path):
    need_mnist()
    return run_script(STEM, "--classifier", str(classifier_path))


def test_writes_samples_gif_curves_comparison_and_checkpoint(quick):
    out = quick.out / "mlp"
    for name in ("samples/epoch_001.png", "samples.gif", "samples.png", "curves.png",
                 "loss_comparison.png", "generator.weights.npz", "checkpoint/gan_state.npz",
                 "checkpoint/generator.weights.npz", "checkpoint/discriminator.weights.npz"):
        assert (out / name).stat().st_size > 500, name
    assert (quick.out / "affine_generator.png").stat().st_size > 10_000
    assert quick["finished_epochs"] == 1 and not quick["gan"].interrupted
    assert len(quick.figures) == 4


def test_the_learner_sees_the_code_of_the_networks_it_uses(quick):
    """The lesson builds its players and its GAN with tinydl.applications (no copies of
    its own) and prints their code, whole."""
    lesson = lesson_definitions(STEM)
    assert not [name for name in vars(lesson) if name.startswith(("build_", "make_gan"))]
    for name in ("mlp_generator", "mlp_discriminator", "dcgan_generator",
                 "dcgan_discriminator", "mnist_gan", "gan_preprocess_input"):
        assert getattr(lesson, name) is getattr(applications, name)
        assert f"# tinydl.applications.{name}, from tinydl/applications.py line " in quick.stdout
        assert inspect.getsource(getattr(applications, name)).rstrip() in quick.stdout, name


def test_scores_are_in_range(quick):
    scores = quick["scores"]
    assert 0 <= scores["confident"] <= 1
    assert 0 <= scores["class_entropy"] <= np.log(10) + 1e-9
    assert np.isfinite(scores["frechet"]) and scores["frechet"] >= 0


def test_non_saturating_loss_gives_g_the_larger_gradient_early(quick):
    comparison = quick["comparison"]
    assert comparison["non_saturating"]["g_grad_norm"] > 1.5 * comparison["saturating"]["g_grad_norm"]


def test_without_step_2_d_calls_real_digits_fake(quick):
    """§3.2.3's step 5 repeats only steps 3-4: a D that sees real images once rates them
    below the fakes after 20 steps; with step 2 in every step it rates them above."""
    with_step_2, once = quick["d_after_20_steps"][True], quick["d_after_20_steps"][False]
    assert with_step_2["real"] > with_step_2["fake"] + 0.2      # measured 0.95 vs 0.47
    assert once["real"] < once["fake"]                          # measured 0.14 vs 0.39
    assert "without step 2, D rates real digits below the fakes" in quick.stdout


@pytest.mark.parametrize("dcgan", [False, True])
def test_one_step_written_out_is_gan_train_step(dcgan):
    """The lesson's steps 2-4 and GAN.train_step, from the same start on the same batch,
    end with the same weights, to the bit (no MNIST needed)."""
    lesson = lesson_definitions(STEM)
    shape = (32, 28, 28, 1) if dcgan else (32, 784)
    batch = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
    by_hand, library = applications.mnist_gan(dcgan, 3), applications.mnist_gan(dcgan, 3)
    lesson.one_step(by_hand, batch)
    library.train_step(batch)
    for role in ("generator", "discriminator"):
        for a, b in zip(getattr(by_hand, role).weights, getattr(library, role).weights,
                        strict=True):
            np.testing.assert_array_equal(a.data, b.data)
    fresh = applications.mnist_gan(dcgan, 3)
    moved = max(float(np.abs(a.data - b.data).max()) for a, b in
                zip(by_hand.generator.weights + by_hand.discriminator.weights,
                    fresh.generator.weights + fresh.discriminator.weights))
    assert moved > 0                                   # the step did change the weights


def test_ctrl_c_then_resume_ends_bit_for_bit_where_an_uninterrupted_run_ends(tmp_path,
                                                                              monkeypatch):
    """A real SIGINT to the running lesson, then --resume, against one straight run."""
    need_mnist()
    # Bit for bit needs one thread count in every run: by default fit picks it per epoch
    # from the machine's load, and BLAS with 1 or 2 threads rounds a product differently.
    import tinydl.parallel
    threads = tinydl.parallel.get_num_threads()
    monkeypatch.setattr(tinydl.parallel, "_auto", tinydl.parallel._auto)   # restored after
    tinydl.parallel.set_num_threads(threads)
    args = ["--compare-steps", "0", "--classifier", "/nonexistent"]
    env = dict(os.environ, PYTHONUNBUFFERED="1", MPLBACKEND="Agg",
               TINYDL_NUM_THREADS=str(threads))
    env.pop("TINYDL_QUICK", None)
    interrupted = tmp_path / "interrupted"
    # a child gets SIGINT's default handling (a background shell job may ignore it)
    child = subprocess.Popen([sys.executable, f"{STEM}.py", "--quick", *args, "--epochs", "40",
                              "--out", str(interrupted)], cwd=LESSONS, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    output = []
    for line in child.stdout:
        output.append(line)
        if line.startswith("epoch 2/40"):
            child.send_signal(signal.SIGINT)
    assert child.wait(timeout=300) == 0, "".join(output)
    text = "".join(output)
    assert "--resume" in text, text
    said = re.search(r"interrupted after (\d+) finished epochs; the checkpoint in .+ holds "
                     r"epoch (\d+)", text)
    assert said, text
    finished, held = int(said.group(1)), int(said.group(2))
    assert 2 <= finished < 40
    # the SIGINT may land while epoch `finished`'s sample grid is being written, before its
    # checkpoint: then the message names the previous epoch, and resuming starts there
    assert held in (finished - 1, finished)

    resumed = run_script(STEM, *args, "--resume", "--epochs", str(finished + 1), out=interrupted)
    restored = int(re.search(r"resuming after epoch (\d+)", resumed.stdout).group(1))
    assert restored == held
    straight = run_script(STEM, *args, "--epochs", str(finished + 1), out=tmp_path / "straight")
    assert resumed["history"]["d_loss"] == straight["history"]["d_loss"]
    with np.load(interrupted / "mlp" / "generator.weights.npz") as a, \
            np.load(tmp_path / "straight" / "mlp" / "generator.weights.npz") as b:
        assert len(a.files) == len(b.files)
        for key_a, key_b in zip(a.files, b.files):   # layer names differ between the runs
            np.testing.assert_array_equal(a[key_a], b[key_b])
    assert (interrupted / "mlp" / "samples" / f"epoch_{finished + 1:03d}.png").exists()


def test_resume_without_a_checkpoint_says_so(tmp_path):
    need_mnist()
    with pytest.raises(SystemExit, match="no checkpoint"):
        run_script(STEM, "--resume", out=tmp_path)


# after its 8 steps the DCGAN's samples are still alike, and GAN.fit says so
@pytest.mark.filterwarnings("ignore:epoch 1. the samples look alike")
def test_dcgan_variant_runs(tmp_path):
    need_mnist()
    run = run_script(STEM, "--dcgan", "--compare-steps", "0", "--classifier", "/nonexistent",
                     out=tmp_path)
    assert run["finished_epochs"] == 1
    assert run["gan"].generator.name == "dcgan_generator"
    assert (tmp_path / "dcgan" / "samples" / "epoch_001.png").exists()
