"""Lesson 8: the article's section 3.2.3 for real — a GAN that learns to draw MNIST digits.

Section 3.2.3 lists five steps. Here each is a line of code (tinydl/gan.py, GAN.train_step):

  1. preprocess the real images: scale the pixels to [-1, 1], the range of G's tanh
     output. The article also suggests rotating and *flipping* them: we do not. A flipped
     digit is not a digit any more (lesson 5 measured it), so a generator trained on
     flipped digits would learn to draw mirror-writing too;
  2. D scores a batch of real images: D(x);
  3. G turns a batch of noise z ~ N(0, I) into images; D scores them: D(G(z));
  4. the losses of section 3.2.4 (with the sigmoid and the G(z) that the article's
     formulas leave out, see lesson 7), and a gradient step: first on D, then on G;
  5. repeat, epoch after epoch (GAN.fit).

The article says "gradient descent"; what works in practice for images is Adam with
learning rate 2e-4 and β1 = 0.5 (Radford et al., 2016), used here for both players, and
the non-saturating generator loss −log D(G(z)) instead of the article's log(1 − D(G(z))):
this lesson trains a few hundred steps with each and plots why (D(G(z)) and the length of
G's gradient early in training). In one full run (seed 0, 300 steps of the MLP GAN) the
saturating loss let D push mean D(G(z)) down to about 0.26 around step 30, where G's
gradient shrank below 1, and averaged 2.1 in length against 4.3 for −log D. Adam divides
each step by the running size of the gradient, which is why the saturating run still
learns here; with plain gradient descent, as in lesson 7, the small gradient is the step.

Models (--dcgan for the convolutional one):
  MLP GAN  G: 100 → 256 → 512 → 784 (LeakyReLU 0.2, tanh output)
           D: 784 → 512 → 256 → 1 (LeakyReLU 0.2, sigmoid output; the loss uses its logit)
  DCGAN    G: 100 → Dense 7·7·64 → BN → LReLU → Conv2DTranspose 32, 4×4, stride 2 → BN →
              LReLU → Conv2DTranspose 1, 4×4, stride 2, tanh            (28×28×1)
           D: Conv2D 32, 4×4, stride 2 → LReLU → Conv2D 64, 4×4, stride 2 → BN → LReLU →
              Flatten → Dense 1 sigmoid

Writes, to --out (default lesson_output/08_gan_mnist_digits[_dcgan]):
  samples/epoch_NNN.png   G's images from one fixed noise batch after every epoch
  samples.gif             those grids as an animation
  curves.png              both losses, mean D(x) and D(G(z)) per epoch and per step
  loss_comparison.png     saturating vs non-saturating generator loss, early steps
  generator.weights.npz   the trained generator (tinydl.gan.sample_to_png draws from it)
  checkpoint/             everything needed to continue: stop with Ctrl-C any time and
                          run the same command with --resume
If the section-4 classifier's weights exist (run lesson 4 first), the generated digits
are scored with it: confident share, class entropy, Fréchet distance (bench/bench_gan.py
follows these over the epochs).

Measured here (10,000 samples, seed 0, 20 epochs each; bench/bench_gan.py for the DCGAN):
                 confident > 0.9   class entropy   Fréchet distance   s/epoch (2 cores)
  MLP GAN              0.742            2.187            60.4               17
  DCGAN                0.719            2.220            51.7               77
The DCGAN draws clean strokes, spreads its samples more evenly over the ten digits and
comes closer to the real digits' features, but more of its shapes are ones the classifier
cannot name with confidence: it wins two scores of three.

Run:  python lessons/08_gan_mnist_digits.py [--quick] [--dcgan] [--epochs N] [--resume]
"""
from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np

from tinydl.datasets import mnist
from tinydl.gan import GAN, quality_scores, classifier_outputs
from tinydl.layers import (BatchNormalization, Conv2D, Conv2DTranspose, Dense, Flatten, LeakyReLU,
                           Reshape)
