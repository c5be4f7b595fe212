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
# # Lesson 3 · 第3课: the dense layer, two losses and gradient descent
#
# Steps 4 and 5 of article §3.1.3 feed the features into a dense layer (全连接层), measure
# the error with a loss function (损失函数) and update the parameters by gradient descent
# (梯度下降); §3.1.4 gives the formulas. Each one is written here in NumPy, checked against
# tinydl and run: also with the cross-entropy's brackets lost, and with a learning rate
# (学习率) that is too large.

# %%
import numpy as np

import tinydl.functional as F
from tinydl import Tensor, losses
from tinydl.layers import Dense
from tinydl.optimizers import SGD
from tinydl.graphs import draw_graph, to_dot

import _dense_plots as plots
from _lesson import Lesson

lesson = Lesson("03_dense_losses_gradient_descent",
                "z = Wx + b, MSE, cross-entropy and gradient descent, checked")
rng = np.random.default_rng(lesson.seed)
line_steps, logistic_steps = (60, 100) if lesson.quick else (150, 400)
EPS = 1e-7   # tinydl (like Keras) clips probabilities to [EPS, 1 − EPS] before the log

# %% [markdown]
# ## What reaches the dense layer is not binary
#
# > §3.1.3 第3步：「使用激活函数将卷积层的输出转换为二进制输出」
# > (Step 3: the activation function turns the convolutional layer's output into a
# > binary output.)
#
# Step 4 feeds that output into the dense layer. But the activation function (激活函数)
# ReLU keeps every positive value as it is: the input x of z = Wx + b is real-valued.

# %%
conv_out = rng.normal(size=8).round(2)          # eight outputs of a convolutional layer
relu_out = F.relu(Tensor(conv_out)).data
print("conv output:", conv_out)
print("ReLU output:", relu_out)
print(f"{len(np.unique(relu_out))} distinct values after ReLU; a binary output has 2")

# %% [markdown]
# ## z = Wx + b is `Dense`, transposed
#
# §3.1.4 writes the dense layer for one column vector: 「$z = Wx + b$」 with W of shape
# (out, in). tinydl's `Dense` (like Keras) takes a batch X (N, in), one sample per ROW,
# and computes X K + b with a kernel K (in, out). With K = Wᵀ the two agree, because
# (W x)ᵀ = xᵀ Wᵀ.

# %%
W, b = rng.normal(size=(3, 4)), rng.normal(size=3)  # W (out, in): the article's layout
X_batch = rng.normal(size=(5, 4))                 # 5 samples, one per row
columns = np.stack([W @ x + b for x in X_batch])  # the article's formula, sample by sample
layer = Dense(3, dtype="float64")
layer(Tensor(X_batch))                            # builds kernel (4, 3) and bias (3,)
layer.kernel.data[...] = W.T
layer.bias.data[...] = b
batch = layer(Tensor(X_batch)).data               # X @ K + b, the whole batch at once
dense_check = {"max_abs_diff": float(np.abs(batch - columns).max()),
               "kernel_shape": layer.kernel.shape, "W_shape": W.shape}
print("sample 0: W x + b =", columns[0].round(4), "  Dense:", batch[0].round(4))
print(f"W {W.shape}, kernel {layer.kernel.shape}; max |difference| {dense_check['max_abs_diff']:.1e}")

# %% [markdown]
# ## The two losses from their formulas
#
# Mean squared error (均方误差) L = (1/n) Σ (yᵢ − ŷᵢ)² and binary cross-entropy (交叉熵)
# L = −(1/n) Σ [yᵢ log ŷᵢ + (1 − yᵢ) log(1 − ŷᵢ)], each one line of NumPy, next to
# `tinydl.losses`. For 10 classes (§4's code) the cross-entropy is −Σₖ yₖ log ŷₖ instead.

# %%
def mse_numpy(y: np.ndarray, y_hat: np.ndarray) -> float:
    """L = (1/n) Σ (y_i − ŷ_i)²."""
    return float(np.mean((y - y_hat) ** 2))


