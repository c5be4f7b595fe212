"""Models, as in Keras 3 (one module per concept):

    functional.py   Model: the graph of layers between symbolic inputs and outputs
    sequential.py   Sequential: a Model whose graph is a chain of layers
    trainer.py      compile / fit / evaluate / predict: one training loop for both
    saving.py       save_weights / load_weights: the .npz weights file
    summary.py      model.summary()
    input_sizes.py  which image sizes a network takes (the InputSizeError message)
"""
from ..layers.core import Input, InputLayer
from .functional import Model
from .sequential import Sequential

__all__ = ["Model", "Sequential", "Input", "InputLayer"]
