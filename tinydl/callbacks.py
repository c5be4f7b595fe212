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

import sys
import time
from typing import Any, TextIO


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
