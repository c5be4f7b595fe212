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
# # Lesson 4b · 第4b课: what a CNN's kernels respond to, and why a GAN is made of CNNs
#
# Article §2 says what convolutional layers (卷积层) learn, and the FAQ's first question
# (§6) asks how a CNN differs from a GAN. Here both are checked on real networks: lesson
# 4's digit classifier, looked at from the inside, and lesson 8's DCGAN, taken apart.
#
# Run it as a script (`python lessons/04b_what_cnns_learn_and_gans.py --quick`) or as a
# notebook. It uses lesson 4's trained weights when they exist, else trains briefly.

# %%
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import tinydl.functional as F
from tinydl import no_grad
from tinydl.applications import dcgan_discriminator, dcgan_generator

import _cnn_plots as plots
from _lesson import Lesson
from _mnist_cnn import WEIGHTS, mnist_images, section4_cnn

lesson = Lesson("04b_what_cnns_learn_and_gans", "what the kernels of lesson 4 respond to; "
                "a GAN built from CNNs", epochs=1, probes=300)

# %% [markdown]
# ## What can a digit network learn?
#
# > §2「卷积层可以自动学习图像中的特征，如边缘、纹理和颜色。」
# > (Convolutional layers learn image features automatically, such as edges, texture and
# > colour.)
#
# Which of these can lesson 4's network learn? Colour (颜色) needs colour channels: MNIST
# has one, so every first-layer kernel (卷积核) has one input channel. Texture (纹理) needs
# surfaces with a pattern: digits are strokes of ink on blank paper. Edges (边缘) and
# strokes (笔画) remain.

# %%
(x_train, y_train), (x_test, _) = mnist_images()
if lesson.quick:                                       # a tiny training, whatever exists
    x_train, y_train = x_train[:3000], y_train[:3000]
model, how = section4_cnn(None if lesson.quick else WEIGHTS, x_train, y_train, lesson.epochs)
print("the network:", how)
conv1, pool1, conv2 = model.layers[:3]
first_kernel, first_bias = conv1.kernel.data, conv1.bias.data
print("first-layer kernels (height, width, input channels, output channels):",
      first_kernel.shape, "-> input channels:", first_kernel.shape[2])
probe = x_test[:lesson.probes]                         # digits the network never trained on
print(f"share of blank pixels (exactly 0) in {len(probe)} test digits: {np.mean(probe == 0):.2f}")

# %% [markdown]
# ## Edge or line? Split each kernel in two
#
# Turn a kernel by 180°: its odd part (w − w_rot)/2 changes sign, its even part (w + w_rot)/2
# does not. An edge detector (dark on one side, ink on the other) is odd, a line or blob
# detector is even. The odd share ‖w_odd‖²/‖w‖² of a Sobel kernel is 1.0, of a line kernel
# 0.0; a random 3×3 kernel has 4 odd directions out of 9, so 4/9 ≈ 0.44 on average.

# %%
def odd_share(w: np.ndarray) -> np.ndarray:
    """‖(w − rot180 w)/2‖² / ‖w‖² per kernel, for w of shape (3, 3, ...)."""
    odd = (w - w[::-1, ::-1]) / 2
    return (odd ** 2).sum(axis=(0, 1)) / (w ** 2).sum(axis=(0, 1))


sobel = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
print("odd share of a Sobel kernel:", odd_share(sobel), "| of a line kernel [-1, 2, -1]:",
      odd_share(np.array([[-1.0, 2, -1]] * 3)))
shares = odd_share(first_kernel[:, :, 0, :])
edge_channels = [int(c) for c in np.argsort(-shares)[:4]]     # the most edge-like
even_channels = [int(c) for c in np.argsort(shares)[:2]]      # the most line- or blob-like
print(f"median odd share of the 32 kernels {np.median(shares):.2f}; edge-like channels "
      f"{edge_channels} ({shares[edge_channels].round(2)}), even ones {even_channels}")

# %% [markdown]
# Random kernels respond to edges too: a 3×3 window cannot hold much else. Is the trained
# layer more edge-like than chance? Compare its 4 most edge-like kernels with those of
# 2,000 random layers of 32 kernels (as Conv2D starts: uniform, the scale cancels). A tiny
# training (quick mode) typically leaves the layer where chance puts it; in one run of
# 1 epoch on all 60,000 images the top 4 reached 0.90, which 0.7% of random layers did.

# %%
random_layers = np.random.default_rng(lesson.seed).uniform(-1, 1, (3, 3, 2000, 32))
random_top4 = np.sort(odd_share(random_layers), axis=-1)[:, -4:].mean(axis=-1)
trained_top4 = float(np.sort(shares)[-4:].mean())
as_edgy = float(np.mean(random_top4 >= trained_top4))
verdict = "more edge-like than" if as_edgy < 0.05 else "not clearly more edge-like than"
print(f"top-4 odd share: trained {trained_top4:.2f}, random layers {random_top4.mean():.2f} on "
      f"average; {as_edgy:.1%} of random layers reach {trained_top4:.2f}: the trained layer "
      f"is {verdict} chance")

