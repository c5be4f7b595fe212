"""The functional API: Input, Model, graphs with several inputs and outputs, shared layers,
skip connections, feature extractors, and the errors a bad graph gets at build time."""
import numpy as np
import pytest

import tinydl
from tinydl import Input, Model, Sequential, gradcheck
from tinydl.layers import (Add, Concatenate, Conv2D, Dense, Dropout, Flatten, InputLayer,
                           MaxPooling2D, add, concatenate)
from tinydl.utils import to_categorical


def two_input_model(seed=0):
    tinydl.utils.set_random_seed(seed)
    a = Input((4,), name="a")
    b = Input((3,), name="b")
    h = concatenate([Dense(5, activation="relu")(a), Dense(5, activation="tanh")(b)])
    out = Dense(2, activation="softmax", name="out")(h)
    return Model([a, b], out)


def test_two_input_model_trains_saves_and_loads(tmp_path):
    rng = np.random.default_rng(0)
    xa, xb = rng.standard_normal((40, 4)), rng.standard_normal((40, 3))
    y = to_categorical((xa[:, 0] + xb[:, 0] > 0).astype(int), 2)
    model = two_input_model()
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    before = model.evaluate([xa, xb], y, verbose=0)[0]
    history = model.fit([xa, xb], y, batch_size=8, epochs=5, verbose=0)
    assert history.history["loss"][-1] < before
    by_name = model.predict({"a": xa, "b": xb})
    np.testing.assert_array_equal(by_name, model.predict([xa, xb]))
    path = tmp_path / "two.weights.npz"
    model.save_weights(path)
    fresh = two_input_model(seed=1)
    assert not np.allclose(fresh.predict([xa, xb]), by_name)
    fresh.load_weights(path)
    np.testing.assert_array_equal(fresh.predict([xa, xb]), by_name)


def test_model_layers_inputs_outputs_and_get_layer():
    model = two_input_model()
    assert [type(layer).__name__ for layer in model.layers][:2] == ["InputLayer", "InputLayer"]
    assert model.input_names == ["a", "b"] and model.output_names == ["out"]
    assert model.input_shape == [(None, 4), (None, 3)] and model.output_shape == (None, 2)
    assert model.get_layer("out") is model.layers[-1]
    assert model.get_layer(index=0).name == "a"
    with pytest.raises(ValueError, match=r"no layer named 'nope'; the layers are \['a', 'b'"):
        model.get_layer("nope")


def test_a_shared_layer_has_one_set_of_weights_and_both_gradients():
    shared = Dense(3, name="shared")
    a, b = Input((2,), dtype="float64"), Input((2,), dtype="float64")
    model = Model([a, b], add([shared(a), shared(b)]))
    assert len(model.weights) == 2 and model.count_params() == 9
    xa, xb = np.random.default_rng(1).standard_normal((2, 5, 2))
    expected = xa @ shared.kernel.data + xb @ shared.kernel.data + 2 * shared.bias.data
    np.testing.assert_allclose(model.predict([xa, xb]), expected, rtol=1e-12)
    out = model([tinydl.Tensor(xa), tinydl.Tensor(xb)])
    out.sum().backward()
    np.testing.assert_allclose(shared.kernel.grad, (xa + xb).sum(0)[:, None] * np.ones(3),
                               rtol=1e-12)               # d/dW of Σ (xa W + xb W)
    np.testing.assert_allclose(shared.bias.grad, np.full(3, 2 * 5.0))


def small_unet(dtype="float32", seed=0):
    """Two poolings down, two upsamplings up, two skip connections."""
    tinydl.utils.set_random_seed(seed)
    inputs = Input((8, 8, 1), dtype=dtype)
    c1 = Conv2D(2, 3, padding="same", activation="tanh")(inputs)
    c2 = Conv2D(3, 3, padding="same", activation="tanh")(MaxPooling2D()(c1))
    bottom = Conv2D(3, 3, padding="same", activation="tanh")(MaxPooling2D()(c2))
    u2 = Concatenate()([tinydl.layers.UpSampling2D()(bottom), c2])
    u2 = Conv2D(3, 3, padding="same", activation="tanh")(u2)
    u1 = Concatenate()([tinydl.layers.UpSampling2D(interpolation="bilinear")(u2), c1])
    outputs = Conv2D(4, 1, activation="softmax")(u1)
    return Model(inputs, outputs, name="unet")


