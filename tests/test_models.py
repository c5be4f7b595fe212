"""Tests of tinydl.models.Sequential (and tinydl.callbacks): Keras code making the calls of
the article's section-4 listing runs with only the import prefix changed; summary,
gradients through a whole model, training, History and callbacks, evaluate/predict,
seeding, save/load, progress bars, the fused softmax loss, and every bad-input error."""
import io
import os
import pathlib
import re
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinydl import Tensor, gradcheck, losses, metrics, utils
from tinydl.callbacks import Callback, Progbar
from tinydl.datasets import mnist
from tinydl.layers import (Activation, AveragePooling2D, Conv2D, Dense, Dropout, Flatten,
                           MaxPooling2D)
from tinydl.models import Sequential
from tinydl.optimizers import SGD, Adam
from tinydl.utils import to_categorical

# -- Keras code runs with only the import prefix changed ------------------------------
# A Keras program of our own that makes every call of the article's section-4 listing in
# the same form: model.add(...) of the same layers with the same keyword arguments,
# Adam(lr=...), keras.metrics.accuracy, to_categorical(num_classes=...), fit with
# validation_data, and `loss, accuracy = model.evaluate(...)`.

KERAS_PROGRAM = """\
import numpy as np
from keras.datasets import mnist
from keras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from keras.losses import categorical_crossentropy
from keras.metrics import accuracy
from keras.models import Sequential
from keras.optimizers import Adam
from keras.utils import to_categorical

(train_images, train_labels), (test_images, test_labels) = mnist.load_data()
train_images = train_images.reshape(-1, 28, 28, 1) / 255.0
test_images = test_images.reshape(-1, 28, 28, 1) / 255.0
train_targets = to_categorical(train_labels, num_classes=10)
test_targets = to_categorical(test_labels, num_classes=10)

model = Sequential()
model.add(Conv2D(32, kernel_size=(3, 3), activation='relu', input_shape=(28, 28, 1)))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Conv2D(64, kernel_size=(3, 3), activation='relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Flatten())
model.add(Dense(128, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(10, activation='softmax'))
model.compile(optimizer=Adam(lr=0.001), loss=categorical_crossentropy, metrics=[accuracy])
model.fit(train_images, train_targets, batch_size=128, epochs=10,
          validation_data=(test_images, test_targets))
loss, accuracy = model.evaluate(test_images, test_targets)
"""

#: The only change: the import prefix.
TINYDL_PROGRAM = KERAS_PROGRAM.replace("from keras.", "from tinydl.")

#: What a test may vary, through variables only: the slices of the data and the epochs.
SLICES = ("(train_images, train_labels), (test_images, test_labels) = "
          "(train_images[:N_TRAIN], train_labels[:N_TRAIN]), "
          "(test_images[:N_TEST], test_labels[:N_TEST])\n")


def run_listing(n_train: int, n_test: int, epochs: int) -> dict:
    assert "keras" not in TINYDL_PROGRAM
    assert TINYDL_PROGRAM.count("from tinydl.") == KERAS_PROGRAM.count("from keras.") == 7
    code = TINYDL_PROGRAM.replace("mnist.load_data()\n", "mnist.load_data()\n" + SLICES, 1)
    code = code.replace("epochs=10", "epochs=EPOCHS", 1)
    assert code.count("EPOCHS") == 1 and code.count("N_TRAIN") == 2
    namespace = {"N_TRAIN": n_train, "N_TEST": n_test, "EPOCHS": epochs}
    exec(compile(code, "keras_program", "exec"), namespace)
    return namespace


def fake_mnist(n_train=256, n_test=64, seed=0):
    """uint8 images (N, 28, 28) and labels (N,), shaped like mnist.load_data()."""
    rng = np.random.default_rng(seed)
    make = lambda n: ((rng.random((n, 28, 28)) * 255).astype(np.uint8), rng.integers(0, 10, n))
    return make(n_train), make(n_test)


