"""tinydl.applications: the lessons' shared networks. Each network has the architecture the
lessons describe (layer kinds, output shapes, and parameter counts summed from the layer
shapes the lessons give, not totals typed in), trains on tiny data (a finite, falling
loss), and article_cnn is lesson 4's `build_model`, weight for weight."""
from __future__ import annotations

import numpy as np
import pytest

from tinydl.applications import (LATENT_DIM, UNET_FILTERS, article_cnn, dcgan_discriminator,
                                 dcgan_generator, gan_images_to_cnn_input,
                                 gan_preprocess_input, mlp_discriminator, mlp_generator,
                                 mnist_gan, unet)
from tinydl.optimizers import Adam
from tinydl.utils import set_random_seed

from lesson_helpers import lesson_definitions


def kinds(model) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


def shapes(model) -> list[tuple]:
    return [tuple(layer.output_shape) for layer in model.layers]


def dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    return n_in * n_out + (n_out if bias else 0)


def conv_params(k: int, c_in: int, c_out: int, bias: bool = True) -> int:
    return k * k * c_in * c_out + (c_out if bias else 0)


def falls(losses: list[float]) -> bool:
    """Every loss finite, and the mean of the last three below the mean of the first three
    (a single step may rise: dropout, minibatches)."""
    return bool(np.all(np.isfinite(losses)) and np.mean(losses[-3:]) < np.mean(losses[:3]))


# -- article_cnn -------------------------------------------------------------------------

def test_article_cnn_is_lesson_4s_build_model():
    """Same layer classes, configurations (but the automatic names) and output shapes, and
    from the same seed the same weights and the same predictions."""
    build_model = lesson_definitions("04_mnist_cnn").build_model
    set_random_seed(11)
    lesson = build_model()
    set_random_seed(11)
    package = article_cnn()
    assert kinds(package) == kinds(lesson)
    assert shapes(package) == shapes(lesson)
    for ours, theirs in zip(package.layers, lesson.layers, strict=True):
        mine = {k: v for k, v in ours.get_config().items() if k != "name"}
        assert mine == {k: v for k, v in theirs.get_config().items() if k != "name"}
    weights = package.get_weights()
    assert len(weights) == len(lesson.get_weights()) == 8
    for a, b in zip(weights, lesson.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    x = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    np.testing.assert_array_equal(package.predict(x), lesson.predict(x))
    set_random_seed(12)                      # another seed, other weights: the test can fail
    assert not np.array_equal(article_cnn().get_weights()[0], weights[0])


def test_article_cnn_layers_shapes_and_parameters():
    model = article_cnn()
    assert kinds(model) == ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten",
                            "Dense", "Dropout", "Dense"]
    side1 = (28 - 2) // 2                   # a valid 3×3 convolution, then 2×2 pooling
    side2 = (side1 - 2) // 2
    assert shapes(model) == [(None, 26, 26, 32), (None, side1, side1, 32), (None, 11, 11, 64),
                             (None, side2, side2, 64), (None, side2 * side2 * 64),
                             (None, 128), (None, 128), (None, 10)]
    expected = (conv_params(3, 1, 32) + conv_params(3, 32, 64)
                + dense_params(side2 * side2 * 64, 128) + dense_params(128, 10))
    assert model.count_params() == expected
    assert model.layers[-1].activation.__name__ == "softmax"
    assert model.layers[6].rate == 0.5


def test_article_cnn_loads_weights_and_trains(tmp_path):
    set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((40, 28, 28, 1), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 40)]
    model = article_cnn()
    model.compile(optimizer=Adam(learning_rate=1e-3), loss="categorical_crossentropy")
    history = model.fit(x, y, batch_size=20, epochs=8, verbose=0).history["loss"]
    assert falls(history), history
    path = tmp_path / "cnn.weights.npz"
    model.save_weights(str(path))
    set_random_seed(1)
    loaded = article_cnn(weights=path)
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


# -- lesson 8's GANs ---------------------------------------------------------------------

@pytest.mark.parametrize("latent_dim", [LATENT_DIM, 7])
def test_mlp_pair_layers_shapes_and_parameters(latent_dim):
    generator, discriminator = mlp_generator(latent_dim), mlp_discriminator()
    assert kinds(generator) == ["Dense", "LeakyReLU", "Dense", "LeakyReLU", "Dense"]
    assert kinds(discriminator) == kinds(generator)
    assert shapes(generator)[::2] == [(None, 256), (None, 512), (None, 784)]
    assert shapes(discriminator)[::2] == [(None, 512), (None, 256), (None, 1)]
    widths_g, widths_d = [latent_dim, 256, 512, 784], [784, 512, 256, 1]
    assert generator.count_params() == sum(dense_params(a, b) for a, b in
                                           zip(widths_g, widths_g[1:]))
    assert discriminator.count_params() == sum(dense_params(a, b) for a, b in
                                               zip(widths_d, widths_d[1:]))
    assert generator.layers[-1].activation.__name__ == "tanh"
    assert discriminator.layers[-1].activation.__name__ == "sigmoid"
    assert [layer.negative_slope for layer in generator.layers[1::2]] == [0.2, 0.2]


