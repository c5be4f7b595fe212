"""gradcheck itself must catch wrong gradients, including ones a plain sum would hide."""
import numpy as np
import pytest

from tinydl import Function, GradcheckError, Tensor, gradcheck


class ReversedGradient(Function):
    """y = 2x, but backward sends each gradient to the mirrored position: correct under
    a plain sum of the output (every gradient is 2), wrong for any other upstream."""
    def forward(self, x):
        return 2 * x

    def backward(self, grad):
        return 2 * grad[::-1]


class OffByAFactor(Function):
    def forward(self, x):
        return np.sin(x)

    def backward(self, grad):
        return grad * np.cos(x_of(self)) * 1.01


def x_of(fn):
    return fn.inputs[0].data


def test_random_upstream_gradient_catches_what_a_sum_hides():
    x = np.array([1.0, 2.0, 3.0])
    # the bug is invisible to the sum of outputs:
    t = Tensor(x, requires_grad=True)
    ReversedGradient.apply(t).sum().backward()
    np.testing.assert_array_equal(t.grad, [2.0, 2.0, 2.0])
    # but not to a random contraction:
    with pytest.raises(GradcheckError) as info:
        gradcheck(ReversedGradient.apply, x)
    assert info.value.report.input_index == 0
    assert "GRADIENT MISMATCH" in str(info.value)


def test_report_names_input_element_and_both_values():
    a, b = np.array([0.3, -1.2]), np.array([[0.5, 0.1], [2.0, -0.7]])
    report = gradcheck(lambda a, b: a * 1.0 + OffByAFactor.apply(b), a, b, raise_exception=False)
    assert not report.ok
    assert report.input_index == 1 and len(report.element) == 2
    assert report.analytic == pytest.approx(1.01 * report.numeric, rel=1e-6)
    assert report.checked == a.size + b.size


def test_a_correct_op_passes_and_reports_every_element():
    x = np.linspace(-1, 1, 12).reshape(3, 4)
    report = gradcheck(lambda x: (x * x).sum(axis=0), x)
    assert report.ok and report.checked == 12


def test_float32_inside_fn_is_refused():
    with pytest.raises(TypeError, match="must keep float64 inputs in float64"):
        gradcheck(lambda x: Tensor(np.ones(3, np.float32)), np.ones(3))
