"""The GAN trainer (tinydl/gan.py), its losses, the Fréchet distance and the image helpers.

The trainer's promises, each checked here:
* a step moves D's weights only in the D step and G's only in the G step;
* an interrupted run (Ctrl-C) resumed from its last checkpoint ends bit for bit where the
  uninterrupted run ends;
* it warns when D wins outright and when the samples collapse to one mode.
"""
import math
import os
import signal
import warnings

import numpy as np
import pytest

from tinydl import activations, losses
from tinydl.ops.activations import stable_sigmoid
from tinydl.autograd import Tensor
from tinydl.gan import (GAN, GANWarning, frechet_distance, mean_pairwise_distance, quality_scores,
                        sample_to_png)
from tinydl.layers import Dense, Dropout, Flatten, LeakyReLU, Reshape
from tinydl.models import Sequential
from tinydl.optimizers import SGD, Adam
from tinydl.utils import set_random_seed
from tinydl.image_grids import image_grid, save_gif


def small_gan(seed=0, latent=3, features=4, dropout=True, generator_loss="non_saturating"):
    """A tiny float64 GAN; D has a dropout layer so that layer randomness is exercised."""
    set_random_seed(seed)
    g = Sequential([Dense(8, input_shape=(latent,)), LeakyReLU(0.2), Dense(features)],
                   dtype="float64")
    d_layers = [Dense(8, input_shape=(features,)), LeakyReLU(0.2)]
    if dropout:
        d_layers.append(Dropout(0.3, seed=seed + 1))
    d = Sequential([*d_layers, Dense(1, activation="sigmoid")], dtype="float64")
    return GAN(g, d, Adam(0.01, beta_1=0.5), Adam(0.01, beta_1=0.5), seed=seed,
               generator_loss=generator_loss)


def real_data(n=40, features=4, seed=5):
    return np.random.default_rng(seed).normal(2.0, 0.5, size=(n, features))


def snapshot(model):
    return [w.data.copy() for w in model.weights]


# -- one step --------------------------------------------------------------------------

def test_d_step_moves_only_d_and_g_step_moves_only_g():
    gan = small_gan()
    x = real_data(16)
    g0, d0 = snapshot(gan.generator), snapshot(gan.discriminator)
    seen = {}
    d_step = gan.d_optimizer.step

    def after_d_step(params):
        d_step(params)
        seen["g_after_d"], seen["d_after_d"] = snapshot(gan.generator), snapshot(gan.discriminator)

    gan.d_optimizer.step = after_d_step
    values = gan.train_step(x)
    assert all(np.array_equal(a, b) for a, b in zip(g0, seen["g_after_d"]))
    assert all(not np.array_equal(a, b) for a, b in zip(d0, seen["d_after_d"]))
    # the G step: every G weight moves, no D weight does
    assert all(not np.array_equal(a, w.data) for a, w in zip(seen["g_after_d"],
                                                              gan.generator.weights))
    assert all(np.array_equal(a, w.data) for a, w in zip(seen["d_after_d"],
                                                          gan.discriminator.weights))
    assert set(values) == {"d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm"}
    assert 0 < values["d_real"] < 1 and 0 < values["d_fake"] < 1 and values["g_grad_norm"] > 0


def test_the_g_step_computes_no_gradient_for_d():
    """D's weights are frozen during the G step: they end the step with the D step's
    gradients, not with those plus the G step's."""
    gan = small_gan(dropout=False)
    x = real_data(16)
    grads = {}
    d_step = gan.d_optimizer.step

    def record(params):
        grads["d"] = [p.grad.copy() for p in params]
        d_step(params)

    gan.d_optimizer.step = record
    gan.train_step(x)
    for before, p in zip(grads["d"], gan.discriminator.trainable_weights):
        np.testing.assert_array_equal(p.grad, before)
    assert all(p.requires_grad for p in gan.discriminator.trainable_weights)


def test_step_losses_are_the_formulas_of_section_3_2_4():
    """The reported losses equal the formulas evaluated on the same logits."""
    gan = small_gan(dropout=False, generator_loss="saturating")
    x = real_data(16)
    state = np.random.default_rng(0)
    state.bit_generator.state = gan.rng.bit_generator.state
    z = state.standard_normal((16, gan.latent_dim))
    fake = gan.generator(z).data
    d_real = stable_sigmoid(gan.d_logits(x, training=False).data)
    d_fake = stable_sigmoid(gan.d_logits(fake, training=False).data)
    values = gan.train_step(x)
    expected_d = -np.mean(np.log(d_real)) - np.mean(np.log(1 - d_fake))
    assert values["d_loss"] == pytest.approx(expected_d, rel=1e-12)
    assert values["d_real"] == pytest.approx(d_real.mean(), rel=1e-12)
    assert values["d_fake"] == pytest.approx(d_fake.mean(), rel=1e-12)
    # the G loss is measured after D's update: recompute with the updated D
    g_logits = gan.d_logits(fake, training=False).data
    assert values["g_loss"] == pytest.approx(np.mean(np.log(1 - stable_sigmoid(g_logits))),
                                             rel=1e-12)


