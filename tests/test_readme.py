"""The READMEs point at things that exist: every file path, every `tests/file.py::test`,
every function named beside a reference module in the formula tables, every dotted
`tinydl.x.y` name. A rename that forgets the README fails here."""
import ast
import importlib
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
READMES = ["README.md", "README.zh-CN.md", "bench/README.md", "docs/glossary.md"]


def texts():
    return [(name, (ROOT / name).read_text()) for name in READMES if (ROOT / name).exists()]


def test_every_path_in_the_readmes_exists():
    missing = []
    for name, text in texts():
        for path in set(re.findall(r"`((?:tinydl|tests|lessons|bench|docs)/[\w./-]+)`", text)):
            if not (ROOT / path.rstrip("/")).exists():
                missing.append(f"{name}: {path}")
    assert not missing, missing


def test_every_named_test_exists():
    missing = []
    for name, text in texts():
        for path, test in set(re.findall(r"(tests/\w+\.py)::(\w+)(?![\w*{<])", text)):
            file = ROOT / path
            defined = {n.name for n in ast.walk(ast.parse(file.read_text()))
                       if isinstance(n, ast.FunctionDef)} if file.exists() else set()
            if test not in defined:
                missing.append(f"{name}: {path}::{test}")
    assert not missing, missing


def test_every_dotted_tinydl_name_resolves():
    missing = []
    for name, text in texts():
        for dotted in set(re.findall(r"`(tinydl(?:\.\w+)+)", text)):
            parts = dotted.split(".")
            for cut in range(len(parts), 0, -1):        # the longest importable module
                try:
                    obj = importlib.import_module(".".join(parts[:cut]))
                    break
                except ImportError:
                    continue
            try:
                for attr in parts[cut:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                missing.append(f"{name}: {dotted}")
    assert not missing, missing


@pytest.mark.parametrize("name", ["README.md", "README.zh-CN.md"])
def test_the_read_first_column_names_functions_of_the_reference_modules(name):
    text = (ROOT / name).read_text()
    pairs = re.findall(r"((?:`\w+`(?:, |、))*`\w+`) (?:in|中的) `(tinydl/ops/reference/\w+\.py)`", text)
    pairs += [(m[1], m[0]) for m in re.findall(r"`(tinydl/ops/reference/\w+\.py)` 中的 "
                                                  r"((?:`\w+`、)*`\w+`)", text)]
    assert pairs, "no 'read first' entries found"
    for functions, path in pairs:
        module = importlib.import_module(path[:-3].replace("/", "."))
        for function in re.findall(r"`(\w+)`", functions):
            assert callable(getattr(module, function, None)), f"{name}: {function} in {path}"
