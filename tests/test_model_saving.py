"""Whole-model saving (tinydl/saving.py): model.save("m.keras"), load_model, get_config /
from_config, clone_model, and the errors of a bad file."""
import json
import os
import zipfile

import numpy as np
import pytest

import tinydl as keras
import tinydl.io as tio
from tinydl.io import load_npz, save_npz
from tinydl.layers import (BatchNormalization, Concatenate, Conv2D, Dense, Dropout,
                           MaxPooling2D, UpSampling2D)
from test_io import InterruptedFile

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 6)).astype("float32")
Y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)       # 3 classes


def sequential():
    model = keras.Sequential([keras.Input((6,)), Dense(16, activation="relu"),
                              BatchNormalization(), Dropout(0.3),
                              Dense(3, activation="softmax")], seed=1)
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy", ["accuracy"])
    return model, X, Y, True            # shuffled: the saved generator state must carry on


def unet():
    inputs = keras.Input((8, 8, 1))
    c1 = Conv2D(4, 3, padding="same", activation="relu")(inputs)
    c2 = Conv2D(8, 3, padding="same", activation="relu")(MaxPooling2D(2)(c1))
    merged = Concatenate()([UpSampling2D(2)(c2), c1])                  # the skip
    outputs = Conv2D(2, 1, activation="softmax")(merged)
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), "sparse_categorical_crossentropy")
    x = RNG.normal(size=(8, 8, 8, 1)).astype("float32")
    return model, x, (x[..., 0] > 0).astype(int), False


@keras.saving.register_keras_serializable()
class TwoLayers(keras.Model):
    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden, self.out = Dense(units, activation="relu"), Dense(3, activation="softmax")

    def call(self, x, training=False):
        return self.out(self.hidden(x))

    def get_config(self):
        return {"units": self.units, "name": self.name}


def subclassed():
    model = TwoLayers(units=5)
    model.compile("rmsprop", "sparse_categorical_crossentropy")
    return model, X, Y, False


def equal_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(u, v) for u, v in zip(wa, wb))


@pytest.mark.parametrize("make", [sequential, unet, subclassed],
                         ids=["sequential_bn_dropout", "unet", "subclassed"])