# %% [markdown]
# ## Feature maps: the first layer on three digits
#
# Each channel slides its 3×3 kernel over the digit; its feature map (特征图) is high where
# the window matches the flipped kernel. The 4 edge-like channels light up along one side
# of the strokes, the 2 even ones over the stroke itself or its surroundings.

# %%
with no_grad():
    maps1 = conv1(probe[:3]).data                      # (3, 26, 26, 32), after the ReLU
print("feature maps:", maps1.shape, f"| share of zeros after the ReLU: {np.mean(maps1 == 0):.2f}")
lesson.save(plots.feature_maps(probe[:3], maps1, edge_channels + even_channels,
                               "first Conv2D: feature maps of 4 edge-like and 2 even channels"),
            "feature_maps_conv1.png")

# %% [markdown]
# ## The patches that excite a channel most
#
# Take every 3×3 window of the probe digits (26·26 per digit) and compute a channel's
# output by hand: ReLU(Σ window · kernel flipped + bias) (Conv2D is a true convolution,
# lesson 4). The windows with the largest outputs show what the channel looks for.

# %%
windows = sliding_window_view(probe[:, :, :, 0], (3, 3), axis=(1, 2)).reshape(-1, 3, 3)
print(f"{len(windows):,} windows of {len(probe)} digits")


def top_windows(channel: int, k: int = 9) -> dict:
    """The k windows with the largest output of first-layer channel `channel`."""
    pattern = first_kernel[::-1, ::-1, 0, channel]            # what the channel matches
    out = np.maximum(0.0, np.einsum("nij,ij->n", windows, pattern) + first_bias[channel])
    best = np.argsort(-out, kind="stable")[:k]
    return {"patches": windows[best][..., None], "activations": out[best]}


top1 = {c: top_windows(c) for c in edge_channels + even_channels}

# %% [markdown]
# Where does the ink rise? The gradient (梯度) of a 3×3 patch, by the Sobel kernels, points
# from blank to ink; its angle is 0° for ink on the right, 90° for ink above. For each edge
# channel: the angle of the flipped kernel, and that of the mean of its top patches.

# %%
def ink_angle(patch: np.ndarray) -> float:
    """The direction in which a 3×3 patch gains ink, in degrees (0 = right, 90 = up)."""
    return float(np.degrees(np.arctan2(np.sum(patch * -sobel.T), np.sum(patch * sobel))))


angle_gaps = {}
for c in edge_channels:
    kernel_angle = ink_angle(first_kernel[::-1, ::-1, 0, c])
    patch_angle = ink_angle(top1[c]["patches"].mean(axis=0)[:, :, 0])
    angle_gaps[c] = abs((patch_angle - kernel_angle + 180) % 360 - 180)
    print(f"channel {c:2d}: kernel {kernel_angle:7.1f}°, top patches {patch_angle:7.1f}° "
          f"({plots.compass(patch_angle)}), gap {angle_gaps[c]:5.1f}°")
print(f"largest gap {max(angle_gaps.values()):.1f}°: the patches "
      f"{'are' if max(angle_gaps.values()) < 45 else 'are not all'} edges at the kernels' angles")
lesson.save(plots.top_patches(top1, "first Conv2D: the 9 test windows that excite each "
                              "channel most", first_kernel), "top_patches_conv1.png")

# %% [markdown]
# ## The second layer sees 8×8 pieces of strokes
#
# The receptive field (感受野) grows with depth: a conv1 pixel sees 3×3 input pixels, a
# pooled pixel 2×2 of those (4×4 pixels), a conv2 pixel 3×3 pooled pixels 2 apart:
# 4 + 2·2 = 8, so 8×8 input pixels. There, whole stroke pieces fit: ends, bends, crossings.

# %%
with no_grad():
    maps2 = conv2(pool1(conv1(probe))).data             # (N, 11, 11, 64)
channels2 = [int(c) for c in np.argsort(-maps2.max(axis=(0, 1, 2)))[:4]]
top2 = {}
for c in channels2:
    best = np.argsort(-maps2[..., c].ravel(), kind="stable")[:9]
    n, i, j = np.unravel_index(best, maps2.shape[:3])
    patches = np.stack([probe[a, 2 * r:2 * r + 8, 2 * s:2 * s + 8] for a, r, s in zip(n, i, j)])
    top2[c] = {"patches": patches, "activations": maps2[n, i, j, c]}
c = channels2[0]
with no_grad():     # the 8×8 patch alone, through the same three layers, gives a 1×1 map
    alone = conv2(pool1(conv1(top2[c]["patches"][:1]))).data
print(f"channel {c}: in the digit {top2[c]['activations'][0]:.5f}, the 8×8 patch alone "
      f"{alone[0, 0, 0, c]:.5f}, map {alone.shape[1]}×{alone.shape[2]}")
lesson.save(plots.top_patches(top2, "second Conv2D: the 9 test patches (8×8) that excite "
                              "each channel most"), "top_patches_conv2.png")

