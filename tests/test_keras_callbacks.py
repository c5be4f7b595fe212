"""Tests of Keras 3's training callbacks in tinydl.callbacks: LambdaCallback,
ReduceLROnPlateau, LearningRateScheduler, CSVLogger, TerminateOnNaN, and the Keras hook
names of the Callback base."""
import csv
import math

import numpy as np
import pytest

import tinydl as keras
from tinydl import callbacks, optimizers
from tinydl.optimizers import schedules


class FakeModel:
    def __init__(self, lr=1.0):
        self.optimizer = optimizers.SGD(lr)
        self.stop_training = False


def run_plateau(cb, values, lr=1.0):
    """Feed `values` as the monitored quantity, epoch by epoch; the rate after each."""
    model = FakeModel(lr)
    cb.set_model(model)
    cb.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        logs = {"val_loss": value}
        cb.on_epoch_end(epoch, logs)
        assert logs["learning_rate"] == rates[-1] if rates else lr   # the rate of the epoch
        rates.append(model.optimizer.learning_rate)
    return rates


def small_data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    return x, x @ np.array([[1.0], [-1.0], [0.5]], np.float32)


def small_model(lr=0.05):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(lr), loss="mse")
    return model


# -- ReduceLROnPlateau ---------------------------------------------------------------------

def test_reduce_lr_after_patience_flat_epochs():
    cb = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, min_delta=0.0)
    rates = run_plateau(cb, [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8])
    # epoch 1 improves; epochs 2, 3 flat → reduce at 3; epochs 4, 5 flat → reduce at 5
    assert rates == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


def test_reduce_lr_min_delta_counts_small_gains_as_flat():
    cb = callbacks.ReduceLROnPlateau(factor=0.1, patience=1, min_delta=0.05)
    rates = run_plateau(cb, [1.0, 0.98, 0.5])
    assert rates == [1.0, pytest.approx(0.1), pytest.approx(0.1)]


def test_reduce_lr_respects_min_lr():
    cb = callbacks.ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.05)
    rates = run_plateau(cb, [1.0] * 5)
    assert rates == [1.0, pytest.approx(0.1), 0.05, 0.05, 0.05]


def test_reduce_lr_cooldown_waits_before_counting_again():
    cb = callbacks.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2, min_delta=0.0)
    rates = run_plateau(cb, [1.0] * 8)
    # Keras 3's rule: a reduction at epoch 1 sets cooldown_counter = 2; at epoch 2 it drops
    # to 1 (still cooling: not counted); at epoch 3 it drops to 0 first, so epoch 3 counts
    # and (patience 1) reduces again: reductions at 1, 3, 5, 7 (without cooldown: every epoch)
    assert rates == [1.0, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.0625]
    no_cooldown = run_plateau(callbacks.ReduceLROnPlateau(factor=0.5, patience=1,
                                                          min_delta=0.0), [1.0] * 4)
    assert no_cooldown == [1.0, 0.5, 0.25, 0.125]


def test_reduce_lr_mode_max_for_accuracy():
    cb = callbacks.ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)
    model = FakeModel()
    cb.set_model(model)
    cb.on_train_begin()
    for epoch, acc in enumerate([0.5, 0.6, 0.7]):        # improving: no change
        cb.on_epoch_end(epoch, {"val_accuracy": acc})
    assert model.optimizer.learning_rate == 1.0
    cb.on_epoch_end(3, {"val_accuracy": 0.4})
    assert model.optimizer.learning_rate == 0.5


def test_reduce_lr_in_fit_records_learning_rate_in_history():
    model = small_model()
    x, y = small_data()
    cb = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=10.0)
    h = model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[cb])
    # epoch 0 improves on best = inf; epochs 1, 2 gain less than min_delta: reduce at each
    # (the rate logged is the one the epoch trained with)
    assert h.history["learning_rate"] == [0.05, 0.05, 0.025]
    assert model.optimizer.learning_rate == 0.0125


@pytest.mark.parametrize("kwargs, message", [
    ({"factor": 1.0}, r"factor must be a number in \(0, 1\)"),
    ({"patience": -1}, "patience must be an int >= 0"),
    ({"min_lr": -1}, "min_lr must be a finite number >= 0"),
    ({"mode": "lowest"}, "mode must be 'auto', 'min' or 'max'"),
])
def test_reduce_lr_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        callbacks.ReduceLROnPlateau(**kwargs)


