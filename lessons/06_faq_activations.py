"""Lesson 6b: the FAQ's activation question (section 6), measured in a deep network.

The FAQ's answer (section 6, "how to choose an activation"): a linear activation for
simple linear models, sigmoid for two-class problems, ReLU for deep models. Section
3.1.4 lists the three: f(x) = x, σ(x) = 1/(1 + e^(−x)), max(0, x). This lesson puts
each (and tanh) in the hidden layers of the same deep network on flattened MNIST:

    784 → [Dense 64, f] × 7 → Dense 10 softmax     (Glorot-uniform init, same seed,
                                                    plain SGD, same batches)

and measures the training curves and the gradient reaching each layer's kernel.

Why depth hurts sigmoid. Back-propagation through hidden layer l multiplies the
gradient by Wₗᵀ and by f'(zₗ) elementwise:

    ∂L/∂hₗ₋₁ = Wₗ · (f'(zₗ) ⊙ ∂L/∂hₗ),     ‖∂L/∂W₁‖ ∝ Π_l |f'(z_l)|·‖W_l‖ (roughly)

σ'(z) = σ(z)(1 − σ(z)) ≤ 1/4, so each sigmoid layer shrinks the gradient by about 4× or
more (Glorot init keeps ‖W‖ near 1): seven layers, ~4⁻⁷. tanh'(0) = 1 and ReLU' = 1 on
the active half keep it near constant. The per-layer gradient norms printed below show
this ("vanishing gradients"): the early layers of the sigmoid net barely learn. (The
table compares hidden kernels 2 and 7, both 64×64, so their norms are comparable; the
first kernel is 784×64.) ReLU's gradients do not shrink with depth, but with Glorot init
its signal halves in variance at each layer, so all its gradients start small; He init,
Var(W) = 2/fan_in, is the usual fix (here every net gets the same Glorot init, as asked).

Why "linear" is never a deep model. With f(x) = x the network is
x·W₁·W₂⋯W₈ + b, ONE affine map W = W₁⋯W₈, b = (((b₁W₂ + b₂)W₃ + b₃)⋯)W₈ + b₈: however
deep, it is a linear classifier (softmax regression), with that ceiling on accuracy.
`compose_linear` builds W, b from the trained layers and the lesson checks that it
predicts exactly what the deep linear network does.

Where the FAQ is loose: "sigmoid for binary classification" is about the OUTPUT unit
(σ gives P(class 1), paired with binary cross-entropy), not about hidden layers, where
sigmoid is the worst choice here; and section 3.1.2's "the activation turns the
output into a binary one" is wrong: σ and ReLU are continuous maps (see the README).

Run:  python lessons/06_faq_activations.py [--quick] [--out DIR] [--seed N]
Data: MNIST ($TINYDL_DATA/mnist). Full run: the first 10,000 training images, 8 epochs,
first 2,000 test images. --quick: 800 images, 2 epochs, 300 test images.
"""
from __future__ import annotations

import os
import time

# These nets multiply small matrices (a batch of 64 by 64 units). OpenBLAS's worker threads
# cost far more than they save there: on the shared 2-core machine one epoch ran ~30× slower
# with them. One BLAS thread, set before NumPy loads (an explicit setting is respected).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from tinydl import Tensor, no_grad
from tinydl.activations import softmax
from tinydl.datasets import mnist
from tinydl.layers import Dense
from tinydl.losses import categorical_crossentropy
from tinydl.metrics import accuracy
from tinydl.models import Sequential
from tinydl.optimizers import SGD
from tinydl.utils import set_random_seed, to_categorical

from _lesson import output_dir, parse_args, plt, save

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")
DEPTH, WIDTH = 7, 64          # hidden layers, units per hidden layer
LEARNING_RATE = 0.05


def build_model(activation: str, seed: int, depth: int = DEPTH, width: int = WIDTH) -> Sequential:
    """784 → depth × Dense(width, activation) → Dense(10, softmax), Glorot-uniform init."""
    layers = [Dense(width, activation=activation, input_shape=(784,))]
    layers += [Dense(width, activation=activation) for _ in range(depth - 1)]
    layers.append(Dense(10, activation="softmax"))
    return Sequential(layers, seed=seed)


