"""The training loop: `compile`, `fit`, `evaluate`, `predict`, shared by every model kind
(`Model`, the functional graph, and `Sequential`, a chain on it).

    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=128, epochs=5)
    loss, acc = model.evaluate(x_test, y_test)
    probabilities = model.predict(x_test)

What `fit` does for every batch is the training loop of lesson 0, nothing more:

    y_pred = model(x_batch, training=True)      # forward, recording the graph
    loss = loss_fn(y_batch, y_pred)             # a 0-d Tensor (+ Σ model.losses)
    optimizer.zero_grad(weights); loss.backward(); optimizer.step(weights)

Several inputs: x is a list of arrays in the order of `model.inputs`, or a dict keyed by
the inputs' names. Several outputs: y likewise; `loss` is one loss for every output, a
list, or a dict keyed by the output layers' names; the loss trained is
Σ_k loss_weight_k · loss_k (+ the weight penalties), and each output's loss is reported
as '<output name>_loss'.

Custom training (Keras 3): a subclass overrides `train_step(self, data)` (and
`test_step`); fit calls it once per batch with data = x, (x, y) or (x, y, sample_weight)
(NumPy arrays) and shows/records the dict it returns. tinydl has no GradientTape: the
autograd records the forward pass, `loss.backward()` fills each weight's `.grad`:

    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred)           # the compiled loss
        self.zero_grad(); loss.backward()
        self.optimizer.apply([w.grad for w in self.trainable_weights], self.trainable_weights)
        for metric in self.metrics:                      # Mean('loss') first, then compiled
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

Without an override, fit runs its built-in step (the loop above: the same numbers).

Fused loss: when an output layer's activation is softmax and its loss is categorical (or
sparse categorical) cross-entropy, or sigmoid with binary cross-entropy, the loss is
computed from that layer's pre-activation with `from_logits=True`, as tf.keras does
internally: one stable fused op instead of softmax → clip → log. The value equals the loss
on the probabilities except where those would be clipped to [1e-7, 1 - 1e-7] (a
confidently wrong prediction: the probability form caps the sample's loss at
-log(1e-7) ≈ 16.1). `predict` still returns probabilities.
"""
from __future__ import annotations

import copy
import math
from typing import Any, Callable, Sequence

import numpy as np

from .. import activations, backend, losses, metrics as metrics_module, optimizers, parallel
from ..metrics.confusion import _ThresholdMetric
from ..autograd import Tensor, no_grad
from ..callbacks import Callback, History, Progbar, ProgbarLogger


#: Built-in losses that need y_true and y_pred of the same shape.
_SAME_SHAPE_LOSSES = (losses.mse, losses.binary_crossentropy, losses.categorical_crossentropy,
                      losses.mae, losses.huber, losses.kl_divergence)
#: Losses that take a softmax output's logits with from_logits=True.
_SOFTMAX_LOSSES = (losses.categorical_crossentropy, losses.sparse_categorical_crossentropy,
                   losses.dice)


def _terms(loss: Any) -> list[Any]:
    """The loss functions inside `loss` (a combined loss's terms), partials unwrapped."""
    inner = [fn for fn, _ in loss.terms] if isinstance(loss, losses.CombinedLoss) else [loss]
    return [losses.base_function(fn) for fn in inner]


def _takes_labels(loss: Any) -> bool:
    """True for losses that take integer class labels (sparse cross-entropy)."""
    return losses.sparse_categorical_crossentropy in _terms(loss)


def _is_stateful(metric: Any) -> bool:
    return all(hasattr(metric, name) for name in ("update_state", "result", "reset_state"))


