"""The package as pip installs it. CI (.ci/run) installs tinydl into a fresh virtual
environment and runs the tests with ``python3 -P -m pytest``: -P keeps the current
directory, the checkout, off sys.path, so the tests import the installed tinydl and a module
or data file that the install leaves out fails them instead of being read from tinydl/.

These tests check that this is so. They run where TINYDL_EXPECT_INSTALLED=1 (.ci/run sets
it); elsewhere the checkout's own tinydl/ may well be the one imported, and they skip.
"""
import importlib
import os
import sys
import sysconfig
from pathlib import Path

import pytest

import tinydl

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(os.environ.get("TINYDL_EXPECT_INSTALLED") != "1",
                                reason="checks the installed package: set "
                                       "TINYDL_EXPECT_INSTALLED=1 after pip install (.ci/run)")


def installed() -> Path:
    return Path(tinydl.__file__).resolve().parent


def test_tinydl_is_the_installed_package_not_the_checkout():
    site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
    print(f"tinydl from {installed()}; sys.path[0] = {sys.path[0]!r}; checkout {ROOT}")
    assert sys.prefix != sys.base_prefix, "not in a virtual environment"
    assert installed() == site_packages / "tinydl"
    assert not installed().is_relative_to(ROOT)


def test_the_checkout_is_not_on_sys_path():
    on_path = [entry for entry in sys.path if Path(entry or ".").resolve() == ROOT]
    assert not on_path, f"the checkout {ROOT} is on sys.path: {sys.path}"


def package_files(root: Path) -> set[Path]:
    return {path.relative_to(root) for path in root.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"}


def test_every_module_and_data_file_of_the_checkout_is_installed():
    missing = package_files(ROOT / "tinydl") - package_files(installed())
    assert not missing, f"pip install left out: {sorted(map(str, missing))}"


#: every package of the checkout (tinydl.ops, tinydl.ops.reference, the exercises' templates ...)
PACKAGES = sorted(".".join(init.parent.relative_to(ROOT).parts)
                  for init in (ROOT / "tinydl").rglob("__init__.py"))


@pytest.mark.parametrize("name", PACKAGES)
def test_every_package_imports_from_the_installed_tinydl(name):
    assert Path(importlib.import_module(name).__file__).resolve().is_relative_to(installed())


def test_the_console_script_is_installed():
    assert (Path(sys.prefix) / "bin" / "tinydl").is_file()


def test_the_tests_child_processes_import_the_installed_package_too(tmp_path):
    # the children the tests start get TINYDL_HOME on their path: the notebook kernels of
    # lesson_helpers (in lessons/) and `python -m tinydl` of test_exercises (in a temporary
    # folder) through PYTHONPATH; test_threads' and test_io's children put it first
    import subprocess

    from lesson_helpers import TINYDL_HOME
    assert TINYDL_HOME == installed().parent
    code = "import tinydl; print(tinydl.__file__)"
    env = dict(os.environ, PYTHONPATH=str(TINYDL_HOME))
    for cwd in (ROOT / "lessons", tmp_path):        # where the tests start them
        out = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env,
                             capture_output=True, text=True, check=True).stdout
        assert Path(out.strip()).resolve().parent == installed(), (cwd, out)
