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
# # Lesson 6e · 第6课(五): FAQ — avoiding overfitting, each remedy measured
#
# > §6 Q:「如何避免过拟合？」A:「过拟合可以通过以下方法避免：」
# > 「减少模型的复杂性：减少神经网络的层数和神经元数量。」
# > 「增加训练数据：增加训练数据集的大小和多样性。」
# > 「使用正则化：使用L1和L2正则化来减少模型的复杂性。」
# > 「使用Dropout：使用Dropout来减少模型的依赖性。」
# > (How to avoid overfitting? By: a less complex model, fewer layers and neurons; more
# > training data, a larger and more varied set; regularisation, L1 and L2 to reduce the
# > model's complexity; dropout, to reduce the model's dependence.)
#
# The article gives no numbers. Here every remedy is trained against the same baseline on
# a small MNIST set, with two the article leaves out: early stopping (早停) and data
# augmentation (数据增强). Two phrases are vague, L1/L2's「减少模型的复杂性」and
# Dropout's「减少模型的依赖性」: the lesson measures what each actually changes.

# %%
import numpy as np

from tinydl.callbacks import EarlyStopping
from tinydl.datasets import mnist
from tinydl.layers import Dense, Dropout, Flatten, RandomTranslation, Reshape
from tinydl.metrics import accuracy
from tinydl.models import Sequential
from tinydl.optimizers import Adam
from tinydl.regularizers import L1, L2, Regularizer
from tinydl.utils import to_categorical

import _faq_b_plots as plots
from _lesson import Lesson

lesson = Lesson("06_faq_overfitting", "each remedy for overfitting, measured on MNIST",
                epochs=0, n_train=0, patience=5, remedies="")
epochs = lesson.epochs or (10 if lesson.quick else 40)     # 0: the default of the mode
n = lesson.n_train or (100 if lesson.quick else 500)
n_val = 500 if lesson.quick else 2000
N_CLASSES = 10

# %% [markdown]
# ## The data, and how overfitting shows
#
# Overfitting (过拟合) is the gap between training accuracy and validation accuracy. The
# validation set (验证集) is the last `n_val` images of MNIST's training file, which no run
# trains on. The test set is not touched: choosing a remedy by its test score would make
# that score optimistic (lesson 06_faq_evaluation shows by how much).

# %%
(x_all, y_all), _ = mnist.load_data()
assert 5 * n <= len(x_all) - n_val, "5× the training images must fit before the validation set"
flat = x_all.reshape(-1, 784) / 255.0
x_train, y_train = flat[:5 * n], to_categorical(y_all[:5 * n], N_CLASSES)    # the first 5n images
x_val, y_val = flat[-n_val:], to_categorical(y_all[-n_val:], N_CLASSES)
print(f"training: {n} images ({5 * n} for '5x data'); validation: {n_val}; "
      f"up to {epochs} epochs")

# %% [markdown]
# ## The baseline and the remedies
#
# The baseline, 784 → 256 ReLU → 256 ReLU → 10 softmax, has far more weights than 100–500
# images need. Each remedy changes one thing: fewer layers and units; five times the
# images; a penalty λΣ|w| (L1) or λΣw² (L2) on every kernel; Dropout(0.5) after each
# hidden layer; random shifts of up to 3 pixels in training (augmentation); or stopping
# once the validation loss has not improved for `patience` epochs (early stopping). The
# article's「大小和多样性」(size and variety): more images add both, shifts only variety.

# %%
def mlp(hidden: tuple[int, ...], seed: int, regularizer: Regularizer | None = None,
        dropout: float = 0.0, shift: float = 0.0) -> Sequential:
    """784 → hidden (ReLU, optional Dropout) → 10 softmax; shift > 0 first moves each
    training image by up to round(shift·28) pixels (RandomTranslation, off at inference)."""
    layers = []
    if shift:
        layers += [Reshape((28, 28, 1)), RandomTranslation(shift, shift), Flatten()]
    for units in hidden:
        layers.append(Dense(units, activation="relu", kernel_regularizer=regularizer))
        if dropout:
            layers.append(Dropout(dropout))
    layers.append(Dense(N_CLASSES, activation="softmax", kernel_regularizer=regularizer))
    model = Sequential(layers, seed=seed)
    model.build((None, 784))
    return model


