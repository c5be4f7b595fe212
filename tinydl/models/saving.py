"""The weights file of every model kind: one .npz archive (no pickle).

The file is written to exactly the path given, whatever its ending, through a temporary
file and an atomic rename (`tinydl.io.save_npz`): a save that fails leaves what was there.

Keys: "{i}_{layer name}/{weight name}" for the i-th layer of `model.layers` (e.g.
"0_conv2d/kernel"; a nested model's weights continue the path, "2_encoder/0_conv2d/kernel"),
plus "__classes__", the class names of `model.layers` in order. Loading checks the
whole file against the model (the same layer classes in the same order, the same weight
names and shapes; layer names may differ) before it changes any weight.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..io import load_npz, save_npz


def save_weights(model: Any, filepath: Any) -> None:
    """Write every weight of `model` to `filepath` (see the module docstring)."""
    if not model.built:
        raise ValueError(f"{model.name}.save_weights: the model is not built yet (it has no "
                         f"weights)")
    arrays = {"__classes__": np.array([type(layer).__name__ for layer in model.layers])}
    for i, layer in enumerate(model.layers):
        for name, weight in layer.named_weights():
            arrays[f"{i}_{layer.name}/{name}"] = weight.data
    save_npz(filepath, arrays)


def layer_weight_updates(layer: Any, found: dict[str, Any], here: str) -> list[tuple[Any, Any]]:
    """Pair each weight of `layer` with its array in `found` (weight name -> array), after
    checking that the names and every shape match; raises ValueError starting with `here`
    otherwise. Nothing is written: the caller assigns once every layer has passed."""
    names = [name for name, _ in layer.named_weights()]
    if sorted(found) != sorted(names):
        raise ValueError(f"{here}: the model's weights are {names} but the file has "
                         f"{sorted(found)}")
    updates = []
    for name, weight in layer.named_weights():
        if found[name].shape != weight.shape:
            raise ValueError(f"{here}, {type(layer).__name__}: {name} has shape "
                             f"{weight.shape} in the model but {found[name].shape} in "
                             f"the file")
        updates.append((weight, found[name]))
    return updates


def load_weights(model: Any, filepath: Any) -> None:
    """Load a file written by `save_weights` into `model`, in place, all or nothing."""
    if not model.built:
        raise ValueError(f"{model.name}.load_weights: build the model first (give the first "
                         f"layer an input_shape, or call model.build((None, ...)))")
    path = str(filepath)
    caller = f"{model.name}.load_weights"
    saved = load_npz(filepath, what="weights saved by save_weights", caller=caller)
    if "__classes__" not in saved:
        keys = ", ".join(list(saved)[:5]) or "nothing"
        raise ValueError(f"{caller}: cannot load {path!r}: it is an .npz file but not tinydl "
                         f"weights (it holds {keys}); expected weights saved by save_weights")
    classes = [str(c) for c in saved.pop("__classes__")]
    layers = model.layers
    updates = []
    for i, layer in enumerate(layers):
        here = f"load_weights: layer {i} ({layer.name})"
        if i >= len(classes):
            raise ValueError(f"{here}: the model has {len(layers)} layers but the file "
                             f"{path} has {len(classes)}")
        if classes[i] != type(layer).__name__:
            raise ValueError(f"{here}: the model has a layer of class {type(layer).__name__} "
                             f"there but the file has one of class {classes[i]}")
        found = {key.split("/", 1)[1]: array for key, array in saved.items()
                 if key.startswith(f"{i}_")}
        updates += layer_weight_updates(layer, found, here)
    if len(classes) > len(layers):
        raise ValueError(f"load_weights: the file {path} has {len(classes)} layers but the "
                         f"model has {len(layers)}; layer {len(layers)} "
                         f"({classes[len(layers)]}) is not in the model")
    for weight, array in updates:
        weight.data[...] = array   # in place: the optimizer's state stays attached
