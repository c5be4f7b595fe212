"""Lesson 3: the dense layer, the two losses and gradient descent of section 3.1.4, checked.

Section 3.1.3 (step 5) says: compute the model's error with a loss and update the
parameters by gradient descent. Section 3.1.4 gives the formulas:

    dense layer         z = W x + b                       W (out, in), x a column (in,)
    MSE                 L = (1/n) Σ_i (y_i − ŷ_i)²
    cross-entropy       L = −(1/n) Σ_i [ y_i log ŷ_i + (1 − y_i) log(1 − ŷ_i) ]
    gradient descent    θ ← θ − α ∇J(θ)

This lesson writes each one in plain NumPy and checks it against tinydl:

1. z = Wx + b for one column vector is tinydl's `Dense`, which computes x @ K + b for a
   batch of ROW vectors with the kernel K = Wᵀ (Keras' layout): (W Xᵀ)ᵀ = X Wᵀ.
2. MSE and binary cross-entropy from the formulas, side by side with `tinydl.losses`.
3. The article's slip: it prints the cross-entropy WITHOUT the brackets,
   −(1/n)Σ y log ŷ + (1 − y) log(1 − ŷ), so the minus sign and the 1/n reach only the
   first term. Read literally, the second term is added with a plus sign: for a true
   label y = 0 it is log(1 − ŷ) ≤ 0, smallest when ŷ → 1, i.e. when the model is
   confidently WRONG. The lesson evaluates both on one example (the literal one comes
   out negative, and lower for worse predictions) and trains a classifier on each: the
   literal "loss" sinks far below zero while the classifier learns the mirror image of
   the right one (the unscaled sum over the zeros outweighs the 1/n-scaled ones term).
4. Gradient descent with gradients from tinydl's autograd (`loss.backward()`), on
   (a) a line fit y = 2x + 1 + noise with MSE, and (b) a logistic classifier on two
   2-D blobs with cross-entropy and `tinydl.optimizers.SGD`. Three learning rates
   each: too small, about right, too large.

   Why "too large" means divergence for the line fit: with θ = (w, b) the MSE is a
   quadratic, J(θ) = J* + ½ (θ − θ*)ᵀ H (θ − θ*), with the constant Hessian
       H = (2/n) [[Σ x_i², Σ x_i], [Σ x_i, n]].
   One step maps the error e = θ − θ* to (I − αH) e, so along the eigenvector of each
   eigenvalue λ of H the error is multiplied by (1 − αλ) per step. It shrinks for every
   direction iff |1 − αλ| < 1 for all λ, i.e. iff α < 2/λ_max. Above that critical α
   the steepest direction overshoots further each step and J grows geometrically.
   The lesson computes λ_max twice (from the formula, and from autograd gradients,
   since ∇J is linear in θ) and runs α just below and just above 2/λ_max.

5. The graph behind `loss.backward()`: one forward pass of the logistic classifier,
   loss = BCE(y, σ(X w + b)), is drawn with `tinydl.viz.draw_graph` (inputs on top, the
   loss at the bottom, weights in green) before backward walks it in reverse.

The article gives no guidance on α; it also says (section 6) plain gradient descent
suits "simple linear models": the line fit shows that even there it needs α < 2/λ_max.

Run:  python lessons/03_dense_losses_gradient_descent.py [--quick] [--out DIR] [--seed N]
"""
from __future__ import annotations

import numpy as np

import tinydl.functional as F
from tinydl import Tensor, losses
from tinydl.layers import Dense
from tinydl.optimizers import SGD
from tinydl.viz import draw_graph, to_dot

from _lesson import output_dir, parse_args, plt, save

EPS = 1e-7  # the clip tinydl (like Keras) applies to probabilities before the log


# -- 1. the dense layer --------------------------------------------------------------

