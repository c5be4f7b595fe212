"""Pictures of graphs: the graph the autograd engine recorded, and a model's layer graph
(`plot_model`, `model_to_dot`, reached as keras.utils names them through tinydl.utils), as
Graphviz DOT text or as a PNG drawn with matplotlib alone (no Graphviz binary needed).

    y = relu(x @ W + b)
    print(to_dot(y, names={"x": x, "W": W, "b": b}))   # paste into any Graphviz viewer
    draw_graph(y, "graph.png", names={"x": x, "W": W, "b": b})

Both must be called BEFORE `y.backward()`: backward releases the graph it walked
(unless `retain_graph=True`), and a released graph can no longer be drawn.

The drawing uses a layered ("Sugiyama") layout written here for any directed acyclic
graph given as `nodes` {id: label} and `edges` [(source id, target id)]:

1. layering: each node goes one layer below its lowest predecessor (the longest path
   from a source), so every edge points downwards; sources are then pulled down to
   just above their first consumer, so that a bias does not sit at the very top;
2. an edge spanning several layers is cut into one-layer pieces by invisible "dummy"
   nodes, so that it bends around boxes instead of crossing them;
3. crossings are reduced by barycentre sweeps: each layer is sorted by the mean position
   of its nodes' neighbours in the layer above (downward sweep) or below (upward sweep);
   the ordering with the fewest crossings wins;
4. x coordinates: each node is pulled towards the mean x of its neighbours, subject to
   the boxes of one layer not overlapping; this least-squares problem is solved exactly
   by isotonic regression (pool adjacent violators).

`layered_layout` and `draw_dag` take any such graph (a model's layer graph too).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Hashable, Mapping, Sequence

import numpy as np

from .autograd import Tensor, topological_order
from .io import atomic_path
from .layers.core import InputLayer
from .models import Model

#: How each kind of node is drawn: (Graphviz shape, fill colour). Leaves are ellipses in
#: DOT and rounded boxes in the PNG; operations are rectangles.
KIND_STYLES: dict[str, tuple[str, str]] = {
    "op": ("box", "#fde9c9"),        # an operation (a Function) or a layer
    "output": ("box", "#f6c6c6"),    # the tensor the graph was drawn for
    "param": ("ellipse", "#cfe8cf"),  # a leaf that requires grad (a weight)
    "leaf": ("ellipse", "#e6e6e6"),   # a leaf that does not (data, a constant)
    "layer": ("box", "#fde9c9"),     # for layer graphs (plot_model)
    "input": ("ellipse", "#e6e6e6"),
}

FONT_SIZE = 9.0                 # points; text is monospace so that widths are predictable
CHAR_WIDTH = 0.62 * FONT_SIZE   # DejaVu Sans Mono advances 0.602 em per character
LINE_HEIGHT = 1.3 * FONT_SIZE
PAD_X, PAD_Y = 6.0, 4.0         # inside a box, around the text
GAP_X, GAP_Y = 18.0, 28.0       # between boxes of a layer, between layers
MARGIN = 10.0
SWEEPS = 4                      # barycentre sweeps (each one down and one up)


# -- the autograd graph as a generic DAG --------------------------------------------------

def autograd_dag(tensor: Tensor, names: Mapping[str, Tensor] | None = None
                 ) -> tuple[dict[str, str], list[tuple[str, str]], dict[str, str]]:
    """The graph that produced `tensor` as (nodes, edges, kinds).

    nodes: {node id: label}, in topological order (inputs first). Ids are "n0", "n1", ...
        in that order, so the same computation always gets the same ids.
    edges: [(input id, op id)], for every input of every operation, in input order
        (x * x gives the edge twice).
    kinds: {node id: "op" | "output" | "param" | "leaf"} (see KIND_STYLES).
    Labels: an operation shows its Function class name (MatMul, ReLU, ...); every node
    shows its shape and dtype; leaves that require grad say so; a one-element constant
    shows its value. `names` maps a name to a
    tensor of the graph, shown as the first line of that tensor's label.

    Raises RuntimeError if backward() has already released (part of) the graph.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"autograd_dag: expected a Tensor, got {type(tensor).__name__}")
    given = {}
    for name, t in (names or {}).items():
        if not isinstance(t, Tensor):
            raise TypeError(f"autograd_dag: names[{name!r}] must be a Tensor, got "
                            f"{type(t).__name__}")
        given[id(t)] = str(name)

    order = topological_order(
        tensor, every_input=True,
        freed="to_dot / draw_graph: the graph that produced this tensor was released by "
              "backward(); draw it before calling backward() (or call "
              "backward(retain_graph=True))")

    ids = {id(t): f"n{i}" for i, t in enumerate(order)}
    nodes: dict[str, str] = {}
    kinds: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    for t in order:
        nid = ids[id(t)]
        lines = [given[id(t)]] if id(t) in given else []
        if t._fn is not None:
            lines.append(t._fn.op or type(t._fn).__name__)   # the op, e.g. "matmul"
            kinds[nid] = "output" if t is tensor else "op"
            edges.extend((ids[id(inp)], nid) for inp in t._fn.inputs)
        else:
            kinds[nid] = "param" if t.requires_grad else "leaf"
        lines.append(f"{tuple(t.shape)} {t.dtype}")
        if t._fn is None and t.requires_grad:
            lines.append("requires_grad")
        elif t._fn is None and t.size == 1:      # a constant such as the 2 in x * 2
            lines.append(f"= {t.data.item():g}")
        nodes[nid] = "\n".join(lines)
    return nodes, edges, kinds


