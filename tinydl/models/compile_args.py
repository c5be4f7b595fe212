"""compile's argument handling: which optimizer, which loss for which output, which metrics,
and the trackers that accumulate the metrics over an epoch (the `CompileArgs` part of
`Trainer`; the training loop is in trainer.py, the checks of x, y and the weights in
input_checks.py).

    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])

loss: one loss for every output, a list in output order, or a dict keyed by output layer
name; loss_weights likewise. metrics: a list (or one name) for every output, or a dict by
output name. A string is looked up as Keras does ('adam', 'mse', 'accuracy', 'auc', ...).
"""
from __future__ import annotations

import copy
import math
from typing import Any, Callable

import numpy as np

from .. import activations, losses, metrics as metrics_module, optimizers
from ..autograd import Tensor
from ..metrics.confusion import _ThresholdMetric


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


class CompileArgs:
    """The model's compile() and what it resolves: `optimizer`, the loss per output
    (`_output_losses`, `_loss_weights`), the metrics per output (`_output_metrics`, by report
    key in `_metrics_by_key`), and the metric trackers of one epoch."""

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
