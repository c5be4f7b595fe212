"""Reference solution of exercise `adam`."""
import numpy as np


def adam_step(theta, grad, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999,
              epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad * grad
    m_hat = m / (1 - beta_1 ** t)
    v_hat = v / (1 - beta_2 ** t)
    return theta - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v
