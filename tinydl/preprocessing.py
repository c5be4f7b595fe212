"""The preprocessing layers under their first import path: they live in
tinydl/layers/preprocessing.py (`tinydl.layers.Rescaling`, ...), as in Keras 3."""
from .layers.preprocessing import RandomFlip, RandomRotation, RandomTranslation, Rescaling

__all__ = ["Rescaling", "RandomFlip", "RandomTranslation", "RandomRotation"]
