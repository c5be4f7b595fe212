"""Lesson 4 (article §4): the section-4 network layer for layer, validation on held-out
training images (the test set never reaches `fit` and is used only after it), the worked
examples, and the weights file that lessons 6, 8 and 10-13 load."""
import numpy as np
import pytest

from tinydl.models.functional import Model

from lesson_helpers import lesson_definitions, need_mnist, run_script

STEM = "04_mnist_cnn"


@pytest.fixture(scope="module")
def spied_run(tmp_path_factory):
    """Lesson 4 as a script (quick), with every fit / evaluate / predict call recorded in
    order: (method, x, validation_data)."""
    need_mnist()
    calls = []
    originals = {name: getattr(Model, name) for name in ("fit", "evaluate", "predict")}

    def spy(name):
        def wrapper(self, x=None, *args, **kwargs):
            calls.append((name, x, kwargs.get("validation_data")))
            return originals[name](self, x, *args, **kwargs)
        return wrapper

    with pytest.MonkeyPatch.context() as patch:
        for name in originals:
            patch.setattr(Model, name, spy(name))
        run = run_script(STEM, out=tmp_path_factory.mktemp("lesson04"))
    return run, calls


def _rows(x: np.ndarray) -> set[bytes]:
    return {image.tobytes() for image in np.asarray(x, dtype=np.float32)}


def test_build_model_is_the_section4_network_layer_for_layer():
    model = lesson_definitions(STEM).build_model()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense",
                     "Dropout", "Dense"]
    conv1, _, conv2, _, _, dense1, dropout, dense2 = model.layers
    assert (conv1.filters, conv1.kernel_size, conv2.filters, conv2.kernel_size) == \
        (32, (3, 3), 64, (3, 3))
    assert (dense1.units, dropout.rate, dense2.units) == (128, 0.5, 10)
    assert dense2.activation.__name__ == "softmax"
    assert model.count_params() == 225_034          # what Keras reports for §4's model


def test_the_test_set_never_reaches_fit_and_is_used_only_after_it(spied_run):
    run, calls = spied_run
    x_test = run.namespace["x_test"]
    fits = [i for i, call in enumerate(calls) if call[0] == "fit"]
    assert len(fits) == 1
    _, x_fit, validation = calls[fits[0]]
    assert validation is not None, "fit must be validated on held-out data"
    x_val = validation[0]
    test_rows = _rows(x_test)
    for name, x in (("training", x_fit), ("validation", x_val)):
        assert not np.shares_memory(x, x_test), f"the {name} data is the test set"
        assert not (_rows(x) & test_rows), f"the {name} data holds test images"
    # the validation images are training images, and not the ones fitted
    assert _rows(x_val) <= _rows(run.namespace["x_train"])
    assert not (_rows(x_val) & _rows(x_fit))
    # every use of the test images comes after training
    uses = [i for i, (_, x, _) in enumerate(calls)
            if x is not None and np.shares_memory(x, x_test)]
    assert uses and min(uses) > fits[0]


def test_history_reports_the_validation_split_not_the_test_set(spied_run):
    run, _ = spied_run
    ns = run.namespace
    model, curves = ns["model"], ns["curves"]
    val_loss, val_acc = model.evaluate(ns["x_val"], ns["y_val"], batch_size=512, verbose=0)
    assert curves["val_loss"][-1] == pytest.approx(val_loss, rel=1e-4)
    assert curves["val_accuracy"][-1] == pytest.approx(val_acc, abs=1e-6)
    assert curves["val_loss"][-1] != pytest.approx(ns["test_loss"], rel=1e-4)
    assert f"test accuracy {ns['test_accuracy']:.4f}" in run.stdout


def test_confusion_matrix_agrees_with_evaluate(spied_run):
    ns = spied_run[0].namespace
    counts = ns["counts"]
    assert counts.sum() == len(ns["x_test"])
    assert counts.trace() / counts.sum() == pytest.approx(ns["test_accuracy"], abs=1e-6)


def test_worked_examples(spied_run):
    ns = spied_run[0].namespace
    # Keras 2's keras.metrics.accuracy (exact equality) against the arg-max accuracy
    assert np.mean(ns["one_hot"] == ns["probabilities"]) == 0.0
    assert ns["accuracy"](ns["one_hot"], ns["probabilities"]) == 1.0
    # one output pixel of Conv2D by hand: the flipped kernel (a true convolution)
    assert ns["by_hand"] == pytest.approx(ns["layer_value"], abs=1e-5)
    window, w, b = ns["window"], ns["w"], ns["b"]
    assert float(np.sum(window * w[::-1, ::-1]) + b) == pytest.approx(ns["by_hand"])
    assert ns["layer_value"] == pytest.approx(ns["feature_map"].max()) and ns["by_hand"] > 0


def test_weights_file_is_written_and_loads_into_build_model(spied_run):
    run, _ = spied_run
    path = run.out / "mnist_cnn.weights.npz"
    assert path.exists() and path.stat().st_size > 100_000
    assert path == run.namespace["weights_path"]
    fresh = lesson_definitions(STEM).build_model()
    fresh.load_weights(str(path))
    x = run.namespace["x_test"][:20]
    np.testing.assert_allclose(fresh.predict(x), run.namespace["model"].predict(x), atol=1e-6)


def test_the_figures(spied_run):
    run, _ = spied_run
    assert {p.name for p in run.figures} == {"curves.png", "confusion_matrix.png",
                                             "misclassified.png", "first_layer_kernels.png"}
