"""A small `keras.backend`: the settings the classic Keras examples ask about.

    if tinydl.backend.image_data_format() == "channels_first": ...   # never, in tinydl

tinydl is channels-last only: images are (N, H, W, C), as in the article's listing.
"""
from __future__ import annotations

from .autograd import DEFAULT_DTYPE
from .losses import EPSILON
from .utils import clear_session


def image_data_format() -> str:
    """Always 'channels_last': images are (N, H, W, C)."""
    return "channels_last"


def set_image_data_format(data_format: str) -> None:
    """Accepts only 'channels_last'; 'channels_first' is a clear error."""
    if data_format != "channels_last":
        raise ValueError(f"set_image_data_format({data_format!r}): tinydl is channels-last only "
                         f"(images (N, H, W, C)); transpose channels-first data with "
                         f"x.transpose(0, 2, 3, 1)")


def epsilon() -> float:
    """The fuzz factor 1e-7 that clips probabilities in the losses (Keras' epsilon())."""
    return EPSILON


def floatx() -> str:
    """The default float type of tensors and weights: 'float32'."""
    return DEFAULT_DTYPE.name


__all__ = ["image_data_format", "set_image_data_format", "epsilon", "floatx", "clear_session"]
