"""Whole-model saving, as Keras 3's `model.save("name.keras")` / `load_model`.

One file, written atomically through `tinydl.io.save_npz` (no pickle anywhere): an .npz
archive (a zip of .npy arrays) holding

    "__tinydl_model__"   a 0-d string array: the JSON document
                         {"format": "tinydl.model", "version": 1,
                          "class_name": "Sequential" | "Model" | <your class>,
                          "config": model.get_config(),
                          "compile": {"optimizer": {"class_name", "config"},
                                      "loss": [...], "metrics": [...]} or null,
                          "rng_state": the model's generator state or null}
    "w/{i}/{name}"       the weights of model.layers[i]
    "opt/{key}"          optimizer.state_dict(model.trainable_weights)

A functional config lists the layers ({"class_name", "config"}) and the graph: the
nodes in topological order, each {"layer": name, "inputs": [[node, output index], ...],
"is_list": bool}, then "inputs"/"outputs" as [node, output index] pairs.

`load_model` rebuilds everything from the JSON alone, checks every weight's name and
shape, and only then returns the model: a failed load returns nothing and leaves the
file untouched. The optimizer comes back with its state (`state_dict`) and the model's
random generator with its state, so `fit` goes on exactly as the saved model would have.

Classes of your own (a subclassed Model with a `get_config`, a layer, a loss function)
come back through `custom_objects={"MyModel": MyModel}` or by decorating the class with
`@register_keras_serializable()`. The file is tinydl's own (an .npz), not Keras' .keras
zip of config.json + model.weights.h5: each reads only its own.
"""
from __future__ import annotations

import json
import os
import zipfile
from typing import Any, Callable

import numpy as np

from . import layers as layers_module
from . import losses as losses_module
from . import metrics as metrics_module
from . import optimizers as optimizers_module
from .io import load_npz, save_npz

FORMAT = "tinydl.model"
VERSION = 1
_KEY = "__tinydl_model__"

#: Classes registered with `register_keras_serializable`, by "package>name" and by name.
_REGISTERED: dict[str, type] = {}


def register_keras_serializable(package: str = "Custom", name: str | None = None
                                ) -> Callable[[type], type]:
    """Decorator (Keras' name): make a class of your own (a subclassed Model, a Layer)
    loadable by `load_model` without custom_objects. The class needs `get_config()`
    returning its constructor arguments (and `from_config(config)` if `cls(**config)` is
    not enough)."""
    def decorate(cls: type) -> type:
        key = name or cls.__name__
        _REGISTERED[f"{package}>{key}"] = cls
        _REGISTERED[key] = cls
        return cls
    return decorate


def _known_layers() -> dict[str, type]:
    from .layers.layer import Layer
    return {n: c for n, c in vars(layers_module).items()
            if isinstance(c, type) and issubclass(c, Layer)}


def _class(name: str, custom_objects: dict[str, Any] | None, path: str) -> type:
    from .models import Model, Sequential
    known = {**_known_layers(), "Model": Model, "Functional": Model, "Sequential": Sequential,
             **_REGISTERED, **(custom_objects or {})}
    if name not in known:
        raise ValueError(f"load_model: {path}: the config has a class {name!r} that tinydl "
                         f"does not know; pass it as custom_objects={{{name!r}: {name}}} or "
                         f"decorate the class with @tinydl.saving.register_keras_serializable()")
    return known[name]


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if hasattr(value, "get_config"):
        return {"class_name": type(value).__name__, "config": value.get_config()}
    if callable(value):
        raise TypeError(f"cannot save the function {getattr(value, '__qualname__', value)!r} "
                        f"in a model config (a lambda, or a function defined in __main__ or "
                        f"inside another function, e.g. in a Lambda layer): define it at the "
                        f"top level of a module you import, or save the weights alone with "
                        f"save_weights")
    raise TypeError(f"cannot save {value!r} ({type(value).__name__}) in a model config: give "
                    f"it a get_config() or use a name string")


