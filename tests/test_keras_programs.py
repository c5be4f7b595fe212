"""Programs written for Keras run on tinydl with only their import lines changed.

Each program below is written the way Keras 3 tutorials write them (our own text, in
their style). The test swaps `import keras` / `from keras import ...` for tinydl, leaves
every other line alone, and runs the program on a small slice of data."""
import re
import textwrap

import numpy as np

from lesson_helpers import need_mnist

MNIST_CONVNET = """
import numpy as np
import keras
from keras import layers

num_classes = 10
input_shape = (28, 28, 1)

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train, y_train, x_test, y_test = x_train[:2400], y_train[:2400], x_test[:500], y_test[:500]
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255
if keras.backend.image_data_format() == "channels_first":
    x_train = np.expand_dims(x_train, 1)
    x_test = np.expand_dims(x_test, 1)
else:
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)
y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

keras.utils.set_random_seed(1)
model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)
model.summary()
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=64, epochs=4, validation_split=0.1, verbose=0)
score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
"""

RESIDUAL_UNET = """
import numpy as np
import keras
from keras import layers

def get_model(img_size, num_classes):
    inputs = keras.Input(shape=img_size + (1,))
    x = layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x
    for filters in [16]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x
    for filters in [16, 8]:
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.UpSampling2D(2)(x)
        residual = layers.UpSampling2D(2)(previous_block_activation)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = layers.add([x, residual])
        previous_block_activation = x
    outputs = layers.Conv2D(num_classes, 3, activation="softmax", padding="same")(x)
    return keras.Model(inputs, outputs)

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
images = rng.random((24, 16, 16, 1)).astype("float32")
masks = (images[..., 0] > 0.5).astype("int64") + (images[..., 0] > 0.8)
model = get_model((16, 16), 3)
model.summary()
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
history = model.fit(images, masks, batch_size=8, epochs=10, verbose=0)
print("first epoch loss:", history.history["loss"][0])
print("last epoch loss:", history.history["loss"][-1])
predictions = model.predict(images)
print("predictions:", predictions.shape)
"""


BEGINNER_TUTORIAL = """
import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train, y_train, x_test, y_test = x_train[:3000], y_train[:3000], x_test[:500], y_test[:500]
x_train, x_test = x_train / 255.0, x_test / 255.0

keras.utils.set_random_seed(2)
model = keras.Sequential([
    keras.Input(shape=(28, 28)),
    layers.Flatten(),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(10),
])
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
predictions = model(x_train[:1]).numpy()
print("untrained loss:", loss_fn(y_train[:1], predictions).numpy())
model.compile(optimizer="adam", loss=loss_fn,
              metrics=[keras.metrics.SparseCategoricalAccuracy()])
model.fit(x_train, y_train, epochs=3, verbose=0)
test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print("Test accuracy:", test_acc)

probability_model = keras.Sequential([model, layers.Softmax()])
probabilities = probability_model.predict(x_test[:5], verbose=0)
print("row sums:", np.round(probabilities.sum(axis=1), 5).tolist())


class MyModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.flatten = layers.Flatten()
        self.d1 = layers.Dense(64, activation="relu")
        self.d2 = layers.Dense(10)

    def call(self, x, training=False):
        return self.d2(self.d1(self.flatten(x)))


mine = MyModel()
mine.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
             loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
             metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])
history = mine.fit(x_train, y_train, epochs=3, batch_size=32, verbose=0)
print("subclassed keys:", sorted(history.history))
print("subclassed accuracy:", mine.evaluate(x_test, y_test, verbose=0)[1])
"""

def as_tinydl(program: str) -> str:
    """Change only the import lines: keras → tinydl."""
    program = re.sub(r"^import keras$", "import tinydl as keras", program, flags=re.M)
    return re.sub(r"^from keras import ", "from tinydl import ", program, flags=re.M)


def run(program: str, capsys) -> str:
    source = as_tinydl(textwrap.dedent(program))
    changed = [a for a, b in zip(program.splitlines(), source.splitlines()) if a != b]
    assert changed and all("import" in line for line in changed)
    exec(compile(source, "<keras program>", "exec"), {"__name__": "__main__"})
    return capsys.readouterr().out


def test_the_classic_mnist_convnet_runs_with_its_imports_changed(capsys):
    need_mnist()
    out = run(MNIST_CONVNET, capsys)
    assert 'Model: "sequential' in out and "Total params:" in out
    accuracy = float(re.search(r"Test accuracy: ([\d.]+)", out).group(1))
    assert accuracy > 0.8          # 2,160 training digits, 4 epochs: chance is 0.1


def test_a_residual_unet_runs_with_its_imports_changed(capsys):
    out = run(RESIDUAL_UNET, capsys)
    assert "Connected to" in out and "(SeparableConv2D)" in out
    first = float(re.search(r"first epoch loss: ([\d.]+)", out).group(1))
    last = float(re.search(r"last epoch loss: ([\d.]+)", out).group(1))
    assert np.isfinite(last) and last < 0.8 * first
    assert "predictions: (24, 16, 16, 3)" in out


def test_a_beginner_tutorial_with_loss_objects_a_softmax_wrapper_and_a_subclassed_model(capsys):
    """The shape of Keras' beginner tutorials: a loss object from logits, a metric object,
    a model wrapped with a Softmax layer, and a subclassed model."""
    need_mnist()
    out = run(BEGINNER_TUTORIAL, capsys)
    untrained = float(re.search(r"untrained loss: ([\d.]+)", out).group(1))
    assert 0.5 < untrained < 6                   # about -log(1/10) = 2.3 for small logits
    assert float(re.search(r"Test accuracy: ([\d.]+)", out).group(1)) > 0.8
    sums = eval(re.search(r"row sums: (\[.*\])", out).group(1))
    assert len(sums) == 5 and all(abs(v - 1) < 1e-4 for v in sums)
    assert "subclassed keys: ['acc', 'loss']" in out
    assert float(re.search(r"subclassed accuracy: ([\d.]+)", out).group(1)) > 0.8