@pytest.mark.parametrize("latent_dim", [LATENT_DIM, 7])
def test_dcgan_pair_layers_shapes_and_parameters(latent_dim):
    generator, discriminator = dcgan_generator(latent_dim), dcgan_discriminator()
    assert kinds(generator) == ["Dense", "BatchNormalization", "LeakyReLU", "Reshape",
                                "Conv2DTranspose", "BatchNormalization", "LeakyReLU",
                                "Conv2DTranspose"]
    assert shapes(generator) == [(None, 7 * 7 * 64)] * 3 + [(None, 7, 7, 64)] + \
        [(None, 14, 14, 32)] * 3 + [(None, 28, 28, 1)]
    batch_norm = 4      # γ and β, trained; the moving mean and variance, kept
    assert generator.count_params() == (dense_params(latent_dim, 7 * 7 * 64, bias=False)
                                        + batch_norm * 7 * 7 * 64
                                        + conv_params(4, 64, 32, bias=False) + batch_norm * 32
                                        + conv_params(4, 32, 1))
    assert kinds(discriminator) == ["Conv2D", "LeakyReLU", "Conv2D", "BatchNormalization",
                                    "LeakyReLU", "Flatten", "Dense"]
    assert shapes(discriminator) == [(None, 14, 14, 32)] * 2 + [(None, 7, 7, 64)] * 3 + \
        [(None, 7 * 7 * 64), (None, 1)]
    assert discriminator.count_params() == (conv_params(4, 1, 32) + conv_params(4, 32, 64, False)
                                            + batch_norm * 64 + dense_params(7 * 7 * 64, 1))
    for layer in generator.layers[4::3] + discriminator.layers[0:3:2]:
        assert layer.strides == (2, 2) and layer.padding == "same"


@pytest.mark.parametrize("dcgan", [False, True])
def test_generator_and_discriminator_each_learn_a_tiny_task(dcgan):
    """G fitted to 8 fixed images from 8 fixed noise vectors (mean squared error) and D as a
    classifier of 8 'real' images against 8 others (cross-entropy): both losses fall."""
    set_random_seed(0)
    rng = np.random.default_rng(0)
    generator = dcgan_generator() if dcgan else mlp_generator()
    discriminator = dcgan_discriminator() if dcgan else mlp_discriminator()
    z = rng.standard_normal((8, LATENT_DIM)).astype(np.float32)
    images = gan_preprocess_input(rng.integers(0, 256, (16, 28, 28)), dcgan)
    generator.compile(optimizer=Adam(learning_rate=1e-3), loss="mse")
    g_losses = generator.fit(z, images[:8], batch_size=8, epochs=8, verbose=0).history["loss"]
    assert falls(g_losses), g_losses
    labels = np.array([1.0] * 8 + [0.0] * 8, np.float32)[:, None]
    discriminator.compile(optimizer=Adam(learning_rate=1e-3), loss="binary_crossentropy")
    d_losses = discriminator.fit(images, labels, batch_size=16, epochs=8,
                                 verbose=0).history["loss"]
    assert falls(d_losses), d_losses


@pytest.mark.parametrize("dcgan", [False, True])
def test_mnist_gan_is_the_chosen_pair_with_lesson_8s_optimizers(dcgan):
    gan, again, other = mnist_gan(dcgan, 3), mnist_gan(dcgan, 3), mnist_gan(dcgan, 4)
    assert gan.generator.name == ("dcgan_generator" if dcgan else "mlp_generator")
    assert gan.discriminator.name == ("dcgan_discriminator" if dcgan else "mlp_discriminator")
    for optimizer in (gan.g_optimizer, gan.d_optimizer):
        assert isinstance(optimizer, Adam)
        assert (optimizer.learning_rate, optimizer.beta_1) == (2e-4, 0.5)
    assert gan.g_optimizer is not gan.d_optimizer
    assert gan.generator_loss == "non_saturating" and gan.latent_dim == LATENT_DIM
    assert mnist_gan(dcgan, 3, generator_loss="saturating").generator_loss == "saturating"
    mine = gan.generator.get_weights() + gan.discriminator.get_weights()
    same = again.generator.get_weights() + again.discriminator.get_weights()
    for a, b in zip(mine, same, strict=True):            # one seed, one GAN
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(gan.fixed_noise, again.fixed_noise)
    assert not np.array_equal(other.generator.get_weights()[0], mine[0])