def dense_column(W: np.ndarray, x: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The article's z = W x + b: W (out, in), x (in,), b (out,) -> z (out,)."""
    return W @ x + b


def dense_check(rng: np.random.Generator) -> dict:
    """Compare the article's column form, sample by sample, with tinydl's Dense on a batch.

    Dense computes Z = X K + b with X (N, in) (one sample per row) and K (in, out).
    Setting K = Wᵀ gives row n of Z = (W x_n + b)ᵀ: the same map, transposed.
    """
    n, d_in, d_out = 5, 4, 3
    W = rng.normal(size=(d_out, d_in))
    b = rng.normal(size=d_out)
    X = rng.normal(size=(n, d_in))
    columns = (W @ X.T + b[:, None]).T                  # every column W x_n + b, as rows
    one = dense_column(W, X[0], b)
    layer = Dense(d_out, dtype="float64")
    layer(Tensor(X))                                    # build: kernel (in, out), bias (out,)
    layer.kernel.data[...] = W.T
    layer.bias.data[...] = b
    batch = layer(Tensor(X)).data
    return {"max_abs_diff": float(np.abs(batch - columns).max()),
            "first_sample_diff": float(np.abs(batch[0] - one).max()),
            "kernel_shape": layer.kernel.shape, "W_shape": W.shape}


# -- 2. the losses, in plain NumPy ----------------------------------------------------

def mse_numpy(y: np.ndarray, y_hat: np.ndarray) -> float:
    """L = (1/n) Σ (y_i − ŷ_i)²."""
    return float(np.mean((y - y_hat) ** 2))


def bce_numpy(y: np.ndarray, y_hat: np.ndarray) -> float:
    """L = −(1/n) Σ [y_i log ŷ_i + (1 − y_i) log(1 − ŷ_i)], ŷ clipped to [ε, 1 − ε]."""
    p = np.clip(y_hat, EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def bce_as_printed(y: np.ndarray, y_hat: np.ndarray) -> float:
    """The article's formula read literally, without the brackets:
    L = −(1/n) Σ_i y_i log ŷ_i  +  Σ_i (1 − y_i) log(1 − ŷ_i).
    (The sum must extend over the second term, whose index i is free otherwise; the
    minus sign and the 1/n do not.) For n = 1 every reading gives −y log ŷ + (1−y) log(1−ŷ)."""
    p = np.clip(y_hat, EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p)) + np.sum((1 - y) * np.log(1 - p)))


def bce_as_printed_tensor(y: np.ndarray, p: Tensor) -> Tensor:
    """bce_as_printed with tinydl ops, so that autograd can minimise it."""
    p = p.clip(EPS, 1 - EPS)
    return -(F.mean(y * F.log(p))) + F.sum((1 - y) * F.log(1 - p))


def loss_check() -> dict:
    """MSE and cross-entropy: NumPy formulas against tinydl.losses; the printed slip."""
    y_reg = np.array([1.0, 2.0, 3.0, 4.0])
    y_reg_hat = np.array([1.5, 1.5, 3.5, 2.0])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    y_hat = np.array([0.9, 0.2, 0.7, 0.1])            # a good classifier
    y_bad = np.array([0.9, 0.99, 0.7, 0.99])          # calls the two zeros "1" with confidence
    as_float64 = lambda a: Tensor(a, dtype="float64")  # noqa: E731
    rows = {
        "mse": (mse_numpy(y_reg, y_reg_hat), float(losses.mse(y_reg, as_float64(y_reg_hat)).data)),
        "bce, good ŷ": (bce_numpy(y, y_hat),
                        float(losses.binary_crossentropy(y, as_float64(y_hat)).data)),
        "bce, bad ŷ": (bce_numpy(y, y_bad),
                       float(losses.binary_crossentropy(y, as_float64(y_bad)).data)),
    }
    printed = {"good": bce_as_printed(y, y_hat), "bad": bce_as_printed(y, y_bad)}
    return {"rows": rows, "printed": printed,
            "bracketed": {"good": rows["bce, good ŷ"][0], "bad": rows["bce, bad ŷ"][0]}}


# -- 3. gradient descent on a line ------------------------------------------------------

