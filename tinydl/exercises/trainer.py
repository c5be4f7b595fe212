"""`tinydl exercise try`: train a small network with the student's own op in place of tinydl's.

The network is the article's CNN (section 4's listing) cut down to run in seconds:

    conv 3×3, K kernels → activation → max-pool 2 → flatten → dense → 10 scores
    trained with softmax cross-entropy and Adam,

on a slice of MNIST when its files are on this machine (tinydl.datasets.mnist's search
path: $TINYDL_DATA/mnist, the user cache, /usr/share/datasets/mnist; nothing is
downloaded), otherwise on the generated bars of lessons/00_tiny_cnn_on_generated_bars.py.
Every piece is a parameter (`Parts`), so each exercise swaps in exactly the student's op
and keeps tinydl's for the rest. The network is written with tinydl.functional directly,
so nothing in tinydl's layers has to be patched.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .. import functional as F
from .. import initializers, losses, optimizers
from ..autograd import Function, Tensor, no_grad
from ..ops.conv import Conv2dOp as LibraryConv2D
from ..datasets import _idx, mnist

Op = Callable[..., Tensor]


def _cross_entropy(y_onehot: np.ndarray, logits: Tensor) -> Tensor:
    return losses.categorical_crossentropy(y_onehot, logits, from_logits=True)


class StepOptimizer(optimizers.Optimizer):
    """An optimizer made of a student's update function step(θ, g, state) -> new θ,
    applied to every parameter in float64 (state: the dict `Optimizer` keeps per
    parameter between steps; the learning rate lives inside the student's function)."""

    def __init__(self, step: Callable[[np.ndarray, np.ndarray, dict], np.ndarray]) -> None:
        super().__init__(learning_rate=0.0)
        self.update = step

    def _update(self, data: np.ndarray, grad: np.ndarray, state: dict) -> None:
        data[...] = self.update(data.astype(np.float64), grad.astype(np.float64), state)


@dataclass
class Parts:
    """The pieces of the small CNN; each defaults to tinydl's own."""
    conv: Op = F.conv2d                   # (x, kernels, bias) -> feature maps
    activation: Op = F.relu
    pool: Op = F.max_pool2d               # (feature maps) -> pooled, window 2
    dense: Op = lambda x, w, b: x @ w + b  # noqa: E731
    loss: Op = _cross_entropy             # (one-hot labels, scores) -> 0-d loss
    optimizer: Any = field(default_factory=lambda: optimizers.Adam(learning_rate=0.01))
    kernels: int = 8


def forward_only_conv(conv2d: Callable[..., np.ndarray]) -> Op:
    """A student's conv2d on arrays as the forward pass of a Function whose backward is
    tinydl's (the exercise asked for the forward only)."""
    class StudentForward(Function):
        def forward(self, x, w, b):
            self.library = LibraryConv2D()
            self.library.forward(x, w, b)   # only to keep what tinydl's backward needs
            return np.asarray(conv2d(x, w, b, 1, "valid"), dtype=x.dtype)

        def backward(self, grad):
            self.library.needs_grad = self.needs_grad
            return self.library.backward(grad)
    return lambda x, w, b: StudentForward.apply(x, w, b)


def softmax_then(loss: Op) -> Op:
    """A loss on probabilities, fed the softmax of the scores."""
    return lambda y, logits: loss(y, F.softmax(logits))


def sigmoid_then(loss: Op) -> Op:
    """A loss on probabilities, fed σ of each score (kept inside [1e-6, 1 - 1e-6])."""
    return lambda y, logits: loss(y, F.sigmoid(logits).clip(1e-6, 1 - 1e-6))


# -- data --------------------------------------------------------------------------------------

def local_mnist_dir() -> Any:
    """The first directory of tinydl.datasets.mnist's search path that holds all four
    files, or None (never downloads)."""
    for _, directory in _idx.search_dirs(mnist.MNIST):
        if not _idx._locate(directory, mnist.MNIST.files)[1]:
            return directory
    return None


def make_bars(n: int, rng: np.random.Generator, size: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Lesson 0's data: n images (n, 12, 12, 1) holding one noisy bar, horizontal (0),
    vertical (1) or diagonal (2), and their labels."""
    labels = rng.integers(0, 3, n)
    pos = rng.integers(2, size - 2, n)
    rows, cols = np.indices((size, size))
    masks = [rows[None] == pos[:, None, None], cols[None] == pos[:, None, None],
             (rows - cols)[None] == (pos - size // 2)[:, None, None]]
    bars = np.select([labels[:, None, None] == k for k in range(3)], masks)
    images = 0.8 * bars + 0.3 * rng.random((n, size, size))
    return images[..., None].astype(np.float32), labels


def load(data: str, rng: np.random.Generator, n_train: int, n_test: int):
    """(description, x_train, y_train, x_test, y_test, number of classes)."""
    directory = local_mnist_dir() if data in ("auto", "mnist") else None
    if directory is not None:
        (x_train, y_train), (x_test, y_test) = mnist.load_data(directory)
        prep = lambda x: (x[..., None] / np.float32(255)).astype(np.float32)  # noqa: E731
        return (f"MNIST ({n_train} training and {n_test} test images, from {directory})",
                prep(x_train[:n_train]), y_train[:n_train].astype(np.int64),
                prep(x_test[:n_test]), y_test[:n_test].astype(np.int64), 10)
    x_train, y_train = make_bars(n_train, rng)
    x_test, y_test = make_bars(n_test, rng)
    why = "" if data == "bars" else " (MNIST is not on this machine)"
    return (f"generated bars of lesson 0{why}: {n_train} training and {n_test} test images",
            x_train, y_train, x_test, y_test, 3)


# -- training ---------------------------------------------------------------------------------

def train_cnn(parts: Parts, what: str, data: str = "auto", epochs: int = 2, seed: int = 0,
              n_train: int | None = None, n_test: int | None = None) -> dict[str, float]:
    """Train the small CNN built from `parts`; print each epoch; return the scores."""
    rng = np.random.default_rng(seed)
    small = data == "bars"
    n_train = n_train or (320 if small else 3000)
    n_test = n_test or (120 if small else 1000)
    description, x_train, y_train, x_test, y_test, k = load(data, rng, n_train, n_test)
    print(f"Training the article's CNN, cut down, with {what}.")
    print(f"data: {description}")
    side = (x_train.shape[1] - 2) // 2                  # after a 3×3 'valid' conv and pool 2
    kernels = Tensor(initializers.glorot_uniform((3, 3, 1, parts.kernels), rng),
                     requires_grad=True)
    k_bias = Tensor(initializers.zeros((parts.kernels,)), requires_grad=True)
    weights = Tensor(initializers.glorot_uniform((side * side * parts.kernels, k), rng),
                     requires_grad=True)
    bias = Tensor(initializers.zeros((k,)), requires_grad=True)
    params = [kernels, k_bias, weights, bias]
    onehot = np.eye(k, dtype=np.float32)

    def scores(x: np.ndarray) -> Tensor:
        h = parts.pool(parts.activation(parts.conv(x, kernels, k_bias)))
        return parts.dense(F.flatten(h), weights, bias)

    def accuracy(x: np.ndarray, y: np.ndarray) -> float:
        with no_grad():
            predicted = np.concatenate([scores(x[i:i + 250]).data.argmax(1)
                                        for i in range(0, len(x), 250)])
        return float(np.mean(predicted == y))

    result = {"chance": 1 / k}
    for epoch in range(1, epochs + 1):
        start, batch_losses = time.perf_counter(), []
        order = rng.permutation(n_train)
        for i in range(0, n_train, 32):
            idx = order[i:i + 32]
            loss = parts.loss(onehot[y_train[idx]], scores(x_train[idx]))
            parts.optimizer.zero_grad(params)
            loss.backward()
            parts.optimizer.step(params)
            batch_losses.append(float(loss.item()))
        result["accuracy"] = accuracy(x_test, y_test)
        result["loss"] = float(np.mean(batch_losses))
        print(f"  epoch {epoch}: training loss {result['loss']:.4f}, test accuracy "
              f"{result['accuracy']:.3f} ({time.perf_counter() - start:.1f} s)")
    print(f"Test accuracy with your op: {result['accuracy']:.1%} (guessing would give "
          f"{1 / k:.0%}).")
    return result


def train_toy_gan(d_loss: Op, g_loss: Op, steps: int = 600, seed: int = 0) -> dict[str, float]:
    """Section 3.2's GAN on numbers instead of images: the real data are samples of
    N(4, 0.5²); G maps noise z ~ N(0, 1) through a small MLP to one number; D is a small
    MLP giving a logit. Trained with the student's losses and Adam; returns the mean and
    standard deviation of the generated samples."""
    rng = np.random.default_rng(seed)

    def layer(n_in: int, n_out: int) -> list[Tensor]:
        return [Tensor(initializers.glorot_uniform((n_in, n_out), rng), requires_grad=True),
                Tensor(initializers.zeros((n_out,)), requires_grad=True)]

    g_params, d_params = layer(1, 16) + layer(16, 1), layer(1, 16) + layer(16, 1)

    def generator(z: np.ndarray) -> Tensor:
        w1, b1, w2, b2 = g_params
        return F.leaky_relu(Tensor(z) @ w1 + b1) @ w2 + b2

    def discriminator(x: Any) -> Tensor:
        w1, b1, w2, b2 = d_params
        return F.leaky_relu(x @ w1 + b1) @ w2 + b2

    g_opt, d_opt = optimizers.Adam(learning_rate=0.01), optimizers.Adam(learning_rate=0.01)
    print("Training section 3.2's GAN on numbers with your losses: the real data are samples "
          "of N(4, 0.5²), the generator starts near 0.")
    for step in range(1, steps + 1):
        real = (4 + 0.5 * rng.standard_normal((64, 1))).astype(np.float32)
        z = rng.standard_normal((64, 1)).astype(np.float32)
        with no_grad():
            fake = generator(z)
        loss_d = d_loss(discriminator(Tensor(real)), discriminator(fake.detach()))
        d_opt.zero_grad(d_params)
        loss_d.backward()
        d_opt.step(d_params)
        loss_g = g_loss(discriminator(generator(z)))
        g_opt.zero_grad(g_params)
        loss_g.backward()
        g_opt.step(g_params)
        if step % 150 == 0:
            with no_grad():
                sample = generator(rng.standard_normal((1000, 1)).astype(np.float32)).data
            print(f"  step {step}: L_d {loss_d.item():.3f}, L_g {loss_g.item():.3f}, generated "
                  f"mean {sample.mean():.2f}, std {sample.std():.2f}")
    with no_grad():
        sample = generator(rng.standard_normal((2000, 1)).astype(np.float32)).data
    print(f"Generated numbers: mean {sample.mean():.2f}, std {sample.std():.2f} (the real data: "
          f"mean 4.00, std 0.50).")
    return {"mean": float(sample.mean()), "std": float(sample.std())}
