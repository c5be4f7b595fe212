"""Reference solution of exercise `mse`."""
import numpy as np

from tinydl import Function


class MSE(Function):
    def forward(self, y_true, y_pred):
        self.diff = y_pred - y_true
        return np.asarray(np.mean(self.diff ** 2))

    def backward(self, grad):
        return None, grad * 2 * self.diff / self.diff.size