from tinydl.models import Sequential
from tinydl.optimizers import Adam
from tinydl.utils import set_random_seed
from tinydl.visualize import image_grid, save_gif, save_image_grid

from _lesson import output_dir, plt, save

LATENT_DIM = 100
CLASSIFIER = Path("lesson_output") / "04_mnist_cnn" / "mnist_cnn.weights.npz"


def build_mlp_gan(latent_dim: int = LATENT_DIM) -> tuple[Sequential, Sequential]:
    """The default pair: fully connected G (noise → 784 pixels) and D (784 pixels → 1)."""
    generator = Sequential([
        Dense(256, input_shape=(latent_dim,)), LeakyReLU(0.2),
        Dense(512), LeakyReLU(0.2),
        Dense(784, activation="tanh"),
    ], name="mlp_generator")
    discriminator = Sequential([
        Dense(512, input_shape=(784,)), LeakyReLU(0.2),
        Dense(256), LeakyReLU(0.2),
        Dense(1, activation="sigmoid"),
    ], name="mlp_discriminator")
    return generator, discriminator


def build_dcgan(latent_dim: int = LATENT_DIM) -> tuple[Sequential, Sequential]:
    """The convolutional pair: G upsamples 7×7 → 14×14 → 28×28 with transposed convolutions,
    D downsamples with strided convolutions. Batch normalization keeps the activations of
    each layer at zero mean and unit spread, which stabilises the adversarial game."""
    generator = Sequential([
        Dense(7 * 7 * 64, use_bias=False, input_shape=(latent_dim,)),
        BatchNormalization(), LeakyReLU(0.2),
        Reshape((7, 7, 64)),
        Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False),
        BatchNormalization(), LeakyReLU(0.2),
        Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh"),
    ], name="dcgan_generator")
    discriminator = Sequential([
        Conv2D(32, 4, strides=2, padding="same", input_shape=(28, 28, 1)), LeakyReLU(0.2),
        Conv2D(64, 4, strides=2, padding="same", use_bias=False),   # BN's β is the bias
        BatchNormalization(), LeakyReLU(0.2),
        Flatten(),
        Dense(1, activation="sigmoid"),
    ], name="dcgan_discriminator")
    return generator, discriminator


def make_gan(dcgan: bool, seed: int, generator_loss: str = "non_saturating") -> GAN:
    """Build the chosen pair with Adam(2e-4, β1 = 0.5) for each player."""
    set_random_seed(seed)
    generator, discriminator = build_dcgan() if dcgan else build_mlp_gan()
    return GAN(generator, discriminator,
               g_optimizer=Adam(learning_rate=2e-4, beta_1=0.5),
               d_optimizer=Adam(learning_rate=2e-4, beta_1=0.5),
               generator_loss=generator_loss, seed=seed)


def real_images(dcgan: bool, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Step 1: MNIST training images scaled from 0..255 to [-1, 1], shaped for the models
    ((N, 784) for the MLP, (N, 28, 28, 1) for the DCGAN), and the test images in [0, 1]
    (N, 28, 28, 1) for the classifier."""
    (x_train, _), (x_test, _) = mnist.load_data()
    if limit:
        x_train, x_test = x_train[:limit], x_test[:limit]
    x = (x_train.astype(np.float32) / 127.5 - 1.0)
    x = x.reshape(-1, 28, 28, 1) if dcgan else x.reshape(-1, 784)
    return x, (x_test.astype(np.float32) / 255.0).reshape(-1, 28, 28, 1)


def to_classifier_input(images: np.ndarray) -> np.ndarray:
    """G's (-1, 1) images, flat or not, as the classifier's (N, 28, 28, 1) in [0, 1]."""
    return ((np.asarray(images, np.float32) + 1.0) / 2.0).reshape(-1, 28, 28, 1)


def load_classifier(path: Path):
    """The section-4 CNN with lesson 4's trained weights, or None when they are missing."""
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("lesson04", Path(__file__).with_name("04_mnist_cnn.py"))
    lesson04 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lesson04)
    classifier = lesson04.build_model()
    classifier.load_weights(str(path))
    return classifier


