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
# # Lesson 13 · 第13课: membership inference (成员推断攻击), the privacy side of §5.3
#
# From a model's answers alone, guess whether an image was in its training set. An
# overfitted model gives its training data away; a regularised one less so.
#
# Run it as a script (`python lessons/13_privacy_membership.py --quick`) or open it as a
# notebook and run the cells one by one.

# %% [markdown]
# ## What §5 says
#
# > §5.3「数据安全和隐私保护：随着数据的集中和共享，数据安全和隐私保护将成为越来越重要的问题。这将需要开发更好的加密和安全技术。」
# > (Data security and privacy: as data is centralised and shared, they grow in importance;
# > better encryption and security techniques are needed.)
#
# Privacy (隐私) is the point here, and this attack fits it. But encryption (加密) does not
# stop it: the attacker uses only the trained model's outputs, which the model must give to
# be of any use. The training data never leaves its owner, and still it leaks.

# %%
from pathlib import Path

import numpy as np

from tinydl.adversarial import sample_losses
from tinydl.callbacks import EarlyStopping
from tinydl.explain import rank
from tinydl.layers import Dense, Dropout, Flatten
from tinydl.models import Sequential
from tinydl.optimizers import Adam
from tinydl.regularizers import L2
from tinydl.utils import set_random_seed, to_categorical

import _sec5_plots as plots
from _lesson import Lesson
from _mnist_cnn import WEIGHTS, compiled_cnn, mnist_images, test_accuracy

lesson = Lesson("13_privacy_membership", "a loss-threshold membership-inference attack",
                n=1000, epochs=100, weights=str(WEIGHTS))
n, epochs = (300, 15) if lesson.quick else (lesson.n, lesson.epochs)
(x_train, y_train), (x_test, y_test) = mnist_images()
members = (x_train[:n], y_train[:n])                                 # trained on
nonmembers = (x_train[30000:30000 + n], y_train[30000:30000 + n])    # never seen
validation = (x_train[50000:50000 + n], y_train[50000:50000 + n])    # early stopping only
print(f"{n:,} members, {n:,} non-members, {n:,} validation images")

# %% [markdown]
# ## The attack and its score
#
# A trained model's loss is lower on the images it was trained on. Given an image and its
# label, the attacker computes the cross-entropy L and says "member" when L < τ (Yeom et
# al., 2018). Sweeping τ gives the ROC curve (true-positive rate on members against
# false-positive rate on non-members). Its area, the AUC, is the probability that a random
# member scores above a random non-member (score −L): 0.5 is guessing, 1 reveals everything.

# %%
def auc(positive, negative) -> float:
    """P(positive > negative) + ½ P(tie) over all pairs, from ranks (Mann–Whitney U):
    (sum of the positives' ranks − n₊(n₊ + 1)/2) / (n₊ n₋)."""
    positive, negative = np.ravel(positive), np.ravel(negative)
    if not (len(positive) and len(negative)):
        raise ValueError(f"auc: need at least one positive and one negative score, got "
                         f"{len(positive)} and {len(negative)}")
    ranks = rank(np.concatenate([positive, negative]))        # ties at their mean rank
    n_pos, n_neg = len(positive), len(negative)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


example_members, example_others = -np.array([0.01, 0.5]), -np.array([0.2, 1.0])   # scores −L
example_ranks = rank(np.r_[example_members, example_others])
right = sum(m > o for m in example_members for o in example_others)
print(f"ranks {example_ranks}: AUC = ({example_ranks[:2].sum():g} − 2·3/2) / (2·2) = "
      f"{auc(example_members, example_others)}; pairs ordered right: {right} of 4")

# %% [markdown]
# The ROC curve tries every threshold τ at once; the attacker's advantage (优势) is the best
# TPR − FPR over τ, the gap between finding members and falsely accusing others.

# %%
def roc_curve(positive, negative) -> tuple[np.ndarray, np.ndarray]:
    """(FPR, TPR) of "positive when score ≥ τ" for every distinct τ, from (0, 0) to (1, 1);
    tied scores move both rates at once, so the trapezoid area equals `auc`."""
    positive, negative = np.ravel(positive), np.ravel(negative)
    scores = np.concatenate([positive, negative])
    is_pos = np.r_[np.ones(len(positive)), np.zeros(len(negative))]
    order = np.argsort(-scores, kind="stable")
    scores, is_pos = scores[order], is_pos[order]
    last_of_tie = np.r_[scores[1:] != scores[:-1], True]
    tp, fp = np.cumsum(is_pos)[last_of_tie], np.cumsum(1 - is_pos)[last_of_tie]
    return np.r_[0.0, fp / len(negative)], np.r_[0.0, tp / len(positive)]


def advantage(fpr: np.ndarray, tpr: np.ndarray) -> float:
    """The attacker's best advantage max_τ (TPR − FPR) (Yeom et al., 2018)."""
    return float(np.max(tpr - fpr))


example_fpr, example_tpr = roc_curve(example_members, example_others)
print(f"example: FPR {example_fpr}, TPR {example_tpr}, advantage "
      f"{advantage(example_fpr, example_tpr)}")

