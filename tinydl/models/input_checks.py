"""Input validation for fit / evaluate / predict: x, y, sample_weight and class_weight
checked against the model's inputs and outputs, with errors that say what was expected
(the `InputChecks` part of `Trainer`; the loop is in trainer.py).

Several inputs: x is a list of arrays in the order of `model.inputs`, or a dict keyed by
the inputs' names; several outputs: y likewise.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import losses
from .compile_args import _SAME_SHAPE_LOSSES, _takes_labels


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """(x, y, sample_weight) from a batch given to train_step: x, (x,), (x, y) or
    (x, y, sample_weight); the missing parts are None (keras.utils.unpack_x_y_sample_weight)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(f"unpack_x_y_sample_weight: data must be x, (x,), (x, y) or "
                     f"(x, y, sample_weight); got a tuple of {len(data)}")


def _batch_len(x: Any) -> int:
    first = x[0] if isinstance(x, list | tuple) else (
        next(iter(x.values())) if isinstance(x, dict) else x)
    return len(first)


def _fits(shape: tuple, expected: tuple) -> bool:
    """shape matches expected, where None in expected matches any size."""
    return len(shape) == len(expected) and all(e is None or e == d
                                               for e, d in zip(expected, shape))


def _batch_text(shape: tuple) -> str:
    return "(N, " + ", ".join(map(str, shape)) + ")" if shape else "(N,)"


def _shape_hint(x: np.ndarray, expected: tuple) -> str:
    if None in expected:
        return ""
    if x.shape[1:] + (1,) == expected:
        return " Add the channel axis: x[..., None]."
    if x.shape == expected:
        return " A single sample needs a batch axis: x[None]."
    if math.prod(x.shape[1:]) == math.prod(expected):
        return f" Reshape it: x.reshape(-1, {', '.join(map(str, expected))})."
    return ""


def _broadcast_weights(a: np.ndarray, b: np.ndarray, what: str, name: str) -> np.ndarray:
    """sample_weight (N,) or label-shaped, times class weights (label-shaped)."""
    a = a.reshape(a.shape + (1,) * (b.ndim - a.ndim)) if a.ndim < b.ndim else a
    try:
        return a * b
    except ValueError:
        raise ValueError(f"{name}.{what}: sample_weight of shape {a.shape} does not fit labels "
                         f"of shape {b.shape}") from None


def _check_count(method: str, arg: str, value: Any, minimum: int) -> None:
    if not (isinstance(value, int | np.integer) and not isinstance(value, bool)
            and value >= minimum):
        raise ValueError(f"{method}: {arg} must be an int >= {minimum}, got {value!r}")