#: name → (model given the seed, how many times n images, early stopping?)
REMEDIES = {"baseline": (lambda s: mlp((256, 256), s), 1, False),
            "smaller model": (lambda s: mlp((32,), s), 1, False),
            "5x data": (lambda s: mlp((256, 256), s), 5, False),
            "L1 1e-4": (lambda s: mlp((256, 256), s, regularizer=L1(1e-4)), 1, False),
            "L2 1e-3": (lambda s: mlp((256, 256), s, regularizer=L2(1e-3)), 1, False),
            "dropout 0.5": (lambda s: mlp((256, 256), s, dropout=0.5), 1, False),
            "augmentation": (lambda s: mlp((256, 256), s, shift=0.1), 1, False),
            "early stopping": (lambda s: mlp((256, 256), s), 1, True)}

# %% [markdown]
# ## One training run
#
# Every run has the same seed, optimizer (Adam 1e-3), batch size (32) and epoch budget.
# Training accuracy is measured on the whole training set with dropout and shifts off, so
# that it compares with the validation accuracy. Early stopping goes back to the weights
# of its best epoch (`restore_best_weights`).

# %%
def run(name: str, seed: int) -> dict:
    """Train one remedy; its final train/val accuracy and gap, curves and model."""
    build, factor, early = REMEDIES[name]
    x, y = x_train[:factor * n], y_train[:factor * n]
    model = build(seed)
    model.compile(optimizer=Adam(learning_rate=1e-3), loss="categorical_crossentropy",
                  metrics=[accuracy])
    train_acc = plots.TrainAccuracy(x, y)
    stopper = EarlyStopping(monitor="val_loss", patience=lesson.patience,
                            restore_best_weights=True) if early else None
    history = model.fit(x, y, batch_size=32, epochs=epochs, verbose=0,
                        callbacks=[train_acc] + ([stopper] if stopper else []),
                        validation_data=(x_val, y_val)).history
    final_train = accuracy(y, model.predict(x, batch_size=1000))
    final_val = accuracy(y_val, model.predict(x_val, batch_size=1000))
    return {"images": len(x), "train acc": final_train, "val acc": final_val,
            "gap": final_train - final_val, "epochs_run": len(history["val_loss"]),
            "best_epoch": 1 + (stopper.best_epoch if stopper
                               else int(np.argmax(history["val_accuracy"]))),
            "stopped_epoch": stopper.stopped_epoch + 1 if stopper and stopper.stopped_epoch
            else None, "train_curve": train_acc.values, "val_curve": history["val_accuracy"],
            "val_loss": history["val_loss"], "model": model}

# %% [markdown]
# ## Every remedy against the baseline
#
# One run per remedy is one sample, so the baseline is trained again with two other seeds:
# only a difference larger than that spread means anything (three seeds give a rough one).

# %%
names = lesson.remedies.split(",") if lesson.remedies else list(REMEDIES)
assert "baseline" in names and set(names) <= set(REMEDIES), f"choose from {list(REMEDIES)}"
results = {name: run(name, lesson.seed) for name in names}
base = results["baseline"]
for r in results.values():
    r["Δ val"], r["Δ gap"] = r["val acc"] - base["val acc"], r["gap"] - base["gap"]
plots.print_table(results, [("images", "d"), ("train acc", ".4f"), ("val acc", ".4f"),
                            ("gap", ".4f"), ("Δ val", "+.4f"), ("Δ gap", "+.4f"),
                            ("epochs_run", "d")], first="remedy")
baseline_val_over_seeds = [base["val acc"]] + [run("baseline", lesson.seed + k)["val acc"]
                                               for k in (1, 2)]
seed_spread = max(baseline_val_over_seeds) - min(baseline_val_over_seeds)
print("baseline val acc over three seeds:",
      ", ".join(f"{v:.4f}" for v in baseline_val_over_seeds), f"(spread {seed_spread:.4f})")
lesson.save(plots.overfitting_curves(results), "overfitting_curves.png")
lesson.save(plots.overfitting_summary(results, seed_spread), "overfitting_summary.png")

# %% [markdown]
# ## What the table says
#
# A gap can shrink because validation accuracy rises (a gain) or because training accuracy
# falls (a penalty that only hurts the fit), so the verdict asks both. In a full run (500
# images, 40 epochs) five times the data and the shifted copies typically help most, by
# several points, and dropout by a fraction of one; the smaller model and the untuned λ
# may even lower it. "Smaller" and "regularise" do not say how much: that is chosen on
# validation data.

# %%
shrunk = [name for name, r in results.items() if name != "baseline" and r["gap"] < base["gap"]]
helped = [name for name, r in results.items() if r["Δ val"] > seed_spread]
hurt = [name for name, r in results.items() if r["Δ val"] < -seed_spread]
print(f"the gap shrank with: {', '.join(shrunk) or 'none'} (baseline gap {base['gap']:.4f})")
print(f"validation accuracy rose by more than the seed spread ({seed_spread:.4f}) with: "
      f"{', '.join(helped) or 'none'}; fell by more with: {', '.join(hurt) or 'none'}")
