"""The gradient-coverage guard: every differentiable op of tinydl has a gradient test that
really checks it.

* The public face, by name: every public function of tinydl.functional is listed in
  DIFFERENTIABLE_OPS and has a hypothesis test `test_grad_<name>` that calls gradcheck.
* Every op, by what ran: every `Function` subclass that tinydl defines (found by importing
  every module and walking `Function.__subclasses__()`, so an op exposed as a bound
  `apply`, a partial, or living in losses or layers is found too) must have been in the
  graph of a passing gradcheck inside a passing `test_grad_*` test. The credits come from
  tinydl.gradcheck.checked_functions, gathered per test by tests/conftest.py; the tests
  that read them run last, and the gradient tests this session did not run are run in a
  child pytest (see conftest's GradientCredits.everything).
"""
import ast
import importlib
import inspect
import json
import os
import pathlib
import pkgutil
import re
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np
import pytest

import tinydl
import tinydl.functional as F
from tinydl.autograd import Function
from tinydl.gradcheck import GradcheckError, checked_functions, gradcheck
from tinydl.ops.pooling import Pool2dOp

TESTS = pathlib.Path(__file__).parent

#: Student templates (the exercises' stubs and their solutions), not tinydl's ops.
NOT_TINYDL = ("tinydl.exercises.catalogue", "tinydl.exercises.solutions")

#: Function classes that need no gradient test of their own, and why. The guard checks that
#: each one is still found, is still never credited, and that its subclasses all are.
EXEMPT: Mapping[type, str] = {
    Pool2dOp: "the base of MaxPool2dOp and AvgPool2dOp (window geometry and padding); it has "
              "no forward and is never applied itself",
}


# -- the guard --------------------------------------------------------------------------------

def _subclasses(cls: type) -> Iterable[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _import_all(package: str, skip: tuple[str, ...]) -> None:
    """Import every module of `package` except those under `skip` (not even imported) and
    `__main__` (importing it runs the command line)."""
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__, package + "."):
        if info.name.startswith(skip) or info.name.endswith(".__main__"):
            continue
        if hasattr(importlib.import_module(info.name), "__path__"):  # a package
            _import_all(info.name, skip)


def function_classes(package: str = "tinydl", skip: tuple[str, ...] = NOT_TINYDL) -> set[type]:
    """Every subclass of Function defined in `package` (outside the modules under `skip`).

    A class made inside a function at run time (tinydl.exercises.trainer wraps a student's
    conv2d in one) is left out: it exists only once that code runs, so a guard that counted
    it would depend on which tests ran before it."""
    _import_all(package, skip)
    return {cls for cls in _subclasses(Function)
            if cls.__module__.startswith(package + ".") and not cls.__module__.startswith(skip)
            and "<locals>" not in cls.__qualname__}


def uncovered(classes: Iterable[type], credited: Counter,
              exempt: Mapping[type, str] = EXEMPT) -> list[str]:
    """The names of the classes, not exempt, that no passing gradcheck tested."""
    return sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in classes
                  if not credited[cls] and cls not in exempt)


@pytest.fixture(scope="module")
def all_credits(gradient_credits):
    """(credits of every gradient test, the child pytest's report or "")."""
    return gradient_credits.everything()


def test_every_function_of_tinydl_is_really_gradchecked(all_credits):
    credited, child_report = all_credits
    classes = function_classes()
    # the walk reaches the ops the old by-name guard missed: in layers, in losses, bases
    assert {"_GatherOp", "SoftDiceOp", "Pool2dOp", "Conv2dOp"} <= {c.__name__ for c in classes}
    missing = uncovered(classes, credited)
    listing = "".join(f"\n    {name}" for name in missing)
    assert not missing, (f"{len(missing)} Function classes were in no passing gradcheck of a "
                         f"passing test_grad_* test:{listing}\n{child_report}")


def test_every_exemption_is_still_needed(all_credits):
    credited, _ = all_credits
    classes = function_classes()
    for cls, reason in EXEMPT.items():
        assert reason and cls in classes, f"{cls.__name__} is no longer a Function of tinydl"
        assert not credited[cls], f"{cls.__name__} is gradchecked now: drop its exemption"
        subs = [sub for sub in _subclasses(cls) if sub in classes]
        assert subs and all(credited[sub] for sub in subs), \
            f"{cls.__name__} is exempt as a base, so its subclasses must be checked: {subs}"


def test_the_credit_readers_run_last(request, gradient_credits):
    items = request.session.items
    first = next(i for i, item in enumerate(items) if "gradient_credits" in item.fixturenames)
    assert all("gradient_credits" in item.fixturenames for item in items[first:])