# %% [markdown]
# ## Segmentation needs more than a classifier
#
# > §2「CNN在图像分割任务中被广泛使用，因为它可以准确地识别图像中的物体和特征。」
# > (CNNs are widely used in segmentation because they can accurately recognise the
# > objects and features in an image.)
#
# "Accurately" is a measurement, not a property: lesson 4 measures an accuracy, lesson 9 an
# IoU. And this network cannot segment at all: it answers 10 numbers per image, not one
# label per pixel; lesson 9's U-Net adds a decoder that brings its maps back to full size.

# %%
output_shape = model.predict(probe[:2]).shape
print(f"input {probe[:2].shape} -> output {output_shape}: "
      f"{output_shape[1]} numbers per image for {28 * 28} pixels")

# %% [markdown]
# ## A GAN is made of CNNs
#
# > §6「卷积神经网络（CNN）是一种特殊的神经网络……生成对抗网络（GAN）是一种生成对抗网络」
# > (A CNN is a special neural network …; a GAN is a generative adversarial network.)
#
# The FAQ answers as if these were two kinds of network (and defines GAN by itself). A GAN
# is a training game between two networks, a generator (生成器) and a discriminator
# (判别器), and for images both are usually CNNs: lesson 8's DCGAN.

# %%
generator, discriminator = dcgan_generator(), dcgan_discriminator()   # lesson 8's DCGAN
discriminator.summary()
generator.summary()
d_layers = [type(layer).__name__ for layer in discriminator.layers]
g_layers = [type(layer).__name__ for layer in generator.layers]
print("D:", " → ".join(d_layers))
print("G:", " → ".join(g_layers))
last = discriminator.layers[-1]
print(f"D: {d_layers.count('Conv2D')} Conv2D layers, then {last.units} "
      f"{last.activation.__name__} unit(s): a CNN classifier (real or fake). "
      f"G: {g_layers.count('Conv2DTranspose')} Conv2DTranspose layers: a CNN run backwards, "
      f"from a vector to an image.")

# %% [markdown]
# ## One forward pass: noise → G → D
#
# G turns 100 random numbers into a 28×28 image (a Dense layer to 7×7×64, then two
# transposed convolutions (转置卷积) of stride 2: 7 → 14 → 28), and D turns an image into
# one probability of "real". Untrained, G typically draws grey noise and D answers about
# 0.5 for everything.

# %%
z = np.random.default_rng(lesson.seed).normal(size=(8, 100)).astype(np.float32)
with no_grad():
    fake = generator(z).data                           # tanh: values in [-1, 1]
    scores = discriminator(fake).data
print(f"z {z.shape} -> G(z) {fake.shape} -> D(G(z)) {scores.shape}; "
      f"D(G(z)) from {scores.min():.3f} to {scores.max():.3f}")
lesson.save(plots.generated(fake, scores[:, 0]), "untrained_dcgan.png")

# %% [markdown]
# ## G's last layer is D's first layer run backwards
#
# D's first Conv2D maps 28×28×1 to 14×14×32; G's last Conv2DTranspose maps 14×14×32 to
# 28×28×1, with a kernel of the same shape. With one kernel w the two are adjoint:
# ⟨conv(x, w), y⟩ = ⟨x, conv_transpose(y, w)⟩ for every image x and every map y.

# %%
w = discriminator.layers[0].kernel.data
print("D's first kernel", w.shape, "| G's last kernel", generator.layers[-1].kernel.data.shape)
x = probe[:1]
y = np.random.default_rng(1).normal(size=(1, 14, 14, 32)).astype(np.float32)
forward = float(np.sum(F.conv2d(x, w, strides=2, padding="same").data * y))
backward = float(np.sum(x * F.conv2d_transpose(y, w, strides=2, padding="same").data))
adjoint_gap = abs(forward - backward)
print(f"<conv(x, w), y> = {forward:.5f}, <x, conv_transpose(y, w)> = {backward:.5f}, "
      f"gap {adjoint_gap:.1e}")

# %% [markdown]
# ## "High-quality images" is a claim to measure
#
# > §2「GAN在图像生成任务中被广泛使用，因为它可以生成高质量的图像。」
# > (GANs are widely used in image generation because they can generate high-quality
# > images.)
#
# Whether they do depends on the training: the untrained G above draws grey noise. Lesson 8
# trains this pair and measures its digits (classifier confidence, Fréchet distance) instead
# of calling them good. And GANs are no longer the best at it: in 2021 diffusion models beat
# them on ImageNet ("Diffusion Models Beat GANs on Image Synthesis", Dhariwal & Nichol).

# %% [markdown]
# ## Try it yourself
#
# 1. Rerun with `--probes 2000`: do the top patches of the same channels change? Then
#    train lesson 4 fully and rerun (not quick): is the layer more edge-like than chance?
# 2. Set one kernel of `conv1` to a Sobel kernel and look at its feature maps (remember the
#    flip). Write the convolution yourself: `tinydl exercise start conv2d_loops`.
# 3. Train lesson 8 with `--dcgan`, load the generator weights it saves into `generator`
#    (`generator.load_weights(path)`) and rerun the forward pass: the same noise, now
#    digits? The GAN losses, yourself: `tinydl exercise start gan_losses`.
