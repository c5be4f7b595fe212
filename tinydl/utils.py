"""Helpers around the model API: one-hot labels, the random seed, layer names, and
drawing a model's layer graph.

    from tinydl.utils import to_categorical, set_random_seed
    set_random_seed(42)                              # every run of the script repeats exactly
    y_onehot = to_categorical(y, num_classes=10)     # (N,) labels -> (N, 10) one-hot rows

Randomness: tinydl owns one `np.random.Generator`. Weight initializers, dropout masks
and `fit`'s shuffling draw from it (unless a model or layer was given its own `seed`),
so `set_random_seed(s)` before building and training reproduces a run bit for bit.

    plot_model(model, "model.png")                   # one box per layer, as keras.utils does
    print(model_to_dot(model))                       # the same graph as Graphviz DOT text
"""
from __future__ import annotations

import os
import random
import re
from pathlib import Path
from typing import Any

import numpy as np

_rng: np.random.Generator = np.random.default_rng()   # fresh OS entropy until seeded
_name_counts: dict[str, int] = {}


def set_random_seed(seed: int) -> None:
    """Seed tinydl's random generator (initializers, dropout, shuffling), like
    `keras.utils.set_random_seed`. As Keras does, it also seeds Python's `random` and
    NumPy's global `np.random`, so that the script's own random calls repeat too."""
    global _rng
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"set_random_seed: seed must be a non-negative int, got {seed!r}")
    _rng = np.random.default_rng(int(seed))
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)


def get_rng() -> np.random.Generator:
    """tinydl's shared random generator (reseeded by `set_random_seed`)."""
    return _rng


def unique_name(base: str) -> str:
    """Keras-style automatic names: 'dense', then 'dense_1', 'dense_2', ..."""
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def clear_session() -> None:
    """Restart the automatic layer names at 'dense', 'conv2d', ... (Keras' clear_session)."""
    _name_counts.clear()


def to_categorical(y: Any, num_classes: int | None = None, dtype: Any = "float32") -> np.ndarray:
    """One-hot encode integer class labels, like `keras.utils.to_categorical`.

    Row i of the result is all zeros except a 1 in column y[i]:
        to_categorical([2, 0], 3) == [[0, 0, 1], [1, 0, 0]]

    Args:
        y: labels 0..num_classes-1, any shape (a trailing axis of size 1 is dropped, so
           (N, 1) works like (N,)). Float arrays holding whole numbers are accepted.
        num_classes: K; default max(y) + 1.
        dtype: of the result (default float32, the model's dtype).
    Returns:
        An array of shape y.shape + (K,).
    """
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y[..., 0]
    if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)):
        raise TypeError(f"to_categorical: labels must be integers, got dtype {y.dtype}")
    if y.size and not np.all(np.isfinite(y) & (y == np.round(y))):
        raise ValueError("to_categorical: labels must be whole numbers (class indices "
                         "0, 1, 2, ...); got values with a fractional part, NaN or inf")
    labels = y.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, got {labels.min()}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    elif not isinstance(num_classes, int | np.integer) or num_classes < 1:
        raise ValueError(f"to_categorical: num_classes must be a positive int, got {num_classes!r}")
    if labels.size and labels.max() >= num_classes:
        raise ValueError(f"to_categorical: label {labels.max()} is out of range for "
                         f"num_classes={num_classes} (labels must be 0..{num_classes - 1})")
    out = np.zeros(labels.shape + (int(num_classes),), dtype=dtype)
    np.put_along_axis(out, labels[..., None], 1, axis=-1)
    return out


# -- drawing a model -------------------------------------------------------------------------

def _shape_text(tensors: list[Any]) -> str:
    shapes = [str(tuple(t.shape)) for t in tensors]
    return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"


def model_graph(model: Any, show_shapes: bool = True, show_layer_names: bool = True
                ) -> tuple[dict[str, str], list[tuple[str, str]], dict[str, str]]:
    """A built model's layer graph as (nodes, edges, kinds) for `tinydl.viz`.

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
        outputs, "layer" otherwise (the colours of `tinydl.viz.KIND_STYLES`).
    """
    from .layers.core import InputLayer
    from .models import Model
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
    from .viz import dag_to_dot
    nodes, edges, kinds = model_graph(model, show_shapes, show_layer_names)
    return dag_to_dot(nodes, edges, kinds, graph_name=re.sub(r"\W", "_", model.name) or "G")


def plot_model(model: Any, to_file: str | os.PathLike = "model.png", show_shapes: bool = True,
               show_layer_names: bool = True, dpi: float = 100.0) -> Path:
    """Draw a built model's layer graph to a PNG, like `keras.utils.plot_model`: one box
    per layer ("name (Class)", its input and output shapes), arrows from each layer to
    the layers that read its output, inputs at the top. Sequential and functional models
    alike; a nested model is one box (Keras' expand_nested is not supported).

    Drawn with matplotlib alone by `tinydl.viz.draw_dag` (no Graphviz needed); written to
    a temporary file in the same folder and renamed, so a failure leaves an existing file
    intact. Unlike Keras (whose defaults are False), shapes and names are shown by
    default. Returns the path.
    """
    from .viz import draw_dag
    path = Path(to_file)
    if path.suffix.lower() != ".png":
        raise ValueError(f"plot_model: to_file must end in .png (tinydl draws PNGs only), got "
                         f"{str(to_file)!r}")
    nodes, edges, kinds = model_graph(model, show_shapes, show_layer_names)
    return draw_dag(nodes, edges, path, title=f"{model.name} ({type(model).__name__})",
                    kinds=kinds, dpi=dpi)
