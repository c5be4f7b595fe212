"""Which image sizes a network takes: when a batch cannot go through a model (a U-Net's
pooled and upsampled maps no longer matching its skips, say), `Model` raises an
InputSizeError whose message names the sizes that work, found here by propagating
shapes through the graph with each layer's compute_output_shape (no data computed).
"""
from __future__ import annotations

from typing import Any

from ..layers.core import InputLayer


class InputSizeError(ValueError):
    """A batch whose image size the network cannot take (see `input_size_hint`)."""


#: How far past the given size `input_size_hint` looks for sizes that work.
SIZE_SCAN = 64


def _takes(model: Any, shapes: list[tuple]) -> bool:
    """Whether every layer's shape rule accepts inputs of these shapes: the graph's
    shapes propagated with `compute_output_shape`, no data computed."""
    values: dict[int, Any] = {id(t): (None, *s[1:]) for t, s in zip(model.inputs, shapes)}
    for node in model._nodes:
        if isinstance(node.layer, InputLayer):
            continue
        ins = [values[id(t)] for t in node.inputs]
        try:
            out = node.layer.compute_output_shape(ins if node.input_is_list else ins[0])
        except ValueError:
            return False
        for t, shape in zip(node.outputs, out if isinstance(out, list) else [out]):
            values[id(t)] = tuple(shape)
    return True


def _describe_sizes(sizes: list[int], limit: int) -> str:
    """'multiples of 4', 'every 8 from 12' or a short list, for working sizes 1..limit."""
    if len(sizes) >= 3:
        step = sizes[1] - sizes[0]
        regular = sizes == list(range(sizes[0], limit + 1, step))
        if regular and step > 1:
            return (f"multiples of {step}" if sizes[0] % step == 0 else
                    f"{sizes[0]} and every {step} after it")
        if regular:
            return f"any size from {sizes[0]}"
    return ", ".join(map(str, sizes[:8])) + (", ..." if len(sizes) > 8 else "")


def input_size_hint(model: Any, shapes: list[tuple]) -> str | None:
    """For inputs whose spatial axes are free (None in `tinydl.Input`, e.g. (None, None, 1)
    images), the sizes near the given ones that the network takes, as a sentence; None
    when the given sizes pass every layer's shape rule (the failure has another cause).

    How: the shapes are propagated through the graph by each layer's
    compute_output_shape (no data). Spatial axes are the ones between the batch and the
    last (channel) axis. First one size s for every free axis at once, s = 1 .. given +
    SIZE_SCAN, finds a size s0 the network takes; then each free axis alone runs over
    the sizes, the other free axes at s0. A U-Net with p poolings of 2 takes multiples
    of 2^p: its skips must meet the upsampled maps at the same size.
    """
    free = [(i, j) for i, t in enumerate(model.inputs)
            for j in range(1, len(t.shape) - 1) if t.shape[j] is None]
    if not free or _takes(model, shapes):
        return None
    limit = max(shapes[i][j] for i, j in free) + SIZE_SCAN

    def with_sizes(sizes: dict[tuple[int, int], int]) -> list[tuple]:
        return [tuple(sizes.get((i, j), d) for j, d in enumerate(shape))
                for i, shape in enumerate(shapes)]

    square = next((s for s in range(1, limit + 1)
                   if _takes(model, with_sizes({axis: s for axis in free}))), None)
    if square is None:
        return None
    several = len(model.inputs) > 1
    names = {1: "height", 2: "width"} if all(len(t.shape) == 4 for t in model.inputs) else {}
    parts = []
    for i, j in free:
        others = {axis: square for axis in free}
        sizes = [s for s in range(1, limit + 1)
                 if _takes(model, with_sizes({**others, (i, j): s}))]
        given = shapes[i][j]
        below = [s for s in sizes if s <= given][-1:]
        above = [s for s in sizes if s > given][:1]
        near = " or ".join(map(str, below + above))
        name = names.get(j, f"axis {j}") + (f" of input {i}" if several else "")
        takes = _describe_sizes(sizes, limit)
        parts.append(f"{name} {given} is fine ({takes})" if given in sizes else
                     f"{name} {given}: it takes {takes} (nearest: {near})")
    return ("Sizes that work: " + "; ".join(parts)
            + ". Pad or crop the images to such a size.")
