"""Tests of tinydl.explain.grad_cam: on a conv → global average pool → dense model it is
the closed-form class activation map ReLU(Σ_k W[k, t] A_k)/(h·w) (Zhou et al.); the resize
against the literal bilinear formula; clear errors; the weights and the graph untouched;
the randomisation sanity check runs with it."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference import resize_bilinear_loops
import tinydl
from tinydl import Input, Model, Sequential
from tinydl.explain import grad_cam, randomization_check, resize_bilinear
from tinydl.layers import Conv2D, Dense, Flatten, GlobalAveragePooling2D, MaxPooling2D
from tinydl.ops.resize import upsampling2d


def cam_model(kind, size, channels, filters, classes, activation, seed):
    """x → Conv2D(relu) 'last_conv' → Conv2D(relu) 'features' → GAP → Dense 'scores'."""
    tinydl.utils.set_random_seed(seed)
    layers = [Conv2D(3, 2, padding="same", activation="relu", name="first_conv"),
              Conv2D(filters, 3, activation="relu", name="features"),
              GlobalAveragePooling2D(name="gap"), Dense(classes, activation=activation,
                                                        name="scores")]
    if kind == "sequential":
        return Sequential([Input((size, size, channels)), *layers], dtype="float64")
    if kind == "lazy sequential":            # built from the first data it sees
        return Sequential(layers, dtype="float64")
    inputs = Input((size, size, channels), dtype="float64")
    x = inputs
    for layer in layers:
        x = layer(x)
    return Model(inputs, x)


def closed_form(model, x, t):
    """ReLU(Σ_k W[k, t] A_k)/(h·w) from the feature map and the dense kernel."""
    a = Model(model.inputs, model.get_layer("features").output).predict(x)
    w = model.get_layer("scores").kernel.data
    _, h, wd, _ = a.shape
    return np.maximum(np.einsum("nijk,kn->nij", a, w[:, t]), 0.0) / (h * wd)


@settings(max_examples=15, deadline=None)
@given(kind=st.sampled_from(["sequential", "lazy sequential", "functional"]),
       size=st.integers(4, 8), channels=st.integers(1, 2), filters=st.integers(1, 4),
       classes=st.integers(2, 4), activation=st.sampled_from([None, "softmax"]),
       n=st.integers(1, 3), seed=st.integers(0, 1000))
def test_gradcam_before_a_global_average_pool_is_the_class_activation_map(
        kind, size, channels, filters, classes, activation, n, seed):
    model = cam_model(kind, size, channels, filters, classes, activation, seed)
    rng = np.random.default_rng(seed)
    x = rng.random((n, size, size, channels))
    t = rng.integers(0, classes, n)
    model.predict(x)                                     # builds the lazy one
    # a target column of mixed signs, mostly positive: the ReLU clips part of the map
    model.get_layer("scores").kernel.data[:, t] = rng.normal(0.5, 1.0, (filters, n))
    expected = closed_form(model, x, t)
    cam = grad_cam(model, x, t, layer="features", upsample=False)
    np.testing.assert_allclose(cam, expected, rtol=1e-10, atol=1e-14)
    # the softmax is not differentiated: the map explains the logit
    full = grad_cam(model, x, t, layer="features")
    np.testing.assert_allclose(full, resize_bilinear(expected, (size, size)), rtol=1e-10,
                               atol=1e-14)
    assert full.shape == (n, size, size) and full.min() >= 0


def test_gradcam_normalize_scales_each_map_to_a_maximum_of_one():
    model = cam_model("sequential", 6, 1, 3, 3, None, 0)
    x = np.random.default_rng(1).random((4, 6, 6, 1))
    model.get_layer("scores").kernel.data[:, 2] = [1.0, 0.5, 2.0]    # every map > 0
    raw = grad_cam(model, x, 2, layer="features")
    scaled = grad_cam(model, x, 2, layer="features", normalize=True)
    np.testing.assert_allclose(scaled.max(axis=(1, 2)), 1.0)
    np.testing.assert_allclose(scaled * raw.max(axis=(1, 2))[:, None, None], raw, rtol=1e-12)


def test_gradcam_of_an_earlier_layer_uses_the_gradient_through_the_layers_above():
    # reference: the model's upper part replayed by hand on the feature map as a leaf
    model = cam_model("sequential", 6, 1, 3, 3, "softmax", 2)
    x = np.random.default_rng(2).random((2, 6, 6, 1))
    cam = grad_cam(model, x, 1, layer="first_conv", upsample=False)
    a = tinydl.Tensor(Model(model.inputs, model.get_layer("first_conv").output).predict(x),
                      requires_grad=True)
    pooled = model.get_layer("gap")(model.get_layer("features")(a))
    dense = model.get_layer("scores")
    (pooled @ dense.kernel + dense.bias)[:, 1].sum().backward()     # the logit z_1
    alpha = a.grad.mean(axis=(1, 2))
    expected = np.maximum(np.einsum("nijk,nk->nij", a.data, alpha), 0.0)
    assert expected.max() > 0
    np.testing.assert_allclose(cam, expected, rtol=1e-10, atol=1e-14)


@settings(max_examples=30, deadline=None)
@given(h=st.integers(1, 6), w=st.integers(1, 6), big_h=st.integers(1, 13),
       big_w=st.integers(1, 13), seed=st.integers(0, 100))
def test_resize_bilinear_is_the_literal_formula(h, w, big_h, big_w, seed):
    maps = np.random.default_rng(seed).normal(size=(2, h, w))
    np.testing.assert_allclose(resize_bilinear(maps, (big_h, big_w)),
                               resize_bilinear_loops(maps, (big_h, big_w)), rtol=1e-12,
                               atol=1e-12)


def test_resize_bilinear_by_an_integer_factor_is_upsampling2d():
    maps = np.random.default_rng(3).normal(size=(2, 4, 5))
    np.testing.assert_allclose(resize_bilinear(maps, (8, 15)),
                               upsampling2d(maps[..., None], (2, 3), "bilinear").data[..., 0],
                               rtol=1e-12, atol=1e-12)


def test_gradcam_leaves_the_weights_their_grads_and_the_graph_alone():
    model = cam_model("sequential", 6, 1, 3, 3, "softmax", 4)
    x = np.random.default_rng(4).random((3, 6, 6, 1))
    before = [(w, w.data.copy(), w.requires_grad) for w in model.weights]
    nodes = {layer.name: len(layer._inbound_nodes) for layer in model.layers}
    prediction = model.predict(x)
    grad_cam(model, x, [0, 1, 2], layer="features")
    for w, data, flag in before:
        assert w.data.tobytes() == data.tobytes() and w.requires_grad == flag and w.grad is None
    assert {layer.name: len(layer._inbound_nodes) for layer in model.layers} == nodes
    np.testing.assert_array_equal(model.predict(x), prediction)


def test_gradcam_errors_name_the_function_and_the_argument():
    tinydl.utils.set_random_seed(5)
    model = Sequential([Input((8, 8, 1)), Conv2D(2, 3, activation="relu", name="c1"),
                        MaxPooling2D(name="pool"), Flatten(name="flat"),
                        Dense(3, name="out")])
    x = np.zeros((2, 8, 8, 1), np.float32)
    with pytest.raises(ValueError, match=r"grad_cam: the model has no layer named 'conv9'; its "
                                         r"convolutional layers are \['c1'\]"):
        grad_cam(model, x, 0, layer="conv9")
    for name, kind in (("out", "Dense"), ("pool", "MaxPooling2D"), ("flat", "Flatten")):
        with pytest.raises(ValueError, match=f"grad_cam: layer '{name}' is a {kind}, not a "
                                             f"convolutional layer"):
            grad_cam(model, x, 0, layer=name)
    with pytest.raises(TypeError, match="grad_cam: layer must be the name"):
        grad_cam(model, x, 0, layer=0)
    with pytest.raises(TypeError, match="grad_cam: model must be a tinydl Model"):
        grad_cam(lambda x, training=False: x, x, 0, layer="c1")
    with pytest.raises(ValueError, match=r"grad_cam: x must be a batch of images"):
        grad_cam(model, np.zeros((2, 64)), 0, layer="c1")
    with pytest.raises(ValueError, match="grad_cam: target holds class 3"):
        grad_cam(model, x, 3, layer="c1")


def test_randomization_check_runs_grad_cam_and_restores_the_weights():
    model = cam_model("sequential", 7, 1, 4, 3, "softmax", 6)
    x = np.random.default_rng(6).random((4, 7, 7, 1))
    model.get_layer("scores").kernel.data[:, 0] = [1.0, 0.5, 2.0, 0.2]     # maps > 0
    before = [w.data.copy() for w in model.weights]
    steps = randomization_check(model, x, 0, "grad_cam", layer="features", rng=0)
    for w, data in zip(model.weights, before):
        np.testing.assert_array_equal(w.data, data)
    assert [s.layer for s in steps] == ["scores", "features", "first_conv"]
    assert all(s.attributions.shape == (4, 7, 7) for s in steps)
    # the gradient of the randomised top reweights the channels: the map changes
    assert np.nanmean(steps[-1].spearman) < 0.99
