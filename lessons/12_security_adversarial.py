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
# # Lesson 12 · 第12课: adversarial examples (对抗样本) and adversarial training (对抗训练)
#
# Move every pixel of a digit by at most ε and the §4 CNN says another digit, though a
# person still sees the same one. This lesson finds such changes (FGSM, PGD), measures the
# accuracy under attack, and trains the network to resist them.
#
# Run it as a script (`python lessons/12_security_adversarial.py --quick`) or open it as a
# notebook and run the cells one by one.

# %% [markdown]
# ## What §5 says, and what this lesson adds
#
# > §5.3「数据安全和隐私保护：随着数据的集中和共享，数据安全和隐私保护将成为越来越重要的问题。这将需要开发更好的加密和安全技术。」
# > (Data security and privacy: as data is centralised and shared, they grow in importance;
# > better encryption and security techniques are needed.)
#
# The article means protecting *data* that is collected and shared, with encryption
# (加密). Adversarial examples attack the *model* (模型安全, model security): encryption does
# nothing against them. This lesson extends §5.3; it is not what §5.3 says.

# %%
import numpy as np

from tinydl import Tensor, losses
from tinydl.adversarial import adversarial_batch, fgsm, loss_gradient, robustness_curve
from tinydl.optimizers import Adam
from tinydl.utils import get_rng, to_categorical

import _sec5_plots as plots
from _lesson import Lesson
from _mnist_cnn import WEIGHTS, compiled_cnn, mnist_images, section4_cnn

lesson = Lesson("12_security_adversarial", "FGSM and PGD against the §4 CNN, and "
                "adversarial training", weights=str(WEIGHTS), epochs=2, adv_epochs=2,
                train_eps=0.3, n_eval=1000, pgd_steps=10)
n_train, epochs, adv_epochs = 60000, lesson.epochs, lesson.adv_epochs
n_eval, pgd_steps = lesson.n_eval, lesson.pgd_steps
if lesson.quick:
    n_train, epochs, adv_epochs, n_eval, pgd_steps = 2000, 1, 1, 100, 3
(x_train, y_train), (x_test, y_test) = mnist_images()
x_train, y_train = x_train[:n_train], y_train[:n_train]
model, how = section4_cnn(lesson.weights, x_train, y_train, epochs)
print(f"the section-4 CNN, {how}")

# %% [markdown]
# ## FGSM: one step up the loss
#
# The attacker wants a higher cross-entropy (交叉熵) L of the true label. For a small
# change δ, L(x + δ) ≈ L(x) + ∇ₓL·δ, and under |δ_i| ≤ ε the best δ is ε·sign(∇ₓL): the
# fast gradient sign method (Goodfellow et al., 2015). Pixels stay in [0, 1]. Here it is as
# code, checked against `tinydl.adversarial.fgsm`, on 8 test digits.

# %%
eps = 0.2
x8, y8 = x_test[:8], y_test[:8]
grad, loss_before = loss_gradient(model, x8, y8)            # ∇ₓL and L, per digit
x_adv = np.clip(np.clip(x8 + eps * np.sign(grad), x8 - eps, x8 + eps), 0, 1)
print("largest difference from tinydl's fgsm:", float(np.abs(x_adv - fgsm(model, x8, y8, eps)).max()))
_, loss_after = loss_gradient(model, x_adv, y8)
linear = ((x_adv - x8) * grad).reshape(8, -1).sum(axis=1)   # ∇ₓL·δ, the linear prediction
rise = loss_after[0] - loss_before[0]
print(f"digit 0: loss {loss_before[0]:.3f} → {loss_after[0]:.3f}: it rose {rise:+.3f}, "
      f"{'more' if rise > linear[0] else 'less'} than the linear prediction +{linear[0]:.3f}")
before8, after8 = (model.predict(v).argmax(axis=1) for v in (x8, x_adv))
print(f"predictions {before8.tolist()} → {after8.tolist()} (true {y8.tolist()})")
lesson.save(plots.adversarial_examples(x8, x_adv, before8, after8, y8, eps),
            "adversarial_examples.png")

# %% [markdown]
# ## PGD: many small steps
#
# Projected gradient descent (Madry et al., 2018) starts at a random point of the ε-ball,
# takes `pgd_steps` sign steps of size α = 2.5ε/steps (a common choice, tinydl's default)
# and projects back onto the ball and [0, 1] after each. It is the stronger attack, so it is the honest measure. The accuracy
# under attack for ε = 0 … 0.3 (ε = 0 is the clean accuracy):

# %%
EPS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
x_eval, y_eval = x_test[:n_eval], y_test[:n_eval]


def attack_curves(net) -> dict[str, np.ndarray]:
    """Accuracy under FGSM and under PGD for every ε of EPS."""
    return {"FGSM": robustness_curve(net, x_eval, y_eval, EPS, "fgsm"),
            "PGD": robustness_curve(net, x_eval, y_eval, EPS, "pgd", steps=pgd_steps,
                                    rng=lesson.seed)}


