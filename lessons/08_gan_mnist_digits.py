# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 8 · 第8课: a GAN that learns to draw MNIST digits (§3.2.3)
#
# §3.2.3 trains a generative adversarial network (生成对抗网络, GAN) in five steps. Here
# each is code, on handwritten digits: a generator (生成器) G turns noise into 28×28 images,
# a discriminator (判别器) D tells them from real ones, with §3.2.4's formulas as lesson 7
# fixed them. Options: `--dcgan`, `--epochs N`; stop with Ctrl-C, continue with `--resume`.

# %%
from pathlib import Path

import numpy as np

from tinydl import Tensor, losses
from tinydl.applications import (LATENT_DIM, article_cnn, dcgan_discriminator,
                                 dcgan_generator, gan_images_to_cnn_input,
                                 gan_preprocess_input, mlp_discriminator, mlp_generator,
                                 mnist_gan)
from tinydl.datasets import mnist
from tinydl.gan import GAN, classifier_outputs, frozen, quality_scores
from tinydl.image_grids import save_gif, save_image_grid

import _gan_plots as plots
from _lesson import Lesson, plt
from _mnist_cnn import lesson4_weights          # where lesson 4 saves its trained weights

lesson = Lesson("08_gan_mnist_digits", "§3.2.3's five steps: a GAN on MNIST", dcgan=False,
                epochs=0, batch_size=64, resume=False, compare_steps=300,
                classifier=str(lesson4_weights()))
kind = "dcgan" if lesson.dcgan else "mlp"
out = lesson.path(kind)           # this model's files: samples, checkpoint, weights
(out / "samples").mkdir(parents=True, exist_ok=True)
checkpoint = out / "checkpoint"   # everything needed to continue a stopped run
if lesson.resume and not (checkpoint / "gan_state.npz").exists():
    raise SystemExit(f"--resume: no checkpoint in {checkpoint}; run without --resume first")
epochs = lesson.epochs or (1 if lesson.quick else 10 if lesson.dcgan else 20)

# %% [markdown]
# ## Step 1: preprocess the real images
#
# > §3.2.3 第1步：「输入真实图像进行预处理，如缩放、旋转和翻转。」
# > (Step 1: preprocess the real images, e.g. scaling, rotation and flipping.)
#
# Scaling, yes: pixels 0..255 become [−1, 1], the range of G's tanh output. Not flipping or
# rotating: a GAN learns to draw whatever it is shown, so flipped training digits would
# teach G mirror-writing (lesson 5 measured what a flip does to a digit).

