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
# # Lesson 1 · 第1课: the convolution formula of §3.1.4, on a real digit
#
# > §3.1.2「卷积层使用卷积核（filter）来扫描图像，以识别特定的图像特征。」
# > (The convolutional layer scans the image with a kernel (filter) to detect particular
# > image features.)
#
# Here the article's formula becomes plain loops, checked against tinydl's `conv2d` on an
# MNIST digit. Then come the two things the article leaves out: which way round the kernel
# is read (convolution (卷积) or cross-correlation (互相关)) and how big the output is
# (stride (步长) and padding (填充)).

# %%
import itertools
import math

import numpy as np

import tinydl.functional as F
from tinydl import Tensor, optimizers
from tinydl.datasets import mnist

import _conv_plots as plots
from _lesson import Lesson, plt

lesson = Lesson("01_convolution", "the convolution formula of §3.1.4 on a real digit")
rng = np.random.default_rng(lesson.seed)
(x_train, _), (x_test, y_test) = mnist.load_data()
image = x_test[0].astype(np.float64) / 255.0          # 28×28, pixels in [0, 1]
print(f"MNIST test digit 0: label {y_test[0]}, shape {image.shape}")

# %% [markdown]
# ## The formula, and what its letters mean
#
# > §3.1.4「y(x,y) = \sum_{x'=0}^{w-1}\sum_{y'=0}^{h-1}w(x',y')\cdot x(x-x',y-y')」
# > 「其中，$w(x',y')$是卷积核的值，$x(x-x',y-y')$是图像的值。」
# > (Here w(x',y') is a value of the kernel (卷积核) and x(x−x',y−y') a value of the image.)
#
# The notation is vague: `w` is the kernel *and* its width (in w−1), `x` the image *and*
# a coordinate, `y` the output *and* the other one, `h` the kernel's height (not the
# image's), and it does not say which axis x is. Cleanly: image X (H×W), kernel K (kh×kw),
# x' over the kernel's kh rows, y' over its kw columns (NumPy's [row, column] order).

# %% [markdown]
# The article's point (x, y) needs X[x − x', y − y'] for every x', y', so without padding
# the first point is (kh−1, kw−1). Numbering the outputs from 0, that is
# **Y[r, c] = Σ_{i<kh} Σ_{j<kw} K[i, j] · X[r + kh−1 − i, c + kw−1 − j]**, an output of
# (H−kh+1)×(W−kw+1) ('valid'). Reading X as 0 outside the image would instead give the
# (H+kh−1)×(W+kw−1) 'full' convolution: the article says neither. The loops below are the
# 'valid' formula, one product at a time.

# %%
# Hand-made kernels, rows top to bottom. Sobel answers a left-to-right change of
# brightness (a vertical edge); its 180° flip is its negative.
KERNELS = {
    "sobel": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64),
    "gaussian blur": np.outer([1, 2, 1], [1, 2, 1]).astype(np.float64) / 16,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
}


