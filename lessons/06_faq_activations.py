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
# # Lesson 6b · 第6课(二): FAQ — choosing the activation function
#
# The FAQ (§6) asks how to choose the activation function (激活函数). §3.1.4 lists three:
# linear f(x) = x, sigmoid σ(x) = 1/(1 + e^(−x)) and ReLU max(0, x); we add tanh. Each one
# goes into the hidden layers (隐藏层) of the same deep network on MNIST, and we measure
# how much gradient (梯度) reaches each layer and how well each network learns.

# %%
import numpy as np

import tinydl
import tinydl.functional as F
from tinydl import Tensor, no_grad
from tinydl.datasets import mnist
from tinydl.layers import Dense
from tinydl.losses import binary_crossentropy, categorical_crossentropy
from tinydl.metrics import accuracy
from tinydl.models import Sequential
from tinydl.optimizers import SGD
from tinydl.utils import to_categorical

import _faq_plots as plots
from _lesson import Lesson, plt

lesson = Lesson("06_faq_activations", "FAQ §6: activations in a deep network, on MNIST")
tinydl.set_num_threads(1)     # 64×64 matrices: threads would cost more than they save

# %% [markdown]
# ## What the FAQ says
#
# > §6「线性激活函数适用于简单的线性模型，sigmoid激活函数适用于二分类问题，
# > ReLU激活函数适用于深度学习模型」
# > (A linear activation suits simple linear models, sigmoid suits two-class problems,
# > ReLU suits deep-learning models.)
#
# Three rules of thumb and no reason. The reason is the derivative: back-propagation
# (反向传播) multiplies the gradient by f′(z) once per layer.

# %% [markdown]
# ## The derivatives, by back-propagation
#
# σ′(z) = σ(z)(1 − σ(z)) is at most 1/4, at z = 0; tanh′(0) = 1; ReLU′ = 1 wherever the
# unit is on (0 at z ≤ 0). Through seven sigmoid layers these factors alone shrink the
# gradient by (1/4)⁷ ≈ 6·10⁻⁵ or more: the vanishing gradient (梯度消失).

# %%
z = Tensor(np.array([-4.0, -1.0, 0.0, 1.0, 4.0]), requires_grad=True)
slopes = {}
for name in ("sigmoid", "tanh", "relu", "linear"):
    z.grad = None
    getattr(F, name)(z).sum().backward()        # f'(z) for each z at once
    slopes[name] = z.grad.copy()
    print(f"{name:>7}: f'(z) at z = -4, -1, 0, 1, 4:", np.round(slopes[name], 4))
print(f"(1/4)^7 = {0.25 ** 7:.1e}")

# %% [markdown]
# ## The network and the data
#
# 784 → 7 × Dense(64, f) → Dense(10, softmax), Glorot-uniform initialisation (初始化) from
# the same seed, so only f differs; plain SGD(0.05) on batches of 64. Full run: the first 10,000
# training images, 8 epochs, 2,000 test images; quick mode: 800, 2 epochs, 300.

# %%
ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")
DEPTH = 7                     # hidden layers
WIDTH = 64                    # units per hidden layer
LEARNING_RATE = 0.05


def build_model(activation: str, seed: int, depth: int = DEPTH, width: int = WIDTH,
                init: str = "glorot_uniform") -> Sequential:
    """784 → depth × Dense(width, activation) → Dense(10, softmax), kernels from `init`."""
    layers = [Dense(width, activation=activation, input_shape=(784,), kernel_initializer=init)]
    layers += [Dense(width, activation=activation, kernel_initializer=init)
               for _ in range(depth - 1)]
    layers.append(Dense(10, activation="softmax"))
    return Sequential(layers, seed=seed)


