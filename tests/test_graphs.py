"""Tests of tinydl.graphs: the DOT text of small autograd graphs against exact snapshots,
the layered layout's properties on hypothesis-drawn DAGs (edges point downwards, boxes
never overlap, trees are drawn without crossings), the PNG, atomic writing, errors."""
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinydl.functional as F
from tinydl import Tensor
from tinydl.graphs import autograd_dag, draw_dag, draw_graph, layered_layout, to_dot

from drawing_helpers import assert_drawn, break_savefig

# -- DOT snapshots ----------------------------------------------------------------------

DENSE_RELU_DOT = """\
digraph autograd {
  rankdir=TB;
  node [fontname="Helvetica", fontsize=9];
  n0 [label="x\\n(2, 3) float64", shape=ellipse, style=filled, fillcolor="#e6e6e6"];
  n1 [label="W\\n(3, 2) float64\\nrequires_grad", shape=ellipse, style=filled, fillcolor="#cfe8cf"];
  n2 [label="matmul\\n(2, 2) float64", shape=box, style=filled, fillcolor="#fde9c9"];
  n3 [label="b\\n(2,) float64\\nrequires_grad", shape=ellipse, style=filled, fillcolor="#cfe8cf"];
  n4 [label="add\\n(2, 2) float64", shape=box, style=filled, fillcolor="#fde9c9"];
  n5 [label="y\\nrelu\\n(2, 2) float64", shape=box, style=filled, fillcolor="#f6c6c6"];
  n0 -> n2;
  n1 -> n2;
  n2 -> n4;
  n3 -> n4;
  n4 -> n5;
}
"""

SQUARE_SUM_DOT = """\
digraph autograd {
  rankdir=TB;
  node [fontname="Helvetica", fontsize=9];
  n0 [label="(3,) float32\\nrequires_grad", shape=ellipse, style=filled, fillcolor="#cfe8cf"];
  n1 [label="mul\\n(3,) float32", shape=box, style=filled, fillcolor="#fde9c9"];
  n2 [label="sum\\n() float32", shape=box, style=filled, fillcolor="#fde9c9"];
  n3 [label="() float32\\n= 2", shape=ellipse, style=filled, fillcolor="#e6e6e6"];
  n4 [label="mul\\n() float32", shape=box, style=filled, fillcolor="#f6c6c6"];
  n0 -> n1;
  n0 -> n1;
  n1 -> n2;
  n2 -> n4;
  n3 -> n4;
}
"""


def dense_relu():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    W = Tensor(np.ones((3, 2)), requires_grad=True)
    b = Tensor(np.zeros(2), requires_grad=True)
    y = F.relu(x @ W + b)
    return y, {"x": x, "W": W, "b": b, "y": y}


def test_to_dot_of_a_dense_relu_layer_matches_the_snapshot():
    y, names = dense_relu()
    assert to_dot(y, names=names) == DENSE_RELU_DOT


def test_to_dot_of_a_square_sum_shows_the_shared_input_twice_and_the_constant():
    a = Tensor(np.array([1.0, 2.0, 3.0], np.float32), requires_grad=True)
    assert to_dot((a * a).sum() * 2.0) == SQUARE_SUM_DOT


def test_to_dot_refuses_a_graph_released_by_backward():
    y, names = dense_relu()
    y.sum().backward(retain_graph=True)
    assert to_dot(y, names=names) == DENSE_RELU_DOT      # retained: still drawable
    loss = y.sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="before calling backward"):
        to_dot(loss)
    with pytest.raises(TypeError, match="expected a Tensor"):
        to_dot(np.ones(3))


# -- the layout -------------------------------------------------------------------------

@st.composite
def dags(draw, max_nodes=12):
    """(nodes, edges): edges only from a lower to a higher index of a random order, so the
    graph is acyclic; the nodes dict is listed in another random order."""
    n = draw(st.integers(1, max_nodes))
    rank = draw(st.permutations(range(n)))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=2 * n) if pairs else st.just([]))
    labels = draw(st.lists(st.text("abcXYZ(), 0123456789\n", min_size=1, max_size=14),
                           min_size=n, max_size=n))
    nodes = {f"v{rank[i]}": labels[i] for i in draw(st.permutations(range(n)))}
    return nodes, [(f"v{rank[i]}", f"v{rank[j]}") for i, j in chosen]


