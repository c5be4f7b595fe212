"""The autograd engine: graph recording, backward, accumulation, no_grad, errors."""
import sys
import warnings

import numpy as np
import pytest

import tinydl
import tinydl.functional as F
from tinydl import Function, Tensor, gradcheck, no_grad


def test_chain_rule_by_hand():
    # f(x, y) = (x·y + x)², df/dx = 2(xy + x)(y + 1), df/dy = 2(xy + x)·x
    x = Tensor(2.0, requires_grad=True)
    y = Tensor(3.0, requires_grad=True)
    f = (x * y + x) ** 2
    f.backward()
    assert f.item() == 64.0
    assert x.grad == 2 * 8 * 4 and y.grad == 2 * 8 * 2


def test_a_tensor_used_twice_gets_both_gradients():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 5.0])


def test_gradients_accumulate_until_zeroed():
    x = Tensor([1.0, -1.0], requires_grad=True)
    (3 * x).sum().backward()
    (3 * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    x.zero_grad()
    assert x.grad is None


def test_second_backward_through_the_same_graph_is_refused():
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through a graph a second time"):
        loss.backward()


def test_retain_graph_allows_a_second_backward_and_accumulates():
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_non_scalar_backward_needs_a_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"shape \(2,\); a gradient argument"):
        y.backward()
    y.backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 20.0])


def test_backward_gradient_of_the_wrong_shape():
    y = Tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"grad has shape \(3,\), expected \(2,\)"):
        y.backward(np.ones(3))


def test_backward_on_a_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2).sum().backward()


def test_no_grad_records_nothing_and_detach_cuts_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = x * 2
    assert not y.requires_grad and tinydl.is_grad_enabled()
    z = (x * 3).detach()
    assert not z.requires_grad and z.is_leaf
    w = (z * x).sum()
    w.backward()
    np.testing.assert_array_equal(x.grad, [3.0, 6.0])


def test_retain_grad_keeps_an_intermediate_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = (x * 2).retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad, [4.0, 8.0])


def test_deep_graph_does_not_hit_the_recursion_limit():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(sys.getrecursionlimit() * 2):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0


def test_dtypes():
    assert Tensor([1, 2]).dtype == np.float32
    assert Tensor(np.zeros(2, np.float64)).dtype == np.float64
    x32 = Tensor(np.ones(2, np.float32), requires_grad=True)
    y = (x32 * 2.5 + 1) / 3
    assert y.dtype == np.float32
    y.sum().backward()
    assert x32.grad.dtype == np.float32
    assert (x32 + np.ones(2)).dtype == np.float64  # NumPy's promotion rule


@pytest.mark.parametrize("bad", [np.arange(3), np.zeros(3, bool), np.array(["a"], dtype=object)])
def test_integer_bool_and_object_arrays_are_refused(bad):
    with pytest.raises(TypeError, match=rf"Tensor: data has dtype {bad.dtype}.*expected a float32 or float64"):
        Tensor(bad)
    with pytest.raises(TypeError, match=r"(?i)relu: input 0 has dtype"):
        F.relu(bad)


def test_numpy_functions_on_tensors_are_refused_rather_than_dropping_the_graph():
    with pytest.raises(TypeError):
        np.exp(Tensor([1.0]))
    # but a NumPy array on the left of an operator works and keeps the graph
    x = Tensor([1.0, 2.0], requires_grad=True)
    (np.array([3.0, 4.0]) * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_broadcast_gradient_is_summed_back():
    x = Tensor(np.ones((3, 1)), requires_grad=True)
    b = Tensor(np.ones(4), requires_grad=True)
    (x * b).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((3, 1), 4.0))
    np.testing.assert_array_equal(b.grad, np.full(4, 3.0))


class Square(Function):
    """The example from Function's docstring: a student-written op."""
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        return 2 * self.x * grad


def test_user_defined_function():
    x = Tensor([1.0, -2.0], requires_grad=True)
    Square.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, -4.0])
    gradcheck(Square.apply, np.array([[0.5, -1.5], [2.0, 3.0]]))


def test_a_function_returning_a_gradient_of_the_wrong_shape_is_named():
    class Broken(Function):
        def forward(self, x):
            return x.sum()

        def backward(self, grad):
            return np.ones(5)

    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Broken.backward returned a gradient of shape \(5,\) for input 0 of shape \(2, 3\)"):
        Broken.apply(x).backward()


def test_a_function_returning_too_few_gradients_is_named():
    class TwoInputs(Function):
        def forward(self, a, b):
            return a + b

        def backward(self, grad):
            return grad

    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="TwoInputs.backward returned 1 gradients for 2 inputs"):
        TwoInputs.apply(a, b).backward()


def test_shape_errors_name_the_op():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(2, 3\) do not align"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\)"):
        Tensor(np.ones((2, 3))).reshape(4)
    with pytest.raises(ValueError, match="sum: axis 2 is out of range"):
        Tensor(np.ones((2, 3))).sum(axis=2)


def test_item_and_repr():
    assert Tensor([[2.5]]).item() == 2.5
    with pytest.raises(ValueError, match="only one-element tensors"):
        Tensor([1.0, 2.0]).item()
    assert "requires_grad=True" in repr(Tensor([1.0], requires_grad=True))


def test_activations_are_finite_at_plus_minus_1e4():
    for dtype in (np.float32, np.float64):
        x = Tensor(np.array([[-1e4, 0.0, 1e4], [1e4, 1e4, -1e4]], dtype=dtype), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an overflow in exp would warn
            outs = [F.sigmoid(x), F.softmax(x), F.log_softmax(x), F.tanh(x)]
            for out in outs:
                assert np.all(np.isfinite(out.data)), out
                out.backward(np.ones(out.shape, dtype=dtype))
                assert np.all(np.isfinite(x.grad))
        np.testing.assert_array_equal(outs[0].data[0], [0.0, 0.5, 1.0])
        np.testing.assert_allclose(outs[1].data[1], [0.5, 0.5, 0.0])
        np.testing.assert_allclose(outs[2].data[0], [-2e4, -1e4, 0.0])


def test_which_tensors_get_gradients_is_decided_in_the_forward_pass():
    """backward() follows the graph as recorded: flipping requires_grad afterwards
    changes nothing (tinydl.gan's G step relies on this to skip D's gradients)."""
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=False)
    y = (a * b).sum()
    a.requires_grad, b.requires_grad = False, True
    y.backward()
    np.testing.assert_array_equal(a.grad, [3.0, 4.0])
    assert b.grad is None
