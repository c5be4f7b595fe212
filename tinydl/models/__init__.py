"""Models, as in Keras 3 (one module per concept):

    functional.py   Model: the graph of layers between symbolic inputs and outputs
    sequential.py   Sequential: a Model whose graph is a chain of layers
    trainer.py      fit / evaluate / predict and train_step: one training loop for both
    compile_args.py compile(): the optimizer, the loss per output, the metrics
    input_checks.py the checks of x, y and the weights a call is given
    fusion.py       which Conv2D(relu) → MaxPooling2D pairs run as one fused op
    probing.py      a model probed from outside (logits, input-only gradients), for section 5
    saving.py       save_weights / load_weights: the .npz weights file
                    (model.save / load_model / clone_model: tinydl/saving.py)
    summary.py      model.summary()
    input_sizes.py  which image sizes a network takes (the InputSizeError message)
"""
from typing import Any

from ..layers.core import Input, InputLayer
from .functional import Model
from .sequential import Sequential


def load_model(filepath: Any, custom_objects: dict[str, Any] | None = None,
               compile: bool = True) -> Model:  # noqa: A002 (Keras' name)
    """A model saved by `model.save("name.keras")` (see tinydl/saving.py)."""
    from ..saving import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile)


def clone_model(model: Model) -> Model:
    """The same architecture with fresh weights (see tinydl/saving.py)."""
    from ..saving import clone_model as _clone
    return _clone(model)


__all__ = ["Model", "Sequential", "Input", "InputLayer", "load_model", "clone_model"]