def test_keras_code_runs_with_only_the_import_prefix_changed(monkeypatch, capsys):
    monkeypatch.setattr(mnist, "load_data", fake_mnist)
    utils.set_random_seed(0)
    ns = run_listing(n_train=256, n_test=64, epochs=1)
    assert ns["model"].count_params() == 225_034
    assert isinstance(ns["loss"], float) and 0 <= ns["accuracy"] <= 1
    assert list(ns["model"].history.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/1" and len(out) == 3          # header, epoch line, evaluate line
    assert re.match(r"2/2 \[={30}\] - \d+s \d+m?s/step - loss: .* - val_accuracy: \d\.\d{4}$", out[1])


MNIST_DIR = pathlib.Path(os.environ.get("TINYDL_DATA", "/nonexistent")) / "mnist"


@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason="needs $TINYDL_DATA/mnist")
def test_keras_code_learns_real_mnist(capsys):
    # one epoch on 6,000 images (47 steps of Adam(lr=0.001)); 2,000 images are 16 steps,
    # not enough for 80%
    utils.set_random_seed(0)
    ns = run_listing(n_train=6000, n_test=1000, epochs=1)
    assert ns["accuracy"] > 0.8, capsys.readouterr().out


# -- summary -------------------------------------------------------------------------

def articles_network(**kwargs) -> Sequential:
    return Sequential([
        Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D(pool_size=(2, 2)),
        Conv2D(64, kernel_size=(3, 3), activation="relu"),
        MaxPooling2D(pool_size=(2, 2)),
        Flatten(),
        Dense(128, activation="relu"),
        Dropout(0.5),
        Dense(10, activation="softmax"),
    ], **kwargs)


def test_summary_of_the_articles_network(capsys):
    utils.clear_session()
    model = articles_network()
    model.summary()
    out = capsys.readouterr().out
    rows = [re.split(r"\s{2,}", line) for line in out.splitlines() if "(None" in line]
    assert rows == [
        ["conv2d (Conv2D)", "(None, 26, 26, 32)", "320"],
        ["max_pooling2d (MaxPooling2D)", "(None, 13, 13, 32)", "0"],
        ["conv2d_1 (Conv2D)", "(None, 11, 11, 64)", "18,496"],
        ["max_pooling2d_1 (MaxPooling2D)", "(None, 5, 5, 64)", "0"],
        ["flatten (Flatten)", "(None, 1600)", "0"],
        ["dense (Dense)", "(None, 128)", "204,928"],
        ["dropout (Dropout)", "(None, 128)", "0"],
        ["dense_1 (Dense)", "(None, 10)", "1,290"],
    ]
    assert out.startswith('Model: "sequential"\n')
    assert re.search(r"Layer \(type\)\s+Output Shape\s+Param #", out)
    assert "Total params: 225,034\nTrainable params: 225,034\nNon-trainable params: 0\n" in out
    assert model.count_params() == sum(w.size for w in model.weights) == 225_034
    model.layers[0].trainable = False
    lines = []
    model.summary(print_fn=lines.append)
    assert "Trainable params: 224,714" in lines and "Non-trainable params: 320" in lines


def test_a_model_without_input_shape_is_built_from_the_data():
    model = Sequential([Conv2D(3, 3), Flatten(), Dense(2)])
    assert not model.built and model.weights == []
    with pytest.raises(ValueError, match="not built yet"):
        model.summary()
    assert model.predict(np.zeros((4, 6, 6, 1))).shape == (4, 2)
    assert model.input_shape == (None, 6, 6, 1) and model.output_shape == (None, 2)
    assert [w.shape for w in model.weights] == [(3, 3, 1, 3), (3,), (48, 2), (2,)]
    model.build((None, 6, 6, 1))   # explicit build: idempotent


# -- gradients through a whole model (float64) -----------------------------------------