class Trainer:
    """compile / fit / evaluate / predict, written once for every model.

    A model class that mixes this in provides: `name`, `dtype`, `rng`, `built`,
    `trainable_weights`, `losses` (weight penalties), `input_names`/`output_names`,
    `_input_shapes()`/`_output_shapes()` (batch axis None), `_build_for(shape)` (build from
    the first input's shape when not built yet), `_output_layer(k)`, and
    `_forward(xs, training) -> list[Tensor]`, which also leaves each output layer's
    pre-activation (or None) in `_output_logits`.
    """

    def _init_trainer(self) -> None:
        self.optimizer: optimizers.Optimizer | None = None
        self.loss: Any = None                 # the loss function (a list for several outputs)
        self._metrics_by_key: dict[str, Any] = {}   # report key -> metric function or object
        self._loss_tracker = metrics_module.Mean(name="loss")  # for train_step / test_step
        self._compiled_trackers: list[_CompiledMetric] = []
        self.stop_training = False
        self.history: History | None = None
        self._output_losses: list[Callable[..., Tensor]] = []
        self._loss_weights: list[float] = []
        self._output_metrics: list[list[tuple[str, Any]]] = []

    @property
    def metrics(self) -> Any:
        """tinydl's Model and Sequential: {report key: metric function or object}, as
        compiled. A subclass of Model (Keras 3): the list of metric objects that a custom
        train_step updates, the loss tracker `Mean(name='loss')` first, then one object per
        compiled metric (update_state(y, y_pred)); fit and evaluate reset them at the
        start of each epoch / pass. A subclass may override this property to list its own
        trackers, as in Keras."""
        if type(self).__module__.startswith("tinydl."):
            return self._metrics_by_key
        if self.optimizer is None:
            return []
        return [self._loss_tracker, *self._compiled_trackers]

    def _custom_step(self, which: str) -> bool:
        """True when the model's class overrides train_step (or test_step)."""
        return getattr(type(self), which) is not getattr(Trainer, which)

    # -- compile ---------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None,
                loss_weights: Any = None) -> None:
        """Choose how to train: optimizer, loss and metrics, each an object/function or
        its Keras name ('adam', 'sgd'; 'categorical_crossentropy', 'mse'; 'accuracy').

        loss: one loss for every output, or (several outputs) a list in output order or
        a dict keyed by output layer name; loss_weights likewise (default 1 each).
        metrics: a list (or one name) applied to every output, or a dict by output name.
        The report key is the name given, or the function's __name__ (prefixed with the
        output's name when the model has several outputs)."""
        self._compiled_trackers = []
        # A subclassed model learns its outputs when it is built: compile again then.
        self._pending_compile = None
        if getattr(self, "_subclassed", False) and not self.built and loss is not None:
            self._pending_compile = (optimizers.get(optimizer), loss, metrics, loss_weights)
            if isinstance(loss, dict | list | tuple) or isinstance(loss_weights, dict | list
                                                                   | tuple):
                self.optimizer = self._pending_compile[0]
                self.loss, self._output_losses, self._loss_weights = loss, [], []
                self._output_metrics, self._metrics_by_key = [], {}
                return              # checked against the outputs when the model is built
        if loss is None and self._custom_step("train_step"):
            # a custom train_step (a GAN, say) may compute its own losses
            self.optimizer = optimizers.get(optimizer)
            self.loss, self._output_losses, self._loss_weights = None, [], []
            self._output_metrics, self._metrics_by_key = [], {}
            return
        if loss is None:
            raise ValueError(f"{self.name}.compile: give a loss, e.g. loss="
                             f"'categorical_crossentropy'")
        self.optimizer = optimizers.get(optimizer)
        names = self.output_names
        self._output_losses = [losses.get(fn) for fn in
                               self._per_output("loss", loss, names, allow_none=False)]
        weights = (self._per_output("loss_weights", loss_weights, names, allow_none=False)
                   if loss_weights is not None else [1.0] * len(names))
        for w in weights:
            if not (isinstance(w, int | float) and math.isfinite(w) and w >= 0):
                raise ValueError(f"{self.name}.compile: loss_weights must be numbers >= 0, "
                                 f"got {loss_weights!r}")
        self._loss_weights = [float(w) for w in weights]
        self.loss = self._output_losses[0] if len(names) == 1 else list(self._output_losses)

        if isinstance(metrics, str) or callable(metrics) or _is_stateful(metrics):
            metrics = [metrics]
        if not (metrics is None or isinstance(metrics, list | tuple | dict)):
            raise TypeError(f"{self.name}.compile: metrics must be a list of metric names or "
                            f"functions (or one of them, or a dict by output name); got "
                            f"{metrics!r}")
        if isinstance(metrics, dict):
            per_output = self._per_output("metrics", metrics, names, allow_none=True)
        else:
            per_output = [metrics] * len(names)
        self._output_metrics, self._metrics_by_key = [], {}
        for k, group in enumerate(per_output):
            if isinstance(group, str) or callable(group) or _is_stateful(group):
                group = [group]
            resolved = []
            for metric in group or []:
                resolved.append(self._resolve_metric(metric, self._output_losses[k],
                                                     names[k] if len(names) > 1 else None))
            resolved = list(dict(resolved).items())      # one entry per key
            self._output_metrics.append(resolved)
            self._metrics_by_key.update(resolved)
            self._compiled_trackers += [_CompiledMetric(key, metric, k) for key, metric in resolved]

    def _per_output(self, arg: str, value: Any, names: list[str], allow_none: bool) -> list[Any]:
        """`value` for each output: one value for all, a list in order, or a dict by name."""
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(names))
            if unknown:
                raise ValueError(f"{self.name}.compile: {arg} names {unknown}, which are not "
                                 f"outputs of the model; its outputs are {names}")
            missing = [n for n in names if n not in value]
            if missing and not allow_none:
                raise ValueError(f"{self.name}.compile: {arg} has no entry for the outputs "
                                 f"{missing}")
            return [value.get(n) for n in names]
        if isinstance(value, list | tuple) and arg != "metrics":
            if len(value) != len(names):
                raise ValueError(f"{self.name}.compile: {arg} has {len(value)} entries but the "
                                 f"model has {len(names)} outputs ({names})")
            return list(value)
        return [value] * len(names)

    def _resolve_metric(self, metric: Any, loss: Callable[..., Tensor],
                        output: str | None) -> tuple[str, Any]:
        if type(metric) in (metrics_module.Mean, metrics_module.Sum):
            raise ValueError(f"{self.name}.compile: metrics holds {type(metric).__name__}(), "
                             f"which averages (sums) values you pass it, update_state(values), "
                             f"not (y_true, y_pred); use it in a custom train_step, or pass a "
                             f"metric of (y_true, y_pred) such as SparseCategoricalAccuracy()")
        if isinstance(metric, _ThresholdMetric) and not metric._single:
            raise ValueError(f"{self.name}.compile: {type(metric).__name__}(thresholds="
                             f"{metric.thresholds.tolist()}) gives one value per threshold, "
                             f"but History holds one number per metric; pass one threshold, "
                             f"or one {type(metric).__name__}(thresholds=t, name=...) per t")
        if _is_stateful(metric):                         # a metric object, e.g. MeanIoU
            key, fn = getattr(metric, "name", type(metric).__name__), metric
            if output is not None:      # one state per output, not one shared by all
                fn = copy.deepcopy(metric)
        else:
            fn = metrics_module.get(metric)
            key = metric if isinstance(metric, str) else getattr(fn, "__name__", "metric")
            if fn is metrics_module.accuracy:
                if losses.base_function(loss) is losses.binary_crossentropy:
                    fn = metrics_module.binary_accuracy   # multi-label sigmoid outputs, as Keras
                elif _takes_labels(loss):
                    fn = metrics_module.sparse_categorical_accuracy
        return (f"{output}_{key}" if output else key), fn

    def _require_compiled(self, what: str) -> None:
        if getattr(self, "_pending_compile", None) is not None and not self._output_losses:
            raise RuntimeError(f"{self.name}.{what}: the model's outputs are not known yet, so "
                               f"its per-output losses cannot be matched; build it first: "
                               f"model.build((None, ...)) or call it on a batch")
        if self.optimizer is None or not self._output_losses:
            raise RuntimeError(f"{self.name}.{what}: the model must be compiled first: "
                               f"model.compile(optimizer='adam', loss='categorical_crossentropy',"
                               f" metrics=['accuracy'])")

    def _from_logits(self, k: int = 0) -> bool:
        """True when output k's loss is computed from its layer's pre-activation."""
        if not self._output_losses:
            return False
        act = _final_activation(self._output_layer(k))
        terms = _terms(self._output_losses[k])
        return ((act is activations.softmax and all(t in _SOFTMAX_LOSSES for t in terms))
                or (act is activations.sigmoid and terms == [losses.binary_crossentropy]))

    def _check_outputs(self, what: str) -> None:
        """Refuse a single-unit output that a softmax or a categorical loss makes
        meaningless: a softmax over 1 unit is always 1, so the loss never changes."""
        for k, shape in enumerate(self._output_shapes()):
            if shape[-1] != 1:
                continue
            terms = _terms(self._output_losses[k])
            categorical = [t.__name__ for t in terms if t in (
                losses.categorical_crossentropy, losses.sparse_categorical_crossentropy)]
            if _final_activation(self._output_layer(k)) is activations.softmax:
                raise ValueError(f"{self.name}.{what}: output {self.output_names[k]!r} is a "
                                 f"softmax over 1 unit, which always outputs 1, so nothing "
                                 f"can be learned; for two classes use Dense(1, activation='sigmoid') "
                                 f"with binary_crossentropy, or Dense(2, activation='softmax')")
            if categorical:
                raise ValueError(f"{self.name}.{what}: {categorical[0]} over 1 unit (output "
                                 f"{self.output_names[k]!r}) compares a single class with "
                                 f"itself; give the output one unit per class, or use sigmoid "
                                 f"with binary_crossentropy for two classes")

    # -- one batch: loss and metrics ---------------------------------------------------
    def _batch_loss(self, ys: list[np.ndarray], outs: list[Tensor], xs: list[np.ndarray],
                    weights: list[np.ndarray | None], where: str,
                    training: bool) -> tuple[Tensor | None, dict[str, float]]:
        """The loss Tensor of one batch and the loss values to report. A NaN or inf output
        stops training with an error that says `where`; in evaluate it reports NaN."""
        total: Tensor | None = None
        values: dict[str, float] = {}
        several = len(outs) > 1
        for k, (y, y_pred) in enumerate(zip(ys, outs)):
            logits = self._output_logits[k] if k < len(self._output_logits) else None
            fused = self._from_logits(k) and logits is not None
            out = logits if fused else y_pred
            if not np.isfinite(out.data).all():
                if not training:
                    return None, {"loss": math.nan}
                self._raise_non_finite(xs, ys, where)
            kwargs: dict[str, Any] = {"from_logits": True} if fused else {}
            if weights[k] is not None:
                kwargs["sample_weight"] = weights[k]
            try:
                loss = self._output_losses[k](y, out, **kwargs)
            except ValueError as exc:
                raise ValueError(f"{exc} ({where})") from None
            except TypeError as exc:
                if "sample_weight" in kwargs and "sample_weight" in str(exc):
                    raise TypeError(f"{self.name}: the loss {self._output_losses[k]!r} takes no "
                                    f"sample_weight, but fit/evaluate got sample_weight or "
                                    f"class_weight") from None
                raise
            if not isinstance(loss, Tensor):
                raise TypeError(f"{self.name}: the loss function returned {type(loss).__name__};"
                                f" expected a Tensor (compute it with tinydl ops)")
            if loss.size != 1:
                raise ValueError(f"{self.name}: the loss {self._output_losses[k]!r} returned "
                                 f"shape {loss.shape}; training needs one number per batch: "
                                 f"reduce it to a 0-d Tensor (for a loss object: "
                                 f"reduction='sum_over_batch_size', the default, or 'sum')")
            if several:
                values[f"{self.output_names[k]}_loss"] = float(loss.data)
            weighted = loss if self._loss_weights[k] == 1.0 else loss * self._loss_weights[k]
            total = weighted if total is None else total + weighted
        value = float(total.data)
        if not math.isfinite(value):
            if not training:
                return None, {"loss": math.nan}
            raise FloatingPointError(f"{self.name}: the loss became {value} {where}; training "
                                     f"stopped (try a smaller learning rate)")
        return total, {"loss": value, **values}

    def _raise_non_finite(self, xs: list[np.ndarray], ys: list[np.ndarray], where: str) -> None:
        causes = [name for name, arrays in (("x", xs), ("y", ys))
                  if not all(np.isfinite(a).all() for a in arrays)]
        verb = "contains" if len(causes) == 1 else "contain"
        cause = (f"the batch's {' and '.join(causes)} {verb} NaN or inf" if causes else
                 "the weights diverged: try a smaller learning rate, and inputs scaled "
                 "to about [0, 1]")
        raise FloatingPointError(f"{self.name}: the model's output became NaN or inf {where}, "
                                 f"so the loss is NaN; training stopped ({cause})")

    def _penalty(self) -> Tensor | None:
        """The sum of `model.losses` (weight penalties) as one 0-d Tensor, or None."""
        penalties = self.losses
        if not penalties:
            return None
        total = penalties[0]
        for penalty in penalties[1:]:
            total = total + penalty
        return total

    def _trackers(self) -> list[list[tuple[str, Any]]]:
        """Fresh accumulators for this pass: stateful metrics reset, functions wrapped."""
        trackers = []
        for group in self._output_metrics:
            row = []
            for key, metric in group:
                tracker = (metric if _is_stateful(metric)
                           else metrics_module.MeanMetricWrapper(metric, key))
                tracker.reset_state()
                row.append((key, tracker))
            trackers.append(row)
        return trackers

    @staticmethod
    def _update_metrics(trackers: list[list[tuple[str, Any]]], ys: list[np.ndarray],
                        outs: list[Tensor]) -> None:
        for row, y, out in zip(trackers, ys, outs):
            for _, tracker in row:
                tracker.update_state(y, out.data)

    @staticmethod
    def _metric_results(trackers: list[list[tuple[str, Any]]]) -> dict[str, float]:
        return {key: float(tracker.result()) for row in trackers for key, tracker in row}

    # -- Keras 3's overridable steps ------------------------------------------------------
    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None,
                     sample_weight: Any = None, training: bool = True) -> Tensor:
        """The compiled loss of one batch as a 0-d Tensor, to call `backward()` on:

            loss = Σ_k loss_weight_k · loss_k(y_k, y_pred_k; sample_weight) + Σ model.losses

        y: labels (one array, or a list/dict per output); y_pred: the Tensor(s) from
        `self(x, training=True)` (a graph model's softmax/sigmoid output is fused with its
        cross-entropy from the logits, as in fit). x is only used in error messages."""
        if not self._output_losses:
            raise RuntimeError(f"{self.name}.compute_loss: no loss was compiled; call "
                               f"model.compile(optimizer=..., loss=...) first")
        outs = list(y_pred.values()) if isinstance(y_pred, dict) else (
            list(y_pred) if isinstance(y_pred, list | tuple) else [y_pred])
        if not all(isinstance(o, Tensor) for o in outs):
            raise TypeError(f"{self.name}.compute_loss: y_pred must be the Tensor(s) returned "
                            f"by self(x, training=True), got {type(y_pred).__name__}")
        if y is None:
            raise ValueError(f"{self.name}.compute_loss: y is None; the compiled loss needs "
                             f"labels (fit(x, y))")
        ys = [np.asarray(p.data if isinstance(p, Tensor) else p)
              for p in self._parts(y, self.output_names, "y", "compute_loss")]
        if len(ys) != len(outs):
            raise ValueError(f"{self.name}.compute_loss: {len(ys)} label arrays for "
                             f"{len(outs)} outputs")
        ys = [self._check_target(a, k, "y", "compute_loss") for k, a in enumerate(ys)]
        if sample_weight is None:
            ws: list[np.ndarray | None] = [None] * len(ys)
        else:
            ws = self._check_weights(sample_weight, None, ys, "compute_loss")
        xs = [] if x is None else [np.asarray(getattr(x, "data", x))] if not isinstance(
            x, list | tuple | dict) else []
        loss, _ = self._batch_loss(ys, outs, xs, ws, "in compute_loss", training)
        if loss is None:                          # not training and a non-finite output
            return Tensor(np.array(math.nan))
        penalty = self._penalty()
        return loss if penalty is None else loss + penalty

    def compute_metrics(self, x: Any, y: Any, y_pred: Any,
                        sample_weight: Any = None) -> dict[str, float]:
        """Update the compiled metrics with (y, y_pred) and return every metric's result
        (the loss tracker's included): `get_metrics_result()`."""
        for tracker in self._compiled_trackers:
            tracker.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict[str, float]:
        """{metric name: float(result())} over the loss tracker and the compiled metrics."""
        trackers = [self._loss_tracker, *self._compiled_trackers]
        return {t.name: float(t.result()) for t in trackers}

    def zero_grad(self) -> None:
        """Forget every trainable weight's gradient (backward() accumulates into them)."""
        for w in self.trainable_weights:
            w.grad = None

    def train_step(self, data: Any) -> dict[str, float]:
        """One optimisation step on one batch, as Keras 3 writes it (override it to train
        differently: a GAN, say). `data` is x, (x, y) or (x, y, sample_weight), NumPy
        arrays of one batch. tinydl has no GradientTape: `loss.backward()` fills `w.grad`.

            x, y, sample_weight = unpack_x_y_sample_weight(data)
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
            self.zero_grad(); loss.backward()
            self.optimizer.apply([w.grad for w in self.trainable_weights],
                                 self.trainable_weights)
            self._loss_tracker.update_state(loss, sample_weight=len(x))
            return self.compute_metrics(x, y, y_pred, sample_weight)

        The returned {name: value} is what fit shows and records in History (running
        means over the epoch: fit resets the metrics at each epoch's start). When this
        method is not overridden, fit runs the same step inline (the same numbers)."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sample_weight)
        weights = self.trainable_weights
        self.zero_grad()
        loss.backward()
        self.optimizer.apply([w.grad for w in weights], weights)
        self._loss_tracker.update_state(float(loss.data), sample_weight=_batch_len(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data: Any) -> dict[str, float]:
        """One evaluation batch (inference mode), as Keras 3: the loss tracker and the
        compiled metrics updated, their results returned. Override it with train_step."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(float(loss.data), sample_weight=_batch_len(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _reset_step_metrics(self) -> None:
        trackers = self.metrics
        if isinstance(trackers, dict):
            trackers = [self._loss_tracker, *self._compiled_trackers]
        for tracker in trackers:
            tracker.reset_state()

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

    def _run_step(self, which: str, xs: list[np.ndarray], y: np.ndarray | None,
                  sw: np.ndarray | None, index: Any) -> dict[str, float]:
        """Call self.train_step / test_step on one batch; its dict, values as floats."""
        x = [a[index] for a in xs] if len(xs) > 1 else xs[0][index]
        if y is None and sw is None:
            data: Any = x
        elif sw is None:
            data = (x, y[index])
        else:
            data = (x, None if y is None else y[index], sw[index])
        logs = getattr(self, which)(data)
        if not isinstance(logs, dict):
            raise TypeError(f"{type(self).__name__}.{which} returned {type(logs).__name__}; it "
                            f"must return a dict {{name: value}}, e.g. "
                            f"{{m.name: m.result() for m in self.metrics}}")
        return {key: float(v.data if isinstance(v, Tensor) else v) for key, v in logs.items()}

    def _evaluate_custom(self, xs: list[np.ndarray], y: Any, sw: Any,
                         batch_size: int, bar: Progbar | None = None) -> dict[str, float]:
        """evaluate with an overridden test_step: the metrics reset, then test_step per
        batch; the last returned dict is the result."""
        self._reset_step_metrics()
        n = len(xs[0])
        steps = math.ceil(n / batch_size)
        logs: dict[str, float] = {}
        with no_grad():
            for step in range(steps):
                logs = self._run_step("test_step", xs, y, sw,
                                      slice(step * batch_size, (step + 1) * batch_size))
                if bar is not None:
                    bar.update(step + 1, logs, finalize=step == steps - 1)
        return logs

    # -- data ------------------------------------------------------------------------
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

    # -- training ----------------------------------------------------------------------
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: int = 1, callbacks: Sequence[Callback] | None = None,
            validation_split: float = 0.0, validation_data: tuple | None = None,
            shuffle: bool = True, class_weight: dict[int, float] | None = None,
            sample_weight: Any = None, initial_epoch: int = 0) -> History:
        """Train for `epochs` passes over (x, y) in mini-batches; returns a History.

        Each epoch visits the samples in a new random order (shuffle=True), batch_size
        (default 32) at a time (the last batch may be smaller): one forward, backward and
        optimizer step per batch. x (any float dtype) is cast to the model's dtype one
        batch at a time. Reported losses are averages over the epoch's batches, weighted
        by batch size; metrics accumulate over the epoch (a function metric as the same
        weighted mean, a metric object such as MeanIoU through its update_state). With
        validation_data=(x_val, y_val) (or (x_val, y_val, sample_weight_val)), 'val_loss'
        etc. are computed at each epoch's end in inference mode (dropout off).

        validation_split=f in [0, 1): as in Keras, the LAST fraction f of the samples
        (taken before any shuffling) is held out as validation data.

        sample_weight: one weight per sample (N,) or per label (e.g. (N, H, W) for per-pixel
        labels); class_weight: {class: weight}, looked up at each label (integer labels of
        any shape, or the arg-max of one-hot rows). Both scale each term of the loss (Keras'
        reduction: Σ w·ℓ / number of terms).

        With kernel regularizers the reported and back-propagated loss is the data loss
        plus the sum of `model.losses` (val_loss includes it too, as in Keras).
        """
        batch_size = 32 if batch_size is None else batch_size
        _check_count("fit", "epochs", epochs, 0)
        custom = self._custom_step("train_step")       # a subclass's own train_step
        if custom:
            if class_weight is not None or validation_split:
                raise ValueError(f"{self.name}.fit: class_weight and validation_split are not "
                                 f"supported with a custom train_step; weigh the samples "
                                 f"inside train_step, and pass validation_data=(x_val, y_val)")
            xs, y_all, w_all = self._custom_data(x, y, sample_weight, batch_size, "fit")
            ys, ws = [], []
        else:
            xs, ys, ws = self._labelled_data(x, y, sample_weight, class_weight, batch_size,
                                             "fit")
        if not (isinstance(validation_split, int | float) and 0 <= validation_split < 1):
            raise ValueError(f"{self.name}.fit: validation_split must be a number in [0, 1), "
                             f"got {validation_split!r}")
        validation = None
        if validation_split and validation_data is None:
            n = len(xs[0])
            split_at = math.floor(n * (1.0 - validation_split))
            if split_at == 0 or split_at == n:
                raise ValueError(f"{self.name}.fit: x has {n} samples, too few to hold out "
                                 f"validation_split={validation_split} of them and keep some for "
                                 f"training; give more data or another validation_split")
            validation = ([a[split_at:] for a in xs], [a[split_at:] for a in ys],
                          [None if w is None else w[split_at:] for w in ws])
            xs, ys = [a[:split_at] for a in xs], [a[:split_at] for a in ys]
            ws = [None if w is None else w[:split_at] for w in ws]
        val_custom = self._custom_step("test_step")
        if validation_data is not None and val_custom:
            if not isinstance(validation_data, tuple | list) or len(validation_data) not in (2, 3):
                raise ValueError(f"{self.name}.fit: validation_data must be (x_val, y_val) or "
                                 f"(x_val, y_val, sample_weight_val)")
            validation = self._custom_data(*validation_data, *([None] * (3 - len(
                validation_data))), batch_size, "fit (validation_data)")
        elif validation_data is not None:
            validation = self._validation_arrays(validation_data, class_weight)
        n, steps = len(xs[0]), math.ceil(len(xs[0]) / batch_size)
        history = History()
        progbar = [ProgbarLogger(verbose)] if verbose else []
        callback_list = progbar + list(callbacks or []) + [history]
        for cb in callback_list:
            cb.set_model(self)
            cb.set_params({"epochs": epochs, "steps": steps, "verbose": verbose})
        weights = self.trainable_weights
        rng = self.rng if self.rng is not None else backend.get_rng()
        self.stop_training, logs = False, {}
        self._initial_epoch = initial_epoch   # BackupAndRestore moves it in on_train_begin
        for cb in callback_list:
            cb.on_train_begin()
        for epoch in range(self._initial_epoch, epochs):
            parallel.adapt_to_load()      # fewer threads while other processes hold cores
            for cb in callback_list:
                cb.on_epoch_begin(epoch)
            order = rng.permutation(n) if shuffle else np.arange(n)
            if custom:
                self._reset_step_metrics()
            trackers = self._trackers()
            totals: dict[str, float] = {}
            seen = 0
            for step in range(steps):
                for cb in callback_list:
                    cb.on_train_batch_begin(step)
                index = order[step * batch_size:(step + 1) * batch_size]
                if custom:
                    logs = self._run_step("train_step", xs, y_all, w_all, index)
                    for cb in callback_list:
                        cb.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
                    continue
                x_batch = [a[index].astype(self.dtype, copy=False) for a in xs]
                y_batch = [a[index] for a in ys]
                w_batch = [None if w is None else w[index] for w in ws]
                where = f"at epoch {epoch + 1}/{epochs}, batch {step + 1}/{steps}"
                outs = self._forward([Tensor(a) for a in x_batch], training=True)
                loss, values = self._batch_loss(y_batch, outs, x_batch, w_batch, where, True)
                penalty = self._penalty()
                if penalty is not None:              # loss = data loss + Σ penalties
                    loss = loss + penalty
                    values["loss"] = float(loss.data)
                self.optimizer.zero_grad(weights)
                loss.backward()
                self.optimizer.step(weights)
                self._update_metrics(trackers, y_batch, outs)
                seen += len(index)
                for key, value in values.items():
                    totals[key] = totals.get(key, 0.0) + value * len(index)
                logs = {**{key: total / seen for key, total in totals.items()},
                        **self._metric_results(trackers)}
                for cb in callback_list:
                    cb.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            if validation is not None:
                val = (self._evaluate_custom(*validation, batch_size) if val_custom
                       else self._evaluate_arrays(*validation, batch_size))
                logs = {**logs, **{f"val_{key}": value for key, value in val.items()}}
            for cb in callback_list:
                cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        for cb in callback_list:
            cb.on_train_end(logs)
        self.history = history
        return history

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

    # -- inference -------------------------------------------------------------------
    def _evaluate_arrays(self, xs: list[np.ndarray], ys: list[np.ndarray],
                         ws: list[np.ndarray | None], batch_size: int,
                         bar: Progbar | None = None) -> dict[str, float]:
        """Loss and metrics over (x, y) in inference mode (losses weighted by batch size)."""
        totals: dict[str, float] = {}
        n = len(xs[0])
        steps = math.ceil(n / batch_size)
        trackers = self._trackers()
        with no_grad():
            penalty = self._penalty()     # Σ model.losses: the weights do not change here
            for step in range(steps):
                batch = slice(step * batch_size, (step + 1) * batch_size)
                x_batch = [a[batch].astype(self.dtype, copy=False) for a in xs]
                y_batch = [a[batch] for a in ys]
                w_batch = [None if w is None else w[batch] for w in ws]
                outs = self._forward([Tensor(a) for a in x_batch], training=False)
                _, values = self._batch_loss(y_batch, outs, x_batch, w_batch, "in evaluate",
                                             False)
                if penalty is not None:
                    values["loss"] += float(penalty.data)
                self._update_metrics(trackers, y_batch, outs)
                size = len(x_batch[0])
                for key, value in values.items():
                    totals[key] = totals.get(key, 0.0) + value * size
                if bar is not None:
                    seen = min((step + 1) * batch_size, n)
                    averages = {key: total / seen for key, total in totals.items()}
                    bar.update(step + 1, {**averages, **self._metric_results(trackers)},
                               finalize=step == steps - 1)
        return {**{key: total / n for key, total in totals.items()},
                **self._metric_results(trackers)}

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: int = 1, sample_weight: Any = None, return_dict: bool = False,
                 class_weight: dict[int, float] | None = None) -> Any:
        """Loss (and metrics) over (x, y) in inference mode: [loss, metric1, ...], or the
        bare loss when there is nothing else to report; a dict with return_dict=True.
        sample_weight and class_weight as in `fit`."""
        batch_size = 32 if batch_size is None else batch_size
        if self._custom_step("test_step"):            # a subclass's own test_step
            if class_weight is not None:
                raise ValueError(f"{self.name}.evaluate: class_weight is not supported with a "
                                 f"custom test_step")
            xs, y_c, w_c = self._custom_data(x, y, sample_weight, batch_size, "evaluate")
            bar = Progbar(math.ceil(len(xs[0]) / batch_size), verbose) if verbose else None
            values = self._evaluate_custom(xs, y_c, w_c, batch_size, bar)
        else:
            xs, ys, ws = self._labelled_data(x, y, sample_weight, class_weight, batch_size,
                                             "evaluate")
            bar = Progbar(math.ceil(len(xs[0]) / batch_size), verbose) if verbose else None
            values = self._evaluate_arrays(xs, ys, ws, batch_size, bar)
        if return_dict:
            return values
        return next(iter(values.values())) if len(values) == 1 else list(values.values())

    def predict(self, x: Any, batch_size: int | None = None, verbose: int = 0) -> Any:
        """The model's outputs (N, ...) as NumPy arrays (a list for several outputs),
        computed batch by batch in inference mode (dropout off)."""
        batch_size = 32 if batch_size is None else batch_size
        _check_count("predict", "batch_size", batch_size, 1)
        xs = self._check_x(x, "predict")
        n = len(xs[0])
        steps = math.ceil(n / batch_size)
        bar = Progbar(steps, verbose) if verbose else None
        outputs: list[list[np.ndarray]] = [[] for _ in self.output_names]
        with no_grad():
            for step in range(steps):
                batch = slice(step * batch_size, (step + 1) * batch_size)
                outs = self._forward([Tensor(a[batch].astype(self.dtype, copy=False))
                                      for a in xs], training=False)
                for k, out in enumerate(outs):
                    outputs[k].append(out.data)
                if bar is not None:
                    bar.update(step + 1, {}, finalize=step == steps - 1)
        arrays = [np.concatenate(parts) if parts else
                  np.zeros((0, *(d or 0 for d in shape[1:])), self.dtype)
                  for parts, shape in zip(outputs, self._output_shapes())]
        return arrays[0] if len(arrays) == 1 else arrays


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