def test_rate_callbacks_refuse_to_replace_a_schedule():
    model = FakeModel()
    model.optimizer = optimizers.SGD(schedules.ExponentialDecay(0.1, 10, 0.5))
    for cb in (callbacks.ReduceLROnPlateau(), callbacks.LearningRateScheduler(lambda e: 0.1)):
        cb.set_model(model)
        with pytest.raises(TypeError, match="is a schedule"):
            cb.on_train_begin() if isinstance(cb, callbacks.ReduceLROnPlateau) else \
                cb.on_epoch_begin(0)


# -- LearningRateScheduler ---------------------------------------------------------------

def test_learning_rate_scheduler_sets_the_rate_of_each_epoch():
    model = small_model()
    x, y = small_data()
    seen = []
    probe = callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: seen.append(model.optimizer.learning_rate))
    cb = callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr * 0.1)
    h = model.fit(x, y, epochs=3, batch_size=24, verbose=0, callbacks=[cb, probe])
    expected = [0.05, 0.005, 0.0005]
    assert h.history["learning_rate"] == pytest.approx(expected)
    assert seen == pytest.approx([r for r in expected for _ in range(2)])   # 2 batches each


def test_learning_rate_scheduler_one_argument_form_and_bad_output():
    model = FakeModel()
    cb = callbacks.LearningRateScheduler(lambda epoch: 0.5 ** epoch)
    cb.set_model(model)
    cb.on_epoch_begin(3)
    assert model.optimizer.learning_rate == 0.125
    bad = callbacks.LearningRateScheduler(lambda epoch, lr: None)
    bad.set_model(model)
    with pytest.raises(ValueError, match="returned None for epoch 0"):
        bad.on_epoch_begin(0)
    with pytest.raises(TypeError, match="schedule must be a function"):
        callbacks.LearningRateScheduler(0.1)


# -- CSVLogger ---------------------------------------------------------------------------

def test_csv_logger_writes_one_row_per_epoch_with_keras_columns(tmp_path):
    model = small_model()
    model.compile(optimizer=optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    x, y = small_data()
    path = tmp_path / "log.csv"
    h = model.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_split=0.25,
                  callbacks=[callbacks.CSVLogger(path)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    keys = sorted(h.history)
    assert rows[0] == ["epoch", *keys]
    assert len(rows) == 1 + 3
    for epoch, row in enumerate(rows[1:]):
        assert int(row[0]) == epoch
        for key, value in zip(keys, row[1:]):
            assert float(value) == h.history[key][epoch]       # repr: exact


def test_csv_logger_append_and_separator(tmp_path):
    path = tmp_path / "log.csv"
    x, y = small_data()
    model = small_model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";")])
    model.fit(x, y, epochs=1, verbose=0,
              callbacks=[callbacks.CSVLogger(path, separator=";", append=True)])
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch;loss" and len(lines) == 4
    assert [line.split(";")[0] for line in lines[1:]] == ["0", "1", "0"]
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path)])
    assert len(path.read_text().splitlines()) == 2                  # append=False: rewritten


def test_csv_logger_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="is a folder"):
        callbacks.CSVLogger(tmp_path)
    with pytest.raises(ValueError, match="single character"):
        callbacks.CSVLogger(tmp_path / "a.csv", separator=", ")
    cb = callbacks.CSVLogger(tmp_path / "missing" / "a.csv")
    with pytest.raises(OSError, match="missing"):
        cb.on_train_begin()                           # before any epoch runs


# -- TerminateOnNaN ----------------------------------------------------------------------

class NaNPenalty(keras.regularizers.Regularizer):
    """A penalty that becomes NaN at its third call (the third batch's loss)."""

    def __init__(self):
        self.calls = 0

    def __call__(self, weight):
        self.calls += 1
        return (weight * 0.0).sum() * (math.nan if self.calls >= 3 else 0.0)


def nan_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)),
                              keras.layers.Dense(1, kernel_regularizer=NaNPenalty())])
    model.compile(optimizer=optimizers.SGD(0.01), loss="mse")
    return model


def test_terminate_on_nan_stops_at_the_first_nan_batch(capsys):
    x, y = small_data(64)
    batches = []
    count = callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: batches.append(b))
    h = nan_model().fit(x, y, epochs=5, batch_size=16, verbose=0,
                        callbacks=[callbacks.TerminateOnNaN(), count])
    assert batches == [0, 1, 2]                      # stopped after batch 2 (the NaN one)
    assert len(h.history["loss"]) == 1 and math.isnan(h.history["loss"][0])
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out