def test_a_small_unet_with_two_skips_trains_and_round_trips(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.random((16, 8, 8, 1)).astype(np.float32)
    y = to_categorical((x[..., 0] * 4).astype(int).clip(0, 3), 4)     # per-pixel classes
    model = small_unet()
    assert model.output_shape == (None, 8, 8, 4)
    model.compile("adam", "categorical_crossentropy")
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, batch_size=4, epochs=8, verbose=0)
    assert model.evaluate(x, y, verbose=0) < first
    model.save_weights(tmp_path / "unet.npz")
    fresh = small_unet(seed=5)
    fresh.load_weights(tmp_path / "unet.npz")
    np.testing.assert_array_equal(fresh.predict(x), model.predict(x))


def test_the_gradient_flows_through_both_paths_of_the_skip_connections():
    model = small_unet(dtype="float64")
    x = np.random.default_rng(3).random((2, 8, 8, 1))
    gradcheck(lambda t: model(t), x, atol=1e-6, rtol=1e-5)


def test_a_feature_extractor_shares_weights_with_its_parent():
    model = Sequential([Input((6, 6, 1)), Conv2D(2, 3, activation="relu", name="conv"),
                        Flatten(), Dense(3, activation="softmax")], seed=0)
    features = Model(model.inputs, model.get_layer("conv").output)
    x = np.random.default_rng(4).random((5, 6, 6, 1))
    before = features.predict(x)
    assert before.shape == (5, 4, 4, 2)
    model.get_layer("conv").kernel.data[...] *= 2          # change the parent...
    model.get_layer("conv").bias.data[...] = 0.0
    after = features.predict(x)
    assert not np.allclose(after, before)                  # ...and the extractor sees it
    both = Model(model.inputs, [model.get_layer("conv").output, model.output])
    maps, probabilities = both.predict(x)                  # Keras' Grad-CAM recipe
    np.testing.assert_array_equal(maps, after)
    np.testing.assert_array_equal(probabilities, model.predict(x))
    features.layers[1].kernel.data[...] = 0.0              # change the extractor...
    np.testing.assert_array_equal(model.get_layer("conv").kernel.data, 0.0)   # ...the parent too


def test_sequential_takes_an_input_first_and_lists_no_input_layer():
    model = tinydl.Sequential([tinydl.Input(shape=(3,)), Dense(4), Dense(1)])
    assert model.built and model.input_shape == (None, 3) and model.output_shape == (None, 1)
    assert [type(layer) for layer in model.layers] == [Dense, Dense]
    assert not any(isinstance(layer, InputLayer) for layer in model.layers)
    with pytest.raises(ValueError, match="an Input can only come first"):
        model.add(Input((3,)))


def test_a_sequential_model_nested_in_a_functional_one():
    encoder = Sequential([Dense(4, activation="relu"), Dense(2)], name="encoder")
    inputs = Input((3,))
    outputs = Dense(1, activation="sigmoid")(encoder(inputs))
    model = Model(inputs, outputs)
    x = np.random.default_rng(5).standard_normal((10, 3))
    expected = encoder.predict(x) @ model.layers[-1].kernel.data + model.layers[-1].bias.data
    np.testing.assert_allclose(model.predict(x), 1 / (1 + np.exp(-expected)), rtol=1e-5)
    assert model.count_params() == encoder.count_params() + 3
    model.compile("sgd", "binary_crossentropy")
    assert model._from_logits()                           # fused through the nesting
    model.fit(x, (x[:, 0] > 0).astype(float), epochs=1, verbose=0)


def test_two_outputs_with_a_loss_each_and_loss_weights():
    inputs = Input((3,))
    h = Dense(4, activation="relu")(inputs)
    cls = Dense(2, activation="softmax", name="cls")(h)
    reg = Dense(1, name="reg")(h)
    model = Model(inputs, {"cls": cls, "reg": reg})
    model.compile("adam", loss={"cls": "categorical_crossentropy", "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"]})
    rng = np.random.default_rng(6)
    x = rng.standard_normal((12, 3))
    y = {"cls": to_categorical(rng.integers(0, 2, 12), 2), "reg": rng.standard_normal((12, 1))}
    values = model.evaluate(x, y, batch_size=12, verbose=0, return_dict=True)
    assert values["loss"] == pytest.approx(values["cls_loss"] + 0.5 * values["reg_loss"],
                                           rel=1e-5)
    assert set(values) == {"loss", "cls_loss", "reg_loss", "cls_accuracy"}
    out = model(x.astype(np.float32))
    assert set(out) == {"cls", "reg"}
    predictions = model.predict(x)
    assert [p.shape for p in predictions] == [(12, 2), (12, 1)]
    model.fit(x, y, epochs=2, verbose=0)