before = attack_curves(model)
for name, curve in before.items():
    print(f"{name:>4}: " + " ".join(f"{100 * a:5.1f}%" for a in curve))

# %% [markdown]
# ## Adversarial training: learn from the attacks
#
# Fine-tune a copy of the network on batches in which half of the images are replaced by
# adversarial examples made against the *current* weights. The attack used in training is
# FGSM from a random start with step 1.25ε (Wong et al., 2020): plain FGSM training is known
# to overfit to FGSM ("catastrophic overfitting") and stay weak against PGD.

# %%
def adversarial_training(net, x: np.ndarray, y: np.ndarray, n_epochs: int, eps: float,
                         batch_size: int = 128) -> list[float]:
    """Fine-tune net in place on half-adversarial batches; the mean loss of each epoch."""
    optimizer, params, rng = Adam(learning_rate=0.001), net.trainable_weights, get_rng()
    onehot, epoch_losses = to_categorical(y, 10), []
    for epoch in range(n_epochs):
        order, total = rng.permutation(len(x)), 0.0
        for i in range(0, len(x), batch_size):
            idx = order[i:i + batch_size]
            xb = adversarial_batch(net, x[idx], y[idx], eps, attack="pgd", steps=1,
                                   alpha=1.25 * eps, rng=rng)       # half the batch attacked
            net(Tensor(xb), training=True)
            loss = losses.categorical_crossentropy(onehot[idx], net.pre_activation,
                                                   from_logits=True)
            optimizer.zero_grad(params)
            loss.backward()
            optimizer.step(params)
            total += float(loss.data) * len(idx)
        epoch_losses.append(total / len(x))
        print(f"adversarial epoch {epoch + 1}/{n_epochs}: mixed-batch loss {epoch_losses[-1]:.4f}")
    return epoch_losses


# %%
robust = compiled_cnn()
robust.set_weights(model.get_weights())
adv_losses = adversarial_training(robust, x_train, y_train, adv_epochs, lesson.train_eps)
after = attack_curves(robust)

# %% [markdown]
# ## Before and after
#
# The grey line is the PyTorch tutorial "Adversarial Example Generation" (FGSM on its own
# LeNet, 10,000 test images): another network, so only the shape compares. With lesson 4's
# weights a full run typically gives PGD 99.1% → 0.0% at ε = 0.3 before, and 35% after two
# epochs of adversarial training, for 0.2 points of clean accuracy.

# %%
PYTORCH_FGSM = (0.981, 0.943, 0.851, 0.683, 0.430, 0.208, 0.087)   # the tutorial's figures
print(f"{'ε':>5} " + "".join(f"{h:>11}" for h in ("FGSM", "PGD", "FGSM adv.", "PGD adv.", "PyTorch")))
for i, e in enumerate(EPS):
    print(f"{e:>5.2f} " + "".join(f"{100 * v:>10.1f}%" for v in (
        before["FGSM"][i], before["PGD"][i], after["FGSM"][i], after["PGD"][i], PYTORCH_FGSM[i])))
clean_lost = before["FGSM"][0] - after["FGSM"][0]
gained = {name: after[name][-1] - before[name][-1] for name in ("FGSM", "PGD")}
print(f"clean accuracy {100 * before['FGSM'][0]:.1f}% → {100 * after['FGSM'][0]:.1f}% "
      f"({'lost' if clean_lost > 0 else 'gained'} {100 * abs(clean_lost):.1f} points); at ε = "
      f"{EPS[-1]}: {100 * gained['FGSM']:+.1f} points under FGSM, {100 * gained['PGD']:+.1f} under PGD")
weaker = [i for i in range(len(EPS)) if before["PGD"][i] > before["FGSM"][i]]
print("PGD is at least as strong as FGSM at every ε" if not weaker else
      f"PGD was weaker than FGSM at ε = {[EPS[i] for i in weaker]} (few steps or images)")
lesson.save(plots.robustness_curves(EPS, before, after, PYTORCH_FGSM, n_eval),
            "robustness_curves.png")

# %% [markdown]
# ## What this means for §5.3
#
# Encrypting the data would not change one number above: the attacker needs only to send
# the model an input (and, for these white-box attacks, its gradients; black-box attacks
# manage with its answers). The defences work on the model: adversarial training, which
# trades some clean accuracy for robustness, and honest evaluation with strong attacks.

# %% [markdown]
# ## Try it yourself
#
# 1. Train with `--train-eps 0.1`: is the network robust at ε = 0.3 too?
# 2. In `adversarial_training` use plain FGSM (`attack="fgsm"`) and compare the PGD column:
#    do you see catastrophic overfitting?
# 3. FGSM follows the gradient of the softmax cross-entropy: write it and its backward with
#    `tinydl exercise start softmax_cross_entropy`.