# -- checkpoints and Ctrl-C --------------------------------------------------------------

def test_an_interrupted_run_resumes_bit_for_bit(tmp_path):
    x = real_data(40)
    straight = small_gan(seed=3)
    straight.fit(x, epochs=3, batch_size=16, verbose=0)

    interrupted = small_gan(seed=3)
    calls = {"n": 0}
    original = interrupted.train_step

    def ctrl_c_in_epoch_2(batch):
        calls["n"] += 1
        if calls["n"] == 5:          # epoch 1 has 3 steps: this is epoch 2's second step
            raise KeyboardInterrupt
        return original(batch)

    interrupted.train_step = ctrl_c_in_epoch_2
    interrupted.fit(x, epochs=3, batch_size=16, checkpoint=tmp_path / "ckpt", verbose=0)
    assert interrupted.interrupted and interrupted.epoch == 1

    resumed = small_gan(seed=99)      # different initial weights and generators
    assert resumed.load_checkpoint(tmp_path / "ckpt") == 1
    resumed.fit(x, epochs=3, batch_size=16, verbose=0)
    for a, b in zip(straight.generator.weights + straight.discriminator.weights,
                    resumed.generator.weights + resumed.discriminator.weights):
        np.testing.assert_array_equal(a.data, b.data)
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert straight.history[key] == resumed.history[key]
    np.testing.assert_array_equal(straight.fixed_noise, resumed.fixed_noise)


def test_ctrl_c_during_a_checkpoint_save_waits_for_the_whole_checkpoint(tmp_path, capsys):
    """A real SIGINT between the generator's and the discriminator's file: the save
    finishes (all three files of epoch 2), then fit stops and says which epoch it holds."""
    x = real_data(32)
    gan = small_gan(seed=4)
    save_weights = gan.generator.save_weights
    saves = {"n": 0}

    def save_then_ctrl_c(path):
        save_weights(path)
        saves["n"] += 1
        if saves["n"] == 2:                        # epoch 2's generator file is written
            os.kill(os.getpid(), signal.SIGINT)

    gan.generator.save_weights = save_then_ctrl_c
    gan.fit(x, epochs=5, batch_size=16, checkpoint=tmp_path / "ckpt", verbose=0)
    assert gan.interrupted and gan.epoch == 2 and gan.checkpoint_epoch == 2
    assert "interrupted after 2 finished epochs; the checkpoint in" in capsys.readouterr().out
    resumed = small_gan(seed=9)
    assert resumed.load_checkpoint(tmp_path / "ckpt") == 2
    for a, b in zip(gan.generator.weights + gan.discriminator.weights,
                    resumed.generator.weights + resumed.discriminator.weights):
        np.testing.assert_array_equal(a.data, b.data)   # D's file is epoch 2's too


def test_ctrl_c_before_an_epochs_save_names_the_epoch_the_checkpoint_holds(tmp_path, capsys):
    x = real_data(32)
    gan = small_gan(seed=4)

    def on_epoch_end(gan, logs):                  # e.g. Ctrl-C while a sample grid is drawn
        if gan.epoch == 3:
            raise KeyboardInterrupt

    gan.fit(x, epochs=5, batch_size=16, checkpoint=tmp_path / "ckpt", verbose=0,
            on_epoch_end=on_epoch_end)
    assert gan.epoch == 3 and gan.checkpoint_epoch == 2
    assert f"interrupted after 3 finished epochs; the checkpoint in {tmp_path / 'ckpt'} holds epoch 2" \
        in capsys.readouterr().out
    fresh = small_gan(seed=4)

    def first(gan, logs):
        if gan.epoch == 1:
            raise KeyboardInterrupt

    fresh.fit(x, epochs=5, batch_size=16, checkpoint=tmp_path / "other", verbose=0,
              on_epoch_end=first)
    assert "holds no checkpoint of this run yet" in capsys.readouterr().out


def test_the_next_step_after_loading_a_checkpoint_is_the_saved_runs_next_step(tmp_path):
    x = real_data(32)
    a = small_gan(seed=1)
    a.fit(x, epochs=1, batch_size=16, verbose=0)
    a.save_checkpoint(tmp_path / "c")
    b = small_gan(seed=2)
    b.load_checkpoint(tmp_path / "c")
    va, vb = a.train_step(x[:16]), b.train_step(x[:16])
    assert va == vb
    for wa, wb in zip(a.discriminator.weights + a.generator.weights,
                      b.discriminator.weights + b.generator.weights):
        np.testing.assert_array_equal(wa.data, wb.data)


