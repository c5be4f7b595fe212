"""`model.summary()`: one row per layer — name (type), output shape, parameter count —
and, for a graph that is not a plain chain, the layers each one is connected to, written
as Keras writes them: `conv2d[0][0]` is output 0 of the first call (node 0) of conv2d.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence


def _connections(model: Any, layer: Any) -> str:
    """'a[0][0], b[1][0]': the tensors this layer's calls inside `model` read."""
    in_model = {id(node) for node in model._nodes}
    sources = []
    for node in layer._inbound_nodes:
        if id(node) not in in_model:
            continue
        for t in node.inputs:
            producer = t.node.layer
            sources.append(f"{producer.name}[{producer._inbound_nodes.index(t.node)}][{t.index}]")
    return ", ".join(sources) or "-"


def print_summary(model: Any, print_fn: Callable[[str], Any] = print) -> None:
    """Print the table; a Sequential gets no 'Connected to' column (its graph is a chain)."""
    if not model.built:
        raise ValueError(f"{model.name}.summary: the model is not built yet: give the first "
                         f"layer an input_shape, call model.build((None, ...)), or call the "
                         f"model on data first")
    # no 'Connected to' column for a chain, nor for a subclassed model (no graph recorded)
    graph = type(model).__name__ != "Sequential" and not getattr(model, "_subclassed", False)
    header: tuple[str, ...] = ("Layer (type)", "Output Shape", "Param #")
    if graph:
        header += ("Connected to",)
    rows = []
    for layer in model.layers:
        row: tuple[str, ...] = (f"{layer.name} ({type(layer).__name__})", str(layer.output_shape),
                                f"{layer.count_params():,}")
        if graph:
            row += (_connections(model, layer),)
        rows.append(row)
    widths = [max(len(r[i]) for r in [header, *rows]) + 4 for i in range(len(header))]
    width = sum(widths)

    def line(cells: Sequence[str]) -> str:
        return "".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    total = model.count_params()
    trainable = sum(w.size for w in model.trainable_weights)
    print_fn(f'Model: "{model.name}"')
    print_fn("_" * width)
    print_fn(line(header))
    print_fn("=" * width)
    for i, row in enumerate(rows):
        print_fn(line(row))
        print_fn(("_" if i < len(rows) - 1 else "=") * width)
    print_fn(f"Total params: {total:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {total - trainable:,}")
    print_fn("_" * width)
