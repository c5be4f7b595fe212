"""Wrong input at the public entry points gets a clear error, before any work.

Hypothesis throws wrong shapes, dtypes, ranks, empty arrays, NaN and inf at layers, ops,
losses, compile, fit, evaluate, predict and the weights files. Each call must either work
or raise ValueError/TypeError (FileNotFoundError for a missing file) whose message names
the entry point: never an IndexError, AttributeError, a bare NumPy broadcasting error,
a hang, or a silently wrong result."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import tinydl.functional as F
from tinydl import Input, Sequential, losses
from tinydl.layers import Conv2D, Dense, Flatten, MaxPooling2D

DTYPES = ["float32", "float64", "int64", "uint8", "bool", "complex128"]
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, 1e30]


@st.composite
def arrays(draw, max_rank=5):
    """Any rank 0..max_rank, sizes 0..4, any of DTYPES, sometimes NaN/inf inside."""
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=max_rank)))
    dtype = draw(st.sampled_from(DTYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    a = rng.standard_normal(shape) * 3
    if a.size and draw(st.booleans()):
        a.flat[draw(st.integers(0, a.size - 1))] = draw(st.sampled_from(SPECIAL))
    if dtype == "bool":
        return a > 0
    if dtype in ("int64", "uint8"):
        return np.nan_to_num(a, posinf=0, neginf=0).astype(dtype)
    return a.astype(dtype)


def clear_error(call, *names):
    """Run `call`; it may work, or raise a ValueError/TypeError naming one of `names`."""
    try:
        call()
    except (ValueError, TypeError, FloatingPointError) as exc:
        message = str(exc)
        assert any(name in message for name in names), \
            f"{type(exc).__name__} does not name {names}: {message}"
        return exc
    return None


FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@FAST
@given(x=arrays())
def test_layers_and_ops(x):
    clear_error(lambda: Dense(3)(x), "Dense", "dense")
    clear_error(lambda: Conv2D(2, 3)(x), "Conv2D", "conv2d")
    clear_error(lambda: MaxPooling2D()(x), "MaxPooling2D", "max_pooling2d")
    clear_error(lambda: F.max_pool2d(x), "max_pool2d")
    clear_error(lambda: F.conv2d(x, np.ones((3, 3, 1, 2))), "conv2d")


@FAST
@given(y_true=arrays(max_rank=3), y_pred=arrays(max_rank=3))
def test_losses(y_true, y_pred):
    for loss in (losses.mse, losses.binary_crossentropy, losses.categorical_crossentropy,
                 losses.sparse_categorical_crossentropy, losses.dice):
        result = clear_error(lambda: loss(y_true, y_pred), loss.__name__)
        if result is None:                        # it worked: the value is a real number
            value = loss(y_true, y_pred).item()
            assert not np.isnan(value) or np.isnan(y_pred.astype(float)).any() or \
                np.isnan(y_true.astype(float)).any(), f"{loss.__name__} gave NaN silently"


def model():
    net = Sequential([Input((4, 4, 1)), Conv2D(2, 3, activation="relu"), Flatten(),
                      Dense(3, activation="softmax")], seed=0)
    net.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    return net


NET = model()


@FAST
@given(x=arrays(), y=arrays(max_rank=3), batch_size=st.sampled_from([1, 2, 0, -1, 2.5, "8"]))
def test_fit_evaluate_predict(x, y, batch_size):
    clear_error(lambda: NET.fit(x, y, batch_size=batch_size, epochs=1, verbose=0), "fit")
    clear_error(lambda: NET.evaluate(x, y, batch_size=batch_size, verbose=0), "evaluate")
    clear_error(lambda: NET.predict(x, batch_size=batch_size), "predict")


@FAST
@given(optimizer=st.sampled_from(["adam", "sgd", "adamw", "nope", 3, None, ["adam"]]),
       loss=st.sampled_from(["mse", "categorical_crossentropy", "nope", 3, None]),
       metrics=st.sampled_from([None, "accuracy", ["accuracy"], ["nope"], "a", 3, [None]]))
def test_compile(optimizer, loss, metrics):
    net = Sequential([Dense(2, input_shape=(3,))])
    clear_error(lambda: net.compile(optimizer, loss, metrics=metrics),
                "compile", "optimizer", "loss", "metric")


def test_metrics_as_one_string_is_a_list_of_one():
    net = Sequential([Dense(2, activation="softmax", input_shape=(3,))])
    net.compile("adam", "categorical_crossentropy", metrics="accuracy")
    assert list(net.metrics) == ["accuracy"]


def test_a_softmax_over_one_unit_is_refused_before_training():
    net = Sequential([Dense(1, activation="softmax", input_shape=(3,))])
    net.compile("adam", "binary_crossentropy")
    with pytest.raises(ValueError, match=r"fit: .*is a softmax over 1 unit, which always outputs 1.*"
                                         r"sigmoid"):
        net.fit(np.zeros((4, 3)), np.zeros((4, 1)), verbose=0)
    net = Sequential([Dense(1, input_shape=(3,))])
    net.compile("adam", "categorical_crossentropy")
    with pytest.raises(ValueError, match=r"evaluate: .*categorical_crossentropy over 1 unit"):
        net.evaluate(np.zeros((4, 3)), np.zeros((4, 1)), verbose=0)


def test_nan_in_validation_data_is_refused_before_training():
    x = np.zeros((4, 4, 4, 1))
    y = np.eye(3)[[0, 1, 2, 0]]
    bad = x.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"fit \(validation_data\): x_val contains NaN"):
        model().fit(x, y, validation_data=(bad, y), verbose=0)


@settings(max_examples=30, deadline=None)
@given(content=st.sampled_from([b"", b"PK\x03\x04", b"\x89HDF\r\n\x1a\n" + bytes(20),
                                b"\x80\x04K\x01.", b"garbage"]),
       cut=st.integers(1, 400))
def test_load_weights_of_bad_files(tmp_path_factory, content, cut):
    folder = tmp_path_factory.mktemp("w")
    net = model()
    good = folder / "good.npz"
    net.save_weights(good)
    truncated = folder / "cut.npz"
    truncated.write_bytes(good.read_bytes()[:cut])
    other = folder / "other.npz"
    other.write_bytes(content)
    before = net.get_weights()
    for path in (truncated, other):
        clear_error(lambda: net.load_weights(path), "load_weights")
        for w, saved in zip(net.weights, before):
            np.testing.assert_array_equal(w.data, saved)      # nothing changed
    foreign = folder / "foreign.npz"
    np.savez(foreign, kernel=np.zeros(3))
    with pytest.raises(ValueError, match=r"load_weights: cannot load .* not tinydl weights"):
        net.load_weights(foreign)
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        net.load_weights(folder / "missing.npz")
