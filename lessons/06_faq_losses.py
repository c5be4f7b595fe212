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
# # Lesson 6d · 第6课(四): FAQ — choosing the loss function: MSE or cross-entropy?
#
# > §6 Q:「如何选择合适的损失函数？」
# > A:「通常情况下，均方误差适用于回归问题，交叉熵损失适用于分类问题。」
# > (How to choose a suitable loss function? Usually, mean squared error suits regression
# > problems and cross-entropy loss suits classification problems.)
#
# The article gives the rule and no reason. This lesson shows the reason, the gradient
# (梯度) that each loss function (损失函数) sends back when the network is confidently
# wrong, and then measures the rule on MNIST digits.

# %%
import numpy as np

import tinydl.functional as F
from tinydl import Tensor
from tinydl.datasets import mnist
from tinydl.layers import Dense
from tinydl.losses import binary_crossentropy, categorical_crossentropy, mse
from tinydl.metrics import accuracy
from tinydl.models import Sequential
from tinydl.optimizers import SGD, Adam
from tinydl.utils import to_categorical

import _faq_b_plots as plots
from _lesson import Lesson

lesson = Lesson("06_faq_losses", "MSE or cross-entropy for classifying digits", epochs=10)
N_CLASSES = 10

# %% [markdown]
# ## One output: the sigmoid saturates, and MSE lets it
#
# A two-class classifier: one logit z, p = sigmoid(z) = 1/(1 + e^(−z)), true label y = 1.
# At z = −6 it is confidently wrong (p ≈ 0.0025). By the chain rule:
# - MSE (均方误差), L = (p − y)²: ∂L/∂z = 2(p − y)·p(1 − p) ≈ −0.005
# - cross-entropy (交叉熵), L = −[y log p + (1 − y) log(1 − p)]: ∂L/∂z = p − y ≈ −0.998
#
# The sigmoid's slope p(1 − p) vanishes at both ends; the log in cross-entropy cancels it.

# %%
z = Tensor(np.array([-8.0, -6.0, -4.0, -2.0, 0.0, 2.0, 4.0]), requires_grad=True)
ones = np.ones(len(z.data))
sigmoid_grad = {}
for name, loss_fn in (("MSE", mse), ("cross-entropy", binary_crossentropy)):
    z.grad = None
    loss_fn(ones, F.sigmoid(z)).backward()
    sigmoid_grad[name] = z.grad * len(z.data)      # the loss is a mean: undo the 1/n
p = 1 / (1 + np.exp(-z.data))
print(f"{'z':>4} {'p':>7} {'dMSE/dz':>9} {'dCE/dz':>8}")
for row in zip(z.data, p, sigmoid_grad["MSE"], sigmoid_grad["cross-entropy"]):
    print("{:4.0f} {:7.4f} {:9.5f} {:8.4f}".format(*row))
ratio_at_minus6 = sigmoid_grad["cross-entropy"][1] / sigmoid_grad["MSE"][1]
mse_fades = bool(np.all(np.diff(np.abs(sigmoid_grad["MSE"][:4])) > 0))
print(f"at z = -6 cross-entropy pushes {ratio_at_minus6:.0f}x harder than MSE; MSE's push "
      f"{'shrinks' if mse_fades else 'does not shrink'} as the mistake grows (z = -2 → -8)")

# %% [markdown]
# ## Ten classes: softmax + MSE stalls in the same way
#
# With p = softmax(z), one-hot y and K classes, for the logit z_t of the true class t:
# - cross-entropy, L = −Σ_k y_k log p_k = −log p_t: ∂L/∂z_t = p_t − 1 (the categorical
#   form; §3.1.4 prints only the two-class one, and without its brackets: see lesson 3)
# - MSE, L = (1/K) Σ_k (p_k − y_k)²: ∂L/∂z_t = (2/K) p_t (2p_t − 1 − Σ_k p_k²)
#
# MSE's depends on where the rest went: spread evenly over the K − 1 other classes it is
# −2p_t(1 − p_t)²/(K − 1), all on one wrong class −(4/K)p_t(1 − p_t)². Both → 0 as p_t → 0.

