"""Tests of tinydl.utils.plot_model / model_to_dot: the DOT text of a small two-input model
against an exact snapshot, one box per layer (shared layers and nested models included),
the label options, the PNG (written atomically), errors."""
import os

import numpy as np
import pytest

from tinydl import Input, Model, Sequential
from tinydl.layers import Add, Concatenate, Conv2D, Dense, Flatten
from tinydl.utils import model_graph, model_to_dot, plot_model

from drawing_helpers import assert_drawn, break_savefig

TWO_INPUTS_DOT = """\
digraph two_inputs {
  rankdir=TB;
  node [fontname="Helvetica", fontsize=9];
  l0 [label="a (InputLayer)\\nout: (None, 4)", shape=ellipse, style=filled, fillcolor="#e6e6e6"];
  l1 [label="b (InputLayer)\\nout: (None, 3)", shape=ellipse, style=filled, fillcolor="#e6e6e6"];
  l2 [label="da (Dense)\\nin: (None, 4)\\nout: (None, 5)", shape=box, style=filled, fillcolor="#fde9c9"];
  l3 [label="db (Dense)\\nin: (None, 3)\\nout: (None, 5)", shape=box, style=filled, fillcolor="#fde9c9"];
  l4 [label="merge (Concatenate)\\nin: [(None, 5), (None, 5)]\\nout: (None, 10)", shape=box, style=filled, fillcolor="#fde9c9"];
  l5 [label="out (Dense)\\nin: (None, 10)\\nout: (None, 2)", shape=box, style=filled, fillcolor="#f6c6c6"];
  l0 -> l2;
  l1 -> l3;
  l2 -> l4;
  l3 -> l4;
  l4 -> l5;
}
"""


def two_input_model():
    a, b = Input((4,), name="a"), Input((3,), name="b")
    h = Concatenate(name="merge")([Dense(5, activation="relu", name="da")(a),
                                   Dense(5, name="db")(b)])
    return Model([a, b], Dense(2, activation="softmax", name="out")(h), name="two_inputs")


def test_model_to_dot_of_a_two_input_model_matches_the_snapshot():
    assert model_to_dot(two_input_model()) == TWO_INPUTS_DOT


def test_a_sequential_model_is_a_chain_from_its_input_layer():
    model = Sequential([Input((6, 6, 1), name="image"), Conv2D(2, 3, name="conv"),
                        Flatten(name="flat"), Dense(3, name="scores")], name="seq")
    nodes, edges, kinds = model_graph(model)
    assert [label.split("\n")[0] for label in nodes.values()] == [
        "image (InputLayer)", "conv (Conv2D)", "flat (Flatten)", "scores (Dense)"]
    assert edges == [("l0", "l1"), ("l1", "l2"), ("l2", "l3")]
    assert kinds == {"l0": "input", "l1": "layer", "l2": "layer", "l3": "output"}
    assert nodes["l1"] == "conv (Conv2D)\nin: (None, 6, 6, 1)\nout: (None, 4, 4, 2)"


def test_label_options_drop_the_names_or_the_shapes():
    model = two_input_model()
    assert model_graph(model, show_shapes=False)[0]["l4"] == "merge (Concatenate)"
    assert model_graph(model, show_layer_names=False)[0]["l4"] == (
        "Concatenate\nin: [(None, 5), (None, 5)]\nout: (None, 10)")


def test_a_shared_layer_is_one_box_and_a_nested_model_is_one_box():
    encoder = Sequential([Dense(4, name="e1"), Dense(2, name="e2")], name="encoder")
    shared = Dense(3, name="shared")
    a, b = Input((3,), name="a"), Input((3,), name="b")
    out = Dense(1, name="head")(encoder(Add(name="sum")([shared(a), shared(b)])))
    nodes, edges, kinds = model_graph(Model([a, b], out))
    labels = [label.split("\n")[0] for label in nodes.values()]
    assert labels.count("shared (Dense)") == 1 and labels.count("encoder (Sequential)") == 1
    assert not any(label.startswith("e1") for label in labels)
    ids = {label: nid for nid, label in zip(nodes, labels)}
    assert (ids["a (InputLayer)"], ids["shared (Dense)"]) in edges
    assert (ids["b (InputLayer)"], ids["shared (Dense)"]) in edges
    assert edges.count((ids["shared (Dense)"], ids["sum (Add)"])) == 1   # once per pair


def test_plot_model_writes_a_png_with_a_drawing(tmp_path):
    path = plot_model(two_input_model(), tmp_path / "model.png")
    assert_drawn(path, tmp_path, "model.png")


def test_plot_model_failure_leaves_the_existing_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.png"
    path.write_bytes(b"the previous drawing")
    break_savefig(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        plot_model(two_input_model(), path)
    assert path.read_bytes() == b"the previous drawing"
    assert os.listdir(tmp_path) == ["model.png"]


def test_plot_model_errors(tmp_path):
    with pytest.raises(ValueError, match="plot_model: the model 'lazy' is not built yet"):
        plot_model(Sequential([Dense(2)], name="lazy"), tmp_path / "m.png")
    with pytest.raises(TypeError, match="plot_model: expected a tinydl Model"):
        model_to_dot(np.zeros(3))
    with pytest.raises(ValueError, match=r"plot_model: to_file must end in \.png"):
        plot_model(two_input_model(), tmp_path / "m.svg")
    assert os.listdir(tmp_path) == []
