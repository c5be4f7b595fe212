"""Subclassing `tinydl.Model` (Keras 3's third way to build a model), custom train_step /
test_step, and models used as layers (inside Sequential and inside a functional graph).

Each behaviour is compared with what tinydl already computes another way: a subclassed
model against the same Sequential from the same seed, a custom train_step against the
built-in step, the subclassed GAN against tinydl.gan.GAN.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinydl
from tinydl import Input, Model, Sequential, layers
from tinydl.applications import dcgan_discriminator, dcgan_generator
from tinydl.gan import GAN
from tinydl.metrics import Mean
from tinydl.optimizers import SGD, Adam
from tinydl.utils import set_random_seed

from lesson_helpers import lesson_definitions
from test_gan import real_data, small_gan

#: The class under test: lessons/_gan_subclassed.py, read as the lessons' code is read.
SubclassedGAN = lesson_definitions("_gan_subclassed").SubclassedGAN


def data(n=48, features=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)).astype("float32"), rng.integers(0, classes, n)


class MLP(Model):
    """Dense layers held as an attribute, in a list and in a dict."""

    def __init__(self, classes=3, **kwargs):
        super().__init__(**kwargs)
        self.first = layers.Dense(8, activation="relu")
        self.hidden = [layers.Dense(6, activation="relu")]
        self.heads = {"out": layers.Dense(classes, activation="softmax")}

    def call(self, inputs, training=False):
        x = self.first(inputs)
        for layer in self.hidden:
            x = layer(x)
        return self.heads["out"](x)


def mlp_sequential(classes=3):
    return Sequential([layers.Dense(8, activation="relu"), layers.Dense(6, activation="relu"),
                       layers.Dense(classes, activation="softmax")])


def compiled(model):
    model.compile(Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_subclassed_mlp_trains_as_the_same_sequential():
    x, y = data()
    set_random_seed(3)
    sub = compiled(MLP())
    h_sub = sub.fit(x, y, epochs=3, batch_size=16, verbose=0).history
    set_random_seed(3)
    seq = compiled(mlp_sequential())
    h_seq = seq.fit(x, y, epochs=3, batch_size=16, verbose=0).history
    # the Sequential fuses softmax + cross-entropy from the logits: equal up to rounding
    np.testing.assert_allclose(h_sub["loss"], h_seq["loss"], rtol=1e-5)
    assert h_sub["accuracy"] == h_seq["accuracy"]
    # not bit for bit: the subclassed model's gradient comes through softmax then the
    # log of probabilities, the Sequential's from the fused logits; the two agree to float32
    # rounding (3e-8 seen in a CI run, where BLAS may also split a product differently)
    for a, b in zip(sub.get_weights(), seq.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(sub.predict(x), seq.predict(x), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(sub.evaluate(x, y, verbose=0), seq.evaluate(x, y, verbose=0),
                               rtol=1e-5)


class CNN(Model):
    def __init__(self):
        super().__init__()
        self.conv = layers.Conv2D(4, 3, activation="relu")
        self.pool = layers.MaxPooling2D()
        self.flatten = layers.Flatten()
        self.dense = layers.Dense(2, activation="softmax")

    def call(self, x, training=False):
        return self.dense(self.flatten(self.pool(self.conv(x))))


def test_subclassed_cnn_trains_as_the_same_sequential():
    rng = np.random.default_rng(1)
    x = rng.random((20, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 2, 20)
    set_random_seed(4)
    sub = compiled(CNN())
    h_sub = sub.fit(x, y, epochs=2, batch_size=8, verbose=0).history
    set_random_seed(4)
    seq = compiled(Sequential([layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D(),
                               layers.Flatten(), layers.Dense(2, activation="softmax")]))
    h_seq = seq.fit(x, y, epochs=2, batch_size=8, verbose=0).history
    np.testing.assert_allclose(h_sub["loss"], h_seq["loss"], rtol=1e-5)
    assert sub.layers[0].output_shape == (None, 6, 6, 4)


def test_layers_in_lists_and_dicts_are_tracked_in_order():
    class Nested(Model):
        def __init__(self):
            super().__init__()
            self.encoder = mlp_sequential(4)                 # a nested model
            self.blocks = [layers.Dense(3), [layers.Dense(2)]]
            self.table = {"b": layers.Dense(2), "a": layers.Dense(1)}
            self.note = "not a layer"
            self.alias = self.blocks[0]                      # the same layer twice: once

        def call(self, x, training=False):
            x = self.blocks[1][0](self.blocks[0](self.encoder(x)))
            return self.table["a"](self.table["b"](x))

    model = Nested()
    assert [type(layer).__name__ for layer in model.layers] == ["Sequential", *["Dense"] * 4]
    assert model.layers[1] is model.blocks[0] and model.layers[3] is model.table["b"]
    assert not model.built
    model.build((None, 5))
    assert model.built and model.output_shape == (None, 1)
    expected = sum(w.size for layer in model.layers for w in layer.weights)
    assert sum(w.size for w in model.trainable_weights) == expected == model.count_params()
    assert len(model.trainable_weights) == 6 + 8        # encoder 3×2, four Dense 2 each
    model.blocks.append(layers.Dense(1))                 # appended later: still tracked
    assert len(model.layers) == 6


def test_summary_save_load_and_get_weights_round_trip(tmp_path):
    x, _ = data()
    set_random_seed(0)
    model = MLP(name="my_mlp")
    out = model(x)                                       # built on the first batch
    assert out.shape == (48, 3)
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "my_mlp"' in text and "Connected to" not in text
    assert "Total params: 123" in text                  # 5·8+8 + 8·6+6 + 6·3+3
    assert MLP().name.startswith("mlp")                 # Keras: the class name, snake case
    path = tmp_path / "w.npz"
    model.save_weights(path)
    set_random_seed(9)
    other = MLP()
    other.build((None, 5))
    assert not np.allclose(other.get_weights()[0], model.get_weights()[0])
    other.load_weights(path)
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    other.set_weights([w * 0 for w in model.get_weights()])
    assert all(not w.any() for w in other.get_weights())


class TrackedModel(MLP):
    """A Keras 3 style custom train_step with its own metric trackers."""

    def __init__(self):
        super().__init__()
        self.loss_tracker = Mean(name="loss")
        self.grad_norm = Mean(name="grad_norm")

    @property
    def metrics(self):
        return [self.loss_tracker, self.grad_norm]

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred)
        loss.backward()                                     # no GradientTape in tinydl
        grads = [w.grad for w in self.trainable_weights]
        self.optimizer.apply(grads, self.trainable_weights)
        self.loss_tracker.update_state(loss, sample_weight=len(x))
        self.grad_norm.update_state(np.sqrt(sum(float((g ** 2).sum()) for g in grads)))
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(self.compute_loss(x, y, y_pred), sample_weight=len(x))
        return {"loss": self.loss_tracker.result()}


def test_custom_train_step_matches_the_builtin_step_and_fills_history():
    x, y = data()
    set_random_seed(5)
    custom = compiled(TrackedModel())
    history = custom.fit(x, y, epochs=2, batch_size=16, verbose=0,
                         validation_data=(x[:10], y[:10])).history
    assert sorted(history) == ["grad_norm", "loss", "val_loss"]
    assert all(v > 0 for v in history["grad_norm"])
    set_random_seed(5)
    builtin = compiled(MLP())
    expected = builtin.fit(x, y, epochs=2, batch_size=16, verbose=0,
                           validation_data=(x[:10], y[:10])).history
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-6)
    np.testing.assert_allclose(history["val_loss"], expected["val_loss"], rtol=1e-6)
    # evaluate goes through the overridden test_step
    np.testing.assert_allclose(custom.evaluate(x, y, verbose=0),
                               builtin.evaluate(x, y, verbose=0)[0], rtol=1e-6)


def test_default_train_step_and_metrics_list_are_keras_like():
    x, y = data()
    set_random_seed(6)
    model = compiled(MLP())
    model.build((None, 5))
    assert [m.name for m in model.metrics] == ["loss", "accuracy"]
    logs = model.train_step((x[:16], y[:16]))
    assert sorted(logs) == ["accuracy", "loss"]
    set_random_seed(6)
    again = compiled(MLP())
    h = again.fit(x[:16], y[:16], epochs=1, batch_size=16, shuffle=False, verbose=0).history
    assert logs["loss"] == pytest.approx(h["loss"][0], rel=1e-6)
    assert logs["accuracy"] == pytest.approx(h["accuracy"][0])
    # the sequential API keeps its dict of compiled metrics
    assert list(compiled(mlp_sequential()).metrics) == ["accuracy"]


def test_optimizer_apply_and_apply_gradients_equal_step():
    w1 = tinydl.Tensor(np.ones(3), requires_grad=True)
    w2 = tinydl.Tensor(np.ones(3), requires_grad=True)
    g = np.array([1.0, -2.0, 0.5])
    opt1, opt2 = SGD(0.1, momentum=0.9), SGD(0.1, momentum=0.9)
    for _ in range(2):
        opt1.apply([g], [w1])
        opt2.apply_gradients(zip([g], [w2]))
    np.testing.assert_allclose(w1.data, 1 - 0.1 * g - 0.1 * (0.9 * g + g))
    np.testing.assert_array_equal(w1.data, w2.data)
    with pytest.raises(ValueError, match="2 gradients for 1 variables"):
        opt1.apply([g, g], [w1])
    with pytest.raises(ValueError, match="shape"):
        opt1.apply([np.ones(2)], [w1])


def test_errors_name_the_mistake():
    class NoSuper(Model):
        def __init__(self):
            self.dense = layers.Dense(2)

    with pytest.raises(RuntimeError, match="forgot to call super"):
        NoSuper()

    class ReturnsNothing(Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x, training=False):
            self.dense(x)

    with pytest.raises(TypeError, match="returned None.*return"):
        ReturnsNothing()(np.ones((2, 3), "float32"))

    class NoCall(Model):
        pass

    with pytest.raises(NotImplementedError, match="must define call"):
        NoCall().build((None, 3))
    with pytest.raises(TypeError, match="give both the symbolic inputs"):
        Model(Input((3,)))
    with pytest.raises(ValueError, match="batch axis"):
        MLP().build((None, None))
    with pytest.raises(RuntimeError, match="compiled first"):
        TrackedModel().fit(np.ones((4, 5), "float32"), np.zeros(4), verbose=0)
    model = compiled(TrackedModel())
    with pytest.raises(ValueError, match="class_weight and validation_split"):
        model.fit(np.ones((4, 5), "float32"), np.zeros(4), validation_split=0.5, verbose=0)
    with pytest.raises(AttributeError, match="subclassed model"):
        MLP().output
    with pytest.raises(AttributeError, match="cannot be set"):
        MLP().layers = []

    class BadStep(MLP):
        def train_step(self, data):
            return 1.0

    bad = BadStep()
    bad.compile("sgd")                 # no loss: allowed with a custom train_step
    with pytest.raises(TypeError, match="must return a dict"):
        bad.fit(np.ones((4, 5), "float32"), verbose=0)
    with pytest.raises(ValueError, match="give a loss"):
        MLP().compile("sgd")


def test_model_inside_sequential_shares_weights():
    x, _ = data()
    set_random_seed(1)
    inner = Sequential([Input((5,)), layers.Dense(4)])
    outer = Sequential([inner, layers.Activation("softmax")])
    probs = outer.predict(x)
    logits = inner.predict(x)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(probs, e / e.sum(axis=1, keepdims=True), rtol=1e-5)
    assert outer.weights[0] is inner.weights[0]
    sub = MLP()                                          # a subclassed model as a layer too
    stacked = Sequential([Input((5,)), sub, layers.Dense(2)])
    assert stacked.output_shape == (None, 2) and sub.built
    np.testing.assert_allclose(sub.predict(x), sub(x).data, rtol=1e-6)
    # training the outer model moves the inner model's weights (they are the same Tensors)
    outer.compile(SGD(0.5), "sparse_categorical_crossentropy")
    before = inner.get_weights()[0].copy()
    outer.fit(x, data()[1] % 4, epochs=1, verbose=0)
    assert not np.allclose(inner.get_weights()[0], before)


def test_model_inside_a_functional_graph_shares_weights():
    x, _ = data()
    set_random_seed(2)
    sub = MLP()
    inputs = Input((5,))
    twice = layers.Add()([sub(inputs), sub(inputs)])      # the same model called twice
    graph = Model(inputs, twice)
    np.testing.assert_allclose(graph.predict(x), 2 * sub.predict(x), rtol=1e-5)
    ids = {id(w) for w in graph.trainable_weights}
    assert ids == {id(w) for w in sub.trainable_weights}
    functional_inner = Model(inputs, layers.Dense(2)(inputs))
    i2 = Input((5,))
    outer = Model(i2, layers.Activation("softmax")(functional_inner(i2)))
    assert outer.weights[0] is functional_inner.weights[0]


def gan_pair(seed=0):
    """tinydl.gan.GAN and the subclassed GAN on copies of the same two models."""
    reference = small_gan(seed)
    again = small_gan(seed)         # same seed: same weights, same dropout seed
    sub = SubclassedGAN(again.discriminator, again.generator, latent_dim=3, seed=seed)
    sub.compile(d_optimizer=Adam(0.01, beta_1=0.5), g_optimizer=Adam(0.01, beta_1=0.5))
    sub.seed_generator.standard_normal((64, 3))   # GAN drew its 64 fixed_noise rows first
    return reference, sub


def test_subclassed_gan_train_step_equals_tinydl_gan():
    reference, sub = gan_pair()
    x = real_data(40)
    expected = {"d_loss": [], "g_loss": []}
    for start in range(0, 40, 8):
        values = reference.train_step(x[start:start + 8])
        for key in expected:
            expected[key].append(values[key])
    history = sub.fit(x, epochs=1, batch_size=8, shuffle=False, verbose=0).history
    # fit shows the running means of the epoch; its end = the mean of the batch losses
    for key in expected:
        assert history[key][0] == pytest.approx(np.mean(expected[key]), rel=1e-12)
    # and step by step: the returned running mean after k steps
    reference, sub = gan_pair()
    for k, start in enumerate(range(0, 24, 8), start=1):
        ref = reference.train_step(x[start:start + 8])
        logs = sub.train_step(x[start:start + 8])
        seen = reference.batch_history
        assert logs["d_loss"] == pytest.approx(np.mean(seen["d_loss"][:k]), rel=1e-12)
        assert logs["g_loss"] == pytest.approx(np.mean(seen["g_loss"][:k]), rel=1e-12)
        assert ref["d_loss"] == seen["d_loss"][-1]
    for a, b in zip(reference.generator.get_weights(), sub.generator.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert [type(layer).__name__ for layer in sub.layers] == ["Sequential", "Sequential"]


def test_several_outputs_compiled_before_the_model_is_built():
    class TwoHeads(Model):
        def __init__(self):
            super().__init__()
            self.trunk = layers.Dense(8, activation="relu")
            self.cls = layers.Dense(3, activation="softmax")
            self.reg = layers.Dense(1)

        def call(self, x, training=False):
            h = self.trunk(x)
            return {"cls": self.cls(h), "reg": self.reg(h)}

    x, y = data(30, 4)
    target = np.random.default_rng(1).normal(size=(30, 1))
    model = TwoHeads()
    model.compile("adam", loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"]})
    with pytest.raises(RuntimeError, match="outputs are not known yet"):
        model.evaluate(None, y)
    history = model.fit(x, {"cls": y, "reg": target}, epochs=2, verbose=0).history
    assert sorted(history) == ["cls_accuracy", "cls_loss", "loss", "reg_loss"]
    np.testing.assert_allclose(history["loss"],
                               np.add(history["cls_loss"], 0.5 * np.array(history["reg_loss"])),
                               rtol=1e-5)
    assert model.output_names == ["cls", "reg"] and sorted(model(x)) == ["cls", "reg"]
    with pytest.raises(AttributeError, match="no recorded graph"):
        tinydl.utils.plot_model(model, to_file="unused.png")


def test_keras_guide_custom_model_on_a_functional_graph():
    """keras.io's 'Customizing what happens in fit()': CustomModel(inputs, outputs) with
    the loop over self.metrics (the loss tracker first, then the compiled metrics)."""
    class CustomModel(Model):
        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred)
            self.zero_grad()
            loss.backward()
            self.optimizer.apply([w.grad for w in self.trainable_weights],
                                 self.trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    x, y = data(32)
    target = np.eye(3)[y]
    set_random_seed(8)
    inputs = Input((5,))
    model = CustomModel(inputs, layers.Dense(3, activation="softmax")(inputs))
    model.compile(SGD(0.1), "categorical_crossentropy", metrics=["mae"])
    history = model.fit(x, target, batch_size=32, epochs=3, verbose=0).history
    set_random_seed(8)
    inputs = Input((5,))
    plain = Model(inputs, layers.Dense(3, activation="softmax")(inputs))
    plain.compile(SGD(0.1), "categorical_crossentropy", metrics=["mae"])
    expected = plain.fit(x, target, batch_size=32, epochs=3, verbose=0).history
    assert sorted(history) == ["loss", "mae"]
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-6)
    np.testing.assert_allclose(history["mae"], expected["mae"], rtol=1e-6)


def test_lesson_8s_dcgan_as_a_subclassed_model_gives_tinydl_gans_losses():
    """The DCGAN of lesson 8 (tinydl.applications), trained by SubclassedGAN.train_step and
    by tinydl.gan.GAN.train_step from the same seed on the same batches: the same losses."""
    def build_dcgan(latent_dim):
        return dcgan_generator(latent_dim), dcgan_discriminator()

    set_random_seed(5)
    reference = GAN(*build_dcgan(latent_dim=16), Adam(2e-4, beta_1=0.5),
                    Adam(2e-4, beta_1=0.5), seed=5)
    set_random_seed(5)
    generator, discriminator = build_dcgan(latent_dim=16)
    sub = SubclassedGAN(discriminator, generator, latent_dim=16, seed=5)
    sub.compile(d_optimizer=Adam(2e-4, beta_1=0.5), g_optimizer=Adam(2e-4, beta_1=0.5))
    sub.seed_generator.standard_normal((64, 16))   # GAN drew its 64 fixed_noise rows first
    real = np.random.default_rng(0).uniform(-1, 1, (24, 28, 28, 1)).astype(np.float32)
    for k, start in enumerate(range(0, 24, 8), start=1):
        reference.train_step(real[start:start + 8])
        logs = sub.train_step(real[start:start + 8])
        seen = reference.batch_history
        for key in ("d_loss", "g_loss"):
            assert logs[key] == pytest.approx(np.mean(seen[key][:k]), rel=1e-12), key
    for a, b in zip(reference.generator.get_weights(), sub.generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    kinds = {type(layer).__name__ for layer in sub.discriminator.layers}
    assert "Conv2D" in kinds            # the DCGAN's D is a CNN, G transposed convolutions
    assert "Conv2DTranspose" in {type(layer).__name__ for layer in sub.generator.layers}