class _CompiledMetric:
    """One compiled metric as Keras 3's `model.metrics` lists it: update_state(y, y_pred,
    sample_weight=None) takes Tensors or arrays (for several outputs, the lists/dicts of
    them; this metric reads output k), result(), reset_state()."""

    def __init__(self, name: str, metric: Any, output: int) -> None:
        self.name, self.output = name, output
        self.tracker = (metric if _is_stateful(metric)
                        else metrics_module.MeanMetricWrapper(metric, name))
        self.tracker.reset_state()

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        def pick(v: Any) -> Any:
            if isinstance(v, dict):
                v = list(v.values())
            if isinstance(v, list | tuple):
                v = v[self.output]
            return np.asarray(v.data if isinstance(v, Tensor) else v)
        self.tracker.update_state(pick(y_true), pick(y_pred))

    def result(self) -> float:
        return float(self.tracker.result())

    def reset_state(self) -> None:
        self.tracker.reset_state()

    def __repr__(self) -> str:
        return f"<compiled metric {self.name!r}>"


def _final_activation(layer: Any) -> Any:
    """The activation applied last by `layer` (through nested models), or None."""
    inner = getattr(layer, "_output_layer", None)
    if inner is not None and getattr(layer, "built", False):
        return _final_activation(inner(0))
    return getattr(layer, "activation", None)


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
