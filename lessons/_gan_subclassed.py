"""The GAN of lessons 07/08 written the Keras 3 way: a subclassed `Model` with its own
`train_step`, as Keras' DCGAN tutorial writes it
(keras.io/examples/generative/dcgan_overriding_train_step).

    gan = SubclassedGAN(discriminator, generator, latent_dim=3, seed=0)
    gan.compile(d_optimizer=Adam(2e-4, beta_1=0.5), g_optimizer=Adam(2e-4, beta_1=0.5))
    history = gan.fit(x_real, epochs=20, batch_size=64)   # History: d_loss, g_loss

What differs from the tutorial, and why:
- no GradientTape: tinydl's autograd records the operations as they run, so
  `loss.backward()` fills every weight's `.grad`; then
  `optimizer.apply(grads, weights)` (the Keras 3 call) takes one step.
- the losses are tinydl's `losses.discriminator_loss` / `losses.generator_loss`, computed
  from D's logits (its sigmoid's pre-activation), as `tinydl.gan.GAN` does; the
  tutorial's binary cross-entropy on probabilities with labels 1 (real) / 0 (fake) is
  the same formula: L_D = −mean log D(x) − mean log(1 − D(G(z))).
- one noise draw z per step serves the D step and the G step (the tutorial draws a
  second one for G), so that, for the same seed and batches, the losses equal
  `tinydl.gan.GAN.train_step`'s exactly (tests/test_subclassing.py checks it).
"""
from __future__ import annotations

from typing import Any

import numpy as np

import tinydl
from tinydl import losses, optimizers
from tinydl.autograd import Tensor
from tinydl.gan import frozen
from tinydl.metrics import Mean


class SubclassedGAN(tinydl.Model):
    """G and D as two models inside one; `fit(x_real)` runs `train_step` per batch.

    Args:
        discriminator: a built model whose last layer outputs a probability (sigmoid)
            or a logit (no activation).
        generator: a built model from (N, latent_dim) noise to samples shaped like x.
        latent_dim: the length of z.
        seed: seeds the noise generator (as tinydl.gan.GAN's seed).
        generator_loss: 'non_saturating' (−log D(G(z))) or 'saturating'.
    """

    def __init__(self, discriminator: Any, generator: Any, latent_dim: int,
                 seed: int | None = None, generator_loss: str = "non_saturating") -> None:
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.generator_loss = generator_loss
        self.seed_generator = np.random.default_rng(seed)
        self.d_loss_metric = Mean(name="d_loss")
        self.g_loss_metric = Mean(name="g_loss")

    def compile(self, d_optimizer: Any, g_optimizer: Any) -> None:  # type: ignore[override]
        super().compile()                   # no compiled loss: train_step computes its own
        self.d_optimizer = optimizers.get(d_optimizer)
        self.g_optimizer = optimizers.get(g_optimizer)

    @property
    def metrics(self) -> list[Mean]:
        """What fit resets at each epoch's start and shows: the two loss means."""
        return [self.d_loss_metric, self.g_loss_metric]

    def d_logits(self, x: Any) -> Tensor:
        """D's logit per sample (N, 1), in training mode (dropout on)."""
        out = self.discriminator(x, training=True)
        last = self.discriminator.layers[-1]
        return last.pre_activation if getattr(last, "activation", None) is \
            tinydl.activations.sigmoid else out

    def train_step(self, real_images: Any) -> dict[str, float]:
        real = np.asarray(real_images, dtype=self.discriminator.dtype)
        batch_size = len(real)
        z = self.seed_generator.standard_normal((batch_size, self.latent_dim)).astype(
            self.generator.dtype)
        fake = self.generator(Tensor(z), training=True)                   # G(z)

        # Train the discriminator: real → 1, fake → 0 (no gradient into G: detach).
        d_weights = self.discriminator.trainable_weights
        d_loss = losses.discriminator_loss(self.d_logits(Tensor(real)),
                                           self.d_logits(fake.detach()))
        self.discriminator.zero_grad()
        d_loss.backward()                               # tinydl: no GradientTape
        self.d_optimizer.apply([w.grad for w in d_weights], d_weights)

        # Train the generator (D's weights frozen: its ops record no gradient for them).
        g_weights = self.generator.trainable_weights
        with frozen(d_weights):
            g_loss = losses.generator_loss(self.d_logits(fake), self.generator_loss)
        self.generator.zero_grad()
        g_loss.backward()
        self.g_optimizer.apply_gradients(zip([w.grad for w in g_weights], g_weights))

        self.d_loss_metric.update_state(float(d_loss.data))
        self.g_loss_metric.update_state(float(g_loss.data))
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}