# -- the guard can fail -------------------------------------------------------------------------

THROWAWAY = '''
import numpy as np
from tinydl.autograd import Function


class CubeOp(Function):
    """x³, 3x²: right."""
    def forward(self, x):
        self.x = x
        return x ** 3

    def backward(self, grad):
        return grad * 3 * self.x ** 2


class WrongCubeOp(CubeOp):
    """x³ with the derivative of x² (2x): wrong."""
    def backward(self, grad):
        return grad * 2 * self.x


cube = CubeOp.apply                # exposed as a bound apply, not a plain function
wrong_cube = WrongCubeOp.apply
'''


@pytest.fixture
def throwaway(tmp_path, monkeypatch):
    """A package on disk, of a new name each time (the classes of an earlier one may still
    be alive), whose submodule `ops` defines CubeOp and WrongCubeOp; its templates/
    subpackage, which the walk skips, defines one more."""
    name = f"throwaway_ops_{len(list(_subclasses(Function)))}_{tmp_path.name}"
    package = tmp_path / name
    (package / "templates").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "ops.py").write_text(THROWAWAY)
    (package / "templates" / "__init__.py").write_text(
        "from tinydl.autograd import Function\n\nclass TemplateOp(Function):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for module in [module for module in sys.modules if module.startswith(name)]:
        del sys.modules[module]


def test_the_guard_finds_a_function_no_gradcheck_tested(throwaway):
    classes = function_classes(throwaway, skip=(f"{throwaway}.templates",))
    ops = importlib.import_module(f"{throwaway}.ops")
    assert classes == {ops.CubeOp, ops.WrongCubeOp}
    assert uncovered(classes, checked_functions()) == [
        f"{throwaway}.ops.CubeOp", f"{throwaway}.ops.WrongCubeOp"]


def test_only_a_passing_gradcheck_credits(throwaway):
    classes = function_classes(throwaway, skip=(f"{throwaway}.templates",))
    ops = importlib.import_module(f"{throwaway}.ops")
    x = np.array([[0.5, -1.5, 2.0]])
    with pytest.raises(GradcheckError):
        gradcheck(ops.wrong_cube, x)
    report = gradcheck(ops.wrong_cube, x, raise_exception=False)
    assert not report.ok
    assert uncovered(classes, checked_functions()) == [
        f"{throwaway}.ops.CubeOp", f"{throwaway}.ops.WrongCubeOp"]
    before = checked_functions()
    gradcheck(lambda x: ops.cube(x) * 2.0, x)
    gained = checked_functions() - before
    assert gained[ops.CubeOp] == 1 and gained[ops.WrongCubeOp] == 0
    assert uncovered(classes, checked_functions()) == [f"{throwaway}.ops.WrongCubeOp"]
    # an op that only a constant goes through is not tested by the check, nor credited
    c = tinydl.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    before = checked_functions()
    gradcheck(lambda x: x * ops.wrong_cube(c), x)
    assert (checked_functions() - before)[ops.WrongCubeOp] == 0


CHILD_TESTS = '''
import numpy as np
import pytest
import tinydl.functional as F
from tinydl.gradcheck import gradcheck

X = np.array([0.3, -0.7, 1.1])


def test_grad_passes():
    gradcheck(F.tanh, X)


@pytest.mark.skip(reason="a skipped test never runs its gradcheck")
def test_grad_skipped():
    gradcheck(F.exp, X)


def test_grad_fails_after_a_passing_gradcheck():
    gradcheck(F.sigmoid, X)
    assert False


def test_not_a_gradient_test():
    gradcheck(F.sqrt, X + 1.0)
'''


def test_a_skipped_or_failing_or_unnamed_test_credits_nothing(tmp_path):
    """A child pytest with this conftest: only the passing test_grad_* test credits."""
    (tmp_path / "conftest.py").write_text((TESTS / "conftest.py").read_text())
    (tmp_path / "test_child.py").write_text(textwrap.dedent(CHILD_TESTS))
    record = tmp_path / "record.json"
    python = [sys.executable, "-P"] if sys.flags.safe_path else [sys.executable]  # as CI runs
    child = subprocess.run([*python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "test_child.py"], cwd=tmp_path, capture_output=True, text=True,
                           env={**os.environ, "TINYDL_GRADCHECK_RECORD": str(record)})
    assert "1 failed, 2 passed, 1 skipped" in child.stdout, child.stdout + child.stderr
    assert json.loads(record.read_text()) == {"tinydl.ops.activations:TanhOp": 1}


# -- the public face, by name -------------------------------------------------------------------

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