@pytest.mark.parametrize("dcgan", [False, True])
def test_mnist_gan_trains_a_few_steps(dcgan):
    """Twelve train_steps on 32 sparse 'digits': finite losses, D's loss falls (D learns
    first), and G's images stay in (−1, 1)."""
    gan = mnist_gan(dcgan, 0)
    pixels = (np.random.default_rng(0).random((32, 28, 28)) > 0.8) * 255
    real = gan_preprocess_input(pixels, dcgan)
    logs = [gan.train_step(real[i % 2 * 16:][:16]) for i in range(12)]
    d_losses = [log["d_loss"] for log in logs]
    assert all(np.isfinite([log["g_loss"] for log in logs]))
    assert falls(d_losses), d_losses
    images = gan.generate(4)
    assert images.shape == ((4, 28, 28, 1) if dcgan else (4, 784))
    assert np.abs(images).max() < 1


def test_pixel_conventions_between_the_networks():
    pixels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    pixels = np.tile(pixels, (1, 2, 2))[:, :28, :28]             # (1, 28, 28), 0..255
    flat, square = gan_preprocess_input(pixels), gan_preprocess_input(pixels, dcgan=True)
    assert flat.shape == (1, 784) and square.shape == (1, 28, 28, 1)
    assert flat.dtype == np.float32
    np.testing.assert_array_equal(flat.ravel(), square.ravel())
    assert (flat.min(), flat.max()) == (-1.0, 1.0)
    np.testing.assert_allclose(flat, pixels.reshape(1, 784) / 127.5 - 1, atol=1e-6)
    # to article_cnn's [0, 1]: (x + 1) / 2, so pixels end as x / 255
    back = gan_images_to_cnn_input(flat)
    assert back.shape == (1, 28, 28, 1) and back.dtype == np.float32
    np.testing.assert_allclose(back, pixels[..., None] / 255.0, atol=1e-6)
    np.testing.assert_array_equal(back, gan_images_to_cnn_input(square))


# -- lesson 9's U-Net ----------------------------------------------------------------------

def unet_table(filters, skips):
    """Each convolution of the U-Net the lesson describes: name -> (k, c_in, c_out)."""
    f1, f2, f3 = filters
    return {"down1": (3, 1, f1), "down2a": (3, f1, f2), "down2b": (3, f2, f2),
            "bottom_a": (3, f2, f3), "bottom_b": (3, f3, f3),
            "up2a": (3, f3 + f2 if skips else f3, f2), "up2b": (3, f2, f2),
            "up1": (1, f2 + f1 if skips else f2, f1), "classes": (1, f1, 11)}


@pytest.mark.parametrize("skips", [True, False])
@pytest.mark.parametrize("filters", [UNET_FILTERS, (2, 3, 5)])
def test_unet_convolutions_and_parameters(filters, skips):
    model = unet(filters, skips=skips)
    assert model.name == ("unet" if skips else "no_skips")
    table = unet_table(filters, skips)
    convolutions = {layer.name: layer for layer in model.layers if type(layer).__name__ ==
                    "Conv2D"}
    assert list(convolutions) == list(table)
    for name, (k, c_in, c_out) in table.items():
        assert convolutions[name].kernel.shape == (k, k, c_in, c_out), name
        if k == 3:                                     # 'same': the size is kept
            assert convolutions[name].padding == "same", name
    assert model.count_params() == sum(conv_params(*row) for row in table.values())
    assert kinds(model).count("Concatenate") == (2 if skips else 0)
    assert kinds(model).count("MaxPooling2D") == kinds(model).count("UpSampling2D") == 2
    assert convolutions["classes"].activation.__name__ == "softmax"


def test_unet_output_per_pixel_and_the_sizes_it_takes():
    set_random_seed(0)
    model = unet((2, 2, 2), classes=5)
    for h, w in ((8, 12), (16, 4)):
        probs = model.predict(np.zeros((2, h, w, 1), np.float32))
        assert probs.shape == (2, h, w, 5)
        np.testing.assert_allclose(probs.sum(-1), 1, atol=1e-5)
    with pytest.raises(ValueError, match="multiples of 4"):
        model.predict(np.zeros((1, 10, 12, 1), np.float32))


def test_unet_learns_a_tiny_segmentation():
    """Eight 16×20 scenes, a bright square (class 1) on a dark ground (class 0); per-pixel
    sparse cross-entropy falls over a few epochs."""
    set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((8, 16, 20, 1), dtype=np.float32) * 0.2
    y = np.zeros((8, 16, 20), np.int64)
    for i, (r, c) in enumerate(rng.integers(0, 10, (8, 2))):
        x[i, r:r + 6, c:c + 6] += 0.8
        y[i, r:r + 6, c:c + 6] = 1
    model = unet((4, 4, 4), classes=2)
    model.compile(optimizer=Adam(learning_rate=1e-2), loss="sparse_categorical_crossentropy")
    losses = model.fit(x, y, batch_size=4, epochs=6, verbose=0).history["loss"]
    assert falls(losses), losses