# %%
def logits_for(p_true: np.ndarray, spread: str, k: int = N_CLASSES) -> np.ndarray:
    """Logits (M, k) whose softmax gives class 0 (the true one) probability p_true[m];
    spread='even': the other k − 1 share 1 − p; 'one': class 1 gets it all."""
    z = np.full((len(p_true), k), -40.0)           # e^-40: nothing, in float64
    z[:, 0] = np.log(p_true)
    if spread == "even":
        z[:, 1:] = np.log((1 - p_true) / (k - 1))[:, None]
    else:
        z[:, 1] = np.log(1 - p_true)
    return z


def autograd_logit_gradient(p_true: np.ndarray, loss: str, spread: str = "even") -> np.ndarray:
    """∂L/∂z_t for one sample per row, by tinydl's autograd through softmax (float64)."""
    z = Tensor(logits_for(p_true, spread), requires_grad=True)
    y = np.zeros(z.shape)
    y[:, 0] = 1.0
    p = F.softmax(z, axis=-1)
    value = categorical_crossentropy(y, p) if loss == "cross-entropy" else mse(y, p)
    value.backward()
    return z.grad[:, 0] * len(p_true)               # the batch loss is a mean over rows

# %% [markdown]
# The closed forms above, as code, against autograd on 241 values of p_t.

# %%
def closed_form_gradient(p_true: np.ndarray, loss: str, spread: str = "even",
                         k: int = N_CLASSES) -> np.ndarray:
    """p − 1 for cross-entropy; for MSE through softmax −2p(1 − p)²/(k − 1) (spread
    evenly) or −(4/k)·p(1 − p)² (all on one wrong class)."""
    p = np.asarray(p_true, dtype=np.float64)
    if loss == "cross-entropy":
        return p - 1
    if spread == "even":
        return -2 * p * (1 - p) ** 2 / (k - 1)
    return -4 / k * p * (1 - p) ** 2


p_axis = np.linspace(0.001, 0.999, 241)
curves = {(loss, spread): {"autograd": autograd_logit_gradient(p_axis, loss, spread),
                           "closed": closed_form_gradient(p_axis, loss, spread)}
          for loss, spread in (("cross-entropy", "even"), ("MSE", "even"), ("MSE", "one"))}
max_gradient_error = max(float(np.abs(c["autograd"] - c["closed"]).max())
                         for c in curves.values())
print(f"largest |autograd − closed form|: {max_gradient_error:.1e}")
at_worst = {key: c["autograd"][0] for key, c in curves.items()}
print(f"at p_t = 0.001: cross-entropy {at_worst['cross-entropy', 'even']:.3f}, MSE "
      f"{at_worst['MSE', 'even']:.1e} (even) / {at_worst['MSE', 'one']:.1e} (one class)")
lesson.save(plots.logit_gradients(p_axis, curves), "logit_gradient.png")

# %% [markdown]
# ## The experiment: one network, trained with each loss
#
# 784 → 128 ReLU → 10 softmax, the same initial weights, batches and epochs. SGD follows
# the gradient as it is; Adam rescales it per weight, which hides part of the difference.
# A third SGD run multiplies MSE's learning rate (学习率) by K = 10 to undo the 1/K of its
# mean, so that scale alone cannot explain a gap. Accuracy is measured on test images;
# nothing is tuned on them, they only report.

# %%
(x_train, y_train), (x_test, y_test) = mnist.load_data()
n_train, n_test, epochs = (1000, 500, 3) if lesson.quick else (10_000, 2000, lesson.epochs)
data = (x_train[:n_train].reshape(-1, 784) / 255.0, to_categorical(y_train[:n_train], N_CLASSES),
        x_test[:n_test].reshape(-1, 784) / 255.0, to_categorical(y_test[:n_test], N_CLASSES))


def train(loss_name: str, optimizer_name: str, lr: float) -> dict:
    """One network trained on `data`; its history (val_* on the test images) and scores."""
    x, y, x_val, y_val = data
    model = Sequential([Dense(128, activation="relu", input_shape=(784,)),
                        Dense(N_CLASSES, activation="softmax")], seed=lesson.seed)
    optimizer = SGD(learning_rate=lr) if optimizer_name == "SGD" else Adam(learning_rate=lr)
    loss = categorical_crossentropy if loss_name == "cross-entropy" else mse
    model.compile(optimizer=optimizer, loss=loss, metrics=[accuracy])
    history = model.fit(x, y, batch_size=64, epochs=epochs, verbose=0,
                        validation_data=(x_val, y_val))
    probs = model.predict(x_val, batch_size=1000)      # both losses, on one scale each:
    return {"history": history.history, "acc ep.1": history.history["val_accuracy"][0],
            "final acc": accuracy(y_val, probs),
            "test CE": float(categorical_crossentropy(y_val, probs).data),
            "test MSE": float(mse(y_val, probs).data)}

