"""Tests of EarlyStopping, ModelCheckpoint and fit(validation_split=...): the epoch at
which training stops for scripted val_loss sequences (Keras' rules worked out by hand),
bit-identical restored weights, which checkpoint files exist, and the held-out split."""
import os

import numpy as np
import pytest

from tinydl import Tensor
from tinydl.callbacks import Callback, EarlyStopping, ModelCheckpoint
from tinydl.layers import Dense
from tinydl.models import Sequential


class FakeModel:
    """Just what the callbacks use: weights (Tensors) and stop_training."""

    def __init__(self):
        self.weights = [Tensor(np.zeros((2, 2))), Tensor(np.zeros(3))]
        self.stop_training = False


def run(callback, values, monitor="val_loss", model=None):
    """Feed `values` as logs[monitor], one per epoch, until the callback stops training.
    Epoch e's weights are filled with random numbers; returns (epochs run, model, weights)."""
    model = model or FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    rng, seen = np.random.default_rng(0), []
    for epoch, value in enumerate(values):
        for w in model.weights:
            w.data[...] = rng.normal(size=w.shape)
        seen.append([w.data.copy() for w in model.weights])
        callback.on_epoch_end(epoch, {monitor: value})
        if model.stop_training:
            break
    callback.on_train_end()
    return len(seen), model, seen


VALUES = [1.0, 0.8, 0.9, 0.85, 0.7, 0.95, 0.96, 0.97]


@pytest.mark.parametrize("patience, epochs_run", [(0, 3), (2, 4), (3, 8), (4, 8)])
def test_early_stopping_patience(patience, epochs_run):
    # patience 0: epoch 2 (0.9) is the first without improvement → stop there (3 epochs);
    # patience 2: epochs 2, 3 do not improve → stop at epoch 3;
    # patience 3: 0.7 at epoch 4 resets the wait; 5, 6, 7 do not improve → stop at 7
    es = EarlyStopping(patience=patience)
    ran, model, _ = run(es, VALUES)
    assert ran == epochs_run
    assert model.stop_training == (patience <= 3)
    assert es.stopped_epoch == (epochs_run - 1 if patience <= 3 else 0)
    assert es.best == (0.8 if patience < 3 else 0.7)


def test_early_stopping_min_delta():
    # improvements of 0.1 < min_delta 0.15 do not count: epoch 1 already waits
    assert run(EarlyStopping(min_delta=0.15, patience=1), [1.0, 0.9, 0.8, 0.7])[0] == 2
    assert run(EarlyStopping(min_delta=0.05, patience=1), [1.0, 0.9, 0.8, 0.7])[0] == 4
    assert run(EarlyStopping(min_delta=-0.15, patience=1), [1.0, 0.9, 0.8])[0] == 2  # |δ|


def test_early_stopping_mode_auto_and_max():
    rising = [0.5, 0.6, 0.55, 0.7]
    assert run(EarlyStopping("val_accuracy"), rising, "val_accuracy")[0] == 3   # max
    assert run(EarlyStopping("val_acc"), rising, "val_acc")[0] == 3
    assert run(EarlyStopping("val_loss"), rising)[0] == 2                       # min
    assert run(EarlyStopping("val_loss", mode="max"), rising)[0] == 3
    with pytest.raises(ValueError, match="mode must be"):
        EarlyStopping(mode="up")


def test_early_stopping_baseline():
    # improvements that stay above the baseline do not reset the wait (Keras)
    assert run(EarlyStopping(patience=2, baseline=0.5), [1.0, 0.9, 0.95, 0.99])[0] == 3
    assert run(EarlyStopping(patience=2), [1.0, 0.9, 0.95, 0.99])[0] == 4
    assert run(EarlyStopping(patience=2, baseline=0.95), [1.0, 0.9, 0.95, 0.99])[0] == 4