def layer_gradient_norms(model: Sequential, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """‖∂L/∂Wₗ‖ (Frobenius) for each layer's kernel, first layer first.

    L is the mean categorical cross-entropy of the batch, computed from the last
    layer's logits (softmax fused into the loss, as `fit` does). The gradients are
    read from each kernel's `.grad` after `loss.backward()`; the weights are unchanged.
    """
    for w in model.weights:
        w.grad = None
    model(x.astype(np.float32), training=True)
    loss = categorical_crossentropy(y, model.layers[-1].pre_activation, from_logits=True)
    loss.backward()
    norms = np.array([np.linalg.norm(layer.kernel.grad) for layer in model.layers])
    for w in model.weights:
        w.grad = None
    return norms


def compose_linear(model: Sequential) -> tuple[np.ndarray, np.ndarray]:
    """The single affine map (W, b) a stack of linear Dense layers computes before softmax.

    h ↦ h·Wₗ + bₗ composed: W = W₁W₂⋯W_L and b folded through the later kernels,
    b ← b·Wₗ + bₗ. Every hidden layer must have the linear activation.
    """
    W = np.eye(model.layers[0].kernel.shape[0])
    b = np.zeros(model.layers[0].kernel.shape[0])
    for layer in model.layers:
        kernel = layer.kernel.data.astype(np.float64)
        W, b = W @ kernel, b @ kernel + layer.bias.data
    return W, b


def load(n_train: int, n_test: int) -> tuple[np.ndarray, ...]:
    """First n_train training / n_test test images as (N, 784) in [0, 1], one-hot labels."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = x_train[:n_train].reshape(-1, 784).astype(np.float32) / 255.0
    x_test = x_test[:n_test].reshape(-1, 784).astype(np.float32) / 255.0
    return (x_train, to_categorical(y_train[:n_train], 10),
            x_test, to_categorical(y_test[:n_test], 10))


def train(model: Sequential, data: tuple[np.ndarray, ...], epochs: int, probe: tuple,
          ) -> tuple[dict, list[np.ndarray]]:
    """fit one epoch at a time; returns the history and the layer gradient norms on the
    probe batch at initialisation and after each epoch."""
    x_train, y_train, x_test, y_test = data
    model.compile(optimizer=SGD(learning_rate=LEARNING_RATE), loss="categorical_crossentropy",
                  metrics=[accuracy])
    history: dict[str, list[float]] = {}
    norms = [layer_gradient_norms(model, *probe)]
    for _ in range(epochs):
        h = model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0,
                      validation_data=(x_test, y_test)).history
        for key, values in h.items():
            history.setdefault(key, []).extend(values)
        norms.append(layer_gradient_norms(model, *probe))
    return history, norms


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(__doc__.splitlines()[0], argv)
    out = output_dir(args, "06_faq_activations")
    set_random_seed(args.seed)
    n_train, n_test, epochs = (800, 300, 2) if args.quick else (10000, 2000, 8)
    data = load(n_train, n_test)
    probe = (data[0][:256], data[1][:256])
    steps = -(-n_train // 64)
    print(f"784 → {DEPTH} × Dense({WIDTH}, f) → Dense(10, softmax); SGD({LEARNING_RATE}), "
          f"batch 64, {epochs} epochs ({steps} steps each) on the first {n_train} MNIST "
          f"images, tested on the first {n_test}; seed {args.seed}\n")

    results = {}
    for name in ACTIVATIONS:
        model = build_model(name, args.seed)
        start = time.perf_counter()
        history, norms = train(model, data, epochs, probe)
        results[name] = {"history": history, "norms": np.array(norms), "model": model,
                         "seconds": time.perf_counter() - start}

    # the linear classifier the deep linear net collapses to, trained the same way
    softmax_regression = Sequential([Dense(10, activation="softmax", input_shape=(784,))],
                                    seed=args.seed)
    logistic_history, _ = train(softmax_regression, data, epochs, probe)
    W, b = compose_linear(results["linear"]["model"])
    deep_probs = results["linear"]["model"].predict(data[2], batch_size=512)
    with no_grad():
        single_probs = softmax(Tensor(data[2].astype(np.float64) @ W + b)).data
    collapse_error = float(np.abs(deep_probs - single_probs).max())
    same_predictions = float(np.mean(deep_probs.argmax(1) == single_probs.argmax(1)))

    header = (f"{'hidden f':>8} {'train loss':>10} {'test acc':>8} "
              f"{'‖∂L/∂W₂‖ init':>14} {'‖∂L/∂W₇‖ init':>14} {'ratio 2/7':>9} "
              f"{'ratio end':>9} {'seconds':>7}")
    print(header)
    print("-" * len(header))
    rows = {}
    for name, r in results.items():
        n = r["norms"]
        rows[name] = {"train_loss": r["history"]["loss"][-1],
                      "test_accuracy": r["history"]["val_accuracy"][-1],
                      "ratio_init": n[0, 1] / n[0, DEPTH - 1],
                      "ratio_end": n[-1, 1] / n[-1, DEPTH - 1],
                      "norms_init": n[0], "norms_end": n[-1]}
        print(f"{name:>8} {rows[name]['train_loss']:>10.4f} {rows[name]['test_accuracy']:>8.4f} "
              f"{n[0, 1]:>14.2e} {n[0, DEPTH - 1]:>14.2e} "
              f"{rows[name]['ratio_init']:>9.2e} {rows[name]['ratio_end']:>9.2e} "
              f"{r['seconds']:>7.1f}")
    print(f"{'softmax regression (one Dense 784→10)':>40}: test acc "
          f"{logistic_history['val_accuracy'][-1]:.4f}")
    print(f"(ratio 2/7: gradient norm of hidden kernel 2 over hidden kernel {DEPTH}, both "
          f"{WIDTH}×{WIDTH}, at init and after training; < 1: the gradient shrinks toward "
          f"the input)")
    print(f"deep linear net vs its single composed map W (784×10), b: max |Δp| = "
          f"{collapse_error:.1e}, same predicted class on {same_predictions:.2%} of test images")

    print("\nThe FAQ (section 6): linear for simple linear models, sigmoid for two-class "
          "problems, ReLU for deep models.")
    s, rl = rows["sigmoid"], rows["relu"]
    print(f"Measured, {DEPTH} hidden layers, same budget: ReLU {rl['test_accuracy']:.4f}, tanh "
          f"{rows['tanh']['test_accuracy']:.4f}, sigmoid {s['test_accuracy']:.4f} (chance 0.1). "
          f"Sigmoid's gradient at hidden layer 2 is {s['ratio_init']:.1e}× that at layer "
          f"{DEPTH} (ReLU: {rl['ratio_init']:.2f}×): the early layers hardly move.")
    print(f"          linear hidden layers: {rows['linear']['test_accuracy']:.4f}, a linear "
          f"classifier like softmax regression ({logistic_history['val_accuracy'][-1]:.4f}); "
          f"depth adds nothing (the composed single map predicts the same).")
    print("          so: sigmoid belongs in a two-class OUTPUT unit, not in deep hidden "
          "layers; ReLU (or tanh) for deep models is borne out; linear only for a model "
          "that is meant to be linear.")

    # figures: curves, and gradient norm per layer at init and at the end
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6))
    epoch_axis = np.arange(1, epochs + 1)
    for name, r in results.items():
        ax_loss.plot(epoch_axis, r["history"]["loss"], marker="o", label=name)
        ax_acc.plot(epoch_axis, r["history"]["val_accuracy"], marker="o", label=name)
    ax_acc.plot(epoch_axis, logistic_history["val_accuracy"], color="gray", linestyle=":",
                marker=".", label="softmax regression")
    ax_loss.set(xlabel="epoch", ylabel="training cross-entropy", title="training loss")
    ax_acc.set(xlabel="epoch", ylabel="test accuracy", title="test accuracy")
    for ax in (ax_loss, ax_acc):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    save(fig, out / "curves.png")

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    layers_axis = np.arange(1, DEPTH + 2)
    for ax, which, title in ((axes[0], 0, "at initialisation"),
                             (axes[1], -1, f"after {epochs} epochs")):
        for name, r in results.items():
            ax.semilogy(layers_axis, r["norms"][which], marker="o", label=name)
        ax.set(xlabel=f"layer (1 = next to the input, {DEPTH + 1} = softmax output)",
               title=f"‖∂L/∂W‖ per layer, {title}")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("gradient norm (log)")
    axes[0].legend(fontsize=8)
    save(fig, out / "gradient_norms.png")
    return {"rows": rows, "softmax_regression_accuracy": logistic_history["val_accuracy"][-1],
            "collapse_error": collapse_error, "same_predictions": same_predictions,
            "linear_model": results["linear"]["model"], "x_test": data[2], "epochs": epochs}


if __name__ == "__main__":
    main()