# %%
def real_images(dcgan: bool, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST training images scaled to [−1, 1] (x / 127.5 − 1), (N, 784) for the MLP or
    (N, 28, 28, 1) for the DCGAN, and the test images in [0, 1] for lesson 4's classifier."""
    (x_train, _), (x_test, _) = mnist.load_data()
    if limit:
        x_train, x_test = x_train[:limit], x_test[:limit]
    return (gan_preprocess_input(x_train, dcgan),
            gan_images_to_cnn_input(gan_preprocess_input(x_test)))   # (x + 1) / 2 = x / 255


lesson.show_source(gan_preprocess_input)      # the scaling, from tinydl.applications
x, x_test = real_images(lesson.dcgan, limit=512 if lesson.quick else None)
print(f"real images: {x.shape}, pixels in [{x.min():.0f}, {x.max():.0f}]")

# %% [markdown]
# ## The two players
#
# > §3.2.4 `「G(z) = W_g(z) + b_g」` (the generator: one affine map of the noise z)
#
# An affine map of Gaussian noise is a Gaussian (lesson 7): fine for 1-D toy data, not for
# digits. The left picture shows real digits, the right the affine G with the data's mean
# and its 100 strongest directions of spread (PCA): smudges. So G gets hidden layers
# (LeakyReLU, tanh output); D ends in the sigmoid lesson 7 added: D(x) = P(x is real).
# With `--dcgan`, a convolutional pair (DCGAN, Radford et al. 2016): G upsamples with
# transposed convolutions (转置卷积), D downsamples with stride (步长) 2, and batch
# normalization (批归一化) steadies both. A GAN is built from CNNs.

# %%
flat = x[:2000].reshape(-1, 784)
_, spread, directions = np.linalg.svd(flat - flat.mean(0), full_matrices=False)
w_g = directions[:LATENT_DIM].T * spread[:LATENT_DIM] / np.sqrt(len(flat))   # 784 × 100
z = np.random.default_rng(lesson.seed).standard_normal((64, LATENT_DIM))
affine_g = z @ w_g.T + flat.mean(0)                                           # W_g z + b_g
lesson.save(plots.image_grids({"real digits": flat[:64],
                               "an affine G = W_g z + b_g (a Gaussian)": affine_g}),
            "affine_generator.png")

# %% [markdown]
# Both pairs are in `tinydl.applications` (lesson 4b and the benchmarks use them too); their
# code, below. The default pair is fully connected: G noise → 784 pixels, D 784 pixels → 1.

# %%
for build in (mlp_generator, mlp_discriminator):
    lesson.show_source(build)

# %% [markdown]
# The convolutional pair: G 7×7 → 14×14 → 28×28, D 28×28 → 14×14 → 7×7 → 1.

# %%
for build in (dcgan_generator, dcgan_discriminator):
    lesson.show_source(build)

# %% [markdown]
# ## Steps 2-4: one training step, written out
#
# > §3.2.3 第2-4步：「将预处理后的图像输入判别器……使用生成器生成新的图像，并将这些图像输入判别器。」
# >「使用损失函数计算生成器和判别器的误差，并使用梯度下降法更新它们的参数。」
# > (2: feed the real images to D; 3: G makes new images, also fed to D; 4: compute both
# > players' errors with the loss functions and update both by gradient descent.)
#
# In practice D steps first, then the *updated* D scores G's images for G's step. Both use
# Adam (learning rate 2e-4, β1 = 0.5, the DCGAN recipe) instead of plain gradient descent.
# `GAN.train_step` is exactly this step (the tests check it, weight for weight);
# `mnist_gan` (printed first) pairs the players with their optimizers.

# %%
lesson.show_source(mnist_gan)


def one_step(gan: GAN, real: np.ndarray, with_real: bool = True) -> None:
    """§3.2.3's steps 2-4 on one batch of real images (with_real=False: without step 2,
    D's loss is only −mean log(1 − D(G(z))))."""
    d_weights, g_weights = gan.discriminator.trainable_weights, gan.generator.trainable_weights
    fake = gan.generator(Tensor(gan.noise(len(real))), training=True)  # 3: G(z), fresh z
    real_logits = gan.d_logits(Tensor(real))                            # 2: D(x), as logits
    fake_logits = gan.d_logits(fake.detach())                           # 3: D(G(z))
    d_loss = (losses.discriminator_loss(real_logits, fake_logits) if with_real else
              losses.binary_crossentropy(np.zeros(fake_logits.shape), fake_logits, True))
    gan.d_optimizer.zero_grad(d_weights)
    d_loss.backward()
    gan.d_optimizer.step(d_weights)                                     # 4: D's step
    with frozen(d_weights):                                             # 4: G's step, new D
        g_loss = losses.generator_loss(gan.d_logits(fake), gan.generator_loss)
    gan.g_optimizer.zero_grad(g_weights)
    g_loss.backward()
    gan.g_optimizer.step(g_weights)

# %% [markdown]
# ## Step 5: repeat — all of steps 2-4
#
# > §3.2.3 第5步：「重复步骤3和4，直到生成器生成的图像与真实图像相似。」
# > (Step 5: repeat steps 3 and 4 until G's images resemble the real ones.)
#
# Step 2 must repeat too, with fresh noise each time: a D that stops seeing real images
# learns only "everything is fake". Below, 20 steps each way (MLP pair), then D's mean
# verdict on real digits. And "until similar" is no stopping rule: the losses do not settle
# to a finish line, so one trains a fixed number of epochs and looks at the samples.

# %%
d_after_20_steps, x_flat = {}, x.reshape(len(x), 784)
for with_real in (True, False):
    gan = mnist_gan(False, lesson.seed)                          # the MLP pair: it is fast
    for step in range(20):
        batch = x_flat[step * lesson.batch_size % len(x):][:lesson.batch_size]
        one_step(gan, batch, with_real=with_real or step == 0)     # the article: step 2 once
    d_after_20_steps[with_real] = {      # D's output is its probability that x is real
        "real": float(gan.discriminator(x_flat[:256], training=False).data.mean()),
        "fake": float(gan.discriminator(gan.generate(256), training=False).data.mean())}
    print(f"step 2 {'in every step' if with_real else 'only once'}: mean D(x) on real digits "
          "{real:.3f}, on G's {fake:.3f}".format(**d_after_20_steps[with_real]))
lost = d_after_20_steps[False]["real"] < d_after_20_steps[False]["fake"]
print(f"without step 2, D {'rates real digits below the fakes' if lost else 'still ranks them'}")

# %% [markdown]
# ## The generator's loss: why not the article's
#
# §3.2.4's L_g = E_z[log(1 − D(G(z)))] is the minimax loss of Goodfellow et al.: correct,
# but its gradient fades when D rejects the fakes (lesson 7). Goodfellow et al. recommend
# −log D(G(z)) in practice; the runs below train both from the same start. Adam divides
# each step by the gradient's running size, so here the saturating run still moves.

# %%
compare_steps = min(lesson.compare_steps, 40) if lesson.quick else lesson.compare_steps
comparison = {}
if compare_steps and not lesson.resume:         # the same seed, so the same D, batches, noise
    runs = {}
    for loss in ("saturating", "non_saturating"):
        rival = mnist_gan(lesson.dcgan, lesson.seed, generator_loss=loss)
        for step in range(compare_steps):
            rival.train_step(x[step * lesson.batch_size % len(x):][:lesson.batch_size])
        runs[loss] = rival.batch_history
    comparison = {loss: {key: float(np.mean(h[key])) for key in ("d_fake", "g_grad_norm")}
                  for loss, h in runs.items()}
    print(plots.table(comparison, f"first {compare_steps} steps, means"))
    ratio = comparison["non_saturating"]["g_grad_norm"] / comparison["saturating"]["g_grad_norm"]
    print(f"G's gradient is {ratio:.1f}× as long with −log D as with the article's loss")
    lesson.save(plots.loss_comparison(runs), f"{kind}/loss_comparison.png")

# %% [markdown]
# ## Step 5 for real: epochs, samples, checkpoints
#
# `GAN.fit` repeats `train_step` over the shuffled data, epoch after epoch. After each epoch
# G draws from one fixed batch of noise (the same 64 z every time, so the pictures are
# comparable) and everything is checkpointed: press Ctrl-C and rerun with `--resume`.

# %%
gan = mnist_gan(lesson.dcgan, lesson.seed)
gan.generator.summary()
gan.discriminator.summary()
if lesson.resume:
    print(f"resuming after epoch {gan.load_checkpoint(checkpoint)} from {checkpoint}")


def after_epoch(gan: GAN, logs: dict) -> None:
    save_image_grid(gan.generate(noise=gan.fixed_noise),
                    out / "samples" / f"epoch_{gan.epoch:03d}.png", value_range=(-1, 1))


gan.fit(x, epochs=epochs, batch_size=lesson.batch_size, checkpoint=checkpoint,
        on_epoch_end=after_epoch)
if gan.interrupted:
    print(f"run again with --resume to continue from epoch {gan.epoch}")
history, finished_epochs = gan.history, gan.epoch
gan.generator.save_weights(str(out / "generator.weights.npz"))
print(f"saved the generator's weights: {out / 'generator.weights.npz'}")

# %% [markdown]
# What training did: real digits beside G's samples from the fixed noise (every epoch's
# grid is in `samples/`, and `samples.gif` animates them), then the losses and D's mean
# verdicts. When D(x) and D(G(z)) both sit near 0.5, D can no longer tell them apart.

# %%
grids = [plt.imread(path)[..., 0]
         for path in sorted((out / "samples").glob("epoch_*.png"))[:finished_epochs]]
if grids:
    save_gif(grids, out / "samples.gif", titles=[f"epoch {i + 1}" for i in range(len(grids))])
    print(f"saved the animation of {len(grids)} epoch(s): {out / 'samples.gif'}")
lesson.save(plots.image_grids({"real digits": x[:64], f"G after {finished_epochs} epoch(s)":
                               gan.generate(noise=gan.fixed_noise)}), f"{kind}/samples.png")
lesson.save(plots.gan_curves(history, gan.batch_history), f"{kind}/curves.png")
print(f"last epoch: mean D(x) {history['d_real'][-1]:.3f}, mean D(G(z)) "
      f"{history['d_fake'][-1]:.3f}" if finished_epochs else "no finished epoch")

# %% [markdown]
# ## Are they digits? Lesson 4's classifier judges
#
# Lesson 4's CNN (run it first; it saves its weights) scores 10 000 generated digits: the
# share it classifies with confidence > 0.9, the entropy of the predicted classes (ln 10 =
# 2.303 when all ten digits are equally common) and the Fréchet distance between its
# features of generated and real digits (lower is closer). Measured when this lesson was
# written (seed 0, 20 epochs, 10 000 samples): the MLP GAN 0.742, 2.187 and 60.4 (17 s per
# epoch on 2 cores), the DCGAN (`bench/bench_gan.py --dcgan`) 0.719, 2.220 and 51.7 (77 s).

# %%
scores = {}
if not Path(lesson.classifier).exists():
    print(f"no classifier weights at {lesson.classifier}: run lessons/04_mnist_cnn.py first")
else:
    classifier = article_cnn(weights=lesson.classifier)       # lesson 4's network, trained
    n = 500 if lesson.quick else 10_000
    real_features, _ = classifier_outputs(classifier, x_test[:n])
    scores = quality_scores(classifier, gan_images_to_cnn_input(gan.generate(n)),
                            real_features)
    print(f"{n} generated digits: confident share {scores['confident']:.3f}, class entropy "
          f"{scores['class_entropy']:.3f} (ln 10 = 2.303), Fréchet distance "
          f"{scores['frechet']:.2f}")

# %% [markdown]
# ## Try it yourself
#
# 1. Train the convolutional pair: `python lessons/08_gan_mnist_digits.py --dcgan --epochs 3`,
#    stop it with Ctrl-C after an epoch, then continue with `--resume`.
# 2. Train with the article's loss, `mnist_gan(..., generator_loss="saturating")`, for
#    3 epochs: how do the samples and D(G(z)) compare with the default?
# 3. Write the two losses `one_step` uses: `tinydl exercise start gan_losses`.
# 4. Read `lessons/_gan_subclassed.py`: the same GAN as a Keras-style subclassed `Model`
#    with its own `train_step`; it gives `GAN.train_step`'s losses, step for step.