def make_line(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x uniform in [0, 2], y = 2x + 1 + N(0, 0.3²)."""
    x = rng.uniform(0.0, 2.0, n)
    return x, 2.0 * x + 1.0 + rng.normal(0.0, 0.3, n)


def line_hessian(x: np.ndarray) -> np.ndarray:
    """H of J(w, b) = (1/n) Σ (w x_i + b − y_i)²:  (2/n) [[Σx², Σx], [Σx, n]]."""
    n = len(x)
    return (2.0 / n) * np.array([[np.sum(x * x), np.sum(x)], [np.sum(x), n]])


def line_loss_and_grad(x: np.ndarray, y: np.ndarray, theta: np.ndarray) -> tuple[float, np.ndarray]:
    """J(θ) and ∇J(θ) for θ = (w, b), the gradient from tinydl's autograd."""
    w = Tensor(np.array(theta[0]), requires_grad=True, dtype="float64")
    b = Tensor(np.array(theta[1]), requires_grad=True, dtype="float64")
    loss = losses.mse(y, w * x + b)
    loss.backward()
    return float(loss.data), np.array([float(w.grad), float(b.grad)])


def hessian_from_autograd(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∇J is linear in θ for a quadratic J, so column j of H is ∇J(e_j) − ∇J(0)."""
    g0 = line_loss_and_grad(x, y, np.zeros(2))[1]
    return np.stack([line_loss_and_grad(x, y, e)[1] - g0 for e in np.eye(2)], axis=1)


def gradient_descent(x: np.ndarray, y: np.ndarray, alpha: float, steps: int,
                     start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """θ ← θ − α ∇J(θ), by hand; returns the losses J(θ_k) (k = 0..steps) and the path."""
    theta = start.astype(np.float64).copy()
    path, curve = [theta.copy()], []
    for _ in range(steps):
        loss, grad = line_loss_and_grad(x, y, theta)
        curve.append(loss)
        theta = theta - alpha * grad
        path.append(theta.copy())
    curve.append(line_loss_and_grad(x, y, theta)[0])
    return np.array(curve), np.array(path)


def loss_surface(x: np.ndarray, y: np.ndarray, ws: np.ndarray, bs: np.ndarray) -> np.ndarray:
    """J(w, b) on a grid, all at once: J[i, j] = mean_k (ws[j] x_k + bs[i] − y_k)²."""
    W, B = np.meshgrid(ws, bs)
    residual = W[..., None] * x + B[..., None] - y
    return np.mean(residual ** 2, axis=-1)


def line_experiment(rng: np.random.Generator, steps: int) -> dict:
    x, y = make_line(60, rng)
    H = line_hessian(x)
    H_auto = hessian_from_autograd(x, y)
    eig = np.linalg.eigvalsh(H)
    lam_min, lam_max = float(eig[0]), float(eig[-1])
    alpha_crit = 2.0 / lam_max
    theta_star = np.linalg.lstsq(np.stack([x, np.ones_like(x)], 1), y, rcond=None)[0]
    start = np.array([-1.0, 0.0])
    rates = {"too small (0.05/λmax)": 0.05 / lam_max,
             "about right (1/λmax)": 1.0 / lam_max,
             "just below (0.98·2/λmax)": 0.98 * alpha_crit,
             "too large (1.05·2/λmax)": 1.05 * alpha_crit}
    runs = {name: gradient_descent(x, y, a, steps, start) for name, a in rates.items()}
    return {"x": x, "y": y, "H": H, "H_autograd": H_auto, "lam_min": lam_min,
            "lam_max": lam_max, "alpha_crit": alpha_crit, "theta_star": theta_star,
            "rates": rates, "runs": runs, "J_star": float(np.mean((x * theta_star[0]
                                                                   + theta_star[1] - y) ** 2))}


# -- 4. gradient descent on a logistic classifier ----------------------------------------

def make_blobs(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs in 2-D (std 1), centres (−1, −1) -> label 0 and (1.5, 1) -> 1."""
    labels = rng.integers(0, 2, n).astype(np.float64)
    centres = np.where(labels[:, None] == 1, [1.5, 1.0], [-1.0, -1.0])
    return centres + rng.normal(size=(n, 2)), labels


def train_logistic(X: np.ndarray, y: np.ndarray, alpha: float, steps: int,
                   literal_loss: bool = False) -> dict:
    """Full-batch gradient descent with tinydl's SGD on p = σ(X w + b).

    The loss is tinydl's binary cross-entropy, or (literal_loss=True) the article's
    formula as printed. Returns the loss curve, the final accuracy and (w, b)."""
    w = Tensor(np.zeros(2), requires_grad=True, dtype="float64")
    b = Tensor(np.zeros(()), requires_grad=True, dtype="float64")
    opt = SGD(learning_rate=alpha)
    curve = []
    for _ in range(steps):
        z = X @ w + b
        if literal_loss:
            loss = bce_as_printed_tensor(y, F.sigmoid(z))
        else:
            loss = losses.binary_crossentropy(y, z, from_logits=True)
        curve.append(float(loss.data))
        opt.zero_grad([w, b])
        loss.backward()
        opt.step([w, b])
    z = X @ w.data + b.data
    return {"curve": np.array(curve), "accuracy": float(np.mean((z > 0) == (y == 1))),
            "w": w.data.copy(), "b": float(b.data),
            "bracketed_loss": bce_numpy(y, 0.5 * (1 + np.tanh(z / 2)))}


def logistic_experiment(rng: np.random.Generator, steps: int) -> dict:
    X, y = make_blobs(200, rng)
    # σ' ≤ 1/4, so the Hessian of the mean cross-entropy is at most (1/4)·X̃ᵀX̃/n (X̃ = [X, 1]):
    # α < 8/λ_max(X̃ᵀX̃/n) is a sufficient condition for stable steps.
    Xt = np.hstack([X, np.ones((len(X), 1))])
    bound = 8.0 / float(np.linalg.eigvalsh(Xt.T @ Xt / len(X))[-1])
    rates = {"too small": 0.01 * bound, "about right": bound, "too large": 300.0 * bound}
    runs = {name: train_logistic(X, y, a, steps) for name, a in rates.items()}
    literal = train_logistic(X, y, bound, steps, literal_loss=True)
    return {"X": X, "y": y, "bound": bound, "rates": rates, "runs": runs, "literal": literal}


# -- figures ---------------------------------------------------------------------------

def draw_forward_graph(rng: np.random.Generator, out) -> dict:
    """The autograd graph of one forward pass of the logistic classifier (4 samples),
    drawn before backward() releases it; then the gradient it gives."""
    X, y = make_blobs(4, rng)
    x = Tensor(X)
    w = Tensor(np.zeros(2), requires_grad=True, dtype="float64")
    b = Tensor(np.zeros(()), requires_grad=True, dtype="float64")
    loss = losses.binary_crossentropy(y, x @ w + b, from_logits=True)
    names = {"X": x, "w": w, "b": b, "loss": loss}
    dot = to_dot(loss, names=names)
    path = draw_graph(loss, out / "forward_graph.png", names=names,
                      title="loss = BCE(y, σ(X w + b)): the graph backward() walks")
    loss.backward()
    return {"dot": dot, "path": path, "nodes": dot.count("label="),
            "grad_w": w.grad.copy(), "X": X, "y": y}


def plot_line(exp: dict, out) -> None:
    fig, (ax_c, ax_s) = plt.subplots(1, 2, figsize=(13, 5))
    colours = ["tab:blue", "tab:green", "tab:orange", "tab:red"]
    for (name, (curve, _)), colour in zip(exp["runs"].items(), colours):
        ax_c.semilogy(curve - exp["J_star"] + 1e-12, color=colour,
                      label=f"α = {exp['rates'][name]:.3f}  {name}")
    ax_c.set(xlabel="step k", ylabel="J(θ_k) − J(θ*)  (log scale)",
             title=f"line fit, MSE: diverges for α > 2/λmax = {exp['alpha_crit']:.3f}")
    ax_c.legend(fontsize=8)
    ax_c.grid(alpha=0.3)
    ws, bs = np.linspace(-1.5, 4.5, 241), np.linspace(-2.5, 3.5, 241)
    J = loss_surface(exp["x"], exp["y"], ws, bs)
    ax_s.contour(ws, bs, J, levels=np.geomspace(J.min() + 1e-3, J.max(), 25), cmap="viridis",
                 linewidths=0.8)
    for (name, (_, path)), colour in zip(exp["runs"].items(), colours):
        shown = path[:40] if name.startswith(("too small", "about")) else path[:9]
        ax_s.plot(shown[:, 0], shown[:, 1], ".-", color=colour, lw=1, ms=4, label=name,
                  zorder=4 if name.startswith("just") else 3)
    ax_s.plot(*exp["theta_star"], "k*", ms=14, label="least squares θ*")
    ax_s.set(xlim=(ws[0], ws[-1]), ylim=(bs[0], bs[-1]), xlabel="w (slope)",
             ylabel="b (intercept)", title="θ = (w, b) on the contours of J (first 40 or 8 steps)")
    ax_s.set_aspect("equal")
    ax_s.legend(fontsize=8, loc="lower left")
    save(fig, out / "line_fit_gradient_descent.png")


def plot_logistic(exp: dict, out) -> None:
    fig, (ax_c, ax_l, ax_d) = plt.subplots(1, 3, figsize=(17, 4.8))
    for name, run in exp["runs"].items():
        ax_c.semilogy(run["curve"], label=f"α = {exp['rates'][name]:.3g} ({name})")
    ax_c.set(xlabel="step", ylabel="cross-entropy (log scale)",
             title="logistic classifier: three learning rates")
    ax_c.legend(fontsize=8)
    ax_c.grid(alpha=0.3)
    ax_l.plot(exp["literal"]["curve"], "k--")
    ax_l.axhline(0, color="gray", lw=0.5)
    ax_l.set(xlabel="step", ylabel="the printed formula's value",
             title="minimising the formula as printed\n(it stops only at the 1e-7 clip of ŷ)")
    ax_l.grid(alpha=0.3)
    X, y = exp["X"], exp["y"]
    ax_d.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=12, edgecolor="k", linewidth=0.3)
    xs = np.linspace(X[:, 0].min(), X[:, 0].max(), 2)
    for run, style, label in ((exp["runs"]["about right"], "g-", "trained with cross-entropy"),
                              (exp["literal"], "k--", "trained with the printed formula")):
        w, b = run["w"], run["b"]
        if abs(w[1]) > 1e-9:
            ax_d.plot(xs, -(w[0] * xs + b) / w[1], style,
                      label=f"{label}: accuracy {run['accuracy']:.2f}")
    ax_d.set(ylim=(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5), xlabel="x₁", ylabel="x₂",
             title="decision boundaries σ(w·x + b) = 0.5 (red: class 1)")
    ax_d.legend(fontsize=8)
    save(fig, out / "logistic_gradient_descent.png")


def plot_printed_formula(out) -> None:
    p = np.linspace(0.001, 0.999, 400)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(p, -np.log(1 - p), label="bracketed, y = 0:  −log(1 − ŷ)")
    ax.plot(p, np.log(1 - p), "--", label="as printed, y = 0:  +log(1 − ŷ)")
    ax.plot(p, -np.log(p), ":", label="both, y = 1:  −log ŷ")
    ax.axhline(0, color="gray", lw=0.5)
    ax.set(xlabel="predicted probability ŷ of class 1", ylabel="loss of one sample",
           ylim=(-5, 5), title="a true 0: the printed formula rewards ŷ → 1")
    ax.legend(fontsize=8)
    save(fig, out / "crossentropy_brackets.png")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__.splitlines()[0], argv)
    out = output_dir(args, "03_dense_losses_gradient_descent")
    rng = np.random.default_rng(args.seed)
    line_steps, logistic_steps = (60, 100) if args.quick else (150, 400)

    dense = dense_check(rng)
    print("1. dense layer: article z = Wx + b (W %s) vs tinydl Dense x @ K + b (K = Wᵀ, %s)"
          % (dense["W_shape"], dense["kernel_shape"]))
    print(f"   max |difference| over a batch of 5: {dense['max_abs_diff']:.2e}\n")

    lc = loss_check()
    print("2. losses: the formula in NumPy vs tinydl.losses")
    print(f"   {'case':<14} {'NumPy':>10} {'tinydl':>10}")
    for name, (mine, theirs) in lc["rows"].items():
        print(f"   {name:<14} {mine:>10.6f} {theirs:>10.6f}")
    print("   y = [1, 0, 1, 0]; good ŷ = [.9, .2, .7, .1]; bad ŷ = [.9, .99, .7, .99]")
    print(f"   {'cross-entropy':<14} {'bracketed':>10} {'as printed':>10}")
    for case in ("good", "bad"):
        print(f"   {case + ' ŷ':<14} {lc['bracketed'][case]:>10.4f} {lc['printed'][case]:>10.4f}")
    print("   the printed formula is negative, and LOWER for the bad predictions.\n")

    line = line_experiment(rng, line_steps)
    print("3. line fit y = 2x + 1 + noise, J = MSE, gradients by autograd")
    print(f"   H = (2/n)[[Σx², Σx], [Σx, n]] = {np.round(line['H'], 4).tolist()}; "
          f"from autograd: {np.round(line['H_autograd'], 4).tolist()}")
    print(f"   λ_min = {line['lam_min']:.4f}, λ_max = {line['lam_max']:.4f}, "
          f"critical α = 2/λ_max = {line['alpha_crit']:.4f}; θ* = "
          f"({line['theta_star'][0]:.3f}, {line['theta_star'][1]:.3f})")
    print(f"   {'learning rate':<26} {'α':>7} {'|1−αλmax|':>9} {'J(θ_0)':>9} {'J(θ_end)':>11} "
          f"{'verdict':>9}")
    line_table = {}
    for name, (curve, _) in line["runs"].items():
        alpha = line["rates"][name]
        factor = abs(1 - alpha * line["lam_max"])
        verdict = "diverges" if curve[-1] > curve[0] else "converges"
        line_table[name] = {"alpha": alpha, "first": curve[0], "last": curve[-1]}
        print(f"   {name:<26} {alpha:>7.4f} {factor:>9.3f} {curve[0]:>9.3f} {curve[-1]:>11.4g} "
              f"{verdict:>9}")
    print("   an error along λ_max's eigenvector is multiplied by (1 − αλ_max) per step: above "
          "α = 2/λ_max its size grows.\n")

    logistic = logistic_experiment(rng, logistic_steps)
    print("4. logistic classifier on two blobs, cross-entropy, tinydl SGD (full batch)")
    print(f"   sufficient stable bound 8/λ_max(X̃ᵀX̃/n) = {logistic['bound']:.3f}")
    print(f"   {'learning rate':<26} {'α':>7} {'loss_0':>8} {'loss_end':>9} {'max loss':>9} "
          f"{'accuracy':>8}")
    for name, run in list(logistic["runs"].items()) + [("printed formula (α right)",
                                                         logistic["literal"])]:
        alpha = logistic["bound"] if name.startswith("printed") else logistic["rates"][name]
        c = run["curve"]
        print(f"   {name:<26} {alpha:>7.3f} {c[0]:>8.4f} {c[-1]:>9.4f} {c.max():>9.4f} "
              f"{run['accuracy']:>8.3f}")
    print(f"   with the printed formula the 'loss' went to {logistic['literal']['curve'][-1]:.2f} "
          f"while the true cross-entropy rose to {logistic['literal']['bracketed_loss']:.2f}\n")

    graph = draw_forward_graph(rng, out)
    print("5. the graph autograd recorded for one forward pass of the classifier:")
    print(f"   {graph['nodes']} nodes (tensors and operations); drawn to {graph['path']}")
    print(f"   backward() walked it from the loss up: ∂loss/∂w = "
          f"{np.round(graph['grad_w'], 4).tolist()}\n")

    print("article (§3.1.4) vs measured:")
    print("  * z = Wx + b is Dense's x @ Wᵀ + b on row vectors: equal to "
          f"{dense['max_abs_diff']:.0e}.")
    print("  * its cross-entropy needs brackets around both terms: as printed it is negative "
          "and is minimised by wrong answers.")
    print("  * θ ← θ − α∇J works only for α small enough: for this line fit α < "
          f"{line['alpha_crit']:.4f} = 2/λ_max; the article gives no such condition.")

    plot_line(line, out)
    plot_logistic(logistic, out)
    plot_printed_formula(out)
    return {"dense": dense, "losses": lc, "line": line, "line_table": line_table,
            "logistic": logistic, "graph": graph}


if __name__ == "__main__":
    main()