def _tuples(value: Any) -> Any:
    """JSON turns tuples into lists; shapes go back to tuples."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


# -- configs -----------------------------------------------------------------------------

def model_config(model: Any) -> dict[str, Any]:
    """The architecture of a Sequential or functional model as a JSON-able dict."""
    from .models import Sequential
    if model.__dict__.get("_subclassed"):
        own = type(model).get_config
        from .models import Model
        if own is Model.get_config:
            raise TypeError(f"{type(model).__name__}: a subclassed model needs a get_config() "
                            f"returning its constructor arguments (e.g. return {{'units': "
                            f"self.units}}) to be saved or cloned; or save only its weights "
                            f"with save_weights")
        return model.get_config()
    layer_configs = [{"class_name": type(layer).__name__, "config": layer.get_config()}
                     for layer in model.layers]
    if isinstance(model, Sequential):
        shape = list(model.input_shape) if model.built else None
        return {"name": model.name, "dtype": model.dtype.name, "layers": layer_configs,
                "build_input_shape": shape}
    index = {id(node): i for i, node in enumerate(model._nodes)}

    def ref(t: Any) -> list[int]:
        return [index[id(t.node)], t.index]
    nodes = [{"layer": node.layer.name, "inputs": [ref(t) for t in node.inputs],
              "is_list": node.input_is_list} for node in model._nodes]
    return {"name": model.name, "layers": layer_configs, "nodes": nodes,
            "inputs": [ref(t) for t in model.inputs], "outputs": [ref(t) for t in model.outputs],
            "input_struct": model._input_struct, "output_struct": model._output_struct}


def _object(value: Any, custom_objects: Any, path: str) -> Any:
    """An initializer / regularizer saved as {"class_name", "config"} (by `_json_default`)
    made again; any other value as it is."""
    if not (isinstance(value, dict) and set(value) == {"class_name", "config"}):
        return value
    from . import initializers, regularizers
    name = value["class_name"]
    cls = ((custom_objects or {}).get(name) or _REGISTERED.get(name)
           or getattr(initializers, name, None) or getattr(regularizers, name, None))
    if not isinstance(cls, type):
        raise ValueError(f"load_model: {path}: the config has a class {name!r} that tinydl "
                         f"does not know; pass it as custom_objects={{{name!r}: {name}}}")
    if hasattr(cls, "from_config"):
        return cls.from_config(value["config"])
    return cls(**value["config"])


def _make_layer(entry: dict[str, Any], custom_objects: Any, path: str) -> Any:
    cls = _class(entry["class_name"], custom_objects, path)
    config = {k: _tuples(v) if k in ("shape", "input_shape", "kernel_size", "strides",
                                      "pool_size", "size", "target_shape", "padding",
                                      "cropping", "dilation_rate") else
              _object(v, custom_objects, path) for k, v in entry["config"].items()}
    if getattr(cls.from_config, "__func__", None) is _model_from_config_func():
        return cls.from_config(config, custom_objects)          # a nested model
    return cls.from_config(config)


def _model_from_config_func() -> Any:
    from .models import Model
    return Model.from_config.__func__


def model_from_config(config: dict[str, Any], custom_objects: dict[str, Any] | None = None,
                      cls: type | None = None, path: str = "<config>") -> Any:
    """A new model (fresh weights) from `model_config`'s dict; `cls` the model class
    (default: Sequential for a config without "nodes", else Model)."""
    from .models import Model, Sequential
    from .layers.core import InputLayer
    if cls is None:
        cls = Sequential if "nodes" not in config else Model
    if not issubclass(cls, Sequential) and "nodes" not in config:   # a subclassed model
        if getattr(cls.from_config, "__func__", None) is not Model.from_config.__func__:
            return cls.from_config(config)
        return cls(**config)
    if issubclass(cls, Sequential):
        model = cls(name=config["name"], dtype=config.get("dtype", "float32"))
        for entry in config["layers"]:
            model.add(_make_layer(entry, custom_objects, path))
        if config.get("build_input_shape") is not None and not model.built:
            model.build(tuple(config["build_input_shape"]))
        return model
    made = {}
    for entry in config["layers"]:
        layer = _make_layer(entry, custom_objects, path)
        made[layer.name] = layer
    outs: list[list[Any]] = []
    for node in config["nodes"]:
        layer = made[node["layer"]]
        if isinstance(layer, InputLayer):
            outs.append([layer._inbound_nodes[0].outputs[0]])
            continue
        args = [outs[i][k] for i, k in node["inputs"]]
        result = layer(args if node["is_list"] else args[0])
        outs.append(list(result) if isinstance(result, list | tuple) else [result])

    def struct(refs: list, kind: Any) -> Any:
        tensors = [outs[i][k] for i, k in refs]
        if kind == "single":
            return tensors[0]
        return tensors if kind == "list" else dict(zip(kind, tensors))
    return cls(struct(config["inputs"], config["input_struct"]),
               struct(config["outputs"], config["output_struct"]), name=config["name"])


def clone_model(model: Any) -> Any:
    """A new model of the same architecture (the same layer configs and connections) with
    fresh weights (Keras' `clone_model`). A subclassed model needs a get_config()."""
    config = json.loads(json.dumps(model_config(model), default=_json_default))
    return _build(model_from_config(config, cls=type(model)), _input_shape(model))


def _input_shape(model: Any) -> Any:
    return model.input_shape if model.__dict__.get("_subclassed") and model.built else None


def _build(model: Any, shape: Any) -> Any:
    """Build a rebuilt subclassed model for the saved input shape (a graph is built)."""
    if shape is not None and not model.built:
        shape = [tuple(s) for s in shape] if shape and isinstance(shape[0], list | tuple) \
            else tuple(shape)
        model.build(shape)
    return model


def _class_name(model: Any) -> str:
    from .models import Model, Sequential
    if type(model) is Sequential:
        return "Sequential"
    if type(model) is Model:
        return "Model"
    return type(model).__name__


# -- save / load -------------------------------------------------------------------------

def _compile_config(model: Any) -> dict[str, Any] | None:
    opt = model.optimizer
    if opt is None:
        return None
    entry: dict[str, Any] = {"optimizer": {"class_name": type(opt).__name__,
                                           "config": opt.get_config()}}

    def named(fn: Any, kind: str) -> Any:
        if isinstance(fn, str):
            return fn
        if hasattr(fn, "get_config") and not isinstance(fn, type):
            return {"class_name": type(fn).__name__, "config": fn.get_config()}
        return getattr(fn, "__name__", None)
    entry["loss"] = [named(fn, "loss") for fn in model._output_losses]
    names = model.output_names
    groups = []
    for k, group in enumerate(model._output_metrics):
        prefix = f"{names[k]}_" if len(names) > 1 else ""
        # a metric object by its config; a function by the name it was compiled with
        # (the report key without the output's prefix: 'accuracy' stays 'accuracy')
        groups.append([named(fn, "metric") if not isinstance(named(fn, "metric"), str)
                       else key.removeprefix(prefix) for key, fn in group])
    entry["metrics"] = groups
    entry["loss_weights"] = list(model._loss_weights)
    return entry


def save_model(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Write the whole model to `filepath` (must end in ".keras", as in Keras 3): the
    architecture, the weights, the compiled optimizer's config and state, atomically (a
    save that fails leaves the old file whole). overwrite=False refuses an existing file
    (Keras asks at the prompt instead)."""
    path = os.fspath(filepath)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{model.name}.save: {path!r} exists and overwrite=False")
    if not path.endswith(".keras"):
        raise ValueError(f"{model.name}.save: the file name must end in .keras (as in Keras "
                         f"3), got {path!r}; for the weights alone use save_weights")
    if not model.built:
        raise ValueError(f"{model.name}.save: the model is not built yet (no weights); build "
                         f"it (model.build((None, ...))) or call it on data first")
    doc = {"format": FORMAT, "version": VERSION, "class_name": _class_name(model),
           "config": model_config(model), "compile": _compile_config(model),
           "build_input_shape": _input_shape(model),
           "rng_state": model.rng.bit_generator.state if model.rng is not None else None}
    arrays: dict[str, Any] = {_KEY: np.array(json.dumps(doc, default=_json_default))}
    for i, layer in enumerate(model.layers):
        for name, weight in layer.named_weights():
            arrays[f"w/{i}/{name}"] = weight.data
    if model.optimizer is not None:
        for key, value in model.optimizer.state_dict(model.trainable_weights).items():
            arrays[f"opt/{key}"] = value
    save_npz(path, arrays)


def load_model(filepath: Any, custom_objects: dict[str, Any] | None = None,
               compile: bool = True) -> Any:
    """The model saved by `model.save(filepath)`: rebuilt from the config, with its
    weights, and (compile=True) compiled with the saved optimizer restored, so that fit
    continues exactly where the saved model would have."""
    from .models.saving import layer_weight_updates
    path = os.fspath(filepath)
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        if "config.json" in names or any(n.endswith(".h5") for n in names):
            raise ValueError(f"load_model: {path!r} is a Keras .keras file (config.json, "
                             f"model.weights.h5), which tinydl cannot read; rebuild the model "
                             f"in tinydl and save it with model.save")
    except (zipfile.BadZipFile, OSError):
        pass                                  # load_npz says what is wrong
    saved = load_npz(path, what="a model saved by tinydl's model.save", caller="load_model")
    if _KEY not in saved:
        raise ValueError(f"load_model: {path!r} is an .npz archive but not a tinydl model "
                         f"(no {_KEY!r}); weights from save_weights load with "
                         f"model.load_weights")
    try:
        doc = json.loads(str(saved.pop(_KEY)))
    except json.JSONDecodeError as exc:
        raise ValueError(f"load_model: {path!r}: the model config is damaged ({exc})") from None
    if doc.get("format") != FORMAT:
        raise ValueError(f"load_model: {path!r}: unknown format {doc.get('format')!r}")
    if not isinstance(doc.get("version"), int) or doc["version"] > VERSION:
        raise ValueError(f"load_model: {path!r} has format version {doc.get('version')}, "
                         f"newer than this tinydl reads ({VERSION}); upgrade tinydl")
    cls = _class(doc["class_name"], custom_objects, path)
    try:
        model = _build(model_from_config(doc["config"], custom_objects, cls, path),
                       doc.get("build_input_shape"))
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        if path in str(exc):
            raise
        raise ValueError(f"load_model: {path!r}: cannot rebuild the model from its config "
                         f"({type(exc).__name__}: {exc})") from exc
    if doc.get("rng_state") is not None:
        model.rng = np.random.default_rng()
        model.rng.bit_generator.state = doc["rng_state"]
        for layer in model.layers:
            layer.rng = model.rng
    if not model.built:
        raise ValueError(f"load_model: {path!r}: the rebuilt {doc['class_name']} has no "
                         f"weights yet: its build() must create them")
    updates = []
    for i, layer in enumerate(model.layers):
        found = {k.split("/", 2)[2]: v for k, v in saved.items() if k.startswith(f"w/{i}/")}
        updates += layer_weight_updates(layer, found,
                                        f"load_model: {path!r}: layer {i} ({layer.name})")
    for weight, array in updates:
        weight.data[...] = array
    comp = doc.get("compile")
    if compile and comp is not None:
        entry = comp["optimizer"]
        opt_cls = _class(entry["class_name"], {**vars(optimizers_module),
                                                **(custom_objects or {})}, path)
        optimizer = opt_cls.from_config(entry["config"], custom_objects)

        def resolve(item: Any, module: Any) -> Any:
            """A loss / metric: a name (yours in custom_objects) or an object's config."""
            own = custom_objects or {}
            if isinstance(item, str) and item in own:
                return own[item]
            if isinstance(item, dict):
                cls = own.get(item["class_name"]) or getattr(module, item["class_name"], None)
                if not isinstance(cls, type):
                    raise ValueError(f"unknown class {item['class_name']!r}")
                return cls(**item["config"])
            return item
        try:
            loss = [resolve(x, losses_module) for x in comp["loss"]]
            if len(loss) == 1:
                loss = loss[0]
            groups = [[resolve(x, metrics_module) for x in group] for group in comp["metrics"]]
            metrics: Any = None
            if len(groups) == 1:
                metrics = groups[0]
            elif groups:
                metrics = dict(zip(model.output_names, groups))
            if loss is not None and loss != [None]:
                model.compile(optimizer=optimizer, loss=loss, metrics=metrics,
                              loss_weights=comp.get("loss_weights") or None)
            else:
                model.compile(optimizer=optimizer)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"load_model: {path!r}: cannot compile the model again as it was "
                             f"saved ({exc}); pass your own losses and metrics by name in "
                             f"custom_objects={{'my_loss': my_loss}}, or load with "
                             f"compile=False and compile it yourself") from exc
        state = {k[4:]: v for k, v in saved.items() if k.startswith("opt/")}
        state = {k: (v.item() if v.ndim == 0 else v) for k, v in state.items()}
        optimizer.load_state_dict(state, model.trainable_weights)
    return model
