"""Generative adversarial networks (article section 3.2): a trainer that reads like the
article's five steps, checkpoints that resume bit for bit, and one-call sampling.

The two players are ordinary models (e.g. `Sequential`):
    generator      G: noise z (N, latent_dim) ~ N(0, I)  ->  images, e.g. (N, 784) in (-1, 1)
    discriminator  D: images -> one logit l per image, D(x) = σ(l) = P(x is real).
D's last layer may end in a sigmoid (its pre-activation is then used as the logit, for a
stable loss) or have no activation (it outputs logits).

One `GAN.train_step` is the article's steps 2-4 (section 3.2.3) on one batch:
    (1. the real batch arrives preprocessed: pixels scaled to [-1, 1], like G's tanh)
    2. D scores the real images:                       D(x)
    3. G turns noise into fakes; D scores them:        D(G(z))
    4a. D step: L_d = −mean log D(x) − mean log(1 − D(G(z))); only D's weights move
        (the fakes are detached, so no gradient reaches G);
    4b. G step: the updated D scores the same fakes again; L_g (saturating: the
        article's mean log(1 − D(G(z))); non-saturating: −mean log D(G(z))); only G's
        weights move (D's weights are frozen during this pass: no gradient is computed
        for them).
`GAN.fit` is step 5, repeating over the data for some epochs. The article's step 5
repeats only steps 3 and 4; steps 2-4 must repeat (D keeps judging real images), with
fresh noise z drawn at every step.

Reusing the D step's fakes in the G step (as the PyTorch DCGAN tutorial does) saves a
generator forward pass. It has one side effect a careful reader can measure (lesson 7b
does): G is scored by a D that has just been fitted to those very samples, which, with
a nearly flat D, shrinks G's spread by about α²/(4·batch) per SGD step.
"""
from __future__ import annotations

import json
import math
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from . import activations, backend, losses, optimizers, parallel
from .autograd import Tensor, no_grad
from .image_grids import save_image_grid
from .io import load_npz, save_npz
from .ops.activations import stable_sigmoid


class GANWarning(UserWarning):
    """Training looks unhealthy: D wins outright, or the generator collapsed to one mode."""


@contextmanager
def frozen(weights: Sequence[Tensor]) -> Iterator[None]:
    """Within the block, `weights` do not require gradients: the ops recorded there skip
    computing their gradient, also in a backward run after the block (the G step does
    not need D's)."""
    flags = [w.requires_grad for w in weights]
    for w in weights:
        w.requires_grad = False
    try:
        yield
    finally:
        for w, flag in zip(weights, flags):
            w.requires_grad = flag


def mean_pairwise_distance(x: np.ndarray) -> float:
    """Mean Euclidean distance between the rows of x (N, ...), over all N(N-1)/2 pairs:
    ||a - b||² = ||a||² + ||b||² - 2 a·b, in float64."""
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    sq = (x * x).sum(axis=1)
    d2 = np.clip(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0, None)
    n = len(x)
    return float(np.sqrt(d2)[np.triu_indices(n, 1)].mean())