def _dot_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def dag_to_dot(nodes: Mapping[str, str], edges: Sequence[tuple[str, str]],
               kinds: Mapping[str, str] | None = None, graph_name: str = "G") -> str:
    """Graphviz DOT text of a DAG: nodes {id: label}, edges [(source, target)], kinds
    {id: a key of KIND_STYLES} (default "op"). One line per node then one per edge, in
    the order given, so the text is deterministic."""
    _check_graph("dag_to_dot", nodes, edges)
    kinds = kinds or {}
    lines = [f"digraph {graph_name} {{",
             "  rankdir=TB;",
             f'  node [fontname="Helvetica", fontsize={FONT_SIZE:g}];']
    for nid, label in nodes.items():
        shape, fill = _style("dag_to_dot", kinds.get(nid, "op"))
        lines.append(f"  {nid} [label={_dot_string(label)}, shape={shape}, style=filled, "
                     f'fillcolor="{fill}"];')
    lines += [f"  {a} -> {b};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_dot(tensor: Tensor, names: Mapping[str, Tensor] | None = None) -> str:
    """Graphviz DOT text of the autograd graph that produced `tensor`.

    Nodes are tensors: operations as boxes labelled with the Function's class name,
    leaves as ellipses (green: requires grad, grey: data or constants), each with its
    shape and dtype; an edge runs from each input to the operation that used it. Node ids
    n0, n1, ... follow a depth-first topological order, so the text is reproducible.
    `names` ({"x": x, "W": W}) labels chosen tensors.

    Call it BEFORE backward(): backward releases the graph (RuntimeError here if it did).
    """
    return dag_to_dot(*autograd_dag(tensor, names), graph_name="autograd")


def draw_graph(tensor: Tensor, path: str | os.PathLike, names: Mapping[str, Tensor] | None = None,
               title: str | None = None) -> Path:
    """Draw the autograd graph that produced `tensor` (as in `to_dot`) to a PNG at `path`,
    inputs at the top, `tensor` at the bottom. Call it BEFORE backward(). Returns the path."""
    nodes, edges, kinds = autograd_dag(tensor, names)
    return draw_dag(nodes, edges, path, title=title, kinds=kinds)


# -- the layered layout ---------------------------------------------------------------------

@dataclass(frozen=True)
class Box:
    """A node's box: centre (x, y) and size, in points; y grows downwards (layer 0 on top)."""
    x: float
    y: float
    width: float
    height: float
    layer: int


@dataclass
class Layout:
    """The result of `layered_layout`.

    boxes: {node id: Box} for every node.
    routes: one polyline [(x, y), ...] per edge, in the order of `edges`, from the bottom
        of the source's box through the dummy nodes to the top of the target's box.
    layers: the node ids of each layer from left to right; dummy nodes (bends of long
        edges) appear as tuples ("dummy", edge index, k).
    width, height: the extent of the drawing in points (origin top-left).
    """
    boxes: dict[str, Box]
    routes: list[list[tuple[float, float]]]
    layers: list[list[Hashable]]
    width: float
    height: float


def _check_graph(fn: str, nodes: Mapping[str, str], edges: Sequence[tuple[str, str]]) -> None:
    if not isinstance(nodes, Mapping):
        raise TypeError(f"{fn}: nodes must be a mapping {{id: label}}, got {type(nodes).__name__}")
    for edge in edges:
        if len(edge) != 2 or edge[0] not in nodes or edge[1] not in nodes:
            raise ValueError(f"{fn}: edge {edge!r} must be a pair (source, target) of node ids "
                             f"in nodes")
        if edge[0] == edge[1]:
            raise ValueError(f"{fn}: edge {edge!r} is a self-loop; expected a DAG")


def _style(fn: str, kind: str) -> tuple[str, str]:
    if kind not in KIND_STYLES:
        raise ValueError(f"{fn}: unknown node kind {kind!r}; expected one of {list(KIND_STYLES)}")
    return KIND_STYLES[kind]


def _layers_of(nodes: Mapping[str, str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering (raises ValueError on a cycle), sources pulled down."""
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    succs: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        preds[b].append(a)
        succs[a].append(b)
    indegree = {n: len(set(p)) for n, p in preds.items()}
    ready = [n for n in nodes if indegree[n] == 0]
    layer: dict[str, int] = {}
    while ready:                                  # Kahn's algorithm: topological order
        n = ready.pop()
        layer[n] = 1 + max((layer[p] for p in preds[n]), default=-1)
        for s in dict.fromkeys(succs[n]):
            indegree[s] -= 1
            if indegree[s] == 0:
                ready.append(s)
    if len(layer) != len(nodes):
        cyclic = [n for n in nodes if n not in layer]
        raise ValueError(f"layered_layout: the graph has a cycle through {cyclic[:5]}; "
                         f"expected a directed acyclic graph")
    for n in nodes:
        if not preds[n] and succs[n]:
            layer[n] = min(layer[s] for s in succs[n]) - 1
    return layer


def _crossings(order: list[list[Hashable]], segments: list[tuple[Hashable, Hashable, int]]) -> int:
    """Edge crossings between adjacent layers: pairs of segments whose ends swap order."""
    pos = {n: i for row in order for i, n in enumerate(row)}
    total = 0
    for k in range(len(order) - 1):
        ends = np.array([(pos[a], pos[b]) for a, b, lay in segments if lay == k], dtype=float)
        if len(ends) < 2:
            continue
        du = np.sign(ends[:, 0, None] - ends[None, :, 0])
        dv = np.sign(ends[:, 1, None] - ends[None, :, 1])
        total += int((du * dv < 0).sum()) // 2
    return total


def _isotonic(values: list[float]) -> list[float]:
    """The non-decreasing sequence closest to `values` in least squares (pool adjacent
    violators: merge neighbouring blocks while they are out of order, each block at its
    mean)."""
    blocks: list[tuple[float, int]] = []
    for v in values:
        blocks.append((v, 1))
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (m2, n2), (m1, n1) = blocks.pop(), blocks.pop()
            blocks.append(((m1 * n1 + m2 * n2) / (n1 + n2), n1 + n2))
    return [m for m, n in blocks for _ in range(n)]


def _place_row(row: list[Hashable], wanted: list[float], widths: Mapping[Hashable, float],
               dummy: set[Hashable]) -> list[float]:
    """x positions closest to `wanted` such that neighbouring boxes keep their gap:
    with x_i = y_i + c_i (c_i the cumulated minimal distances), the constraints become
    y non-decreasing, an isotonic regression."""
    offsets = [0.0]
    for a, b in zip(row, row[1:]):
        gap = GAP_X / 2 if (a in dummy or b in dummy) else GAP_X
        offsets.append(offsets[-1] + (widths[a] + widths[b]) / 2 + gap)
    y = _isotonic([w - c for w, c in zip(wanted, offsets)])
    return [yi + c for yi, c in zip(y, offsets)]


def _box_size(label: str) -> tuple[float, float]:
    lines = label.split("\n")
    return (max(len(line) for line in lines) * CHAR_WIDTH + 2 * PAD_X,
            len(lines) * LINE_HEIGHT + 2 * PAD_Y)


def layered_layout(nodes: Mapping[str, str], edges: Sequence[tuple[str, str]]) -> Layout:
    """Lay out a DAG in layers, top to bottom: every edge goes from a lower layer to a
    higher one, boxes of a layer never overlap, edge crossings are reduced.

    nodes: {id: label} (labels may hold newlines: they set the box sizes); edges:
    [(source id, target id)]. Returns a `Layout` (coordinates in points). The result
    depends only on the arguments (their order included): it is deterministic.
    """
    _check_graph("layered_layout", nodes, edges)
    layer = _layers_of(nodes, edges)
    n_layers = 1 + max(layer.values(), default=-1)

    # cut long edges into one-layer segments (u, v, layer of u) through dummy nodes
    order: list[list[Hashable]] = [[] for _ in range(n_layers)]
    for n in nodes:
        order[layer[n]].append(n)
    chains: list[list[Hashable]] = []
    segments: list[tuple[Hashable, Hashable, int]] = []
    dummy: set[Hashable] = set()
    for e, (a, b) in enumerate(edges):
        chain: list[Hashable] = [a]
        for k in range(layer[a] + 1, layer[b]):
            d = ("dummy", e, k)
            dummy.add(d)
            order[k].append(d)
            chain.append(d)
        chain.append(b)
        chains.append(chain)
        segments += [(u, v, layer[a] + i) for i, (u, v) in enumerate(zip(chain, chain[1:]))]
    up: dict[Hashable, list[Hashable]] = {n: [] for row in order for n in row}
    down: dict[Hashable, list[Hashable]] = {n: [] for row in order for n in row}
    for u, v, _ in segments:
        down[u].append(v)
        up[v].append(u)

    # crossing reduction: barycentre sweeps, keep the best ordering seen
    best, best_count = [row[:] for row in order], _crossings(order, segments)
    for _ in range(SWEEPS):
        for direction in ("down", "up"):
            rows = range(1, n_layers) if direction == "down" else range(n_layers - 2, -1, -1)
            for k in rows:
                ref = order[k - 1] if direction == "down" else order[k + 1]
                pos = {n: i for i, n in enumerate(ref)}
                neighbours = up if direction == "down" else down

                def key(item: tuple[int, Hashable]) -> float:
                    i, n = item
                    ns = neighbours[n]
                    return float(np.mean([pos[m] for m in ns])) if ns else float(i)
                order[k] = [n for _, n in sorted(enumerate(order[k]), key=key)]
            count = _crossings(order, segments)
            if count < best_count:
                best, best_count = [row[:] for row in order], count
    order = best

    # sizes and coordinates
    size = {n: _box_size(nodes[n]) for n in nodes}
    widths = {n: (size[n][0] if n in size else 0.0) for row in order for n in row}
    x = {}
    for row in order:
        xs = _place_row(row, [0.0] * len(row), widths, dummy)
        shift = (xs[0] + xs[-1]) / 2 if xs else 0.0
        x.update({n: xi - shift for n, xi in zip(row, xs)})
    for _ in range(SWEEPS):
        for direction in ("down", "up"):
            rows = range(1, n_layers) if direction == "down" else range(n_layers - 2, -1, -1)
            neighbours = up if direction == "down" else down
            for k in rows:
                wanted = [float(np.mean([x[m] for m in neighbours[n]])) if neighbours[n] else x[n]
                          for n in order[k]]
                x.update(zip(order[k], _place_row(order[k], wanted, widths, dummy)))

    heights = [max((size[n][1] for n in row if n in size), default=LINE_HEIGHT) for row in order]
    tops = np.concatenate([[0.0], np.cumsum(np.array(heights) + GAP_Y)])
    y = {n: float(MARGIN + tops[k] + heights[k] / 2) for k, row in enumerate(order) for n in row}
    left = min((x[n] - widths[n] / 2 for n in x), default=0.0)
    right = max((x[n] + widths[n] / 2 for n in x), default=0.0)
    x = {n: xi - left + MARGIN for n, xi in x.items()}
    boxes = {n: Box(x[n], y[n], size[n][0], size[n][1], layer[n]) for n in nodes}

    # routes: spread the edges leaving (entering) a box along its bottom (top) side
    out_ports: dict[Hashable, list[int]] = {n: [] for n in nodes}
    in_ports: dict[Hashable, list[int]] = {n: [] for n in nodes}
    for e, chain in enumerate(chains):
        out_ports[chain[0]].append(e)
        in_ports[chain[-1]].append(e)

    def port(n: Hashable, e: int, bottom: bool) -> float:
        ports, neighbour = (out_ports, 1) if bottom else (in_ports, -2)
        ranked = sorted(ports[n], key=lambda f: (x[chains[f][neighbour]], f))
        frac = (ranked.index(e) + 1) / (len(ranked) + 1)
        return x[n] + (frac - 0.5) * 0.6 * boxes[n].width

    routes = []
    for e, chain in enumerate(chains):
        a, b = chain[0], chain[-1]
        start = (port(a, e, True), y[a] + boxes[a].height / 2)
        end = (port(b, e, False), y[b] - boxes[b].height / 2)
        routes.append([start, *((x[d], y[d]) for d in chain[1:-1]), end])
    height = float(MARGIN + tops[n_layers] - GAP_Y + MARGIN) if n_layers else 2 * MARGIN
    return Layout(boxes, routes, order, float(right - left + 2 * MARGIN), height)


# -- drawing -------------------------------------------------------------------------------

def draw_dag(nodes: Mapping[str, str], edges: Sequence[tuple[str, str]], path: str | os.PathLike,
             title: str | None = None, kinds: Mapping[str, str] | None = None,
             dpi: float = 100.0) -> Path:
    """Draw a DAG (nodes {id: label}, edges [(source, target)]) to a PNG with the
    `layered_layout`, with matplotlib's Agg canvas only. kinds {id: key of KIND_STYLES}
    colours the boxes (default "op"); leaves ("param", "leaf", "input") get rounded
    corners. The file is written to a temporary name in the same folder and renamed, so
    a failure leaves any existing file intact. Returns the path."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path as MplPath

    kinds = kinds or {}
    styles = {n: _style("draw_dag", kinds.get(n, "op")) for n in nodes}
    layout = layered_layout(nodes, edges)
    head = 2 * LINE_HEIGHT if title else 0.0
    title_width = len(title) * CHAR_WIDTH * (FONT_SIZE + 2) / FONT_SIZE + 2 * MARGIN if title else 0
    width, height = max(layout.width, 60.0, title_width), layout.height + head
    layout_shift = (width - layout.width) / 2     # centre the graph under a wider title
    # 1 data unit = 1 point, so that text sizes match the box sizes computed in points;
    # a huge graph lowers the resolution rather than exceed the image size limits
    dpi = min(dpi, 30000 * 72 / max(width, height))
    fig = Figure(figsize=(width / 72, height / 72), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-layout_shift, width - layout_shift)
    ax.set_ylim(height - head, -head)
    ax.axis("off")
    if title:
        ax.text(layout.width / 2, -head / 2, title, ha="center", va="center", fontsize=FONT_SIZE + 2,
                family="monospace")
    for route in layout.routes:
        codes = [MplPath.MOVETO] + [MplPath.LINETO] * (len(route) - 1)
        ax.add_patch(FancyArrowPatch(path=MplPath(route, codes), arrowstyle="-|>",
                                     mutation_scale=8, linewidth=0.8, color="#444444"))
    for n, box in layout.boxes.items():
        shape, fill = styles[n]
        style = "round,pad=0,rounding_size=6" if shape == "ellipse" else "square,pad=0"
        ax.add_patch(FancyBboxPatch((box.x - box.width / 2, box.y - box.height / 2),
                                    box.width, box.height, boxstyle=style, facecolor=fill,
                                    edgecolor="#333333", linewidth=0.8))
        ax.text(box.x, box.y, nodes[n], ha="center", va="center", fontsize=FONT_SIZE,
                family="DejaVu Sans Mono", linespacing=1.15)
    return _save_atomically(fig, Path(path), dpi)


def _save_atomically(fig: Any, path: Path, dpi: float) -> Path:
    with atomic_path(path) as tmp:          # tinydl.io: a failed save leaves what was there
        fig.savefig(tmp, format="png", dpi=dpi, facecolor="white")
    return path


# -- drawing a model -------------------------------------------------------------------------

def _shape_text(tensors: list[Any]) -> str:
    shapes = [str(tuple(t.shape)) for t in tensors]
    return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"


def model_graph(model: Any, show_shapes: bool = True, show_layer_names: bool = True
                ) -> tuple[dict[str, str], list[tuple[str, str]], dict[str, str]]:
    """A built model's layer graph as (nodes, edges, kinds) for `dag_to_dot` and `draw_dag`.

    nodes: {"l0": label, "l1": ...}, one per layer, in the model's topological order
        (its `_nodes`, inputs first; a Sequential's InputLayer included, as Keras draws
        it). A label is "name (Class)" (or "Class" without layer names), then, with
        shapes, "in: (None, ...)" and "out: (None, ...)" of the layer's first call in
        the model (an InputLayer shows only its output). A nested model is one layer:
        one box.
    edges: [(producer id, consumer id)] for every tensor a layer reads, once per pair
        (a layer called twice, e.g. a shared Dense, has one box and the edges of both
        calls).
    kinds: "input" for InputLayers, "output" for the layers that produce the model's
        outputs, "layer" otherwise (the colours of `KIND_STYLES`).
    """
    if not isinstance(model, Model):
        raise TypeError(f"plot_model: expected a tinydl Model or Sequential, got "
                        f"{type(model).__name__}")
    if not getattr(model, "built", False):
        raise ValueError(f"plot_model: the model {model.name!r} is not built yet: give it an "
                         f"Input (or input_shape=), call model.build((None, ...)), or call it "
                         f"on data first")
    ids: dict[int, str] = {}
    first_call: dict[int, Any] = {}
    for node in model._nodes:
        key = id(node.layer)
        if key not in ids:
            ids[key] = f"l{len(ids)}"
            first_call[key] = node
    outputs = {id(t.node.layer) for t in model.outputs}
    nodes: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for key, nid in ids.items():
        node = first_call[key]
        layer, cls = node.layer, type(node.layer).__name__
        lines = [f"{layer.name} ({cls})" if show_layer_names else cls]
        is_input = isinstance(layer, InputLayer)
        if show_shapes:
            if not is_input:
                lines.append(f"in: {_shape_text(node.inputs)}")
            lines.append(f"out: {_shape_text(node.outputs)}")
        nodes[nid] = "\n".join(lines)
        kinds[nid] = "input" if is_input else "output" if key in outputs else "layer"
    edges = list(dict.fromkeys((ids[id(t.node.layer)], ids[id(node.layer)])
                               for node in model._nodes for t in node.inputs))
    return nodes, edges, kinds


def model_to_dot(model: Any, show_shapes: bool = True, show_layer_names: bool = True) -> str:
    """Graphviz DOT text of a built model's layer graph (see `model_graph`): one box per
    layer, an edge per connection. Keras returns a pydot object; this returns the text
    (paste it into any Graphviz viewer, or `dot -Tpng`)."""
    nodes, edges, kinds = model_graph(model, show_shapes, show_layer_names)
    return dag_to_dot(nodes, edges, kinds, graph_name=re.sub(r"\W", "_", model.name) or "G")


def plot_model(model: Any, to_file: str | os.PathLike = "model.png", show_shapes: bool = True,
               show_layer_names: bool = True, dpi: float = 100.0) -> Path:
    """Draw a built model's layer graph to a PNG, like `keras.utils.plot_model`: one box
    per layer ("name (Class)", its input and output shapes), arrows from each layer to
    the layers that read its output, inputs at the top. Sequential and functional models
    alike; a nested model is one box (Keras' expand_nested is not supported).

    Drawn with matplotlib alone by `draw_dag` (no Graphviz needed); written to
    a temporary file in the same folder and renamed, so a failure leaves an existing file
    intact. Unlike Keras (whose defaults are False), shapes and names are shown by
    default. Returns the path.
    """
    path = Path(to_file)
    if path.suffix.lower() != ".png":
        raise ValueError(f"plot_model: to_file must end in .png (tinydl draws PNGs only), got "
                         f"{str(to_file)!r}")
    nodes, edges, kinds = model_graph(model, show_shapes, show_layer_names)
    return draw_dag(nodes, edges, path, title=f"{model.name} ({type(model).__name__})",
                    kinds=kinds, dpi=dpi)
