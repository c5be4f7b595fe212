"""Lesson 13 (section 5, "data privacy"): a membership-inference attack. From a model's
loss alone, guess whether an image was in its training set; an overfitted model gives
its training data away, a regularised one much less.

The attack (Yeom et al., 2018, the loss-threshold attack): a trained model's loss is
lower on the images it was trained on. Given an image and its label, the attacker
computes the cross-entropy L and says "member" when L < τ. Sweeping τ gives the ROC
curve (true-positive rate on members against false-positive rate on non-members); its
area, the AUC, is the probability that a random member has a lower loss than a random
non-member (0.5: the attacker learns nothing; 1: membership is fully revealed).

    AUC = (R₊ − n₊(n₊ + 1)/2) / (n₊ n₋)

with R₊ the sum of the members' ranks among all n₊ + n₋ scores (score = −L, ties at
their mean rank): the Mann-Whitney U statistic divided by the number of pairs. Computed
here with `tinydl.explain.rank`, no loop over pairs.

Three models, the same MLP (784 → 512 ReLU → 512 ReLU → 10) on the same n training images
(1,000; members), attacked with n other training images (non-members, never seen):

    overfitted    no regularisation, 100 epochs: the training loss goes to ~0
    regularised   Dropout(0.5) after each hidden layer, L2 weight decay 1e-3 on every
                  kernel, and early stopping on a separate validation set
                  (patience 5, best weights restored): the remedies of the FAQ lesson
    strongly      the same with L2 1e-2
    regularised

Regularisation lowers the attack's success but does not remove it, and the stronger
penalty buys privacy with test accuracy: the leak follows the gap between training and
test loss, and with 1,000 images much of that gap is the lack of data, which no penalty
fixes. (The principled defence, differentially private training, DP-SGD, clips and
noises every sample's gradient; it is beyond this lesson.)

With lesson 4's weights present, the section-4 CNN (trained on all 60,000 images with
dropout) is attacked too: its members are the first n training images, its non-members
the first n test images.

Measured (full run, 29 s): AUC 0.706 (advantage 0.416) overfitted, 0.687 (0.292)
regularised, 0.643 (0.231) strongly regularised at a test accuracy of 88.9, 88.3 and
85.2%; the section-4 CNN trained on 60,000 images with lesson 4's weights: 0.537
(0.064), its train/test accuracy 99.3/99.1%. More data closes the gap, and the leak.

Run:  python lessons/13_privacy_membership.py [--quick] [--n N] [--epochs E]
      [--weights PATH] [--out DIR] [--seed N]
"""
from __future__ import annotations

import argparse
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

from _lesson import output_dir, plt, save
from _mnist_cnn import WEIGHTS, compiled_cnn, mnist_images, test_accuracy


#: name -> L2 strength (None: no regularisation at all)
MODELS = {"overfitted": None, "regularised": 1e-3, "strongly regularised": 1e-2}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 members, 15 epochs (seconds)")
    parser.add_argument("--n", type=int, default=1000, help="members (and non-members)")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--weights", type=Path, default=WEIGHTS, help="lesson 4's weights")
    parser.add_argument("--out", default=None)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


# -- the attack's statistics ------------------------------------------------------------------

def auc(positive, negative) -> float:
    """Area under the ROC curve of scores where positives should score higher:
    (sum of the positives' ranks − n₊(n₊ + 1)/2) / (n₊ n₋), ties at their mean rank,
    i.e. P(positive > negative) + ½ P(tie) over all pairs."""
    positive, negative = np.ravel(positive), np.ravel(negative)
    if not (len(positive) and len(negative)):
        raise ValueError(f"auc: need at least one positive and one negative score, got "
                         f"{len(positive)} and {len(negative)}")
    ranks = rank(np.concatenate([positive, negative]))
    n_pos, n_neg = len(positive), len(negative)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def roc_curve(positive, negative) -> tuple[np.ndarray, np.ndarray]:
    """(false-positive rates, true-positive rates) of the rule "positive when score ≥ τ"
    for every distinct score τ, from (0, 0) to (1, 1). Tied scores move both rates at
    once (a diagonal step), so the trapezoid area under it equals `auc`."""
    positive, negative = np.ravel(positive), np.ravel(negative)
    scores = np.concatenate([positive, negative])
    is_pos = np.r_[np.ones(len(positive)), np.zeros(len(negative))]
    order = np.argsort(-scores, kind="stable")
    scores, is_pos = scores[order], is_pos[order]
    last_of_tie = np.r_[scores[1:] != scores[:-1], True]
    tp = np.cumsum(is_pos)[last_of_tie]
    fp = np.cumsum(1 - is_pos)[last_of_tie]
    return np.r_[0.0, fp / len(negative)], np.r_[0.0, tp / len(positive)]


def advantage(fpr: np.ndarray, tpr: np.ndarray) -> float:
    """The attacker's best advantage max_τ (TPR − FPR) (Yeom et al.)."""
    return float(np.max(tpr - fpr))


# -- the models ---------------------------------------------------------------------------

