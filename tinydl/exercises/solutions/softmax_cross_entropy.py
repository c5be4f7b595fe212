"""Reference solution of exercise `softmax_cross_entropy`."""
import numpy as np

from tinydl import Function


class SoftmaxCrossEntropy(Function):
    def forward(self, y_true, logits):
        shifted = logits - logits.max(axis=-1, keepdims=True)
        self.log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        self.y = y_true
        return np.asarray(-(y_true * self.log_p).sum() / len(logits))

    def backward(self, grad):
        return None, grad * (np.exp(self.log_p) - self.y) / len(self.y)