# %%
SETTINGS = [("SGD", "cross-entropy", 0.1), ("SGD", "MSE", 0.1), ("SGD", "MSE", 1.0),
            ("Adam", "cross-entropy", 1e-3), ("Adam", "MSE", 1e-3)]
runs = {(opt, loss, lr): train(loss, opt, lr) for opt, loss, lr in SETTINGS}
print(f"{n_train} training images, {n_test} test images, {epochs} epochs, batch 64")
plots.print_table(runs, [("acc ep.1", ".4f"), ("final acc", ".4f"), ("test CE", ".4f"),
                         ("test MSE", ".5f")], first="optimizer loss lr")
lesson.save(plots.loss_training_curves(runs, n_test), "training_curves.png")

# %% [markdown]
# ## What the run says
#
# Each accuracy is measured on n_test images, so a gap smaller than about two standard
# errors of a difference, 2·sqrt(2a(1 − a)/n), may be chance. In a full run (10,000
# images, 10 epochs) MSE typically ends a point or so behind with SGD and closer with
# Adam, after a much slower first epoch: MSE can train a classifier, cross-entropy gets
# there sooner and with less tuning. The verdict below comes from this run's numbers.

# %%
acc = {key: run["final acc"] for key, run in runs.items()}
sgd_gain = acc["SGD", "cross-entropy", 0.1] - max(acc["SGD", "MSE", 0.1], acc["SGD", "MSE", 1.0])
adam_gain = acc["Adam", "cross-entropy", 1e-3] - acc["Adam", "MSE", 1e-3]
first_epoch = {key: run["acc ep.1"] for key, run in runs.items()}
first_gain = first_epoch["SGD", "cross-entropy", 0.1] - max(
    first_epoch["SGD", "MSE", 0.1], first_epoch["SGD", "MSE", 1.0])
mean_acc = np.mean(list(acc.values()))
noise = 2 * np.sqrt(2 * mean_acc * (1 - mean_acc) / n_test)
for name, gain in (("SGD", sgd_gain), ("Adam", adam_gain), ("SGD after one epoch", first_gain)):
    verdict = "ahead of" if gain > 0 else "behind"
    print(f"{name}: cross-entropy is {verdict} the best MSE run by {abs(gain):.4f} accuracy "
          f"({'more' if abs(gain) > noise else 'less'} than the noise, {noise:.4f})")
print("so on these digits the article's rule " +
      ("holds clearly" if min(sgd_gain, adam_gain) > noise else
       "holds clearly with SGD only" if sgd_gain > noise else "is not confirmed by this run"))

# %% [markdown]
# ## And for regression?
#
# The other half of the rule: with a plain linear output ŷ = z (no sigmoid or softmax to
# squash it) MSE's gradient 2(ŷ − y) grows with the error, so nothing stalls. MSE is also
# the negative log-likelihood of Gaussian noise: −log N(y; ŷ, 1) = ½(y − ŷ)² + const.

# %%
errors = np.array([0.1, 1.0, 10.0])
z_reg = Tensor(np.zeros(3), requires_grad=True)               # predictions ŷ = z = 0
mse(errors, z_reg).backward()                                 # targets y = 0.1, 1, 10
regression_grad = z_reg.grad * 3
print("error y − ŷ:", errors, " ∂MSE/∂ŷ:", regression_grad)
print("linear output: MSE's push " +
      ("grows" if np.all(np.diff(np.abs(regression_grad)) > 0) else "does not grow")
      + " with the error")

# %% [markdown]
# ## Try it yourself
#
# 1. Write the two losses yourself: `tinydl exercise start mse` and
#    `tinydl exercise start binary_crossentropy` (then `tinydl exercise check NAME`).
# 2. Derive ∂L/∂z = p − y for softmax + cross-entropy, then check it in code:
#    `tinydl exercise start softmax_cross_entropy`.
# 3. Train longer (`--epochs 30` on the command line): does MSE with SGD catch up?
