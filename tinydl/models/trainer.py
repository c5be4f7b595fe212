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

import math
from typing import Any, Callable, Sequence

import numpy as np

from .. import backend, metrics as metrics_module, optimizers, parallel
from ..autograd import Tensor, no_grad
from ..callbacks import Callback, History, Progbar, ProgbarLogger
from .compile_args import CompileArgs, _CompiledMetric
from .input_checks import InputChecks, _batch_len, _check_count, unpack_x_y_sample_weight


class Trainer(CompileArgs, InputChecks):
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

    def _custom_step(self, which: str) -> bool:
        """True when the model's class overrides train_step (or test_step)."""
        return getattr(type(self), which) is not getattr(Trainer, which)

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
            (xs, ys, ws), validation = self._hold_out(xs, ys, ws, validation_split)
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
                where = f"at epoch {epoch + 1}/{epochs}, batch {step + 1}/{steps}"
                values = self._train_batch(xs, ys, ws, index, trackers, where)
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

    def _train_batch(self, xs: list[np.ndarray], ys: list[np.ndarray], ws: list[Any],
                     index: np.ndarray, trackers: list, where: str) -> dict[str, float]:
        """fit's built-in step on the samples `index`: the training loop of lesson 0,

            y_pred = model(x, training=True); loss = loss_fn(y, y_pred) (+ Σ penalties)
            optimizer.zero_grad(weights); loss.backward(); optimizer.step(weights)

        for every output at once (Σ_k loss_weight_k · loss_k), then the metrics updated;
        returns the batch's loss values by report key. (`train_step` is the same step in
        Keras 3's form, for subclasses to override.)"""
        x_batch = [a[index].astype(self.dtype, copy=False) for a in xs]
        y_batch = [a[index] for a in ys]
        w_batch = [None if w is None else w[index] for w in ws]
        outs = self._forward([Tensor(a) for a in x_batch], training=True)
        loss, values = self._batch_loss(y_batch, outs, x_batch, w_batch, where, True)
        penalty = self._penalty()
        if penalty is not None:              # loss = data loss + Σ penalties
            loss = loss + penalty
            values["loss"] = float(loss.data)
        weights = self.trainable_weights
        self.optimizer.zero_grad(weights)
        loss.backward()
        self.optimizer.step(weights)
        self._update_metrics(trackers, y_batch, outs)
        return values

    def _hold_out(self, xs: list[np.ndarray], ys: list[np.ndarray], ws: list[Any],
                  validation_split: float) -> tuple[tuple, tuple]:
        """((xs, ys, ws) to train on, (xs, ys, ws) held out): as in Keras, the LAST
        fraction `validation_split` of the samples, taken before any shuffling."""
        n = len(xs[0])
        split_at = math.floor(n * (1.0 - validation_split))
        if split_at == 0 or split_at == n:
            raise ValueError(f"{self.name}.fit: x has {n} samples, too few to hold out "
                             f"validation_split={validation_split} of them and keep some for "
                             f"training; give more data or another validation_split")
        head = ([a[:split_at] for a in xs], [a[:split_at] for a in ys],
                [None if w is None else w[:split_at] for w in ws])
        tail = ([a[split_at:] for a in xs], [a[split_at:] for a in ys],
                [None if w is None else w[split_at:] for w in ws])
        return head, tail

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