def test_restore_best_weights_is_bit_identical():
    es = EarlyStopping(patience=2, restore_best_weights=True)
    ran, model, seen = run(es, VALUES)
    assert ran == 4 and es.best_epoch == 1
    for w, best in zip(model.weights, seen[1]):
        assert w.data.tobytes() == best.tobytes()
    _, model, seen = run(EarlyStopping(patience=2), VALUES)     # off: the last weights stay
    assert model.weights[0].data.tobytes() == seen[-1][0].tobytes()


def test_missing_monitor_warns_and_does_not_stop():
    with pytest.warns(UserWarning, match="'val_loss' is not in the logs"):
        ran, model, _ = run(EarlyStopping(), [1.0, 2.0, 3.0], monitor="loss")
    assert ran == 3 and not model.stop_training


# -- with a real model: scripted val_loss through fit ---------------------------------------

class ScriptedValLoss(Callback):
    """Overwrites logs['val_loss'] (the dict the later callbacks see) and records the
    weights at each epoch's end."""

    def __init__(self, values):
        super().__init__()
        self.values, self.weights = values, []

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]
        self.weights.append([w.data.copy() for w in self.model.weights])


def tiny_model():
    model = Sequential([Dense(3, activation="relu", input_shape=(4,)), Dense(1)], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    return model


DATA = (np.random.default_rng(1).normal(size=(16, 4)), np.random.default_rng(2).normal(size=(16, 1)))


def test_fit_stops_early_and_restores_the_best_weights():
    model, script = tiny_model(), ScriptedValLoss(VALUES)
    es = EarlyStopping(patience=2, restore_best_weights=True)
    history = model.fit(*DATA, epochs=len(VALUES), batch_size=8, verbose=0,
                        callbacks=[script, es])
    assert history.epoch == [0, 1, 2, 3] and es.stopped_epoch == 3
    assert history.history["val_loss"] == VALUES[:4]
    for w, best in zip(model.weights, script.weights[1]):
        assert w.data.tobytes() == best.tobytes()
    assert model.weights[0].data.tobytes() != script.weights[3][0].tobytes()


def test_model_checkpoint_files(tmp_path):
    values = [0.5, 0.4, 0.45, 0.3]
    pattern = str(tmp_path / "w_{epoch:02d}_{val_loss:.4f}.npz")
    model, script = tiny_model(), ScriptedValLoss(values)
    model.fit(*DATA, epochs=4, verbose=0,
              callbacks=[script, ModelCheckpoint(pattern, save_best_only=True)])
    assert sorted(os.listdir(tmp_path)) == ["w_01_0.5000.npz", "w_02_0.4000.npz",
                                            "w_04_0.3000.npz"]
    every = tmp_path / "every"
    every.mkdir()
    model.fit(*DATA, epochs=4, verbose=0, callbacks=[ScriptedValLoss(values),
                                                     ModelCheckpoint(str(every / "e{epoch}"))])
    assert sorted(os.listdir(every)) == ["e1", "e2", "e3", "e4"]    # exactly the names given


def test_model_checkpoint_best_only_keeps_the_best_weights(tmp_path):
    path = tmp_path / "best.npz"
    model, script = tiny_model(), ScriptedValLoss([0.6, 0.7, 0.65, 0.9])
    checkpoint = ModelCheckpoint(path, save_best_only=True, mode="max")   # best: epoch 3
    model.fit(*DATA, epochs=4, verbose=0, callbacks=[script, checkpoint])
    fresh = tiny_model()
    fresh.load_weights(path)
    for w, best in zip(fresh.weights, script.weights[3]):
        assert w.data.tobytes() == best.tobytes()
    assert checkpoint.best == 0.9
    assert ModelCheckpoint(path, monitor="val_accuracy").best == -np.inf     # auto → max
    assert ModelCheckpoint(path).best == np.inf                              # auto → min
    with pytest.raises(NotImplementedError):
        ModelCheckpoint(path, save_weights_only=False)



class CountEpochs(Callback):
    def __init__(self):
        super().__init__()
        self.begun = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.begun += 1


def test_model_checkpoint_makes_missing_nested_folders_before_training(tmp_path):
    folder = tmp_path / "runs" / "today"
    seen = {}

    class Probe(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.setdefault("folder existed at the first epoch", folder.is_dir())

    model = tiny_model()
    model.fit(*DATA, epochs=2, verbose=0, callbacks=[
        ModelCheckpoint(str(folder / "w_{epoch}.npz")), Probe()])
    assert seen == {"folder existed at the first epoch": True}
    assert sorted(os.listdir(folder)) == ["w_1.npz", "w_2.npz"]
    templated = tmp_path / "exp" / "epoch_{epoch}" / "w.npz"     # a folder per epoch
    model.fit(*DATA, epochs=2, verbose=0, callbacks=[ModelCheckpoint(str(templated))])
    assert sorted(os.listdir(tmp_path / "exp")) == ["epoch_1", "epoch_2"]
    assert os.listdir(tmp_path / "exp" / "epoch_2") == ["w.npz"]


def test_model_checkpoint_fails_before_the_first_epoch_when_its_folder_cannot_be_made(tmp_path):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    path = tmp_path / "notes.txt" / "ckpt" / "w.npz"
    counter = CountEpochs()
    with pytest.raises(OSError) as info:
        tiny_model().fit(*DATA, epochs=2, verbose=0, callbacks=[ModelCheckpoint(str(path)),
                                                                counter])
    assert counter.begun == 0
    assert "ModelCheckpoint" in str(info.value) and str(path.parent) in str(info.value)


def test_model_checkpoint_refuses_a_folder_as_filepath_before_training(tmp_path):
    counter = CountEpochs()
    with pytest.raises(ValueError, match="ModelCheckpoint: filepath .* is a folder"):
        tiny_model().fit(*DATA, epochs=2, verbose=0, callbacks=[ModelCheckpoint(str(tmp_path)),
                                                                counter])
    assert counter.begun == 0


# -- fit(validation_split=...) ---------------------------------------------------------------

class Steps(Callback):
    def on_train_begin(self, logs=None):
        self.steps = self.params["steps"]


def test_validation_split_holds_out_the_last_samples():
    x, y = DATA
    model, steps = tiny_model(), Steps()
    history = model.fit(x, y, batch_size=1, epochs=1, verbose=0, validation_split=0.25,
                        callbacks=[steps])
    assert steps.steps == 12                      # floor(16·0.75) samples train, one per batch
    val = model.evaluate(x[12:], y[12:], verbose=0)   # the last 4, not shuffled
    assert history.history["val_loss"] == [pytest.approx(val, rel=1e-6)]
    model, steps = tiny_model(), Steps()
    model.fit(x, y, batch_size=1, epochs=1, verbose=0, validation_split=0.3, callbacks=[steps])
    assert steps.steps == 11                      # floor(16·0.7) = 11


def test_validation_data_has_priority_over_validation_split():
    x, y = DATA
    model, steps = tiny_model(), Steps()
    history = model.fit(x, y, batch_size=1, epochs=1, verbose=0, validation_split=0.5,
                        validation_data=(x[:3], y[:3]), callbacks=[steps])
    assert steps.steps == 16
    assert history.history["val_loss"] == [pytest.approx(model.evaluate(x[:3], y[:3],
                                                                        verbose=0), rel=1e-6)]


@pytest.mark.parametrize("split", [-0.1, 1.0, 1.5, "0.2"])
def test_validation_split_out_of_range(split):
    with pytest.raises(ValueError, match=r"validation_split must be a number in \[0, 1\)"):
        tiny_model().fit(*DATA, verbose=0, validation_split=split)


def test_validation_split_too_few_samples():
    with pytest.raises(ValueError, match="too few to hold out"):
        tiny_model().fit(DATA[0][:1], DATA[1][:1], verbose=0, validation_split=0.5)