def article_convolution(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """§3.1.4 as literal loops, 'valid': Y[r, c] = Σ_i Σ_j K[i, j]·X[r+kh-1-i, c+kw-1-j]."""
    h, w = image.shape
    kh, kw = kernel.shape
    out = np.zeros((h - kh + 1, w - kw + 1))
    for r in range(h - kh + 1):
        for c in range(w - kw + 1):
            px, py = r + kh - 1, c + kw - 1          # the article's point (x, y)
            for i in range(kh):                      # the article's x'
                for j in range(kw):                  # the article's y'
                    out[r, c] += kernel[i, j] * image[px - i, py - j]
    return out

# %% [markdown]
# The loops against `conv2d` (float32, as a network computes) on the digit, and how long
# each takes. `conv` feeds one 2-D image and kernel to tinydl, which works on batches
# (N, H, W, channels) and kernels (kh, kw, in, out).

# %%
def conv(image: np.ndarray, kernel: np.ndarray, op=F.conv2d, **options) -> np.ndarray:
    """One 2-D image, one 2-D kernel through tinydl's (N, H, W, C) conv2d (or correlate2d)."""
    return op(image[None, :, :, None], kernel[:, :, None, None], **options).data[0, :, :, 0]


repeats = (1, 5) if lesson.quick else (5, 50)
loop_vs_conv2d_max_diff, speedup, maps = {}, {}, {}
print(f"{'kernel':<14} {'output':>7} {'max |loops − conv2d|':>21} {'loops ms':>9} "
      f"{'conv2d ms':>10} {'speed-up':>9}")
for name, kernel in KERNELS.items():
    literal = article_convolution(image, kernel)
    image32, kernel32 = image.astype(np.float32), kernel.astype(np.float32)
    maps[name] = conv(image32, kernel32)
    loop_vs_conv2d_max_diff[name] = float(np.abs(literal - maps[name]).max())
    ms_loop = plots.best_ms(lambda: article_convolution(image, kernel), repeats[0])
    ms_fast = plots.best_ms(lambda: conv(image32, kernel32), repeats[1])
    speedup[name] = ms_loop / ms_fast
    print(f"{name:<14} {'%dx%d' % literal.shape:>7} {loop_vs_conv2d_max_diff[name]:>21.2e} "
          f"{ms_loop:>9.2f} {ms_fast:>10.3f} {speedup[name]:>8.0f}x")
lesson.save(plots.feature_maps(image, KERNELS, maps), "kernels_and_feature_maps.png")

# %% [markdown]
# ## Convolution (卷积) or cross-correlation (互相关)?
#
# In x − x' the kernel index goes up while the image index goes down: the window is read
# backwards, which is the kernel flipped by 180°. That is a true convolution. Keras'
# `Conv2D` (the layer of the article's §4 code) and PyTorch's `nn.Conv2d` compute the
# cross-correlation Y[r, c] = Σ K[i, j]·X[r + i, c + j] instead; the article does not say
# they differ. One output pixel by hand, where the Sobel response is strongest:

# %%
sobel = KERNELS["sobel"]
r, c = np.unravel_index(np.abs(maps["sobel"]).argmax(), maps["sobel"].shape)
window = image[r:r + 3, c:c + 3]                     # the 3×3 pixels under output (r, c)
by_hand_conv = float((sobel[::-1, ::-1] * window).sum())     # x − x': the kernel flipped
by_hand_corr = float((sobel * window).sum())                 # x + x': Keras, PyTorch
print(f"output ({r}, {c}); the window under it:\n{window.round(2)}")
print(f"Σ flip(K)·window = {by_hand_conv:+.4f}   conv2d gives      "
      f"{conv(image, sobel)[r, c]:+.4f}")
print(f"Σ K·window       = {by_hand_corr:+.4f}   correlate2d gives "
      f"{conv(image, sobel, F.correlate2d)[r, c]:+.4f}")

# %% [markdown]
# The same on whole maps, for the three kernels and two more asymmetric ones: an "emboss"
# (neither symmetric nor antisymmetric) and a "shift" (a single 1 in the corner of a 5×5).
# A flip-symmetric kernel gives the same map either way; and always
# correlate2d(X, K) = conv2d(X, flip K).

# %%
EMBOSS = np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], dtype=np.float64)
SHIFT = np.pad([[1.0]], ((0, 4), (0, 4)))            # 5×5, a 1 at [0, 0]
conv_vs_corr = {}
print(f"{'kernel':<14} {'flip-symmetric':>14} {'max|conv−corr|':>15} {'max|conv+corr|':>15} "
      f"{'max|corr(K)−conv(flip K)|':>26}  conv2d vs correlate2d")
