"""Ready-made networks: the ones the lessons teach and reuse (Keras' `keras.applications`
idea), so that other lessons, the benchmarks and the tests import them from one place.

Shapes are channels last; N is the batch. Parameter counts are weights + biases.

* `article_cnn()`: the article's §4 CNN, MNIST digit classifier, built as lesson 4
  (lessons/04_mnist_cnn.py) builds it; lessons 4b, 6 (evaluation), 8 and 10-13 reuse it.
      (N, 28, 28, 1) → Conv2D 32 3×3 ReLU (N, 26, 26, 32) → MaxPooling2D 2 (N, 13, 13, 32)
      → Conv2D 64 3×3 ReLU (N, 11, 11, 64) → MaxPooling2D 2 (N, 5, 5, 64) → Flatten (N, 1600)
      → Dense 128 ReLU → Dropout 0.5 → Dense 10 softmax (N, 10).
* Lesson 8's two GANs on MNIST (lessons/08_gan_mnist_digits.py; lesson 4b takes the DCGAN
  apart). G maps noise z (N, LATENT_DIM) to images in (−1, 1) (tanh); D maps an image to
  D(x) = P(x is real) (sigmoid).
      `mlp_generator`      z → Dense 256 → Dense 512 (LeakyReLU 0.2 each) → Dense 784 tanh
      `mlp_discriminator`  (N, 784) → Dense 512 → Dense 256 (LeakyReLU 0.2 each) → Dense 1
      `dcgan_generator`    z → Dense 7·7·64 → (N, 7, 7, 64) → Conv2DTranspose 32, stride 2
                           (N, 14, 14, 32) → Conv2DTranspose 1, stride 2 (N, 28, 28, 1) tanh
      `dcgan_discriminator` (N, 28, 28, 1) → Conv2D 32, stride 2 (N, 14, 14, 32) → Conv2D 64,
                           stride 2 (N, 7, 7, 64) → Flatten → Dense 1 sigmoid
  `mnist_gan` pairs them in a `tinydl.gan.GAN` with lesson 8's optimizers; the pixel
  conventions between them: `gan_preprocess_input` (MNIST pixels to G's range [−1, 1]) and
  `gan_images_to_cnn_input` (G's images, or real ones so scaled, to article_cnn's input).
* `unet()`: lesson 9's U-Net (Ronneberger et al., 2015) for the digit scenes of
  tinydl.datasets.mnist_scenes (lessons/09_segmentation_unet.py): a class per pixel.
      (N, H, W, 1) → encoder at sizes 1, 1/2, 1/4 → decoder back to 1/2, 1 with skip
      connections → (N, H, W, 11) softmax; H and W multiples of 4.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .gan import GAN
from .layers import (BatchNormalization, Concatenate, Conv2D, Conv2DTranspose, Dense, Dropout,
                     Flatten, Input, LeakyReLU, MaxPooling2D, Reshape, UpSampling2D)
from .models import Model, Sequential
from .optimizers import Adam
from .backend import set_random_seed

__all__ = ["LATENT_DIM", "UNET_FILTERS", "article_cnn", "mlp_generator", "mlp_discriminator",
           "dcgan_generator", "dcgan_discriminator", "mnist_gan", "gan_preprocess_input",
           "gan_images_to_cnn_input", "unet"]

#: The length of the GANs' noise vector z.
LATENT_DIM = 100
#: The U-Net's channels at full, half and quarter size.
UNET_FILTERS = (16, 32, 64)


# -- the article's §4 CNN ----------------------------------------------------------------

def article_cnn(weights: str | Path | None = None) -> Sequential:
    """The article's §4 network, layer for layer as lesson 4's `build_model` (a test keeps
    the two equal): 225,034 parameters.

        layer                          output          parameters
        Conv2D 32, 3×3, ReLU           (N, 26, 26, 32)  3·3·1·32 + 32 = 320
        MaxPooling2D 2×2               (N, 13, 13, 32)
        Conv2D 64, 3×3, ReLU           (N, 11, 11, 64)  3·3·32·64 + 64 = 18,496
        MaxPooling2D 2×2               (N, 5, 5, 64)
        Flatten                        (N, 1600)
        Dense 128, ReLU                (N, 128)         1600·128 + 128 = 204,928
        Dropout 0.5 (training only)    (N, 128)
        Dense 10, softmax              (N, 10)          128·10 + 10 = 1,290

    Input: (N, 28, 28, 1) images in [0, 1]. `weights`: a file written by `save_weights`
    (lesson 4 writes lesson_output/04_mnist_cnn/mnist_cnn.weights.npz) to load, or None for
    fresh weights (from tinydl's random state: `set_random_seed` first to repeat them).
    """
    model = Sequential([
        Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D(pool_size=(2, 2)),
        Conv2D(64, kernel_size=(3, 3), activation="relu"),
        MaxPooling2D(pool_size=(2, 2)),
        Flatten(),
        Dense(128, activation="relu"),
        Dropout(0.5),
        Dense(10, activation="softmax"),
    ])
    if weights is not None:
        model.load_weights(str(weights))
    return model


# -- lesson 8's GANs -----------------------------------------------------------------------

def mlp_generator(latent_dim: int = LATENT_DIM) -> Sequential:
    """G of the MLP GAN: noise z (N, latent_dim) → a flat image (N, 784) in (−1, 1).

    Dense 256 → LeakyReLU 0.2 → Dense 512 → LeakyReLU 0.2 → Dense 784, tanh; parameters
    (latent_dim + 1)·256 + 257·512 + 513·784.
    """
    return Sequential([
        Dense(256, input_shape=(latent_dim,)), LeakyReLU(0.2),
        Dense(512), LeakyReLU(0.2),
        Dense(784, activation="tanh"),
    ], name="mlp_generator")


def mlp_discriminator() -> Sequential:
    """D of the MLP GAN: a flat image (N, 784) → D(x) (N, 1), the probability that x is real.

    Dense 512 → LeakyReLU 0.2 → Dense 256 → LeakyReLU 0.2 → Dense 1, sigmoid; parameters
    785·512 + 513·256 + 257.
    """
    return Sequential([
        Dense(512, input_shape=(784,)), LeakyReLU(0.2),
        Dense(256), LeakyReLU(0.2),
        Dense(1, activation="sigmoid"),
    ], name="mlp_discriminator")


def dcgan_generator(latent_dim: int = LATENT_DIM) -> Sequential:
    """G of the DCGAN (Radford et al., 2016): z (N, latent_dim) → (N, 28, 28, 1) in (−1, 1).

        Dense 7·7·64, no bias            (N, 3136)        latent_dim·3136
        BatchNormalization, LeakyReLU    (N, 3136)        4·3136 (γ, β, 2 moving stats)
        Reshape                          (N, 7, 7, 64)
        Conv2DTranspose 32, 4×4, stride 2, 'same', no bias
                                         (N, 14, 14, 32)  4·4·64·32
        BatchNormalization, LeakyReLU    (N, 14, 14, 32)  4·32
        Conv2DTranspose 1, 4×4, stride 2, 'same', tanh
                                         (N, 28, 28, 1)   4·4·32·1 + 1

    A batch normalization's β does a bias's work, so the layers before one have none.
    """
    return Sequential([
        Dense(7 * 7 * 64, use_bias=False, input_shape=(latent_dim,)),
        BatchNormalization(), LeakyReLU(0.2),
        Reshape((7, 7, 64)),
        Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False),
        BatchNormalization(), LeakyReLU(0.2),
        Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh"),
    ], name="dcgan_generator")


def dcgan_discriminator() -> Sequential:
    """D of the DCGAN: (N, 28, 28, 1) → D(x) (N, 1), the probability that x is real.

        Conv2D 32, 4×4, stride 2, 'same', LeakyReLU       (N, 14, 14, 32)  4·4·1·32 + 32
        Conv2D 64, 4×4, stride 2, 'same', no bias          (N, 7, 7, 64)    4·4·32·64
        BatchNormalization, LeakyReLU                      (N, 7, 7, 64)    4·64
        Flatten                                            (N, 3136)
        Dense 1, sigmoid                                   (N, 1)           3136 + 1
    """
    return Sequential([
        Conv2D(32, 4, strides=2, padding="same", input_shape=(28, 28, 1)), LeakyReLU(0.2),
        Conv2D(64, 4, strides=2, padding="same", use_bias=False),   # BN's β is the bias
        BatchNormalization(), LeakyReLU(0.2),
        Flatten(),
        Dense(1, activation="sigmoid"),
    ], name="dcgan_discriminator")


def mnist_gan(dcgan: bool = False, seed: int = 0, generator_loss: str = "non_saturating",
              latent_dim: int = LATENT_DIM) -> GAN:
    """Lesson 8's GAN: the MLP pair (or, with dcgan=True, the DCGAN pair) and
    Adam(learning rate 2e-4, β1 = 0.5) for each player, the DCGAN recipe.

    `seed` seeds tinydl's random state (`set_random_seed`) before G and then D are built,
    and the GAN's noise: one seed, one GAN, weight for weight. generator_loss:
    'non_saturating' (−log D(G(z))) or 'saturating' (the article's log(1 − D(G(z)))).
    """
    set_random_seed(seed)
    if dcgan:
        generator, discriminator = dcgan_generator(latent_dim), dcgan_discriminator()
    else:
        generator, discriminator = mlp_generator(latent_dim), mlp_discriminator()
    return GAN(generator, discriminator, g_optimizer=Adam(learning_rate=2e-4, beta_1=0.5),
               d_optimizer=Adam(learning_rate=2e-4, beta_1=0.5),
               generator_loss=generator_loss, seed=seed)


def gan_preprocess_input(pixels: np.ndarray, dcgan: bool = False) -> np.ndarray:
    """MNIST pixels 0..255 (N, 28, 28) → float32 in [−1, 1], the range of G's tanh, so that
    D sees real and generated images on one scale: x / 127.5 − 1 (0 → −1, 255 → 1).
    Shaped (N, 784) for the MLP pair, (N, 28, 28, 1) for the DCGAN (dcgan=True)."""
    x = np.asarray(pixels).astype(np.float32) / 127.5 - 1.0
    return x.reshape(-1, 28, 28, 1) if dcgan else x.reshape(-1, 784)


def gan_images_to_cnn_input(images: np.ndarray) -> np.ndarray:
    """Images in the GAN's range [−1, 1], flat (N, 784) or not, → article_cnn's input:
    (x + 1) / 2 in [0, 1], shaped (N, 28, 28, 1). Real and generated digits go through
    this one conversion before article_cnn scores them."""
    return ((np.asarray(images, np.float32) + 1.0) / 2.0).reshape(-1, 28, 28, 1)


# -- lesson 9's U-Net --------------------------------------------------------------------

def unet(filters: tuple[int, int, int] = UNET_FILTERS, skips: bool = True, classes: int = 11,
         name: str | None = None) -> Model:
    """The U-Net (skips=True), or the same encoder–decoder without skip connections.

    Input (N, H, W, 1), H and W multiples of 4 (two 2×2 poolings; another size is a clear
    error naming the sizes that work); output (N, H, W, classes), a softmax over the
    classes at each pixel. With f1, f2, f3 = filters (convolutions 'same', ReLU but the
    last):

        down1: Conv 3×3 f1                          (N, H, W, f1)          kept: skip 1
        MaxPooling2D, down2a, down2b: Conv 3×3 f2   (N, H/2, W/2, f2)      kept: skip 2
        MaxPooling2D, bottom_a, bottom_b: 3×3 f3    (N, H/4, W/4, f3)
        UpSampling2D, Concatenate with skip 2       (N, H/2, W/2, f3 + f2)
        up2a, up2b: Conv 3×3 f2, UpSampling2D       (N, H, W, f2)
        Concatenate with skip 1                     (N, H, W, f2 + f1)
        up1: Conv 1×1 f1                            (N, H, W, f1)
        classes: Conv 1×1, softmax                  (N, H, W, classes)

    A 3×3 convolution from c_in to c_out channels has 9·c_in·c_out + c_out parameters, a
    1×1 one c_in·c_out + c_out. Without skips, up2a reads f3 channels and up1 f2.
    """
    f1, f2, f3 = filters

    def conv(h, f: int, layer_name: str, k: int = 3):
        return Conv2D(f, k, padding="same", activation="relu", name=layer_name)(h)

    inputs = Input((None, None, 1), name="scene")
    full = conv(inputs, f1, "down1")                                       # 1/1 size
    half = conv(conv(MaxPooling2D()(full), f2, "down2a"), f2, "down2b")    # 1/2
    h = conv(conv(MaxPooling2D()(half), f3, "bottom_a"), f3, "bottom_b")   # 1/4
    h = UpSampling2D()(h)                                                  # 1/2 again
    if skips:
        h = Concatenate()([h, half])                                       # skip 2
    h = UpSampling2D()(conv(conv(h, f2, "up2a"), f2, "up2b"))              # 1/1 again
    if skips:
        h = Concatenate()([h, full])                                       # skip 1
    h = conv(h, f1, "up1", k=1)
    outputs = Conv2D(classes, 1, activation="softmax", name="classes")(h)
    return Model(inputs, outputs, name=name or ("unet" if skips else "no_skips"))
