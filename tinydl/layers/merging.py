"""Merging layers: several inputs, one output. Called on a list:

    merged = Concatenate()([skip, upsampled])     # a U-Net's skip connection
    y = Add()([x, shortcut])                      # a ResNet block; also add([x, shortcut])

No weights. Add, Subtract, Multiply and Average are elementwise and need inputs of one
shape; Concatenate joins along `axis` (the channels by default), the other axes equal.
"""
from __future__ import annotations

from typing import Any

from .. import functional as F
from ..autograd import Tensor
from .layer import Layer, Shape


class _Merge(Layer):
    """Shared checks: a list of at least `min_inputs` inputs of equal rank."""

    min_inputs = 2

    def _check(self, input_shape: Any) -> list[Shape]:
        kind = type(self).__name__
        if not isinstance(input_shape, list) or len(input_shape) < self.min_inputs:
            raise ValueError(f"{self.name} ({kind}): expected a list of at least "
                             f"{self.min_inputs} inputs, e.g. {kind}()([a, b]); got "
                             f"{input_shape!r}")
        if len({len(shape) for shape in input_shape}) != 1:
            raise ValueError(f"{self.name} ({kind}): the inputs have different ranks: "
                             f"{', '.join(map(str, input_shape))}")
        return [tuple(shape) for shape in input_shape]

    def build(self, input_shape: Any) -> None:
        self.compute_output_shape(input_shape)

    def call(self, x: list[Tensor], training: bool = False) -> Tensor:
        # the shape rules of the symbolic call, on the real sizes (an image size the
        # network cannot take shows up here, e.g. a U-Net's skip of another size)
        self.compute_output_shape([(None, *t.shape[1:]) for t in x])
        return self.merge(x)

    def merge(self, x: list[Tensor]) -> Tensor:
        raise NotImplementedError


class _Elementwise(_Merge):
    """The inputs must have one shape (a None, an unknown size, matches any size)."""

    def compute_output_shape(self, input_shape: Any) -> Shape:
        shapes = self._check(input_shape)
        out = []
        for sizes in zip(*shapes):
            known = {d for d in sizes if d is not None}
            if len(known) > 1:
                raise ValueError(f"{self.name} ({type(self).__name__}): the inputs must have "
                                 f"the same shape; got {', '.join(map(str, shapes))}")
            out.append(known.pop() if known else None)
        return tuple(out)


class Add(_Elementwise):
    """y = x₁ + x₂ + … (a residual connection)."""

    def merge(self, x: list[Tensor]) -> Tensor:
        total = x[0]
        for t in x[1:]:
            total = total + t
        return total


class Subtract(_Elementwise):
    """y = x₁ − x₂ (exactly two inputs)."""

    def _check(self, input_shape: Any) -> list[Shape]:
        shapes = super()._check(input_shape)
        if len(shapes) != 2:
            raise ValueError(f"{self.name} (Subtract): expected exactly 2 inputs, got "
                             f"{len(shapes)}")
        return shapes

    def merge(self, x: list[Tensor]) -> Tensor:
        return x[0] - x[1]


class Multiply(_Elementwise):
    """y = x₁ ⊙ x₂ ⊙ … (elementwise product, e.g. a gate)."""

    def merge(self, x: list[Tensor]) -> Tensor:
        product = x[0]
        for t in x[1:]:
            product = product * t
        return product


class Average(Add):
    """y = (x₁ + … + x_k) / k."""

    def merge(self, x: list[Tensor]) -> Tensor:
        return super().merge(x) / len(x)


class Concatenate(_Merge):
    """Join the inputs along `axis` (default −1, the channels of (N, H, W, C) images):
    every other axis must agree. The batch axis (0) cannot be joined."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(axis, int):
            raise ValueError(f"Concatenate: axis must be an int, got {axis!r}")
        self.axis = axis

    def compute_output_shape(self, input_shape: Any) -> Shape:
        shapes = self._check(input_shape)
        rank = len(shapes[0])
        axis = self.axis % rank if -rank <= self.axis < rank else None
        if axis is None or axis == 0:
            raise ValueError(f"{self.name} (Concatenate): axis={self.axis} is not a feature axis "
                             f"of inputs of rank {rank} (axis 0 is the batch)")
        out: list[int | None] = []
        for a, sizes in enumerate(zip(*shapes)):
            if a == axis:
                out.append(None if None in sizes else sum(sizes))
                continue
            known = {d for d in sizes if d is not None}
            if len(known) > 1:
                raise ValueError(f"{self.name} (Concatenate): joining along axis {axis} needs "
                                 f"the other axes equal; got {', '.join(map(str, shapes))} "
                                 f"(axis {a} differs)")
            out.append(known.pop() if known else None)
        return tuple(out)

    def merge(self, x: list[Tensor]) -> Tensor:
        return F.concatenate(x, axis=self.axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


# Keras' functional forms: add([a, b]) is Add()([a, b]).
def add(inputs: list[Any], **kwargs: Any) -> Any:
    """`Add(**kwargs)(inputs)`: the elementwise sum of a list of tensors."""
    return Add(**kwargs)(inputs)


def subtract(inputs: list[Any], **kwargs: Any) -> Any:
    """`Subtract(**kwargs)(inputs)`: x₁ − x₂."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list[Any], **kwargs: Any) -> Any:
    """`Multiply(**kwargs)(inputs)`: the elementwise product."""
    return Multiply(**kwargs)(inputs)


def average(inputs: list[Any], **kwargs: Any) -> Any:
    """`Average(**kwargs)(inputs)`: the elementwise mean."""
    return Average(**kwargs)(inputs)


def concatenate(inputs: list[Any], axis: int = -1, **kwargs: Any) -> Any:
    """`Concatenate(axis, **kwargs)(inputs)`: join along `axis`."""
    return Concatenate(axis=axis, **kwargs)(inputs)