def bce_numpy(y: np.ndarray, y_hat: np.ndarray) -> float:
    """L = −(1/n) Σ [y_i log ŷ_i + (1 − y_i) log(1 − ŷ_i)], ŷ clipped to [ε, 1 − ε]."""
    p = np.clip(y_hat, EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


y_reg, y_reg_hat = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.5, 1.5, 3.5, 2.0])
y = np.array([1.0, 0.0, 1.0, 0.0])
y_good = np.array([0.9, 0.2, 0.7, 0.1])           # a good classifier
y_bad = np.array([0.9, 0.99, 0.7, 0.99])          # calls both zeros "1", confidently
bce = lambda t, p: float(losses.binary_crossentropy(t, Tensor(p, dtype="float64")).data)  # noqa
loss_rows = {"mse": (mse_numpy(y_reg, y_reg_hat),
                     float(losses.mse(y_reg, Tensor(y_reg_hat, dtype="float64")).data)),
             "bce, good ŷ": (bce_numpy(y, y_good), bce(y, y_good)),
             "bce, bad ŷ": (bce_numpy(y, y_bad), bce(y, y_bad))}
print(f"{'case':<12} {'NumPy':>10} {'tinydl':>10}")
for name, (mine, theirs) in loss_rows.items():
    print(f"{name:<12} {mine:>10.6f} {theirs:>10.6f}")

# %% [markdown]
# ## The article's cross-entropy has lost its brackets
#
# > §3.1.4「$L(y, \hat{y}) = -\frac{1}{n}\sum_{i=1}^{n}y_i\log(\hat{y}_i) + (1-y_i)\log(1-\hat{y}_i)$」
# > (Cross-entropy loss: L = −(1/n) Σ yᵢ log ŷᵢ + (1 − yᵢ) log(1 − ŷᵢ).)
#
# Read as printed, the minus sign and the 1/n reach only the first term. For a true 0 the
# sample then adds +log(1 − ŷ) ≤ 0, which is lowest when ŷ → 1: confidently wrong.

# %%
def bce_as_printed(y: np.ndarray, y_hat: np.ndarray) -> float:
    """The formula without brackets: −(1/n) Σ y_i log ŷ_i + Σ (1 − y_i) log(1 − ŷ_i)
    (the sum must cover both terms, or i is free; the minus and the 1/n do not)."""
    p = np.clip(y_hat, EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p)) + np.sum((1 - y) * np.log(1 - p)))


printed = {"good": bce_as_printed(y, y_good), "bad": bce_as_printed(y, y_bad)}
bracketed = {"good": loss_rows["bce, good ŷ"][0], "bad": loss_rows["bce, bad ŷ"][0]}
print(f"{'predictions':<12} {'bracketed':>10} {'as printed':>11}")
for case in ("good", "bad"):
    print(f"{case + ' ŷ':<12} {bracketed[case]:>10.4f} {printed[case]:>11.4f}")
print(f"as printed: {'negative' if printed['good'] < 0 else 'positive'} for the good ŷ, and "
      f"{'LOWER' if printed['bad'] < printed['good'] else 'higher'} for the bad ŷ")
lesson.save(plots.brackets(), "crossentropy_brackets.png")

# %% [markdown]
# ## Gradient descent: an update, not an equation
#
# > §3.1.4「$\theta = \theta - \alpha \nabla J(\theta)$」
# > (Gradient descent: θ = θ − α∇J(θ), α the learning rate.)
#
# As an equation this says α∇J(θ) = 0. It is an update, repeated: θ ← θ − α∇J(θ). The
# gradient comes from tinydl's autograd. First problem: fit a line y = 2x + 1 + noise.

