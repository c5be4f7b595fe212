"""Callbacks: code that `fit` calls at fixed points of training, as in Keras.

    class StopAtLoss(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if logs["loss"] < 0.05:
                self.model.stop_training = True      # fit stops after this epoch

    history = model.fit(x, y, epochs=10, callbacks=[StopAtLoss()])
    history.history["loss"]                          # one value per epoch

`logs` is a dict of floats: in on_batch_end the running averages over the epoch so
far ('loss', 'accuracy', ...); in on_epoch_end the epoch's averages plus 'val_loss',
'val_accuracy', ... when there is validation data. Epochs and batches count from 0.

Keras 3's callbacks are here too: LambdaCallback (hooks as plain functions),
ReduceLROnPlateau, LearningRateScheduler (the learning rate from the epoch), CSVLogger,
TerminateOnNaN, BackupAndRestore (resume an interrupted fit exactly), next to History,
EarlyStopping, ModelCheckpoint and ProgbarLogger. fit calls on_train_batch_begin/end,
which by default call on_batch_begin/end: override either name.
"""
from __future__ import annotations

import errno
import math
import operator
import os
import sys
import time
import warnings
from typing import Any, Callable, TextIO

import numpy as np


class Callback:
    """Base class: override any of the hooks. `self.model` is the model being trained,
    `self.params` holds {'epochs', 'steps', 'verbose'}."""

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None: ...
    def on_train_end(self, logs: dict[str, float] | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None: ...
    def on_batch_begin(self, batch: int, logs: dict[str, float] | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None: ...

    # Keras 3's names for the training batches: fit calls these; by default they call
    # on_batch_begin / on_batch_end (Keras' backwards-compatible aliases), so overriding
    # either name works.
    def on_train_batch_begin(self, batch: int, logs: dict[str, float] | None = None) -> None:
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        self.on_batch_end(batch, logs)

    # Keras' evaluate/predict hooks, for subclasses written against Keras.
    def on_test_begin(self, logs: dict[str, float] | None = None) -> None: ...
    def on_test_end(self, logs: dict[str, float] | None = None) -> None: ...
    def on_test_batch_begin(self, batch: int, logs: dict[str, float] | None = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None: ...
    def on_predict_begin(self, logs: dict[str, float] | None = None) -> None: ...
    def on_predict_end(self, logs: dict[str, float] | None = None) -> None: ...
    def on_predict_batch_begin(self, batch: int,
                               logs: dict[str, float] | None = None) -> None: ...
    def on_predict_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None: ...


class History(Callback):
    """Records the epoch logs: `history.history` = {'loss': [...], 'accuracy': [...],
    'val_loss': [...], ...} with one value per epoch, `history.epoch` = [0, 1, ...].
    `fit` returns it."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


def _monitor_op(name: str, monitor: str, mode: str) -> Callable[[float, float], bool]:
    """'min' → a < b is better; 'max' → a > b; 'auto' → max when the name contains 'acc'
    (accuracy, val_accuracy, ...), else min (losses)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{name}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "max" or (mode == "auto" and "acc" in monitor):
        return operator.gt
    return operator.lt


class EarlyStopping(Callback):
    """Stop training when the monitored value has stopped improving (Keras 3's rule).

    At each epoch's end, with current = logs[monitor]:
        improvement:  current < best - min_delta       (mode 'min'; for 'max':
                      current > best + min_delta), where best starts at ±inf
        wait ← wait + 1; on an improvement best ← current and, when current also
        beats `baseline` (or there is none), wait ← 0
        otherwise, once wait ≥ patience (and epoch > 0): model.stop_training = True

    So with patience=p training stops p epochs after the last improvement (at the first
    non-improving epoch for p = 0). With a baseline, training stops after `patience`
    epochs unless the value beats it.

    restore_best_weights=True: at the end of training (stopped early or not) the
    weights of the best epoch are copied back, bit for bit.

    Attributes after training: stopped_epoch (0-based; 0 when not stopped), best,
    best_epoch.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 mode: str = "auto", restore_best_weights: bool = False,
                 baseline: float | None = None, verbose: int = 0) -> None:
        super().__init__()
        self.monitor, self.patience, self.verbose = monitor, patience, verbose
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self.monitor_op = _monitor_op("EarlyStopping", monitor, mode)
        # stored with Keras' sign, so that "current - min_delta beats best" is the test:
        # negative for 'min' (current + |δ| < best), positive for 'max'
        self.min_delta = -abs(min_delta) if self.monitor_op is operator.lt else abs(min_delta)
        self.on_train_begin()

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best = math.inf if self.monitor_op is operator.lt else -math.inf
        self.best_weights: list[np.ndarray] | None = None

    def _is_improvement(self, value: float, reference: float) -> bool:
        return bool(self.monitor_op(value - self.min_delta, reference))

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"EarlyStopping: monitor {self.monitor!r} is not in the logs; "
                          f"available: {', '.join(logs or {})}", stacklevel=2)
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = _copy_weights(self.model), epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = _copy_weights(self.model)
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            for weight, saved in zip(self.model.weights, self.best_weights):
                weight.data[...] = saved     # in place: the optimizer's state stays attached


def _copy_weights(model: Any) -> list[np.ndarray]:
    return [weight.data.copy() for weight in model.weights]


class ModelCheckpoint(Callback):
    """Save the weights (`model.save_weights`, an .npz file) at each epoch's end.

    filepath may hold placeholders filled from the epoch's logs with str.format, the
    epoch counted from 1 as Keras prints it: "ckpt_{epoch:02d}_{val_loss:.4f}.npz" →
    "ckpt_03_0.4321.npz". The folders of filepath are made when training begins (a
    folder that cannot be made is an OSError naming it, before any epoch runs). Each save
    is atomic (model.save_weights): a failed save leaves the previous file whole.

    save_best_only=True: save only when logs[monitor] beats the best value so far
    (strictly: < for mode 'min', > for 'max'; mode 'auto' as in EarlyStopping), so a
    fixed filepath always holds the best weights. Only weights are saved (tinydl has
    no whole-model format): save_weights_only=False is refused.
    """

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss",
                 save_best_only: bool = False, save_weights_only: bool = True,
                 mode: str = "auto", verbose: int = 0) -> None:
        super().__init__()
        if not save_weights_only:
            raise NotImplementedError("ModelCheckpoint: tinydl saves weights only "
                                      "(model.save_weights); use save_weights_only=True")
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.monitor_op = _monitor_op("ModelCheckpoint", monitor, mode)
        self.best = math.inf if self.monitor_op is operator.lt else -math.inf

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        """Make the folders of filepath now, so that a bad path fails before the first
        epoch's work rather than after it. A folder part with placeholders
        ("run_{epoch}/w.npz") is made at each save; its fixed parent is made here."""
        folder = os.path.dirname(self.filepath)
        fixed = folder.split("{", 1)[0]
        if "{" in folder:
            fixed = os.path.dirname(fixed)
        elif os.path.isdir(self.filepath):
            raise ValueError(f"ModelCheckpoint: filepath {self.filepath!r} is a folder; "
                             f"expected a file name, e.g. {os.path.join(self.filepath, 'weights.npz')!r}")
        _make_folder(fixed, self.filepath)

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        logs = logs or {}
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as exc:
            raise KeyError(f"ModelCheckpoint: filepath {self.filepath!r} uses {exc}, which is "
                           f"not in the logs ({', '.join(logs)})") from None
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"ModelCheckpoint: can save best model only with {self.monitor!r} "
                              f"available, skipping", stacklevel=2)
                return
            if not self.monitor_op(current, self.best):
                if self.verbose > 0:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from "
                          f"{self.best:.5f}")
                return
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{current:.5f}, saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        if "{" in os.path.dirname(self.filepath):
            _make_folder(os.path.dirname(path), self.filepath)
        self.model.save_weights(path)


def _make_folder(folder: str, filepath: str) -> None:
    """os.makedirs(folder) (nothing for ''), with an error naming the folder and filepath."""
    if not folder or os.path.isdir(folder):
        if folder and not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, f"ModelCheckpoint: cannot write into the folder "
                                  f"of filepath {filepath!r}", folder)
        return
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise OSError(exc.errno, f"ModelCheckpoint: cannot create the folder for filepath "
                      f"{filepath!r} ({exc.strerror})", folder) from exc


def _format_value(value: float) -> str:
    """Keras' number format: 4 decimals, or scientific notation for tiny values."""
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _format_duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds) // 3600}:{int(seconds) % 3600 // 60:02d}:{int(seconds) % 60:02d}"
    if seconds >= 60:
        return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"
    return f"{int(seconds)}s"


def _format_per_step(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class Progbar:
    """Keras' progress bar, e.g.

        469/469 [==============================] - 12s 25ms/step - loss: 0.2311 - accuracy: 0.9301

    verbose=1: on a terminal the line is redrawn in place ('\\r') as batches finish
    (with an ETA); when the output is not a terminal (a log file, a notebook capture)
    only the finished line is written, so logs stay small.
    verbose=2: only the finished line, without the bar: `469/469 - 12s - 25ms/step - ...`.
    verbose=0: nothing.
    """

    def __init__(self, target: int, verbose: int = 1, width: int = 30, prefix: str = "",
                 interval: float = 0.1, stream: TextIO | None = None) -> None:
        self.target, self.verbose, self.width, self.prefix = target, verbose, width, prefix
        self.interval = interval
        self.stream = stream if stream is not None else sys.stdout
        self.start = self.last_draw = time.perf_counter()
        self.drawn_width = 0

    def update(self, current: int, values: dict[str, float], finalize: bool = False) -> None:
        """Show progress `current` of `target` with the running `values`."""
        if self.verbose == 0 or not (finalize or self._interactive()):
            return
        now = time.perf_counter()
        if not finalize and now - self.last_draw < self.interval:
            return
        self.last_draw = now
        elapsed = now - self.start
        per_step = elapsed / max(current, 1)
        metrics = "".join(f" - {k}: {_format_value(v)}" for k, v in values.items())
        digits = len(str(self.target))
        if self.verbose == 2:
            line = (f"{self.prefix}{current:{digits}d}/{self.target} - {_format_duration(elapsed)}"
                    f" - {_format_per_step(per_step)}{metrics}")
        else:
            done = self.width if current >= self.target else int(self.width * current / self.target)
            bar = "=" * done + (">" if done < self.width else "") + "." * (self.width - done - 1)
            timing = (f"{_format_duration(elapsed)} {_format_per_step(per_step)}" if finalize else
                      f"ETA: {_format_duration(per_step * (self.target - current))}")
            line = f"{self.prefix}{current:{digits}d}/{self.target} [{bar}] - {timing}{metrics}"
        if self._interactive() and self.verbose == 1:
            padding = " " * max(self.drawn_width - len(line), 0)
            self.stream.write("\r" + line + padding + ("\n" if finalize else ""))
            self.drawn_width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def _interactive(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())


class ProgbarLogger(Callback):
    """Prints `Epoch 1/10` and then the epoch's progress bar (verbose=1), or one line per
    epoch (verbose=2). `fit(verbose=...)` adds it for you."""

    def __init__(self, verbose: int = 1) -> None:
        super().__init__()
        self.verbose = verbose
        self.bar: Progbar | None = None
        self.seen = 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        header = f"Epoch {epoch + 1}/{self.params['epochs']}"
        if self.verbose == 1:
            print(header, flush=True)
        self.bar = Progbar(self.params["steps"], self.verbose,
                           prefix=f"{header} - " if self.verbose == 2 else "")
        self.seen = 0

    def on_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        self.seen = batch + 1
        self.bar.update(self.seen, logs or {})

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.bar.update(self.seen, logs or {}, finalize=True)


_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
          "on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end",
          "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
          "on_predict_begin", "on_predict_end", "on_predict_batch_begin",
          "on_predict_batch_end")


class LambdaCallback(Callback):
    """A callback made of plain functions, one per hook (Keras 3's LambdaCallback):

        LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))

    The epoch/batch hooks are called as f(epoch_or_batch, logs), on_train_begin/end and
    the other begin/end hooks as f(logs). Any hook name of `Callback` may be given by
    keyword; the six positional ones are Keras': on_epoch_begin, on_epoch_end,
    on_train_begin, on_train_end, on_train_batch_begin, on_train_batch_end.
    """

    def __init__(self, on_epoch_begin: Callable | None = None,
                 on_epoch_end: Callable | None = None, on_train_begin: Callable | None = None,
                 on_train_end: Callable | None = None,
                 on_train_batch_begin: Callable | None = None,
                 on_train_batch_end: Callable | None = None, **kwargs: Callable) -> None:
        super().__init__()
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end, **kwargs}
        for name, function in hooks.items():
            if name not in _HOOKS:
                raise TypeError(f"LambdaCallback: unknown hook {name!r}; the hooks are "
                                f"{', '.join(_HOOKS)}")
            if function is None:
                continue
            if not callable(function):
                raise TypeError(f"LambdaCallback: {name} must be a function, got "
                                f"{type(function).__name__} {function!r}")
            setattr(self, name, _wrap_hook(name, function))


def _wrap_hook(name: str, function: Callable) -> Callable:
    """The hook as an instance attribute (called without self) that always passes logs,
    as Keras does: f(epoch_or_batch, logs) or f(logs)."""
    if name.endswith(("epoch_begin", "epoch_end", "batch_begin", "batch_end")):
        def hook(index: int, logs: dict[str, float] | None = None) -> None:
            function(index, logs)
    else:
        def hook(logs: dict[str, float] | None = None) -> None:  # type: ignore[misc]
            function(logs)
    return hook


def _optimizer_of(model: Any, who: str) -> Any:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(f"{who}: the model has no optimizer with a learning_rate; "
                         f"call model.compile(optimizer=...) first")
    if getattr(optimizer, "learning_rate_schedule", None) is not None:
        raise TypeError(f"{who}: the optimizer's learning rate is a schedule "
                        f"({optimizer.learning_rate_schedule!r}), which {who} would replace; "
                        f"give the optimizer a fixed learning_rate, or use the schedule alone")
    return optimizer


class ReduceLROnPlateau(Callback):
    """Divide the learning rate when the monitored value stops improving (Keras 3's rule).

    At each epoch's end, with current = logs[monitor] and better(a, b) meaning
    a < b - min_delta (mode 'min') or a > b + min_delta (mode 'max'; 'auto': 'max' when
    the name contains 'acc'):
        in cooldown (cooldown_counter > 0): cooldown_counter -= 1, wait ← 0
        if better(current, best): best ← current, wait ← 0
        elif not in cooldown: wait += 1, and once wait ≥ patience and lr > min_lr:
            lr ← max(lr·factor, min_lr), cooldown_counter ← cooldown, wait ← 0
    It also writes logs['learning_rate'] (the rate at the epoch's end), so History and
    a CSVLogger after it record the rate.

    Args:
        monitor: the logs key, e.g. 'val_loss'.
        factor: new_lr = lr·factor, in (0, 1).
        patience: epochs without improvement before a reduction (int >= 0).
        min_delta: the smallest change that counts as an improvement (>= 0).
        cooldown: epochs after a reduction during which no new plateau is counted.
        min_lr: the rate never goes below it.
        mode: 'auto', 'min' or 'max'.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0) -> None:
        super().__init__()
        name = "ReduceLROnPlateau"
        if isinstance(factor, bool) or not isinstance(factor, int | float) \
                or not 0 < factor < 1:
            raise ValueError(f"{name}: factor must be a number in (0, 1) (new_lr = lr·factor), "
                             f"got {factor!r}")
        for arg, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                raise ValueError(f"{name}: {arg} must be an int >= 0 (epochs), got {value!r}")
        for arg, value in (("min_delta", min_delta), ("min_lr", min_lr)):
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name}: {arg} must be a finite number >= 0, got {value!r}")
        self.monitor, self.factor, self.patience, self.verbose = monitor, float(factor), \
            int(patience), verbose
        self.min_delta, self.cooldown, self.min_lr = abs(float(min_delta)), int(cooldown), \
            float(min_lr)
        self.mode = mode
        self._maximize = _monitor_op(name, monitor, mode) is operator.gt
        self._reset()

    def _reset(self) -> None:
        self.best = -math.inf if self._maximize else math.inf
        self.cooldown_counter = 0
        self.wait = 0

    def _better(self, current: float, best: float) -> bool:
        if self._maximize:
            return current > best + self.min_delta
        return current < best - self.min_delta

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        _optimizer_of(self.model, "ReduceLROnPlateau")
        self._reset()

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        logs = logs if logs is not None else {}
        optimizer = _optimizer_of(self.model, "ReduceLROnPlateau")
        logs["learning_rate"] = float(optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"ReduceLROnPlateau: monitor {self.monitor!r} is not in the logs; "
                          f"available: {', '.join(logs)}", stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._better(current, self.best):
            self.best, self.wait = current, 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old = float(optimizer.learning_rate)
                if old > np.float32(self.min_lr):
                    new = max(old * self.factor, self.min_lr)
                    optimizer.learning_rate = new
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {new}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch's start from a function of the epoch (Keras 3):

        def schedule(epoch, lr):                 # epoch from 0; lr: the current rate
            return lr if epoch < 10 else lr * 0.9
        model.fit(..., callbacks=[LearningRateScheduler(schedule)])

    A function of the epoch alone, schedule(epoch), works too (Keras' older form). It
    must return a finite number >= 0. logs['learning_rate'] is written at each epoch's
    end. (Per-step schedules belong in the optimizer: `optimizers.schedules`.)
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be a function "
                            f"schedule(epoch, lr) -> float, got {type(schedule).__name__}")
        self.schedule, self.verbose = schedule, verbose
        self._takes_lr = _positional_count(schedule) >= 2

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        optimizer = _optimizer_of(self.model, "LearningRateScheduler")
        lr = (self.schedule(epoch, float(optimizer.learning_rate)) if self._takes_lr
              else self.schedule(epoch))
        if isinstance(lr, bool) or not isinstance(lr, int | float | np.integer | np.floating) \
                or not (math.isfinite(lr) and lr >= 0):
            raise ValueError(f"LearningRateScheduler: the schedule returned {lr!r} for epoch "
                             f"{epoch}; it must return the learning rate, a finite number >= 0")
        optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{float(lr)}.")

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


def _positional_count(function: Callable) -> int:
    """How many positional arguments `function` accepts (a large number for *args)."""
    import inspect
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 2
    count = 0
    for p in parameters:
        if p.kind is p.VAR_POSITIONAL:
            return 1 << 30
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


class TerminateOnNaN(Callback):
    """Stop training at the first batch whose loss is NaN or inf (Keras 3): sets
    model.stop_training, so fit ends after that batch and returns its History.

    tinydl's fit already stops with a FloatingPointError that explains the cause when
    the model's OUTPUT becomes NaN or inf; TerminateOnNaN catches the loss in the logs,
    e.g. a NaN weight penalty or a custom train_step, and stops quietly instead.
    """

    def on_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file (Keras 3's CSVLogger):

        epoch,accuracy,loss,val_accuracy,val_loss
        0,0.8123,0.5321,0.8410,0.4702
        ...

    Columns: 'epoch' (from 0, as Keras writes it) then the keys of the first epoch's logs
    in sorted order; a key missing in a later epoch is written as NA.

    The file is rewritten ATOMICALLY at each epoch's end through tinydl.io.atomic_write
    (whole content to a temporary file, then renamed over the target): at every moment
    the file is a complete CSV, header and whole rows, never a half-written line, even if
    training is killed mid-write (Keras appends line by line to an open file). The cost is
    rewriting the file each epoch, a few kB for hundreds of epochs. It is created (or
    emptied, append=False) when training begins, so a bad path fails before any epoch.

    Args:
        filename: the CSV file's path.
        separator: the field separator (a 1-character string).
        append: keep the rows already in the file (continuing a training) and add after
            them; the header is written only if the file was empty or missing.
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",",
                 append: bool = False) -> None:
        super().__init__()
        if not (isinstance(separator, str) and len(separator) == 1):
            raise ValueError(f"CSVLogger: separator must be a single character such as ',' "
                             f"or ';', got {separator!r}")
        if os.path.isdir(filename):
            raise ValueError(f"CSVLogger: filename {os.fspath(filename)!r} is a folder; "
                             f"expected a file name such as 'training.csv'")
        self.filename, self.sep, self.append = os.fspath(filename), separator, bool(append)
        self.keys: list[str] | None = None
        self._prefix, self._rows = "", ""

    def _write(self) -> None:
        from . import io as tinydl_io
        data = (self._prefix + self._rows).encode("utf-8")
        tinydl_io.atomic_write(self.filename, lambda f: f.write(data))

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.keys, self._rows, self._prefix = None, "", ""
        if self.append and os.path.exists(self.filename):
            with open(self.filename, encoding="utf-8", newline="") as f:
                self._prefix = f.read()
            if self._prefix and not self._prefix.endswith("\n"):
                self._prefix += "\n"
        self._write()

    @staticmethod
    def _value(value: Any) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, np.ndarray) and value.ndim == 0:
            return value.item()
        if isinstance(value, list | tuple | np.ndarray):
            return f"[{', '.join(map(str, value))}]"
        return value

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        import csv
        import io as std_io
        logs = logs or {}
        buffer = std_io.StringIO()
        if self.keys is None:
            self.keys = sorted(logs)
            header = ["epoch", *self.keys]
            if not self._prefix:
                csv.writer(buffer, delimiter=self.sep, lineterminator="\n").writerow(header)
        row = [epoch, *(self._value(logs.get(key, "NA")) for key in self.keys)]
        csv.writer(buffer, delimiter=self.sep, lineterminator="\n").writerow(row)
        self._rows += buffer.getvalue()
        self._write()


class BackupAndRestore(Callback):
    """Back up the training at each epoch's end, so that a `fit` interrupted by a crash, a
    Ctrl-C or a killed job resumes exactly where it stopped (Keras 3's BackupAndRestore).

        backup = BackupAndRestore("backup")
        model.fit(x, y, epochs=20, callbacks=[backup])   # killed during epoch 7
        model.fit(x, y, epochs=20, callbacks=[backup])   # run again: continues at epoch 7

    One file, backup_dir/training_state.npz, written atomically (tinydl.io.save_npz) at
    each epoch's end, holds everything the next epochs depend on: every weight of the
    model (trainable and not), the optimizer's state_dict (moments, iterations, learning
    rate), the state of every random generator fit draws from (tinydl's shared one, the
    model's and each layer's: shuffling and dropout), and the number of finished epochs.
    As one file it is always a consistent snapshot: an interruption during the save
    leaves the previous epoch's backup whole.

    When training begins and a backup exists, it is restored into the model (same
    architecture and optimizer type: anything else is an error naming the file) and fit
    continues with the next epoch; the resumed run's weights are then bit for bit those of
    an uninterrupted run. When fit completes, the backup is deleted
    (delete_checkpoint=True). Not restored: other callbacks' own state (e.g. a
    ReduceLROnPlateau's patience count), as in Keras; the History holds only the resumed
    epochs.

    Args:
        backup_dir: the folder for the backup (made if missing). Use one per training run.
        save_freq: 'epoch' (backing up mid-epoch, Keras' int form, is not supported).
        delete_checkpoint: delete the backup once fit finishes.
    """

    FILE = "training_state.npz"

    def __init__(self, backup_dir: str | os.PathLike, save_freq: str = "epoch",
                 delete_checkpoint: bool = True) -> None:
        super().__init__()
        if not isinstance(backup_dir, str | os.PathLike) or not os.fspath(backup_dir):
            raise ValueError(f"BackupAndRestore: backup_dir must be a folder path, got "
                             f"{backup_dir!r}")
        if save_freq != "epoch":
            raise ValueError(f"BackupAndRestore: save_freq must be 'epoch' (tinydl backs up at "
                             f"each epoch's end; resuming mid-epoch is not supported), got "
                             f"{save_freq!r}")
        self.backup_dir, self.save_freq = os.fspath(backup_dir), save_freq
        self.delete_checkpoint = bool(delete_checkpoint)
        self.path = os.path.join(self.backup_dir, self.FILE)

    def _generators(self) -> dict[str, np.random.Generator]:
        from . import backend
        found = {"tinydl": backend.get_rng()}
        if getattr(self.model, "rng", None) is not None:
            found["model"] = self.model.rng
        for i, layer in enumerate(getattr(self.model, "layers", [])):
            if getattr(layer, "rng", None) is not None:
                found[f"layer/{i}"] = layer.rng
        return found

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        try:
            os.makedirs(self.backup_dir, exist_ok=True)
        except OSError as exc:
            raise OSError(exc.errno, f"BackupAndRestore: cannot create backup_dir "
                          f"({exc.strerror})", self.backup_dir) from exc
        if os.path.exists(self.path):
            self._restore()

    def _restore(self) -> None:
        import json

        from .io import load_npz
        state = load_npz(self.path, caller="BackupAndRestore",
                         what="a training backup written by BackupAndRestore")
        where = f"BackupAndRestore: the backup {self.path!r}"
        weights = self.model.weights
        saved = [state.get(f"weights/{i}") for i in range(len(weights))]
        if any(s is None for s in saved) or f"weights/{len(weights)}" in state or \
                any(s.shape != w.shape for s, w in zip(saved, weights)):
            raise ValueError(f"{where} does not match this model's weights (another "
                             f"architecture); delete it or use another backup_dir")
        saved_rngs = json.loads(str(state["rng_states"]))
        generators = self._generators()
        if set(saved_rngs) != set(generators):
            raise ValueError(f"{where} has random generators {sorted(saved_rngs)} but this "
                             f"model has {sorted(generators)}; delete it or use another "
                             f"backup_dir")
        optimizer_state = {k.split("/", 1)[1]: v for k, v in state.items()
                           if k.startswith("optimizer/")}
        try:     # all checks pass before anything changes, except the optimizer's own
            self.model.optimizer.load_state_dict(optimizer_state,
                                                 self.model.trainable_weights)
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{where} does not match this model's optimizer ({exc})") from None
        for weight, value in zip(weights, saved):
            weight.data[...] = value
        for name, gen in generators.items():
            gen.bit_generator.state = saved_rngs[name]
        self.model._initial_epoch = int(state["epoch"])

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        import json

        from .io import save_npz
        state: dict[str, Any] = {"epoch": epoch + 1}
        for i, weight in enumerate(self.model.weights):
            state[f"weights/{i}"] = weight.data
        for key, value in self.model.optimizer.state_dict(self.model.trainable_weights).items():
            state[f"optimizer/{key}"] = value
        state["rng_states"] = np.array(json.dumps(
            {name: gen.bit_generator.state for name, gen in self._generators().items()}))
        save_npz(self.path, state)

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        if self.delete_checkpoint and os.path.exists(self.path):
            os.remove(self.path)