class InputChecks:
    """The checks of a call's data: one float array per model input, labels that fit each
    output's loss, weights of the right shape; `_labelled_data` runs them all for fit and
    evaluate, `_custom_data` for a custom train_step / test_step."""

    def _parts(self, value: Any, names: list[str], arg: str, what: str) -> list[Any]:
        """Split x (or y) into one array per model input (output): an array for a model
        with one, else a list in order or a dict keyed by name."""
        if isinstance(value, dict):
            if sorted(value) != sorted(names):
                raise ValueError(f"{self.name}.{what}: {arg} is a dict with keys "
                                 f"{sorted(value)}; expected the model's "
                                 f"{'inputs' if arg == 'x' else 'outputs'} {names}")
            return [value[n] for n in names]
        if len(names) == 1:
            if (isinstance(value, list | tuple) and len(value) == 1
                    and isinstance(value[0], np.ndarray)):
                return [value[0]]
            return [value]
        if not isinstance(value, list | tuple) or len(value) != len(names):
            got = (f"{len(value)} arrays" if isinstance(value, list | tuple)
                   else f"one {type(value).__name__}")
            raise ValueError(f"{self.name}.{what}: the model has {len(names)} "
                             f"{'inputs' if arg == 'x' else 'outputs'} {names}, so {arg} must be "
                             f"a list of {len(names)} arrays or a dict keyed by those names; "
                             f"got {got}")
        return list(value)

    def _check_x(self, x: Any, what: str) -> list[np.ndarray]:
        """x as arrays (not copied) of float dtype and of the model's input shapes."""
        parts = self._parts(x, self.input_names, "x", what)
        several = len(parts) > 1
        arrays = []
        for i, part in enumerate(parts):
            label = f"x[{i}] (input '{self.input_names[i]}')" if several else "x"
            a = np.asarray(part)
            if not np.issubdtype(a.dtype, np.floating):
                fix = ("raw pixels 0..255? Scale them to floats first: x = x / 255.0"
                       if a.dtype == np.uint8 else "convert it first: x = x.astype('float32')")
                raise TypeError(f"{self.name}.{what}: {label} has dtype {a.dtype}; expected "
                                f"floats ({fix})")
            if a.ndim == 0:
                raise ValueError(f"{self.name}.{what}: {label} must be a batch (N, ...), got a "
                                 f"scalar")
            if not self.built:
                self._build_for(a.shape)
            expected = self._input_shapes()[i][1:]
            if len(a.shape) != len(expected) + 1 or any(
                    e is not None and e != d for e, d in zip(expected, a.shape[1:])):
                raise ValueError(f"{self.name}.{what}: {label} has shape {a.shape} but the "
                                 f"model expects {_batch_text(expected)}.{_shape_hint(a, expected)}")
            arrays.append(a)
        if len({len(a) for a in arrays}) > 1:
            raise ValueError(f"{self.name}.{what}: the inputs have different sample counts: "
                             f"{[len(a) for a in arrays]}")
        return arrays

    def _check_y(self, y: Any, n: int, what: str) -> list[np.ndarray]:
        """y as arrays, one per output, checked against the outputs and the losses."""
        parts = self._parts(y, self.output_names, "y", what)
        several = len(parts) > 1
        arrays = []
        for k, part in enumerate(parts):
            label = f"y[{k}] (output '{self.output_names[k]}')" if several else "y"
            a = np.asarray(part)
            if not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
                raise TypeError(f"{self.name}.{what}: {label} has dtype {a.dtype}; expected "
                                f"numbers")
            if a.ndim == 0 or len(a) != n:
                raise ValueError(f"{self.name}.{what}: x has {n} samples but {label} has "
                                 f"{len(a) if a.ndim else 'no'} (shape {a.shape}); expected one "
                                 f"label per sample")
            arrays.append(self._check_target(a, k, label, what))
        return arrays

    def _check_target(self, y: np.ndarray, k: int, label: str, what: str) -> np.ndarray:
        out_shape = self._output_shapes()[k]
        expected, loss = out_shape[1:], self._output_losses[k]
        if _takes_labels(loss):
            labels = expected[:-1]
            if y.shape[1:] == (*labels, 1):
                return y.reshape(y.shape[:-1])
            if not _fits(y.shape[1:], labels):
                raise ValueError(f"{self.name}.{what}: {label} has shape {y.shape} but the model "
                                 f"outputs {out_shape}: sparse_categorical_crossentropy takes one "
                                 f"integer class label per position, y of shape "
                                 f"{_batch_text(labels)}")
            return y
        if losses.base_function(loss) in _SAME_SHAPE_LOSSES and not _fits(y.shape[1:], expected):
            if y.shape[1:] == () and expected == (1,):
                return y.reshape(-1, 1)           # (N,) binary labels for one output unit
            hint = ""
            if y.shape[1:] in ((), (1,)) and len(expected) == 1 and (expected[0] or 0) > 1:
                hint = (f" y looks like integer class labels: one-hot encode them with "
                        f"tinydl.utils.to_categorical(y, num_classes={expected[0]}).")
            raise ValueError(f"{self.name}.{what}: {label} has shape {y.shape} but the model "
                             f"outputs {out_shape}: expected {label} of shape "
                             f"{_batch_text(expected)}.{hint}")
        return y

    def _check_weights(self, sample_weight: Any, class_weight: Any, ys: list[np.ndarray],
                       what: str) -> list[np.ndarray | None]:
        """Per-output weights for the losses: sample_weight (shaped like the labels, or
        (N,)) times class_weight[label], or None where neither is given."""
        n = len(ys[0])
        if sample_weight is None:
            parts: list[Any] = [None] * len(ys)
        else:
            parts = self._parts(sample_weight, self.output_names, "sample_weight", what)
        out: list[np.ndarray | None] = []
        for k, (part, y) in enumerate(zip(parts, ys)):
            w = None
            if part is not None:
                w = np.asarray(part, dtype=np.float64)
                if w.ndim == 0 or len(w) != n:
                    raise ValueError(f"{self.name}.{what}: sample_weight has shape {w.shape}; "
                                     f"expected one weight per sample ({n},) or per label "
                                     f"{y.shape}")
                if not np.isfinite(w).all() or (w < 0).any():
                    raise ValueError(f"{self.name}.{what}: sample_weight must be finite and "
                                     f">= 0")
            if class_weight is not None:
                cw = self._class_weights(class_weight, y, k, what)
                w = cw if w is None else _broadcast_weights(w, cw, what, self.name)
            out.append(w)
        return out

    def _class_weights(self, class_weight: Any, y: np.ndarray, k: int, what: str) -> np.ndarray:
        """class_weight {class: weight} looked up at every label: integer labels of any
        shape (sparse) or one-hot rows (the class is the arg-max)."""
        if not isinstance(class_weight, dict) or not all(
                isinstance(c, int | np.integer) and isinstance(v, int | float | np.floating)
                and v >= 0 for c, v in class_weight.items()):
            raise ValueError(f"{self.name}.{what}: class_weight must be a dict "
                             f"{{class index: weight >= 0}}, got {class_weight!r}")
        sparse = _takes_labels(self._output_losses[k])
        labels = y if sparse or y.shape[1:] in ((), (1,)) else y.argmax(axis=-1)
        labels = labels.reshape(labels.shape[:-1]) if labels.shape[1:] == (1,) else labels
        labels = labels.astype(np.int64)
        table = np.ones(max(int(labels.max()) + 1, max(class_weight) + 1))
        for c, v in class_weight.items():
            table[c] = v
        return table[labels]

    def _labelled_data(self, x: Any, y: Any, sample_weight: Any, class_weight: Any,
                       batch_size: Any, what: str) -> tuple[list[np.ndarray], ...]:
        """(xs, ys, weights) for fit or evaluate, every check done before any work."""
        if getattr(self, "_pending_compile", None) is not None and x is not None:
            self._check_x(x, what)        # builds a subclassed model: compile completes
        self._require_compiled(what)
        _check_count(what, "batch_size", batch_size, 1)
        xs = self._check_x(x, what)
        if len(xs[0]) == 0:
            raise ValueError(f"{self.name}.{what}: x is empty (shape {xs[0].shape}); expected "
                             f"samples")
        self._check_outputs(what)
        ys = self._check_y(y, len(xs[0]), what)
        return xs, ys, self._check_weights(sample_weight, class_weight, ys, what)

    def _custom_data(self, x: Any, y: Any, sample_weight: Any, batch_size: Any,
                     what: str) -> tuple[list[np.ndarray], np.ndarray | None, Any]:
        """(xs, y, sample_weight) for a custom train_step/test_step: floats x (one array
        or a list), optional y and sample_weight with one row per sample."""
        if self.optimizer is None:
            raise RuntimeError(f"{self.name}.{what}: the model must be compiled first: "
                               f"model.compile(optimizer='adam', ...)")
        _check_count(what, "batch_size", batch_size, 1)
        if x is None:
            raise ValueError(f"{self.name}.{what}: x is None; give the training data")
        xs = [np.asarray(a) for a in (x if isinstance(x, list | tuple) else [x])]
        for i, a in enumerate(xs):
            if not np.issubdtype(a.dtype, np.floating) or a.ndim == 0:
                raise TypeError(f"{self.name}.{what}: x{'' if len(xs) == 1 else f'[{i}]'} must "
                                f"be a float array (N, ...), got dtype {a.dtype}, shape "
                                f"{a.shape} (scale pixels: x / 255.0)")
        n = len(xs[0])
        if n == 0 or any(len(a) != n for a in xs):
            raise ValueError(f"{self.name}.{what}: x must hold the same number (> 0) of "
                             f"samples in every array; got {[len(a) for a in xs]}")
        for arg, value in (("y", y), ("sample_weight", sample_weight)):
            if value is not None and (np.ndim(value) == 0 or len(value) != n):
                raise ValueError(f"{self.name}.{what}: x has {n} samples but {arg} has shape "
                                 f"{np.shape(value)}; expected one row per sample")
        build = getattr(self, "_can_build_from_data", None)
        if not self.built and build is not None and build():
            # as Keras, build before the first step (and before fit draws its order)
            self._build_for([(None, *a.shape[1:]) for a in xs] if len(xs) > 1
                            else (None, *xs[0].shape[1:]))
        return xs, (None if y is None else np.asarray(y)), (
            None if sample_weight is None else np.asarray(sample_weight))

    def _validation_arrays(self, data: Any, class_weight: Any) -> tuple:
        what = "fit (validation_data)"
        if not isinstance(data, tuple | list) or len(data) not in (2, 3):
            raise ValueError(f"{self.name}.fit: validation_data must be (x_val, y_val) or "
                             f"(x_val, y_val, sample_weight_val)")
        xs = self._check_x(data[0], what)
        ys = self._check_y(data[1], len(xs[0]), what)
        for arg, arrays in (("x_val", xs), ("y_val", ys)):
            if not all(np.isfinite(a).all() for a in arrays):
                raise ValueError(f"{self.name}.{what}: {arg} contains NaN or inf; expected "
                                 f"finite numbers (val_loss would be nan)")
        ws = self._check_weights(data[2] if len(data) == 3 else None, class_weight, ys, what)
        return xs, ys, ws