for name, kernel in [*KERNELS.items(), ("emboss", EMBOSS), ("shift", SHIFT)]:
    a, b = conv(image, kernel), conv(image, kernel, F.correlate2d)
    row = conv_vs_corr[name] = {
        "symmetric": bool(np.array_equal(kernel, kernel[::-1, ::-1])),
        "conv_minus_corr": float(np.abs(a - b).max()),
        "conv_plus_corr": float(np.abs(a + b).max()),
        "corr_minus_conv_flipped": float(np.abs(b - conv(image, kernel[::-1, ::-1])).max())}
    verdict = ("the same" if row["conv_minus_corr"] < 1e-9 else
               "the negative" if row["conv_plus_corr"] < 1e-9 else "a different map")
    print(f"{name:<14} {str(row['symmetric']):>14} {row['conv_minus_corr']:>15.3f} "
          f"{row['conv_plus_corr']:>15.3f} {row['corr_minus_conv_flipped']:>26.1e}  {verdict}")
shift_conv_reads = bool(np.array_equal(conv(image, SHIFT), image[4:, 4:]))
shift_corr_reads = bool(np.array_equal(conv(image, SHIFT, F.correlate2d), image[:24, :24]))
print(f"shift: conv2d output[r, c] = X[r+4, c+4]: {shift_conv_reads}; "
      f"correlate2d output[r, c] = X[r, c]: {shift_corr_reads}")
lesson.save(plots.conv_vs_corr(image, {"sobel": sobel, "emboss": EMBOSS, "shift": SHIFT}),
            "convolution_vs_correlation.png")

# %% [markdown]
# ## A learned kernel just comes out flipped
#
# For a hand-made kernel the difference matters (the Sobel map changes sign). For a
# learned one it does not. Take the output of a Keras-style (correlating) layer with a
# known kernel and fit a 3×3 kernel to it with each op, by least squares and by Adam
# through autograd. Both ops are linear in the kernel: op(X, K) = A·vec(K).

# %%
def design_matrix(images: np.ndarray, k: int, op) -> np.ndarray:
    """Column m: op(images, e_m) flattened, e_m the m-th one-hot k×k kernel."""
    eye = np.eye(k * k).reshape(k * k, k, k).transpose(1, 2, 0)[:, :, None, :]
    return op(images[..., None], eye).data.reshape(-1, k * k)