# %%
def make_line(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x uniform in [0, 2], y = 2x + 1 + N(0, 0.3²)."""
    x = rng.uniform(0.0, 2.0, n)
    return x, 2.0 * x + 1.0 + rng.normal(0.0, 0.3, n)


def line_loss_and_grad(x: np.ndarray, y: np.ndarray, theta: np.ndarray) -> tuple[float, np.ndarray]:
    """J(θ) = (1/n) Σ (w x_i + b − y_i)² and ∇J(θ) for θ = (w, b), by autograd."""
    w, b = (Tensor(np.array(t), requires_grad=True, dtype="float64") for t in theta)
    loss = losses.mse(y, w * x + b)
    loss.backward()
    return float(loss.data), np.array([float(w.grad), float(b.grad)])


def gradient_descent(x: np.ndarray, y: np.ndarray, alpha: float, steps: int,
                     start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """θ ← θ − α ∇J(θ), `steps` times; returns J(θ_k) for k = 0..steps and the path θ_k."""
    theta, path, curve = start.astype(np.float64).copy(), [start.copy()], []
    for _ in range(steps):
        loss, grad = line_loss_and_grad(x, y, theta)
        curve.append(loss)
        theta = theta - alpha * grad
        path.append(theta.copy())
    curve.append(line_loss_and_grad(x, y, theta)[0])
    return np.array(curve), np.array(path)

# %% [markdown]
# ## How large may α be?
#
# J is a quadratic in θ with the constant Hessian H = (2/n) [[Σx², Σx], [Σx, n]]. One step
# multiplies the error θ − θ* along each eigenvector of H by (1 − αλ). It shrinks iff
# |1 − αλ| < 1 for every eigenvalue λ, that is iff α < 2/λ_max. We get H twice: from the
# formula and from autograd (∇J is linear in θ, so column j of H is ∇J(eⱼ) − ∇J(0)).

# %%
def line_hessian(x: np.ndarray) -> np.ndarray:
    """H of J(w, b) = (1/n) Σ (w x_i + b − y_i)²:  (2/n) [[Σx², Σx], [Σx, n]]."""
    return (2.0 / len(x)) * np.array([[np.sum(x * x), np.sum(x)], [np.sum(x), len(x)]])


x_line, y_line = make_line(60, rng)
g0 = line_loss_and_grad(x_line, y_line, np.zeros(2))[1]
H_autograd = np.stack([line_loss_and_grad(x_line, y_line, e)[1] - g0 for e in np.eye(2)], 1)
lam_max = float(np.linalg.eigvalsh(line_hessian(x_line))[-1])
theta_star = np.linalg.lstsq(np.stack([x_line, np.ones_like(x_line)], 1), y_line, rcond=None)[0]
line = {"x": x_line, "y": y_line, "H": line_hessian(x_line), "H_autograd": H_autograd,
        "lam_max": lam_max, "alpha_crit": 2.0 / lam_max, "theta_star": theta_star,
        "J_star": float(np.mean((x_line * theta_star[0] + theta_star[1] - y_line) ** 2)),
        "rates": {"too small (0.05/λmax)": 0.05 / lam_max, "about right (1/λmax)": 1.0 / lam_max,
                  "just below (0.98·2/λmax)": 0.98 * 2 / lam_max,
                  "too large (1.05·2/λmax)": 1.05 * 2 / lam_max}}
print("H by the formula:", line["H"].round(4).tolist(), " by autograd:", H_autograd.round(4).tolist())
print(f"λ_max = {lam_max:.4f}, critical α = 2/λ_max = {line['alpha_crit']:.4f}, "
      f"θ* = ({theta_star[0]:.3f}, {theta_star[1]:.3f})")

# %%
# four learning rates from the same start θ₀ = (−1, 0)
line["runs"] = {name: gradient_descent(x_line, y_line, a, line_steps, np.array([-1.0, 0.0]))
                for name, a in line["rates"].items()}
line_table = {}
print(f"{'learning rate':<26} {'α':>7} {'|1−αλmax|':>9} {'J(θ_0)':>8} {'J(θ_end)':>10}")
for name, (curve, _) in line["runs"].items():
    alpha = line["rates"][name]
    line_table[name] = {"alpha": alpha, "first": curve[0], "last": curve[-1]}
    print(f"{name:<26} {alpha:>7.4f} {abs(1 - alpha * lam_max):>9.3f} {curve[0]:>8.3f} "
          f"{curve[-1]:>10.4g}  {'diverges' if curve[-1] > curve[0] else 'converges'}")
lesson.save(plots.line_fit(line), "line_fit_gradient_descent.png")

# %% [markdown]
# ## A classifier, and the bracket-less loss trained for real
#
# Logistic regression p = σ(X w + b) on two 2-D blobs, full batch, with tinydl's `SGD`.
# Since σ' ≤ 1/4, α < 8/λ_max(X̃ᵀX̃/n) (X̃ = [X, 1]) is a safe rate. We also minimise the
# article's formula as printed, with the safe rate, and see what it learns.

# %%
def train_logistic(X: np.ndarray, y: np.ndarray, alpha: float, steps: int,
                   as_printed: bool = False) -> dict:
    """Gradient descent on p = σ(X w + b) with cross-entropy (or the formula as printed)."""
    w, b = (Tensor(np.zeros(s), requires_grad=True, dtype="float64") for s in (2, ()))
    opt, curve = SGD(learning_rate=alpha), []
    for _ in range(steps):
        z = X @ w + b
        if as_printed:
            p = F.sigmoid(z).clip(EPS, 1 - EPS)
            loss = -F.mean(y * F.log(p)) + F.sum((1 - y) * F.log(1 - p))
        else:
            loss = losses.binary_crossentropy(y, z, from_logits=True)
        curve.append(float(loss.data))
        opt.zero_grad([w, b])
        loss.backward()
        opt.step([w, b])
    z = X @ w.data + b.data                       # σ(z) = (1 + tanh(z/2))/2, without overflow
    return {"curve": np.array(curve), "accuracy": float(np.mean((z > 0) == (y == 1))),
            "w": w.data.copy(), "b": float(b.data),
            "cross_entropy": bce_numpy(y, 0.5 * (1 + np.tanh(z / 2)))}

# %%
def make_blobs(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs (std 1): centre (−1, −1) is label 0, centre (1.5, 1) is label 1."""
    labels = rng.integers(0, 2, n).astype(np.float64)
    centres = np.where(labels[:, None] == 1, [1.5, 1.0], [-1.0, -1.0])
    return centres + rng.normal(size=(n, 2)), labels


X_blobs, y_blobs = make_blobs(200, rng)
Xt = np.hstack([X_blobs, np.ones((200, 1))])
bound = 8.0 / float(np.linalg.eigvalsh(Xt.T @ Xt / 200)[-1])
rates = {"too small": 0.01 * bound, "about right": bound, "too large": 300.0 * bound}
logistic = {"X": X_blobs, "y": y_blobs, "bound": bound, "rates": rates,
            "runs": {k: train_logistic(X_blobs, y_blobs, a, logistic_steps) for k, a in rates.items()},
            "literal": train_logistic(X_blobs, y_blobs, bound, logistic_steps, as_printed=True)}
print(f"safe bound 8/λ_max = {bound:.3f}")
print(f"{'learning rate':<22} {'α':>8} {'loss_0':>8} {'loss_end':>9} {'max loss':>9} {'accuracy':>8}")
for name, run in [*logistic["runs"].items(), ("printed formula", logistic["literal"])]:
    c = run["curve"]
    print(f"{name:<22} {rates.get(name, bound):>8.3f} {c[0]:>8.4f} {c[-1]:>9.4f} {c.max():>9.4f} "
          f"{run['accuracy']:>8.3f}")
print(f"minimising the printed formula drove it to {logistic['literal']['curve'][-1]:.2f}; the "
      f"true cross-entropy of that model is {logistic['literal']['cross_entropy']:.2f}")
lesson.save(plots.logistic(logistic), "logistic_gradient_descent.png")

# %% [markdown]
# ## The graph that `backward()` walks
#
# One forward pass of the classifier on 4 samples, loss = BCE(y, σ(X w + b)), as the
# graph autograd recorded (inputs on top, weights in green). It must be drawn before
# `backward()`, which releases it. At w = 0, b = 0 the gradient is Xᵀ(½ − y)/n.

# %%
X4, y4 = make_blobs(4, rng)
w, b = (Tensor(np.zeros(s), requires_grad=True, dtype="float64") for s in (2, ()))
x4 = Tensor(X4)
loss = losses.binary_crossentropy(y4, x4 @ w + b, from_logits=True)
names = {"X": x4, "w": w, "b": b, "loss": loss}
graph = {"dot": to_dot(loss, names=names), "X": X4, "y": y4}
graph["path"] = lesson.show(draw_graph(loss, lesson.path("forward_graph.png"), names=names,
                               title="loss = BCE(y, σ(X w + b)): the graph backward() walks"))
loss.backward()
graph["nodes"], graph["grad_w"] = graph["dot"].count("label="), w.grad.copy()
print(f"{graph['nodes']} nodes; ∂loss/∂w by backward() = {graph['grad_w'].round(4).tolist()}, "
      f"Xᵀ(½ − y)/n = {(X4.T @ (0.5 - y4) / 4).round(4).tolist()}")

# %% [markdown]
# ## Try it yourself
#
# 1. Write the losses yourself: `tinydl exercise start mse`, then `binary_crossentropy`;
#    check each with `tinydl exercise check NAME`. Then the layer: `tinydl exercise start dense`.
# 2. Rerun the line fit with α = 1.9/λ_max and 2.1/λ_max: how many steps until J stops
#    changing, or blows up? Predict it from |1 − αλ_max| first.
# 3. Give `train_logistic` momentum: write the step in `tinydl exercise start sgd_momentum`,
#    then pass `SGD(learning_rate=alpha, momentum=0.9)`. Which rates now go wrong?