@contextmanager
def ctrl_c_after_block() -> Iterator[None]:
    """Hold a Ctrl-C (SIGINT) that arrives inside the block until the block is done, then
    raise it: a checkpoint of several files is never left half of one epoch and half of
    the next. Outside the main thread (where signals cannot be handled) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt


class GAN:
    """A generator and a discriminator trained against each other.

    Args:
        generator, discriminator: built models (called as model(x, training=...), with
            `trainable_weights`, `weights`, `layers`, save_weights/load_weights).
        g_optimizer, d_optimizer: one optimizer each (objects or names); the DCGAN
            recipe is Adam(2e-4, beta_1=0.5) for both.
        generator_loss: 'non_saturating' (default, −log D(G(z))) or 'saturating' (the
            article's log(1 − D(G(z)))); see `tinydl.losses.generator_loss`.
        latent_dim: length of z; by default the generator's input width.
        seed: seeds the GAN's own generator of noise and of the shuffling order.
        d_wins_below: warn when mean D(G(z)) stays below this in every batch of an epoch.
        collapse_below: warn when the fixed-noise samples' mean pairwise distance is below
            this fraction of a real batch's (the samples look alike: mode collapse).

    Attributes:
        history: per-epoch means, {'d_loss', 'g_loss', 'd_real', 'd_fake', 'g_grad_norm',
            'diversity', 'seconds'}: lists, one value per finished epoch.
        batch_history: those four and 'g_grad_norm' for every step (see `train_step`).
        epoch: the number of finished epochs (restored by `load_checkpoint`).
        fixed_noise: (64, latent_dim) noise drawn once, for comparable samples per epoch.
    """

    def __init__(self, generator: Any, discriminator: Any, g_optimizer: Any = "adam",
                 d_optimizer: Any = "adam", generator_loss: str = "non_saturating",
                 latent_dim: int | None = None, seed: int | None = None,
                 d_wins_below: float = 0.05, collapse_below: float = 0.2) -> None:
        if generator_loss not in losses.GENERATOR_LOSSES:
            raise ValueError(f"GAN: generator_loss must be one of {losses.GENERATOR_LOSSES}, "
                             f"got {generator_loss!r}")
        for role, model in (("generator", generator), ("discriminator", discriminator)):
            if not getattr(model, "built", False):
                raise ValueError(f"GAN: the {role} is not built; give its first layer an "
                                 f"input_shape or call model.build((None, ...)) first")
        self.generator, self.discriminator = generator, discriminator
        self.g_optimizer = optimizers.get(g_optimizer)
        self.d_optimizer = optimizers.get(d_optimizer)
        if self.g_optimizer is self.d_optimizer:
            raise ValueError("GAN: G and D need two optimizer objects (each keeps its own state)")
        self.generator_loss = generator_loss
        self.latent_dim = int(latent_dim or generator.input_shape[-1])
        self.rng = np.random.default_rng(seed)
        self.d_wins_below, self.collapse_below = d_wins_below, collapse_below
        self.fixed_noise = self.noise(64)
        self.epoch = 0
        self.checkpoint_epoch: int | None = None   # the epoch the last saved/loaded checkpoint holds
        self.history: dict[str, list[float]] = {k: [] for k in
                                                ("d_loss", "g_loss", "d_real", "d_fake",
                                                 "g_grad_norm", "diversity", "seconds")}
        self.batch_history: dict[str, list[float]] = {k: [] for k in
                                                      ("d_loss", "g_loss", "d_real", "d_fake",
                                                       "g_grad_norm")}
        last = discriminator.layers[-1]
        act = getattr(last, "activation", activations.linear)
        if act not in (activations.sigmoid, activations.linear):
            raise ValueError(f"GAN: the discriminator's last layer must output a logit (no "
                             f"activation) or a probability (sigmoid); it has "
                             f"{getattr(act, '__name__', act)}")
        self._d_sigmoid = act is activations.sigmoid

    # -- the pieces of one step ------------------------------------------------------
    def noise(self, n: int) -> np.ndarray:
        """z ~ N(0, I), shape (n, latent_dim), in the generator's dtype."""
        return self.rng.standard_normal((n, self.latent_dim)).astype(self.generator.dtype)

    def d_logits(self, x: Tensor | np.ndarray, training: bool = True) -> Tensor:
        """D's logit for each image of x: (N, 1)."""
        out = self.discriminator(x, training=training)
        return self.discriminator.layers[-1].pre_activation if self._d_sigmoid else out

    def train_step(self, real: np.ndarray) -> dict[str, float]:
        """One D step then one G step on a real batch (N, ...) (see the module docstring).

        Returns {'d_loss', 'g_loss', 'd_real': mean D(x), 'd_fake': mean D(G(z)),
        'g_grad_norm'}: the two means are measured in the D step, before D's update;
        g_grad_norm is ||∂L_g/∂θ_g||, the length of G's whole gradient (it shows the
        saturating loss's vanishing gradient).
        """
        real = np.asarray(real, dtype=self.discriminator.dtype)
        if len(real) == 0:
            raise ValueError("GAN.train_step: the real batch is empty")
        d_weights = self.discriminator.trainable_weights
        g_weights = self.generator.trainable_weights
        fake = self.generator(Tensor(self.noise(len(real))), training=True)      # G(z)

        real_logits = self.d_logits(Tensor(real))
        fake_logits = self.d_logits(fake.detach())          # no gradient into G here
        d_loss = losses.discriminator_loss(real_logits, fake_logits)
        self.d_optimizer.zero_grad(d_weights)
        d_loss.backward()
        self.d_optimizer.step(d_weights)

        with frozen(d_weights):      # D's ops record that its weights need no gradient
            g_loss = losses.generator_loss(self.d_logits(fake), self.generator_loss)
        self.g_optimizer.zero_grad(g_weights)
        g_loss.backward()
        g_grad_norm = math.sqrt(sum(float(np.vdot(w.grad, w.grad)) for w in g_weights
                                    if w.grad is not None))
        self.g_optimizer.step(g_weights)

        values = {"d_loss": float(d_loss.data), "g_loss": float(g_loss.data),
                  "d_real": float(stable_sigmoid(real_logits.data).mean()),
                  "d_fake": float(stable_sigmoid(fake_logits.data).mean()),
                  "g_grad_norm": g_grad_norm}
        for key, value in values.items():
            self.batch_history[key].append(value)
        if not all(math.isfinite(v) for v in values.values()):
            raise FloatingPointError(f"GAN.train_step: a non-finite value {values} at epoch "
                                     f"{self.epoch + 1}; lower the learning rates")
        return values

    # -- inference -------------------------------------------------------------------
    def generate(self, n: int | None = None, noise: np.ndarray | None = None,
                 batch_size: int = 500) -> np.ndarray:
        """G's samples in inference mode (batch normalization uses its moving statistics),
        as a NumPy array; from `noise` (n, latent_dim) when given, else n fresh draws."""
        z = self.noise(n) if noise is None else np.asarray(noise, self.generator.dtype)
        return generate(self.generator, z, batch_size)

    def diversity(self, real: np.ndarray) -> float:
        """Mean pairwise distance of G(fixed_noise) divided by that of a real batch of the
        same size: about 1 for varied samples, near 0 when they all look alike."""
        fake = self.generate(noise=self.fixed_noise)
        return mean_pairwise_distance(fake) / mean_pairwise_distance(real[:len(fake)])

    # -- training --------------------------------------------------------------------
    def fit(self, x: Any, epochs: int, batch_size: int = 64, checkpoint: str | os.PathLike | None = None,
            on_epoch_end: Callable[[GAN, dict[str, float]], Any] | None = None,
            verbose: int = 1) -> dict[str, list[float]]:
        """Train from epoch `self.epoch` up to `epochs` (so a restored GAN continues).

        x: real samples (N, ...), already scaled like G's output. Each epoch visits them
        in a fresh random order, batch_size at a time (the last, smaller batch included).
        After every epoch: the means go to `history`; the health checks run (a GANWarning
        names what went wrong); `on_epoch_end(gan, logs)` is called; and, with
        `checkpoint` (a folder), everything needed to resume is saved there.

        Ctrl-C (KeyboardInterrupt) stops training cleanly: the unfinished epoch is
        dropped, the last saved checkpoint stays, fit says which epoch it holds
        (`checkpoint_epoch`) and returns. A Ctrl-C during a checkpoint's save is held
        until the save is whole, so the three files are always of one epoch.
        """
        x = np.asarray(x)
        if len(x) < 2:
            raise ValueError(f"GAN.fit: need at least 2 real samples, got {len(x)}")
        steps = math.ceil(len(x) / batch_size)
        self.interrupted = False
        try:
            while self.epoch < epochs:
                parallel.adapt_to_load()     # fewer threads while other processes hold cores
                start, order = time.perf_counter(), self.rng.permutation(len(x))
                sums = dict.fromkeys(self.batch_history, 0.0)
                all_rejected = True
                for step in range(steps):
                    index = order[step * batch_size:(step + 1) * batch_size]
                    values = self.train_step(x[index])
                    for key in sums:
                        sums[key] += values[key] * len(index)
                    all_rejected &= values["d_fake"] < self.d_wins_below
                logs = {key: total / len(x) for key, total in sums.items()}
                logs["diversity"] = self.diversity(x[self.rng.choice(len(x), 64, replace=False)]
                                                   if len(x) > 64 else x)
                logs["seconds"] = time.perf_counter() - start
                self.epoch += 1
                for key, value in logs.items():
                    self.history[key].append(value)
                self._health_checks(logs, all_rejected)
                if verbose:
                    print(f"epoch {self.epoch}/{epochs}  " + "  ".join(
                        f"{k} {v:.4g}" for k, v in logs.items()), flush=True)
                if on_epoch_end is not None:
                    on_epoch_end(self, logs)
                if checkpoint is not None:
                    with ctrl_c_after_block():     # three files: all of one epoch, or none
                        self.save_checkpoint(checkpoint)
        except KeyboardInterrupt:
            self.interrupted = True
            where = ""
            if checkpoint is not None:
                where = (f"; {checkpoint} holds no checkpoint of this run yet"
                         if self.checkpoint_epoch is None else
                         f"; the checkpoint in {checkpoint} holds epoch {self.checkpoint_epoch}")
            print(f"\ninterrupted after {self.epoch} finished epochs{where}", flush=True)
        return self.history

    def _health_checks(self, logs: dict[str, float], all_rejected: bool) -> None:
        if all_rejected:
            warnings.warn(f"epoch {self.epoch}: D wins outright: mean D(G(z)) stayed below "
                          f"{self.d_wins_below} in every batch, so G gets little signal (try the "
                          f"non-saturating loss, a slower D, or label smoothing)", GANWarning,
                          stacklevel=3)
        if logs["diversity"] < self.collapse_below:
            warnings.warn(f"epoch {self.epoch}: the samples look alike (mode collapse?): their "
                          f"mean pairwise distance is {logs['diversity']:.3f} of a real batch's",
                          GANWarning, stacklevel=3)

    # -- checkpoints -----------------------------------------------------------------
    def _generators(self) -> dict[str, np.random.Generator]:
        """Every random generator the training consumes: the GAN's, tinydl's shared one,
        and each layer's own."""
        found = {"gan": self.rng, "tinydl": backend.get_rng()}
        for role, model in (("generator", self.generator), ("discriminator", self.discriminator)):
            for i, layer in enumerate(model.layers):
                if getattr(layer, "rng", None) is not None:
                    found[f"{role}/{i}"] = layer.rng
        return found

    def save_checkpoint(self, folder: str | os.PathLike) -> Path:
        """Write everything needed to continue training exactly: both models' weights
        (generator.weights.npz and discriminator.weights.npz, loadable with
        `load_weights` on their own), the optimizers' states, every random generator's
        state, the epoch count and the history (gan_state.npz). Each file is written
        atomically (`tinydl.io`): a failed or interrupted save leaves the previous
        checkpoint's file whole and raises an error naming it."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state: dict[str, Any] = {"epoch": self.epoch, "fixed_noise": self.fixed_noise}
        for prefix, opt, model in (("g_opt", self.g_optimizer, self.generator),
                                   ("d_opt", self.d_optimizer, self.discriminator)):
            for key, value in opt.state_dict(model.trainable_weights).items():
                state[f"{prefix}/{key}"] = value
        state["rng_states"] = np.array(json.dumps(
            {name: gen.bit_generator.state for name, gen in self._generators().items()}))
        for group, values in (("history", self.history), ("batch_history", self.batch_history)):
            for key, series in values.items():
                state[f"{group}/{key}"] = np.asarray(series, dtype=np.float64)
        for name, model in (("generator.weights.npz", self.generator),
                            ("discriminator.weights.npz", self.discriminator)):
            model.save_weights(folder / name)          # atomic itself
        save_npz(folder / "gan_state.npz", state)
        self.checkpoint_epoch = self.epoch
        return folder

    def load_checkpoint(self, folder: str | os.PathLike) -> int:
        """Restore a `save_checkpoint` folder into this GAN (same architectures and
        optimizer types); returns the number of finished epochs. The next `fit` step is
        then bit for bit the one the saved run would have taken."""
        folder = Path(folder)
        missing = [n for n in ("generator.weights.npz", "discriminator.weights.npz",
                               "gan_state.npz") if not (folder / n).exists()]
        if missing:
            raise FileNotFoundError(f"GAN.load_checkpoint: {folder} lacks {missing}")
        self.generator.load_weights(str(folder / "generator.weights.npz"))
        self.discriminator.load_weights(str(folder / "discriminator.weights.npz"))
        state = load_npz(folder / "gan_state.npz", caller="GAN.load_checkpoint",
                         what="a GAN's training state written by GAN.save_checkpoint")
        for prefix, opt, model in (("g_opt", self.g_optimizer, self.generator),
                                   ("d_opt", self.d_optimizer, self.discriminator)):
            opt.load_state_dict({k.split("/", 1)[1]: v for k, v in state.items()
                                 if k.startswith(prefix + "/")}, model.trainable_weights)
        saved = json.loads(str(state["rng_states"]))
        generators = self._generators()
        if set(saved) != set(generators):
            raise ValueError(f"GAN.load_checkpoint: the checkpoint has random generators "
                             f"{sorted(saved)} but this GAN has {sorted(generators)}")
        for name, gen in generators.items():
            gen.bit_generator.state = saved[name]
        self.fixed_noise = state["fixed_noise"]
        self.epoch = self.checkpoint_epoch = int(state["epoch"])
        for group, values in (("history", self.history), ("batch_history", self.batch_history)):
            for key in values:
                values[key] = [float(v) for v in state.get(f"{group}/{key}", [])]
        return self.epoch


def generate(generator: Any, noise: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """generator(noise) in inference mode and without a graph, batch_size rows at a time."""
    with no_grad():
        return np.concatenate([generator(noise[i:i + batch_size], training=False).data
                               for i in range(0, len(noise), batch_size)])


def sample_to_png(generator: Any, path: str | os.PathLike, n: int = 64, seed: int = 0,
                  latent_dim: int | None = None, value_range: tuple[float, float] = (-1.0, 1.0)
                  ) -> Path:
    """Sample n images from a trained generator (noise z ~ N(0, I) drawn with `seed`) and
    write them as one PNG grid. value_range is the generator's output range (tanh: -1..1)."""
    latent_dim = int(latent_dim or generator.input_shape[-1])
    z = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(generator.dtype)
    return save_image_grid(generate(generator, z), path, value_range=value_range)


# -- scoring generated digits with a classifier ------------------------------------------

def classifier_outputs(classifier: Any, images: np.ndarray, batch_size: int = 500
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(penultimate features, class probabilities) of a Sequential classifier whose last
    layer is the softmax output, in inference mode: features are the input to the last
    layer (for the section-4 CNN, the 128 units of Dense(128) after dropout, which is the
    identity at inference)."""
    features, probs = [], []
    with no_grad():
        for i in range(0, len(images), batch_size):
            h = Tensor(np.asarray(images[i:i + batch_size], classifier.dtype))
            for layer in classifier.layers[:-1]:
                h = layer(h, training=False)
            features.append(h.data)
            probs.append(classifier.layers[-1](h, training=False).data)
    return np.concatenate(features), np.concatenate(probs)


def frechet_distance(features_a: Any, features_b: Any) -> float:
    """Fréchet distance between two Gaussians fitted to two sets of feature vectors:

        FD = ||μ_a − μ_b||² + tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^{1/2})

    features_*: (n, d) arrays, one feature vector per row (n ≥ 2; the two n may differ);
    μ the mean row, Σ the (d, d) sample covariance (divided by n − 1). This is the
    distance behind FID (Heusel et al., 2017), there on Inception features; tinydl's
    GAN score uses a digit classifier's penultimate layer instead.

    tr((Σ_a Σ_b)^{1/2}) is computed without scipy as Σ_i sqrt(λ_i) over the eigenvalues
    λ_i of the symmetric matrix Σ_a^{1/2} Σ_b Σ_a^{1/2} (similar to Σ_a Σ_b), in float64.
    Tiny negative eigenvalues from round-off are clipped to 0. Returns a float ≥ 0.
    """
    a = np.asarray(getattr(features_a, "data", features_a), np.float64)   # a Tensor or an array
    b = np.asarray(getattr(features_b, "data", features_b), np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or len(a) < 2 or len(b) < 2:
        raise ValueError(f"frechet_distance: expected two (n, d) feature arrays with the same d "
                         f"and n >= 2; got shapes {a.shape} and {b.shape}")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    lam, vec = np.linalg.eigh(cov_a)
    root_a = (vec * np.sqrt(np.clip(lam, 0, None))) @ vec.T        # Σ_a^{1/2}
    inner = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_sqrt = np.sqrt(np.clip(inner, 0, None)).sum()
    fd = float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt)
    return max(fd, 0.0)


def quality_scores(classifier: Any, images: np.ndarray, real_features: np.ndarray,
                   confidence: float = 0.9) -> dict[str, float]:
    """How digit-like and how varied generated images are, judged by a digit classifier.

    images: generated digits as the classifier expects them, e.g. (N, 28, 28, 1) in [0, 1].
    real_features: the classifier's penultimate features of real test images.
    Returns:
        confident: the share of images classified with top probability > confidence;
        class_entropy: entropy (nats) of the histogram of predicted classes; ln 10 ≈ 2.303
            when all ten digits are generated equally often, 0 when only one is;
        frechet: `frechet_distance` between the generated and real features.
    """
    features, probs = classifier_outputs(classifier, images)
    share = np.bincount(probs.argmax(axis=1), minlength=probs.shape[1]) / len(probs)
    nonzero = share[share > 0]
    return {"confident": float((probs.max(axis=1) > confidence).mean()),
            "class_entropy": float(-(nonzero * np.log(nonzero)).sum()),
            "frechet": frechet_distance(features, real_features)}