@settings(max_examples=6)
@given(st.sampled_from(["tanh", "sigmoid"]), st.sampled_from(["valid", "same"]),
       st.sampled_from([MaxPooling2D, AveragePooling2D]), st.integers(0, 1000))
def test_gradients_through_a_float64_model(activation, padding, pool, seed):
    model = Sequential([Conv2D(2, 3, padding=padding, activation=activation, input_shape=(5, 5, 1)),
                        pool(), Flatten(), Dense(3, activation="softmax")],
                       dtype="float64", seed=seed)
    x = np.random.default_rng(seed).standard_normal((2, 5, 5, 1))
    assert model(x).dtype == np.float64
    gradcheck(model, x)                                   # d output / d input
    conv, dense = model.layers[0], model.layers[3]

    def with_weights(kernel, bias, w, b):                 # d output / d every weight
        conv.kernel, conv.bias, dense.kernel, dense.bias = kernel, bias, w, b
        return model(x)
    gradcheck(with_weights, *[w.data.copy() for w in model.weights])


# -- fit, History, callbacks -----------------------------------------------------------------

def blobs(n=200, seed=0):
    """Two Gaussian blobs in 2-D, labels 0/1: a learnable toy problem."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    x = rng.standard_normal((n, 2)) * 0.5 + np.where(labels[:, None] == 1, 1.5, -1.5)
    return x, labels


def small_classifier(seed=0, **kwargs):
    return Sequential([Dense(8, activation="relu", input_shape=(2,)), Dropout(0.2),
                       Dense(2, activation="softmax")], seed=seed, **kwargs)


def test_fit_reduces_the_loss_and_records_history():
    x, labels = blobs()
    model = small_classifier()
    model.compile(Adam(learning_rate=0.05), "categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, to_categorical(labels, 2), batch_size=16, epochs=8, verbose=0,
                        validation_data=(x[:50], to_categorical(labels[:50], 2)))
    h = history.history
    assert list(h) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert all(len(v) == 8 and all(isinstance(e, float) for e in v) for v in h.values())
    assert history.epoch == list(range(8)) and model.history is history
    assert h["loss"][-1] < 0.5 * h["loss"][0]
    assert h["accuracy"][-1] > 0.9 and h["val_accuracy"][-1] > 0.9


def test_binary_classification_with_integer_labels_and_one_sigmoid_unit():
    x, labels = blobs()
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(2,))], seed=0)
    model.compile("adam", "binary_crossentropy", metrics=["acc"])
    model.optimizer.learning_rate = 0.1
    h = model.fit(x, labels, epochs=5, verbose=0).history     # (N,) int labels, (N, 1) output
    assert list(h) == ["loss", "acc"] and h["acc"][-1] > 0.9
    loss, acc = model.evaluate(x, labels, verbose=0)
    assert acc == metrics.binary_accuracy(labels, model.predict(x))


def test_initial_epoch_callbacks_and_stop_training():
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None): calls.append("train_begin")
        def on_epoch_begin(self, epoch, logs=None): calls.append(f"epoch_begin {epoch}")
        def on_batch_end(self, batch, logs=None): calls.append(f"batch {batch} {sorted(logs)}")
        def on_epoch_end(self, epoch, logs=None): calls.append(f"epoch_end {epoch} {sorted(logs)}")
        def on_train_end(self, logs=None): calls.append("train_end")

    x, labels = blobs(40)
    model = small_classifier()
    model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, to_categorical(labels), batch_size=20, epochs=3, initial_epoch=1,
                        verbose=0, callbacks=[Recorder()])
    assert calls == ["train_begin", "epoch_begin 1", "batch 0 ['accuracy', 'loss']",
                     "batch 1 ['accuracy', 'loss']", "epoch_end 1 ['accuracy', 'loss']",
                     "epoch_begin 2", "batch 0 ['accuracy', 'loss']",
                     "batch 1 ['accuracy', 'loss']", "epoch_end 2 ['accuracy', 'loss']", "train_end"]
    assert history.epoch == [1, 2] and len(history.history["loss"]) == 2

    class StopAfterFirstBatch(Callback):
        def on_batch_end(self, batch, logs=None):
            self.model.stop_training = True
    optimizer_steps = model.optimizer.iterations
    history = model.fit(x, to_categorical(labels), batch_size=20, epochs=5, verbose=0,
                        callbacks=[StopAfterFirstBatch()])
    assert history.epoch == [0] and model.optimizer.iterations == optimizer_steps + 1


def test_running_averages_are_weighted_by_batch_size():
    # batches of 3, 3 and 1 samples: the epoch loss is the mean over the 7 samples
    x = np.arange(7, dtype=np.float64)[:, None]
    model = Sequential([Dense(1, input_shape=(1,), kernel_initializer="zeros")])
    model.compile(SGD(learning_rate=1e-12), "mse")
    y = np.arange(7, dtype=np.float64)[:, None] + 1      # loss of sample i: (i + 1)^2
    h = model.fit(x, y, batch_size=3, epochs=1, shuffle=False, verbose=0).history
    assert h["loss"][0] == pytest.approx(np.mean((np.arange(7) + 1.0) ** 2), rel=1e-6)


# -- evaluate and predict --------------------------------------------------------------------

def test_evaluate_and_predict_shapes_and_types():
    x, labels = blobs(50)
    y = to_categorical(labels, 2)
    model = small_classifier()
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy", "mse"])
    result = model.evaluate(x, y, batch_size=7, verbose=0)
    assert isinstance(result, list) and len(result) == 3 and all(isinstance(v, float) for v in result)
    model.compile("adam", "categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)        # no metric: a bare float
    p = model.predict(x, batch_size=7)
    assert isinstance(p, np.ndarray) and p.shape == (50, 2) and p.dtype == np.float32
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(p, model.predict(x, batch_size=50))  # dropout off: deterministic
    np.testing.assert_array_equal(p, model(x).data)
    out = model(x, training=True)
    assert isinstance(out, Tensor) and not np.array_equal(out.data, p)   # dropout on
    assert model.predict(x[:0]).shape == (0, 2)


def test_float64_inputs_are_cast_per_batch_and_left_untouched():
    x, labels = blobs(30)
    x_before = x.copy()
    model = small_classifier()
    model.compile("sgd", "categorical_crossentropy")
    model.fit(x, to_categorical(labels), verbose=0)
    assert x.dtype == np.float64 and np.array_equal(x, x_before)
    assert all(w.dtype == np.float32 for w in model.weights)


# -- seeding -------------------------------------------------------------------------

def trained_weights(model):
    x, labels = blobs(64)
    model.compile("adam", "categorical_crossentropy")
    model.fit(x, to_categorical(labels), batch_size=8, epochs=2, verbose=0)
    return [w.data.copy() for w in model.weights]


def test_the_same_seed_reproduces_a_run_bit_for_bit():
    first, second = trained_weights(small_classifier(seed=3)), trained_weights(small_classifier(seed=3))
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    other = trained_weights(small_classifier(seed=4))
    assert not np.array_equal(first[0], other[0])
    runs = []
    for _ in range(2):
        utils.set_random_seed(7)
        runs.append(trained_weights(small_classifier(seed=None)))
    assert all(np.array_equal(a, b) for a, b in zip(*runs))


# -- save and load ----------------------------------------------------------------------------

def test_save_and_load_weights_round_trip(tmp_path):
    x = np.random.default_rng(0).random((5, 28, 28, 1))
    model = articles_network(seed=1)
    path = tmp_path / "weights.npz"
    model.save_weights(path)
    with np.load(path, allow_pickle=False) as data:
        assert data[f"0_{model.layers[0].name}/kernel"].shape == (3, 3, 1, 32)
        assert list(data["__classes__"])[:2] == ["Conv2D", "MaxPooling2D"]
    fresh = articles_network(seed=2)
    assert not np.array_equal(fresh.predict(x), model.predict(x))
    kernel = fresh.layers[0].kernel
    fresh.load_weights(path)
    assert fresh.layers[0].kernel is kernel                          # loaded in place
    np.testing.assert_array_equal(fresh.predict(x), model.predict(x))  # bit-identical
    model.save_weights(tmp_path / "no_suffix")                          # np.savez adds .npz
    fresh.load_weights(tmp_path / "no_suffix")


def test_loading_another_architecture_names_the_first_mismatch(tmp_path):
    path = tmp_path / "w.npz"
    articles_network().save_weights(path)
    other = Sequential([Conv2D(32, 3, input_shape=(28, 28, 1)), MaxPooling2D(),
                        Conv2D(16, 3), MaxPooling2D(), Flatten(), Dense(10)])
    name = other.layers[2].name
    with pytest.raises(ValueError, match=rf"layer 2 \({name}\), Conv2D: kernel has shape "
                                         rf"\(3, 3, 32, 16\) in the model but \(3, 3, 32, 64\)"):
        other.load_weights(path)
    other = Sequential([Conv2D(32, 3, input_shape=(28, 28, 1)), AveragePooling2D()])
    with pytest.raises(ValueError, match=r"layer 1 \(.*\): the model has a layer of class "
                                         r"AveragePooling2D there but the file has one of class MaxPooling2D"):
        other.load_weights(path)
    other = Sequential([Conv2D(32, 3, input_shape=(28, 28, 1)), MaxPooling2D()])
    with pytest.raises(ValueError, match=r"the file .* has 8 layers but the model has 2; layer 2 "
                                         r"\(Conv2D\) is not in the model"):
        other.load_weights(path)
    with pytest.raises(ValueError, match="build the model first"):
        Sequential([Dense(2)]).load_weights(path)


# -- progress bars --------------------------------------------------------------------------

def compiled_blobs_model():
    model = small_classifier()
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    x, labels = blobs(40)
    return model, x, to_categorical(labels)


def test_progress_bar_verbose_1_not_a_tty_prints_one_final_line_per_epoch(capsys):
    model, x, y = compiled_blobs_model()
    model.fit(x, y, batch_size=10, epochs=2, validation_data=(x, y))
    lines = capsys.readouterr().out.split("\n")
    assert len(lines) == 5 and lines[4] == "" and lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    for line in lines[1], lines[3]:
        assert re.fullmatch(r"4/4 \[={30}\] - \d+s \d+(s|ms|us)/step - loss: \d\.\d{4} - accuracy: "
                            r"\d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}", line), line
    model.evaluate(x, y, batch_size=40)
    assert re.fullmatch(r"1/1 \[={30}\] - \d+s \d+\w+/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}\n",
                        capsys.readouterr().out)


def test_progress_bar_verbose_2_and_0(capsys):
    model, x, y = compiled_blobs_model()
    model.fit(x, y, batch_size=10, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"Epoch 1/2 - 4/4 - \d+s - \d+\w+/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}",
                        lines[0])
    model.fit(x, y, verbose=0)
    model.evaluate(x, y, verbose=0)
    assert capsys.readouterr().out == ""


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal_redraws_in_place(monkeypatch):
    bar = Progbar(10, verbose=1, interval=0, stream=FakeTerminal())
    bar.update(3, {"loss": 0.5})
    bar.update(10, {"loss": 0.25}, finalize=True)
    text = bar.stream.getvalue()
    assert text.startswith("\r 3/10 [" + "=" * 9 + ">" + "." * 20 + "] - ETA: 0s - loss: 0.5000\r10/10 [")
    assert text.endswith("/step - loss: 0.2500\n") and text.count("\n") == 1
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    model, x, y = compiled_blobs_model()
    model.fit(x, y, batch_size=10, epochs=1)
    assert "\r4/4 [" + "=" * 30 + "]" in terminal.getvalue()


def test_tiny_values_use_scientific_notation():
    bar = Progbar(1, verbose=2, stream=io.StringIO())
    bar.update(1, {"loss": 1.5e-5}, finalize=True)
    assert bar.stream.getvalue().endswith("loss: 1.5000e-05\n")


# -- the fused loss ------------------------------------------------------------------------

@pytest.mark.parametrize("activation, loss, units", [
    ("softmax", "categorical_crossentropy", 4),
    ("sigmoid", "binary_crossentropy", 1),
    ("sigmoid", "binary_crossentropy", 3),
])
def test_loss_from_logits_equals_the_loss_on_probabilities(activation, loss, units):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 5))
    y = (to_categorical(rng.integers(0, units, 64), units) if activation == "softmax"
         else rng.integers(0, 2, (64, units)).astype(np.float32))

    def make():
        model = Sequential([Dense(6, activation="tanh", input_shape=(5,)),
                            Dense(units, activation=activation)], seed=1)
        return model
    fused, plain = make(), make()
    fused.compile(SGD(learning_rate=0.5), loss)
    loss_fn = losses.get(loss)
    plain.compile(SGD(learning_rate=0.5), lambda t, p: loss_fn(t, p))   # not recognised: probabilities
    assert fused._from_logits() and not plain._from_logits()
    by_hand = loss_fn(y, fused.predict(x)).item()
    assert abs(fused.evaluate(x, y, batch_size=64, verbose=0) - by_hand) < 1e-5
    assert abs(plain.evaluate(x, y, batch_size=64, verbose=0) - by_hand) < 1e-5
    fused.fit(x, y, batch_size=64, verbose=0)
    plain.fit(x, y, batch_size=64, verbose=0)        # one step each: the same update
    for a, b in zip(fused.weights, plain.weights):
        np.testing.assert_allclose(a.data, b.data, atol=1e-5)


def test_an_activation_layer_after_dense_is_fused_too():
    model = Sequential([Dense(3, input_shape=(2,)), Activation("softmax")])
    model.compile("sgd", losses.categorical_crossentropy)
    assert model._from_logits()
    model.compile("sgd", "mse")
    assert not model._from_logits()


# -- errors ---------------------------------------------------------------------------------

def mnist_like_model():
    model = Sequential([Conv2D(2, 3, activation="relu", input_shape=(8, 8, 1)), Flatten(),
                        Dense(10, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    return model


X8 = np.zeros((6, 8, 8, 1))
Y10 = to_categorical(np.arange(6), 10)


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m.fit(X8[..., 0], Y10), ValueError,
     r"x has shape \(6, 8, 8\) but the model expects \(N, 8, 8, 1\)\. Add the channel axis: x\[\.\.\., None\]"),
    (lambda m: m.fit(X8.reshape(6, 64), Y10), ValueError, r"Reshape it: x.reshape\(-1, 8, 8, 1\)"),
    (lambda m: m.predict(X8[0]), ValueError, r"A single sample needs a batch axis: x\[None\]"),
    (lambda m: m.fit(X8, np.arange(6)), ValueError,
     r"y has shape \(6,\) but the model outputs \(None, 10\): expected y of shape \(N, 10\)\. y looks "
     r"like integer class labels: one-hot encode them with tinydl.utils.to_categorical\(y, num_classes=10\)"),
    (lambda m: m.fit(X8, Y10[:, :5]), ValueError, r"y has shape \(6, 5\) .* expected y of shape \(N, 10\)\.$"),
    (lambda m: m.fit(X8, Y10[:4]), ValueError, r"x has 6 samples but y has 4"),
    (lambda m: m.evaluate(X8[:5], Y10), ValueError, r"x has 5 samples but y has 6"),
    (lambda m: m.fit((X8 * 255).astype(np.uint8), Y10), TypeError,
     r"x has dtype uint8; expected floats \(raw pixels 0..255\? Scale them to floats first: x = x / 255.0\)"),
    (lambda m: m.fit(X8.astype(int), Y10), TypeError, r"x = x.astype\('float32'\)"),
    (lambda m: m.fit(X8, Y10.astype(str)), TypeError, r"y has dtype <U\d+; expected numbers"),
    (lambda m: m.fit(X8, Y10, validation_data=(X8, Y10[:, :3])), ValueError,
     r"fit \(validation_data\): y has shape \(6, 3\)"),
    (lambda m: m.fit(X8, Y10, batch_size=0), ValueError, r"batch_size must be an int >= 1, got 0"),
    (lambda m: m.add("dense"), TypeError, r"expected a Layer \(e.g. Dense\(10\)\), got str"),
])
def test_bad_input_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(mnist_like_model())


def test_fit_or_evaluate_before_compile():
    model = Sequential([Dense(1, input_shape=(2,))])
    for method in model.fit, model.evaluate:
        with pytest.raises(RuntimeError, match=rf"sequential.*\.{method.__name__}: the model must "
                                               rf"be compiled first: model.compile\(optimizer="):
            method(np.zeros((2, 2)), np.zeros((2, 1)))


@pytest.mark.parametrize("kwargs, message", [
    ({"optimizer": "lion", "loss": "mse"}, r"unknown optimizer 'lion'; expected one of 'sgd', 'adam'"),
    ({"optimizer": "adam", "loss": "crossentropy"}, r"unknown loss 'crossentropy'; expected one of"),
    ({"optimizer": "adam", "loss": "mse", "metrics": ["accurcy"]}, r"unknown metric 'accurcy'"),
])
def test_unknown_names(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Sequential([Dense(1)]).compile(**kwargs)


def test_string_names_resolve():
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(2,))])
    model.compile("sgd", "mean_squared_error", metrics=["accuracy"])
    assert isinstance(model.optimizer, SGD) and model.loss is losses.mse
    model.compile(Adam(lr=0.01), "binary_crossentropy", metrics=["accuracy", metrics.accuracy])
    assert model.optimizer.learning_rate == 0.01
    assert model.metrics == {"accuracy": metrics.binary_accuracy}   # both under one name


def test_nan_in_a_batch_stops_training_naming_epoch_and_batch():
    x, labels = blobs(100)
    x[70, 0] = np.nan                                        # in batch 3 of 4 (batch_size 32)
    model = small_classifier()
    model.compile("sgd", "categorical_crossentropy")
    with pytest.raises(FloatingPointError, match=r"output became NaN or inf at epoch 1/2, batch 3/4, "
                                                 r"so the loss is NaN; training stopped \(the "
                                                 r"batch's x contains NaN or inf\)"):
        model.fit(x, to_categorical(labels), epochs=2, shuffle=False, verbose=0)
    y = to_categorical(blobs(100)[1])
    y[5] = np.nan
    with pytest.raises(ValueError, match=r"y_true contains NaN .*\(at epoch 1/1, batch 1/4\)"):
        model.fit(blobs(100)[0], y, shuffle=False, verbose=0)


def test_a_diverging_loss_stops_training_naming_epoch_and_batch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)) * 100
    model = Sequential([Dense(1, input_shape=(3,))], seed=0)
    model.compile(SGD(learning_rate=1e6), "mse")
    with np.errstate(all="ignore"), pytest.raises(
            FloatingPointError, match=r"became (NaN or inf|inf|nan) at epoch \d+/50, batch \d+/4.*"
                                      r"(smaller learning rate)"):
        model.fit(x, x.sum(axis=1, keepdims=True), batch_size=16, epochs=50, verbose=0)


def test_empty_model_and_empty_data():
    with pytest.raises(ValueError, match="has no layers yet; add them first"):
        Sequential().predict(np.zeros((2, 3)))
    model = Sequential([Dense(2, input_shape=3)])          # an int input_shape is (3,)
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"x is empty \(shape \(0, 3\)\)"):
        model.fit(np.zeros((0, 3)), np.zeros((0, 2)))
