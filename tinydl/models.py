"""`Sequential`: a stack of layers with Keras' compile / fit / evaluate / predict.

    model = Sequential([Dense(64, activation="relu", input_shape=(784,)),
                        Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=128, epochs=5)
    loss, acc = model.evaluate(x_test, y_test)
    probabilities = model.predict(x_test)

What `fit` does for every batch is the training loop of lesson 0, nothing more:

    y_pred = model(x_batch, training=True)      # forward, recording the graph
    loss = loss_fn(y_batch, y_pred)             # a 0-d Tensor
    optimizer.zero_grad(weights); loss.backward(); optimizer.step(weights)

Fused loss: when the last layer's activation is softmax and the loss is
categorical_crossentropy (or sigmoid and binary_crossentropy), the loss is computed from
the last layer's pre-activation with `from_logits=True`, as tf.keras does internally:
one stable fused op instead of softmax → clip → log. The value equals the loss on the
probabilities except where those would be clipped to [1e-7, 1 - 1e-7] (a confidently
wrong prediction: the probability form caps the sample's loss at -log(1e-7) ≈ 16.1).
`predict` still returns probabilities.
"""
from __future__ import annotations

import math
import os
from typing import Any, Callable, Sequence

import numpy as np

from . import activations, losses, metrics as metrics_module, optimizers, utils
from .autograd import Tensor, no_grad
from .callbacks import Callback, History, ProgbarLogger, Progbar
from .layers import Layer, Shape

#: Built-in losses that need y_true and y_pred of the same shape.
_SAME_SHAPE_LOSSES = (losses.mse, losses.binary_crossentropy, losses.categorical_crossentropy)


