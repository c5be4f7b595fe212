"""Reference solution of exercise `gan_losses`."""
from tinydl import Tensor


def softplus(t):
    """log(1 + e^t) without overflow: max(t, 0) + log(1 + e^{-|t|})."""
    return t.clip(0, None) + (1 + (-t.abs()).exp()).log()


def discriminator_loss(real_logits, fake_logits):
    return softplus(-real_logits).mean() + softplus(fake_logits).mean()


def generator_loss(fake_logits):
    return softplus(-fake_logits).mean()
