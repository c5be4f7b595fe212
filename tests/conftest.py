"""Shared test machinery.

Hypothesis profiles: 'ci' is derandomized (a fixed seed: the same examples on every
run, so CI is reproducible); 'dev' searches fresh examples each run. CI=true selects
'ci'; HYPOTHESIS_PROFILE overrides either way.

Gradient credits, for the coverage guard of tests/test_op_coverage.py: while a gradient
property test (a test function named ``test_grad_*``) runs, every passing gradcheck
credits the Function classes it tested (tinydl.gradcheck.checked_functions). Those
credits count only if the test passes; a skipped or failing test credits nothing. The
tests that read the credits (they use the ``gradient_credits`` fixture) run last. With
TINYDL_GRADCHECK_RECORD=<file>, the session writes its credits there as JSON when it
ends: how the guard learns about the gradient tests that its own session did not run.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tinydl.gradcheck import checked_functions

settings.register_profile("ci", derandomize=True, max_examples=25, deadline=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=50, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE",
                                     "ci" if os.environ.get("CI") == "true" else "dev"))

RECORD_ENV = "TINYDL_GRADCHECK_RECORD"


def _class_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _class_named(name: str) -> type | None:
    """The class written as "module:qualname", or None when its module is not loaded in this
    process or it was made inside a function."""
    module, _, qualname = name.partition(":")
    obj = sys.modules.get(module)
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    return obj if isinstance(obj, type) else None


@dataclass
class GradientCredits:
    """What this session's gradient property tests proved (see the module docstring)."""
    #: Function class -> passing gradchecks that tested it in passing test_grad_* tests
    credited: Counter[type] = field(default_factory=Counter)
    #: (file, "[Class::]name") of every test_grad_* function all of whose items this
    #: session runs
    complete: set[tuple[str, str]] = field(default_factory=set)
    rootdir: Path = Path(".")

    @staticmethod
    def key(path: str | Path, name: str) -> tuple[str, str]:
        """A test function's identity whatever its parametrization: (file, "[Class::]name")."""
        return str(Path(path).resolve()), name.split("[")[0]

    def write(self, path: str | Path) -> None:
        """Save the credits as JSON {"module:qualname": count}."""
        names = Counter({_class_name(cls): n for cls, n in self.credited.items()})
        Path(path).write_text(json.dumps(names, sort_keys=True))

    @staticmethod
    def read(path: str | Path) -> Counter[type]:
        """The credits that `write` saved, as classes (of the modules loaded here)."""
        found: Counter[type] = Counter()
        for name, n in json.loads(Path(path).read_text()).items():
            cls = _class_named(name)
            if cls is not None:
                found[cls] += n
        return found

    def everything(self) -> tuple[Counter[type], str]:
        """The credits of every test_grad_* function of tests/: this session's, plus those
        of a child pytest that runs the ones this session did not run in full (e.g. under
        ``pytest tests/test_op_coverage.py``). Also returns the child's report ("" if none)."""
        missing = [key for key in gradient_test_functions() if key not in self.complete]
        if not missing:
            return Counter(self.credited), ""
        ids = [f"{os.path.relpath(path, self.rootdir)}::{name}" for path, name in missing]
        with tempfile.TemporaryDirectory() as tmp:
            record = Path(tmp, "credits.json")
            child = subprocess.run([*python(), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                    *ids], cwd=self.rootdir, capture_output=True, text=True,
                                   env={**os.environ, RECORD_ENV: str(record)})
            report = (f"a child pytest ran {len(ids)} gradient tests this session did not run "
                      f"(exit {child.returncode}):\n{child.stdout[-3000:]}{child.stderr[-2000:]}")
            if not record.exists():
                raise RuntimeError(f"no gradient record came back; {report}")
            return self.credited + self.read(record), report


def python() -> list[str]:
    """This interpreter, with -P if it has it (then the child too tests the installed tinydl,
    not the checkout's tinydl/ of the current directory; see .ci/run)."""
    return [sys.executable, "-P"] if sys.flags.safe_path else [sys.executable]


def gradient_test_functions() -> list[tuple[str, str]]:
    """GradientCredits.key of every test_grad_* function (at module level or in a class)
    of the test modules beside this file, read from their source."""
    found = []
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            defs = [(node, "")] if not isinstance(node, ast.ClassDef) else \
                [(d, f"{node.name}::") for d in node.body]
            found += [GradientCredits.key(path, prefix + d.name) for d, prefix in defs
                      if isinstance(d, ast.FunctionDef) and d.name.startswith("test_grad_")]
    return found


_CREDITS = GradientCredits()
_partial: set[tuple[str, str]] = set()   # test_grad_* functions with some item deselected


def _is_gradient_test(item: pytest.Item) -> bool:
    return getattr(item, "originalname", item.name).startswith("test_grad_")


def _key_of(item: pytest.Item) -> tuple[str, str]:
    return GradientCredits.key(item.path, item.nodeid.split("::", 1)[1])


@pytest.hookimpl(trylast=True)  # after -k / -m deselection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The tests that read the credits go last, after every gradient test has run.
    readers = [item for item in items if "gradient_credits" in getattr(item, "fixturenames", ())]
    items[:] = [item for item in items if item not in readers] + readers
    _CREDITS.rootdir = config.rootpath


def pytest_deselected(items: list[pytest.Item]) -> None:
    _partial.update(_key_of(item) for item in items if _is_gradient_test(item))


def pytest_collection_finish(session: pytest.Session) -> None:
    _CREDITS.complete = {_key_of(item) for item in session.items
                         if _is_gradient_test(item)} - _partial


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    before = checked_functions()
    outcome = yield
    if _is_gradient_test(item) and outcome.excinfo is None:   # neither failed nor skipped
        _CREDITS.credited.update(checked_functions() - before)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if os.environ.get(RECORD_ENV):
        _CREDITS.write(os.environ[RECORD_ENV])


@pytest.fixture(scope="session")
def gradient_credits() -> GradientCredits:
    """This session's gradient credits; a test that uses it runs after all the others."""
    return _CREDITS