def test_round_trip_predicts_the_same_and_resumes_training_bit_for_bit(tmp_path, make):
    model, x, y, shuffle = make()
    model.fit(x, y, epochs=1, batch_size=4, shuffle=shuffle, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is type(model)
    assert np.array_equal(loaded.predict(x), model.predict(x))
    assert equal_weights(loaded, model)
    assert loaded.optimizer.iterations == model.optimizer.iterations > 0
    model.fit(x, y, epochs=1, batch_size=4, shuffle=shuffle, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=4, shuffle=shuffle, verbose=0)
    assert equal_weights(loaded, model)
    fresh = make()[0]                     # the test can fail: another run differs
    fresh.fit(x, y, epochs=1, batch_size=4, shuffle=shuffle, verbose=0)
    assert not equal_weights(fresh, model)


def test_compile_false_loads_weights_only_and_keras_saving_is_the_same(tmp_path):
    model, x, y, _ = sequential()
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", compile=False)
    assert loaded.optimizer is None and equal_weights(loaded, model)


@pytest.mark.parametrize("make", [sequential, unet], ids=["sequential", "unet"])
def test_get_config_is_json_and_from_config_rebuilds_the_architecture(make):
    model = make()[0]
    config = json.loads(json.dumps(model.get_config()))
    again = type(model).from_config(config)
    assert again.get_config() == model.get_config()
    assert [type(layer) for layer in again.layers] == [type(layer) for layer in model.layers]


@pytest.mark.parametrize("make", [sequential, unet, subclassed],
                         ids=["sequential", "unet", "subclassed"])
def test_clone_model_has_the_same_architecture_and_new_weights(make):
    model, x, _, _ = make()
    model.build((None, *x.shape[1:])) if not model.built else None
    clone = keras.models.clone_model(model)
    assert clone is not model and type(clone) is type(model)
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    assert not equal_weights(clone, model)
    assert clone.predict(x).shape == model.predict(x).shape


def test_a_subclass_without_get_config_is_a_clear_error(tmp_path):
    class NoConfig(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(1)

        def call(self, x, training=False):
            return self.dense(x)

    model = NoConfig()
    model.build((None, 3))
    with pytest.raises(TypeError, match="get_config"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()


def test_save_wants_the_keras_ending(tmp_path):
    with pytest.raises(ValueError, match=r"\.keras.*save_weights"):
        sequential()[0].save(tmp_path / "m.npz")


def saved(tmp_path):
    model = sequential()[0]
    path = tmp_path / "m.keras"
    model.save(path)
    return path


def rewrite(path, change):
    """The saved file with its JSON document changed by `change(doc)`."""
    arrays = load_npz(path)
    doc = json.loads(str(arrays["__tinydl_model__"]))
    change(doc)
    arrays["__tinydl_model__"] = np.array(json.dumps(doc))
    save_npz(path, arrays)


def check_refused(path, match, error=ValueError):
    before = path.read_bytes()
    with pytest.raises(error, match=match) as info:
        keras.models.load_model(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before                     # a failed load changes nothing


def test_a_truncated_file_is_refused(tmp_path):
    path = saved(tmp_path)
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
    check_refused(path, "truncated or damaged")


def test_a_keras_file_is_refused(tmp_path):
    path = tmp_path / "real.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", "{}")
        z.writestr("config.json", "{}")
        z.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n")
    check_refused(path, "Keras .keras file")
    h5 = tmp_path / "model.h5"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    check_refused(h5, "HDF5")


def test_a_newer_format_version_is_refused(tmp_path):
    path = saved(tmp_path)
    rewrite(path, lambda doc: doc.update(version=doc["version"] + 1))
    check_refused(path, "newer than this tinydl")


def test_an_unknown_class_asks_for_custom_objects(tmp_path):
    path = saved(tmp_path)
    rewrite(path, lambda doc: doc["config"]["layers"][0].update(class_name="MyDense"))
    check_refused(path, "MyDense.*custom_objects")
    from tinydl.layers import Dense as D
    loaded = keras.models.load_model(path, custom_objects={"MyDense": D})   # the way out
    assert len(loaded.layers) == 4


def test_a_save_that_fails_half_way_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = saved(tmp_path)
    old = path.read_bytes()
    model, x, y, _ = sequential()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)

    def interrupted_open(file, mode="r", *args, **kwargs):
        return InterruptedFile(open(file, mode, *args, **kwargs), limit=1000)

    monkeypatch.setattr(tio, "open", interrupted_open, raising=False)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["m.keras"]
    keras.models.load_model(path)


def test_two_outputs_objects_and_a_schedule_survive_the_round_trip(tmp_path):
    inputs = keras.Input((6,))
    hidden = Dense(8, activation="relu", kernel_initializer=keras.initializers.HeNormal(seed=3),
                   kernel_regularizer=keras.regularizers.L2(0.01))(inputs)
    model = keras.Model(inputs, [Dense(3, name="cls")(hidden), Dense(1, name="reg")(hidden)])
    model.compile(keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(0.05, 4, 0.5)),
                  [keras.losses.SparseCategoricalCrossentropy(from_logits=True), "mse"],
                  {"cls": ["accuracy"], "reg": ["mae"]}, loss_weights=[1.0, 0.5])
    y = [Y, X[:, :1]]
    model.fit(X, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert list(loaded.metrics) == list(model.metrics) == ["cls_accuracy", "reg_mae"]
    assert loaded.loss[0].get_config() == model.loss[0].get_config()
    assert loaded._loss_weights == [1.0, 0.5]
    assert loaded.get_layer(model.layers[1].name).kernel_regularizer.get_config() == {"l2": 0.01}
    before = model.fit(X, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history
    after = loaded.fit(X, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history
    assert before == after and equal_weights(loaded, model)


def test_a_lambda_layer_of_a_local_function_is_refused_before_anything_is_written(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda x: x * 2), Dense(2)])
    with pytest.raises(TypeError, match="top level of a module"):
        model.save(tmp_path / "m.keras")
    assert os.listdir(tmp_path) == []


def my_loss(y_true, y_pred):
    return keras.losses.mean_squared_error(y_true, y_pred)


def test_a_loss_of_your_own_comes_back_through_custom_objects(tmp_path):
    model = keras.Sequential([keras.Input((6,)), Dense(1)])
    model.compile("sgd", my_loss)
    path = tmp_path / "m.keras"
    model.save(path)
    check_refused(path, "custom_objects.*compile=False")
    assert keras.models.load_model(path, custom_objects={"my_loss": my_loss}).loss is my_loss
    assert keras.models.load_model(path, compile=False).optimizer is None