def test_checkpoint_errors_name_what_is_missing(tmp_path):
    gan = small_gan()
    with pytest.raises(FileNotFoundError, match="gan_state.npz"):
        gan.load_checkpoint(tmp_path)
    gan.save_checkpoint(tmp_path / "c")
    without_dropout = small_gan(dropout=False)
    with pytest.raises(ValueError, match="layer 2"):
        without_dropout.load_checkpoint(tmp_path / "c")


def test_the_generator_weights_in_a_checkpoint_load_on_their_own(tmp_path):
    gan = small_gan()
    gan.fit(real_data(32), epochs=1, batch_size=16, checkpoint=tmp_path, verbose=0)
    other = small_gan(seed=7)
    other.generator.load_weights(str(tmp_path / "generator.weights.npz"))
    z = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_array_equal(other.generate(noise=z), gan.generate(noise=z))


# -- health warnings ---------------------------------------------------------------------

def test_warns_when_d_wins_outright():
    gan = small_gan(dropout=False)
    gan.discriminator.layers[-1].bias.data[...] = -20.0  # D says "fake" to everything
    gan.d_optimizer, gan.g_optimizer = SGD(1e-12), SGD(1e-12)
    with pytest.warns(GANWarning, match="D wins outright"):
        gan.fit(real_data(32), epochs=1, batch_size=16, verbose=0)


def test_warns_on_mode_collapse_and_not_for_varied_samples():
    gan = small_gan(dropout=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GANWarning)       # varied samples: no warning
        gan.fit(real_data(32), epochs=1, batch_size=16, verbose=0)
    for w in gan.generator.layers[-1].weights[:1]:
        w.data[...] = 0.0                                 # G's output = its bias: one sample
    gan.g_optimizer = SGD(1e-12)
    with pytest.warns(GANWarning, match="mode collapse"):
        gan.fit(real_data(32), epochs=2, batch_size=16, verbose=0)


def test_mean_pairwise_distance():
    x = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
    assert mean_pairwise_distance(x) == pytest.approx((5 + 10 + 5) / 3)


def test_errors():
    g = Sequential([Dense(2, input_shape=(3,))])
    d = Sequential([Dense(1, activation="relu", input_shape=(2,))])
    with pytest.raises(ValueError, match="logit"):
        GAN(g, d, Adam(), Adam())
    d = Sequential([Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match="generator_loss"):
        GAN(g, d, Adam(), Adam(), generator_loss="minimax")
    opt = Adam()
    with pytest.raises(ValueError, match="two optimizer"):
        GAN(g, d, opt, opt)
    with pytest.raises(ValueError, match="not built"):
        GAN(Sequential([Dense(2)]), d)


# -- the losses ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", losses.GENERATOR_LOSSES)
def test_generator_losses_and_their_gradients(kind):
    logits = np.array([-3.0, -0.5, 0.0, 2.0, 1e4, -1e4])
    l = Tensor(logits, requires_grad=True)
    loss = losses.generator_loss(l, kind)
    loss.backward()
    d = stable_sigmoid(logits)
    if kind == "saturating":      # mean log(1 - D), d/dl = -D / n
        expected = np.mean(np.log1p(-d[:4]).tolist() + [-1e4, 0.0])
        grad = -d / len(d)
    else:                         # -mean log D, d/dl = -(1 - D) / n
        expected = np.mean((-np.log(d[:4])).tolist() + [0.0, 1e4])
        grad = -(1 - d) / len(d)
    assert float(loss.data) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(l.grad, grad, rtol=1e-12, atol=1e-300)
    assert np.isfinite(l.grad).all()


def test_discriminator_loss_is_the_corrected_l_d():
    real, fake = np.array([0.3, 2.0, -1.0]), np.array([-2.0, 0.5])
    dr, df = stable_sigmoid(real), stable_sigmoid(fake)
    expected = -np.mean(np.log(dr)) - np.mean(np.log(1 - df))
    assert float(losses.discriminator_loss(real, fake).data) == pytest.approx(expected, rel=1e-12)
    assert np.isfinite(float(losses.discriminator_loss([1e4, -1e4], [1e4, -1e4]).data))
    with pytest.raises(ValueError, match="kind"):
        losses.generator_loss(real, "wasserstein")


# -- Fréchet distance ----------------------------------------------------------------------

def test_frechet_distance_in_one_dimension_is_mean_and_spread_gap():
    rng = np.random.default_rng(0)
    a, b = rng.normal(1, 2, (500, 1)), rng.normal(-1, 0.5, (300, 1))
    sa, sb = a.std(ddof=1), b.std(ddof=1)
    expected = (a.mean() - b.mean()) ** 2 + (sa - sb) ** 2
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_matches_the_eigenvalues_of_the_covariance_product():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(400, 5)) @ rng.normal(size=(5, 5))
    b = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5)) + 1.0
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # Σ_a Σ_b is not symmetric but has real non-negative eigenvalues
    trace_sqrt = np.sqrt(np.linalg.eigvals(ca @ cb).real.clip(0)).sum()
    expected = (np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(ca) + np.trace(cb)
                - 2 * trace_sqrt)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-8)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-8)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    with pytest.raises(ValueError, match="same d"):
        frechet_distance(a, b[:, :4])