def load(n_train: int, n_test: int) -> tuple[np.ndarray, ...]:
    """First n_train training / n_test test images as (N, 784) in [0, 1], one-hot labels."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = x_train[:n_train].reshape(-1, 784).astype(np.float32) / 255.0
    x_test = x_test[:n_test].reshape(-1, 784).astype(np.float32) / 255.0
    return (x_train, to_categorical(y_train[:n_train], 10),
            x_test, to_categorical(y_test[:n_test], 10))


n_train, n_test, epochs = (800, 300, 2) if lesson.quick else (10000, 2000, 8)
data = load(n_train, n_test)
probe = (data[0][:256], data[1][:256])     # one fixed batch for reading gradients

# %% [markdown]
# ## How much gradient reaches each layer
#
# Through hidden layer l, back-propagation computes
# ∂L/∂h_{l−1} = (f′(z_l) ⊙ ∂L/∂h_l)·W_lᵀ.
# We read ‖∂L/∂W_l‖ of every layer's kernel on the fixed batch, before any training.
# Hidden kernels 2 and 7 are both 64×64, so their ratio compares like with like.

# %%
def layer_gradient_norms(model: Sequential, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """‖∂L/∂W_l‖ (Frobenius) of each layer's kernel, first layer first, for L the mean
    cross-entropy of the batch from the last layer's logits. The weights are unchanged
    and their .grad is reset to None afterwards."""
    for w in model.weights:
        w.grad = None
    model(x.astype(np.float32), training=True)
    loss = categorical_crossentropy(y, model.layers[-1].pre_activation, from_logits=True)
    loss.backward()
    norms = np.array([np.linalg.norm(layer.kernel.grad) for layer in model.layers])
    for w in model.weights:
        w.grad = None
    return norms


for name in ACTIVATIONS:
    n = layer_gradient_norms(build_model(name, lesson.seed), *probe)
    print(f"{name:>7}: " + " ".join(f"{v:.0e}" for v in n)
          + f"   layer 2 / layer {DEPTH}: {n[1] / n[DEPTH - 1]:.1e}")

# %% [markdown]
# ## Training the four networks
#
# `fit` runs one epoch at a time; after each we read the gradient norms on the same batch
# again, to see whether training fixes what initialisation started.

# %%
def train(model: Sequential, data: tuple[np.ndarray, ...], epochs: int,
          probe: tuple[np.ndarray, np.ndarray]) -> tuple[dict, np.ndarray]:
    """SGD(LEARNING_RATE), batch 64, one epoch at a time; returns the history and the
    layer gradient norms on `probe` at initialisation and after each epoch."""
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
    return history, np.array(norms)


models, histories, norms = {}, {}, {}
for name in ACTIVATIONS:
    models[name] = build_model(name, lesson.seed)
    histories[name], norms[name] = train(models[name], data, epochs, probe)

# %% [markdown]
# The table: final training loss, test accuracy, and the layer-2 / layer-7 gradient ratio
# at initialisation and after training (below 1: the gradient shrinks toward the input).

# %%
rows = {name: {"activation": name, "train_loss": histories[name]["loss"][-1],
               "test_accuracy": histories[name]["val_accuracy"][-1],
               "ratio_init": norms[name][0, 1] / norms[name][0, DEPTH - 1],
               "ratio_end": norms[name][-1, 1] / norms[name][-1, DEPTH - 1]}
        for name in ACTIVATIONS}
print(plots.table(rows.values(), [("activation", "hidden f", "s"),
                                  ("train_loss", "train loss", ".4f"),
                                  ("test_accuracy", "test acc", ".4f"),
                                  ("ratio_init", "ratio 2/7 init", ".1e"),
                                  ("ratio_end", "ratio 2/7 end", ".1e")]))

# %% [markdown]
# ## A stack of linear layers is one linear map
#
# With f(x) = x the network computes x·W₁·W₂⋯W₈ + b: one matrix W = W₁⋯W₈ (784×10) and
# one bias, folded as b ← b·W_l + b_l. However deep, it is softmax regression, a linear
# classifier. We build W and b from the trained layers and compare the predictions.

# %%
def compose_linear(model: Sequential) -> tuple[np.ndarray, np.ndarray]:
    """The single affine map (W, b) that a stack of linear Dense layers computes before
    the softmax: W = W₁W₂⋯W_L, and b ← b·W_l + b_l layer by layer."""
    W = np.eye(model.layers[0].kernel.shape[0])
    b = np.zeros(model.layers[0].kernel.shape[0])
    for layer in model.layers:
        kernel = layer.kernel.data.astype(np.float64)
        W, b = W @ kernel, b @ kernel + layer.bias.data
    return W, b


W, b = compose_linear(models["linear"])
deep_probs = models["linear"].predict(data[2], batch_size=512)
with no_grad():
    single_probs = F.softmax(Tensor(data[2].astype(np.float64) @ W + b)).data
collapse_error = float(np.abs(deep_probs - single_probs).max())
same_predictions = float(np.mean(deep_probs.argmax(1) == single_probs.argmax(1)))
print(f"{DEPTH + 1} linear layers vs one {W.shape[0]}×{W.shape[1]} map: "
      f"max |Δp| = {collapse_error:.1e}, "
      f"same class on {same_predictions:.2%} of the test images")

# %% [markdown]
# The same linear classifier as a single Dense layer, trained the same way, for comparison.

# %%
softmax_regression = Sequential([Dense(10, activation="softmax", input_shape=(784,))],
                                seed=lesson.seed)
regression_history, _ = train(softmax_regression, data, epochs, probe)
softmax_regression_accuracy = regression_history["val_accuracy"][-1]
print(f"softmax regression: test accuracy {softmax_regression_accuracy:.4f}; "
      f"the {DEPTH + 1}-layer linear net: {rows['linear']['test_accuracy']:.4f}")

# %% [markdown]
# ## The figures
#
# Training curves, and the gradient norm of each layer at initialisation and after
# training (log scale): the sigmoid line falls steeply toward the input.

# %%
lesson.save(plots.activation_curves(histories, regression_history), "curves.png")
lesson.save(plots.gradient_profiles(norms), "gradient_norms.png")

# %% [markdown]
# ## Where sigmoid belongs: one output unit for two classes
#
# σ(z) read as P(class 1), with binary cross-entropy (二元交叉熵)
# L = −[y·log p + (1 − y)·log(1 − p)]: the log undoes σ's flat tails, and ∂L/∂z = p − y.
# A confidently wrong unit (z = −4, y = 1) still gets a gradient near −1, though
# σ′(−4) ≈ 0.018. The FAQ's "sigmoid for two classes" is right about this output unit.

# %%
z_out = Tensor(np.array([[-4.0], [0.0], [4.0]]), requires_grad=True)
p = F.sigmoid(z_out)
(3 * binary_crossentropy(np.ones((3, 1)), p)).backward()     # the sum over 3 samples
output_gradient = z_out.grad.ravel()
print("z:", z_out.data.ravel(), " dL/dz:", np.round(output_gradient, 4),
      " p - y:", np.round(p.data.ravel() - 1, 4),
      " sigma'(z):", np.round(slopes["sigmoid"][[0, 2, 4]], 4))

# %% [markdown]
# ## The FAQ's answer, checked
#
# Sigmoid suits a two-class *output* unit, not hidden layers; "linear for linear models"
# is true but adds nothing: a deep linear net *is* a linear model. Whether ReLU wins on this
# budget is printed below; with Glorot initialisation its signal halves in variance per
# layer, so it starts slowly (He initialisation, Var(W) = 2/fan_in, is the usual fix).

# %%
acc = {name: rows[name]["test_accuracy"] for name in ACTIVATIONS}
ranking = sorted(acc, key=acc.get, reverse=True)
print("test accuracy, best first:", ", ".join(f"{n} {acc[n]:.4f}" for n in ranking))
s, r = rows["sigmoid"]["ratio_init"], rows["relu"]["ratio_init"]
print(f"hidden sigmoid: layer 2 gets {s:.1e}× the gradient of layer {DEPTH} (ReLU {r:.2f}×): "
      f"{'vanishing' if s < 0.01 else 'not vanishing'}")
print(f"ReLU {'beats' if acc['relu'] > acc['sigmoid'] else 'does not beat'} sigmoid and "
      f"{'beats' if acc['relu'] > acc['linear'] else 'does not (yet) beat'} the linear net here")
one_map = same_predictions == 1.0 and collapse_error < 1e-4
print(f"deep linear net {acc['linear']:.4f} vs softmax regression "
      f"{softmax_regression_accuracy:.4f}; the deep linear net "
      f"{'is' if one_map else 'is not'} its one composed linear map "
      f"(same class on {same_predictions:.0%} of the test images)")

# %% [markdown]
# ## Try it yourself
#
# 1. Give ReLU He initialisation: `build_model("relu", lesson.seed, init="he_normal")`,
#    then train it; with `epochs` doubled, does ReLU pass tanh?
# 2. Set `DEPTH = 2` and rerun: does sigmoid still lag behind?
# 3. Write sigmoid and ReLU with their derivatives yourself: `tinydl exercise start sigmoid`
#    and `tinydl exercise start relu` (then `tinydl exercise check sigmoid`, `… relu`).