# %% [markdown]
# ## Three models to attack
#
# The same MLP (784 → 512 ReLU → 512 ReLU → 10) on the same members: overfitted (no
# regularisation, all epochs), regularised (Dropout 0.5 after each hidden layer, an L2
# penalty (L2 正则化) of 1e-3 on every kernel, early stopping (早停) on the validation set —
# remedies from the overfitting FAQ lesson), and strongly regularised (L2 1e-2).

# %%
MODELS = {"overfitted": None, "regularised": 1e-3, "strongly regularised": 1e-2}  # L2


def mlp(l2: float | None) -> Sequential:
    """The MLP; with l2 (a float) regularised: L2(l2) on every kernel and dropout."""
    reg = L2(l2) if l2 is not None else None
    layers = [Flatten(input_shape=(28, 28, 1))]
    for _ in range(2):
        layers.append(Dense(512, activation="relu", kernel_regularizer=reg))
        layers += [Dropout(0.5)] if l2 is not None else []
    model = Sequential(layers + [Dense(10, activation="softmax", kernel_regularizer=reg)])
    model.compile(optimizer=Adam(learning_rate=0.001), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


# %% [markdown]
# Train each one, then attack it: the loss of every member and non-member, the ROC, AUC
# and advantage, and the accuracy on both sets (on non-members it is a held-out accuracy).

# %%
def attack(model, members, nonmembers) -> dict:
    """The loss-threshold attack's figures for one model (score = −loss)."""
    loss_in = sample_losses(model, *members, batch_size=500)
    loss_out = sample_losses(model, *nonmembers, batch_size=500)
    fpr, tpr = roc_curve(-loss_in, -loss_out)
    return {"auc": auc(-loss_in, -loss_out), "fpr": fpr, "tpr": tpr,
            "advantage": advantage(fpr, tpr), "loss_in": loss_in, "loss_out": loss_out,
            "acc_in": test_accuracy(model, *members), "acc_out": test_accuracy(model, *nonmembers)}


results, trained_epochs = {}, {}
for name, l2 in MODELS.items():
    set_random_seed(lesson.seed)
    model = mlp(l2)
    early = ({} if l2 is None else {"validation_data": (validation[0], to_categorical(validation[1], 10)),
             "callbacks": [EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)]})
    history = model.fit(members[0], to_categorical(members[1], 10), batch_size=32,
                        epochs=epochs, verbose=0, **early)
    trained_epochs[name] = len(history.history["loss"])
    results[name] = attack(model, members, nonmembers)
    print(f"{name}: {trained_epochs[name]} epochs, AUC {results[name]['auc']:.3f}")

# %% [markdown]
# ## The section-4 CNN, trained on much more data
#
# With lesson 4's weights present, its CNN is attacked too (a full lesson-4 run trains it on
# all 60,000 training images): members are the first n training images, non-members the
# first n test images.

# %%
if lesson.weights and Path(lesson.weights).exists():
    cnn = compiled_cnn()
    cnn.load_weights(lesson.weights)
    results["section-4 CNN (lesson 4)"] = attack(cnn, members, (x_test[:n], y_test[:n]))
else:
    print(f"no lesson-4 weights at {lesson.weights}: the section-4 CNN is not attacked")

# %% [markdown]
# ## What leaks, and what regularisation buys
#
# A full run typically gives AUC 0.706 overfitted, 0.687 regularised, 0.643 strongly
# regularised (test accuracy 88.9, 88.3, 85.2%), and 0.537 for the section-4 CNN: more
# data closes the train–test gap, and the leak. This run:

# %%
print(f"{'model':<26} {'epochs':>6} {'train acc':>9} {'held-out':>9} {'loss in':>8} "
      f"{'loss out':>8} {'AUC':>6} {'advantage':>9}")
for name, r in results.items():
    print(f"{name:<26} {trained_epochs.get(name, '-')!s:>6} {100 * r['acc_in']:>8.1f}% "
          f"{100 * r['acc_out']:>8.1f}% {np.mean(r['loss_in']):>8.4f} "
          f"{np.mean(r['loss_out']):>8.4f} {r['auc']:>6.3f} {r['advantage']:>9.3f}")
base = results["overfitted"]
for name in ("regularised", "strongly regularised"):
    r = results[name]
    print(f"{name}: AUC {base['auc']:.3f} → {r['auc']:.3f} "
          f"({'lower' if r['auc'] < base['auc'] else 'not lower'}), held-out accuracy "
          f"{100 * base['acc_out']:.1f}% → {100 * r['acc_out']:.1f}%; the leak "
          f"{'remains' if r['auc'] > 0.55 else 'is nearly gone'} (AUC {'>' if r['auc'] > 0.55 else '≤'} 0.55)")
lesson.save(plots.membership(results), "membership_inference.png")

# %% [markdown]
# ## What defends against it
#
# Not encryption: the leak is in what the model learned. Less overfitting (more data,
# regularisation) narrows the gap between member and non-member losses; differentially
# private training (差分隐私, DP-SGD: clip and add noise to every sample's gradient) bounds
# what any one image can change, at a price in accuracy.

# %% [markdown]
# ## Try it yourself
#
# 1. Train on `--n 5000` members: does the overfitted model's AUC fall?
# 2. Attack with the confidence max softmax(z) instead of −L (no label needed): how much
#    weaker is it?
# 3. The attack's score is the per-sample cross-entropy: write it with
#    `tinydl exercise start softmax_cross_entropy`.
