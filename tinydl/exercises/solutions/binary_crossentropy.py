"""Reference solution of exercise `binary_crossentropy`."""
import numpy as np

from tinydl import Function


class BinaryCrossentropy(Function):
    def forward(self, y_true, y_pred):
        self.y, self.p = y_true, y_pred
        terms = y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)
        return np.asarray(-terms.mean())

    def backward(self, grad):
        y, p = self.y, self.p
        return None, grad * (p - y) / (p * (1 - p)) / p.size