def compare_generator_losses(x: np.ndarray, dcgan: bool, steps: int, seed: int,
                             batch_size: int) -> dict[str, dict[str, list[float]]]:
    """Train a fresh GAN for `steps` steps with each generator loss (same seed, same
    batches), and return their per-step batch_history."""
    runs = {}
    for kind in ("saturating", "non_saturating"):
        gan = make_gan(dcgan, seed, kind)
        order = np.random.default_rng(seed).permutation(len(x))
        for step in range(steps):
            index = order[(step * batch_size) % len(x):][:batch_size]
            gan.train_step(x[index])
        runs[kind] = gan.batch_history
    return runs


def plot_curves(gan: GAN, out: Path) -> None:
    h, b = gan.history, gan.batch_history
    epochs = np.arange(1, len(h["d_loss"]) + 1)
    steps_per_epoch = max(1, len(b["d_loss"]) // max(1, len(epochs)))
    fig, (ax_loss, ax_d) = plt.subplots(1, 2, figsize=(11, 3.8))
    for key, colour in (("d_loss", "tab:blue"), ("g_loss", "tab:orange")):
        ax_loss.plot(np.arange(1, len(b[key]) + 1) / steps_per_epoch, b[key], color=colour,
                     alpha=0.25, lw=0.6)
        ax_loss.plot(epochs, h[key], "o-", color=colour, label=f"{key} (epoch mean)")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="losses (faint: every step)")
    ax_loss.legend()
    for key, label, colour in (("d_real", "mean D(x), real", "tab:green"),
                               ("d_fake", "mean D(G(z)), fake", "tab:red")):
        ax_d.plot(np.arange(1, len(b[key]) + 1) / steps_per_epoch, b[key], color=colour,
                  alpha=0.25, lw=0.6)
        ax_d.plot(epochs, h[key], "o-", color=colour, label=label)
    ax_d.axhline(0.5, color="grey", ls=":", lw=1)
    ax_d.set(xlabel="epoch", ylabel="D's probability of 'real'", ylim=(0, 1),
             title="the discriminator's view (0.5: it cannot tell)")
    ax_d.legend()
    save(fig, out / "curves.png")