def test_without_terminate_on_nan_the_nan_weights_stop_fit_with_an_error():
    x, y = small_data(64)
    with pytest.raises(FloatingPointError):
        nan_model().fit(x, y, epochs=5, batch_size=16, verbose=0)


# -- LambdaCallback and the hook names ----------------------------------------------------

def test_lambda_callback_hooks_are_called_in_order():
    events = []
    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: events.append(f"epoch_begin {epoch}"),
        on_train_batch_begin=lambda batch, logs: events.append(f"batch_begin {batch}"),
        on_train_batch_end=lambda batch, logs: events.append(f"batch_end {batch}"),
        on_epoch_end=lambda epoch, logs: events.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: events.append("train_end"))
    x, y = small_data(32)
    small_model().fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[cb])
    epoch = ["batch_begin 0", "batch_end 0", "batch_begin 1", "batch_end 1"]
    assert events == ["train_begin",
                      "epoch_begin 0", *epoch, "epoch_end 0 ['loss']",
                      "epoch_begin 1", *epoch, "epoch_end 1 ['loss']",
                      "train_end"]


def test_lambda_callback_rejects_unknown_hooks_and_non_functions():
    with pytest.raises(TypeError, match="unknown hook 'on_epoch_finish'"):
        callbacks.LambdaCallback(on_epoch_finish=print)
    with pytest.raises(TypeError, match="on_epoch_end must be a function"):
        callbacks.LambdaCallback(on_epoch_end=3)


def test_subclass_hooks_under_both_keras_names_are_called():
    class Both(callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.old, self.new = [], []

        def on_batch_end(self, batch, logs=None):        # Keras 2's name
            self.old.append(batch)

    class New(callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.new = []

        def on_train_batch_end(self, batch, logs=None):  # Keras 3's name
            self.new.append((batch, self.model is not None))

    both, new = Both(), New()
    x, y = small_data(32)
    small_model().fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[both, new])
    assert both.old == [0, 1] and new.new == [(0, True), (1, True)]


# -- BackupAndRestore ---------------------------------------------------------------------

class Interrupt(callbacks.Callback):
    """Raises at the end of epoch `at` (after the callbacks before it ran), like a crash."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt


def dropout_model(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.3), keras.layers.Dense(1)])
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse")
    return model


def test_backup_and_restore_resumes_an_interrupted_fit_exactly(tmp_path):
    x, y = small_data(40)
    reference = dropout_model(0)
    full = reference.fit(x, y, epochs=4, batch_size=8, verbose=0)

    model = dropout_model(0)
    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=4, batch_size=8, verbose=0, callbacks=[backup, Interrupt(1)])
    assert (tmp_path / "backup" / "training_state.npz").exists()     # epochs 0, 1 saved

    # a fresh process: other weights, another global seed, a fresh optimizer
    resumed = dropout_model(123)
    epochs = []
    h = resumed.fit(x, y, epochs=4, batch_size=8, verbose=0,
                    callbacks=[backup, callbacks.LambdaCallback(
                        on_epoch_begin=lambda e, logs: epochs.append(e))])
    assert epochs == [2, 3]
    assert h.history["loss"] == full.history["loss"][2:]
    for a, b in zip(resumed.weights, reference.weights):
        assert a.data.tobytes() == b.data.tobytes()
    assert resumed.optimizer.iterations == reference.optimizer.iterations == 20
    assert not (tmp_path / "backup" / "training_state.npz").exists()  # deleted when done


def test_backup_and_restore_refuses_a_backup_of_another_model(tmp_path):
    x, y = small_data(16)
    backup = callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)
    small_model().fit(x, y, epochs=1, verbose=0, callbacks=[backup])
    other = dropout_model(0)
    before = [w.data.copy() for w in other.weights]
    with pytest.raises(ValueError, match="does not match this model's weights"):
        other.fit(x, y, epochs=2, verbose=0, callbacks=[backup])
    assert all(np.array_equal(a, w.data) for a, w in zip(before, other.weights))
    with pytest.raises(ValueError, match="save_freq must be 'epoch'"):
        callbacks.BackupAndRestore(tmp_path, save_freq=10)