def assert_well_laid_out(nodes, edges, layout):
    boxes = layout.boxes
    assert set(boxes) == set(nodes)
    for a, b in edges:
        assert boxes[a].layer < boxes[b].layer, (a, b)
    by_layer = {}
    for n, box in boxes.items():
        by_layer.setdefault(box.layer, []).append(box)
    for row in by_layer.values():
        row.sort(key=lambda box: box.x)
        for left, right in zip(row, row[1:]):
            assert left.x + left.width / 2 < right.x - right.width / 2
    layers = sorted(by_layer)
    for upper, lower in zip(layers, layers[1:]):      # layers do not overlap vertically
        assert (max(b.y + b.height / 2 for b in by_layer[upper])
                < min(b.y - b.height / 2 for b in by_layer[lower]))
    for (a, b), route in zip(edges, layout.routes):   # a route leaves a's bottom, enters b's top
        assert route[0][1] == pytest.approx(boxes[a].y + boxes[a].height / 2)
        assert route[-1][1] == pytest.approx(boxes[b].y - boxes[b].height / 2)
        assert all(p[1] < q[1] for p, q in zip(route, route[1:]))
    for box in boxes.values():
        assert 0 <= box.x - box.width / 2 and box.x + box.width / 2 <= layout.width
        assert 0 <= box.y - box.height / 2 and box.y + box.height / 2 <= layout.height


@settings(max_examples=40)
@given(dags())
def test_layout_edges_go_down_and_boxes_never_overlap(graph):
    nodes, edges = graph
    assert_well_laid_out(nodes, edges, layered_layout(nodes, edges))


def crossings(edges, layout):
    """Pairs of one-layer edges between the same two layers whose ends swap order."""
    count = 0
    for i, (a, b) in enumerate(edges):
        for (c, d), r, s in ((edges[j], layout.routes[i], layout.routes[j])
                             for j in range(i + 1, len(edges))):
            if layout.boxes[a].layer == layout.boxes[c].layer:
                count += (r[0][0] - s[0][0]) * (r[-1][0] - s[-1][0]) < 0
    return count


@settings(max_examples=40)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=14), st.randoms(use_true_random=False))
def test_layout_draws_a_tree_without_crossings(parents, random):
    # node k + 1 hangs below an earlier node: every edge spans one layer, and the
    # downward barycentre sweep keeps each node's children together
    edges = [(f"v{p % (k + 1)}", f"v{k + 1}") for k, p in enumerate(parents)]
    names = [f"v{k}" for k in range(len(parents) + 1)]
    random.shuffle(names)
    nodes = {n: n for n in names}
    layout = layered_layout(nodes, edges)
    assert_well_laid_out(nodes, edges, layout)
    assert crossings(edges, layout) == 0


def test_layout_removes_the_crossing_of_a_swapped_pair():
    nodes = {"a": "a", "b": "b", "c": "c", "d": "d"}
    edges = [("a", "d"), ("b", "c")]     # in the given order, a/b over c/d: one crossing
    layout = layered_layout(nodes, edges)
    assert crossings(edges, layout) == 0
    assert layout.boxes["d"].x < layout.boxes["c"].x


def test_layout_of_an_autograd_graph_puts_weights_next_to_their_op():
    y, names = dense_relu()
    nodes, edges, kinds = autograd_dag(y, names)
    layout = layered_layout(nodes, edges)
    assert_well_laid_out(nodes, edges, layout)
    # b is pulled down to just above the Add that uses it, not left at the top
    assert [layout.boxes[n].layer for n in nodes] == [0, 0, 1, 1, 2, 3]
    assert kinds == {"n0": "leaf", "n1": "param", "n2": "op", "n3": "param", "n4": "op",
                     "n5": "output"}


def test_layout_errors():
    with pytest.raises(ValueError, match="cycle"):
        layered_layout({"a": "a", "b": "b"}, [("a", "b"), ("b", "a")])
    with pytest.raises(ValueError, match="edge .* node ids"):
        layered_layout({"a": "a"}, [("a", "z")])
    with pytest.raises(ValueError, match="self-loop"):
        layered_layout({"a": "a"}, [("a", "a")])
    with pytest.raises(ValueError, match="unknown node kind"):
        draw_dag({"a": "a"}, [], "unused.png", kinds={"a": "circle"})


# -- drawing ------------------------------------------------------------------------------

def test_draw_graph_writes_a_png_with_a_drawing(tmp_path):
    y, names = dense_relu()
    path = draw_graph((y * y).sum(), tmp_path / "graph.png", names=names, title="a graph")
    assert_drawn(path, tmp_path, "graph.png")


def test_draw_dag_failure_leaves_the_existing_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.png"
    path.write_bytes(b"the previous drawing")
    break_savefig(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        draw_dag({"a": "Dense", "b": "ReLU"}, [("a", "b")], path)
    assert path.read_bytes() == b"the previous drawing"
    assert os.listdir(tmp_path) == ["model.png"]
