"""Every public differentiable op must have a gradient property test.

A test counts when some test module defines `test_grad_<name>` for the op's name in
`tinydl.functional.DIFFERENTIABLE_OPS`; that list must itself cover every public
function of tinydl.functional.
"""
import ast
import inspect
import pathlib
import re

import tinydl.functional as F

TESTS = pathlib.Path(__file__).parent


def test_every_public_op_is_listed():
    public = {name for name, obj in vars(F).items()
              if inspect.isfunction(obj) and not name.startswith("_")}
    assert public == set(F.DIFFERENTIABLE_OPS)


def test_every_listed_op_has_a_gradient_property_test():
    source = "\n".join(p.read_text() for p in TESTS.glob("test_*.py"))
    tested = set(re.findall(r"^def (test_grad_\w+)\(", source, flags=re.M))
    missing = [op for op in F.DIFFERENTIABLE_OPS if f"test_grad_{op}" not in tested]
    assert not missing, f"no gradient property test (def test_grad_<op>) for: {missing}"


def gradient_tests():
    """(file, function node) for every `test_grad_*` function in the test modules."""
    for path in sorted(TESTS.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_grad_"):
                yield path.name, node


def test_gradient_tests_use_gradcheck_and_hypothesis():
    found = list(gradient_tests())
    assert len(found) >= len(F.DIFFERENTIABLE_OPS)
    for filename, node in found:
        decorators = {ast.unparse(d).split("(")[0] for d in node.decorator_list}
        calls = {ast.unparse(c.func) for c in ast.walk(node) if isinstance(c, ast.Call)}
        assert "given" in decorators, f"{filename}::{node.name} is not a hypothesis test"
        assert "gradcheck" in calls, f"{filename}::{node.name} does not call gradcheck"