def mlp(l2: float | None) -> Sequential:
    """The MLP; with l2 (a float) regularised: L2(l2) on every kernel and dropout."""
    regularised = l2 is not None
    reg = L2(l2) if regularised else None
    layers = [Flatten(input_shape=(28, 28, 1)),
              Dense(512, activation="relu", kernel_regularizer=reg)]
    if regularised:
        layers.append(Dropout(0.5))
    layers.append(Dense(512, activation="relu", kernel_regularizer=reg))
    if regularised:
        layers.append(Dropout(0.5))
    layers.append(Dense(10, activation="softmax", kernel_regularizer=reg))
    model = Sequential(layers)
    model.compile(optimizer=Adam(learning_rate=0.001), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def attack(model, members, nonmembers) -> dict:
    """The loss-threshold attack's figures for one model."""
    loss_in = sample_losses(model, *members, batch_size=500)
    loss_out = sample_losses(model, *nonmembers, batch_size=500)
    fpr, tpr = roc_curve(-loss_in, -loss_out)
    acc_in, acc_out = test_accuracy(model, *members), test_accuracy(model, *nonmembers)
    return {"auc": auc(-loss_in, -loss_out), "fpr": fpr, "tpr": tpr, "advantage": advantage(fpr, tpr),
            "loss_in": loss_in, "loss_out": loss_out, "acc_in": acc_in, "acc_out": acc_out}


def plot(results: dict, out) -> None:
    fig, axes = plt.subplots(1, 1 + len(results), figsize=(4 * (1 + len(results)), 4))
    ax = axes[0]
    for name, r in results.items():
        ax.plot(r["fpr"], r["tpr"], label=f"{name}: AUC {r['auc']:.3f}")
    ax.plot([0, 1], [0, 1], ":", color="gray", label="guessing: AUC 0.5")
    ax.set(xlabel="false-positive rate (non-members called members)",
           ylabel="true-positive rate (members found)", title="loss-threshold attack, ROC")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    for ax, (name, r) in zip(axes[1:], results.items()):
        # log10 of the loss: the members' losses sit decades below the non-members'
        logs_in, logs_out = (np.log10(np.maximum(r[k], 1e-12)) for k in ("loss_in", "loss_out"))
        bins = np.linspace(-12, max(1.0, logs_out.max()), 40)
        ax.hist(logs_in, bins, alpha=0.6, label="members (trained on)")
        ax.hist(logs_out, bins, alpha=0.6, label="non-members")
        ax.set(xlabel="log₁₀ cross-entropy of the true label (≤ 1e-12 at −12)", title=name)
        ax.legend(fontsize=8)
    axes[1].set_ylabel("images")
    fig.suptitle("overfitting leaks membership: members have lower losses")
    fig.tight_layout()
    save(fig, out / "membership_inference.png")


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    out = output_dir(args, "13_privacy_membership")
    if args.quick:
        args.n, args.epochs = 300, 15
    (x_train, y_train), (x_test, y_test) = mnist_images()
    n = args.n
    members = (x_train[:n], y_train[:n])
    nonmembers = (x_train[30000:30000 + n], y_train[30000:30000 + n])     # never trained on
    validation = (x_train[50000:50000 + n], y_train[50000:50000 + n])     # early stopping only

    results, histories = {}, {}
    for name, l2 in MODELS.items():
        set_random_seed(args.seed)
        model = mlp(l2)
        # only the regularised models stop early, on the validation loss; the overfitted
        # one trains every epoch and needs no validation pass
        early = ({"callbacks": [EarlyStopping(monitor="val_loss", patience=5,
                                              restore_best_weights=True)],
                  "validation_data": (validation[0], to_categorical(validation[1], 10))}
                 if l2 is not None else {})
        history = model.fit(members[0], to_categorical(members[1], 10), batch_size=32,
                            epochs=args.epochs, verbose=0, **early)
        histories[name] = len(history.history["loss"])
        results[name] = attack(model, members, nonmembers)
    cnn_note = None
    if args.weights is not None and Path(args.weights).exists():
        cnn = compiled_cnn()
        cnn.load_weights(str(args.weights))
        results["section-4 CNN (60,000 images)"] = attack(cnn, members, (x_test[:n], y_test[:n]))
    else:
        cnn_note = f"(no lesson-4 weights at {args.weights}: the section-4 CNN is not attacked)"

    print(f"{n:,} members (training images) against {n:,} non-members; score = −loss")
    print(f"{'model':<30} {'epochs':>6} {'train acc':>9} {'test acc':>9} {'loss in':>8} "
          f"{'loss out':>8} {'AUC':>6} {'advantage':>9}")
    for name, r in results.items():
        epochs = histories.get(name, "-")
        print(f"{name:<30} {epochs!s:>6} {100 * r['acc_in']:>8.1f}% {100 * r['acc_out']:>8.1f}% "
              f"{np.mean(r['loss_in']):>8.4f} {np.mean(r['loss_out']):>8.4f} {r['auc']:>6.3f} "
              f"{r['advantage']:>9.3f}")
    if cnn_note:
        print(cnn_note)
    base = results["overfitted"]
    for name in ("regularised", "strongly regularised"):
        r = results[name]
        print(f"{name}: AUC {base['auc']:.3f} → {r['auc']:.3f}, attacker's advantage "
              f"{base['advantage']:.3f} → {r['advantage']:.3f}, test accuracy "
              f"{100 * base['acc_out']:.1f}% → {100 * r['acc_out']:.1f}%")
    plot(results, out)
    return {"results": results, "epochs": histories}


if __name__ == "__main__":
    main()