def test_get_and_set_weights_round_trip_with_checks():
    model = two_input_model()
    values = model.get_weights()
    assert len(values) == len(model.weights)
    model.set_weights([np.zeros_like(v) for v in values])
    assert all(not w.data.any() for w in model.weights)
    model.set_weights(values)
    for w, v in zip(model.weights, values):
        np.testing.assert_array_equal(w.data, v)
    wrong = list(values)
    wrong[-2] = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"array 4 has shape \(3, 3\) but it is a weight of "
                                         r"layer 'out' of shape \(10, 2\)"):
        model.set_weights(wrong)
    np.testing.assert_array_equal(model.weights[0].data, values[0])     # nothing changed
    with pytest.raises(ValueError, match="expected 6 arrays"):
        model.set_weights(values[:2])


# -- errors at build time ---------------------------------------------------------------------

def test_a_layer_called_on_an_incompatible_shape_names_the_layer_and_both_shapes():
    inputs = Input((10,), name="features")
    with pytest.raises(ValueError, match=r"conv \(Conv2D\) cannot be called on features: "
                                         r"\(None, 10\).*expected inputs of shape \(batch, "
                                         r"height, width, channels\)"):
        Conv2D(2, 3, name="conv")(inputs)
    dense = Dense(3, name="d")
    dense(Input((4,)))
    with pytest.raises(ValueError, match=r"d \(Dense\).*built for inputs of shape \(None, 4\) "
                                         r"and is now called on shape \(None, 5\)"):
        dense(Input((5,)))
    with pytest.raises(ValueError, match=r"Concatenate.*needs the other axes equal; got "
                                         r"\(None, 4, 4, 1\), \(None, 3, 3, 1\)"):
        Concatenate()([Input((4, 4, 1)), Input((3, 3, 1))])
    with pytest.raises(ValueError, match=r"Add.*the same shape"):
        Add()([Input((4,)), Input((3,))])


def test_outputs_not_reachable_from_the_inputs_and_unused_inputs():
    a, b = Input((2,), name="a"), Input((2,), name="b")
    out = Dense(1)(b)
    with pytest.raises(ValueError, match=r"depend on the input 'b', which is not among the "
                                         r"model's inputs \(\['a'\]\)"):
        Model(a, out)
    with pytest.raises(ValueError, match=r"the input\(s\) \['a'\] are not used by any output"):
        Model([a, b], out)
    with pytest.raises(TypeError, match="must be symbolic tensors"):
        Model(a, np.zeros(3))
    with pytest.raises(TypeError, match="give both the symbolic inputs.*Or subclass Model"):
        Model()


def test_two_layers_with_one_name():
    a = Input((2,))
    with pytest.raises(ValueError, match="two layers are named 'same'"):
        Model(a, Dense(1, name="same")(Dense(2, name="same")(a)))


def test_a_model_called_on_an_array_of_the_wrong_shape():
    model = two_input_model()
    with pytest.raises(ValueError, match=r"x\[1\] \(input 'b'\) has shape \(3, 4\) but the "
                                         r"model expects \(N, 3\)"):
        model.predict([np.zeros((3, 4)), np.zeros((3, 4))])
    with pytest.raises(ValueError, match=r"has 2 inputs \['a', 'b'\], so x must be a list of 2"):
        model.predict(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"x is a dict with keys \['a'\]; expected the model's "
                                         r"inputs \['a', 'b'\]"):
        model.predict({"a": np.zeros((3, 4))})


def test_symbolic_tensors_have_no_values():
    with pytest.raises(TypeError, match="has no values"):
        np.asarray(Input((3,)))


def test_summary_shows_what_each_layer_is_connected_to():
    lines = []
    two_input_model().summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in text
    concat = next(line for line in lines if "(Concatenate)" in line)
    assert "dense" in concat and "[0][0]" in concat and concat.count("[0][0]") == 2
    lines.clear()
    Sequential([Input((3,)), Dense(2)]).summary(print_fn=lines.append)
    assert not any("Connected to" in line for line in lines)


# -- the Keras surface ----------------------------------------------------------------------------

def test_backend_is_channels_last():
    assert tinydl.backend.image_data_format() == "channels_last"
    assert tinydl.backend.floatx() == "float32" and tinydl.backend.epsilon() == 1e-7
    tinydl.backend.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="channels-last only"):
        tinydl.backend.set_image_data_format("channels_first")
    with pytest.raises(ValueError, match="channels-last only"):
        Conv2D(2, 3, data_format="channels_first")


def test_dropout_in_a_graph_acts_only_in_training():
    inputs = Input((50,))
    model = Model(inputs, Dropout(0.5)(inputs))
    x = np.ones((4, 50), np.float32)
    np.testing.assert_array_equal(model(x).data, x)
    assert (model(x, training=True).data == 0).any()