class Sequential:
    """A linear stack of layers: the output of each is the input of the next.

    Args:
        layers: optional list of layers (same as calling `add` for each).
        name: default 'sequential', 'sequential_1', ...
        seed: seeds the model's own random generator, used for its weights, dropout
            masks and fit's shuffling: the same seed reproduces a run bit for bit. None
            uses tinydl's shared generator (`tinydl.utils.set_random_seed`).
        dtype: float32 (default) or float64 (e.g. to check gradients numerically).

    The model is built (its weights created) as soon as the input shape is known: at
    `add` when the first layer was given `input_shape`, otherwise at the first call,
    fit, evaluate or predict, from the data.
    """

    def __init__(self, layers: Sequence[Layer] | None = None, name: str | None = None,
                 seed: int | None = None, dtype: Any = "float32") -> None:
        self.name = name if name is not None else utils.unique_name("sequential")
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"Sequential: dtype must be float32 or float64, got {self.dtype}")
        self.rng = None if seed is None else np.random.default_rng(seed)
        self.layers: list[Layer] = []
        self.built = False
        self.input_shape: Shape | None = None
        self.output_shape: Shape | None = None
        self.optimizer: optimizers.Optimizer | None = None
        self.loss: Callable[..., Tensor] | None = None
        self.metrics: dict[str, Callable[..., float]] = {}
        self.stop_training = False
        self.history: History | None = None
        for layer in layers or []:
            self.add(layer)

    # -- building --------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        """Append a layer (and build the model if the input shape is known)."""
        if not isinstance(layer, Layer):
            raise TypeError(f"{self.name}.add: expected a Layer (e.g. Dense(10)), got "
                            f"{type(layer).__name__}")
        if self.rng is not None and layer.rng is None:
            layer.rng = self.rng
        self.layers.append(layer)
        if self.built:
            self.build(self.input_shape)
        elif len(self.layers) == 1 and layer.input_shape is not None:
            self.build(layer.input_shape)

    def build(self, input_shape: Sequence[int | None]) -> None:
        """Build every layer for inputs of `input_shape`, batch axis included:
        model.build((None, 28, 28, 1))."""
        if not self.layers:
            raise ValueError(f"{self.name}: the model has no layers yet; add them first with "
                             f"model.add(...)")
        shape = tuple(input_shape)
        self.input_shape = (None, *shape[1:])
        for layer in self.layers:
            layer.ensure_built(shape, self.dtype)
            shape = layer.compute_output_shape(shape)
        self.output_shape, self.built = shape, True

    @property
    def weights(self) -> list[Tensor]:
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list[Tensor]:
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    @property
    def losses(self) -> list[Tensor]:
        """The layers' current weight penalties (0-d Tensors, see `kernel_regularizer`),
        recomputed from the current weights at each access. `fit` and `evaluate` add
        their sum to the loss: loss = data loss + Σ penalties, as Keras does."""
        return [penalty for layer in self.layers for penalty in layer.losses]

    def _penalty(self) -> Tensor | None:
        """The sum of `losses` as one 0-d Tensor, or None when there is none."""
        penalties = self.losses
        if not penalties:
            return None
        total = penalties[0]
        for penalty in penalties[1:]:
            total = total + penalty
        return total

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype.name,
                "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                           for layer in self.layers]}

    # -- forward ---------------------------------------------------------------------
    def __call__(self, x: Any, training: bool = False) -> Tensor:
        """The output Tensor for a batch: an array is checked and cast to the model's
        dtype; a Tensor is used as it is (so gradients can flow to it)."""
        if not isinstance(x, Tensor):
            x = Tensor(self._check_x(x, "call").astype(self.dtype, copy=False))
        elif not self.built:
            self.build((None, *x.shape[1:]))
        return self._forward(x, training)

    def _forward(self, x: Tensor, training: bool) -> Tensor:
        self.layers[-1].pre_activation = None
        for layer in self.layers:
            x = layer(x, training=training)
        return x

    # -- compile ---------------------------------------------------------------------
    def compile(self, optimizer: Any, loss: Any, metrics: Sequence[Any] | None = None) -> None:
        """Choose how to train: optimizer, loss and metrics, each an object/function or
        its Keras name ('adam', 'sgd'; 'categorical_crossentropy', 'binary_crossentropy',
        'mse'; 'accuracy'). The metric key in logs and History is the name given, or
        the function's __name__ ('accuracy' for tinydl.metrics.accuracy)."""
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        self.metrics = {}
        for metric in metrics or []:
            fn = metrics_module.get(metric)
            key = metric if isinstance(metric, str) else getattr(fn, "__name__", "metric")
            if fn is metrics_module.accuracy and self.loss is losses.binary_crossentropy:
                fn = metrics_module.binary_accuracy   # multi-label sigmoid outputs, as Keras
            self.metrics[key] = fn

    def _from_logits(self) -> bool:
        """True when the loss is computed from the last layer's pre-activation."""
        act = getattr(self.layers[-1], "activation", None)
        return ((self.loss is losses.categorical_crossentropy and act is activations.softmax)
                or (self.loss is losses.binary_crossentropy and act is activations.sigmoid))

    def _loss_and_metrics(self, y: np.ndarray, y_pred: Tensor, x: np.ndarray, where: str,
                          training: bool) -> tuple[Tensor | None, dict[str, float]]:
        """The loss Tensor and the values to report for one batch. A NaN or inf output
        stops training with an error that says `where`; in evaluate it reports NaN."""
        fused = self._from_logits() and self.layers[-1].pre_activation is not None
        out = self.layers[-1].pre_activation if fused else y_pred
        if not np.isfinite(out.data).all():
            if not training:
                return None, {"loss": math.nan, **dict.fromkeys(self.metrics, math.nan)}
            causes = [name for name, a in (("x", x), ("y", y)) if not np.isfinite(a).all()]
            verb = "contains" if len(causes) == 1 else "contain"
            cause = (f"the batch's {' and '.join(causes)} {verb} NaN or inf" if causes else
                     "the weights diverged: try a smaller learning rate, and inputs scaled "
                     "to about [0, 1]")
            raise FloatingPointError(f"{self.name}: the model's output became NaN or inf {where}, "
                                     f"so the loss is NaN; training stopped ({cause})")
        try:
            loss = self.loss(y, out, from_logits=True) if fused else self.loss(y, out)
        except ValueError as exc:
            raise ValueError(f"{exc} ({where})") from None
        if not isinstance(loss, Tensor):
            raise TypeError(f"{self.name}: the loss function returned {type(loss).__name__}; "
                            f"expected a Tensor (compute it with tinydl ops)")
        value = float(loss.data)
        if not math.isfinite(value):
            raise FloatingPointError(f"{self.name}: the loss became {value} {where}; training "
                                     f"stopped (try a smaller learning rate)")
        values = {"loss": value}
        for key, fn in self.metrics.items():
            values[key] = float(fn(y, y_pred.data))
        return loss, values

    # -- data checks -----------------------------------------------------------------
    def _check_x(self, x: Any, what: str) -> np.ndarray:
        """x as an array (not copied) of float dtype and of the model's input shape."""
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            fix = ("raw pixels 0..255? Scale them to floats first: x = x / 255.0"
                   if x.dtype == np.uint8 else "convert it first: x = x.astype('float32')")
            raise TypeError(f"{self.name}.{what}: x has dtype {x.dtype}; expected floats ({fix})")
        if x.ndim == 0:
            raise ValueError(f"{self.name}.{what}: x must be a batch (N, ...), got a scalar")
        if not self.built:
            self.build((None, *x.shape[1:]))
        expected = self.input_shape[1:]
        if x.shape[1:] != expected:
            shape = "(N, " + ", ".join(map(str, expected)) + ")"
            hint = ""
            if x.shape[1:] + (1,) == expected:
                hint = " Add the channel axis: x[..., None]."
            elif x.shape == expected:
                hint = " A single sample needs a batch axis: x[None]."
            elif math.prod(x.shape[1:]) == math.prod(expected):
                hint = f" Reshape it: x.reshape(-1, {', '.join(map(str, expected))})."
            raise ValueError(f"{self.name}.{what}: x has shape {x.shape} but the model expects "
                             f"{shape}.{hint}")
        return x

    def _check_data(self, x: Any, y: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) checked against the model and each other (views, never copies)."""
        x = self._check_x(x, what)
        y = np.asarray(y)
        if not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
            raise TypeError(f"{self.name}.{what}: y has dtype {y.dtype}; expected numbers")
        if len(x) == 0:
            raise ValueError(f"{self.name}.{what}: x is empty (shape {x.shape}); expected samples")
        if y.ndim == 0 or len(x) != len(y):
            raise ValueError(f"{self.name}.{what}: x has {len(x)} samples but y has "
                             f"{len(y) if y.ndim else 'no'} (shape {y.shape}); expected one "
                             f"label per sample")
        expected = self.output_shape[1:]
        if y.shape[1:] != expected and self.loss in _SAME_SHAPE_LOSSES:
            if y.shape[1:] == () and expected == (1,):
                return x, y.reshape(-1, 1)           # (N,) binary labels for one output unit
            wanted = "(N, " + ", ".join(map(str, expected)) + ")"
            hint = ""
            if y.shape[1:] in ((), (1,)) and len(expected) == 1 and expected[0] > 1:
                hint = (f" y looks like integer class labels: one-hot encode them with "
                        f"tinydl.utils.to_categorical(y, num_classes={expected[0]}).")
            raise ValueError(f"{self.name}.{what}: y has shape {y.shape} but the model outputs "
                             f"{self.output_shape}: expected y of shape {wanted}.{hint}")
        return x, y

    def _require_compiled(self, what: str) -> None:
        if self.optimizer is None or self.loss is None:
            raise RuntimeError(f"{self.name}.{what}: the model must be compiled first: "
                               f"model.compile(optimizer='adam', loss='categorical_crossentropy',"
                               f" metrics=['accuracy'])")

    # -- training ----------------------------------------------------------------------
    def fit(self, x: Any, y: Any, batch_size: int = 32, epochs: int = 1, verbose: int = 1,
            validation_data: tuple[Any, Any] | None = None, shuffle: bool = True,
            callbacks: Sequence[Callback] | None = None, initial_epoch: int = 0,
            validation_split: float = 0.0) -> History:
        """Train for `epochs` passes over (x, y) in mini-batches; returns a History.

        Each epoch visits the samples in a new random order (shuffle=True), batch_size at
        a time (the last batch may be smaller): one forward, backward and optimizer step
        per batch. x (any float dtype) is cast to the model's dtype one batch at a time.
        Reported values are averages over the epoch's batches, weighted by batch size;
        with validation_data=(x_val, y_val), 'val_loss' etc. are computed at each epoch's
        end in inference mode (dropout off).

        validation_split=f in [0, 1): as in Keras, the LAST fraction f of x and y (taken
        before any shuffling) is held out as validation data: the first
        floor(n·(1 - f)) samples train. validation_data, when given, takes priority.

        With kernel regularizers the reported and back-propagated loss is the data loss
        plus the sum of `model.losses` (val_loss includes it too, as in Keras).
        """
        self._require_compiled("fit")
        x, y = self._check_data(x, y, "fit")
        if not (isinstance(validation_split, int | float) and 0 <= validation_split < 1):
            raise ValueError(f"{self.name}.fit: validation_split must be a number in [0, 1), "
                             f"got {validation_split!r}")
        validation = None
        if validation_split and validation_data is None:
            split_at = math.floor(len(x) * (1.0 - validation_split))
            if split_at == 0 or split_at == len(x):
                raise ValueError(f"{self.name}.fit: x has {len(x)} samples, too few to hold out "
                                 f"validation_split={validation_split} of them and keep some for "
                                 f"training; give more data or another validation_split")
            validation = (x[split_at:], y[split_at:])
            x, y = x[:split_at], y[:split_at]
        if validation_data is not None:
            if len(validation_data) != 2:
                raise ValueError(f"{self.name}.fit: validation_data must be (x_val, y_val)")
            validation = self._check_data(*validation_data, "fit (validation_data)")
        _check_count("fit", "batch_size", batch_size, 1)
        _check_count("fit", "epochs", epochs, 0)
        n, steps = len(x), math.ceil(len(x) / batch_size)
        history = History()
        progbar = [ProgbarLogger(verbose)] if verbose else []
        callback_list = progbar + list(callbacks or []) + [history]
        for cb in callback_list:
            cb.set_model(self)
            cb.set_params({"epochs": epochs, "steps": steps, "verbose": verbose})
        weights = self.trainable_weights
        rng = self.rng if self.rng is not None else utils.get_rng()
        self.stop_training, logs = False, {}
        for cb in callback_list:
            cb.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            for cb in callback_list:
                cb.on_epoch_begin(epoch)
            order = rng.permutation(n) if shuffle else np.arange(n)
            totals: dict[str, float] = {}
            seen = 0
            for step in range(steps):
                for cb in callback_list:
                    cb.on_batch_begin(step)
                index = order[step * batch_size:(step + 1) * batch_size]
                x_batch, y_batch = x[index].astype(self.dtype, copy=False), y[index]
                where = f"at epoch {epoch + 1}/{epochs}, batch {step + 1}/{steps}"
                y_pred = self._forward(Tensor(x_batch), training=True)
                loss, values = self._loss_and_metrics(y_batch, y_pred, x_batch, where, True)
                penalty = self._penalty()
                if penalty is not None:              # loss = data loss + Σ penalties
                    loss = loss + penalty
                    values["loss"] = float(loss.data)
                self.optimizer.zero_grad(weights)
                loss.backward()
                self.optimizer.step(weights)
                seen += len(index)
                for key, value in values.items():
                    totals[key] = totals.get(key, 0.0) + value * len(index)
                logs = {key: total / seen for key, total in totals.items()}
                for cb in callback_list:
                    cb.on_batch_end(step, logs)
                if self.stop_training:
                    break
            if validation is not None:
                val = self._evaluate_arrays(*validation, batch_size)
                logs = {**logs, **{f"val_{key}": value for key, value in val.items()}}
            for cb in callback_list:
                cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        for cb in callback_list:
            cb.on_train_end(logs)
        self.history = history
        return history

    # -- inference -------------------------------------------------------------------
    def _evaluate_arrays(self, x: np.ndarray, y: np.ndarray, batch_size: int,
                         bar: Progbar | None = None) -> dict[str, float]:
        """Loss and metrics over (x, y) in inference mode, weighted by batch size."""
        totals: dict[str, float] = {}
        steps = math.ceil(len(x) / batch_size)
        with no_grad():
            penalty = self._penalty()     # Σ model.losses: the weights do not change here
            for step in range(steps):
                batch = slice(step * batch_size, (step + 1) * batch_size)
                x_batch, y_batch = x[batch].astype(self.dtype, copy=False), y[batch]
                y_pred = self._forward(Tensor(x_batch), training=False)
                _, values = self._loss_and_metrics(y_batch, y_pred, x_batch, "in evaluate", False)
                if penalty is not None:
                    values["loss"] += float(penalty.data)
                for key, value in values.items():
                    totals[key] = totals.get(key, 0.0) + value * len(x_batch)
                if bar is not None:
                    seen = min((step + 1) * batch_size, len(x))
                    averages = {key: total / seen for key, total in totals.items()}
                    bar.update(step + 1, averages, finalize=step == steps - 1)
        return {key: total / len(x) for key, total in totals.items()}

    def evaluate(self, x: Any, y: Any, batch_size: int = 32,
                 verbose: int = 1) -> float | list[float]:
        """Loss (and metrics) over (x, y) in inference mode: [loss, metric1, ...], or the
        bare loss when the model has no metrics."""
        self._require_compiled("evaluate")
        _check_count("evaluate", "batch_size", batch_size, 1)
        x, y = self._check_data(x, y, "evaluate")
        bar = Progbar(math.ceil(len(x) / batch_size), verbose) if verbose else None
        values = self._evaluate_arrays(x, y, batch_size, bar)
        return values["loss"] if len(values) == 1 else list(values.values())

    def predict(self, x: Any, batch_size: int = 32, verbose: int = 0) -> np.ndarray:
        """The model's outputs (N, ...) as a NumPy array, computed batch by batch in
        inference mode (dropout off). verbose=1 shows a progress bar."""
        _check_count("predict", "batch_size", batch_size, 1)
        x = self._check_x(x, "predict")
        steps = math.ceil(len(x) / batch_size)
        bar = Progbar(steps, verbose) if verbose else None
        outputs = []
        with no_grad():
            for step in range(steps):
                batch = slice(step * batch_size, (step + 1) * batch_size)
                x_batch = x[batch].astype(self.dtype, copy=False)
                outputs.append(self._forward(Tensor(x_batch), training=False).data)
                if bar is not None:
                    bar.update(step + 1, {}, finalize=step == steps - 1)
        if not outputs:
            return np.zeros((0, *self.output_shape[1:]), self.dtype)
        return np.concatenate(outputs)

    # -- summary and weights -----------------------------------------------------------
    def summary(self, print_fn: Callable[[str], Any] = print) -> None:
        """Print each layer's name (type), output shape and parameter count, and the totals."""
        if not self.built:
            raise ValueError(f"{self.name}.summary: the model is not built yet: give the first "
                             f"layer an input_shape, call model.build((None, ...)), or call the "
                             f"model on data first")
        rows = [(f"{layer.name} ({type(layer).__name__})", str(layer.output_shape),
                 f"{layer.count_params():,}") for layer in self.layers]
        header = ("Layer (type)", "Output Shape", "Param #")
        widths = [max(len(r[i]) for r in [header, *rows]) + 4 for i in range(3)]
        width = sum(widths)

        def line(cells: Sequence[str]) -> str:
            return "".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
        total = self.count_params()
        trainable = sum(w.size for w in self.trainable_weights)
        print_fn(f'Model: "{self.name}"')
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

    def save_weights(self, filepath: str) -> None:
        """Save every weight to an .npz file (no pickle): key "{index}_{layer name}/{weight}",
        e.g. "0_conv2d/kernel", plus "__classes__", the layers' class names in order."""
        if not self.built:
            raise ValueError(f"{self.name}.save_weights: the model is not built yet (it has no "
                             f"weights)")
        arrays = {"__classes__": np.array([type(layer).__name__ for layer in self.layers])}
        for i, layer in enumerate(self.layers):
            for name, weight in layer.named_weights():
                arrays[f"{i}_{layer.name}/{name}"] = weight.data
        np.savez(filepath, **arrays)

    def load_weights(self, filepath: str) -> None:
        """Load weights saved by `save_weights` into this (built) model, in place.

        The file must come from the same architecture: the same layer classes in the same
        order with the same weight shapes (layer names may differ). Otherwise a ValueError
        names the first layer that does not match, and nothing is loaded.
        """
        if not self.built:
            raise ValueError(f"{self.name}.load_weights: build the model first (give the first "
                             f"layer an input_shape, or call model.build((None, ...)))")
        path = str(filepath)
        if not path.endswith(".npz") and not os.path.exists(path):
            path += ".npz"  # np.savez added the suffix
        with np.load(path, allow_pickle=False) as data:
            classes = [str(c) for c in data["__classes__"]]
            saved = {key: data[key] for key in data.files if key != "__classes__"}
        updates = []
        for i, layer in enumerate(self.layers):
            here = f"load_weights: layer {i} ({layer.name})"
            if i >= len(classes):
                raise ValueError(f"{here}: the model has {len(self.layers)} layers but the file "
                                 f"{path} has {len(classes)}")
            if classes[i] != type(layer).__name__:
                raise ValueError(f"{here}: the model has a layer of class {type(layer).__name__} "
                                 f"there but the file has one of class {classes[i]}")
            found = {key.split("/", 1)[1]: array for key, array in saved.items()
                     if key.startswith(f"{i}_")}
            if sorted(found) != sorted(name for name, _ in layer.named_weights()):
                raise ValueError(f"{here}: the model's weights are "
                                 f"{[name for name, _ in layer.named_weights()]} but the file has "
                                 f"{sorted(found)}")
            for name, weight in layer.named_weights():
                if found[name].shape != weight.shape:
                    raise ValueError(f"{here}, {type(layer).__name__}: {name} has shape "
                                     f"{weight.shape} in the model but {found[name].shape} in "
                                     f"the file")
                updates.append((weight, found[name]))
        if len(classes) > len(self.layers):
            raise ValueError(f"load_weights: the file {path} has {len(classes)} layers but the "
                             f"model has {len(self.layers)}; layer {len(self.layers)} "
                             f"({classes[len(self.layers)]}) is not in the model")
        for weight, array in updates:
            weight.data[...] = array   # in place: the optimizer's state stays attached



def _check_count(method: str, arg: str, value: Any, minimum: int) -> None:
    if not (isinstance(value, int | np.integer) and value >= minimum):
        raise ValueError(f"{method}: {arg} must be an int >= {minimum}, got {value!r}")