def plot_loss_comparison(runs: dict, out: Path) -> None:
    fig, (ax_d, ax_g) = plt.subplots(1, 2, figsize=(11, 3.8))
    for kind, colour in (("saturating", "tab:red"), ("non_saturating", "tab:blue")):
        label = ("saturating: log(1 − D(G(z))), the article's" if kind == "saturating"
                 else "non-saturating: −log D(G(z))")
        ax_d.plot(runs[kind]["d_fake"], color=colour, label=label)
        ax_g.semilogy(runs[kind]["g_grad_norm"], color=colour, label=label)
    ax_d.set(xlabel="training step", ylabel="mean D(G(z))", title="how real D finds the fakes")
    ax_g.set(xlabel="training step", ylabel="||∂L_g/∂θ_g||", title="length of G's gradient")
    ax_d.legend(fontsize=8)
    save(fig, out / "loss_comparison.png")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="512 images, 1 epoch unless --epochs, a short loss comparison")
    parser.add_argument("--dcgan", action="store_true", help="the convolutional GAN")
    parser.add_argument("--epochs", type=int, default=None, help="default 20 (MLP), 10 (DCGAN)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--resume", action="store_true",
                        help="continue from the checkpoint in --out (after Ctrl-C)")
    parser.add_argument("--compare-steps", type=int, default=300,
                        help="steps of the saturating vs non-saturating comparison (0: skip)")
    parser.add_argument("--classifier", type=Path, default=CLASSIFIER,
                        help="lesson 4's weights, to score the digits")
    parser.add_argument("--out", default=None)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    name = "08_gan_mnist_digits" + ("_dcgan" if args.dcgan else "")
    out = output_dir(args, name)
    (out / "samples").mkdir(exist_ok=True)
    epochs = args.epochs or (1 if args.quick else 10 if args.dcgan else 20)
    if args.quick:
        args.compare_steps = min(args.compare_steps, 40)
    x, x_test = real_images(args.dcgan, limit=512 if args.quick else None)
    print(f"real images: {x.shape}, pixels scaled to [{x.min():.0f}, {x.max():.0f}]")

    results: dict = {}
    if args.compare_steps and not args.resume:
        runs = compare_generator_losses(x, args.dcgan, args.compare_steps, args.seed,
                                        args.batch_size)
        plot_loss_comparison(runs, out)
        print(f"\nfirst {args.compare_steps} steps   mean D(G(z))   mean ||grad G||")
        for kind, b in runs.items():
            print(f"  {kind:<15} {np.mean(b['d_fake']):12.4f}   {np.mean(b['g_grad_norm']):14.4g}")
        results["comparison"] = {kind: {"d_fake": float(np.mean(b["d_fake"])),
                                        "g_grad_norm": float(np.mean(b["g_grad_norm"]))}
                                 for kind, b in runs.items()}

    gan = make_gan(args.dcgan, args.seed)
    gan.generator.summary()
    gan.discriminator.summary()
    checkpoint = out / "checkpoint"
    if args.resume:
        if not (checkpoint / "gan_state.npz").exists():
            raise SystemExit(f"--resume: no checkpoint in {checkpoint}; run without --resume first")
        print(f"resuming after epoch {gan.load_checkpoint(checkpoint)} from {checkpoint}")

    def after_epoch(gan: GAN, logs: dict) -> None:
        save_image_grid(gan.generate(noise=gan.fixed_noise), out / "samples" / f"epoch_{gan.epoch:03d}.png",
                        value_range=(-1, 1))

    start = time.perf_counter()
    gan.fit(x, epochs=epochs, batch_size=args.batch_size, checkpoint=checkpoint,
            on_epoch_end=after_epoch)
    seconds = time.perf_counter() - start
    if gan.interrupted:
        print(f"run again with --resume to continue from epoch {gan.epoch}")
    gan.generator.save_weights(str(out / "generator.weights.npz"))
    print(f"wrote {out / 'generator.weights.npz'}")

    frames = sorted((out / "samples").glob("epoch_*.png"))[:gan.epoch]
    if frames:
        grids = [plt.imread(f)[..., 0] for f in frames]
        save_gif(grids, out / "samples.gif", titles=[f"epoch {i + 1}" for i in range(len(grids))])
        print(f"wrote {out / 'samples.gif'}")
        print(f"  (an animation of the {len(grids)} epochs' sample grids)")
    plot_curves(gan, out)
    results.update({"epochs": gan.epoch, "seconds": seconds, "history": gan.history,
                    "interrupted": gan.interrupted})

    classifier = load_classifier(args.classifier)
    if classifier is None:
        print(f"\n(no classifier weights at {args.classifier}: run lessons/04_mnist_cnn.py to "
              f"score the digits)")
    else:
        n = 500 if args.quick else 10_000
        real_features, _ = classifier_outputs(classifier, x_test[:n])
        scores = quality_scores(classifier, to_classifier_input(gan.generate(n)), real_features)
        print(f"\nscore of {n} generated digits by the section-4 classifier: "
              f"confident share {scores['confident']:.3f}, class entropy "
              f"{scores['class_entropy']:.3f} (ln 10 = 2.303), Fréchet distance "
              f"{scores['frechet']:.2f}")
        results["scores"] = scores
    return results


if __name__ == "__main__":
    main()