only_by_fitting_worse = [name for name in shrunk if name not in helped]
print("gap smaller but no clear gain on validation:", ", ".join(only_by_fitting_worse) or "none")

# %% [markdown]
# ## "L1 and L2 reduce the model's complexity": what they actually change
#
# A penalty removes no layer and no weight: the count of parameters stays the same. What
# it changes is their size. The numbers: Σ|w|, Σw², and the share of weights below 10⁻³
# (many inputs are MNIST's blank border pixels, whose weights get no data gradient).

# %%
weight_stats = {}
for name in [m for m in ("baseline", "smaller model", "L1 1e-4", "L2 1e-3") if m in results]:
    model = results[name]["model"]
    kernels = np.concatenate([w.ravel() for w in model.get_weights() if w.ndim == 2])
    weight_stats[name] = {"parameters": model.count_params(), "sum |w|": np.abs(kernels).sum(),
                          "sum w²": (kernels ** 2).sum(),
                          "share < 1e-3": np.mean(np.abs(kernels) < 1e-3)}
plots.print_table(weight_stats, [("parameters", "d"), ("sum |w|", ".1f"), ("sum w²", ".2f"),
                                 ("share < 1e-3", ".3f")], first="model")

# %% [markdown]
# ## "Dropout reduces the model's dependence": dependence on what?
#
# On any one hidden unit. Dropout trains with a random half of the units missing, so no
# unit can count on another being there. A test of that: after training, remove a random
# half of the first hidden layer's units (rescaling the rest by 2, as dropout does) and
# measure how much validation accuracy each model loses, over 10 random choices. In a
# full run (seed 0) the baseline lost about 6 points this way, the dropout model under 2.

# %%
def knocked_out_accuracy(model: Sequential, fraction: float, rng: np.random.Generator) -> float:
    """Validation accuracy with `fraction` of the first hidden layer's units removed."""
    weights = model.get_weights()
    keep = rng.random(weights[2].shape[0]) >= fraction          # rows of the 2nd kernel
    changed = [w.copy() for w in weights]
    changed[2] = weights[2] * keep[:, None] / (1 - fraction)
    model.set_weights(changed)
    value = accuracy(y_val, model.predict(x_val, batch_size=1000))
    model.set_weights(weights)
    return value


rng = np.random.default_rng(lesson.seed)
dependence = {name: results[name]["val acc"] - np.mean(
    [knocked_out_accuracy(results[name]["model"], 0.5, rng) for _ in range(10)])
    for name in ("baseline", "dropout 0.5") if name in results}
for name, loss in dependence.items():
    print(f"{name}: loses {loss:.4f} validation accuracy without half its first-layer units")
if len(dependence) == 2:
    less = dependence["dropout 0.5"] < dependence["baseline"]
    print(f"the dropout model depends {'less' if less else 'no less'} on single units")

# %% [markdown]
# ## Early stopping watches the validation loss
#
# The validation loss typically starts rising (the model grows overconfident on the images
# it gets wrong) before the validation accuracy stops improving: in a full run, epoch 7
# against epoch 11. So stopping on `val_loss` can stop early and give up a little
# accuracy; `monitor="val_accuracy"` is the other choice.

# %%
loss_best = 1 + int(np.argmin(base["val_loss"]))
acc_best = 1 + int(np.argmax(base["val_curve"]))
print(f"baseline: lowest validation loss at epoch {loss_best}, highest validation accuracy "
      f"at epoch {acc_best} ({'later' if acc_best > loss_best else 'not later'})")
if "early stopping" in results:
    stop = results["early stopping"]
    print(f"early stopping ran {stop['epochs_run']} of {epochs} epochs and went back to "
          f"epoch {stop['best_epoch']} (val acc {stop['val acc']:.4f})")

# %% [markdown]
# ## Try it yourself
#
# 1. λ and the dropout rate are knobs: add "L2 1e-2" and "L2 1e-4" to `REMEDIES` and rerun.
#    Where does too little do nothing, and too much underfit?
# 2. Set `monitor="val_accuracy"` in `run` and compare the epoch early stopping picks.
# 3. Augmentation has a knob as well: try `shift=0.05` (one pixel) and `shift=0.2` in
#    `REMEDIES`. Lesson 5 shows which changes suit digits at all (flips do not).
