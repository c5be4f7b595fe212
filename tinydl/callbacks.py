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