def fit_by_descent(images: np.ndarray, target: np.ndarray, k: int, op, steps: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Minimise mean (op(X, K) − target)² over a k×k kernel K with Adam and autograd."""
    w = Tensor(rng.normal(0, 0.1, (k, k, 1, 1)), requires_grad=True)
    optimizer = optimizers.Adam(learning_rate=0.2)
    for _ in range(steps):
        loss = ((op(images[..., None], w) - target[..., None]) ** 2).mean()
        optimizer.zero_grad([w])
        loss.backward()
        optimizer.step([w])
    return w.data[:, :, 0, 0]

# %%
n_fit, steps = (4, 300) if lesson.quick else (64, 600)
images = x_train[:n_fit].astype(np.float64) / 255.0
fits, fitted = {}, {}     # (kernel, op, method) -> (max |K − true|, max |K − flip(true)|)
print(f"{n_fit} digits; {'kernel':<7} {'op':<12} {'method':<14} {'max|K−true|':>12} "
      f"{'max|K−flip(true)|':>18}")
for name, true in (("sobel", sobel), ("emboss", EMBOSS)):
    target = F.correlate2d(images[..., None], true[:, :, None, None]).data[..., 0]
    fitted[name] = {"true": true}
    for mode, op in (("correlate2d", F.correlate2d), ("conv2d", F.conv2d)):
        a = design_matrix(images, 3, op)
        fitted[name][mode] = np.linalg.lstsq(a, target.ravel(), rcond=None)[0].reshape(3, 3)
        w_adam = fit_by_descent(images, target, 3, op, steps, rng)
        for method, w in (("least squares", fitted[name][mode]), ("Adam", w_adam)):
            d = fits[(name, mode, method)] = (float(np.abs(w - true).max()),
                                              float(np.abs(w - true[::-1, ::-1]).max()))
            print(f"{' ' * 12}{name:<7} {mode:<12} {method:<14} {d[0]:>12.2e} {d[1]:>18.2e}")
flipped = all(d[1] < 0.05 < d[0] for (_, mode, _), d in fits.items() if mode == "conv2d")
print(f"with conv2d every fit is {'' if flipped else 'NOT '}the 180° flip of the true kernel")
lesson.save(plots.learned_kernels(fitted), "learned_kernels_flip.png")

# %% [markdown]
# Both ops compute the same family of functions; training finds whichever kernel its op
# needs. So a trained network does not care, but a kernel copied from a Keras model into a
# true convolution (or a textbook edge detector into Keras) must be flipped.

# %% [markdown]
# ## Stride (步长), padding (填充) and the output size
#
# The formula has neither: read as above, it gives one output wherever the whole window
# fits, moving one pixel at a time. A layer with stride s and zero padding p reads
# Y[r, c] = Σ K[i, j]·X_p[s·r + kh−1−i, s·c + kw−1−j] and gives floor((H + 2p − k)/s) + 1
# outputs per axis; Keras' 'same' pads so that it gives ceil(H/s). For example
# H = 28, k = 3, s = 2, p = 1: floor(27/2) + 1 = 14.

# %%
def out_size_formula(h: int, k: int, s: int, padding) -> int:
    """floor((H + 2p − k)/s) + 1 for an int padding p ('valid' is p = 0); ceil(H/s) for 'same'."""
    if padding == "same":
        return math.ceil(h / s)
    p = 0 if padding == "valid" else padding
    return (h + 2 * p - k) // s + 1


H = 28
output_sizes = []   # (padding, stride, kernel size, formula, conv2d's actual size)
for padding, s, k in itertools.product(("valid", "same", 1, 2), (1, 2, 3), (1, 3, 5, 7)):
    actual = F.conv2d(np.zeros((1, H, H, 1)), np.zeros((k, k, 1, 1)), strides=s,
                      padding=padding).shape[1]
    output_sizes.append((padding, s, k, out_size_formula(H, k, s, padding), actual))
print(f"output size of a {H}×{H} input, formula/conv2d, for k = 1, 3, 5, 7:")
for i in range(0, len(output_sizes), 4):
    group = output_sizes[i:i + 4]
    print(f"  padding {group[0][0]!r:>7}, stride {group[0][1]}: "
          + "  ".join(f"{f:>2}/{a:<2}" for *_, f, a in group))
output_size_mismatches = sum(f != a for *_, f, a in output_sizes)
print(f"{len(output_sizes)} geometries, {output_size_mismatches} mismatches")
lesson.save(plots.output_sizes(output_sizes, H), "output_size.png")

# %% [markdown]
# ## The article against the measurements
#
# Also left out by §3.1.4: a real layer sums over the input channels (RGB, or the 32 maps
# of the previous layer) and adds a bias (偏置) per kernel; the formula has one channel
# and no bias. What this run measured:

# %%
slowest, fastest = min(speedup.values()), max(speedup.values())
print(f"formula ΣΣ w(x',y')·x(x−x',y−y') vs conv2d: max difference "
      f"{max(loop_vs_conv2d_max_diff.values()):.1e}; conv2d took 1/{slowest:.0f} to "
      f"1/{fastest:.0f} of the loops' time")
print(f"true convolution vs Keras' correlation: the Sobel map "
      f"{'changes sign' if conv_vs_corr['sobel']['conv_plus_corr'] < 1e-9 else 'differs'}; "
      f"a learned kernel {'comes out flipped' if flipped else 'does not come out flipped'}")
print(f"stride and padding: floor((H+2p−k)/s)+1 and ceil(H/s) for 'same', "
      f"{output_size_mismatches} mismatches in {len(output_sizes)} geometries")

# %% [markdown]
# ## Try it yourself
#
# 1. Write the formula yourself, with channels, bias, stride and padding:
#    `tinydl exercise start conv2d_loops`, then `tinydl exercise check conv2d_loops`
#    (and the fast version, `conv2d_im2col`).
# 2. Add the transposed Sobel (`sobel.T`, a horizontal-edge detector) to the
#    convolution-vs-correlation table: is it flip-symmetric, and what is the verdict?
# 3. Fit with `fit_by_descent` for only 20 steps: how far from the flip does it stop?