def test_quality_scores_with_a_known_classifier():
    """A 'classifier' whose softmax sees the first 10 pixels times 10: an image with a
    single bright pixel k is class k with probability e^10/(e^10 + 9) > 0.9."""
    clf = Sequential([Flatten(input_shape=(2, 5, 1)), Dense(10, activation="softmax")],
                     dtype="float64")
    clf.layers[1].kernel.data[...] = 10 * np.eye(10)
    clf.layers[1].bias.data[...] = 0.0
    images = np.zeros((20, 2, 5, 1))
    for n in range(20):
        images.reshape(20, 10)[n, n % 4] = 1.0           # classes 0..3, five each
    images[0] = 0.05                                     # a blank-ish image: not confident
    real = np.eye(10)[np.arange(30) % 10] + np.random.default_rng(0).normal(0, .01, (30, 10))
    scores = quality_scores(clf, images, real)
    assert scores["confident"] == pytest.approx(19 / 20)
    share = np.bincount([0] * 5 + [1] * 5 + [2] * 5 + [3] * 5) / 20
    assert scores["class_entropy"] == pytest.approx(-(share * np.log(share)).sum())
    assert scores["class_entropy"] == pytest.approx(math.log(4))
    assert scores["frechet"] > 0


# -- pictures ------------------------------------------------------------------------------

def test_image_grid_places_every_tile():
    images = np.arange(5 * 4).reshape(5, 4) / 19.0              # five flat 2×2 images
    grid = image_grid(images, ncols=3, pad=1)
    assert grid.shape == (2 * 3 + 1, 3 * 3 + 1)
    np.testing.assert_allclose(grid[1:3, 4:6], images[1].reshape(2, 2))
    np.testing.assert_allclose(grid[4:6, 1:3], images[3].reshape(2, 2))
    assert grid[4:6, 7:9].sum() == 0                             # the empty sixth tile
    np.testing.assert_allclose(image_grid(np.full((1, 2, 2, 1), 0.0), value_range=(-1, 1))[1:3, 1:3],
                               0.5)
    with pytest.raises(ValueError, match="square"):
        image_grid(np.zeros((2, 5)))


def test_sample_to_png_and_gif(tmp_path):
    from PIL import Image   # installed with matplotlib

    set_random_seed(0)
    g = Sequential([Dense(16, activation="tanh", input_shape=(3,))])
    path = sample_to_png(g, tmp_path / "s.png", n=6, seed=1)
    picture = np.asarray(Image.open(path).convert("L"), dtype=float)
    assert picture.shape == (2 * (2 * 5 + 1), 2 * (3 * 5 + 1))  # 2×3 tiles of 4 px, pad 1, ×2
    z = np.random.default_rng(1).standard_normal((6, 3)).astype(np.float32)
    expected = image_grid(g(z).data, value_range=(-1, 1))
    # tolerance: the gray colormap's 256-entry table (≤ 1/255), 8-bit rounding of the PNG
    # and of the RGB -> L conversion (≤ 0.5/255 each)
    np.testing.assert_allclose(picture[::2, ::2] / 255.0, expected, atol=2 / 255)
    frames = [np.full((10, 12), v) for v in (0.0, 0.5, 1.0)]
    gif = save_gif(frames, tmp_path / "a.gif", titles=["a", "b", "c"])
    assert Image.open(gif).n_frames == 3


# -- the layers GANs need ------------------------------------------------------------------

def test_leaky_relu_and_reshape_layers():
    x = np.array([[-2.0, 0.5, 3.0, -1.0]])
    np.testing.assert_allclose(LeakyReLU(0.2)(x).data, [[-0.4, 0.5, 3.0, -0.2]], rtol=1e-6)
    assert LeakyReLU().negative_slope == 0.3          # Keras' layer default
    r = Reshape((2, 2, 1))
    assert r(x).shape == (1, 2, 2, 1) and r.compute_output_shape((None, 4)) == (None, 2, 2, 1)
    assert Reshape(**r.get_config()).target_shape == (2, 2, 1)
    with pytest.raises(ValueError, match="holds 6"):
        Reshape((2, 3))(x)
    with pytest.raises(ValueError, match="negative_slope"):
        LeakyReLU(1.5)
